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
//!
//! This runs on every pixel of every scanned page, so each step is written
//! for speed yet gives bit for bit what its plain definition gives (the
//! `*_reference` functions, kept for the tests that hold the two equal):
//! the picture is read in memory order (vertical lines are found as the
//! rows of the transposed picture), loops are shaped to vectorise (float
//! rounding by lane operations, [`round_exact`]), window maxima are shared
//! and built by doubling, the skew profiles are counted a stretch of one
//! bin at a time rather than pixel by pixel (most runs settled at once, in
//! lanes), and the upright picture is written once, in order.

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
    pub sx: f32,
    pub sy: f32,
    pub page_h: f32,
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
#[cfg(test)]
pub fn rules(img: &Gray, page_w: f32, page_h: f32) -> Option<(Vec<Rule>, Upright)> {
    scan(img, page_w, page_h).map(|s| (s.rules, s.frame))
}

/// What [`scan`] reads from a page picture: its rules, the frame they are
/// in, the upright picture itself and its ink and paper grey levels.
pub struct Scan {
    pub rules: Vec<Rule>,
    pub frame: Upright,
    pub upright: Gray,
    pub ink: u8,
    pub paper: u8,
}

/// The table rules of a page picture (see `rules`), keeping the upright
/// picture and its grey levels for the readers of its cells
/// ([`super::digits`], [`super::prints`], [`super::glyphs`]).
pub fn scan(img: &Gray, page_w: f32, page_h: f32) -> Option<Scan> {
    let (w, h) = (img.w, img.h);
    if w.max(h) > MAX_SIDE {
        return None;
    }
    let (ink, paper) = levels(img)?;
    let t = (paper as f32 - DARK_FROM_PAPER * (paper - ink) as f32) as u8;
    // Skew from the pixels of long straight runs only (rule pieces, not
    // text): horizontal runs give the slope of the rows, vertical runs
    // that of the columns.
    let (pts_h, pts_v) = run_pixels(&img.px, t, w, h, (w / 60).max(8), (h / 120).max(8));
    let th = estimate_slope(&pts_h, h + w);
    let tv = estimate_slope(&pts_v, h + w);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    // Upright grey picture: each upright pixel from its place on the scan.
    let up = upright_picture(img, th, tv, paper);
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
    let dim_below = paper as i32 - contrast;
    // Horizontal rules along the rows of the upright picture, vertical ones
    // along the rows of its transpose (positions come back as (column,
    // start row, end row)).
    let up_t = transpose(&up, w, h);
    for (horizontal, pic, pw, ph, min_len) in [(true, &up, w, h, min_h), (false, &up_t, h, w, min_v)] {
        let mask = ridge(pic, pw, ph, reach, contrast);
        for (at, lo, hi) in runs(&mask, pic, dim_below, pw, ph, min_len, unit) {
            let rule = if horizontal {
                Rule { horizontal, at: page_h - at / frame.sy, lo: lo / frame.sx, hi: hi / frame.sx }
            } else {
                Rule { horizontal, at: at / frame.sx, lo: page_h - hi / frame.sy, hi: page_h - lo / frame.sy }
            };
            out.push(rule);
        }
    }
    let hs = out.iter().filter(|r| r.horizontal).count();
    (hs >= 2 && out.len() - hs >= 2).then_some(Scan { rules: out, frame, upright: Gray { w, h, px: up }, ink, paper })
}

/// The upright grey picture: each upright pixel (x, y) from the scan pixel
/// nearest to `c + M·((x, y) − c)` (see [`Upright`]), paper where that
/// falls off the scan.
///
/// The float expressions are the plain definition's
/// ([`upright_picture_reference`]) term for term, and [`round_exact`] rounds
/// as `f32::round` does, so the picture is bit for bit the same. The
/// picture is written once, in order, a stretch of source row at a time:
/// nearly always the source column is x + k all along the row
/// ([`row_shift`]) and the source row changes every few dozen pixels,
/// found by a guess settled with the exact expression; otherwise the
/// source of every pixel is computed (that loop vectorises) and the
/// stretches found from them.
fn upright_picture(img: &Gray, th: f32, tv: f32, paper: u8) -> Vec<u8> {
    let (w, h) = (img.w, img.h);
    if th.abs() < 1e-4 && tv.abs() < 1e-4 {
        return img.px[..w * h].to_vec();
    }
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let dxs: Vec<f32> = (0..w).map(|x| x as f32 - cx).collect();
    let th_dx: Vec<f32> = dxs.iter().map(|&dx| th * dx).collect();
    let inv_th = 1.0 / th;
    let mut up = Vec::with_capacity(w * h);
    // Source row `sy` (any i32), columns `sx..sx + n` (from any i64):
    // appended, paper where they are off the scan.
    let put = |up: &mut Vec<u8>, sy: i32, sx: i64, n: usize| {
        if !(0..h as i64).contains(&(sy as i64)) {
            up.resize(up.len() + n, paper);
            return;
        }
        let row = &img.px[sy as usize * w..(sy as usize + 1) * w];
        // On the scan: columns a..b of the stretch.
        let a = (-sx).clamp(0, n as i64) as usize;
        let b = (w as i64 - sx).clamp(a as i64, n as i64) as usize;
        up.resize(up.len() + a, paper);
        if b > a {
            let from = (sx + a as i64) as usize;
            up.extend_from_slice(&row[from..from + (b - a)]);
        }
        up.resize(up.len() + (n - b), paper);
    };
    let (mut sxs, mut sys) = (vec![0i32; w], vec![0i32; w]);
    let mut breaks = vec![0u8; w];
    for y in 0..h {
        let dy = y as f32 - cy;
        let tv_dy = tv * dy;
        if let Some(k) = row_shift(tv_dy, w) {
            // Source column x + k all along the row: only the source row
            // changes, in steps (it is monotone in x).
            let sy_at = |x: usize| round_exact(dy + th_dx[x] + cy);
            let (mut x0, mut s0) = (0, sy_at(0));
            while x0 < w {
                // Where the line leaves source row s0 (toward s0 ± 1/2),
                // then settled exactly: the first pixel after x0 of
                // another source row, and that row.
                let guess = if th == 0.0 { w as f32 } else { (cx + (s0 as f32 + 0.5f32.copysign(th) - dy - cy) * inv_th).ceil() };
                let guess = if guess.is_finite() { (guess.max(0.0) as usize).clamp(x0 + 1, w) } else { w };
                let (end, next) = settle_run_end(x0, w, guess, s0, sy_at);
                put(&mut up, s0, x0 as i64 + k as i64, end - x0);
                (x0, s0) = (end, next);
            }
            continue;
        }
        // The source coordinates of the row (this loop vectorises)...
        for (((sx, sy), &dx), &t) in sxs.iter_mut().zip(sys.iter_mut()).zip(&dxs).zip(&th_dx) {
            *sx = round_exact(dx + tv_dy + cx);
            *sy = round_exact(dy + t + cy);
        }
        // ...where they stop running along one source row, one pixel on at
        // a time (every few dozen pixels for a skew of a degree)...
        breaks[0] = 1;
        for x in 1..w {
            breaks[x] = ((sys[x] != sys[x - 1]) | (sxs[x] != sxs[x - 1].wrapping_add(1))) as u8;
        }
        // ...and the row is copied a stretch of source row at a time.
        let mut x = 0;
        while x < w {
            let end = next_set(&breaks, x + 1);
            put(&mut up, sys[x], sxs[x] as i64, end - x);
            x = end;
        }
    }
    up
}

/// The shift k with `round(dx + tv_dy + cx) = x + k` for every x of a
/// row `w` pixels wide (dx = x − cx), when the float sums cannot round
/// differently along the row: x + tv_dy is computed with two roundings,
/// together off by at most one ulp of the largest value involved, so when
/// tv_dy is farther than that from a half-integer every x rounds to
/// x + round(tv_dy). None near a half-integer (about one row in a
/// thousand): such a row is computed pixel by pixel.
fn row_shift(tv_dy: f32, w: usize) -> Option<i32> {
    let bound = w as f32 + tv_dy.abs() + 2.0;
    // The ulp of floats in bound's binade (and of every smaller float).
    let ulp = f32::from_bits(bound.to_bits() & 0x7F80_0000) * f32::EPSILON;
    let frac = tv_dy - tv_dy.floor();
    ((frac - 0.5).abs() > 4.0 * ulp && tv_dy.abs() < w as f32).then(|| tv_dy.round() as i32)
}

/// Pictures larger than this on a side are not read (see [`round_exact`]).
const MAX_SIDE: usize = 1 << 20;

/// `v.round()` (half away from zero) as an integer, for |v| ≤ [`MAX_SIDE`]
/// (beyond, it saturates there: off any picture read), in float and
/// integer lane operations only, so loops of it vectorise (`as i32`
/// does not, nor does the libm call). `v + 1.5·2²³` lies where the floats
/// are the integers, so the addition rounds v to nearest, ties to even, and
/// the bits hold that integer; `v − n` is exact, and ties are then moved
/// away from zero. Checked against `f32::round` for every float in range.
#[inline]
fn round_exact(v: f32) -> i32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    let v = v.max(-(MAX_SIDE as f32)).min(MAX_SIDE as f32);
    let n = (v + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32;
    let d = v - n as f32;
    n + (d == 0.5 && v > 0.0) as i32 - (d == -0.5 && v < 0.0) as i32
}

/// The plain definition of [`upright_picture`]: the reference it is tested
/// against.
#[cfg(test)]
fn upright_picture_reference(img: &Gray, th: f32, tv: f32, paper: u8) -> Vec<u8> {
    let (w, h) = (img.w, img.h);
    if th.abs() < 1e-4 && tv.abs() < 1e-4 {
        return img.px[..w * h].to_vec();
    }
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
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
    // Four histograms in turn: a page is mostly one grey, and counting
    // into one bin back to back waits on the previous count each time.
    let mut parts = [[0usize; 256]; 4];
    let px = &img.px[..img.w * img.h];
    let mut quads = px.chunks_exact(4);
    for q in &mut quads {
        for (part, &p) in parts.iter_mut().zip(q) {
            part[p as usize] += 1;
        }
    }
    for &p in quads.remainder() {
        parts[0][p as usize] += 1;
    }
    let mut hist = [0usize; 256];
    for (v, c) in hist.iter_mut().enumerate() {
        *c = parts.iter().map(|part| part[v]).sum();
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

/// The paper a line pixel is compared with: the darker of the lightest
/// pixels on its two sides (-1: that side is off the picture; at the edge
/// only one side is seen).
#[cfg(test)]
fn background(a: i32, b: i32) -> Option<i32> {
    match (a, b) {
        (-1, -1) => None,
        (-1, b) => Some(b),
        (a, -1) => Some(a),
        (a, b) => Some(a.min(b)),
    }
}

/// Mark (1) the pixels of `row` darker by `contrast` than their background
/// `bg` (lanes of u8 and i16: the loop vectorises).
fn mark_ridge(row: &[u8], bg: &[u8], contrast: i16, out_row: &mut [u8]) {
    for ((o, &p), &b) in out_row.iter_mut().zip(row).zip(bg) {
        *o = (b as i16 - p as i16 >= contrast) as u8;
    }
}

/// `contrast` as the i16 lanes of [`mark_ridge`] compare it: differences of
/// two u8 lie in -255..=255, so clamping keeps every comparison.
fn contrast_i16(contrast: i32) -> i16 {
    contrast.clamp(-256, 256) as i16
}

/// `acc[i] = max(acc[i], src[i])` over whole rows (vectorises).
#[inline(never)] // on its own, the compiler vectorises it (inlined, not always)
fn max_into(acc: &mut [u8], src: &[u8]) {
    for (m, &p) in acc.iter_mut().zip(src) {
        *m = (*m).max(p);
    }
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

/// Pixels (1, else 0) of thin horizontal lines: darker by `contrast` than
/// the lightest pixel 2..=`reach` rows above and below (looking from 2
/// pixels away, so a line up to 3 pixels thick counts; at the picture's
/// edge only one side is seen). Taken over whole rows, so the memory is
/// read in order and the loops vectorise; vertical lines are found on the
/// transposed picture.
///
/// Away from the top and bottom, the rows above a row and the rows below
/// it are both windows of `reach − 1` rows: [`window_max`] computes each
/// window once for both uses, a band of rows at a time so that the passes
/// over it stay in cache.
fn ridge(g: &[u8], w: usize, h: usize, reach: usize, contrast: i32) -> Vec<u8> {
    /// Rows of output per band.
    const BAND: usize = 64;
    let contrast = contrast_i16(contrast);
    let mut out = vec![0u8; w * h];
    if w == 0 || h == 0 || reach < 2 {
        return out; // nothing to compare with
    }
    let k = reach - 1;
    let mut above = vec![0u8; w];
    let mut below = vec![0u8; w];
    let mut win = Vec::new();
    let row = |y: usize| &g[y * w..(y + 1) * w];
    for y0 in (0..h).step_by(BAND) {
        let y1 = (y0 + BAND).min(h);
        // The windows this band reads: rows s = y − reach (above) and
        // s = y + 2 (below) of its rows y, for windows inside the picture
        // (s + k ≤ h).
        let lo = y0.saturating_sub(reach);
        let hi = (y1 + 2).min((h + 1).saturating_sub(k));
        let have = h >= k && lo < hi;
        if have {
            window_max(&g[lo * w..(hi + k - 1) * w], w, k, &mut win);
        }
        let win_row = |s: usize| (have && (lo..hi).contains(&s)).then(|| &win[(s - lo) * w..(s - lo + 1) * w]);
        for (y, out_row) in (y0..y1).zip(out[y0 * w..y1 * w].chunks_exact_mut(w)) {
            // Rows 2.. above are seen from y >= 2, rows below while y + 2 < h;
            // inside both, the background is the darker of the two sides.
            let (has_above, has_below) = (y >= 2, y + 2 < h);
            let above: &[u8] = match if y >= reach { win_row(y - reach) } else { None } {
                Some(full) => full,
                None => {
                    above.fill(0);
                    for d in 2..=reach.min(y) {
                        max_into(&mut above, row(y - d));
                    }
                    &above
                }
            };
            let below: &[u8] = match if y + reach < h { win_row(y + 2) } else { None } {
                Some(full) => full,
                None => {
                    below.fill(0);
                    for d in 2..=reach.min((h - 1).saturating_sub(y)) {
                        max_into(&mut below, row(y + d));
                    }
                    &below
                }
            };
            match (has_above, has_below) {
                (true, true) => mark_ridge2(row(y), above, below, contrast, out_row),
                (true, false) => mark_ridge(row(y), above, contrast, out_row),
                (false, true) => mark_ridge(row(y), below, contrast, out_row),
                (false, false) => {}
            }
        }
    }
    out
}

/// [`mark_ridge`] against the darker of two backgrounds.
fn mark_ridge2(row: &[u8], bg_a: &[u8], bg_b: &[u8], contrast: i16, out_row: &mut [u8]) {
    for (((o, &p), &a), &b) in out_row.iter_mut().zip(row).zip(bg_a).zip(bg_b) {
        *o = (a.min(b) as i16 - p as i16 >= contrast) as u8;
    }
}

/// Row s of `t` becomes the lightest of rows s..s+k of `g` (rows of `w`
/// pixels), pixel by pixel, for every s with s + k ≤ the rows of `g` (the
/// rows after are partial). Windows of 2, 4, 8… rows are built in place by
/// doubling, and a window of k rows is two overlapping power-of-two
/// windows: about log2(k) + 1 passes instead of k.
fn window_max(g: &[u8], w: usize, k: usize, t: &mut Vec<u8>) {
    let h = g.len() / w;
    t.clear();
    t.extend_from_slice(&g[..h * w]);
    // Each row combined with a later one that is not yet updated: ascending
    // order keeps the previous level's rows on the right.
    let combine = |t: &mut [u8], rows: usize, d: usize| {
        for r in 0..rows {
            let (head, tail) = t.split_at_mut((r + d) * w);
            max_into(&mut head[r * w..(r + 1) * w], &tail[..w]);
        }
    };
    let mut p = 1;
    while p * 2 <= k {
        combine(t, h - p, p);
        p *= 2;
    }
    if k > p {
        combine(t, h + 1 - k, k - p);
    }
}

/// Unbroken dark runs at least `min_len` long: (across, from, to) with the
/// pixels `from..to` along the run (x for horizontal runs, y for vertical
/// ones) at `across` (y, resp. x), in no particular order.
#[derive(Debug, Default, PartialEq)]
struct Runs {
    runs: Vec<(u32, u32, u32)>,
    /// Pixels in all runs.
    pixels: usize,
}

impl Runs {
    fn push(&mut self, across: usize, from: usize, to: usize) {
        self.runs.push((across as u32, from as u32, to as u32));
        self.pixels += to - from;
    }
}

/// The [`Runs`] of the dark pixels (darker than `dark_below`), both
/// directions in one pass over the rows: vertical runs are followed by a
/// run length per column, so the picture is read in memory order and the
/// loops vectorise.
fn run_pixels(g: &[u8], dark_below: u8, w: usize, h: usize, min_h: usize, min_v: usize) -> (Runs, Runs) {
    let (mut hs, mut vs) = (Runs::default(), Runs::default());
    let (mut col_run, mut ended) = (vec![0u32; w], vec![0u32; w]);
    let min_v32 = min_v.clamp(1, u32::MAX as usize) as u32;
    let mut row = vec![0u8; w];
    for (y, grey) in g[..w * h].chunks_exact(w).enumerate() {
        for (d, &p) in row.iter_mut().zip(grey) {
            *d = (p < dark_below) as u8;
        }
        let mut x = 0;
        while x < w {
            x = next_set(&row, x);
            if x >= w {
                break;
            }
            let start = x;
            x = next_clear(&row, x);
            if x - start >= min_h {
                hs.push(y, start, x);
            }
        }
        // A column's run ends on a light pixel: every run length is
        // updated at once, the long runs that end are set aside (rare),
        // and kept.
        let mut any = 0;
        for ((run, end), &d) in col_run.iter_mut().zip(ended.iter_mut()).zip(&row) {
            let long = (d == 0) & (*run >= min_v32);
            *end = if long { *run } else { 0 };
            any |= long as u32;
            *run = if d != 0 { *run + 1 } else { 0 };
        }
        if any != 0 {
            for (c, chunk) in ended.chunks(16).enumerate() {
                if chunk.iter().fold(0, |a, &r| a | r) == 0 {
                    continue;
                }
                for (x, &run) in (c * 16..).zip(chunk) {
                    if run > 0 {
                        vs.push(x, y - run as usize, y);
                    }
                }
            }
        }
    }
    for (x, &run) in col_run.iter().enumerate() {
        if run >= min_v32 {
            vs.push(x, h - run as usize, h);
        }
    }
    (hs, vs)
}

/// The plain definition of [`run_pixels`] for one direction: pixels (x, y)
/// of unbroken dark runs at least `min_len` long, line by line.
#[cfg(test)]
fn run_pixels_reference(dark: &[bool], w: usize, h: usize, horizontal: bool, min_len: usize) -> Vec<(f32, f32)> {
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

/// `v.trunc()` as an integer, for |v| < 2²² (what `as i32` gives there),
/// in lane operations only (see [`round_exact`]): round to nearest by the
/// float adder, then step back toward zero when that went past v. The
/// profiles of [`estimate_slope`] stay far inside that range (coordinates
/// up to [`MAX_SIDE`]).
#[inline]
fn trunc_exact(v: f32) -> i32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    let n = (v + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32;
    let nf = n as f32;
    n - (v >= 0.0 && nf > v) as i32 + (v < 0.0 && nf < v) as i32
}

/// The slope t (within ±2°) that makes the profile of `across − along·t`
/// over the run pixels sharpest: coarse steps of 0.1°, then 0.02° around
/// the best. The same search, scores and result as the plain definition
/// ([`estimate_slope_reference`]), which counts pixel by pixel; see
/// [`profile_score`].
fn estimate_slope(pts: &Runs, bins: usize) -> f32 {
    if pts.pixels < 100 {
        return 0.0;
    }
    let offset = bins as f32 * 0.05;
    let mut hist = vec![0u32; bins * 11 / 10 + 2];
    let mut ends = RunEnds::new(pts);
    let mut score = |deg: f32| -> f64 { profile_score(pts, &mut ends, deg.to_radians().tan(), offset, &mut hist) };
    let zero = (0.0, score(0.0));
    let mut search = |from: f32, to: f32, step: f32, best: (f32, f64)| {
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
    let coarse = search(-2.0, 2.0, 0.1, zero);
    let fine = search(coarse.0 - 0.1, coarse.0 + 0.1, 0.02, coarse);
    fine.0.to_radians().tan()
}

/// The first and last pixel of every run of a [`Runs`] as float lanes,
/// and room for what [`profile_score`] computes of them at one slope.
struct RunEnds {
    across: Vec<f32>,
    first: Vec<f32>,
    last: Vec<f32>,
    /// Bins of the first and the last pixel.
    bin_first: Vec<i32>,
    bin_last: Vec<i32>,
    /// Where the bin is guessed to change first, and the bins of that
    /// pixel and of the one before it.
    split: Vec<i32>,
    bin_split: Vec<i32>,
    bin_before: Vec<i32>,
}

impl RunEnds {
    fn new(pts: &Runs) -> RunEnds {
        let n = pts.runs.len();
        RunEnds {
            across: pts.runs.iter().map(|r| r.0 as f32).collect(),
            first: pts.runs.iter().map(|r| r.1 as f32).collect(),
            // An empty run (none are pushed) gets any bins: it adds nothing.
            last: pts.runs.iter().map(|r| r.2.saturating_sub(1).max(r.1) as f32).collect(),
            bin_first: vec![0; n],
            bin_last: vec![0; n],
            split: vec![0; n],
            bin_split: vec![0; n],
            bin_before: vec![0; n],
        }
    }
}

/// The end of a run of pixels on which `f` (monotone along the run) keeps
/// the value `cur`, the run starting at `start` and bounded by `limit`,
/// found from a `guess` that may fall short or overshoot: stepped back while
/// the pixel before it leaves the run, then on while it stays. Returns the
/// end and `f` there (the first pixel of the next run; `cur` at `limit`).
#[inline(always)]
fn settle_run_end<T: PartialEq + Copy>(start: usize, limit: usize, guess: usize, cur: T, f: impl Fn(usize) -> T) -> (usize, T) {
    let mut end = guess;
    while end > start + 1 && f(end - 1) != cur {
        end -= 1;
    }
    let mut next = cur;
    while end < limit {
        next = f(end);
        if next != cur {
            break;
        }
        end += 1;
    }
    (end, next)
}

/// How sharp the profile of the run pixels is at slope `t`: the sum of
/// the squared counts of the bins `trunc(across − along·t + offset)` that
/// fall in `hist` (its length is the number of bins). `ends` is
/// [`RunEnds::new`] of `pts`.
///
/// Along a run the bin is monotone, so a run lies in the bin of its first
/// pixel up to the first pixel of another bin, and so on. Where the bin
/// changes is guessed from the value at the first pixel of a stretch and
/// the distance to the bin's edge (trunc: bin 0 is (−1, 1), bin b > 0 is
/// [b, b+1), bin b < 0 is (b−1, b]), then settled with the per-pixel
/// expression itself, so every pixel lands in the bin the plain definition
/// puts it in. Most runs lie in one or two bins: for every run at once
/// (the loop works in lanes), the bins of its two ends, the first guess
/// and the bins on both sides of it settle those; the others are counted
/// a stretch at a time.
fn profile_score(pts: &Runs, ends: &mut RunEnds, t: f32, offset: f32, hist: &mut [u32]) -> f64 {
    hist.fill(0);
    let len = hist.len();
    let inv_t = 1.0 / t;
    // The bin of pixel a (as a float: exact, runs are far shorter than
    // 2^24), as `value` below computes it.
    let bin_at = |c: f32, a: f32| trunc_exact(c - a * t + offset);
    let rising = t <= 0.0;
    let lanes = ends.across.iter().zip(&ends.first).zip(&ends.last);
    let out = ends.bin_first.iter_mut().zip(ends.bin_last.iter_mut()).zip(ends.split.iter_mut()).zip(ends.bin_split.iter_mut()).zip(ends.bin_before.iter_mut());
    for (((((bf, bl), split), bs), bb), ((&c, &f), &l)) in out.zip(lanes) {
        let v = c - f * t + offset;
        *bf = trunc_exact(v);
        *bl = bin_at(c, l);
        // The edge the value leaves bin bf by (as in the stretch loop).
        let b = *bf as f32;
        let edge = if rising { b + (*bf >= 0) as i32 as f32 } else { b - (*bf <= 0) as i32 as f32 };
        let n = ((v - edge) * inv_t).max(0.0).min(l - f);
        // A pixel after the first, not after the last (when there is one).
        let at = (f + 1.0 + trunc_exact(n) as f32).min(l);
        *split = trunc_exact(at);
        *bs = bin_at(c, at);
        *bb = bin_at(c, at - 1.0);
    }
    let settled = ends.bin_first.iter().zip(&ends.bin_last).zip(ends.split.iter().zip(&ends.bin_split).zip(&ends.bin_before));
    for (&(across, from, to), ((&bf, &bl), ((&split, &bs), &bb))) in pts.runs.iter().zip(settled) {
        // Negative bins wrap past the end: one bounds test.
        let mut count = |b: i32, n: u32| {
            if (b as u32 as usize) < len {
                hist[b as usize] += n;
            }
        };
        if bf == bl {
            count(bf, to.saturating_sub(from));
            continue;
        }
        // From pixel a in bin b on, a stretch at a time.
        let (mut a, mut b) = (from, bf);
        if bb == bf {
            // The first change of bin is at `split`.
            let split = split as u32;
            count(bf, split - from);
            if bs == bl {
                count(bl, to - split);
                continue;
            }
            (a, b) = (split, bs);
        }
        let c = across as f32;
        let value = |a: u32| c - a as f32 * t + offset;
        let bin = |a: u32| trunc_exact(value(a));
        // The later changes of bin, each guessed from the first pixel's
        // value on its own (no guess waits for the one before), while the
        // guesses hold.
        let (v0, last) = (value(from), (to - 1) as f32);
        let step = if bl > bf { 1 } else { -1 };
        while b != bl && t != 0.0 && a + 1 < to {
            let bf = b as f32;
            let edge = if t > 0.0 { if b > 0 { bf } else { bf - 1.0 } } else if b >= 0 { bf + 1.0 } else { bf };
            let n = ((v0 - edge) * inv_t).max(0.0).min(last);
            let at = (from + 1).saturating_add(n as u32).max(a + 1).min(to - 1);
            if bin(at - 1) != b || bin(at) != b + step {
                break;
            }
            count(b, at - a);
            (a, b) = (at, b + step);
        }
        if b == bl {
            count(b, to - a);
            continue;
        }
        while a < to {
            let v = value(a);
            // The edge the value leaves bin b by: the lower one when it
            // falls (t > 0), the upper one when it rises. Pixels to it:
            // (v − edge)/t either way (the cast saturates when t is tiny).
            let bf = b as f32;
            let edge = if t > 0.0 { if b > 0 { bf } else { bf - 1.0 } } else if b >= 0 { bf + 1.0 } else { bf };
            let left = to - a;
            let n = ((v - edge) * inv_t) as u32;
            let guess = if t == 0.0 { to } else { a + n.saturating_add(1).min(left) };
            let (end, next) = settle_run_end(a as usize, to as usize, guess as usize, b, |i| bin(i as u32));
            let end = end as u32;
            count(b, end - a);
            (a, b) = (end, next);
        }
    }
    hist.iter().map(|&c| (c as f64) * (c as f64)).sum()
}

/// The plain definition of [`estimate_slope`].
#[cfg(test)]
fn estimate_slope_reference(pts: &[(f32, f32)], bins: usize, proj: impl Fn((f32, f32), f32) -> f32) -> f32 {
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

/// Long thin horizontal runs of `mask` (0/1 per pixel, rows of `w`):
/// (row, start, end) in pixels, with runs of neighbouring rows merged into
/// one rule. A run goes on through a few pixels of `pic` darker than
/// `dim_below` (a crossing rule). Vertical rules are found as the rows of
/// the transposed picture (see [`transpose`]), so the picture is always
/// read in memory order.
fn runs(mask: &[u8], pic: &[u8], dim_below: i32, w: usize, h: usize, min_len: usize, unit: f32) -> Vec<(f32, f32, f32)> {
    let (lines, len) = (h, w);
    let max_gap = (MAX_GAP * unit).round().max(1.0) as usize;
    let halo_px = (HALO * unit).round().max(2.0) as isize;
    let max_thick = (MAX_THICK * unit).round().max(3.0) as usize;
    let cross = 2 * max_gap + 3;
    // Per line: runs of dark allowing short gaps (noise, JPEG blocks), and
    // a crossing rule (dark, but not darker than its sides).
    let mut pieces: Vec<(usize, usize, usize)> = Vec::new();
    for line in 0..lines {
        let row = &mask[line * w..(line + 1) * w];
        let pic_row = &pic[line * w..(line + 1) * w];
        let mut i = 0;
        while i < len {
            i = next_set(row, i);
            if i >= len {
                break;
            }
            let start = i;
            let mut end = i;
            let mut j = i + 1;
            while j < len && ((j - end) <= max_gap + 1 || ((pic_row[j] as i32) < dim_below && j - end <= cross)) {
                if row[j] != 0 {
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
    let dark = |line: usize, s: usize, e: usize| mask[line * w + s..line * w + e].iter().filter(|&&m| m != 0).count();
    merge_pieces(&pieces, lines, halo_px, max_thick, dark)
}

/// Merge the pieces (line, start, end) of adjacent lines that overlap along
/// the run into rules (line centre, start, end), keeping the thin ones.
/// Pieces come sorted by (line, start); each line's slice is indexed so a
/// merge looks only at the lines it can reach and the pieces that can
/// overlap. `dark(line, s, e)` counts the dark pixels of a line's stretch.
fn merge_pieces(pieces: &[(usize, usize, usize)], lines: usize, halo_px: isize, max_thick: usize, dark: impl Fn(usize, usize, usize) -> usize) -> Vec<(f32, f32, f32)> {
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
            for &(r0, r1) in &line_range[pieces[a].0..=(l1 + 1).min(lines.saturating_sub(1))] {
                for b in r0.max(a + 1)..r1 {
                    let (lb, sb, eb) = pieces[b];
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
            dark(line as usize, s, e) as f32 / (e - s) as f32
        };
        let thin = halo(l0 as isize - halo_px) < 0.5 && halo(l1 as isize + halo_px) < 0.5;
        if l1 - l0 <= max_thick && thin {
            out.push(((l0 + l1) as f32 / 2.0 + 0.5, s as f32, e as f32));
        }
    }
    out
}


/// The first index from `i` on where `row` is not 0 (`row.len()` if none),
/// skipping 32 zero bytes at a time: the masks are mostly paper.
fn next_set(row: &[u8], mut i: usize) -> usize {
    while let Some(c) = row.get(i..i + 32).and_then(|c| <&[u8; 32]>::try_from(c).ok()) {
        if c.iter().fold(0, |a, &b| a | b) != 0 {
            break;
        }
        i += 32;
    }
    while let Some(c) = row.get(i..i + 8) {
        // Little-endian: the lowest set bit is in the first byte not 0.
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        if v != 0 {
            return i + v.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    while i < row.len() && row[i] == 0 {
        i += 1;
    }
    i
}

/// The first index from `i` on where `row` is 0 (`row.len()` if none),
/// 8 bytes at a time.
fn next_clear(row: &[u8], mut i: usize) -> usize {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(c) = row.get(i..i + 8) {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // The high bit of each byte that is 0 (and perhaps of bytes after
        // it, never before): the lowest is the first byte that is 0.
        let zero = v.wrapping_sub(LOW) & !v & HIGH;
        if zero != 0 {
            return i + zero.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    while i < row.len() && row[i] != 0 {
        i += 1;
    }
    i
}

/// The picture transposed: `w`×`h` in, `h`×`w` out (column x becomes row
/// x). Blocks of 8×8 pixels are turned in registers, 8 pixels to a u64
/// ([`transpose8`]); the ragged right and bottom edges pixel by pixel.
fn transpose(g: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut out = vec![0u8; w * h];
    let (w8, h8) = (w - w % 8, h - h % 8);
    for y0 in (0..h8).step_by(8) {
        for x0 in (0..w8).step_by(8) {
            let rows: [u64; 8] = std::array::from_fn(|i| load8(&g[(y0 + i) * w + x0..]));
            for (c, col) in transpose8(rows).into_iter().enumerate() {
                out[(x0 + c) * h + y0..(x0 + c) * h + y0 + 8].copy_from_slice(&col.to_le_bytes());
            }
        }
    }
    for y in 0..h {
        let from = if y < h8 { w8 } else { 0 };
        for x in from..w {
            out[x * h + y] = g[y * w + x];
        }
    }
    out
}

/// The first 8 bytes of `s` as a little-endian u64.
fn load8(s: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&s[..8]);
    u64::from_le_bytes(b)
}

/// An 8×8 block of bytes, one row per u64 (byte k = column k), transposed:
/// bytes, then pairs, then quads of neighbouring rows are interleaved.
fn transpose8(r: [u64; 8]) -> [u64; 8] {
    const B1: u64 = 0x00FF_00FF_00FF_00FF;
    const B2: u64 = 0x0000_FFFF_0000_FFFF;
    const B4: u64 = 0x0000_0000_FFFF_FFFF;
    // Rows 2i and 2i+1: even columns (lo) and odd columns (hi), byte pairs.
    let pair = |a: u64, b: u64| ((a & B1) | ((b & B1) << 8), ((a >> 8) & B1) | (b & !B1));
    // Two pair-interleaved words: 16-bit units of columns c and c+2.
    let quad = |a: u64, b: u64| ((a & B2) | ((b & B2) << 16), ((a >> 16) & B2) | (b & !B2));
    // Two quad-interleaved words: columns c and c+4.
    let oct = |a: u64, b: u64| ((a & B4) | ((b & B4) << 32), (a >> 32) | (b & !B4));
    let (l0, h0) = pair(r[0], r[1]);
    let (l1, h1) = pair(r[2], r[3]);
    let (l2, h2) = pair(r[4], r[5]);
    let (l3, h3) = pair(r[6], r[7]);
    // Columns 0/2 and 4/6 from the even columns, 1/3 and 5/7 from the odd.
    let (c04a, c26a) = quad(l0, l1);
    let (c04b, c26b) = quad(l2, l3);
    let (c15a, c37a) = quad(h0, h1);
    let (c15b, c37b) = quad(h2, h3);
    let (c0, c4) = oct(c04a, c04b);
    let (c2, c6) = oct(c26a, c26b);
    let (c1, c5) = oct(c15a, c15b);
    let (c3, c7) = oct(c37a, c37b);
    [c0, c1, c2, c3, c4, c5, c6, c7]
}

/// The plain definition of [`runs`], along rows or columns of the picture:
/// the reference the fast version is tested against.
#[cfg(test)]
fn runs_reference(up: &[bool], dim: &[bool], w: usize, h: usize, horizontal: bool, min_len: usize, unit: f32) -> Vec<(f32, f32, f32)> {
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
    merge_pieces(&pieces, lines, halo_px, max_thick, |line, s, e| (s..e).filter(|&i| at(line, i)).count())
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
            for reach in [2, 3, 5, 6, 8, 9, 17] {
                assert_eq!(ridge_either(&px, w, h, horizontal, reach, 20), ridge_reference(&px, w, h, horizontal, reach, 20), "horizontal {horizontal} reach {reach}");
            }
        }
        // Pictures narrower than the reach, and any contrast.
        for (w, h) in [(1, 1), (2, 7), (3, 3), (5, 4), (9, 2), (17, 13), (23, 300), (4, 129)] {
            let img = noise(w, h, (w * 31 + h) as u32);
            for horizontal in [true, false] {
                for reach in [0, 1, 2, 4, 8] {
                    for contrast in [-300, -5, 0, 1, 20, 255, 256, 400] {
                        let got = ridge_either(&img.px, w, h, horizontal, reach, contrast);
                        assert_eq!(got, ridge_reference(&img.px, w, h, horizontal, reach, contrast), "{w}x{h} h {horizontal} reach {reach} c {contrast}");
                    }
                }
            }
        }
    }

    /// [`ridge`] in either direction, as `rules` takes it (vertical lines
    /// on the transposed picture), as a bool mask.
    fn ridge_either(g: &[u8], w: usize, h: usize, horizontal: bool, reach: usize, contrast: i32) -> Vec<bool> {
        let mask = if horizontal { ridge(g, w, h, reach, contrast) } else { transpose(&ridge(&transpose(g, w, h), h, w, reach, contrast), h, w) };
        mask.into_iter().map(|m| m != 0).collect()
    }

    #[test]
    fn fast_runs_match_their_definition() {
        // Ridge masks of a noisy ruled page, and its dim pixels.
        let (w, h) = (301usize, 257usize);
        let mut img = noise(w, h, 11);
        for p in img.px.iter_mut() {
            *p = 230 + *p % 16;
        }
        for x in 10..290 {
            for (y, v) in [(20, 120), (60, 150), (61, 150), (140, 90), (200, 170)] {
                if x % 37 != 0 {
                    img.px[y * w + x] = v;
                }
            }
        }
        for y in 15..240 {
            for (x, v) in [(12, 100), (150, 140), (151, 120), (280, 60)] {
                if y % 41 != 0 {
                    img.px[y * w + x] = v;
                }
            }
        }
        let dim: Vec<bool> = img.px.iter().map(|&p| p < 190).collect();
        for unit in [0.5f32, 1.0, 1.4, 2.8] {
            for min_len in [12, 40] {
                let mask = ridge_either(&img.px, w, h, true, 4, 20);
                let got = runs(&ridge(&img.px, w, h, 4, 20), &img.px, 190, w, h, min_len, unit);
                let want = runs_reference(&mask, &dim, w, h, true, min_len, unit);
                assert!(!want.is_empty());
                assert_eq!(got, want, "horizontal unit {unit} min {min_len}");
                let mask = ridge_either(&img.px, w, h, false, 4, 20);
                let t = transpose(&img.px, w, h);
                let got = runs(&ridge(&t, h, w, 4, 20), &t, 190, h, w, min_len, unit);
                let want = runs_reference(&mask, &dim, w, h, false, min_len, unit);
                assert!(!want.is_empty());
                assert_eq!(got, want, "vertical unit {unit} min {min_len}");
            }
        }
    }

    #[test]
    fn next_set_and_transpose() {
        let row = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!((next_set(&row, 0), next_set(&row, 11), next_set(&row, 24), next_set(&row[..20], 11)), (10, 23, 24, 20));
        let marks: Vec<u8> = (0..70u32).map(|i| u8::from(i % 7 != 3 && i % 11 != 0) * (1 + (i % 5) as u8 * 60)).collect();
        for i in 0..=marks.len() {
            let set = (i..marks.len()).find(|&k| marks[k] != 0).unwrap_or(marks.len());
            let clear = (i..marks.len()).find(|&k| marks[k] == 0).unwrap_or(marks.len());
            assert_eq!((next_set(&marks, i), next_clear(&marks, i)), (set, clear), "{i}");
        }
        for (w, h) in [(70, 45), (64, 64), (8, 8), (1, 9), (9, 1), (17, 3), (0, 5)] {
            let img = noise(w, h, 9);
            let t = transpose(&img.px, w, h);
            assert!((0..h).all(|y| (0..w).all(|x| t[x * h + y] == img.px[y * w + x])), "{w}x{h}");
            assert_eq!(transpose(&t, h, w), img.px);
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

    /// A noisy grey picture (a small LCG, so the tests need no crate).
    fn noise(w: usize, h: usize, seed: u32) -> Gray {
        let mut seed = seed;
        let px = (0..w * h)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (seed >> 16) as u8
            })
            .collect();
        Gray { w, h, px }
    }

    #[test]
    fn round_exact_is_f32_round() {
            // Every float around a few ties (the whole range was checked once).
        let every = |lo: f32, hi: f32| (lo.to_bits()..=hi.to_bits()).map(f32::from_bits);
        let vals = every(0.49, 0.51).chain(every(1.49, 1.51)).chain(every(2.49, 2.51));
        let vals = vals.chain(every(1020.0, 1030.0)).chain(every(1_048_500.0, 1_048_576.0));
        for v in vals.chain([0.0, 7.5, 1e-3, 1e-40, f32::MIN_POSITIVE]) {
            assert_eq!(round_exact(v), v.round() as i32, "{v}");
            assert_eq!(round_exact(-v), (-v).round() as i32, "{}", -v);
        }
        let side = MAX_SIDE as i32;
        assert_eq!((round_exact(1e9), round_exact(-1e9), round_exact(f32::NAN)), (side, -side, -side));
    }

    #[test]
    fn fast_upright_picture_matches_its_definition() {
        for (w, h) in [(211, 157), (1, 1), (3, 90), (90, 3), (640, 480)] {
            let img = noise(w, h, 7);
            for (th, tv) in [(0.0, 0.0), (0.0192, -0.0129), (-0.0349, 0.0349), (0.00005, 0.0002), (0.0126, 0.0), (0.0, -0.03), (0.6, -0.7), (-0.02, 1.0 / 3.0), (0.01, 0.0625)] {
                assert_eq!(upright_picture(&img, th, tv, 200), upright_picture_reference(&img, th, tv, 200), "{w}x{h} {th} {tv}");
            }
        }
        // Many slopes, some of them putting rows right at a half pixel.
        let img = noise(97, 61, 3);
        let mut seed = 5u32;
        for _ in 0..300 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let th = ((seed >> 8) % 2001) as f32 / 2000.0 * 0.08 - 0.04;
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let tv = match seed % 3 {
                0 => ((seed >> 8) % 2001) as f32 / 2000.0 * 0.08 - 0.04,
                1 => 0.5 / ((seed >> 8) % 30 + 1) as f32,
                _ => -(1.5 / ((seed >> 8) % 30 + 1) as f32) + 1e-6,
            };
            assert_eq!(upright_picture(&img, th, tv, 200), upright_picture_reference(&img, th, tv, 200), "{th} {tv}");
        }
    }

    #[test]
    fn trunc_exact_is_as_i32() {
        let every = |lo: f32, hi: f32| (lo.to_bits()..=hi.to_bits()).map(f32::from_bits);
        let vals = every(0.99, 1.01).chain(every(2.49, 2.51)).chain(every(1020.0, 1030.0)).chain(every(4_194_000.0, 4_194_303.0));
        for v in vals.chain([0.0, 0.3, 0.5, 0.7, 1e-40, f32::MIN_POSITIVE]) {
            assert_eq!(trunc_exact(v), v as i32, "{v}");
            assert_eq!(trunc_exact(-v), -v as i32, "{}", -v);
        }
    }

    /// A page of dark specks and a few skewed long lines, as a dark mask.
    fn dark_mask(w: usize, h: usize, seed: u32) -> Vec<bool> {
        let img = noise(w, h, seed);
        let mut dark: Vec<bool> = img.px.iter().map(|&p| p < 40).collect();
        for (y0, slope) in [(30.0f32, 0.02f32), (90.0, 0.021), (150.0, -0.01)] {
            for x in 10..w - 10 {
                let y = (y0 + slope * x as f32) as usize;
                if y < h {
                    dark[y * w + x] = true;
                }
            }
        }
        for (x0, slope) in [(20.0f32, -0.015f32), (120.0, -0.014)] {
            for y in 5..h - 5 {
                let x = (x0 + slope * y as f32) as usize;
                if x < w {
                    dark[y * w + x] = true;
                }
            }
        }
        dark
    }

    #[test]
    fn fast_run_pixels_and_slopes_match_their_definitions() {
        for (w, h, seed) in [(211, 180, 3), (160, 230, 4), (300, 140, 5)] {
            let dark = dark_mask(w, h, seed);
            let (min_h, min_v) = ((w / 60).max(8), (h / 120).max(8));
            let grey: Vec<u8> = dark.iter().map(|&d| if d { 10 } else { 200 }).collect();
            let (hs, vs) = run_pixels(&grey, 100, w, h, min_h, min_v);
            let sorted = |pts: &Runs, horizontal: bool| {
                let mut v: Vec<(f32, f32)> = pts
                    .runs
                    .iter()
                    .flat_map(|&(c, from, to)| (from..to).map(move |a| if horizontal { (a as f32, c as f32) } else { (c as f32, a as f32) }))
                    .collect();
                assert_eq!(v.len(), pts.pixels);
                v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                v
            };
            let mut ref_h = run_pixels_reference(&dark, w, h, true, min_h);
            let mut ref_v = run_pixels_reference(&dark, w, h, false, min_v);
            ref_h.sort_by(|a, b| a.partial_cmp(b).unwrap());
            ref_v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            assert_eq!(sorted(&hs, true), ref_h);
            assert_eq!(sorted(&vs, false), ref_v);
            assert!(hs.pixels > 100 && vs.pixels > 100, "{} {}", hs.pixels, vs.pixels);
            let th = estimate_slope(&hs, h + w);
            let tv = estimate_slope(&vs, h + w);
            assert_eq!(th.to_bits(), estimate_slope_reference(&ref_h, h + w, |(x, y), t| y - x * t).to_bits());
            assert_eq!(tv.to_bits(), estimate_slope_reference(&ref_v, h + w, |(x, y), t| x - y * t).to_bits());
            assert!(th != 0.0 && tv != 0.0, "{th} {tv}");
        }
    }

    #[test]
    fn profile_by_stretches_counts_every_pixel_in_its_bin() {
        let mut seed = 99u32;
        let mut rnd = |n: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 8) % n
        };
        let mut pts = Runs::default();
        for _ in 0..300 {
            let (c, from) = (rnd(2500), rnd(1700));
            pts.push(c as usize, from as usize, (from + 1 + rnd(900)) as usize);
        }
        pts.push(0, 0, 2600);
        pts.push(2599, 0, 2600);
        let bins = 2400 + 1700;
        let offset = bins as f32 * 0.05;
        let mut hist = vec![0u32; bins * 11 / 10 + 2];
        let mut degs: Vec<f32> = (-25..=25).map(|k| k as f32 * 0.1).collect();
        degs.extend([0.0, -0.0, 1e-7, -1e-7, 0.02, -0.02, 2.3, -2.3, 1.4901161e-8]);
        let mut deg = -2.0f32;
        while deg <= 2.0 {
            degs.push(deg);
            deg += 0.1;
        }
        // Offsets below the slope's reach put pixels in bin 0 from both
        // sides and in negative bins (not counted).
        for (deg, offset) in degs.iter().flat_map(|&d| [(d, offset), (d, 0.0), (d, -3.7)]) {
            let t = deg.to_radians().tan();
            let mut want = vec![0u32; hist.len()];
            for &(c, from, to) in &pts.runs {
                for a in from..to {
                    let b = (c as f32 - a as f32 * t + offset) as isize;
                    if b >= 0 && (b as usize) < want.len() {
                        want[b as usize] += 1;
                    }
                }
            }
            let score = profile_score(&pts, &mut RunEnds::new(&pts), t, offset, &mut hist);
            assert_eq!(hist, want, "deg {deg} offset {offset}");
            assert_eq!(score.to_bits(), want.iter().map(|&c| (c as f64) * (c as f64)).sum::<f64>().to_bits());
        }
    }
}
