//! Command-line interface: flags, subcommands and the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::pipeline::StageName;

/// Exit status: every input converted, no problem recorded.
pub const EXIT_OK: u8 = 0;
/// Exit status: fatal error (output not writable, unreadable artifact, ...).
pub const EXIT_FATAL: u8 = 1;
/// Exit status: some inputs (or pages) ended in errors.csv.
pub const EXIT_PARTIAL: u8 = 3;
// Exit status 2 (usage error) is clap's own.

const MAIN_AFTER: &str = "\
Examples:
  govtab run samples/ --out out/              convert every document under samples/
  govtab run a.txt b.pdf --out out/ --jobs 2  convert two files with two threads
  govtab run inbox/ --out out/ --keep-artifacts
  govtab stage realign --in out/artifacts/a.txt/1-extract.json --out realigned.json
  govtab explain a.txt --form 2               what each stage did to form 2 of a.txt
  govtab run --manifest files.txt --shard 0/3 --out out/shard-0
  govtab merge out/shard-*/ --out final/      join the shards of one batch

Exit status:
  0  every input converted without problems
  1  fatal error (cannot write the output directory, unreadable artifact, ...)
  2  usage error
  3  partial: some inputs or pages ended in errors.csv

Run `govtab help run` for the output files.";

const RUN_AFTER_SHORT: &str = "\
Example: govtab run samples/ --out out/
Large batches: --jobs N worker processes, --timeout 60s and --max-memory 2GiB
per document; rerun into the same --out to resume; --manifest/--shard K/N and
`govtab merge` to split a batch across machines.
Exit status: 0 all converted, 1 fatal, 2 usage error, 3 partial (see errors.csv).
Use --help for the output files and their columns.";

const RUN_AFTER_LONG: &str = "\
Examples:
  govtab run samples/ --out out/
  govtab run scans/2023/*.pdf dumps/ --out out/ --jobs 2 --keep-artifacts
  govtab run --manifest files.txt --out out/ --timeout 2m --max-memory 4GiB
  govtab run --manifest files.txt --shard 0/3 --out out/shard-0   (then merge)

Isolation and resuming:
  Each document is converted in a worker process (--jobs of them). A
  document that runs past --timeout or needs more than --max-memory, or
  whose worker crashes, costs only itself: the worker is replaced and the
  document gets one errors.csv row, stage \"worker\", with the reason
  (timed out, out of memory, crashed with signal N).
  Every finished document is stored in DIR/parts/<key>.json (written to a
  temporary file, then renamed) and listed in the DIR/state journal. After an
  interruption (Ctrl-C, kill -9, a lost machine) the same command continues
  where it stopped; the tables are rebuilt from the parts at the end, in input
  order, byte for byte what an uninterrupted run writes. A part is reused only
  for the same file (path, size, modification time), the same govtab binary
  and the same options.

Sharding:
  --shard K/N keeps the inputs whose path (as listed) hashes (FNV-1a) to K
  mod N, so N machines with the same manifest split it without talking to each
  other. `govtab merge DIR...` joins the shards; see docs/scale-out.md.

Inputs:
  Each INPUT is a file or a directory. Directories are walked recursively in
  sorted order; hidden files and directories (names starting with '.'), the
  output directory itself, and data and doc files (.json, .jsonl, .csv, .md) found by the
  walk are skipped (name such a file explicitly to convert it). Text dumps in
  UTF-8, UTF-16 (with BOM) or GBK/GB18030 and PDFs are read; anything else is
  reported in errors.csv. A scanned PDF needs its OCR text layer (a page with
  none is reported in errors.csv); its table rules and the cells the layer
  misread or lost are read again from the page picture, with shapes the
  document's own legible cells teach (no OCR engine is run). Such readings
  are in repairs.csv with stage `extract` and the layer's text as `before`.

Output files (in --out DIR, rebuilt on each run):
  records.jsonl   one JSON record per form (schema: shared/schema/records.md),
                  in input order, then form order
  projects.csv    one row per form: doc, form, pages (\"1;2\"), kind, year,
                  project, department, implementer, unit, goal_expected,
                  goal_actual, total_weight, total_score, grade, attributes
                  (a JSON object), n_funds, n_indicators, n_repairs, n_flags
  funds.csv       one row per funds row: doc, form, row, item, initial_budget,
                  annual_budget, executed, weight, execution_rate, score,
                  amount, flagged, confidence
  indicators.csv  one row per indicator: doc, form, row, level1, level2,
                  level3, target, actual, weight, score, deviation, flagged,
                  confidence
  repairs.csv     every change made to the printed text: doc, form, field,
                  stage, before, after, reason
  review.csv      every cell the pipeline doubts: doc, form, page, field,
                  value, reason, confidence
  errors.csv      every input, page or stage that failed: doc, path, page,
                  stage, reason (always written; header only when clean)
  artifacts/<doc>/{1-extract,2-realign,3-match,4-assemble}.json
                  with --keep-artifacts: each stage's output, replayable with
                  `govtab stage`
  parts/, state, index.jsonl
                  the per-document results, the journal of finished
                  documents, and the list of inputs (read by `govtab merge`)

  `row` is 0-based, the index used in field paths (funds[0].executed,
  indicators[3].target). `flagged` is true when a flag names the row, one of
  its cells, or the whole form (`*`); `confidence` (0..1) is the lowest of
  the row's cells, from their flags and repairs (1 = printed clean and
  consistent, ≤ 0.4 flagged). Numbers are plain decimals; an empty cell is
  null.

Exit status:
  0  every input converted without problems
  1  fatal error (cannot create or write the output directory)
  2  usage error
  3  partial: some inputs or pages ended in errors.csv (the rest is converted)";

const STAGE_AFTER: &str = "\
Each stage reads the previous stage's artifact and writes its own, so a bad
document can be replayed one stage at a time:

  govtab stage extract  --in scan.pdf       --out 1-extract.json
  govtab stage realign  --in 1-extract.json --out 2-realign.json
  govtab stage match    --in 2-realign.json --out 3-match.json
  govtab stage assemble --in 3-match.json   --out 4-assemble.json

  stage     --in                          --out
  extract   the input document            Document
  realign   Document                      FormSet (stage \"realign\")
  match     FormSet                       FormSet (stage \"match\")
  assemble  FormSet                       RecordSet (records + problems)

`govtab run --keep-artifacts` writes the same files for every document.
`--out -` writes to standard output.

Exit status: 0 written (problems, if any, are listed on stderr and kept in
the artifact), 1 error (unreadable input, wrong artifact type, stage failed),
2 usage error.";

const EXPLAIN_AFTER: &str = "\
Examples:
  govtab explain samples/seeds/000_16e961fe39d33cb9.txt
  govtab explain scan.pdf --form 3
  govtab explain out/artifacts/scan.pdf/2-realign.json

For each form: its title, kind and input lines/pages, then what each stage
did: cells moved and structural repairs (realign), names matched with their
scores (raw → canonical, score, method), repairs made while assembling, and
the flags (cells the pipeline doubts).

Exit status: 0 explained, 1 error (unreadable file, no such form), 2 usage error.";

/// govtab: turn Chinese budget-performance forms (text dumps and PDFs) into
/// records.jsonl and CSV tables.
#[derive(Debug, Parser)]
#[command(name = "govtab", version, about, long_about = None, after_help = MAIN_AFTER)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert documents into records.jsonl and CSV tables.
    Run(RunArgs),
    /// Run one pipeline stage on one artifact (replay a document stage by stage).
    Stage(StageArgs),
    /// Show what each stage did to the forms of one document.
    Explain(ExplainArgs),
    /// Learn vocabulary from a dump (`govtab vocab build`).
    Vocab(VocabCmd),
    /// Combine the outputs of `govtab run --shard K/N` into one.
    Merge(MergeArgs),
    /// Internal: the worker process of `govtab run`.
    #[command(hide = true)]
    Worker(WorkerArgs),
}

/// The vocabulary files the pipeline reads besides its built-in one.
#[derive(Debug, Args, Clone, Default)]
pub struct VocabFiles {
    /// A 三级指标 name list written by `govtab vocab build`: garbled 三级
    /// names that are one look-alike edit from exactly one listed name are
    /// repaired to it; names near several are flagged.
    #[arg(long, value_name = "FILE")]
    pub level3_vocab: Option<PathBuf>,
}

impl VocabFiles {
    /// The built-in vocabulary plus the files named.
    pub fn load(&self) -> anyhow::Result<govtab_model::Vocabulary> {
        use anyhow::Context;
        let mut v = govtab_model::Vocabulary::builtin();
        if let Some(path) = &self.level3_vocab {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read 三级 vocabulary {}", path.display()))?;
            v.level3 = govtab_match::level3::parse_vocab(&text);
        }
        Ok(v)
    }
}

const VOCAB_AFTER: &str = "\
Example:
  govtab vocab build archive/ --out level3.tsv
  govtab run archive/ --out out/ --level3-vocab level3.tsv

Converts every input and writes the 三级指标 names read without a flag, one
per line with its count (name<TAB>count), most frequent first. Feed the file
back with --level3-vocab: a garbled name one look-alike edit away from exactly
one listed name is repaired (logged in repairs.csv); a name near several is
kept as printed and flagged for review.";

#[derive(Debug, Args)]
pub struct VocabCmd {
    #[command(subcommand)]
    pub command: VocabCommand,
}

#[derive(Debug, Subcommand)]
pub enum VocabCommand {
    /// Collect the 三级指标 names of a dump into a vocabulary file.
    Build(VocabBuildArgs),
}

#[derive(Debug, Args)]
#[command(after_help = VOCAB_AFTER)]
pub struct VocabBuildArgs {
    /// Input files or directories, as for `govtab run`.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Vocabulary file to write.
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// Documents converted in parallel [default: number of cores].
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

#[derive(Debug, Args)]
#[command(after_help = RUN_AFTER_SHORT, after_long_help = RUN_AFTER_LONG)]
pub struct RunArgs {
    /// Input files or directories (directories are walked recursively).
    #[arg(required_unless_present = "manifest", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Also read input paths from FILE, one per line (blank lines and lines
    /// starting with '#' are skipped); they come after any INPUT.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Output directory (created if missing). Rerunning into the same DIR
    /// resumes: documents already converted there are not converted again.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Documents converted in parallel, one worker process each [default: number of cores].
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Convert only shard K of N (K = 0..N-1): the inputs whose path hashes
    /// to K. Run every shard, then `govtab merge` their DIRs.
    #[arg(long, value_name = "K/N", value_parser = crate::batch::parse_shard)]
    pub shard: Option<crate::batch::Shard>,
    /// Time allowed per document (e.g. 60s, 2m, 500ms); a worker still busy
    /// after it is killed and the document goes to errors.csv.
    #[arg(long, value_name = "TIME", default_value = "60s", value_parser = crate::batch::parse_duration)]
    pub timeout: std::time::Duration,
    /// Address-space cap per worker process (e.g. 2GiB, 512MiB; `none` for
    /// no cap). A document that needs more goes to errors.csv as out of memory.
    #[arg(long, value_name = "SIZE", default_value = "2GiB", value_parser = crate::batch::parse_size)]
    pub max_memory: crate::batch::MemoryCap,
    /// Convert on threads of this process instead of worker processes: no
    /// timeout, no memory cap, and a crash (not a panic) ends the run.
    #[arg(long)]
    pub in_process: bool,
    /// Also write each document's stage artifacts to DIR/artifacts/<doc>/.
    #[arg(long)]
    pub keep_artifacts: bool,
    #[command(flatten)]
    pub vocab: VocabFiles,
}

const MERGE_AFTER: &str = "\
Example (3 shards, then one merged result):
  govtab run --manifest files.txt --shard 0/3 --out out/shard-0
  govtab run --manifest files.txt --shard 1/3 --out out/shard-1
  govtab run --manifest files.txt --shard 2/3 --out out/shard-2
  govtab merge out/shard-*/ --out final/

Reads each shard's DIR/index.jsonl and DIR/parts/, and writes the same
records.jsonl and CSV tables (byte for byte) as one `govtab run` over the
whole manifest. Every shard of the same run must be given, each once.

Exit status: 0 every input converted, 1 fatal (a shard missing or
unfinished, shards of different runs, unreadable part), 2 usage error,
3 partial (some inputs in errors.csv).";

#[derive(Debug, Args)]
#[command(after_help = MERGE_AFTER)]
pub struct MergeArgs {
    /// The output directories of the shard runs (`govtab run --shard K/N --out DIR`).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Directory for the merged records.jsonl and CSV tables.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
}

/// The worker process `govtab run` starts (internal): reads one job per
/// line on stdin, writes one result per line on stdout.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Address-space cap in bytes (0: none).
    #[arg(long, default_value_t = 0)]
    pub max_memory: u64,
    /// Exit when the parent process is no longer this one.
    #[arg(long)]
    pub parent_pid: Option<u32>,
    #[command(flatten)]
    pub vocab: VocabFiles,
}

#[derive(Debug, Args)]
#[command(after_help = STAGE_AFTER)]
pub struct StageArgs {
    /// The stage to run.
    #[arg(value_enum)]
    pub stage: StageName,
    /// The input document (extract) or the previous stage's JSON artifact.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write this stage's JSON artifact (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub vocab: VocabFiles,
}

#[derive(Debug, Args)]
#[command(after_help = EXPLAIN_AFTER)]
pub struct ExplainArgs {
    /// An input document, or a stage artifact saved by `govtab stage` or `--keep-artifacts`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Only this form (1-based, as in records.jsonl).
    #[arg(long, value_name = "N")]
    pub form: Option<u32>,
    #[command(flatten)]
    pub vocab: VocabFiles,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
