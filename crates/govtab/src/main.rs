//! `govtab`: the command-line tool. It only wires the stage crates
//! (`extract → realign → match → assemble`), parses flags, writes outputs and
//! reports progress; what a stage does lives in its own crate.
//!
//! What lives where:
//!
//! | module           | holds |
//! |------------------|-------|
//! | `cli`            | clap definitions, help text, exit status constants |
//! | `cmd::run`       | `govtab run`: inputs, shards, resuming, progress, tables from the parts, summary |
//! | `cmd::merge`     | `govtab merge SHARD_DIR... --out DIR`: the shards of one batch joined |
//! | `cmd::worker`    | `govtab worker` (hidden): the worker process, one document per stdin line |
//! | `pool`           | worker processes (timeout, memory cap, crash → error row) or threads |
//! | `batch`          | stable hashes, document keys, parts, the `state` journal, `index.jsonl` |
//! | `cmd::stage`     | `govtab stage NAME --in --out`: one stage on one artifact |
//! | `cmd::explain`   | `govtab explain FILE [--form N]`: what each stage did, per form |
//! | `cmd::vocab`     | `govtab vocab build`: 三级指标 names learned from a dump |
//! | `pipeline`       | one document through the stages; panic guard; error rows |
//! | `inputs`         | INPUT arguments → files (recursive, sorted, hidden skipped) |
//! | `artifact_io`    | reading/writing stage artifacts (JSON) with clear errors |
//! | `output`         | records.jsonl and the CSV tables: rendered per document, concatenated |
//! | `fieldpath`      | field paths of flags/repairs (`funds[0].executed`, `*`) |
//!
//! Exit status: 0 all converted, 1 fatal, 2 usage error (clap), 3 partial.

mod artifact_io;
mod batch;
mod cli;
mod cmd;
mod fieldpath;
mod inputs;
mod output;
mod pipeline;
mod pool;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, EXIT_FATAL};

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => cmd::run::run(args),
        Command::Stage(args) => cmd::stage::stage(args),
        Command::Explain(args) => cmd::explain::explain(args),
        Command::Vocab(args) => cmd::vocab::vocab(args),
        Command::Merge(args) => cmd::merge::merge(args),
        Command::Worker(args) => cmd::worker::worker(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("govtab: error: {e:#}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

/// Keep freed memory for reuse instead of returning it to the system at
/// once. A scanned page decodes to a picture of a few MB, and reading its
/// rules takes a few more buffers of that size; with glibc's defaults each
/// of them is mapped fresh and unmapped when freed, so every page paid
/// thousands of page faults (about a tenth of a scan's time). Buffers up to
/// 32 MiB now come from the heap, which keeps up to 128 MiB of free memory
/// before trimming.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}
