//! Numbers in a scanned table's cells, read from the page picture.
//!
//! The OCR text layer of a badly scanned page misreads digits that the
//! picture under it shows plainly ('onl' or '13.00' where the page prints
//! 15.00). A number cell is read a second time, from the picture, by the
//! shapes of the document's own digits:
//!
//! 1. [`segment`]: the cell's rectangle (between its rules) is cut from the
//!    upright picture, thresholded just under the paper ([`INK_FROM_PAPER`]), and split
//!    into 8-connected components. Pieces that overlap in x join into one
//!    symbol (a broken stroke, the rings of '%'). Symbols as tall as the
//!    line are glyphs; a small one on the baseline in the gap between two
//!    glyphs is a decimal point (a comma when it hangs below the baseline);
//!    specks elsewhere are ignored. Anything else — a remnant of a rule,
//!    two text lines, a piece of an ideograph — leaves the cell unread.
//! 2. [`Templates::learn`]: the glyphs of the cells whose OCR text is a
//!    well-formed number with exactly as many glyphs and points as the
//!    picture shows are labelled by that text. Per character the medoid of
//!    its shapes is taken, then the mean of the shapes nearer to it than to
//!    any other character's medoid: a label the OCR got wrong is outvoted.
//! 3. [`Templates::read`]: each glyph is the character of its nearest
//!    template when that is near (within [`TOLERANCE`]× the typical
//!    distance of a labelled glyph to its own template) and clearly nearer
//!    than any other character's ([`MARGIN`]); otherwise the cell has no
//!    reading. A reading must be a well-formed number.
//!
//! Nothing here knows the digits' font: a document teaches its own, and a
//! character it never printed cleanly is never read.

use govtab_model::BBox;

/// Shape grid: rows over the line's height, columns across.
const GH: usize = 20;
const GW: usize = 16;
const CELLS: usize = GH * GW;

/// A glyph's shape: ink per grid cell, the line's height over [`GH`] rows,
/// the glyph centred across [`GW`] columns of the same size, lightly blurred.
pub type Shape = Box<[f32; CELLS]>;

/// Near enough: a glyph's distance to its template, over the median
/// distance of the labelled glyphs to their own templates.
pub const TOLERANCE: f32 = 3.0;
/// Clearly nearest: the nearest template's distance over the next
/// character's.
pub const MARGIN: f32 = 0.6;
/// The largest cell read again (pixels): a goal text's paragraph is
/// none of the readers' (a line of a value is a few thousand).
const MAX_CELL_PIXELS: usize = 150_000;
/// A pixel is ink when it is darker than the paper by this share of the
/// paper-to-ink contrast.
const INK_FROM_PAPER: f32 = 0.2;
/// A cell's glyphs are the document's digits only when their height is
/// within this share of the digits' height.
const SIZE_TOLERANCE: f32 = 0.2;
/// The least typical distance (scans show 0.004–0.013).
const MIN_TYPICAL: f32 = 0.004;
/// Fewest grid columns a lone glyph's ink spans (a digit other than '1'
/// is half a line height wide: 8 of [`GW`]).
const LONE_MIN_COLUMNS: usize = 6;
/// [`TOLERANCE`] for a cell of one glyph.
const LONE_TOLERANCE: f32 = 2.5;
/// Fewest labelled glyphs of a character for it to get a template.
const MIN_SAMPLES: usize = 2;

/// One symbol of a cell, left to right.
#[derive(Debug, Clone)]
pub enum Sym {
    Glyph(Shape),
    /// Glyphs the scan ran into one blot: the blot cut into 2, 3, …
    /// pieces (`options[k - 2]`), and which cut its width suggests.
    Run { likely: usize, options: Vec<Vec<Sym>> },
    /// A small mark on the baseline between two glyphs: '.' or ','.
    Point(char),
}

/// The ink of one cell, segmented.
#[derive(Debug, Clone, Default)]
pub struct CellInk {
    pub syms: Vec<Sym>,
    /// Height of the line's glyphs, pixels.
    pub line_h: f32,
}

impl CellInk {
    /// The symbols cut into `n` when the one run among them can be cut so
    /// (a text of `n` characters labels them); else as [`Self::likely`].
    fn aligned(&self, n: usize) -> Vec<&Sym> {
        let runs = self.syms.iter().filter(|s| matches!(s, Sym::Run { .. })).count();
        let others = self.syms.len() - runs;
        if runs == 1 && n >= others + 2 && n - others <= MAX_RUN {
            let k = n - others;
            return self
                .syms
                .iter()
                .flat_map(|s| match s {
                    Sym::Run { options, .. } => options[k - 2].iter().collect::<Vec<_>>(),
                    s => vec![s],
                })
                .collect();
        }
        self.likely()
    }

    /// The symbols with each run cut as its width suggests.
    fn likely(&self) -> Vec<&Sym> {
        self.syms
            .iter()
            .flat_map(|s| match s {
                Sym::Run { likely, options } => options[*likely].iter().collect::<Vec<_>>(),
                s => vec![s],
            })
            .collect()
    }
}

/// The upright page picture and how it maps to page points.
pub struct Picture<'a> {
    pub px: &'a [u8],
    pub w: usize,
    pub h: usize,
    pub ink: u8,
    pub paper: u8,
    /// Pixels per point.
    pub sx: f32,
    pub sy: f32,
    pub page_h: f32,
}

pub(super) struct Comp {
    pub x0: usize,
    pub x1: usize,
    pub y0: usize,
    pub y1: usize,
    pub pixels: Vec<(usize, usize)>,
}

impl Comp {
    pub fn w(&self) -> usize {
        self.x1 - self.x0 + 1
    }
    pub fn h(&self) -> usize {
        self.y1 - self.y0 + 1
    }
}

/// A cell's ink cut from the picture: its grey pixels, and its components
/// (8-connected pixels darker than the paper by [`INK_FROM_PAPER`] of the
/// contrast) without the remnants of the cell's rules.
pub(super) struct Crop {
    cut: Vec<u8>,
    pub w: usize,
    paper: f32,
    span: f32,
    pub comps: Vec<Comp>,
}

impl Crop {
    /// How dark a pixel is, 0 (paper) to 1 (ink).
    pub fn weight(&self, x: usize, y: usize) -> f32 {
        ((self.paper - self.cut[y * self.w + x] as f32) / self.span * 1.4).clamp(0.0, 1.0)
    }
}

/// Cut the cell at `b` (upright page points) from the picture, inside its
/// rules. None for a cell too small or too large to hold a line of text.
pub(super) fn crop(pic: &Picture, b: BBox) -> Option<Crop> {
    let inset = (1.2 * pic.sx).round().max(2.0);
    let fx0 = (b.x0 * pic.sx + inset).max(0.0);
    let fx1 = (b.x1 * pic.sx - inset).min(pic.w as f32);
    let fy0 = ((pic.page_h - b.y1) * pic.sy + inset).max(0.0);
    let fy1 = ((pic.page_h - b.y0) * pic.sy - inset).min(pic.h as f32);
    if fx1 - fx0 < 8.0 || fy1 - fy0 < 8.0 {
        return None;
    }
    let (x0, x1, y0, y1) = (fx0 as usize, fx1 as usize, fy0 as usize, fy1 as usize);
    let (cw, ch) = (x1 - x0, y1 - y0);
    if cw * ch > MAX_CELL_PIXELS {
        return None;
    }
    // thin strokes of a scanned glyph are light grey: ink is anything
    // clearly darker than the paper, weighted by how dark it is
    let span = (pic.paper as f32 - pic.ink as f32).max(1.0);
    let thr = pic.paper as f32 - INK_FROM_PAPER * span;
    let cut: Vec<u8> = (0..ch).flat_map(|y| pic.px[(y0 + y) * pic.w + x0..(y0 + y) * pic.w + x1].iter().copied()).collect();
    let dark: Vec<bool> = cut.iter().map(|&p| (p as f32) < thr).collect();
    let mut comps = components(&dark, cw, ch);
    // remnants of the cell's rules: as long as the cell, or thin along an edge
    comps.retain(|c| {
        let touches = c.x0 == 0 || c.y0 == 0 || c.x1 + 1 == cw || c.y1 + 1 == ch;
        !(c.w() * 10 > cw * 9 || c.h() * 10 > ch * 9 || (touches && (c.w() <= 3 || c.h() <= 3) && c.pixels.len() >= 6))
    });
    Some(Crop { cut, w: cw, paper: pic.paper as f32, span, comps })
}

/// The symbols of a cell's ink. None when it is not one line of glyphs
/// and points (or there is none).
pub fn segment(mut crop: Crop) -> Option<CellInk> {
    let comps = std::mem::take(&mut crop.comps);
    let cw = crop.w;
    let weight = |x: usize, y: usize| crop.weight(x, y);
    let line_h = comps.iter().filter(|c| c.pixels.len() >= 10).map(|c| c.h()).max()?;
    if line_h < 8 {
        return None;
    }
    let hf = line_h as f32;
    // parts of glyphs: joined when they overlap in x
    // a cell's number stands clear of its side rules: ink against a side
    // is a piece of the rule
    let comps: Vec<Comp> = comps.into_iter().filter(|c| c.x0 > 0 && c.x1 + 1 < cw).collect();
    let (mut parts, small): (Vec<Comp>, Vec<Comp>) = comps.into_iter().partition(|c| c.h() as f32 >= 0.3 * hf);
    parts.sort_by_key(|c| c.x0);
    let mut syms: Vec<Comp> = Vec::new();
    for c in parts {
        if let Some(last) = syms.last_mut() {
            let overlap = (last.x1.min(c.x1) as i64 - last.x0.max(c.x0) as i64 + 1) as f32;
            // two narrow pieces closer than any two digits' centres are
            // one glyph the scan broke (the two arcs of a '0')
            let centres = (c.x0 + c.x1) as f32 / 2.0 - (last.x0 + last.x1) as f32 / 2.0;
            let broken = (last.w() as f32) < BROKEN_PIECE * hf && (c.w() as f32) < BROKEN_PIECE * hf && centres < BROKEN_PIECE * hf;
            if overlap >= 0.3 * last.w().min(c.w()) as f32 || broken {
                last.x0 = last.x0.min(c.x0);
                last.x1 = last.x1.max(c.x1);
                last.y0 = last.y0.min(c.y0);
                last.y1 = last.y1.max(c.y1);
                last.pixels.extend(c.pixels);
                continue;
            }
        }
        syms.push(c);
    }
    if syms.iter().any(|s| (s.h() as f32) < 0.6 * hf) {
        return None;
    }
    // one line: the glyphs share a baseline and a top
    let mut bottoms: Vec<usize> = syms.iter().map(|s| s.y1).collect();
    bottoms.sort_unstable();
    let base = bottoms[bottoms.len() / 2];
    let mut tops: Vec<usize> = syms.iter().map(|s| s.y0).collect();
    tops.sort_unstable();
    let top = tops[tops.len() / 2];
    if syms.iter().any(|s| (s.y1 as f32 - base as f32).abs() > 0.2 * hf || (s.y0 as f32 - top as f32).abs() > 0.25 * hf) {
        return None;
    }
    // one glyph's width: the cell's own single glyphs tell it best
    let mut single: Vec<f32> = syms.iter().map(|s| s.w() as f32 / hf).filter(|w| (0.55..=RUN_TOGETHER).contains(w)).collect();
    single.sort_by(|a, b| a.total_cmp(b));
    let glyph_w = single.get(single.len() / 2).copied().unwrap_or(GLYPH_WIDTH);
    let mut out: Vec<(usize, Sym)> = Vec::new();
    for s in &syms {
        let w = s.w() as f32;
        if w <= RUN_TOGETHER * hf {
            out.push((s.x0, Sym::Glyph(shape(s, top, hf, weight))));
            continue;
        }
        // glyphs the scan ran together ("00" as one blot): cut into 2 to
        // [`MAX_RUN`] pieces where the ink is thinnest near where an even
        // split puts the cuts; the reading picks the cut its templates fit
        // best, learning takes the count the glyphs' width suggests
        let likely = ((w / (glyph_w * hf)).round() as usize).clamp(2, MAX_RUN);
        let options: Vec<Vec<Sym>> = (2..=MAX_RUN)
            .map(|k| {
                split(s, k, hf, &weight)
                    .into_iter()
                    .map(|p| if (p.h() as f32) < 0.4 * hf && p.y1 + 2 >= base && (p.y0 as f32) > top as f32 + 0.5 * hf { Sym::Point('.') } else { Sym::Glyph(shape(&p, top, hf, weight)) })
                    .collect()
            })
            .collect();
        out.push((s.x0, Sym::Run { likely: likely - 2, options }));
    }
    for c in small {
        let between = syms.windows(2).any(|p| c.x0 > p[0].x1 && c.x1 < p[1].x0);
        let on_base = c.y1 + 1 >= base && c.y1 as f32 <= base as f32 + 0.3 * hf && (c.y0 as f32) > top as f32 + 0.5 * hf;
        let sized = (c.w() as f32) <= 0.4 * hf && (c.h() as f32) <= 0.4 * hf && c.pixels.len() as f32 >= 0.012 * hf * hf;
        if between && on_base && sized {
            let mark = if c.y1 as f32 > base as f32 + 0.1 * hf { ',' } else { '.' };
            out.push((c.x0, Sym::Point(mark)));
        } else if between && sized && c.pixels.len() as f32 >= 0.05 * hf * hf {
            // a mark of some size between the glyphs that is no point ('-', '/')
            return None;
        }
    }
    out.sort_by_key(|(x, _)| *x);
    Some(CellInk { syms: out.into_iter().map(|(_, s)| s).collect(), line_h: hf })
}

/// Wider than this (× line height) a symbol is glyphs run together.
const RUN_TOGETHER: f32 = 0.95;
/// The width (× line height) of one glyph, to count those run together,
/// when the cell shows none alone.
const GLYPH_WIDTH: f32 = 0.68;

/// Digits sit about 0.7 line heights apart (centre to centre, tabular
/// figures); two pieces narrower than this, with centres closer than it
/// (× line height), are halves of one glyph.
const BROKEN_PIECE: f32 = 0.45;
/// Most glyphs one blot is read as.
const MAX_RUN: usize = 5;

/// A blot cut into `k` pieces.
fn split(s: &Comp, k: usize, line_h: f32, weight: &impl Fn(usize, usize) -> f32) -> Vec<Comp> {
    let w = s.w() as f32;
    let mut column = vec![0f32; s.w()];
    for &(x, y) in &s.pixels {
        column[x - s.x0] += weight(x, y);
    }
    let reach = (0.15 * line_h).round() as i64;
    let mut cuts = Vec::new();
    for j in 1..k {
        let at = (j as f32 * w / k as f32).round() as i64;
        let lo = (at - reach).max(1);
        let hi = (at + reach).min(s.w() as i64 - 1);
        if let Some(c) = (lo..=hi).min_by(|a, b| column[*a as usize].total_cmp(&column[*b as usize])) {
            cuts.push(s.x0 + c as usize);
        }
    }
    let mut pieces: Vec<Comp> = (0..=cuts.len()).map(|_| Comp { x0: usize::MAX, x1: 0, y0: usize::MAX, y1: 0, pixels: Vec::new() }).collect();
    for &(x, y) in &s.pixels {
        let i = cuts.iter().filter(|&&c| x >= c).count();
        let p = &mut pieces[i];
        p.x0 = p.x0.min(x);
        p.x1 = p.x1.max(x);
        p.y0 = p.y0.min(y);
        p.y1 = p.y1.max(y);
        p.pixels.push((x, y));
    }
    pieces.retain(|p| !p.pixels.is_empty());
    pieces
}

/// 8-connected components of the dark pixels.
fn components(dark: &[bool], w: usize, h: usize) -> Vec<Comp> {
    let mut seen = vec![false; dark.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..dark.len() {
        if !dark[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut c = Comp { x0: usize::MAX, x1: 0, y0: usize::MAX, y1: 0, pixels: Vec::new() };
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            c.x0 = c.x0.min(x);
            c.x1 = c.x1.max(x);
            c.y0 = c.y0.min(y);
            c.y1 = c.y1.max(y);
            c.pixels.push((x, y));
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if dark[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push(c);
    }
    out
}

/// A symbol's shape on the grid (see [`Shape`]).
fn shape(s: &Comp, top: usize, line_h: f32, weight: impl Fn(usize, usize) -> f32) -> Shape {
    let scale = GH as f32 / line_h;
    // centred on its ink, not its box: a speck or a stub of the next glyph
    // at one side moves the box, hardly the ink
    let (mut sum, mut mass) = (0.0f32, 0.0f32);
    for &(x, y) in &s.pixels {
        let w = weight(x, y);
        sum += w * (x as f32 + 0.5);
        mass += w;
    }
    let cx = if mass > 0.0 { sum / mass } else { (s.x0 + s.x1) as f32 / 2.0 + 0.5 };
    let mut g = [0f32; CELLS];
    for &(x, y) in &s.pixels {
        let ink = weight(x, y);
        // the pixel's centre, bilinearly spread over the four nearest cells
        let gx = (x as f32 + 0.5 - cx) * scale + GW as f32 / 2.0 - 0.5;
        let gy = (y as f32 + 0.5 - top as f32) * scale - 0.5;
        let (ix, iy) = (gx.floor(), gy.floor());
        let (fx, fy) = (gx - ix, gy - iy);
        for (ddx, wx) in [(0, 1.0 - fx), (1, fx)] {
            for (ddy, wy) in [(0, 1.0 - fy), (1, fy)] {
                let (xx, yy) = (ix as i64 + ddx, iy as i64 + ddy);
                if xx >= 0 && yy >= 0 && (xx as usize) < GW && (yy as usize) < GH {
                    g[yy as usize * GW + xx as usize] += ink * wx * wy * scale * scale;
                }
            }
        }
    }
    // blur 3×3 (a shift of a pixel costs little)
    let mut b = Box::new([0f32; CELLS]);
    blur(&g, GW, GH, &mut b[..]);
    b
}

/// A grid of ink (`w` × `h`, each cell capped at 1) blurred 3×3, the cell
/// itself counted twice: a shape a pixel off costs little. Shared by the
/// readers of the page picture.
pub(super) fn blur(g: &[f32], w: usize, h: usize, out: &mut [f32]) {
    for y in 0..h {
        for x in 0..w {
            let (mut acc, mut n) = (0.0, 0.0);
            for yy in y.saturating_sub(1)..(y + 2).min(h) {
                for xx in x.saturating_sub(1)..(x + 2).min(w) {
                    let k = if yy == y && xx == x { 2.0 } else { 1.0 };
                    acc += k * g[yy * w + xx].min(1.0);
                    n += k;
                }
            }
            out[y * w + x] = acc / n;
        }
    }
}

/// Mean squared difference of two shapes of the same grid.
pub(super) fn mean_square(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() / a.len() as f32
}

fn dist(a: &[f32; CELLS], b: &[f32; CELLS]) -> f32 {
    mean_square(a, b)
}

/// The characters of a well-formed number as printed: digits, '%', and the
/// points between them (None for anything else).
fn number_chars(text: &str) -> Option<Vec<char>> {
    let t: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    well_formed(&t).then_some(t)
}

/// A comparator a target may print before its number.
const COMPARATORS: [char; 5] = ['≥', '≤', '=', '>', '<'];

/// `123`, `12.50`, `1,234.5`, `100%`, `≥90%`: digits, at most one '.',
/// commas only between groups of three before it, a comparator only at the
/// start, '%' only at the end.
fn well_formed(t: &[char]) -> bool {
    let t = match t.first() {
        Some(c) if COMPARATORS.contains(c) => &t[1..],
        _ => t,
    };
    let body = match t.last() {
        Some('%') => &t[..t.len() - 1],
        _ => t,
    };
    if body.is_empty() || !body[0].is_ascii_digit() || !body[body.len() - 1].is_ascii_digit() {
        return false;
    }
    let dot = body.iter().position(|&c| c == '.');
    if body.iter().filter(|&&c| c == '.').count() > 1 || !body.iter().all(|c| c.is_ascii_digit() || *c == '.' || *c == ',') {
        return false;
    }
    let int = &body[..dot.unwrap_or(body.len())];
    if dot.is_some_and(|d| body[d + 1..].contains(&',')) {
        return false;
    }
    if int.contains(&',') {
        let groups: Vec<&[char]> = int.split(|&c| c == ',').collect();
        if groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3) {
            return false;
        }
    }
    true
}

/// Digit templates learnt from one document: one [`Font`] for each size
/// of digits it prints (a form may print its marks and its targets in two
/// faces).
#[derive(Debug, Clone, Default)]
pub struct Templates {
    fonts: Vec<Font>,
}

impl Templates {
    /// Learn from cells and their OCR text (see [`Font::learn`]), the cells
    /// grouped by the height of their glyphs.
    pub fn learn<'a>(cells: impl IntoIterator<Item = (&'a CellInk, &'a str)>) -> Templates {
        let cells: Vec<(&CellInk, &str)> = cells.into_iter().collect();
        let mut heights: Vec<f32> = cells.iter().filter(|(_, t)| number_chars(t).is_some()).map(|(i, _)| i.line_h).collect();
        heights.sort_by(|a, b| a.total_cmp(b));
        // sizes: runs of heights each within 10 % of the one before
        let mut sizes: Vec<Vec<f32>> = Vec::new();
        for h in heights {
            match sizes.last_mut() {
                Some(run) if run.last().is_some_and(|l| h <= l * 1.1) => run.push(h),
                _ => sizes.push(vec![h]),
            }
        }
        let centres: Vec<f32> = sizes.iter().filter(|r| r.len() >= 3).map(|r| r[r.len() / 2]).collect();
        let nearest = |h: f32| centres.iter().enumerate().min_by(|a, b| (h / a.1 - 1.0).abs().total_cmp(&(h / b.1 - 1.0).abs())).map(|(k, _)| k);
        let fonts = (0..centres.len())
            .map(|k| Font::learn(cells.iter().filter(|(i, _)| nearest(i.line_h) == Some(k)).copied()))
            .filter(|f| f.chars.len() >= 2)
            .collect();
        Templates { fonts }
    }

    /// The font of the cell's glyph size.
    fn font(&self, ink: &CellInk) -> Option<&Font> {
        self.fonts.iter().filter(|f| (ink.line_h / f.line_h - 1.0).abs() <= SIZE_TOLERANCE).min_by(|a, b| (ink.line_h / a.line_h - 1.0).abs().total_cmp(&(ink.line_h / b.line_h - 1.0).abs()))
    }

    /// The number a cell's picture shows, if every glyph reads clearly in
    /// the font of its size.
    pub fn read(&self, ink: &CellInk) -> Option<String> {
        self.font(ink)?.read(ink)
    }

    #[cfg(test)]
    pub fn known(&self) -> String {
        self.fonts.iter().map(|f| f.known()).collect::<Vec<_>>().join("|")
    }

    #[cfg(test)]
    pub fn explain(&self, ink: &CellInk) -> String {
        self.font(ink).map(|f| f.explain(ink)).unwrap_or_default()
    }
}

/// Digit templates of one size of digits.
#[derive(Debug, Clone, Default)]
pub struct Font {
    chars: Vec<(char, Shape)>,
    /// Median distance of a labelled glyph to its own template.
    typical: f32,
    /// Median height of the labelled cells' glyphs, pixels: the digits'
    /// size in this document.
    line_h: f32,
}

impl Font {
    /// Learn from cells and their OCR text; only cells whose text is a
    /// well-formed number that lines up with the picture's symbols count.
    pub fn learn<'a>(cells: impl IntoIterator<Item = (&'a CellInk, &'a str)>) -> Font {
        let mut samples: Vec<(char, &Shape)> = Vec::new();
        let mut heights: Vec<f32> = Vec::new();
        for (ink, text) in cells {
            let Some(t) = number_chars(text) else { continue };
            let syms = ink.aligned(t.len());
            if t.len() != syms.len() {
                continue;
            }
            let lines_up = t.iter().zip(&syms).all(|(c, s)| match s {
                Sym::Glyph(_) => c.is_ascii_digit() || *c == '%' || COMPARATORS.contains(c),
                Sym::Point(p) => p == c,
                Sym::Run { .. } => false,
            });
            if lines_up {
                heights.push(ink.line_h);
                samples.extend(t.iter().zip(syms).filter_map(|(c, s)| match s {
                    Sym::Glyph(g) => Some((*c, g)),
                    _ => None,
                }));
            }
        }
        let mut classes: Vec<char> = samples.iter().map(|(c, _)| *c).collect();
        classes.sort_unstable();
        classes.dedup();
        // medoids (of at most 150 shapes a character)
        let mut medoids: Vec<(char, &Shape)> = Vec::new();
        for &c in &classes {
            let of: Vec<&Shape> = samples.iter().filter(|(k, _)| *k == c).map(|(_, s)| *s).take(150).collect();
            if of.len() < MIN_SAMPLES {
                continue;
            }
            let best = of
                .iter()
                .map(|a| (of.iter().map(|b| dist(a, b)).sum::<f32>(), *a))
                .min_by(|x, y| x.0.total_cmp(&y.0))
                .map(|(_, s)| s);
            if let Some(m) = best {
                medoids.push((c, m));
            }
        }
        // means of the shapes nearest their own character's medoid
        let mut chars = Vec::new();
        for (c, m) in &medoids {
            let mut sum = [0f32; CELLS];
            let mut n = 0usize;
            for (k, s) in samples.iter().filter(|(k, _)| k == c) {
                let own = dist(s, m);
                if medoids.iter().filter(|(o, _)| o != k).all(|(_, om)| dist(s, om) > own) {
                    sum.iter_mut().zip(s.iter()).for_each(|(a, b)| *a += b);
                    n += 1;
                }
            }
            if n >= MIN_SAMPLES {
                sum.iter_mut().for_each(|a| *a /= n as f32);
                chars.push((*c, Box::new(sum)));
            }
        }
        let mut own: Vec<f32> = samples.iter().filter_map(|(c, s)| chars.iter().find(|(k, _)| k == c).map(|(_, t)| dist(s, t))).collect();
        own.sort_by(|a, b| a.total_cmp(b));
        // (a floor: a clean print's glyphs can match their templates exactly)
        let typical = own.get(own.len() / 2).copied().unwrap_or(0.0).max(MIN_TYPICAL);
        heights.sort_by(|a, b| a.total_cmp(b));
        let line_h = heights.get(heights.len() / 2).copied().unwrap_or(0.0);
        Font { chars, typical, line_h }
    }

    /// Each symbol with its two nearest characters (for debugging).
    #[cfg(test)]
    pub fn explain(&self, ink: &CellInk) -> String {
        let mut out = String::new();
        for s in ink.likely() {
            match s {
                Sym::Point(p) => out.push_str(&format!(" [{p}]")),
                Sym::Run { .. } => {}
                Sym::Glyph(g) => {
                    let mut ds: Vec<(f32, char)> = self.chars.iter().map(|(c, t)| (dist(g, t) / self.typical.max(1e-9), *c)).collect();
                    ds.sort_by(|a, b| a.0.total_cmp(&b.0));
                    out.push_str(&format!(" {}", ds.iter().take(2).map(|(d, c)| format!("{c}:{d:.1}")).collect::<Vec<_>>().join("/")));
                }
            }
        }
        out
    }

    /// Characters with a template.
    #[cfg(test)]
    pub fn known(&self) -> String {
        self.chars.iter().map(|(c, _)| *c).collect()
    }

    /// The number a cell's picture shows, if every glyph reads clearly.
    pub fn read(&self, ink: &CellInk) -> Option<String> {
        if self.chars.len() < 2 || ink.syms.iter().all(|s| matches!(s, Sym::Point(_))) {
            return None;
        }
        // glyphs of another size are not this document's digits (a piece
        // of a rule, an ideograph)
        if (ink.line_h / self.line_h - 1.0).abs() > SIZE_TOLERANCE {
            return None;
        }
        // a lone glyph has no neighbours to vouch that the cell holds a
        // number at all (a mark in a text column): it must read closely
        if let [lone @ Sym::Glyph(g)] = ink.syms.as_slice() {
            // as wide as a digit (a piece of a rule is a thin bar)
            let span = (0..GW).filter(|&x| (0..GH).any(|y| g[y * GW + x] > 0.2)).count();
            if span < LONE_MIN_COLUMNS {
                return None;
            }
            let (read, worst) = self.read_all(std::slice::from_ref(lone))?;
            // and a lone upright bar is as likely a stub of a rule as a '1'
            return (worst <= LONE_TOLERANCE && read != "1").then_some(read);
        }
        let mut out = String::new();
        for s in &ink.syms {
            match s {
                Sym::Run { likely, options } => {
                    // the cut its width suggests; failing that, the cut
                    // whose pieces all read nearest their templates
                    let best = match self.read_all(&options[*likely]) {
                        Some(r) => r,
                        None => options.iter().filter_map(|pieces| self.read_all(pieces)).min_by(|a, b| a.1.total_cmp(&b.1))?,
                    };
                    out.push_str(&best.0);
                }
                s => out.push_str(&self.read_all(std::slice::from_ref(s))?.0),
            }
        }
        number_chars(&out).map(|_| out)
    }

    /// Glyphs and points read, with the worst glyph's distance (over the
    /// typical); None when a glyph does not read clearly.
    fn read_all(&self, syms: &[Sym]) -> Option<(String, f32)> {
        let mut out = String::new();
        let mut worst = 0f32;
        for s in syms {
            match s {
                Sym::Point(p) => out.push(*p),
                Sym::Run { .. } => return None,
                Sym::Glyph(g) => {
                    let mut ds: Vec<(f32, char)> = self.chars.iter().map(|(c, t)| (dist(g, t), *c)).collect();
                    ds.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let (d1, c1) = ds[0];
                    let d2 = ds[1].0;
                    if d1 > TOLERANCE * self.typical || d1 > MARGIN * d2 {
                        return None;
                    }
                    worst = worst.max(d1 / self.typical);
                    out.push(c1);
                }
            }
        }
        Some((out, worst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyph bitmaps 8 wide, 12 tall ('#' ink), drawn at 2× into a page.
    fn glyph(c: char) -> [&'static str; 12] {
        match c {
            '0' => ["..####..", ".#....#.", "#......#", "#......#", "#......#", "#......#", "#......#", "#......#", "#......#", "#......#", ".#....#.", "..####.."],
            '1' => ["...##...", "..###...", ".#.##...", "...##...", "...##...", "...##...", "...##...", "...##...", "...##...", "...##...", "...##...", ".######."],
            '7' => ["########", "......##", ".....##.", ".....##.", "....##..", "....##..", "...##...", "...##...", "..##....", "..##....", ".##.....", ".##....."],
            _ => ["########"; 12],
        }
    }

    /// A white page 400×60 px with `text` in a cell at x = 20 (digits 2×,
    /// `scale` more for a larger font), '.' a 4×4 dot on the baseline.
    fn page(text: &str, scale: usize) -> Vec<u8> {
        let (w, h) = (400, 60);
        let mut px = vec![240u8; w * h];
        let mut x = 20;
        let s = 2 * scale;
        for c in text.chars() {
            if c == '.' {
                for dy in 0..4 {
                    for dx in 0..4 {
                        px[(10 + 12 * s - 4 + dy) * w + x + 2 + dx] = 20;
                    }
                }
                x += 8;
                continue;
            }
            for (r, row) in glyph(c).iter().enumerate() {
                for (k, b) in row.bytes().enumerate() {
                    if b == b'#' {
                        for dy in 0..s {
                            for dx in 0..s {
                                px[(10 + r * s + dy) * w + x + k * s + dx] = 20;
                            }
                        }
                    }
                }
            }
            x += 8 * s + 3;
        }
        px
    }

    fn ink(text: &str, scale: usize) -> Option<CellInk> {
        let px = page(text, scale);
        let pic = Picture { px: &px, w: 400, h: 60, ink: 20, paper: 240, sx: 1.0, sy: 1.0, page_h: 60.0 };
        crop(&pic, BBox { x0: 5.0, y0: 2.0, x1: 395.0, y1: 58.0 }).and_then(segment)
    }

    #[test]
    fn a_document_teaches_its_digits_and_reads_what_ocr_missed() {
        let cells: Vec<(CellInk, &str)> = [("10.0", "10.0"), ("71", "71"), ("107", "107"), ("0.7", "0.7"), ("17", "17")].iter().map(|(p, t)| (ink(p, 1).expect("segmented"), *t)).collect();
        let t = Templates::learn(cells.iter().map(|(i, s)| (i, *s)));
        assert_eq!(t.known(), "017");
        // the OCR layer read 'onl' here: the picture shows 70.1
        assert_eq!(t.read(&ink("70.1", 1).expect("segmented")).as_deref(), Some("70.1"));
        assert_eq!(t.read(&ink("0", 1).expect("segmented")).as_deref(), Some("0"));
        // a lone bar may be a stub of a rule
        assert_eq!(t.read(&ink("1", 1).expect("segmented")), None);
        // a glyph no cell taught (drawn as a solid block) is not read
        assert_eq!(t.read(&ink("18", 1).expect("segmented")), None);
        // glyphs of another size are not the document's digits
        assert_eq!(t.read(&ink("10", 2).expect("segmented")), None);
    }

    #[test]
    fn a_wrong_label_is_outvoted() {
        // one cell's OCR text says 11 where the picture shows 17
        let mut cells: Vec<(CellInk, &str)> = [("10", "10"), ("71", "71"), ("701", "701"), ("17", "17"), ("70", "70")].iter().map(|(p, t)| (ink(p, 1).expect("segmented"), *t)).collect();
        cells.push((ink("17", 1).expect("segmented"), "11"));
        let t = Templates::learn(cells.iter().map(|(i, s)| (i, *s)));
        assert_eq!(t.read(&ink("17", 1).expect("segmented")).as_deref(), Some("17"));
    }

    #[test]
    fn glyphs_run_together_are_cut() {
        let cells: Vec<(CellInk, &str)> = [("10", "10"), ("71", "71"), ("107", "107"), ("17", "17")].iter().map(|(p, t)| (ink(p, 1).expect("segmented"), *t)).collect();
        let t = Templates::learn(cells.iter().map(|(i, s)| (i, *s)));
        // "00" drawn touching: one blot, two glyphs
        let mut px = page("100", 1);
        let (w, y) = (400, 10 + 12);
        for x in 55..58 {
            px[y * w + x] = 20;
        }
        let pic = Picture { px: &px, w, h: 60, ink: 20, paper: 240, sx: 1.0, sy: 1.0, page_h: 60.0 };
        let run = crop(&pic, BBox { x0: 5.0, y0: 2.0, x1: 395.0, y1: 58.0 }).and_then(segment).expect("segmented");
        assert!(run.syms.iter().any(|s| matches!(s, Sym::Run { .. })));
        assert_eq!(t.read(&run).as_deref(), Some("100"), "{}", t.explain(&run));
    }

    #[test]
    fn a_cell_of_text_or_rule_is_not_a_number() {
        // a rule remnant the length of the cell
        let (w, h) = (400, 60);
        let mut px = vec![240u8; w * h];
        for y in 5..55 {
            px[y * w + 200] = 20;
            px[y * w + 201] = 20;
        }
        let pic = Picture { px: &px, w, h, ink: 20, paper: 240, sx: 1.0, sy: 1.0, page_h: 60.0 };
        assert!(crop(&pic, BBox { x0: 5.0, y0: 2.0, x1: 395.0, y1: 58.0 }).and_then(segment).is_none());
        // a blank cell
        let px = vec![240u8; w * h];
        let pic = Picture { px: &px, w, h, ink: 20, paper: 240, sx: 1.0, sy: 1.0, page_h: 60.0 };
        assert!(crop(&pic, BBox { x0: 5.0, y0: 2.0, x1: 395.0, y1: 58.0 }).and_then(segment).is_none());
    }

    #[test]
    fn numbers_are_well_formed() {
        for ok in ["15.00", "100%", "1,234.56", "0", "12,345", "≥90%", "=1"] {
            assert!(number_chars(ok).is_some(), "{ok}");
        }
        for bad in ["1.5.0", ".5", "1,23", "12%3", "", "1.", "1.2,3", "a1", "9≥", "≥", "≥≥1"] {
            assert!(number_chars(bad).is_none(), "{bad}");
        }
    }
}
