//! Table rules of a scanned page, read from its image.
//!
//! An OCR'd scan has no drawn rules: the table is in the picture. The page
//! image is decoded at about 100–200 dpi (JPEG by DCT scaling, raw samples by
//! averaging), its skew estimated from the projection profile of the dark
//! pixels, and long thin horizontal and vertical runs of pixels darker than
//! the paper beside them are kept as [`Rule`]s in page space — after the
//! same rotation that the glyphs get, so the table code sees an upright
//! page. Runs that lie inside the OCR'd glyphs are strokes of the text and
//! are dropped. Bilevel codecs (CCITT, JBIG2) and
//! JPEG 2000 are not decoded: such pages keep x-gap cells.

use lopdf::{Document, Object, ObjectId};

use super::collect::{Glyph, Rule};

/// A grey image, row-major, 0 = black.
pub struct Gray {
    pub w: usize,
    pub h: usize,
    pub px: Vec<u8>,
}

/// Decode target: at least this many pixels across (JPEG scales by 1/2^k).
const TARGET_WIDTH: usize = 1000;

/// Decode an image XObject to grey at reduced resolution.
pub fn decode(doc: &Document, id: ObjectId) -> Option<Gray> {
    let stream = doc.get_object(id).ok()?.as_stream().ok()?;
    let dict = &stream.dict;
    let int = |k: &[u8]| dict.get(k).ok().and_then(|o| o.as_i64().ok());
    let (w, h) = (int(b"Width")? as usize, int(b"Height")? as usize);
    if w < 100 || h < 100 {
        return None;
    }
    let filters: Vec<Vec<u8>> = match dict.get(b"Filter") {
        Ok(Object::Name(n)) => vec![n.clone()],
        Ok(Object::Array(a)) => a.iter().filter_map(|o| o.as_name().ok().map(|n| n.to_vec())).collect(),
        _ => Vec::new(),
    };
    match filters.last().map(|f| f.as_slice()) {
        Some(b"DCTDecode") if filters.len() == 1 => decode_jpeg(&stream.content),
        None | Some(b"FlateDecode") | Some(b"LZWDecode") => {
            let data = stream.decompressed_content().ok()?;
            let bpc = int(b"BitsPerComponent").unwrap_or(8) as usize;
            let comps = match dict.get(b"ColorSpace").ok().and_then(|o| o.as_name().ok()) {
                Some(b"DeviceRGB") => 3,
                Some(b"DeviceGray") => 1,
                _ if bpc == 1 => 1,
                _ => return None,
            };
            decode_raw(&data, w, h, bpc, comps)
        }
        _ => None,
    }
}

fn decode_jpeg(data: &[u8]) -> Option<Gray> {
    let mut dec = jpeg_decoder::Decoder::new(data);
    dec.read_info().ok()?;
    let info = dec.info()?;
    let req_w = TARGET_WIDTH.min(info.width as usize) as u16;
    let req_h = ((info.height as usize * req_w as usize) / info.width.max(1) as usize).max(1) as u16;
    let (sw, sh) = dec.scale(req_w, req_h).ok()?;
    let pixels = dec.decode().ok()?;
    let (w, h) = (sw as usize, sh as usize);
    let px = match dec.info()?.pixel_format {
        jpeg_decoder::PixelFormat::L8 => pixels,
        jpeg_decoder::PixelFormat::RGB24 => pixels.chunks_exact(3).map(|p| ((p[0] as u32 + p[1] as u32 + p[2] as u32) / 3) as u8).collect(),
        _ => return None,
    };
    (px.len() >= w * h).then_some(Gray { w, h, px })
}

fn decode_raw(data: &[u8], w: usize, h: usize, bpc: usize, comps: usize) -> Option<Gray> {
    let row_bytes = (w * comps * bpc).div_ceil(8);
    if data.len() < row_bytes * h || !(bpc == 1 || bpc == 8) {
        return None;
    }
    let sample = |x: usize, y: usize| -> u32 {
        let row = &data[y * row_bytes..(y + 1) * row_bytes];
        if bpc == 1 {
            if row[x / 8] & (0x80 >> (x % 8)) != 0 { 255 } else { 0 }
        } else {
            let p = &row[x * comps..x * comps + comps];
            p.iter().map(|&v| v as u32).sum::<u32>() / comps as u32
        }
    };
    let f = (w / TARGET_WIDTH).max(1);
    let (ow, oh) = (w / f, h / f);
    let mut px = Vec::with_capacity(ow * oh);
    for oy in 0..oh {
        for ox in 0..ow {
            let mut s = 0;
            for dy in 0..f {
                for dx in 0..f {
                    s += sample(ox * f + dx, oy * f + dy);
                }
            }
            px.push((s / (f * f) as u32) as u8);
        }
    }
    Some(Gray { w: ow, h: oh, px })
}

/// The page as an upright picture: how page points map to it. A scan is
/// modelled as an upright page sheared by two small angles (a rotation when
/// they agree): image = c + M·(upright − c), M = [[1, tv], [th, 1]], with
/// th the slope of horizontal lines (dy/dx) and tv that of vertical lines
/// (dx/dy), both in image pixels (y down).
pub struct Upright {
    /// Pixels per point.
    sx: f32,
    sy: f32,
    page_h: f32,
    cx: f32,
    cy: f32,
    th: f32,
    tv: f32,
}

impl Upright {
    /// Page point (as the text layer places it on the scan) → upright page
    /// point.
    pub fn point(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x * self.sx - self.cx, (self.page_h - y) * self.sy - self.cy);
        let det = 1.0 - self.th * self.tv;
        let (ux, uy) = ((dx - self.tv * dy) / det, (dy - self.th * dx) / det);
        ((ux + self.cx) / self.sx, self.page_h - (uy + self.cy) / self.sy)
    }

    /// Move glyphs into the upright frame.
    pub fn glyphs(&self, glyphs: &mut [Glyph]) {
        if self.th.abs() < 1e-4 && self.tv.abs() < 1e-4 {
            return;
        }
        for g in glyphs {
            let (x0, y) = self.point(g.x0, g.y);
            let w = g.x1 - g.x0;
            g.x0 = x0;
            g.x1 = x0 + w;
            g.y = y;
        }
    }
}

/// Rules (in upright page points) of a scanned page image covering the page,
/// and the frame they are in. None when the picture shows no long lines.
///
/// Rules are found in the upright grey picture by local contrast, not by one
/// global threshold: a scanned rule is often much lighter than the text (a
/// hairline averaged down by the scan and the decoder), but it is still
/// darker than the paper just above and below it (left and right of it for
/// a vertical rule).
pub fn rules(img: &Gray, page_w: f32, page_h: f32) -> Option<(Vec<Rule>, Upright)> {
    let (w, h) = (img.w, img.h);
    let (ink, paper) = levels(img)?;
    let t = (paper as f32 - DARK_FROM_PAPER * (paper - ink) as f32) as u8;
    let dark: Vec<bool> = img.px[..w * h].iter().map(|&p| p < t).collect();
    // Skew from the pixels of long straight runs only (rule pieces, not
    // text): horizontal runs give the slope of the rows, vertical runs
    // that of the columns.
    let pts_h = run_pixels(&dark, w, h, true, (w / 60).max(8));
    let pts_v = run_pixels(&dark, w, h, false, (h / 120).max(8));
    let th = estimate_slope(&pts_h, h + w, |(x, y), t| y - x * t);
    let tv = estimate_slope(&pts_v, h + w, |(x, y), t| x - y * t);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    // Upright grey picture: each upright pixel from its place on the scan.
    let up: Vec<u8> = if th.abs() < 1e-4 && tv.abs() < 1e-4 {
        img.px[..w * h].to_vec()
    } else {
        let mut up = vec![paper; w * h];
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let sx = (dx + tv * dy + cx).round();
                let sy = (dy + th * dx + cy).round();
                if sx >= 0.0 && sy >= 0.0 && (sx as usize) < w && (sy as usize) < h {
                    up[y * w + x] = img.px[sy as usize * w + sx as usize];
                }
            }
        }
        up
    };
    let frame = Upright { sx: w as f32 / page_w, sy: h as f32 / page_h, page_h, cx, cy, th, tv };
    // Pixels per point: the pixel sizes of the constants are for about one.
    let unit = (w as f32 / page_w).max(0.5);
    let contrast = (LINE_CONTRAST * (paper - ink) as f32).max(8.0) as i32;
    let reach = (3.0 * unit).round().max(3.0) as usize;
    let min_h = (w / 30).max(12);
    let min_v = (h / 60).max(12);
    let mut out = Vec::new();
    // Where two rules cross, neither is darker than its sides: a run goes
    // on through a few dark pixels (the crossing rule).
    let dim: Vec<bool> = up.iter().map(|&p| (p as i32) < paper as i32 - contrast).collect();
    for (horizontal, min_len) in [(true, min_h), (false, min_v)] {
        let mask = ridge(&up, w, h, horizontal, reach, contrast);
        for (at, lo, hi) in runs(&mask, &dim, w, h, horizontal, min_len, unit) {
            let rule = if horizontal {
                Rule { horizontal, at: page_h - at / frame.sy, lo: lo / frame.sx, hi: hi / frame.sx }
            } else {
                Rule { horizontal, at: at / frame.sx, lo: page_h - hi / frame.sy, hi: page_h - lo / frame.sy }
            };
            out.push(rule);
        }
    }
    let hs = out.iter().filter(|r| r.horizontal).count();
    (hs >= 2 && out.len() - hs >= 2).then_some((out, frame))
}

/// Drop "rules" that are strokes of the OCR'd text: a dark line that lies
/// mostly inside the boxes of recognised words (a bold title's bars, the
/// long strokes of 十 or 丨, strokes of two lines of tight text run
/// together) is part of the writing, not of the table. A table rule runs
/// between the words; where an OCR word box overlaps it, that covers only
/// a little of its length. Glyphs that an OCR layer makes of rules (`|`,
/// `一`) are no evidence.
pub fn drop_text_strokes(rules: &mut Vec<Rule>, glyphs: &[Glyph]) {
    // Word boxes (an OCR layer spreads a word's glyphs, spaces included,
    // over the word's place in the picture): words with some writing.
    let mut words: std::collections::BTreeMap<u32, Glyph> = Default::default();
    for g in glyphs.iter().filter(|g| !g.text.is_empty() && g.size > 0.0) {
        let writing = !g.is_space() && super::layout::rule_glyph(g).is_none();
        let e = words.entry(g.word).or_insert_with(|| Glyph { text: String::new(), ..g.clone() });
        e.x0 = e.x0.min(g.x0);
        e.x1 = e.x1.max(g.x1);
        e.y = e.y.min(g.y);
        e.size = e.size.max(g.size);
        if writing {
            e.text.push_str(&g.text);
        }
    }
    let text: Vec<&Glyph> = words.values().filter(|w| !w.text.is_empty()).collect();
    rules.retain(|r| {
        let mut spans: Vec<(f32, f32)> = Vec::new();
        for g in &text {
            let span = if r.horizontal {
                (r.at > g.y + 0.05 * g.size && r.at < g.y + 0.8 * g.size).then_some((g.x0, g.x1))
            } else {
                let margin = 0.05 * (g.x1 - g.x0).min(g.size);
                (r.at > g.x0 + margin && r.at < g.x1 - margin).then_some((g.y - 0.2 * g.size, g.y + 0.9 * g.size))
            };
            if let Some((a, b)) = span {
                let (a, b) = (a.max(r.lo), b.min(r.hi));
                if b > a {
                    spans.push((a, b));
                }
            }
        }
        covered(spans) < 0.6 * (r.hi - r.lo)
    });
}

/// Total length of the union of intervals.
fn covered(mut spans: Vec<(f32, f32)>) -> f32 {
    spans.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut total = 0.0;
    let mut cur: Option<(f32, f32)> = None;
    for (a, b) in spans {
        match cur {
            Some((c0, c1)) if a <= c1 => cur = Some((c0, c1.max(b))),
            _ => {
                if let Some((c0, c1)) = cur {
                    total += c1 - c0;
                }
                cur = Some((a, b));
            }
        }
    }
    total + cur.map_or(0.0, |(c0, c1)| c1 - c0)
}

/// Ink and paper grey levels (0.2th and 90th percentiles). None for a blank
/// or flat picture.
fn levels(img: &Gray) -> Option<(u8, u8)> {
    let mut hist = [0usize; 256];
    for &p in &img.px[..img.w * img.h] {
        hist[p as usize] += 1;
    }
    let n = img.w * img.h;
    let pct = |q: f32| {
        let target = (n as f32 * q) as usize;
        let mut acc = 0;
        for (v, &c) in hist.iter().enumerate() {
            acc += c;
            if acc > target {
                return v as u8;
            }
        }
        255
    };
    let (ink, paper) = (pct(0.002), pct(0.90));
    (paper >= ink.saturating_add(40)).then_some((ink, paper))
}

/// Pixels of thin lines along `horizontal` (thin in y for horizontal
/// lines): darker by `contrast` than the lightest pixel within `reach` on
/// both sides (looking from 2 pixels away, so a line up to 3 pixels thick
/// counts).
fn ridge(g: &[u8], w: usize, h: usize, horizontal: bool, reach: usize, contrast: i32) -> Vec<bool> {
    if horizontal {
        return ridge_rows(g, w, h, reach, contrast);
    }
    ridge_cols(g, w, h, reach, contrast)
}

/// The paper a line pixel is compared with: the darker of the lightest
/// pixels on its two sides (-1: that side is off the picture; at the edge
/// only one side is seen).
fn background(a: i32, b: i32) -> Option<i32> {
    match (a, b) {
        (-1, -1) => None,
        (-1, b) => Some(b),
        (a, -1) => Some(a),
        (a, b) => Some(a.min(b)),
    }
}

/// Mark the pixels of `row` darker by `contrast` than their background
/// (the lightest pixels on either side, `side_a`/`side_b`).
fn mark_ridge(row: &[u8], side_a: &[i32], side_b: &[i32], contrast: i32, out_row: &mut [bool]) {
    for x in 0..row.len() {
        if let Some(bg) = background(side_a[x], side_b[x]) {
            if bg - row[x] as i32 >= contrast {
                out_row[x] = true;
            }
        }
    }
}

/// [`ridge`] for vertical lines: the lightest pixel 2..=reach columns left
/// and right, computed a shift at a time over whole rows (vectorises).
fn ridge_cols(g: &[u8], w: usize, h: usize, reach: usize, contrast: i32) -> Vec<bool> {
    let mut out = vec![false; w * h];
    let mut left = vec![-1i32; w];
    let mut right = vec![-1i32; w];
    for y in 0..h {
        let row = &g[y * w..(y + 1) * w];
        left.fill(-1);
        right.fill(-1);
        for d in 2..=reach.min(w.saturating_sub(1)) {
            for x in d..w {
                left[x] = left[x].max(row[x - d] as i32);
            }
            for x in 0..w - d {
                right[x] = right[x].max(row[x + d] as i32);
            }
        }
        mark_ridge(row, &left, &right, contrast, &mut out[y * w..(y + 1) * w]);
    }
    out
}

/// The plain definition of [`ridge`], walking each line pixel by pixel:
/// the reference the fast versions are tested against.
#[cfg(test)]
fn ridge_reference(g: &[u8], w: usize, h: usize, horizontal: bool, reach: usize, contrast: i32) -> Vec<bool> {
    let mut out = vec![false; w * h];
    // Walk across the line direction: for horizontal rules, down each column.
    let (lines, len) = if horizontal { (w, h) } else { (h, w) };
    let idx = |line: usize, i: usize| if horizontal { i * w + line } else { line * w + i };
    for line in 0..lines {
        let side = |i: usize, dir: isize| -> i32 {
            let mut best = -1;
            for d in 2..=reach as isize {
                let j = i as isize + dir * d;
                if j < 0 || j as usize >= len {
                    break;
                }
                best = best.max(g[idx(line, j as usize)] as i32);
            }
            best
        };
        for i in 0..len {
            let v = g[idx(line, i)] as i32;
            // At the picture's edge only one side is seen.
            let Some(bg) = background(side(i, -1), side(i, 1)) else { continue };
            if bg - v >= contrast {
                out[idx(line, i)] = true;
            }
        }
    }
    out
}

/// [`ridge`] for horizontal lines, row by row: the lightest pixel 2..=reach
/// rows above and below every pixel of a row, taken over whole rows so the
/// memory is read in order (the column walk was the page's hot spot).
fn ridge_rows(g: &[u8], w: usize, h: usize, reach: usize, contrast: i32) -> Vec<bool> {
    let mut out = vec![false; w * h];
    let mut above = vec![-1i32; w];
    let mut below = vec![-1i32; w];
    for y in 0..h {
        above.fill(-1);
        below.fill(-1);
        for d in 2..=reach {
            if y >= d {
                let row = &g[(y - d) * w..(y - d + 1) * w];
                for (m, &p) in above.iter_mut().zip(row) {
                    *m = (*m).max(p as i32);
                }
            }
            if y + d < h {
                let row = &g[(y + d) * w..(y + d + 1) * w];
                for (m, &p) in below.iter_mut().zip(row) {
                    *m = (*m).max(p as i32);
                }
            }
        }
        mark_ridge(&g[y * w..(y + 1) * w], &above, &below, contrast, &mut out[y * w..(y + 1) * w]);
    }
    out
}

/// Pixels (x, y) of unbroken dark runs at least `min_len` long.
fn run_pixels(dark: &[bool], w: usize, h: usize, horizontal: bool, min_len: usize) -> Vec<(f32, f32)> {
    let (lines, len) = if horizontal { (h, w) } else { (w, h) };
    let at = |line: usize, i: usize| if horizontal { dark[line * w + i] } else { dark[i * w + line] };
    let mut out = Vec::new();
    for line in 0..lines {
        let mut i = 0;
        while i < len {
            if !at(line, i) {
                i += 1;
                continue;
            }
            let start = i;
            while i < len && at(line, i) {
                i += 1;
            }
            if i - start >= min_len {
                for k in start..i {
                    out.push(if horizontal { (k as f32, line as f32) } else { (line as f32, k as f32) });
                }
            }
        }
    }
    out
}

/// The slope t (within ±2°) that makes the profile of `proj(point, t)`
/// sharpest: coarse steps of 0.1°, then 0.02° around the best.
fn estimate_slope(pts: &[(f32, f32)], bins: usize, proj: impl Fn((f32, f32), f32) -> f32) -> f32 {
    if pts.len() < 100 {
        return 0.0;
    }
    let offset = bins as f32 * 0.05;
    let score = |deg: f32| -> f64 {
        let t = deg.to_radians().tan();
        let mut hist = vec![0u32; bins * 11 / 10 + 2];
        for &p in pts {
            let b = (proj(p, t) + offset) as isize;
            if b >= 0 && (b as usize) < hist.len() {
                hist[b as usize] += 1;
            }
        }
        hist.iter().map(|&c| (c as f64) * (c as f64)).sum()
    };
    let search = |from: f32, to: f32, step: f32, best: (f32, f64)| {
        let mut best = best;
        let mut deg = from;
        while deg <= to + 1e-4 {
            let s = score(deg);
            if s > best.1 * 1.000_01 {
                best = (deg, s);
            }
            deg += step;
        }
        best
    };
    let coarse = search(-2.0, 2.0, 0.1, (0.0, score(0.0)));
    let fine = search(coarse.0 - 0.1, coarse.0 + 0.1, 0.02, coarse);
    fine.0.to_radians().tan()
}

/// Distance (pixels at one pixel per point) from a rule at which the paper
/// must show.
const HALO: f32 = 3.0;
/// Light pixels (at one pixel per point) a run may skip.
const MAX_GAP: f32 = 2.0;
/// Thickest rule (pixels at one pixel per point, after deskewing).
const MAX_THICK: f32 = 4.0;
/// A pixel is dark below paper − this × (paper − ink) (skew estimate).
const DARK_FROM_PAPER: f32 = 0.3;
/// A rule pixel is darker than the paper beside it by this × (paper − ink).
const LINE_CONTRAST: f32 = 0.12;

/// Long thin runs: (position across, start, end) in pixels, with runs of
/// neighbouring rows (columns) merged into one rule.
fn runs(up: &[bool], dim: &[bool], w: usize, h: usize, horizontal: bool, min_len: usize, unit: f32) -> Vec<(f32, f32, f32)> {
    let (lines, len) = if horizontal { (h, w) } else { (w, h) };
    let max_gap = (MAX_GAP * unit).round().max(1.0) as usize;
    let halo_px = (HALO * unit).round().max(2.0) as isize;
    let max_thick = (MAX_THICK * unit).round().max(3.0) as usize;
    let at = |line: usize, i: usize| if horizontal { up[line * w + i] } else { up[i * w + line] };
    let dim_at = |line: usize, i: usize| if horizontal { dim[line * w + i] } else { dim[i * w + line] };
    let cross = 2 * max_gap + 3;
    // Per line: runs of dark allowing short gaps (noise, JPEG blocks), and
    // a crossing rule (dark, but not darker than its sides).
    let mut pieces: Vec<(usize, usize, usize)> = Vec::new();
    for line in 0..lines {
        let mut i = 0;
        while i < len {
            if !at(line, i) {
                i += 1;
                continue;
            }
            let start = i;
            let mut end = i;
            let mut j = i + 1;
            while j < len && ((j - end) <= max_gap + 1 || (dim_at(line, j) && j - end <= cross)) {
                if at(line, j) {
                    end = j;
                }
                j += 1;
            }
            if end + 1 - start >= min_len {
                pieces.push((line, start, end + 1));
            }
            i = j.max(i + 1);
        }
    }
    // Merge pieces of adjacent lines that overlap along the run. Pieces
    // come sorted by (line, start); each line's slice is indexed so a merge
    // looks only at the lines it can reach and the pieces that can overlap.
    let mut line_range = vec![(0usize, 0usize); lines + 1];
    {
        let mut k = 0;
        for (line, range) in line_range.iter_mut().enumerate().take(lines) {
            let from = k;
            while k < pieces.len() && pieces[k].0 == line {
                k += 1;
            }
            *range = (from, k);
        }
    }
    let mut used = vec![false; pieces.len()];
    let mut out = Vec::new();
    for a in 0..pieces.len() {
        if used[a] {
            continue;
        }
        used[a] = true;
        let (mut l0, mut l1, mut s, mut e) = (pieces[a].0, pieces[a].0, pieces[a].1, pieces[a].2);
        let mut grew = true;
        while grew {
            grew = false;
            for lb in pieces[a].0..=(l1 + 1).min(lines.saturating_sub(1)) {
                let (r0, r1) = line_range[lb];
                for b in r0.max(a + 1)..r1 {
                    let (_, sb, eb) = pieces[b];
                    if sb >= e {
                        break;
                    }
                    if used[b] || eb <= s {
                        continue;
                    }
                    used[b] = true;
                    l0 = l0.min(lb);
                    l1 = l1.max(lb);
                    s = s.min(sb);
                    e = e.max(eb);
                    grew = true;
                }
            }
        }
        // Thick blobs (pictures, heavy text) are not rules, nor is a run
        // inside a band of dark (a line of text): a rule has paper on both
        // sides.
        let halo = |line: isize| -> f32 {
            if line < 0 || line as usize >= lines {
                return 0.0;
            }
            (s..e).filter(|&i| at(line as usize, i)).count() as f32 / (e - s) as f32
        };
        let thin = halo(l0 as isize - halo_px) < 0.5 && halo(l1 as isize + halo_px) < 0.5;
        if l1 - l0 <= max_thick && thin {
            out.push(((l0 + l1) as f32 / 2.0 + 0.5, s as f32, e as f32));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_ridge_matches_its_definition() {
        // a noisy page with lines of a few greys and thicknesses
        let (w, h) = (97usize, 83usize);
        let mut seed = 12345u32;
        let mut px: Vec<u8> = (0..w * h)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                200 + (seed >> 16) as u8 % 50
            })
            .collect();
        for x in 5..90 {
            px[20 * w + x] = 120;
            px[40 * w + x] = 190;
            px[41 * w + x] = 180;
        }
        for y in 3..80 {
            px[y * w + 30] = 100;
        }
        for horizontal in [true, false] {
            for reach in [2, 3, 5] {
                assert_eq!(ridge(&px, w, h, horizontal, reach, 20), ridge_reference(&px, w, h, horizontal, reach, 20), "horizontal {horizontal} reach {reach}");
            }
        }
    }

    /// A white page with a 3×2 grid of black lines, turned by `deg`.
    fn grid(deg: f32) -> Gray {
        let (w, h) = (600usize, 800usize);
        let mut px = vec![240u8; w * h];
        let (s, c) = deg.to_radians().sin_cos();
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        for y in 0..h {
            for x in 0..w {
                // Un-rotate to find where this pixel is on the upright grid.
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let (ux, uy) = (dx * c + dy * s + cx, -dx * s + dy * c + cy);
                let on_h = [200.0, 300.0, 400.0].iter().any(|&l| (uy - l).abs() < 1.0) && (100.0..=500.0).contains(&ux);
                let on_v = [100.0, 300.0, 500.0].iter().any(|&l| (ux - l).abs() < 1.0) && (200.0..=400.0).contains(&uy);
                if on_h || on_v {
                    px[y * w + x] = 20;
                }
            }
        }
        Gray { w, h, px }
    }

    #[test]
    fn a_faint_rule_is_found_beside_dark_text() {
        // Paper 240, a dark text-like block (ink 20), and a hairline only
        // 30 levels darker than the paper: far lighter than the text.
        let (w, h) = (600usize, 800usize);
        let mut px = vec![240u8; w * h];
        for y in 100..110 {
            for x in 100..300 {
                px[y * w + x] = 20;
            }
        }
        for x in 50..550 {
            px[400 * w + x] = 210;
            px[600 * w + x] = 20;
        }
        for y in 300..700 {
            px[y * w + 50] = 20;
            px[y * w + 549] = 20;
        }
        let (rules, _) = rules(&Gray { w, h, px }, 600.0, 800.0).expect("rules");
        let hs: Vec<f32> = rules.iter().filter(|r| r.horizontal && r.hi - r.lo > 400.0).map(|r| r.at).collect();
        assert!(hs.iter().any(|&y| (y - 400.0).abs() < 2.0), "{hs:?}");
        assert!(hs.iter().any(|&y| (y - 200.0).abs() < 2.0), "{hs:?}");
    }

    #[test]
    fn strokes_inside_ocr_glyphs_are_not_rules() {
        let g = |x0: f32, y: f32| Glyph { text: "目".into(), x0, x1: x0 + 20.0, y, size: 20.0, word: 0 };
        // A title line of big glyphs, and a table rule below it.
        let glyphs: Vec<Glyph> = (0..5).map(|i| g(100.0 + 20.0 * i as f32, 700.0)).collect();
        let mut rules = vec![
            Rule { horizontal: true, at: 710.0, lo: 102.0, hi: 190.0 },
            Rule { horizontal: false, at: 125.0, lo: 698.0, hi: 715.0 },
            Rule { horizontal: true, at: 650.0, lo: 50.0, hi: 500.0 },
            Rule { horizontal: false, at: 50.0, lo: 500.0, hi: 650.0 },
        ];
        drop_text_strokes(&mut rules, &glyphs);
        assert_eq!(rules.len(), 2, "{rules:?}");
        assert!(rules.iter().all(|r| r.at == 650.0 || r.at == 50.0));
    }

    #[test]
    fn grid_lines_are_found_upright_even_when_skewed() {
        for deg in [0.0f32, 0.8, -1.2] {
            let (rules, frame) = rules(&grid(deg), 600.0, 800.0).expect("rules");
            let mut hs: Vec<f32> = rules.iter().filter(|r| r.horizontal && r.hi - r.lo > 300.0).map(|r| r.at).collect();
            hs.sort_by(|a, b| a.partial_cmp(b).unwrap());
            assert_eq!(hs.len(), 3, "{deg}: {rules:?}");
            for (got, want) in hs.iter().zip([400.0, 500.0, 600.0]) {
                assert!((got - want).abs() < 3.0, "{deg}: {hs:?}");
            }
            let vs = rules.iter().filter(|r| !r.horizontal && r.hi - r.lo > 150.0).count();
            assert_eq!(vs, 3, "{deg}: {rules:?}");
            // A point on the turned picture's grid corner maps near the
            // upright corner.
            let (x, y) = frame.point(100.0, 600.0);
            assert!((x - 100.0).abs() < 10.0 && (y - 600.0).abs() < 10.0);
        }
    }
}
