# govtab: common tasks. `make help` lists them.
CARGO  ?= cargo
TARGET := $(or $(CARGO_TARGET_DIR),target)
BIN    := $(TARGET)/release/govtab
SHARED := ../shared

.PHONY: help build run test eval bench

help:
	@echo "make build   release build ($(BIN))"
	@echo "make run     convert samples/seeds into out/"
	@echo "make test    cargo test --workspace"
	@echo "make eval    convert the seeds and score them against $(SHARED)/gold"
	@echo "make bench   cargo bench --workspace (when benches exist)"

build:
	$(CARGO) build --release

# Exit status 3 (some inputs in out/errors.csv) is reported by govtab itself
# and does not stop make.
run: build
	$(BIN) run samples/seeds --out out || [ $$? -eq 3 ]

test:
	$(CARGO) test --workspace

eval: build
	@if [ ! -f $(SHARED)/eval/score.py ] || [ ! -d $(SHARED)/gold ]; then \
		echo "make eval: $(SHARED)/eval/score.py or $(SHARED)/gold not found; skipped"; \
	else \
		$(BIN) run samples/seeds --out out || [ $$? -eq 3 ]; \
		python3 $(SHARED)/eval/score.py --gold $(SHARED)/gold --pred out/records.jsonl --gold-forms-only | tail -n 3; \
	fi

bench:
	@if ls crates/*/benches/*.rs >/dev/null 2>&1; then \
		$(CARGO) bench --workspace; \
	else \
		echo "make bench: no benches yet (crates/*/benches/*.rs); nothing to run"; \
	fi
