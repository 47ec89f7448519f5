# govtab: common tasks. `make help` lists them.
CARGO  ?= cargo
TARGET := $(or $(CARGO_TARGET_DIR),target)
BIN    := $(TARGET)/release/govtab
SHARED := ../shared

.PHONY: help build run test eval bench bench-stages bench-run robust fuzz

help:
	@echo "make build   release build ($(BIN))"
	@echo "make run     convert samples/seeds into out/"
	@echo "make test    cargo test --workspace"
	@echo "make eval    score the seeds and every corpus variant with $(SHARED)/eval/score.py"
	@echo "make bench   criterion benches of the stages, then scripts/bench.py: pages/s of"
	@echo "             govtab (1 and 2 jobs) vs pdfplumber, pdftotext, the parse floor; peak RSS"
	@echo "             (BENCH_ARGS='--docs 500 --rss-docs 100,2000' by default)"
	@echo "make robust  >= 1,000 damaged PDFs through govtab run (scripts/robust.py), then"
	@echo "             the cargo-fuzz targets for FUZZ_SECONDS each (needs nightly)"

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
		rm -rf out/eval; \
		echo "== seeds (gold forms only)"; \
		$(BIN) run $(SHARED)/seeds --out out/eval/seeds 2>/dev/null || [ $$? -eq 3 ]; \
		python3 $(SHARED)/eval/score.py --gold $(SHARED)/gold --pred out/eval/seeds/records.jsonl --gold-forms-only | grep -E '^(indicators |flags:|cell_f1)'; \
		for v in digital scan-light scan-heavy; do \
			echo "== $$v"; \
			$(BIN) run $(SHARED)/corpus/*--$$v.pdf --out out/eval/$$v 2>/dev/null || [ $$? -eq 3 ]; \
			python3 $(SHARED)/eval/score.py --gold $(SHARED)/corpus/*--$$v.jsonl --pred out/eval/$$v/records.jsonl | grep -E '^(indicators |flags:|cell_f1)'; \
		done; \
		echo "== image-only (every page must be in errors.csv)"; \
		$(BIN) run $(SHARED)/corpus/*--image-only.pdf --out out/eval/image-only 2>/dev/null; echo "exit status $$? (3 = partial)"; \
		echo "pages listed: $$(grep -c 'no text layer' out/eval/image-only/errors.csv)"; \
	fi

BENCH_ARGS   ?= --docs 500 --rss-docs 100,2000
ROBUST_ARGS  ?= --count 1000 --jobs 2 --timeout 20s
FUZZ_SECONDS ?= 60
export CARGO_TARGET_DIR := $(abspath $(TARGET))

bench: bench-stages bench-run

bench-stages:
	$(CARGO) bench -p govtab --bench stages

# The whole run, over a generated dump of PDFs (see scripts/bench.py).
bench-run:
	$(CARGO) build --release -p govtab --bins --examples
	python3 scripts/bench.py $(BENCH_ARGS)

robust: build
	python3 scripts/robust.py $(ROBUST_ARGS)
	$(MAKE) fuzz

# cargo-fuzz needs a nightly toolchain; without one the targets stay
# buildable documentation (fuzz/README.md).
fuzz:
	@if ! rustup run nightly rustc --version >/dev/null 2>&1; then \
		echo "make fuzz: no nightly toolchain (rustup toolchain install nightly); fuzzing skipped"; \
	else \
		command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz; \
		mkdir -p fuzz/corpus/extract_pdf fuzz/corpus/extract_text; \
		cp samples/pdf/*.pdf fuzz/corpus/extract_pdf/; \
		cp samples/seeds/*.txt fuzz/corpus/extract_text/; \
		cd fuzz && CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/fuzz cargo +nightly fuzz run extract_text -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 && \
		CARGO_TARGET_DIR=$(CARGO_TARGET_DIR)/fuzz cargo +nightly fuzz run extract_pdf -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=30; \
	fi
