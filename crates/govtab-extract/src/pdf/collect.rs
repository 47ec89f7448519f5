//! pdf-extract side: an [`OutputDev`] that keeps every glyph with its
//! position and size, and every drawn path that can be a table rule.

use pdf_extract::{ColorSpace, MediaBox, OutputDev, OutputError, Path, PathOp, Transform};

/// One shown glyph in PDF user space (points, origin bottom-left).
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    /// The Unicode text of the glyph (usually one character; empty when the
    /// font has no mapping for it).
    pub text: String,
    pub x0: f32,
    pub x1: f32,
    /// Baseline.
    pub y: f32,
    /// Font size in user space (points).
    pub size: f32,
    /// Index of the text-showing string the glyph came from.
    pub word: u32,
}

impl Glyph {
    pub fn is_space(&self) -> bool {
        !self.text.is_empty() && self.text.chars().all(char::is_whitespace)
    }
    /// Centre of the glyph's body (baseline + about a third of the size).
    pub fn centre(&self) -> (f32, f32) {
        ((self.x0 + self.x1) / 2.0, self.y + 0.35 * self.size)
    }
}

/// A horizontal or vertical line segment that may be a table rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub horizontal: bool,
    /// y of a horizontal rule, x of a vertical one.
    pub at: f32,
    /// Extent along the rule.
    pub lo: f32,
    pub hi: f32,
}

/// Everything drawn on one page that layout needs.
#[derive(Debug, Clone, Default)]
pub struct PageInk {
    pub width: f32,
    pub height: f32,
    pub glyphs: Vec<Glyph>,
    pub rules: Vec<Rule>,
    /// Glyphs whose font gave no Unicode text.
    pub unmapped: usize,
}

/// Thicker than this (points) a filled rectangle is a box, not a rule.
const RULE_MAX_THICKNESS: f64 = 3.0;
/// Shorter than this (points) a segment is not a rule.
const RULE_MIN_LENGTH: f64 = 4.0;

#[derive(Default)]
pub struct Collector {
    pub page: PageInk,
    word: u32,
    origin: (f64, f64),
}

impl Collector {
    pub fn new() -> Self {
        Collector::default()
    }

    fn push_segment(&mut self, (ax, ay): (f64, f64), (bx, by): (f64, f64)) {
        let (ax, ay) = (ax - self.origin.0, ay - self.origin.1);
        let (bx, by) = (bx - self.origin.0, by - self.origin.1);
        let (dx, dy) = ((bx - ax).abs(), (by - ay).abs());
        if dy <= 1.0 && dx >= RULE_MIN_LENGTH {
            self.page.rules.push(Rule { horizontal: true, at: ((ay + by) / 2.0) as f32, lo: ax.min(bx) as f32, hi: ax.max(bx) as f32 });
        } else if dx <= 1.0 && dy >= RULE_MIN_LENGTH {
            self.page.rules.push(Rule { horizontal: false, at: ((ax + bx) / 2.0) as f32, lo: ay.min(by) as f32, hi: ay.max(by) as f32 });
        }
    }

    /// A filled rectangle: a rule when thin in one direction.
    fn push_box(&mut self, x0: f64, y0: f64, x1: f64, y1: f64) {
        let (x0, x1) = (x0.min(x1) - self.origin.0, x0.max(x1) - self.origin.0);
        let (y0, y1) = (y0.min(y1) - self.origin.1, y0.max(y1) - self.origin.1);
        let (w, h) = (x1 - x0, y1 - y0);
        if h <= RULE_MAX_THICKNESS && w >= RULE_MIN_LENGTH {
            self.page.rules.push(Rule { horizontal: true, at: ((y0 + y1) / 2.0) as f32, lo: x0 as f32, hi: x1 as f32 });
        } else if w <= RULE_MAX_THICKNESS && h >= RULE_MIN_LENGTH {
            self.page.rules.push(Rule { horizontal: false, at: ((x0 + x1) / 2.0) as f32, lo: y0 as f32, hi: y1 as f32 });
        }
    }

    fn path(&mut self, ctm: &Transform, path: &Path, filled: bool) {
        // Row-vector convention, as euclid's Transform2D::transform_point.
        let tp = |x: f64, y: f64| -> (f64, f64) { (x * ctm.m11 + y * ctm.m21 + ctm.m31, x * ctm.m12 + y * ctm.m22 + ctm.m32) };
        let mut start: Option<(f64, f64)> = None;
        let mut cur: Option<(f64, f64)> = None;
        let mut poly: Vec<(f64, f64)> = Vec::new();
        let flush_poly = |me: &mut Collector, poly: &mut Vec<(f64, f64)>| {
            // A filled 4-corner axis-aligned polygon is a box.
            if filled && poly.len() >= 4 && poly.len() <= 5 {
                let xs: Vec<f64> = poly.iter().map(|p| p.0).collect();
                let ys: Vec<f64> = poly.iter().map(|p| p.1).collect();
                let (x0, x1) = (xs.iter().cloned().fold(f64::MAX, f64::min), xs.iter().cloned().fold(f64::MIN, f64::max));
                let (y0, y1) = (ys.iter().cloned().fold(f64::MAX, f64::min), ys.iter().cloned().fold(f64::MIN, f64::max));
                let axis_aligned = poly.iter().all(|p| ((p.0 - x0).abs() < 0.5 || (p.0 - x1).abs() < 0.5) && ((p.1 - y0).abs() < 0.5 || (p.1 - y1).abs() < 0.5));
                if axis_aligned {
                    me.push_box(x0, y0, x1, y1);
                }
            }
            poly.clear();
        };
        for op in &path.ops {
            match *op {
                PathOp::MoveTo(x, y) => {
                    flush_poly(self, &mut poly);
                    let p = tp(x, y);
                    start = Some(p);
                    cur = Some(p);
                    poly.push(p);
                }
                PathOp::LineTo(x, y) => {
                    let p = tp(x, y);
                    if let (Some(c), false) = (cur, filled) {
                        self.push_segment(c, p);
                    }
                    cur = Some(p);
                    poly.push(p);
                }
                PathOp::CurveTo(_, _, _, _, x, y) => {
                    cur = Some(tp(x, y));
                    poly.clear();
                }
                PathOp::Close => {
                    if let (Some(c), Some(s), false) = (cur, start, filled) {
                        self.push_segment(c, s);
                    }
                    cur = start;
                }
                PathOp::Rect(x, y, w, h) => {
                    flush_poly(self, &mut poly);
                    let a = tp(x, y);
                    let b = tp(x + w, y + h);
                    if filled {
                        self.push_box(a.0, a.1, b.0, b.1);
                    } else {
                        let (x0, x1, y0, y1) = (a.0.min(b.0), a.0.max(b.0), a.1.min(b.1), a.1.max(b.1));
                        if y1 - y0 <= RULE_MAX_THICKNESS || x1 - x0 <= RULE_MAX_THICKNESS {
                            self.push_box(x0, y0, x1, y1);
                        } else {
                            self.push_segment((x0, y0), (x1, y0));
                            self.push_segment((x0, y1), (x1, y1));
                            self.push_segment((x0, y0), (x0, y1));
                            self.push_segment((x1, y0), (x1, y1));
                        }
                    }
                    start = None;
                    cur = None;
                }
            }
        }
        flush_poly(self, &mut poly);
    }
}

impl OutputDev for Collector {
    fn begin_page(&mut self, _page_num: u32, media_box: &MediaBox, _art_box: Option<(f64, f64, f64, f64)>) -> Result<(), OutputError> {
        self.page = PageInk {
            width: (media_box.urx - media_box.llx).abs() as f32,
            height: (media_box.ury - media_box.lly).abs() as f32,
            ..Default::default()
        };
        self.origin = (media_box.llx.min(media_box.urx), media_box.lly.min(media_box.ury));
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(&mut self, trm: &Transform, width: f64, _spacing: f64, font_size: f64, char: &str) -> Result<(), OutputError> {
        if char.is_empty() {
            self.page.unmapped += 1;
            return Ok(());
        }
        let x_scale = trm.m11.hypot(trm.m12);
        let y_scale = trm.m21.hypot(trm.m22);
        let size = (font_size.abs() * y_scale) as f32;
        let x0 = trm.m31 - self.origin.0;
        let y = trm.m32 - self.origin.1;
        let mut adv = width * font_size.abs() * x_scale;
        if !(adv.is_finite() && adv > 0.0) {
            adv = 0.5 * size as f64;
        }
        if !(x0.is_finite() && y.is_finite() && size.is_finite()) {
            return Ok(());
        }
        self.page.glyphs.push(Glyph { text: char.to_string(), x0: x0 as f32, x1: (x0 + adv) as f32, y: y as f32, size, word: self.word });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.word += 1;
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn stroke(&mut self, ctm: &Transform, _colorspace: &ColorSpace, _color: &[f64], path: &Path) -> Result<(), OutputError> {
        self.path(ctm, path, false);
        Ok(())
    }

    fn fill(&mut self, ctm: &Transform, _colorspace: &ColorSpace, _color: &[f64], path: &Path) -> Result<(), OutputError> {
        self.path(ctm, path, true);
        Ok(())
    }
}
