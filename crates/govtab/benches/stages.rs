//! Criterion benches of the four stages on the samples (`make bench`):
//! extract (text dumps and the digital / scanned sample PDFs), realign,
//! match, assemble, and the whole pipeline per seed.
//!
//!     cargo bench -p govtab --bench stages
//!
//! Inputs are read once; each bench times one stage on the previous stage's
//! output, so the figures add up to a document's cost.

use std::path::{Path, PathBuf};

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use govtab_model::Vocabulary;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

fn files(dir: &str, ext: &str) -> Vec<(String, PathBuf, Vec<u8>)> {
    let mut out: Vec<(String, PathBuf, Vec<u8>)> = std::fs::read_dir(samples().join(dir))
        .map(|rd| rd.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            Some((p.file_name()?.to_string_lossy().into_owned(), p, bytes))
        })
        .collect();
    out.sort();
    out
}

fn stages(c: &mut Criterion) {
    let vocab = Vocabulary::builtin();
    let seeds = files("seeds", "txt");
    let pdfs: Vec<_> = files("pdf", "pdf").into_iter().filter(|(n, _, _)| n.starts_with("004-p1")).collect();

    let mut g = c.benchmark_group("extract");
    for (name, path, bytes) in seeds.iter().chain(&pdfs) {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name.as_str(), |b| b.iter(|| black_box(govtab_extract::extract_bytes(path, bytes).ok())));
    }
    g.finish();

    // The later stages on the seeds and the digital PDF page.
    let docs: Vec<(String, govtab_model::Document)> = seeds
        .iter()
        .chain(pdfs.iter().filter(|(n, _, _)| n.contains("digital")))
        .filter_map(|(name, path, bytes)| Some((name.clone(), govtab_extract::extract_bytes(path, bytes).ok()?)))
        .collect();
    let mut g = c.benchmark_group("realign");
    for (name, doc) in &docs {
        g.bench_function(name.as_str(), |b| b.iter(|| black_box(govtab_realign::realign(doc, &vocab))));
    }
    g.finish();
    let realigned: Vec<_> = docs.iter().map(|(n, d)| (n.clone(), govtab_realign::realign(d, &vocab))).collect();
    let mut g = c.benchmark_group("match");
    for (name, set) in &realigned {
        g.bench_function(name.as_str(), |b| {
            b.iter_batched(|| set.clone(), |s| black_box(govtab_match::match_forms(s, &vocab)), BatchSize::SmallInput)
        });
    }
    g.finish();
    let matched: Vec<_> = realigned.iter().map(|(n, s)| (n.clone(), govtab_match::match_forms(s.clone(), &vocab))).collect();
    let mut g = c.benchmark_group("assemble");
    for (name, set) in &matched {
        g.bench_function(name.as_str(), |b| b.iter(|| black_box(govtab_assemble::assemble(set, &vocab))));
    }
    g.finish();

    let mut g = c.benchmark_group("pipeline");
    for (name, path, bytes) in &seeds {
        g.bench_function(name.as_str(), |b| {
            b.iter(|| {
                let doc = govtab_extract::extract_bytes(path, bytes).ok()?;
                let set = govtab_realign::realign(&doc, &vocab);
                let set = govtab_match::match_forms(set, &vocab);
                Some(black_box(govtab_assemble::assemble(&set, &vocab)))
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = stages
}
criterion_main!(benches);
