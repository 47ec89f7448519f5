//! Glyphs and rules of a page → rows of cells.
//!
//! Tables: horizontal and vertical rules are merged into segments, segments
//! that cross form a table, the distinct rule positions form a grid of atomic
//! cells, and atomic cells not separated by a drawn rule are merged (merged
//! 一级/二级 cells, vertical labels). A glyph belongs to the cell holding its
//! centre. Each atomic row becomes one line; a merged cell's text is given in
//! the top row it spans, and an empty cell stands for it in the rows below.
//!
//! Text outside tables: lines by baseline clustering (tolerance relative to
//! the font size), cells split at gaps wider than [`CELL_GAP`] × font size.

use govtab_model::BBox;

use super::collect::{Glyph, PageInk, Rule};

/// Gap (× font size) between two glyphs of a line that starts a new cell.
pub const CELL_GAP: f32 = 1.5;
/// Gap (× font size) between two glyphs that is written as a space.
const SPACE_GAP: f32 = 0.2;
/// Baselines closer than this (× font size) are one line.
const BASELINE_TOL: f32 = 0.4;
/// Rule positions closer than this (points) are the same rule.
const RULE_SNAP: f32 = 2.0;

/// One cell of a laid-out line.
#[derive(Debug, Clone, PartialEq)]
pub struct OutCell {
    pub text: String,
    pub bbox: BBox,
    pub font_size: Option<f32>,
    /// A row's part of a cell merged over rows above it (its text is given
    /// in the top row).
    pub continued: bool,
}

/// One laid-out line (a table row or a line of free text).
#[derive(Debug, Clone, PartialEq)]
pub struct OutLine {
    pub cells: Vec<OutCell>,
    /// Top baseline of the line.
    pub y: f32,
    /// The line is a row of a ruled table.
    pub in_table: bool,
}

impl OutLine {
    #[cfg(test)]
    pub fn text(&self) -> String {
        self.cells.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join("\t")
    }
}

/// Options that depend on where the text layer came from.
#[derive(Debug, Clone, Copy, Default)]
pub struct LayoutOptions {
    /// OCR text layer: a lone `|` is a table border read as text, a cell
    /// separator.
    pub ocr: bool,
}

/// Lay out one page.
pub fn layout(ink: &PageInk, opts: LayoutOptions) -> Vec<OutLine> {
    let glyphs = dedupe(ink.glyphs.clone());
    let mut tables = find_tables(&ink.rules);
    // A scan may lose a rule between two rows: put back the ones the text
    // shows, and read the grid again (splitting a merged cell can leave
    // plain rows that show the next gap).
    if opts.ocr {
        let mut rules = ink.rules.clone();
        for _ in 0..3 {
            let extra: Vec<Rule> = tables.iter().flat_map(|t| missed_row_rules(t, &glyphs)).collect();
            if extra.is_empty() {
                break;
            }
            rules.extend(extra);
            tables = find_tables(&rules);
        }
    }
    // Words made only of line-like glyphs (an OCR layer reads the drawn
    // borders as `|`, `一`, `—`, `]`).
    let mut linelike: std::collections::HashMap<u32, bool> = Default::default();
    if opts.ocr {
        for g in &glyphs {
            let e = linelike.entry(g.word).or_insert(true);
            *e &= g.is_space() || rule_glyph(g).is_some();
        }
    }
    let mut free: Vec<Glyph> = Vec::new();
    let mut per_table: Vec<Vec<Glyph>> = vec![Vec::new(); tables.len()];
    for g in glyphs {
        let (cx, cy) = g.centre();
        match tables.iter().position(|t| t.contains(cx, cy)) {
            Some(_) if opts.ocr && is_border_glyph(&g) => {}
            Some(i) if linelike.get(&g.word).copied().unwrap_or(false) && tables[i].on_rule(&g) => {}
            Some(i) => per_table[i].push(g),
            None => free.push(g),
        }
    }
    let mut lines = Vec::new();
    for (t, gs) in tables.iter().zip(per_table) {
        lines.extend(t.rows(gs));
    }
    lines.extend(free_lines(free, opts));
    lines.sort_by(|a, b| b.y.partial_cmp(&a.y).unwrap_or(std::cmp::Ordering::Equal).then_with(|| {
        let ax = a.cells.first().map(|c| c.bbox.x0).unwrap_or(0.0);
        let bx = b.cells.first().map(|c| c.bbox.x0).unwrap_or(0.0);
        ax.partial_cmp(&bx).unwrap_or(std::cmp::Ordering::Equal)
    }));
    lines
}

/// Drop glyphs drawn twice at (almost) the same place (fake bold, shadows).
fn dedupe(mut glyphs: Vec<Glyph>) -> Vec<Glyph> {
    let mut keep: Vec<Glyph> = Vec::with_capacity(glyphs.len());
    glyphs.sort_by(|a, b| a.y.partial_cmp(&b.y).unwrap_or(std::cmp::Ordering::Equal).then(a.x0.partial_cmp(&b.x0).unwrap_or(std::cmp::Ordering::Equal)));
    for g in glyphs {
        let dup = keep.iter().rev().take(64).any(|k| {
            k.text == g.text && (k.y - g.y).abs() < 0.2 * g.size.max(1.0) && (k.x0 - g.x0).abs() < 0.3 * g.size.max(1.0)
        });
        if !dup {
            keep.push(g);
        }
    }
    keep
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Some(v[v.len() / 2])
}

fn is_ascii_alpha_end(s: &str, last: bool) -> bool {
    let c = if last { s.chars().last() } else { s.chars().next() };
    c.map(|c| c.is_ascii_alphabetic()).unwrap_or(false)
}

/// Text of glyphs on one baseline, left to right: a space where the source
/// had one or where the gap is wide.
fn line_text(glyphs: &[&Glyph]) -> String {
    let mut s = String::new();
    let mut prev_end: Option<f32> = None;
    let mut pending_space = false;
    for g in glyphs {
        if g.is_space() {
            pending_space = prev_end.is_some();
            continue;
        }
        if let Some(end) = prev_end {
            if pending_space || g.x0 - end > SPACE_GAP * g.size {
                s.push(' ');
            }
        }
        s.push_str(&g.text);
        prev_end = Some(prev_end.map_or(g.x1, |e: f32| e.max(g.x1)));
        pending_space = false;
    }
    s
}

/// Group glyphs into baseline clusters, top first; each cluster sorted left
/// to right.
fn baseline_clusters(mut glyphs: Vec<Glyph>) -> Vec<Vec<Glyph>> {
    glyphs.sort_by(|a, b| b.y.partial_cmp(&a.y).unwrap_or(std::cmp::Ordering::Equal));
    let mut out: Vec<Vec<Glyph>> = Vec::new();
    let mut top = f32::NAN;
    let mut size = 0.0f32;
    for g in glyphs {
        let tol = BASELINE_TOL * size.max(g.size).max(1.0);
        if out.is_empty() || top - g.y > tol {
            top = g.y;
            size = g.size;
            out.push(vec![g]);
        } else {
            size = size.max(g.size);
            out.last_mut().unwrap().push(g);
        }
    }
    for c in &mut out {
        order_words(c);
    }
    out
}

/// Left to right, keeping each shown string (word) whole: OCR layers
/// stretch a word's glyphs over its box, so glyphs of two neighbouring words
/// can interleave in x ("《2023" over "年度)").
fn order_words(line: &mut [Glyph]) {
    let mut start: std::collections::HashMap<u32, f32> = Default::default();
    for g in line.iter() {
        let e = start.entry(g.word).or_insert(g.x0);
        *e = e.min(g.x0);
    }
    line.sort_by(|a, b| {
        let (sa, sb) = (start[&a.word], start[&b.word]);
        sa.partial_cmp(&sb)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.word.cmp(&b.word))
            .then(a.x0.partial_cmp(&b.x0).unwrap_or(std::cmp::Ordering::Equal))
    });
}

/// Full text of a cell: its visual lines joined (no separator, except a
/// space between two ASCII letters).
fn cell_text(glyphs: Vec<Glyph>) -> (String, Option<f32>, Option<f32>) {
    let sizes: Vec<f32> = glyphs.iter().filter(|g| !g.is_space()).map(|g| g.size).collect();
    let top = glyphs.iter().filter(|g| !g.is_space()).map(|g| g.y).fold(None, |m: Option<f32>, y| Some(m.map_or(y, |m| m.max(y))));
    let size = median(sizes.clone()).unwrap_or(10.0);
    // Visual lines with their left and right ends.
    let mut rows: Vec<(String, f32, f32)> = Vec::new();
    for line in baseline_clusters(glyphs) {
        let refs: Vec<&Glyph> = line.iter().collect();
        let t = line_text(&refs).trim().to_string();
        if t.is_empty() {
            continue;
        }
        let solid = line.iter().filter(|g| !g.is_space());
        let x0 = solid.clone().map(|g| g.x0).fold(f32::MAX, f32::min);
        let x1 = solid.map(|g| g.x1).fold(f32::MIN, f32::max);
        rows.push((t, x0, x1));
    }
    // Paragraphs: in left-aligned text (not centred), a line indented by
    // about two characters starts a new paragraph, joined with a newline.
    let left = rows.iter().map(|r| r.1).fold(f32::MAX, f32::min);
    let centres: Vec<f32> = rows.iter().map(|r| (r.1 + r.2) / 2.0).collect();
    let centred = centres.iter().cloned().fold(f32::MIN, f32::max) - centres.iter().cloned().fold(f32::MAX, f32::min) < 0.5 * size;
    let mut text = String::new();
    for (i, (t, x0, _)) in rows.iter().enumerate() {
        let indent = (x0 - left) / size;
        if i > 0 && rows.len() > 2 && !centred && (1.5..=3.5).contains(&indent) {
            text.push('\n');
        } else if !text.is_empty() && is_ascii_alpha_end(&text, true) && is_ascii_alpha_end(t, false) {
            text.push(' ');
        }
        text.push_str(t);
    }
    (text, Some(size).filter(|_| !rows.is_empty()), top)
}

fn glyph_box(glyphs: &[&Glyph]) -> BBox {
    let mut b = BBox { x0: f32::MAX, y0: f32::MAX, x1: f32::MIN, y1: f32::MIN };
    for g in glyphs {
        b.x0 = b.x0.min(g.x0);
        b.x1 = b.x1.max(g.x1);
        b.y0 = b.y0.min(g.y - 0.2 * g.size);
        b.y1 = b.y1.max(g.y + 0.8 * g.size);
    }
    b
}

fn is_border_glyph(g: &Glyph) -> bool {
    matches!(g.text.as_str(), "|" | "｜" | "¦")
}

/// A glyph an OCR layer makes of a rule: Some(true) for a horizontal one
/// (`一 — - _ ~`), Some(false) for a vertical one (`| 丨 ] [ I l`).
pub(super) fn rule_glyph(g: &Glyph) -> Option<bool> {
    match g.text.as_str() {
        "一" | "—" | "-" | "–" | "_" | "~" | "－" | "=" | "一一" | "ー" => Some(true),
        "|" | "｜" | "丨" | "]" | "[" | "I" | "l" | "¦" | "!" => Some(false),
        _ => None,
    }
}

/// Lines of text outside tables.
fn free_lines(glyphs: Vec<Glyph>, opts: LayoutOptions) -> Vec<OutLine> {
    let mut lines = Vec::new();
    for cluster in baseline_clusters(glyphs) {
        let size = median(cluster.iter().filter(|g| !g.is_space()).map(|g| g.size).collect()).unwrap_or(10.0);
        let mut cells: Vec<Vec<&Glyph>> = Vec::new();
        let mut prev_end: Option<f32> = None;
        for g in &cluster {
            if opts.ocr && is_border_glyph(g) {
                cells.push(Vec::new());
                prev_end = None;
                continue;
            }
            if g.is_space() {
                if let Some(c) = cells.last_mut() {
                    c.push(g);
                }
                continue;
            }
            let new_cell = match prev_end {
                None => cells.last().is_none_or(|c| c.iter().any(|g| !g.is_space())),
                Some(end) => g.x0 - end > CELL_GAP * size,
            };
            if new_cell || cells.is_empty() {
                cells.push(Vec::new());
            }
            cells.last_mut().unwrap().push(g);
            prev_end = Some(prev_end.map_or(g.x1, |e: f32| e.max(g.x1)));
        }
        let out: Vec<OutCell> = cells
            .into_iter()
            .filter(|c| c.iter().any(|g| !g.is_space()))
            .map(|c| {
                let solid: Vec<&Glyph> = c.iter().copied().filter(|g| !g.is_space()).collect();
                let text = line_text(&c).trim().to_string();
                OutCell { text, bbox: glyph_box(&solid), font_size: median(solid.iter().map(|g| g.size).collect()), continued: false }
            })
            .collect();
        if out.is_empty() {
            continue;
        }
        let y = cluster.iter().filter(|g| !g.is_space()).map(|g| g.y).fold(f32::MIN, f32::max);
        lines.push(OutLine { cells: out, y, in_table: false });
    }
    lines
}

/// A merged rule segment.
#[derive(Debug, Clone, Copy)]
struct Seg {
    at: f32,
    lo: f32,
    hi: f32,
}

fn merge_rules(rules: &[Rule], horizontal: bool) -> Vec<Seg> {
    let mut rs: Vec<Seg> = rules.iter().filter(|r| r.horizontal == horizontal).map(|r| Seg { at: r.at, lo: r.lo, hi: r.hi }).collect();
    rs.sort_by(|a, b| a.at.partial_cmp(&b.at).unwrap_or(std::cmp::Ordering::Equal));
    let mut out = Vec::new();
    let mut i = 0;
    while i < rs.len() {
        let mut j = i + 1;
        while j < rs.len() && rs[j].at - rs[i].at <= RULE_SNAP {
            j += 1;
        }
        let mut group: Vec<Seg> = rs[i..j].to_vec();
        let at = group.iter().map(|s| s.at).sum::<f32>() / group.len() as f32;
        group.sort_by(|a, b| a.lo.partial_cmp(&b.lo).unwrap_or(std::cmp::Ordering::Equal));
        let mut cur = Seg { at, lo: group[0].lo, hi: group[0].hi };
        for s in &group[1..] {
            if s.lo <= cur.hi + RULE_SNAP {
                cur.hi = cur.hi.max(s.hi);
            } else {
                out.push(cur);
                cur = Seg { at, lo: s.lo, hi: s.hi };
            }
        }
        out.push(cur);
        i = j;
    }
    out
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

/// Positions closer than [`RULE_SNAP`] merged; sorted ascending.
fn snap(mut v: Vec<f32>) -> Vec<f32> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let mut out: Vec<Vec<f32>> = Vec::new();
    for x in v {
        match out.last_mut() {
            Some(g) if x - g[0] <= RULE_SNAP => g.push(x),
            _ => out.push(vec![x]),
        }
    }
    out.into_iter().map(|g| g.iter().sum::<f32>() / g.len() as f32).collect()
}

/// Total length of `segs` at position `at` covering [lo, hi].
fn coverage(segs: &[Seg], at: f32, lo: f32, hi: f32) -> f32 {
    segs.iter().filter(|s| (s.at - at).abs() <= RULE_SNAP).map(|s| (s.hi.min(hi) - s.lo.max(lo)).max(0.0)).sum()
}

/// A ruled table: its grid and its cells (groups of atomic cells).
#[derive(Debug, Clone)]
struct Table {
    /// Column boundaries, ascending.
    xs: Vec<f32>,
    /// Row boundaries, descending (top first).
    ys: Vec<f32>,
    /// Cells as (first row, last row, first col, last col).
    cells: Vec<(usize, usize, usize, usize)>,
    /// Atomic cell (row, col) → index in `cells`.
    owner: Vec<Vec<usize>>,
}

impl Table {
    fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.xs[0] && x <= *self.xs.last().unwrap() && y <= self.ys[0] && y >= *self.ys.last().unwrap()
    }

    /// Does this line-like glyph lie on one of the table's rules?
    fn on_rule(&self, g: &Glyph) -> bool {
        let (cx, cy) = g.centre();
        let tol = (0.35 * g.size).max(RULE_SNAP);
        match rule_glyph(g) {
            Some(true) => self.ys.iter().any(|y| (cy - y).abs() < tol),
            Some(false) => self.xs.iter().any(|x| (cx - x).abs() < tol),
            None => false,
        }
    }

    fn locate(&self, x: f32, y: f32) -> Option<(usize, usize)> {
        let col = (0..self.xs.len() - 1).find(|&j| x >= self.xs[j] && x <= self.xs[j + 1])?;
        let row = (0..self.ys.len() - 1).find(|&i| y <= self.ys[i] && y >= self.ys[i + 1])?;
        Some((row, col))
    }

    fn rect(&self, r0: usize, r1: usize, c0: usize, c1: usize) -> BBox {
        BBox { x0: self.xs[c0], y0: self.ys[r1 + 1], x1: self.xs[c1 + 1], y1: self.ys[r0] }
    }

    fn rows(&self, glyphs: Vec<Glyph>) -> Vec<OutLine> {
        let mut per_cell: Vec<Vec<Glyph>> = vec![Vec::new(); self.cells.len()];
        for g in glyphs {
            let (cx, cy) = g.centre();
            if let Some((r, c)) = self.locate(cx, cy) {
                per_cell[self.owner[r][c]].push(g);
            }
        }
        let texts: Vec<(String, Option<f32>, Option<f32>)> = per_cell.into_iter().map(cell_text).collect();
        let mut lines = Vec::new();
        for r in 0..self.ys.len() - 1 {
            let mut seen: Vec<usize> = Vec::new();
            for c in 0..self.xs.len() - 1 {
                let k = self.owner[r][c];
                if !seen.contains(&k) {
                    seen.push(k);
                }
            }
            let mut cells = Vec::new();
            let mut top: Option<f32> = None;
            let mut any_text = false;
            for k in seen {
                let (r0, r1, c0, c1) = self.cells[k];
                if r0 == r {
                    let (text, size, t) = &texts[k];
                    any_text |= !text.is_empty();
                    if let Some(t) = t {
                        top = Some(top.map_or(*t, |m: f32| m.max(*t)));
                    }
                    cells.push(OutCell { text: text.clone(), bbox: self.rect(r0, r1, c0, c1), font_size: *size, continued: false });
                } else {
                    cells.push(OutCell { text: String::new(), bbox: self.rect(r, r, c0, c1), font_size: None, continued: true });
                }
            }
            if any_text {
                lines.push(OutLine { cells, y: top.unwrap_or(self.ys[r]), in_table: true });
            }
        }
        lines
    }
}

/// Gap (× font size) between the text lines of one cell, above which the
/// lines may belong to two table rows whose rule the scan lost (the leading
/// of wrapped text in a cell is well under it).
const ROW_GAP: f32 = 0.6;

/// Rules a scan lost between two table rows, found in the text: where
/// several cells of one grid row each show a wide vertical gap between
/// their text lines, at the same height, and no text of the row crosses
/// that height, the row is two rows. Returns the missing rules (one per
/// cell of the row, so that cells merged over several rows stay merged).
fn missed_row_rules(t: &Table, glyphs: &[Glyph]) -> Vec<Rule> {
    let nr = t.ys.len() - 1;
    // Text line bodies (bottom, top, size) per cell.
    let mut per_cell: Vec<Vec<&Glyph>> = vec![Vec::new(); t.cells.len()];
    for g in glyphs.iter().filter(|g| !g.is_space()) {
        let (cx, cy) = g.centre();
        if let Some((r, c)) = t.locate(cx, cy) {
            per_cell[t.owner[r][c]].push(g);
        }
    }
    let bodies: Vec<Vec<(f32, f32, f32)>> = per_cell
        .into_iter()
        .map(|gs| {
            baseline_clusters(gs.into_iter().cloned().collect())
                .into_iter()
                .map(|line| {
                    let size = median(line.iter().map(|g| g.size).collect()).unwrap_or(10.0);
                    let lo = line.iter().map(|g| g.y).fold(f32::MAX, f32::min) - 0.2 * size;
                    let hi = line.iter().map(|g| g.y).fold(f32::MIN, f32::max) + 0.8 * size;
                    (lo, hi, size)
                })
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for r in 0..nr {
        // Cells of this grid row only (a cell merged over rows may hold its
        // text anywhere).
        let mut row_cells: Vec<usize> = (0..t.xs.len() - 1).map(|c| t.owner[r][c]).collect();
        row_cells.dedup();
        row_cells.retain(|&k| t.cells[k].0 == r && t.cells[k].1 == r);
        // Candidate gaps: (low, high) between consecutive lines of a cell.
        let mut gaps: Vec<(f32, f32)> = Vec::new();
        for &k in &row_cells {
            let b = &bodies[k];
            for w in b.windows(2) {
                let (above, below) = (w[0], w[1]);
                let size = above.2.max(below.2);
                if above.0 - below.1 >= ROW_GAP * size {
                    gaps.push((below.1, above.0));
                }
            }
        }
        // A gap shared (overlapping) by at least two cells, crossed by no
        // line of the row.
        let mut cuts: Vec<f32> = Vec::new();
        for &(lo, hi) in &gaps {
            let (mut a, mut b) = (lo, hi);
            let mut n = 0;
            for &(lo2, hi2) in &gaps {
                if lo2 < b && hi2 > a {
                    a = a.max(lo2);
                    b = b.min(hi2);
                    n += 1;
                }
            }
            let y = (a + b) / 2.0;
            let crossed = row_cells.iter().any(|&k| bodies[k].iter().any(|l| l.0 < y && l.1 > y));
            if n >= 2 && b > a && !crossed && !cuts.iter().any(|c| (c - y).abs() < 2.0 * RULE_SNAP) {
                cuts.push(y);
            }
        }
        for y in cuts {
            for &k in &row_cells {
                let (_, _, c0, c1) = t.cells[k];
                out.push(Rule { horizontal: true, at: y, lo: t.xs[c0], hi: t.xs[c1 + 1] });
            }
        }
    }
    // Cells merged over a row boundary that other cells draw: split where
    // their text shows the same wide gap at that boundary.
    for k in 1..nr {
        let y = t.ys[k];
        let mut split: Vec<usize> = (0..t.cells.len())
            .filter(|&i| {
                let (r0, r1, _, _) = t.cells[i];
                if !(r0 < k && r1 >= k) {
                    return false;
                }
                let b = &bodies[i];
                let above = b.iter().filter(|l| l.0 >= y).map(|l| (l.0, l.2)).fold(None, |m: Option<(f32, f32)>, l| Some(m.map_or(l, |m| if l.0 < m.0 { l } else { m })));
                let below = b.iter().filter(|l| l.1 <= y).map(|l| (l.1, l.2)).fold(None, |m: Option<(f32, f32)>, l| Some(m.map_or(l, |m| if l.0 > m.0 { l } else { m })));
                match (above, below) {
                    (Some((lo, s1)), Some((hi, s2))) => lo - hi >= ROW_GAP * s1.max(s2) && !b.iter().any(|l| l.0 < y && l.1 > y),
                    _ => false,
                }
            })
            .collect();
        split.dedup();
        // One wide cell alone (a rule lost under one value cell: "…中心" and
        // the next row's "本市信息安全监测预警" read as one cell): split
        // when its text lines (OCR specks of a smaller size aside) fall
        // clear on both sides of the boundary, each on the baseline of
        // another cell's text in its row. Narrow cells (vertical labels,
        // one glyph per line) are never split this way.
        if split.len() < 2 {
            split = (0..t.cells.len()).filter(|&i| lone_cell_spans_rows(t, &bodies, i, k)).collect();
        }
        if !split.is_empty() {
            for i in split {
                let (_, _, c0, c1) = t.cells[i];
                out.push(Rule { horizontal: true, at: y, lo: t.xs[c0], hi: t.xs[c1 + 1] });
            }
        }
    }
    out
}

/// Does cell `i`, merged over the row boundary `k`, hold two rows' text
/// (see [`missed_row_rules`])? `bodies`: text line bodies per cell.
fn lone_cell_spans_rows(t: &Table, bodies: &[Vec<(f32, f32, f32)>], i: usize, k: usize) -> bool {
    let (r0, r1, c0, c1) = t.cells[i];
    if !(r0 < k && r1 >= k) {
        return false;
    }
    let y = t.ys[k];
    let size = bodies[i].iter().map(|l| l.2).fold(0.0f32, f32::max);
    if t.xs[c1 + 1] - t.xs[c0] < 4.0 * size {
        return false;
    }
    let lines: Vec<&(f32, f32, f32)> = bodies[i].iter().filter(|l| l.2 >= 0.7 * size).collect();
    if lines.iter().any(|l| l.0 < y && l.1 > y) {
        return false;
    }
    // a text line of another cell lying wholly in rows `rows`, on the same
    // baseline band as `l`
    let aligned = |l: &(f32, f32, f32), rows: std::ops::RangeInclusive<usize>| {
        (0..t.cells.len()).any(|j| {
            let (q0, q1, _, _) = t.cells[j];
            j != i && rows.contains(&q0) && rows.contains(&q1) && bodies[j].iter().any(|m| (m.0 - l.0).abs() < 0.4 * l.2.max(m.2))
        })
    };
    let above: Vec<_> = lines.iter().filter(|l| l.0 >= y).collect();
    let below: Vec<_> = lines.iter().filter(|l| l.1 <= y).collect();
    !above.is_empty() && !below.is_empty() && above.iter().all(|l| aligned(l, r0..=k - 1)) && below.iter().all(|l| aligned(l, k..=r1))
}

fn find_tables(rules: &[Rule]) -> Vec<Table> {
    let hs = merge_rules(rules, true);
    let vs = merge_rules(rules, false);
    if hs.len() < 2 || vs.len() < 2 {
        return Vec::new();
    }
    let n = hs.len() + vs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for (i, h) in hs.iter().enumerate() {
        for (j, v) in vs.iter().enumerate() {
            if v.at >= h.lo - RULE_SNAP && v.at <= h.hi + RULE_SNAP && h.at >= v.lo - RULE_SNAP && h.at <= v.hi + RULE_SNAP {
                union(&mut parent, i, hs.len() + j);
            }
        }
    }
    let mut comps: std::collections::BTreeMap<usize, (Vec<Seg>, Vec<Seg>)> = Default::default();
    for i in 0..n {
        let root = find(&mut parent, i);
        let e = comps.entry(root).or_default();
        if i < hs.len() {
            e.0.push(hs[i]);
        } else {
            e.1.push(vs[i - hs.len()]);
        }
    }
    let mut tables = Vec::new();
    for (_, (h, v)) in comps {
        if h.len() < 2 || v.len() < 2 {
            continue;
        }
        // A table cut by a page break has no rule on its open side: the
        // vertical rules run past the last horizontal one (and vice versa).
        // Their ends close the grid.
        let mut xs_raw: Vec<f32> = v.iter().map(|s| s.at).collect();
        let mut ys_raw: Vec<f32> = h.iter().map(|s| s.at).collect();
        let (xmin, xmax) = (xs_raw.iter().cloned().fold(f32::MAX, f32::min), xs_raw.iter().cloned().fold(f32::MIN, f32::max));
        let (ymin, ymax) = (ys_raw.iter().cloned().fold(f32::MAX, f32::min), ys_raw.iter().cloned().fold(f32::MIN, f32::max));
        let (vlo, vhi) = (v.iter().map(|s| s.lo).fold(f32::MAX, f32::min), v.iter().map(|s| s.hi).fold(f32::MIN, f32::max));
        let (hlo, hhi) = (h.iter().map(|s| s.lo).fold(f32::MAX, f32::min), h.iter().map(|s| s.hi).fold(f32::MIN, f32::max));
        if vhi > ymax + 2.0 * RULE_SNAP {
            ys_raw.push(vhi);
        }
        if vlo < ymin - 2.0 * RULE_SNAP {
            ys_raw.push(vlo);
        }
        if hlo < xmin - 2.0 * RULE_SNAP {
            xs_raw.push(hlo);
        }
        if hhi > xmax + 2.0 * RULE_SNAP {
            xs_raw.push(hhi);
        }
        let xs = snap(xs_raw);
        let mut ys = snap(ys_raw);
        ys.reverse();
        if xs.len() < 2 || ys.len() < 2 {
            continue;
        }
        let (nr, nc) = (ys.len() - 1, xs.len() - 1);
        let mut p: Vec<usize> = (0..nr * nc).collect();
        for r in 0..nr {
            for c in 0..nc {
                // Right neighbour: separated when the rule at xs[c+1] covers
                // most of the row's height.
                if c + 1 < nc {
                    let (lo, hi) = (ys[r + 1], ys[r]);
                    if coverage(&v, xs[c + 1], lo, hi) < 0.5 * (hi - lo) {
                        union(&mut p, r * nc + c, r * nc + c + 1);
                    }
                }
                if r + 1 < nr {
                    let (lo, hi) = (xs[c], xs[c + 1]);
                    if coverage(&h, ys[r + 1], lo, hi) < 0.5 * (hi - lo) {
                        union(&mut p, r * nc + c, (r + 1) * nc + c);
                    }
                }
            }
        }
        let mut index: std::collections::HashMap<usize, usize> = Default::default();
        let mut cells: Vec<(usize, usize, usize, usize)> = Vec::new();
        let mut owner = vec![vec![0usize; nc]; nr];
        #[allow(clippy::needless_range_loop)]
        for r in 0..nr {
            for c in 0..nc {
                let root = find(&mut p, r * nc + c);
                let k = *index.entry(root).or_insert_with(|| {
                    cells.push((r, r, c, c));
                    cells.len() - 1
                });
                let cell = &mut cells[k];
                cell.0 = cell.0.min(r);
                cell.1 = cell.1.max(r);
                cell.2 = cell.2.min(c);
                cell.3 = cell.3.max(c);
                owner[r][c] = k;
            }
        }
        tables.push(Table { xs, ys, cells, owner });
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(text: &str, x0: f32, y: f32, size: f32) -> Glyph {
        Glyph { text: text.into(), x0, x1: x0 + size * if text.is_ascii() { 0.5 } else { 1.0 }, y, size, word: 0 }
    }

    /// The glyphs of `s` set side by side from `x` on baseline `y`.
    fn word(s: &str, x: f32, y: f32, size: f32) -> Vec<Glyph> {
        let mut x = x;
        s.chars()
            .map(|c| {
                let gl = g(&c.to_string(), x, y, size);
                x = gl.x1;
                gl
            })
            .collect()
    }

    fn h(y: f32, lo: f32, hi: f32) -> Rule {
        Rule { horizontal: true, at: y, lo, hi }
    }
    fn v(x: f32, lo: f32, hi: f32) -> Rule {
        Rule { horizontal: false, at: x, lo, hi }
    }

    #[test]
    fn scan_rows_whose_rule_was_lost_are_split_by_shared_text_gaps() {
        // Three columns; the rule between rows 2 and 3 was lost in columns
        // 0–1 (the scan) but is drawn in column 2. Rows 1–2 are one grid row
        // (their rule is lost everywhere); column 0 of row 1 wraps over two
        // close lines, which must stay one cell.
        let rules = vec![
            h(700.0, 0.0, 300.0),
            h(620.0, 200.0, 300.0),
            h(580.0, 0.0, 300.0),
            v(0.0, 580.0, 700.0),
            v(100.0, 580.0, 700.0),
            v(200.0, 580.0, 700.0),
            v(300.0, 580.0, 700.0),
        ];
        let mut glyphs = Vec::new();
        // Row 1 (700–660): col 0 wraps "数量" / "指标" 12 pt apart.
        glyphs.extend(word("数量", 10.0, 685.0, 10.0));
        glyphs.extend(word("指标", 10.0, 673.0, 10.0));
        glyphs.extend(word("次数", 110.0, 679.0, 10.0));
        glyphs.extend(word("10", 210.0, 679.0, 10.0));
        // Row 2 (660–620).
        glyphs.extend(word("质量", 10.0, 637.0, 10.0));
        glyphs.extend(word("比率", 110.0, 637.0, 10.0));
        glyphs.extend(word("20", 210.0, 637.0, 10.0));
        // Row 3 (620–580).
        glyphs.extend(word("时效", 10.0, 597.0, 10.0));
        glyphs.extend(word("时间", 110.0, 597.0, 10.0));
        glyphs.extend(word("30", 210.0, 597.0, 10.0));
        let ink = PageInk { glyphs, rules, width: 595.0, height: 842.0, ..Default::default() };
        let texts: Vec<String> = layout(&ink, LayoutOptions { ocr: true }).iter().map(|l| l.text()).collect();
        assert_eq!(texts, ["数量指标\t次数\t10", "质量\t比率\t20", "时效\t时间\t30"]);
        // A digital page draws all its rules: no guessing there.
        let lines = layout(&ink, LayoutOptions { ocr: false });
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn a_wide_cell_whose_lower_rule_was_lost_is_split_by_its_rows_baselines() {
        // Two header rows: 单位 | value (100–400), then 项目名称 | value
        // (100–250) | 类别 (250–400). The scan lost the rule under the first
        // value and the rule at 250, so the value cell spans both rows.
        let rules = vec![
            h(700.0, 0.0, 400.0),
            h(670.0, 0.0, 100.0),
            h(640.0, 0.0, 400.0),
            v(0.0, 640.0, 700.0),
            v(100.0, 640.0, 700.0),
            v(400.0, 640.0, 700.0),
        ];
        let mut glyphs = Vec::new();
        glyphs.extend(word("单位", 10.0, 680.0, 12.0));
        glyphs.extend(word("信息中心", 110.0, 681.0, 14.0));
        // a small OCR speck astride the lost rule
        glyphs.extend(word("二", 200.0, 668.0, 6.0));
        glyphs.extend(word("名称", 10.0, 650.0, 12.0));
        glyphs.extend(word("监测预警", 110.0, 651.0, 12.0));
        let ink = PageInk { glyphs: glyphs.clone(), rules: rules.clone(), width: 595.0, height: 842.0, ..Default::default() };
        let texts: Vec<String> = layout(&ink, LayoutOptions { ocr: true }).iter().map(|l| l.text()).collect();
        assert!(texts[0].starts_with("单位\t信息中心"), "{texts:?}");
        assert!(texts[1].starts_with("名称\t监测预警"), "{texts:?}");
        // the lower text on no other cell's baseline: one cell, as drawn
        let mut off = glyphs.clone();
        for gl in off.iter_mut().filter(|gl| gl.text == "名" || gl.text == "称") {
            gl.y -= 6.0;
        }
        let ink = PageInk { glyphs: off, rules, width: 595.0, height: 842.0, ..Default::default() };
        let texts: Vec<String> = layout(&ink, LayoutOptions { ocr: true }).iter().map(|l| l.text()).collect();
        assert!(texts[0].contains("信息中心") && texts[0].contains("监测预警"), "{texts:?}");
    }

    #[test]
    fn free_text_splits_cells_at_wide_gaps() {
        let mut glyphs = Vec::new();
        for (i, c) in "项目名称".chars().enumerate() {
            glyphs.push(g(&c.to_string(), 50.0 + 10.0 * i as f32, 700.0, 10.0));
        }
        for (i, c) in "业务保障".chars().enumerate() {
            glyphs.push(g(&c.to_string(), 200.0 + 10.0 * i as f32, 700.5, 10.0));
        }
        let ink = PageInk { glyphs, width: 595.0, height: 842.0, ..Default::default() };
        let lines = layout(&ink, LayoutOptions::default());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text(), "项目名称\t业务保障");
    }

    #[test]
    fn ruled_grid_merges_unruled_cells_and_joins_wrapped_text() {
        // Two rows, three columns; column 0 merged over both rows.
        let rules = vec![
            h(700.0, 0.0, 300.0),
            h(650.0, 100.0, 300.0),
            h(600.0, 0.0, 300.0),
            v(0.0, 600.0, 700.0),
            v(100.0, 600.0, 700.0),
            v(200.0, 600.0, 700.0),
            v(300.0, 600.0, 700.0),
        ];
        let mut glyphs = vec![g("产", 10.0, 660.0, 10.0), g("出", 20.0, 660.0, 10.0), g("指", 10.0, 645.0, 10.0), g("标", 20.0, 645.0, 10.0)];
        glyphs.extend([g("数", 110.0, 670.0, 10.0), g("量", 120.0, 670.0, 10.0)]);
        glyphs.extend([g("1", 210.0, 670.0, 10.0), g("0", 215.0, 670.0, 10.0)]);
        glyphs.extend([g("质", 110.0, 620.0, 10.0), g("量", 120.0, 620.0, 10.0)]);
        glyphs.extend([g("≥", 210.0, 625.0, 10.0), g("9", 215.0, 625.0, 10.0), g("(", 210.0, 612.0, 10.0), g("%", 215.0, 612.0, 10.0), g(")", 220.0, 612.0, 10.0)]);
        let ink = PageInk { glyphs, rules, width: 595.0, height: 842.0, ..Default::default() };
        let lines = layout(&ink, LayoutOptions::default());
        let texts: Vec<String> = lines.iter().map(|l| l.text()).collect();
        assert_eq!(texts, ["产出指标\t数量\t10", "\t质量\t≥9(%)"]);
        assert!(lines.iter().all(|l| l.in_table));
        assert_eq!(lines[0].cells[0].bbox, BBox { x0: 0.0, y0: 600.0, x1: 100.0, y1: 700.0 });
    }
}
