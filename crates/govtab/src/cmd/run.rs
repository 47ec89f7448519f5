//! `govtab run`: convert many documents in worker processes (or threads),
//! store each finished document as a part, journal it, and build the tables
//! from the parts in input order.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::batch::{self, IndexEntry, IndexHeader, Journal};
use crate::cli::{RunArgs, EXIT_FATAL, EXIT_OK, EXIT_PARTIAL};
use crate::inputs::{self, Input};
use crate::output::{Outputs, Totals};
use crate::pool::{self, Event, Job, WorkerConfig};

pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let vocab = args.vocab.load()?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create output directory {}", args.out.display()))?;
    let artifacts_root = args.out.join("artifacts");
    if args.keep_artifacts {
        std::fs::create_dir_all(&artifacts_root)
            .with_context(|| format!("cannot create artifact directory {}", artifacts_root.display()))?;
    }

    let mut named = args.inputs.clone();
    if let Some(m) = &args.manifest {
        named.extend(inputs::read_manifest(m)?);
    }
    let found = inputs::collect(&named, Some(&args.out));
    if !found.skipped_data.is_empty() {
        eprintln!(
            "govtab: skipped {} (.json, .jsonl, .csv, .md) in input directories, e.g. {}; name a file to convert it",
            count(found.skipped_data.len(), "data file"),
            found.skipped_data[0].display()
        );
    }
    if found.duplicates > 0 {
        eprintln!("govtab: {} input(s) named more than once, converted once", found.duplicates);
    }
    let all = found.inputs;
    if all.is_empty() {
        eprintln!("govtab: warning: no input files found");
    }
    // Artifact directory names and positions come from the whole batch, so a
    // shard writes what the same documents get in a single run.
    let artifact_dirs = inputs::artifact_dirs(&all);
    let list = batch::list_hash(all.iter().map(Input::path));
    let total = all.len();
    let selected: Vec<(usize, Input, String)> = all
        .into_iter()
        .zip(artifact_dirs)
        .enumerate()
        .filter(|(_, (input, _))| args.shard.is_none_or(|s| s.contains(input.path())))
        .map(|(pos, (input, dir))| (pos, input, dir))
        .collect();
    if let Some(s) = args.shard {
        eprintln!("govtab: shard {s}: {} of {}", count(selected.len(), "input"), total);
    }

    // Keys: one stat per input, in parallel.
    let keep = args.keep_artifacts;
    let mut keys: Vec<String> = selected.par_iter().map(|(_, input, dir)| batch::doc_key(input.path(), keep.then_some(dir.as_str()))).collect();
    disambiguate(&mut keys);

    let resume = Journal::open(&args.out, &fingerprint(args)?)?;
    let mut journal = resume.journal;
    if resume.restarted {
        eprintln!("govtab: {} was written by another govtab binary or other options; converting everything again", args.out.join(batch::STATE).display());
    }
    let jobs: Vec<Job> = selected
        .iter()
        .zip(&keys)
        .filter(|(_, key)| !resume.done.contains(key.as_str()))
        .map(|((_, input, dir), key)| Job {
            key: key.clone(),
            input: input.clone(),
            artifacts: keep.then(|| artifacts_root.join(dir)),
        })
        .collect();
    let resumed = selected.len() - jobs.len();
    if resumed > 0 {
        eprintln!("govtab: resuming: {} of {} already converted in {}", resumed, count(selected.len(), "input"), args.out.display());
    }

    let n = match args.jobs {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    };
    let n = n.min(jobs.len().max(1));
    let progress = progress_bar(selected.len() as u64, resumed as u64);
    let cancel = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Event>();
    let mut fatal: Option<anyhow::Error> = None;
    let started = Instant::now();
    let (mut pages, mut errors) = (0usize, 0usize);
    let worker_cfg = WorkerConfig {
        exe: std::env::current_exe().context("cannot locate the govtab binary to start workers")?,
        timeout: args.timeout,
        max_memory: args.max_memory,
        level3_vocab: args.vocab.level3_vocab.clone(),
    };

    std::thread::scope(|scope| {
        let (cancel, vocab, out, cfg) = (&cancel, &vocab, args.out.as_path(), &worker_cfg);
        let in_process = args.in_process;
        scope.spawn(move || {
            if in_process {
                pool::run_threads(n, vocab, jobs, out, tx, cancel);
            } else {
                pool::run_workers(cfg, n, jobs, out, tx, cancel);
            }
        });
        for event in rx {
            match event {
                Event::Done { key, pages: p, errors: e, .. } => {
                    if fatal.is_some() {
                        continue;
                    }
                    if let Err(err) = journal.record(&key) {
                        fatal = Some(err);
                        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                        continue;
                    }
                    pages += p;
                    errors += e;
                    let rate = pages as f64 / started.elapsed().as_secs_f64().max(1e-3);
                    progress.set_message(format!("{pages} pages, {rate:.0} pages/s, {errors} errors"));
                    progress.inc(1);
                }
                Event::Fatal(e) => {
                    if fatal.is_none() {
                        fatal = Some(e);
                    }
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    });
    progress.finish_and_clear();
    if let Some(e) = fatal {
        return Err(e);
    }
    drop(journal);

    // Every input is finished: build the tables from the parts, in order.
    let mut outputs = Outputs::create(&args.out)?;
    for ((_, input, _), key) in selected.iter().zip(&keys) {
        let part = batch::read_part(&args.out, key)?;
        if part.path != input.path().display().to_string() {
            anyhow::bail!("{} belongs to {}, not {}", batch::part_path(&args.out, key).display(), part.path, input.path().display());
        }
        outputs.append(&part)?;
    }
    let totals = outputs.finish()?;
    let entries: Vec<IndexEntry> = selected
        .iter()
        .zip(&keys)
        .map(|((pos, input, _), key)| IndexEntry { pos: *pos, key: key.clone(), path: input.path().display().to_string() })
        .collect();
    batch::write_index(&args.out, &IndexHeader { govtab_index: 1, shard: args.shard, total, list }, &entries)?;
    batch::prune_parts(&args.out, &keys.iter().map(String::as_str).collect::<HashSet<_>>());

    let elapsed = started.elapsed().as_secs_f64();
    if pages > 0 && elapsed > 0.0 {
        eprintln!("govtab: converted {pages} pages in {elapsed:.1}s ({:.0} pages/s)", pages as f64 / elapsed);
    }
    Ok(summarize(selected.len(), &totals, &args.out))
}

/// Check that every input is accounted for; print the summary; exit status.
pub fn summarize(inputs: usize, totals: &Totals, out: &Path) -> ExitCode {
    if let Err(bug) = check_accounting(inputs, totals) {
        eprintln!("govtab: BUG: {bug}; the outputs in {} may be incomplete, please report this", out.display());
        return ExitCode::from(EXIT_FATAL);
    }
    let with_errors = totals.partial + totals.failed;
    let see = if with_errors > 0 { format!("; see {}", out.join(crate::output::ERRORS).display()) } else { String::new() };
    eprintln!(
        "govtab: {} = {} converted + {} with errors ({} partial, {} failed){see}",
        count(totals.documents, "input"),
        totals.converted,
        with_errors,
        totals.partial,
        totals.failed,
    );
    eprintln!(
        "govtab: {}, {}, {}, {}, {}, {} → {}",
        count(totals.documents, "document"),
        count(totals.forms, "form"),
        count(totals.indicators, "indicator"),
        count(totals.repairs, "repair"),
        count(totals.flags, "flag"),
        count(totals.errors, "error"),
        out.display()
    );
    ExitCode::from(if totals.errors == 0 { EXIT_OK } else { EXIT_PARTIAL })
}

/// What makes a stored part reusable: the same govtab binary and the options
/// that change a document's output.
fn fingerprint(args: &RunArgs) -> Result<String> {
    let mut h = batch::Fnv::default();
    h.field(b"govtab").field(env!("CARGO_PKG_VERSION").as_bytes());
    if let Ok(exe) = std::env::current_exe() {
        if let Ok(m) = std::fs::metadata(&exe) {
            h.field(&m.len().to_le_bytes());
            if let Ok(d) = m.modified().map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default()) {
                h.field(&d.as_nanos().to_le_bytes());
            }
        }
    }
    h.field(&[u8::from(args.keep_artifacts)]);
    match &args.vocab.level3_vocab {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read 三级 vocabulary {}", p.display()))?;
            h.field(&bytes);
        }
        None => {
            h.field(b"-");
        }
    }
    Ok(format!("{:016x}", h.finish()))
}

/// Two inputs with the same key (a hash collision): the later ones get a
/// suffix, deterministically.
fn disambiguate(keys: &mut [String]) {
    let mut seen = HashSet::new();
    for key in keys.iter_mut() {
        let mut n = 1u64;
        let base = key.clone();
        while !seen.insert(key.clone()) {
            n += 1;
            *key = format!("{:016x}", batch::Fnv::default().field(base.as_bytes()).field(&n.to_le_bytes()).finish());
        }
    }
}

/// `1 form`, `2 forms`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Every input is written exactly once and is converted, partial or failed.
fn check_accounting(inputs: usize, t: &Totals) -> Result<(), String> {
    if t.documents != inputs {
        return Err(format!("{inputs} inputs but {} written", t.documents));
    }
    if t.converted + t.partial + t.failed != inputs {
        return Err(format!(
            "{inputs} inputs but {} converted + {} partial + {} failed",
            t.converted, t.partial, t.failed
        ));
    }
    if t.failed > t.errors {
        return Err(format!("{} failed inputs but only {} error rows", t.failed, t.errors));
    }
    Ok(())
}

fn progress_bar(total: u64, done: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} documents, {msg}, ETA {eta} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.set_position(done);
    bar.reset_eta();
    bar.set_message("0 pages, 0 errors");
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounting_catches_lost_and_double_counted_inputs() {
        let t = Totals { documents: 3, converted: 1, partial: 1, failed: 1, errors: 2, ..Totals::default() };
        assert_eq!(check_accounting(3, &t), Ok(()));
        assert!(check_accounting(4, &t).is_err());
        assert!(check_accounting(3, &Totals { converted: 2, ..t.clone() }).is_err());
        assert!(check_accounting(3, &Totals { errors: 0, ..t }).is_err());
        assert_eq!(count(1, "form"), "1 form");
        assert_eq!(count(0, "form"), "0 forms");
    }

    #[test]
    fn colliding_keys_are_made_distinct() {
        let mut keys = vec!["a".to_string(), "b".to_string(), "a".to_string()];
        disambiguate(&mut keys);
        assert_eq!(&keys[..2], ["a", "b"]);
        assert_ne!(keys[2], "a");
    }
}
