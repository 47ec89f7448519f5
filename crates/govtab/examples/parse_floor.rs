//! The PDF parse floor: what any PDF reader pays before reading a glyph —
//! load the file with lopdf and inflate every stream. `make bench` compares
//! govtab's pages/s with this.
//!
//!     cargo run --release -p govtab --example parse_floor -- [--jobs N] FILE.pdf...
//!     cargo run --release -p govtab --example parse_floor -- [--jobs N] --list FILES.txt
//!
//! Prints one line: `files=F pages=P seconds=S pages_per_s=R`. Files are
//! shared among N threads (default 1); unreadable files count 0 pages.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn main() {
    let mut jobs = 1usize;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--jobs" => jobs = args.next().and_then(|n| n.parse().ok()).unwrap_or(1).max(1),
            "--list" => {
                let list = args.next().unwrap_or_default();
                let text = std::fs::read_to_string(&list).unwrap_or_else(|e| {
                    eprintln!("parse_floor: cannot read {list}: {e}");
                    std::process::exit(2)
                });
                files.extend(text.lines().filter(|l| !l.trim().is_empty()).map(PathBuf::from));
            }
            _ => files.push(a.into()),
        }
    }
    if files.is_empty() {
        eprintln!("usage: parse_floor [--jobs N] (FILE.pdf... | --list FILES.txt)");
        std::process::exit(2);
    }
    let next = AtomicUsize::new(0);
    let pages = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let Ok(bytes) = std::fs::read(path) else { continue };
                let Ok(mut doc) = lopdf::Document::load_mem(&bytes) else { continue };
                let n = doc.get_pages().len();
                // Inflate every stream (what decompress() does, kept alive).
                let mut inflated = 0usize;
                for obj in doc.objects.values_mut() {
                    if let Ok(stream) = obj.as_stream_mut() {
                        if let Ok(data) = stream.decompressed_content() {
                            inflated += data.len();
                        }
                    }
                }
                std::hint::black_box(inflated);
                pages.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let p = pages.load(Ordering::Relaxed);
    println!("files={} pages={p} seconds={secs:.3} pages_per_s={:.1}", files.len(), p as f64 / secs.max(1e-9));
}
