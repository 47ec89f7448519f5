//! Print what extract makes of a file: one line per `Line`, cells joined by
//! TAB, pages separated by a blank line and `=== page N ===`; problems and
//! repairs at the end (on stderr).
//!
//!     cargo run -p govtab-extract --example dump -- file.pdf [--cols]
//!
//! A newline inside a cell (a paragraph break) is printed as `\n`.
//! `--cols` prefixes each line with its y and each cell with its x0.

use std::io::Write;
use std::path::PathBuf;

fn main() {
    let mut files = Vec::new();
    let mut cols = false;
    for a in std::env::args().skip(1) {
        if a == "--cols" {
            cols = true;
        } else {
            files.push(PathBuf::from(a));
        }
    }
    if files.is_empty() {
        eprintln!("usage: dump FILE... [--cols]");
        std::process::exit(2);
    }
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in files {
        match govtab_extract::extract_path(&path) {
            Ok(doc) => {
                if print(&mut out, &doc, cols).is_err() {
                    return; // closed pipe (`| head`)
                }
                for p in &doc.problems {
                    eprintln!("problem: page {:?} [{}] {}", p.page, p.stage, p.message);
                }
                for r in &doc.repairs {
                    eprintln!("repair: {} ({:?} -> {:?})", r.reason, r.before, r.after);
                }
            }
            Err(e) => {
                eprintln!("{}: error: {e}", path.display());
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

fn print(out: &mut impl Write, doc: &govtab_model::Document, cols: bool) -> std::io::Result<()> {
    for (i, page) in doc.pages.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "=== page {} ===", page.number)?;
        for line in &page.lines {
            if cols {
                let cells: Vec<String> = line
                    .cells
                    .iter()
                    .map(|c| {
                        // a number read from the picture: `text{picture: …, OCR layer: …}`
                        let seen = match (&c.pictured, &c.ocr_text) {
                            (Some(p), Some(o)) => format!("{{picture: {p}, OCR layer: {o}}}"),
                            (Some(p), None) => format!("{{picture: {p}}}"),
                            _ => String::new(),
                        };
                        format!("[{:.0}]{}{seen}", c.bbox.map(|b| b.x0).unwrap_or(-1.0), c.text.replace('\n', "\\n"))
                    })
                    .collect();
                writeln!(out, "{:6.1} {}", line.y.unwrap_or(0.0), cells.join("\t"))?;
            } else {
                writeln!(out, "{}", line.joined().replace('\n', "\\n"))?;
            }
        }
    }
    out.flush()
}
