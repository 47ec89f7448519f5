//! Table rules of a scanned page, read from its image.
//!
//! An OCR'd scan has no drawn rules: the table is in the picture. The page
//! image is decoded at about 75–100 dpi (JPEG by DCT scaling, raw samples by
//! averaging), binarised, its skew estimated from the projection profile of
//! the dark pixels, and long thin horizontal and vertical runs are kept as
//! [`Rule`]s in page space — after the same rotation that the glyphs get, so
//! the table code sees an upright page. Bilevel codecs (CCITT, JBIG2) and
//! JPEG 2000 are not decoded: such pages keep x-gap cells.

use lopdf::{Document, Object, ObjectId};

use super::collect::{Glyph, Rule};

/// A grey image, row-major, 0 = black.
pub struct Gray {
    pub w: usize,
    pub h: usize,
    pub px: Vec<u8>,
}

/// Decode target: about this many pixels across.
const TARGET_WIDTH: usize = 600;

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
pub fn rules(img: &Gray, page_w: f32, page_h: f32) -> Option<(Vec<Rule>, Upright)> {
    let (w, h) = (img.w, img.h);
    let dark = binarise(img)?;
    // Skew from the pixels of long straight runs only (rule pieces, not
    // text): horizontal runs give the slope of the rows, vertical runs
    // that of the columns.
    let pts_h = run_pixels(&dark, w, h, true, (w / 60).max(8));
    let pts_v = run_pixels(&dark, w, h, false, (h / 120).max(8));
    let th = estimate_slope(&pts_h, h + w, |(x, y), t| y - x * t);
    let tv = estimate_slope(&pts_v, h + w, |(x, y), t| x - y * t);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    // Upright binary picture: each upright pixel from its place on the scan.
    let up: Vec<bool> = if th.abs() < 1e-4 && tv.abs() < 1e-4 {
        dark
    } else {
        let mut up = vec![false; w * h];
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let sx = (dx + tv * dy + cx).round();
                let sy = (dy + th * dx + cy).round();
                if sx >= 0.0 && sy >= 0.0 && (sx as usize) < w && (sy as usize) < h {
                    up[y * w + x] = dark[sy as usize * w + sx as usize];
                }
            }
        }
        up
    };
    if let Ok(path) = std::env::var("GOVTAB_DEBUG_PGM") {
        let mut buf = format!("P5 {w} {h} 255\n").into_bytes();
        buf.extend(up.iter().map(|&d| if d { 0u8 } else { 255 }));
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _ = std::fs::write(format!("{path}-{n}.pgm"), buf);
        let mut buf = format!("P5 {w} {h} 255\n").into_bytes();
        buf.extend(&img.px[..w * h]);
        let _ = std::fs::write(format!("{path}-{n}g.pgm"), buf);
    }
    let frame = Upright { sx: w as f32 / page_w, sy: h as f32 / page_h, page_h, cx, cy, th, tv };
    let min_h = (w / 30).max(12);
    let min_v = (h / 60).max(12);
    let mut out = Vec::new();
    for (horizontal, min_len) in [(true, min_h), (false, min_v)] {
        for (at, lo, hi) in runs(&up, w, h, horizontal, min_len) {
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

/// Dark pixels: darker than the paper (90th percentile) by 30% of the way
/// to the ink (0.2th percentile). None for a blank or flat picture.
fn binarise(img: &Gray) -> Option<Vec<bool>> {
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
                return v as u32;
            }
        }
        255
    };
    let (ink, paper) = (pct(0.002), pct(0.90));
    if paper < ink + 40 {
        return None;
    }
    // Close to the paper: a rule the scan blurred or the decoder scaled down
    // is light grey, not black.
    let t = (paper as f32 - DARK_FROM_PAPER * (paper - ink) as f32) as u8;
    Some(img.px[..n].iter().map(|&p| p < t).collect())
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

/// Distance (pixels) from a rule at which the paper must show.
const HALO: isize = 3;
/// Light pixels a run may skip.
const MAX_GAP: usize = 2;
/// A pixel is dark below paper − this × (paper − ink).
const DARK_FROM_PAPER: f32 = 0.3;

/// Long thin runs: (position across, start, end) in pixels, with runs of
/// neighbouring rows (columns) merged into one rule.
fn runs(up: &[bool], w: usize, h: usize, horizontal: bool, min_len: usize) -> Vec<(f32, f32, f32)> {
    let (lines, len) = if horizontal { (h, w) } else { (w, h) };
    let at = |line: usize, i: usize| if horizontal { up[line * w + i] } else { up[i * w + line] };
    // Per line: runs of dark allowing short gaps (noise, JPEG blocks).
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
            while j < len && (j - end) <= MAX_GAP + 1 {
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
    // Merge pieces of adjacent lines that overlap along the run.
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
            for b in a + 1..pieces.len() {
                if used[b] {
                    continue;
                }
                let (lb, sb, eb) = pieces[b];
                if lb > l1 + 1 {
                    break;
                }
                if lb + 1 >= l0 && sb < e && eb > s {
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
        let thin = halo(l0 as isize - HALO) < 0.5 && halo((l1 + HALO as usize) as isize) < 0.5;
        if l1 - l0 <= 4 && thin {
            out.push(((l0 + l1) as f32 / 2.0 + 0.5, s as f32, e as f32));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
