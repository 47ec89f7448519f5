//! Pages per second on a set of PDFs, stock pdf-extract vs govtab's extract.
//!
//!     cargo run --release -p govtab-extract --example pdfspeed -- [--rounds N] FILE.pdf...
//!
//! - `stock`: `lopdf::Document::load_mem` + `pdf_extract::output_doc` with an
//!   OutputDev that only counts glyphs — what a caller of pdf-extract pays
//!   before any layout (fonts rebuilt per page, images parsed as content).
//! - `govtab`: `govtab_extract::extract_bytes`, the whole extract stage
//!   (load, survey and rewrite, pdf-extract with the cut ToUnicode maps,
//!   layout, repairs).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

struct Count(usize);

impl OutputDev for Count {
    fn begin_page(&mut self, _: u32, _: &MediaBox, _: Option<(f64, f64, f64, f64)>) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(&mut self, _: &Transform, _: f64, _: f64, _: f64, _: &str) -> Result<(), OutputError> {
        self.0 += 1;
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

fn main() {
    let mut rounds = 3;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--rounds" {
            rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(3);
        } else {
            files.push(a.into());
        }
    }
    if files.is_empty() {
        eprintln!("usage: pdfspeed [--rounds N] FILE.pdf...");
        std::process::exit(2);
    }
    let inputs: Vec<(PathBuf, Vec<u8>)> = files.into_iter().map(|p| {
        let b = std::fs::read(&p).expect("read");
        (p, b)
    }).collect();
    let pages: usize = inputs.iter().map(|(_, b)| lopdf::Document::load_mem(b).map(|d| d.get_pages().len()).unwrap_or(0)).sum();

    let mut stock = Duration::ZERO;
    let mut stock_glyphs = 0;
    let mut stock_failed = 0;
    let mut ours = Duration::ZERO;
    let mut ours_lines = 0;
    for _ in 0..rounds {
        for (_, bytes) in &inputs {
            let t = Instant::now();
            let r = std::panic::catch_unwind(|| {
                let doc = pdf_extract::Document::load_mem(bytes).ok()?;
                let mut c = Count(0);
                pdf_extract::output_doc(&doc, &mut c).ok()?;
                Some(c.0)
            });
            stock += t.elapsed();
            match r {
                Ok(Some(n)) => stock_glyphs += n,
                _ => stock_failed += 1,
            }
        }
        for (path, bytes) in &inputs {
            let t = Instant::now();
            let r = govtab_extract::extract_bytes(path, bytes);
            ours += t.elapsed();
            if let Ok(doc) = r {
                ours_lines += doc.pages.iter().map(|p| p.lines.len()).sum::<usize>();
            }
        }
    }
    let n = (pages * rounds) as f64;
    println!("{} files, {} pages, {} rounds", inputs.len(), pages, rounds);
    println!(
        "stock pdf-extract: {:8.1} pages/s  ({:.1} ms/page, {} glyphs/round{})",
        n / stock.as_secs_f64(),
        1000.0 * stock.as_secs_f64() / n,
        stock_glyphs / rounds.max(1),
        if stock_failed > 0 { format!(", {} failed", stock_failed) } else { String::new() }
    );
    println!(
        "govtab extract:    {:8.1} pages/s  ({:.1} ms/page, {} lines/round)",
        n / ours.as_secs_f64(),
        1000.0 * ours.as_secs_f64() / n,
        ours_lines / rounds.max(1)
    );
}
