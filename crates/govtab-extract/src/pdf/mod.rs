//! PDF input: digital PDFs and OCR'd scans → pages of positioned lines.
//!
//! Pipeline per document:
//! 1. [`prepare`] (lopdf): open, refuse encrypted/corrupt files with a reason,
//!    survey each page (text-showing operators, images, OCR layer), drop
//!    image drawing and cut oversized ToUnicode maps to the codes used.
//! 2. [`collect`] (pdf-extract `OutputDev`): every glyph with position and
//!    size, every thin filled/stroked path as a rule, page by page. The
//!    pages go through one `pdf_extract::DocPages` (our patch, see
//!    `vendor/pdf-extract/GOVTAB.md`), so each font is built once per
//!    document, and a page's operations decoded by [`prepare`] are not
//!    decoded again.
//! 3. [`raster`] (OCR'd scans only, which draw no rules): the table rules
//!    are read from the page picture (decoded at ~100–200 dpi, deskewed, by
//!    local contrast; strokes inside OCR'd glyphs dropped), and
//!    the glyphs turned upright with them.
//! 4. [`layout`]: ruled tables → one line per row (merged cells once, in their
//!    top row; on a scan, rules it lost between rows put back where the text
//!    shows two rows); other text → lines by baseline, cells by wide gaps.
//! 5. The picture read again (OCR'd scans whose rules came from it), each
//!    reader taught by the document's own legible cells; a clear reading
//!    that differs from the layer replaces it (`Cell::ocr_text` keeps the
//!    layer's text, `Cell::pictured` the reading; realign logs the repair
//!    on the field):
//!    - [`digits`]: numbers, glyph by glyph, in the cells the layer holds
//!      no ideograph in;
//!    - [`prints`]: a cell the layer lost or garbled that is the same print
//!      as a cell it read cleanly;
//!    - [`glyphs`]: ideographs, glyph by glyph on the type's fixed pitch
//!      (a misread glyph put right; a lost cell read as a text the
//!      document prints legibly elsewhere).
//! 6. [`repair`]: radicals/compatibility ideographs, OCR spaces between CJK,
//!    full-width ASCII, page headers/footers — each kind logged once with a
//!    count.
//!
//! pdf-extract panics on some malformed files; every call into the parsers
//! runs under `catch_unwind` and a panic costs the document
//! ([`ExtractError::Pdf`]), never the batch.

mod cmap;
mod collect;
mod digits;
mod glyphs;
mod layout;
mod prepare;
mod prints;
mod raster;
mod repair;
#[cfg(test)]
mod tests;

use std::cell::Cell as StdCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Once;

use govtab_model::{Cell, Document, Line, LineLayout, Page, Problem, SourceKind};

use crate::ExtractError;

/// Extract a PDF held in memory.
pub(crate) fn extract(name: &str, path: &Path, bytes: &[u8]) -> Result<Document, ExtractError> {
    let doc = guard("load", || prepare::load(bytes))?.map_err(ExtractError::Pdf)?;
    let prepare::Prepared { doc, pages: infos, ops, .. } = guard("prepare", || prepare::prepare(doc))?;
    let mut pages = Vec::with_capacity(infos.len());
    let mut problems = Vec::new();
    let mut tally = repair::Tally::default();
    // One font cache for the whole document (stock pdf-extract's is per page).
    let mut reader = pdf_extract::DocPages::new(&doc);
    // Scanned number cells' ink (page, line, cell), read once the whole
    // document has taught its digits.
    let mut inks: Vec<(usize, usize, usize, digits::CellInk)> = Vec::new();
    // Every scanned table cell's print (page, line, cell), matched once
    // the whole document is read.
    let mut cell_prints: Vec<(usize, usize, usize, prints::Print)> = Vec::new();
    // A page's operations are dropped once it is read (while in cache).
    for (info, ops) in infos.iter().zip(ops) {
        let n = info.number;
        let mut page = Page { number: n, has_text: false, ocr: false, width: info.width, height: info.height, lines: Vec::new() };
        let problem = |message: String| Problem { page: Some(n), stage: "extract".into(), message };
        if let Some(e) = &info.error {
            problems.push(problem(e.clone()));
            pages.push(page);
            continue;
        }
        if info.text_ops == 0 {
            if info.images > 0 {
                problems.push(problem("no text layer (OCR needed)".into()));
            }
            pages.push(page);
            continue;
        }
        let mut dev = collect::Collector::new();
        let run = guard(&format!("page {n}"), || match &ops {
            Some(ops) => reader.output_page_ops(&mut dev, n, ops),
            None => reader.output_page(&mut dev, n),
        })?;
        drop(ops);
        if let Err(e) = run {
            problems.push(problem(format!("cannot read page: {e}")));
            pages.push(page);
            continue;
        }
        let mut ink = dev.page;
        let shown = ink.glyphs.iter().filter(|g| !g.is_space()).count();
        if shown == 0 {
            let message = if ink.unmapped > 0 {
                format!("text layer has no Unicode mapping ({} glyphs; OCR needed)", ink.unmapped)
            } else {
                "no text layer (OCR needed)".to_string()
            };
            problems.push(problem(message));
            pages.push(page);
            continue;
        }
        if ink.unmapped * 10 > shown + ink.unmapped {
            problems.push(problem(format!("{} of {} glyphs have no Unicode mapping (text lost)", ink.unmapped, shown + ink.unmapped)));
        }
        page.has_text = true;
        if page.width.is_none() && ink.width > 0.0 {
            page.width = Some(ink.width);
            page.height = Some(ink.height);
        }
        let height = page.height.unwrap_or(ink.height);
        let ocr = info.is_ocr();
        page.ocr = ocr;
        let scan = if ocr && ink.rules.is_empty() { scan_rules(&doc, info, &mut ink) } else { None };
        let mut no = 0;
        for out in layout::layout(&ink, layout::LayoutOptions { ocr }) {
            let cells: Vec<Cell> = out
                .cells
                .iter()
                .enumerate()
                .map(|(i, c)| Cell { text: repair::repair_text(&c.text, ocr, &mut tally), col: i as u32, bbox: Some(c.bbox), font_size: c.font_size, pictured: None, ocr_text: None })
                .collect();
            if !out.in_table && height > 0.0 && (out.y > 0.9 * height || out.y < 0.1 * height) {
                let joined = cells.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(" ");
                if repair::is_page_marker(&joined) {
                    tally.note(repair::Kind::HeaderFooter, 1, &joined, "");
                    continue;
                }
            }
            if cells.iter().all(|c| c.text.is_empty()) {
                continue;
            }
            no += 1;
            if let (Some(scan), true) = (&scan, out.in_table) {
                let pic = digits::Picture { px: &scan.upright.px, w: scan.upright.w, h: scan.upright.h, ink: scan.ink, paper: scan.paper, sx: scan.frame.sx, sy: scan.frame.sy, page_h: scan.frame.page_h };
                for ((k, c), o) in cells.iter().enumerate().zip(&out.cells) {
                    // the cell's ink, cut once for both readers
                    let Some(crop) = c.bbox.and_then(|b| digits::crop(&pic, b)) else { continue };
                    // (a row's part of a merged cell shows a piece of its
                    // label, no print of its own)
                    if !o.continued {
                        if let Some(p) = prints::print(&crop, pic.sy) {
                            cell_prints.push((pages.len(), page.lines.len(), k, p));
                        }
                    }
                    if maybe_number(&c.text) {
                        if let Some(cell_ink) = digits::segment(crop) {
                            inks.push((pages.len(), page.lines.len(), k, cell_ink));
                        }
                    }
                }
            }
            page.lines.push(Line { no, layout: LineLayout::Positioned, cells, y: Some(out.y) });
        }
        pages.push(page);
    }
    read_pictured(&mut pages, &inks, &mut tally);
    read_same_prints(&mut pages, &cell_prints, &mut tally);
    read_glyphs(&mut pages, &cell_prints, &mut tally);
    Ok(Document {
        doc: name.to_string(),
        path: path.display().to_string(),
        source: SourceKind::Pdf,
        encoding: None,
        pages,
        problems,
        repairs: tally.repairs(),
    })
}

/// An OCR'd scan draws no rules: find them in its page picture, and turn
/// the glyphs upright with them. The scan (with its upright picture) is
/// kept for reading number cells.
fn scan_rules(doc: &lopdf::Document, info: &prepare::PageInfo, ink: &mut collect::PageInk) -> Option<raster::Scan> {
    let (Some((id, iw, ih)), Some(w), Some(h)) = (info.scan_image, info.width, info.height) else { return None };
    // Only a picture of the whole page (same proportions) maps to it.
    if iw == 0 || ih == 0 || ((iw as f32 / ih as f32) / (w / h) - 1.0).abs() > 0.03 {
        return None;
    }
    let img = raster::decode(doc, id)?;
    let mut scan = raster::scan(&img, w, h)?;
    scan.frame.glyphs(&mut ink.glyphs);
    raster::drop_text_strokes(&mut scan.rules, &ink.glyphs);
    ink.rules = std::mem::take(&mut scan.rules);
    Some(scan)
}

/// Could the OCR text of a cell be a number, misread or not: no ideograph
/// in it, and short.
fn maybe_number(text: &str) -> bool {
    text.chars().count() <= 24 && !text.chars().any(repair::is_cjk)
}

/// Read the scanned cells that are the same print as cells the OCR layer
/// read cleanly, as those read (see [`prints`]).
fn read_same_prints(pages: &mut [Page], cells: &[(usize, usize, usize, prints::Print)], tally: &mut repair::Tally) {
    if cells.len() < 2 {
        return;
    }
    let texts: Vec<String> = cells.iter().map(|(p, l, c, _)| pages[*p].lines[*l].cells[*c].text.clone()).collect();
    let inputs: Vec<(&prints::Print, &str)> = cells.iter().zip(&texts).map(|((_, _, _, p), t)| (p, t.as_str())).collect();
    for ((p, l, c, _), read) in cells.iter().zip(prints::readings(&inputs)) {
        let Some(read) = read else { continue };
        let cell = &mut pages[*p].lines[*l].cells[*c];
        let layer: String = cell.text.split_whitespace().collect();
        if layer != read {
            take_reading(cell, read, repair::Kind::SamePrint, tally);
        }
    }
}

/// Read the ideographs of scanned single-line cells glyph by glyph, with
/// shapes the document's own legible cells teach (see [`glyphs`]).
fn read_glyphs(pages: &mut [Page], cells: &[(usize, usize, usize, prints::Print)], tally: &mut repair::Tally) {
    if cells.is_empty() {
        return;
    }
    let texts: Vec<String> = cells.iter().map(|(p, l, c, _)| pages[*p].lines[*l].cells[*c].text.clone()).collect();
    let reader = glyphs::Reader::learn(cells.iter().zip(&texts).map(|((_, _, _, p), t)| (&p.ink, t.as_str())));
    for ((p, l, c, print), text) in cells.iter().zip(&texts) {
        let Some(read) = reader.read(&print.ink, text) else { continue };
        take_reading(&mut pages[*p].lines[*l].cells[*c], read, repair::Kind::Glyphs, tally);
    }
}

/// A picture's reading replaces the cell's text; the OCR layer's text is
/// kept (the first reader's `before`, when two read the cell), and the
/// change counted.
fn take_reading(cell: &mut Cell, read: String, kind: repair::Kind, tally: &mut repair::Tally) {
    tally.note(kind, 1, &cell.text, &read);
    let layer = std::mem::replace(&mut cell.text, read.clone());
    cell.ocr_text.get_or_insert(layer);
    cell.pictured = Some(read);
}

/// The same number written two ways ("30.0" and "30.00"), '%' alike.
fn same_number(a: &str, b: &str) -> bool {
    let value = |s: &str| s.strip_suffix('%').unwrap_or(s).replace(',', "").parse::<f64>().ok();
    a == b || (a.ends_with('%') == b.ends_with('%') && value(a).is_some_and(|x| value(b) == Some(x)))
}

/// Read the scanned number cells from their pictures, with digit shapes
/// the document's own cleanly read numbers teach (see [`digits`]).
fn read_pictured(pages: &mut [Page], inks: &[(usize, usize, usize, digits::CellInk)], tally: &mut repair::Tally) {
    if inks.is_empty() {
        return;
    }
    let templates = digits::Templates::learn(inks.iter().map(|(p, l, c, ink)| (ink, pages[*p].lines[*l].cells[*c].text.as_str())));
    for (p, l, c, ink) in inks {
        let Some(read) = templates.read(ink) else { continue };
        let cell = &mut pages[*p].lines[*l].cells[*c];
        let layer: String = cell.text.chars().filter(|c| !c.is_whitespace()).collect();
        if same_number(&layer, &read) {
            cell.pictured = Some(read);
        } else {
            take_reading(cell, read, repair::Kind::Pictured, tally);
        }
    }
}

thread_local! {
    static QUIET: StdCell<bool> = const { StdCell::new(false) };
}

/// Run `f`, turning a panic into [`ExtractError::Pdf`]. While it runs the
/// panic message is not printed (the error carries it); other threads'
/// panics are reported as before.
fn guard<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, ExtractError> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                prev(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    r.map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        ExtractError::Pdf(format!("parser panic ({what}): {msg}"))
    })
}
