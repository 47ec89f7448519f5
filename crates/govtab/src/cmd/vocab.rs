//! `govtab vocab build INPUT... --out FILE`: the 三级指标 names of a dump.

use std::process::ExitCode;

use anyhow::{Context, Result};
use govtab_model::{Record, Vocabulary};
use rayon::prelude::*;

use crate::cli::{VocabBuildArgs, VocabCmd, VocabCommand, EXIT_OK};
use crate::inputs::{self, Input};
use crate::pipeline::{self, Start};

pub fn vocab(args: &VocabCmd) -> Result<ExitCode> {
    match &args.command {
        VocabCommand::Build(b) => build(b),
    }
}

/// 三级 names of a record whose cell, row and form carry no flag.
pub fn clean_level3(r: &Record) -> Vec<String> {
    if r.flags.iter().any(|f| f.field == "*") {
        return Vec::new();
    }
    r.indicators
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let row = format!("indicators[{i}]");
            let cell = format!("indicators[{i}].level3");
            !r.flags.iter().any(|f| f.field == row || f.field == cell)
        })
        .filter_map(|(_, ind)| ind.level3.clone())
        .collect()
}

fn build(args: &VocabBuildArgs) -> Result<ExitCode> {
    let vocab = Vocabulary::builtin();
    let found = inputs::collect(&args.inputs, None);
    let jobs = args.jobs.map(usize::from).unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build().context("cannot start worker threads")?;
    let per_doc: Vec<Vec<String>> = pool.install(|| {
        found
            .inputs
            .par_iter()
            .map(|input| match input {
                Input::File(path) => {
                    let (trace, _) = pipeline::process(Start::Input(path.clone()), &vocab, false, None);
                    trace.records.map(|rs| rs.records.iter().flat_map(clean_level3).collect()).unwrap_or_default()
                }
                Input::Unreadable { .. } => Vec::new(),
            })
            .collect()
    });
    let names: Vec<&str> = per_doc.iter().flatten().map(String::as_str).collect();
    let text = govtab_match::level3::vocab_text(names.iter().copied());
    std::fs::write(&args.out, &text).with_context(|| format!("cannot write {}", args.out.display()))?;
    let distinct = text.lines().filter(|l| !l.starts_with('#')).count();
    eprintln!("govtab: {} documents, {} 三级 names ({distinct} distinct) → {}", found.inputs.len(), names.len(), args.out.display());
    Ok(ExitCode::from(EXIT_OK))
}
