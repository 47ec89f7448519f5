//! Ideographs of a scanned cell, read from the page picture glyph by glyph.
//!
//! Chinese type sits on a fixed pitch: each ideograph fills one em. A
//! single-line cell whose OCR text is all ideographs, and whose ink is as
//! wide as that many ems, is cut into that many glyph boxes (each cut where
//! the ink is thinnest near the pitch); each box, sampled onto a
//! [`G`]×[`G`] grid, is a labelled shape of its character. The document's
//! shapes make per-character templates (the mean of a character's shapes
//! after the ones far from their medoid are dropped: a misread label is
//! outvoted when the character is read right elsewhere).
//!
//! A cell is then read again glyph by glyph ([`Reader::read`]): a glyph
//! whose OCR character's template is far while another character's is
//! near (within [`TOLERANCE`]× the typical distance of a shape to its own
//! template, and nearer by [`MARGIN`] than any other) is that character.
//! A cell whose OCR text is lost or garbled is read whole when its width is
//! a whole number of ems and every glyph reads so clearly.
//!
//! Only characters the document prints legibly elsewhere can be read.

/// A cell's ink in its bounding box, 0 (paper) to 255 (ink).
#[derive(Debug, Clone)]
pub struct LineInk {
    pub w: usize,
    pub h: usize,
    pub px: Vec<u8>,
}

/// Glyph grid side.
const G: usize = 16;
const CELLS: usize = G * G;
/// Near enough: a glyph's distance to a template over the typical
/// distance of a shape to its own character's template.
pub const TOLERANCE: f32 = 2.5;
/// Clearly nearest: the best template's distance over the next one's.
pub const MARGIN: f32 = 0.6;
/// The least typical distance.
const MIN_TYPICAL: f32 = 0.004;
/// A cell's width may differ from its ems by this share of one em.
const PITCH_SLACK: f32 = 0.12;

type Shape = Box<[f32; CELLS]>;

fn is_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

impl LineInk {
    fn column(&self) -> Vec<f32> {
        (0..self.w).map(|x| (0..self.h).map(|y| self.px[y * self.w + x] as f32).sum()).collect()
    }

    /// The ink cut into `n` glyph boxes of pitch `p` (pixels).
    fn cut(&self, n: usize, p: f32) -> Vec<(usize, usize)> {
        let col = self.column();
        let reach = (0.15 * p).round() as i64;
        let mut cuts = vec![0usize];
        for k in 1..n {
            let at = (self.w as f32 * k as f32 / n as f32).round() as i64;
            let lo = (at - reach).max(1);
            let hi = (at + reach).min(self.w as i64 - 1);
            let c = (lo..=hi).min_by(|a, b| col[*a as usize].total_cmp(&col[*b as usize]).then((a - at).abs().cmp(&(b - at).abs()))).unwrap_or(at);
            cuts.push(c.max(*cuts.last().unwrap_or(&0) as i64 + 1) as usize);
        }
        cuts.push(self.w);
        cuts.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// The shape of the box [a, b) (full line height), on a box one em
    /// wide.
    fn shape(&self, a: usize, b: usize, p: f32) -> Shape {
        let mut g = [0f32; CELLS];
        let scale_y = G as f32 / self.h as f32;
        let scale_x = G as f32 / p;
        // centred on its ink (a cut a pixel off moves the box, not the ink)
        let (mut sum, mut mass) = (0.0f32, 0.0f32);
        for y in 0..self.h {
            for x in a..b {
                let v = self.px[y * self.w + x] as f32;
                sum += v * (x - a) as f32;
                mass += v;
            }
        }
        let centre = if mass > 0.0 { sum / mass + 0.5 } else { (b - a) as f32 / 2.0 };
        let off = p / 2.0 - centre;
        for y in 0..self.h {
            for x in a..b {
                let v = self.px[y * self.w + x];
                if v == 0 {
                    continue;
                }
                let gx = ((x - a) as f32 + off + 0.5) * scale_x;
                let gy = (y as f32 + 0.5) * scale_y;
                let (ix, iy) = (gx as usize, gy as usize);
                if ix < G && iy < G {
                    g[iy * G + ix] += v as f32 / 255.0 * scale_x * scale_y;
                }
            }
        }
        let mut out = Box::new([0f32; CELLS]);
        super::digits::blur(&g, G, G, &mut out[..]);
        out
    }

    /// How many ems wide the ink is at pitch `p`, if a whole number (the
    /// last glyph's ink is a little narrower than its em).
    fn ems(&self, p: f32) -> Option<usize> {
        let n = (self.w as f32 / p + 0.08).round();
        (n >= 1.0 && ((self.w as f32 / p + 0.08) - n).abs() <= PITCH_SLACK).then_some(n as usize)
    }
}

fn dist(a: &[f32; CELLS], b: &[f32; CELLS]) -> f32 {
    super::digits::mean_square(a, b)
}

/// Ideograph templates learnt from one document.
#[derive(Debug, Default)]
pub struct Reader {
    chars: Vec<(char, Shape)>,
    /// The texts the legible cells read (each line up with its ems).
    known: Vec<Vec<char>>,
    typical: f32,
    /// The ideographs' pitch, pixels (one em).
    pitch: f32,
}

fn ideographs(text: &str) -> Option<Vec<char>> {
    let t: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    (!t.is_empty() && t.iter().all(|c| is_ideograph(*c))).then_some(t)
}

impl Reader {
    /// Learn from single-line cells and their OCR text.
    pub fn learn<'a>(cells: impl IntoIterator<Item = (&'a LineInk, &'a str)> + Clone) -> Reader {
        // the document's pitch, from cells of several ideographs
        let mut ratios: Vec<f32> = cells
            .clone()
            .into_iter()
            .filter_map(|(ink, t)| ideographs(t).filter(|t| t.len() >= 3).map(|t| ink.w as f32 / (t.len() as f32 - 0.08)))
            .collect();
        if ratios.len() < 5 {
            return Reader::default();
        }
        ratios.sort_by(|a, b| a.total_cmp(b));
        let pitch = ratios[ratios.len() / 2];
        let mut samples: Vec<(char, Shape)> = Vec::new();
        let mut known: Vec<Vec<char>> = Vec::new();
        for (ink, text) in cells {
            let Some(t) = ideographs(text) else { continue };
            let p = pitch;
            if ink.ems(p) != Some(t.len()) {
                continue;
            }
            if !known.contains(&t) {
                known.push(t.clone());
            }
            for ((a, b), c) in ink.cut(t.len(), ink.w as f32 / t.len() as f32).into_iter().zip(t) {
                samples.push((c, ink.shape(a, b, p)));
            }
        }
        samples.sort_by_key(|(c, _)| *c);
        let mut chars = Vec::new();
        let mut own = Vec::new();
        for group in samples.chunk_by(|a, b| a.0 == b.0) {
            let c = group[0].0;
            let shapes: Vec<&Shape> = group.iter().map(|(_, s)| s).take(60).collect();
            // medoid, then the mean of the shapes near it
            let medoid = shapes.iter().min_by(|a, b| {
                let da: f32 = shapes.iter().map(|s| dist(a, s)).sum();
                let db: f32 = shapes.iter().map(|s| dist(b, s)).sum();
                da.total_cmp(&db)
            });
            let Some(m) = medoid else { continue };
            let mut ds: Vec<f32> = shapes.iter().map(|s| dist(m, s)).collect();
            ds.sort_by(|a, b| a.total_cmp(b));
            let cut = ds[ds.len() / 2] * 3.0 + 1e-6;
            let near: Vec<&&Shape> = shapes.iter().filter(|s| dist(m, s) <= cut).collect();
            let mut mean = Box::new([0f32; CELLS]);
            for s in &near {
                mean.iter_mut().zip(s.iter()).for_each(|(a, b)| *a += b / near.len() as f32);
            }
            if shapes.len() >= 2 {
                own.extend(shapes.iter().map(|s| dist(&mean, s)));
            }
            chars.push((c, mean));
        }
        own.sort_by(|a, b| a.total_cmp(b));
        // (a floor: a clean print's glyphs can match their templates exactly)
        let typical = own.get(own.len() / 2).copied().unwrap_or(0.0).max(MIN_TYPICAL);
        Reader { chars, known, typical, pitch }
    }

    /// The nearest characters to a shape: (best, its distance, next distance).
    fn nearest(&self, s: &[f32; CELLS]) -> Option<(char, f32, f32)> {
        let mut best = (' ', f32::MAX);
        let mut next = f32::MAX;
        for (c, t) in &self.chars {
            let d = dist(s, t);
            if d < best.1 {
                next = best.1;
                best = (*c, d);
            } else if d < next {
                next = d;
            }
        }
        (best.1 < f32::MAX).then_some((best.0, best.1, next))
    }

    /// The cell read again: its OCR text with the glyphs the picture shows
    /// otherwise put right, or a reading of a cell whose text was lost or
    /// garbled. None when nothing reads clearly other than the OCR text.
    pub fn read(&self, ink: &LineInk, text: &str) -> Option<String> {
        if self.chars.len() < 20 || self.typical <= 0.0 {
            return None;
        }
        let p = self.pitch;
        let n = ink.ems(p)?;
        let boxes = ink.cut(n, ink.w as f32 / n as f32);
        let ocr = ideographs(text).filter(|t| t.len() == n);
        let tol = TOLERANCE * self.typical;
        let mut out = String::new();
        let mut changed = false;
        for (k, (a, b)) in boxes.into_iter().enumerate() {
            let s = ink.shape(a, b, p);
            let (c, d1, d2) = self.nearest(&s)?;
            let clear = d1 <= tol && d1 <= MARGIN * d2;
            match &ocr {
                Some(t) => {
                    let own = self.chars.iter().find(|(k2, _)| *k2 == t[k]).map(|(_, tpl)| dist(&s, tpl)).unwrap_or(f32::MAX);
                    if c != t[k] && clear && d1 <= MARGIN * own {
                        out.push(c);
                        changed = true;
                    } else {
                        out.push(t[k]);
                    }
                }
                None => {
                    if !clear {
                        return self.read_known(ink, n, p);
                    }
                    out.push(c);
                    changed = true;
                }
            }
        }
        changed.then_some(out)
    }

    /// A cell the OCR layer lost, read as the one text of its width that
    /// the document's legible cells print whose glyphs its picture fits
    /// (on average within [`TOLERANCE`], and nearer by [`MARGIN`] than any
    /// other such text).
    fn read_known(&self, ink: &LineInk, n: usize, p: f32) -> Option<String> {
        let shapes: Vec<Shape> = ink.cut(n, ink.w as f32 / n as f32).into_iter().map(|(a, b)| ink.shape(a, b, p)).collect();
        let template = |c: char| self.chars.iter().find(|(k, _)| *k == c).map(|(_, t)| t);
        let mut scored: Vec<(f32, &Vec<char>)> = self
            .known
            .iter()
            .filter(|t| t.len() == n)
            .filter_map(|t| {
                let ds: Option<Vec<f32>> = t.iter().zip(&shapes).map(|(c, s)| template(*c).map(|tpl| dist(s, tpl))).collect();
                ds.map(|ds| (ds.iter().sum::<f32>() / n as f32, t))
            })
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (d1, best) = scored.first()?;
        let clear = *d1 <= TOLERANCE * self.typical && scored.get(1).is_none_or(|(d2, _)| *d1 <= MARGIN * d2);
        clear.then(|| best.iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALPHABET: &str = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地";

    /// A made-up ideograph: a 5×5 pattern of 4×4 px blocks, fixed by the
    /// character.
    fn blocks(c: char) -> [[bool; 5]; 5] {
        let mut seed = c as u32;
        let mut g = [[false; 5]; 5];
        for row in g.iter_mut() {
            for b in row.iter_mut() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                *b = (seed >> 16) % 5 < 2;
            }
        }
        g[0][0] = true; // each glyph fills its box's corners
        g[4][4] = true;
        g
    }

    /// `printed` on a fixed pitch of 22 px, glyphs 20 px square.
    fn line(printed: &str) -> LineInk {
        let n = printed.chars().count();
        let (w, h) = ((n - 1) * 22 + 20, 20);
        let mut px = vec![0u8; w * h];
        for (k, c) in printed.chars().enumerate() {
            for (by, row) in blocks(c).iter().enumerate() {
                for (bx, on) in row.iter().enumerate() {
                    for y in 0..4 {
                        for x in 0..4 {
                            if *on {
                                px[(by * 4 + y) * w + k * 22 + bx * 4 + x] = 255;
                            }
                        }
                    }
                }
            }
        }
        LineInk { w, h, px }
    }

    fn reader() -> Reader {
        let chars: Vec<char> = ALPHABET.chars().collect();
        let texts: Vec<String> = (0..12).map(|k| (0..4).map(|j| chars[(k * 2 + j) % chars.len()]).collect()).collect();
        let inks: Vec<LineInk> = texts.iter().map(|t| line(t)).collect();
        let cells: Vec<(&LineInk, &str)> = inks.iter().zip(&texts).map(|(i, t)| (i, t.as_str())).collect();
        Reader::learn(cells.iter().copied())
    }

    #[test]
    fn a_misread_glyph_is_put_right() {
        let r = reader();
        // the picture prints 丙, the layer read 地
        assert_eq!(r.read(&line("甲乙丙丁"), "甲乙地丁").as_deref(), Some("甲乙丙丁"));
        // read as printed: nothing to change
        assert_eq!(r.read(&line("甲乙丙丁"), "甲乙丙丁"), None);
    }

    #[test]
    fn a_lost_cell_reads_glyph_by_glyph() {
        let r = reader();
        assert_eq!(r.read(&line("子丑寅"), "").as_deref(), Some("子丑寅"));
        assert_eq!(r.read(&line("子丑寅"), "ae").as_deref(), Some("子丑寅"));
    }

    #[test]
    fn a_width_of_no_whole_ems_is_not_read() {
        let r = reader();
        let mut ink = line("子丑寅");
        // 11 px more: half an em
        let (w, h) = (ink.w + 11, ink.h);
        let mut px = vec![0u8; w * h];
        for y in 0..h {
            px[y * w..y * w + ink.w].copy_from_slice(&ink.px[y * ink.w..(y + 1) * ink.w]);
        }
        px[w - 1] = 255;
        ink = LineInk { w, h, px };
        assert_eq!(r.read(&ink, ""), None);
    }

    #[test]
    fn too_few_legible_cells_teach_nothing() {
        let t = "甲乙丙丁".to_string();
        let ink = line(&t);
        let r = Reader::learn([(&ink, t.as_str())]);
        assert_eq!(r.read(&line("甲乙丙丁"), "甲乙地丁"), None);
    }
}