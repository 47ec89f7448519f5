//! Cells printed alike: a scanned cell whose picture is the same print as
//! a cell the OCR layer read cleanly, read as that one was.
//!
//! A form repeats its words: a target and its result (合理 / 合理, 90% /
//! 90%), the same value down a column, the same label on the document's
//! other forms. Where the OCR layer lost or garbled one copy, the picture
//! still shows the same ink as the copies it read. Each scanned table
//! cell's ink (rule remnants and specks dropped; a cell with too little ink
//! left, [`MIN_INK`], has none) is cut to its bounding box and sampled onto
//! a grid [`ROWS`] high, as wide as its proportions make it ([`Print`]);
//! prints of about the same size are compared grid to grid.
//!
//! A cell whose OCR text is not clean (Latin letters, specks, nothing) is
//! read as the clean text whose nearest print is nearer than
//! [`SAME_PRINT`], and nearer by [`MARGIN`] than any print that reads
//! otherwise (二级 and 三级 differ by one stroke: with both in the document,
//! neither is taken). Digits the layer read stand: a print changes little
//! with one digit (≥90% and ≥80%).
//!
//! Only what the document prints legibly somewhere else can be read this
//! way, and only as it was read there.

use super::digits::Crop;

/// Grid rows over the ink's height.
const ROWS: usize = 16;
/// Widest grid (columns); a wider cell is no single line of a value.
const MAX_COLS: usize = 480;
/// Two grids nearer than this (mean squared difference of ink, 0..1 per
/// cell) are the same print.
pub const SAME_PRINT: f32 = 0.012;
/// The nearest reading's distance over the next reading's, at most.
pub const MARGIN: f32 = 0.5;
/// Least mean ink of a print's grid (a line of text inks a fifth or more).
const MIN_INK: f32 = 0.07;
/// Components of fewer pixels are specks.
const SPECK: usize = 6;

/// A cell's ink, normalised.
#[derive(Debug, Clone)]
pub struct Print {
    /// Ink box, pixels.
    w: usize,
    h: usize,
    cols: usize,
    grid: Vec<f32>,
    /// The ink in its box, pixel by pixel (for [`super::glyphs`]).
    pub ink: super::glyphs::LineInk,
}

/// The print of a cell's ink (`sy`: pixels per point); None when it holds
/// no ink, or more than a line of a value.
pub fn print(c: &Crop, sy: f32) -> Option<Print> {
    // specks: small against the cell's tallest component
    let tall = c.comps.iter().map(|k| k.h()).max()?;
    let speck = SPECK.max(tall * tall / 50);
    let kept: Vec<&super::digits::Comp> = c.comps.iter().filter(|k| k.pixels.len() >= speck).collect();
    let x0 = kept.iter().map(|k| k.x0).min()?;
    let x1 = kept.iter().map(|k| k.x1).max()?;
    let y0 = kept.iter().map(|k| k.y0).min()?;
    let y1 = kept.iter().map(|k| k.y1).max()?;
    let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
    // one line of text at about 10 pt: under 16 pt high
    if h < 6 || h as f32 > 16.0 * sy {
        return None;
    }
    let cols = ((ROWS as f32 * w as f32 / h as f32).round() as usize).max(1);
    if cols > MAX_COLS {
        return None;
    }
    let (gx, gy) = (cols as f32 / w as f32, ROWS as f32 / h as f32);
    let mut g = vec![0f32; ROWS * cols];
    let mut px = vec![0u8; w * h];
    for k in &kept {
        for &(x, y) in &k.pixels {
            let ink = c.weight(x, y);
            px[(y - y0) * w + (x - x0)] = (ink * 255.0).round() as u8;
            let fx = (x - x0) as f32 * gx;
            let fy = (y - y0) as f32 * gy;
            let (ix, iy) = ((fx as usize).min(cols - 1), (fy as usize).min(ROWS - 1));
            g[iy * cols + ix] += ink * gx * gy;
        }
    }
    let mut grid = vec![0f32; ROWS * cols];
    super::digits::blur(&g, cols, ROWS, &mut grid);
    // specks strewn over a blank cell are no print
    let mean = grid.iter().sum::<f32>() / grid.len() as f32;
    if mean < MIN_INK {
        return None;
    }
    Some(Print { w, h, cols, grid, ink: super::glyphs::LineInk { w, h, px } })
}

impl Print {
    /// Distance to another print of the same size; None when the sizes
    /// differ (another text, or another font size).
    pub fn distance(&self, o: &Print) -> Option<f32> {
        let close = |a: usize, b: usize, tol: usize| a.abs_diff(b) <= tol;
        if !close(self.h, o.h, 3) || !close(self.w, o.w, (self.w / 12).max(3)) || !close(self.cols, o.cols, 3) {
            return None;
        }
        // the wider grid sampled down to the narrower one's columns
        let (a, b) = if self.cols <= o.cols { (self, o) } else { (o, self) };
        let cols = a.cols;
        let mut sum = 0.0;
        for y in 0..ROWS {
            for x in 0..cols {
                let fx = (x as f32 + 0.5) * b.cols as f32 / cols as f32 - 0.5;
                let i0 = (fx.floor().max(0.0) as usize).min(b.cols - 1);
                let i1 = (i0 + 1).min(b.cols - 1);
                let t = (fx - i0 as f32).clamp(0.0, 1.0);
                let v = b.grid[y * b.cols + i0] * (1.0 - t) + b.grid[y * b.cols + i1] * t;
                let d = a.grid[y * cols + x] - v;
                sum += d * d;
            }
        }
        Some(sum / (ROWS * cols) as f32)
    }
}

/// OCR text fit to vouch for a print: no Latin letters, no specks or rule
/// marks, something read.
pub fn clean(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.chars().all(|c| {
            c.is_ascii_digit() || super::repair::is_cjk(c) || "≥≤=<>%.()（）：，、/-~+—".contains(c)
        })
        && t.chars().any(|c| c.is_ascii_digit() || super::repair::is_cjk(c))
}

/// The reading of each cell the OCR layer did not read cleanly, from the
/// cells it did: `Some(text)` when the nearest clean cell of the same size
/// reads `text`, is nearer than [`SAME_PRINT`], and nearer by [`MARGIN`]
/// than any clean cell that reads otherwise (二级 and 三级 differ by one
/// stroke: with both in the document, neither is taken). Inputs are
/// `(print, OCR text)`.
pub fn readings(cells: &[(&Print, &str)]) -> Vec<Option<String>> {
    let texts: Vec<String> = cells.iter().map(|(_, t)| t.split_whitespace().collect()).collect();
    let labelled: Vec<usize> = (0..cells.len()).filter(|&i| clean(&texts[i])).collect();
    let mut out = vec![None; cells.len()];
    for (i, (p, _)) in cells.iter().enumerate() {
        if clean(&texts[i]) {
            continue;
        }
        // nearest clean cell per reading
        let mut best: Vec<(&str, f32)> = Vec::new();
        for &j in &labelled {
            let Some(d) = p.distance(cells[j].0) else { continue };
            match best.iter_mut().find(|(t, _)| *t == texts[j]) {
                Some(b) => b.1 = b.1.min(d),
                None => best.push((&texts[j], d)),
            }
        }
        best.sort_by(|a, b| a.1.total_cmp(&b.1));
        let Some(&(text, d1)) = best.first() else { continue };
        // one digit changes a print little (≥90% and ≥80%): digits the
        // layer read stand
        let digits = |t: &str| t.chars().filter(char::is_ascii_digit).collect::<String>();
        let layer_digits = digits(&texts[i]);
        if !layer_digits.is_empty() && layer_digits != digits(text) {
            continue;
        }
        if d1 < SAME_PRINT && best.get(1).is_none_or(|&(_, d2)| d1 < MARGIN * d2) {
            out[i] = Some(text.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::digits::Picture;
    use govtab_model::BBox;

    /// A page 600×60 px; a cell at x 10..290 px printing
    /// `marks`: each a 16×20 px block pattern ('a' a frame, 'b' a bar,
    /// 'c' a cross), 4 px apart.
    fn cell(marks: &str, specks: bool) -> Print {
        let (w, h) = (600, 60);
        let mut px = vec![240u8; w * h];
        for (k, m) in marks.chars().enumerate() {
            let x0 = 40 + k * 20;
            for y in 0..20 {
                for x in 0..16 {
                    let on = match m {
                        'a' => !(3..=16).contains(&y) || !(3..=12).contains(&x),
                        'b' => (7..10).contains(&x),
                        _ => (9..12).contains(&y) || (7..10).contains(&x),
                    };
                    if on {
                        px[(20 + y) * w + x0 + x] = 20;
                    }
                }
            }
        }
        if specks {
            px[12 * w + 200] = 20;
            px[50 * w + 150] = 20;
        }
        // two pixels a point: the marks are 10 pt high
        let pic = Picture { px: &px, w, h, ink: 20, paper: 240, sx: 2.0, sy: 2.0, page_h: 30.0 };
        crate::pdf::digits::crop(&pic, BBox { x0: 5.0, y0: 1.0, x1: 145.0, y1: 29.0 }).and_then(|c| print(&c, pic.sy)).expect("a print")
    }

    #[test]
    fn a_garbled_cell_reads_as_its_clean_twin() {
        let (ab, ab2, aa, abc) = (cell("ab", false), cell("ab", true), cell("aa", false), cell("abc", false));
        let cells = [(&ab, "合理"), (&aa, "合规"), (&ab2, "ae"), (&abc, "")];
        let out = readings(&cells);
        assert_eq!(out[2].as_deref(), Some("合理"));
        // clean cells keep their text; a print no clean cell shares is unread
        assert_eq!((out[0].as_deref(), out[1].as_deref(), out[3].as_deref()), (None, None, None));
    }

    #[test]
    fn digits_the_layer_read_stand() {
        let (a, b) = (cell("cab", false), cell("cab", true));
        // the same print, but the layer read other digits in the garbled one
        assert_eq!(readings(&[(&a, "≥90%"), (&b, "≥80%x")])[1], None);
        assert_eq!(readings(&[(&a, "≥90%"), (&b, "x")])[1].as_deref(), Some("≥90%"));
    }

    #[test]
    fn a_blank_cell_has_no_print() {
        let (w, h) = (600, 60);
        let mut px = vec![240u8; w * h];
        for k in 0..8 {
            for d in 0..3 {
                px[(15 + 4 * k) * w + 30 + 30 * k + d] = 20;
            }
        }
        let pic = Picture { px: &px, w, h, ink: 20, paper: 240, sx: 2.0, sy: 2.0, page_h: 30.0 };
        assert!(crate::pdf::digits::crop(&pic, BBox { x0: 5.0, y0: 1.0, x1: 145.0, y1: 29.0 }).and_then(|c| print(&c, pic.sy)).is_none());
    }

    #[test]
    fn clean_text_vouches() {
        assert!(clean("合理") && clean("≥90%") && clean("1份年度运维总结报告"));
        assert!(!clean("ae完善") && !clean("") && !clean("“ee") && !clean("—"));
    }
}
