//! Text-layer damage specific to PDFs, repaired cell by cell and counted so
//! each kind is logged once per document.
//!
//! - Kangxi radicals, CJK radicals supplement and CJK strokes from broken
//!   ToUnicode maps (⽬ → 目), by Unicode's EquivalentUnifiedIdeograph data
//!   (`pipelines/cjk-equivalents.txt`); CJK compatibility ideographs by NFC.
//! - Spaces an OCR layer put between CJK characters ("一 级 指标").
//! - Full-width digits, letters and ASCII punctuation (０-９, ％, ．) →
//!   half-width; full-width CJK punctuation (，：；（）！？) stays as printed.
//! - Page headers and footers ("— 第 1 页 —", "第 1 页 共 3 页", a lone page
//!   number in the top or bottom margin).

use std::collections::HashMap;
use std::sync::OnceLock;

use govtab_model::Repair;
use unicode_normalization::UnicodeNormalization;

const EQUIVALENTS: &str = include_str!("../../../../pipelines/cjk-equivalents.txt");

/// Radical / stroke code point → unified ideograph.
fn equivalents() -> &'static HashMap<char, char> {
    static MAP: OnceLock<HashMap<char, char>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m = HashMap::new();
        for line in EQUIVALENTS.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((src, dst)) = line.split_once(';') else { continue };
            let Some(dst) = u32::from_str_radix(dst.trim(), 16).ok().and_then(char::from_u32) else { continue };
            let src = src.trim();
            let (lo, hi) = match src.split_once("..") {
                Some((a, b)) => (a, b),
                None => (src, src),
            };
            let (Ok(lo), Ok(hi)) = (u32::from_str_radix(lo, 16), u32::from_str_radix(hi, 16)) else { continue };
            for cp in lo..=hi {
                if let Some(c) = char::from_u32(cp) {
                    m.insert(c, dst);
                }
            }
        }
        m
    })
}

/// The unified ideograph a radical, stroke or compatibility ideograph
/// stands for, if it is one.
pub fn unified(c: char) -> Option<char> {
    if let Some(&u) = equivalents().get(&c) {
        return Some(u);
    }
    if is_compat_ideograph(c) {
        let mut n = std::iter::once(c).nfc();
        if let (Some(u), None) = (n.next(), n.next()) {
            if u != c {
                return Some(u);
            }
        }
    }
    None
}

fn is_compat_ideograph(c: char) -> bool {
    matches!(c as u32, 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// Is `c` a CJK character for the space rule: ideographs (all blocks,
/// radicals), CJK symbols and punctuation, full-width CJK punctuation.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF        // radicals
        | 0x3000..=0x303F      // CJK symbols and punctuation
        | 0x31C0..=0x31EF      // strokes
        | 0x3400..=0x4DBF      // ext A
        | 0x4E00..=0x9FFF      // unified
        | 0xF900..=0xFAFF      // compatibility
        | 0xFE30..=0xFE4F      // compatibility forms
        | 0xFF5F..=0xFF65      // half-width CJK punctuation
        | 0x20000..=0x3134F    // ext B..G, compatibility supplement
    ) || KEEP_FULLWIDTH.contains(&c)
}

/// Full-width punctuation that Chinese text uses as its own: kept.
const KEEP_FULLWIDTH: [char; 7] = ['，', '：', '；', '（', '）', '！', '？'];

/// A full-width form to fold to ASCII (digits, letters, ASCII punctuation
/// other than the CJK punctuation in [`KEEP_FULLWIDTH`]).
fn halfwidth(c: char) -> Option<char> {
    if ('\u{FF01}'..='\u{FF5E}').contains(&c) && !KEEP_FULLWIDTH.contains(&c) {
        char::from_u32(c as u32 - 0xFEE0)
    } else {
        None
    }
}

/// Kinds of repair, in the order they are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Radical,
    CompatIdeograph,
    CjkSpace,
    OcrTightSpace,
    FullWidth,
    HeaderFooter,
    Pictured,
    SamePrint,
    Glyphs,
}

#[derive(Debug, Clone, Default)]
pub struct Tally {
    counts: HashMap<Kind, usize>,
    examples: HashMap<Kind, (String, String)>,
}

impl Tally {
    #[cfg(test)]
    pub fn count(&self, k: Kind) -> usize {
        self.counts.get(&k).copied().unwrap_or(0)
    }

    pub fn note(&mut self, k: Kind, n: usize, before: &str, after: &str) {
        if n == 0 {
            return;
        }
        *self.counts.entry(k).or_default() += n;
        self.examples.entry(k).or_insert_with(|| (clip(before), clip(after)));
    }

    /// One [`Repair`] per kind seen, with its count.
    pub fn repairs(&self) -> Vec<Repair> {
        let mut kinds: Vec<Kind> = self.counts.keys().copied().collect();
        kinds.sort();
        kinds
            .into_iter()
            .map(|k| {
                let n = self.counts[&k];
                let (before, after) = self.examples.get(&k).cloned().unwrap_or_default();
                let reason = match k {
                    Kind::Radical => format!("{n} Kangxi/CJK radicals mapped to unified ideographs (EquivalentUnifiedIdeograph)"),
                    Kind::CompatIdeograph => format!("{n} CJK compatibility ideographs mapped to unified ideographs (NFC)"),
                    Kind::CjkSpace => format!("{n} spaces between CJK characters removed (OCR text layer)"),
                    Kind::OcrTightSpace => format!("{n} spaces inside numbers or brackets removed (OCR text layer)"),
                    Kind::FullWidth => format!("{n} full-width digits/letters/ASCII punctuation made half-width"),
                    Kind::HeaderFooter => format!("{n} page header/footer lines dropped"),
                    Kind::Pictured => format!("{n} scanned number cells read from the page picture where the OCR layer read otherwise"),
                    Kind::Glyphs => format!("{n} scanned cells' ideographs read from the page picture glyph by glyph where the OCR layer read otherwise"),
                    Kind::SamePrint => format!("{n} scanned cells read as the cells whose picture is the same print (the OCR layer read them otherwise)"),
                };
                Repair::new("*", "extract", before, after, reason)
            })
            .collect()
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

/// Repair one cell's text. `ocr`: the text comes from an OCR layer, where
/// spaces between CJK characters are artefacts.
pub fn repair_text(s: &str, ocr: bool, tally: &mut Tally) -> String {
    // Newlines separate paragraphs of one cell; repair each paragraph.
    if s.contains('\n') {
        return s.split('\n').map(|p| repair_text(p, ocr, tally)).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n");
    }
    // 1. radicals and compatibility ideographs
    let mut radicals = 0;
    let mut compat = 0;
    let mut t: String = s
        .chars()
        .map(|c| match unified(c) {
            Some(u) => {
                if is_compat_ideograph(c) {
                    compat += 1;
                } else {
                    radicals += 1;
                }
                u
            }
            None => c,
        })
        .collect();
    if radicals + compat > 0 {
        tally.note(Kind::Radical, radicals, s, &t);
        tally.note(Kind::CompatIdeograph, compat, s, &t);
    }
    // 2. full-width ASCII forms
    let mut fw = 0;
    if t.chars().any(|c| halfwidth(c).is_some()) {
        let before = t.clone();
        t = t
            .chars()
            .map(|c| match halfwidth(c) {
                Some(h) => {
                    fw += 1;
                    h
                }
                None => c,
            })
            .collect();
        tally.note(Kind::FullWidth, fw, &before, &t);
    }
    // 3. whitespace: runs to one space, trimmed; in OCR layers a space
    // between two CJK characters goes.
    let chars: Vec<char> = t.split_whitespace().collect::<Vec<_>>().join(" ").chars().collect();
    let mut out = String::with_capacity(t.len());
    let mut removed = 0;
    let mut tight = 0;
    for (i, &c) in chars.iter().enumerate() {
        if ocr && c == ' ' && i > 0 && i + 1 < chars.len() {
            let (l, r) = (chars[i - 1], chars[i + 1]);
            if is_cjk(l) && is_cjk(r) {
                removed += 1;
                continue;
            }
            if ocr_tight(l, r) {
                tight += 1;
                continue;
            }
        }
        out.push(c);
    }
    if removed > 0 {
        tally.note(Kind::CjkSpace, removed, &chars.iter().collect::<String>(), &out);
    }
    if tight > 0 {
        tally.note(Kind::OcrTightSpace, tight, &chars.iter().collect::<String>(), &out);
    }
    out
}

/// OCR layers also split numbers and brackets: "100 .00%", "98 %",
/// "( 份 )". A space goes after an opening bracket, before a closing one,
/// and around a decimal point or before % between digits.
fn ocr_tight(l: char, r: char) -> bool {
    "(（[《【".contains(l)
        || ")）]》】".contains(r)
        || (l.is_ascii_digit() && (r == '.' || r == '%'))
        || (l == '.' && r.is_ascii_digit())
}

/// Is this short line a page header or footer ("— 第 1 页 —", "第1页 共3页",
/// "第 1 页/共 3 页", "- 2 -", "2/3", "Page 2 of 3", a lone number)?
pub fn is_page_marker(text: &str) -> bool {
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.trim_matches(|c: char| "—–-－_~·•.*()（）[]【】〔〕".contains(c));
    if s.is_empty() || s.chars().count() > 20 {
        return false;
    }
    let num = |t: &str| !t.is_empty() && t.len() <= 4 && t.chars().all(|c| c.is_ascii_digit());
    // lone page number
    if num(s) {
        return true;
    }
    // N/M
    if let Some((a, b)) = s.split_once('/') {
        if num(a) && num(b) {
            return true;
        }
    }
    // Page N [of M]
    let lower = s.to_lowercase();
    if let Some(rest) = lower.strip_prefix("page") {
        match rest.split_once("of") {
            Some((a, b)) if num(a) && num(b) => return true,
            None if num(rest) => return true,
            _ => {}
        }
    }
    // 第N页 [共M页], 共M页 第N页, with , ， / between
    let parts: Vec<&str> = s.split(|c: char| ",，/、".contains(c)).filter(|p| !p.is_empty()).collect();
    let mut pieces: Vec<String> = Vec::new();
    for p in parts {
        // split "第1页共3页" into "第1页" "共3页"
        let mut cur = String::new();
        for c in p.chars() {
            cur.push(c);
            if c == '页' {
                pieces.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            pieces.push(cur);
        }
    }
    !pieces.is_empty()
        && pieces.iter().any(|p| p.starts_with('第'))
        && pieces.iter().all(|p| {
            let inner = p.strip_prefix('第').or_else(|| p.strip_prefix('共')).and_then(|q| q.strip_suffix('页'));
            inner.map(num).unwrap_or(false)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kangxi_and_supplement_radicals_become_unified_ideographs() {
        let mut t = Tally::default();
        assert_eq!(repair_text("项⽬⽀出", false, &mut t), "项目支出");
        assert_eq!(repair_text("部⻔", false, &mut t), "部门");
        assert_eq!(t.count(Kind::Radical), 3);
        let reps = t.repairs();
        assert_eq!(reps.len(), 1);
        assert!(reps[0].reason.starts_with("3 Kangxi"), "{}", reps[0].reason);
        assert_eq!(reps[0].before, "项⽬⽀出");
        assert_eq!(reps[0].after, "项目支出");
    }

    #[test]
    fn compatibility_ideographs_by_nfc() {
        let mut t = Tally::default();
        // U+F9F2 is a compatibility form of 鱗 (U+9C57).
        assert_eq!(repair_text("\u{F9F2}", false, &mut t), "\u{9C57}");
        assert_eq!(t.count(Kind::CompatIdeograph), 1);
    }

    #[test]
    fn ocr_spaces_between_cjk_go_other_spaces_stay() {
        let mut t = Tally::default();
        assert_eq!(repair_text("一 级 指标", true, &mut t), "一级指标");
        assert_eq!(repair_text("系统 ， 为 本市", true, &mut t), "系统，为本市");
        assert_eq!(repair_text("1. 全市 网络", true, &mut t), "1. 全市网络");
        assert_eq!(repair_text("通报 依照", false, &mut t), "通报 依照");
        assert_eq!(t.count(Kind::CjkSpace), 6);
        assert_eq!(repair_text("100 .00% 359.00( 份 ) 2. 突发", true, &mut t), "100.00% 359.00(份) 2. 突发");
        assert_eq!(t.count(Kind::OcrTightSpace), 3);
    }

    #[test]
    fn fullwidth_ascii_folds_cjk_punctuation_stays() {
        let mut t = Tally::default();
        assert_eq!(repair_text("１００．００％", false, &mut t), "100.00%");
        assert_eq!(repair_text("其中：当年（万元），合计！", false, &mut t), "其中：当年（万元），合计！");
        assert_eq!(t.count(Kind::FullWidth), 7);
    }

    #[test]
    fn page_markers() {
        for s in ["— 第 1 页 —", "第 1 页 共 3 页", "第1页/共3页", "- 2 -", "2/3", "12", "Page 2 of 3", "共3页 第2页"] {
            assert!(is_page_marker(s), "{s}");
        }
        for s in ["第一级指标", "100.00", "2023年度", "第1页说明", "项目名称"] {
            // "100.00" is not a page number: it has a dot inside.
            assert!(!is_page_marker(s), "{s}");
        }
    }
}
