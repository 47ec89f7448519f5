//! Stage 1, **extract**: an input file → [`Document`] (pages → lines → cells,
//! each cell with its provenance).
//!
//! In: the bytes of a text dump (`.txt`, any other non-PDF) or a PDF.
//! Out: a [`Document`]; problems that cost the whole file are an
//! [`ExtractError`], problems that cost a page are [`govtab_model::Problem`]s.
//!
//! Damage handled here: unknown text encodings (UTF-8 with or without BOM,
//! UTF-16 with BOM, GBK/GB18030 — decoded, never rejected), binary files and
//! empty files (rejected with a reason), CRLF line ends, cells separated by
//! tabs or by runs of spaces. Cell *meaning* is left to `realign`.

mod pdf;
mod text;

use std::path::Path;

use govtab_model::{Document, Stage};

pub use text::{decode_text, extract_text, split_cells};

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    #[error("empty file")]
    Empty,
    #[error("binary file (not text, not PDF): {0}")]
    Binary(String),
    #[error("PDF: {0}")]
    Pdf(String),
}

/// Is this input a PDF (by content, whatever its name)?
pub fn is_pdf(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    head.windows(5).any(|w| w == b"%PDF-")
}

/// Base name of a path, with extension.
pub fn doc_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// Extract a document from bytes already read.
pub fn extract_bytes(path: &Path, bytes: &[u8]) -> Result<Document, ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    let name = doc_name(path);
    if is_pdf(bytes) || has_pdf_extension(path) {
        return extract_pdf(&name, path, bytes);
    }
    extract_text(&name, &path.display().to_string(), bytes)
}

fn has_pdf_extension(path: &Path) -> bool {
    path.extension().map(|e| e.eq_ignore_ascii_case("pdf")).unwrap_or(false)
}

/// PDF input (see `pdf/mod.rs`); a file named .pdf that is not one is refused.
fn extract_pdf(name: &str, path: &Path, bytes: &[u8]) -> Result<Document, ExtractError> {
    if !is_pdf(bytes) {
        return Err(ExtractError::Pdf("named .pdf but has no %PDF- header".into()));
    }
    pdf::extract(name, path, bytes)
}

/// Read and extract one input file.
pub fn extract_path(path: &Path) -> Result<Document, ExtractError> {
    let bytes = std::fs::read(path)?;
    extract_bytes(path, &bytes)
}

/// The extract stage as a [`Stage`]: path in, document out.
pub struct Extract;

impl Stage for Extract {
    type Input = std::path::PathBuf;
    type Output = Result<Document, ExtractError>;
    const NAME: &'static str = "extract";
    fn run(&self, input: Self::Input) -> Self::Output {
        extract_path(&input)
    }
}
