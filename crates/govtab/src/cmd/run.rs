//! `govtab run`: convert many documents in parallel, write the tables in
//! input order.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use anyhow::{Context, Result};
use govtab_model::Vocabulary;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::cli::{RunArgs, EXIT_FATAL, EXIT_OK, EXIT_PARTIAL};
use crate::inputs::{self, Input};
use crate::output::{Outputs, Totals};
use crate::pipeline::{self, DocReport, StageName, Start, Trace};

pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let vocab = args.vocab.load()?;
    // Output files first: an unwritable DIR fails before any work is done.
    let mut outputs = Outputs::create(&args.out)?;
    let artifacts_root = args.out.join("artifacts");
    if args.keep_artifacts {
        std::fs::create_dir_all(&artifacts_root)
            .with_context(|| format!("cannot create artifact directory {}", artifacts_root.display()))?;
    }

    let found = inputs::collect(&args.inputs, Some(&args.out));
    if !found.skipped_data.is_empty() {
        eprintln!(
            "govtab: skipped {} (.json, .jsonl, .csv) in input directories, e.g. {}; name a file to convert it",
            count(found.skipped_data.len(), "data file"),
            found.skipped_data[0].display()
        );
    }
    if found.duplicates > 0 {
        eprintln!("govtab: {} input(s) named more than once, converted once", found.duplicates);
    }
    let inputs = found.inputs;
    if inputs.is_empty() {
        eprintln!("govtab: warning: no input files found");
    }
    let artifact_dirs = inputs::artifact_dirs(&inputs);

    let jobs = match args.jobs {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    };
    // Worker threads get the main thread's usual stack size: a deep recursion
    // in a stage should not overflow on a worker where it would not in
    // `govtab stage`/`explain` (an overflow aborts the process, no guard helps).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(8 << 20)
        .build()
        .context("cannot start worker threads")?;

    let progress = progress_bar(inputs.len() as u64);
    let cancel = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Result<DocReport>)>();
    let mut fatal: Option<anyhow::Error> = None;
    let mut written = 0usize;

    std::thread::scope(|scope| {
        let (inputs, vocab, cancel, artifact_dirs) = (&inputs, &vocab, &cancel, &artifact_dirs);
        let artifacts_root = args.keep_artifacts.then_some(artifacts_root.as_path());
        scope.spawn(move || {
            pool.install(|| {
                inputs.par_iter().enumerate().for_each_with(tx, |tx, (i, input)| {
                    if cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let artifacts = artifacts_root.map(|root| root.join(&artifact_dirs[i]));
                    let report = convert(input, vocab, artifacts.as_deref());
                    // Sending fails only once the writer is gone; nothing to do then.
                    let _ = tx.send((i, report));
                });
            });
        });

        // Write in input order, whatever order the workers finish in.
        let mut pending = BTreeMap::new();
        for (i, report) in rx {
            pending.insert(i, report);
            while let Some(report) = pending.remove(&written) {
                written += 1;
                if fatal.is_some() {
                    continue;
                }
                let result = report.and_then(|r| outputs.write_doc(&r));
                if let Err(e) = result {
                    fatal = Some(e);
                    cancel.store(true, Ordering::Relaxed);
                }
                progress.set_message(format!("{} errors", outputs.totals.errors));
                progress.inc(1);
            }
        }
    });
    progress.finish_and_clear();
    if let Some(e) = fatal {
        return Err(e);
    }
    let totals = outputs.finish()?;

    if let Err(bug) = check_accounting(inputs.len(), written, &totals) {
        eprintln!("govtab: BUG: {bug}; the outputs in {} may be incomplete, please report this", args.out.display());
        return Ok(ExitCode::from(EXIT_FATAL));
    }
    let with_errors = totals.partial + totals.failed;
    let see = if with_errors > 0 { format!("; see {}", args.out.join(crate::output::ERRORS).display()) } else { String::new() };
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
        args.out.display()
    );
    Ok(ExitCode::from(if totals.errors == 0 { EXIT_OK } else { EXIT_PARTIAL }))
}

/// `1 form`, `2 forms`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Every input is written exactly once and is converted, partial or failed.
fn check_accounting(inputs: usize, written: usize, t: &Totals) -> Result<(), String> {
    if written != inputs || t.documents != inputs {
        return Err(format!("{inputs} inputs but {written} reported and {} written", t.documents));
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

fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} documents, {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.set_message("0 errors");
    bar
}

/// Convert one input; with `artifacts`, also write its stage artifacts there.
/// Errors are only for the artifacts (fatal); everything about the document
/// itself is in the report.
fn convert(input: &Input, vocab: &Vocabulary, artifacts: Option<&Path>) -> Result<DocReport> {
    let path = match input {
        Input::File(path) => path,
        Input::Unreadable { path, reason } => return Ok(DocReport::unreadable(path, "input", reason.clone())),
    };
    let (mut trace, result) = pipeline::process(Start::Input(path.clone()), vocab, artifacts.is_some(), None);
    if let Some(dir) = artifacts {
        write_artifacts(dir, &trace)?;
    }
    Ok(DocReport::from_trace(path, &mut trace, &result))
}

/// Write the stage artifacts a trace holds; remove stale ones a previous run
/// left for stages that did not run this time.
fn write_artifacts(dir: &Path, trace: &Trace) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for stage in StageName::ALL {
        let file = dir.join(stage.artifact_file());
        match trace.artifact_json(stage) {
            Some(json) => {
                let json = json.with_context(|| format!("cannot serialize {}", file.display()))?;
                std::fs::write(&file, json).with_context(|| format!("cannot write {}", file.display()))?;
            }
            None => match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot remove stale {}", file.display())),
            },
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounting_catches_lost_and_double_counted_inputs() {
        let t = Totals { documents: 3, converted: 1, partial: 1, failed: 1, errors: 2, ..Totals::default() };
        assert_eq!(check_accounting(3, 3, &t), Ok(()));
        assert!(check_accounting(4, 3, &t).is_err());
        assert!(check_accounting(3, 3, &Totals { converted: 2, ..t.clone() }).is_err());
        assert!(check_accounting(3, 3, &Totals { errors: 0, ..t }).is_err());
        assert_eq!(count(1, "form"), "1 form");
        assert_eq!(count(0, "form"), "0 forms");
    }
}
