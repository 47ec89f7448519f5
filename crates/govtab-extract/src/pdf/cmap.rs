//! A small ToUnicode CMap reader and writer.
//!
//! pdf-extract expands every `bfrange` of a font's ToUnicode CMap into a hash
//! map entry per code, each time it builds the font (stock pdf-extract: on
//! every page; with our `DocPages` patch, once per document). Tesseract's
//! `GlyphLessFont` maps `<0000>..<FFFF>` in one range, so each OCR'd page
//! paid for 65,536 map entries before drawing a glyph. We read a CMap
//! once (ranges kept as ranges), and hand pdf-extract a CMap that lists only
//! the codes the document actually shows with that font.

use std::collections::{BTreeSet, HashMap};

/// Destination of a `bfrange`: a start string whose last UTF-16 unit is
/// incremented per code, or an explicit list.
#[derive(Debug, Clone)]
enum RangeDst {
    Start(Vec<u16>),
    List(Vec<Vec<u16>>),
}

/// A parsed ToUnicode CMap.
#[derive(Debug, Clone, Default)]
pub struct ToUnicode {
    chars: HashMap<u32, Vec<u16>>,
    ranges: Vec<(u32, u32, RangeDst)>,
}

impl ToUnicode {
    /// Number of codes the CMap maps (ranges counted in full).
    pub fn entries(&self) -> usize {
        self.chars.len() + self.ranges.iter().map(|(lo, hi, _)| (hi.saturating_sub(*lo) as usize) + 1).sum::<usize>()
    }

    /// The UTF-16 units a code maps to. `bfchar` entries win over ranges.
    pub fn lookup(&self, code: u32) -> Option<Vec<u16>> {
        if let Some(s) = self.chars.get(&code) {
            return Some(s.clone());
        }
        for (lo, hi, dst) in &self.ranges {
            if code < *lo || code > *hi {
                continue;
            }
            let off = code - lo;
            return match dst {
                RangeDst::Start(start) => {
                    let mut s = start.clone();
                    if let Some(last) = s.last_mut() {
                        *last = last.wrapping_add(off as u16);
                    }
                    Some(s)
                }
                RangeDst::List(list) => list.get(off as usize).cloned(),
            };
        }
        None
    }

    /// Parse the `bfchar` and `bfrange` sections of a CMap program.
    /// Unknown tokens are skipped; a CMap with nothing readable is `None`.
    pub fn parse(data: &[u8]) -> Option<ToUnicode> {
        let toks = tokenize(data);
        let mut out = ToUnicode::default();
        let mut i = 0;
        while i < toks.len() {
            match &toks[i] {
                Tok::Word(w) if w == "beginbfchar" => {
                    i += 1;
                    while i + 1 < toks.len() {
                        match (&toks[i], &toks[i + 1]) {
                            (Tok::Hex(src), Tok::Hex(dst)) => {
                                out.chars.insert(code_of(src), units_of(dst));
                                i += 2;
                            }
                            _ => break,
                        }
                    }
                }
                Tok::Word(w) if w == "beginbfrange" => {
                    i += 1;
                    while i + 2 < toks.len() {
                        let (lo, hi) = match (&toks[i], &toks[i + 1]) {
                            (Tok::Hex(lo), Tok::Hex(hi)) => (code_of(lo), code_of(hi)),
                            _ => break,
                        };
                        match &toks[i + 2] {
                            Tok::Hex(dst) => {
                                if hi >= lo {
                                    out.ranges.push((lo, hi, RangeDst::Start(units_of(dst))));
                                }
                                i += 3;
                            }
                            Tok::Open => {
                                let mut list = Vec::new();
                                let mut j = i + 3;
                                while j < toks.len() {
                                    match &toks[j] {
                                        Tok::Hex(d) => list.push(units_of(d)),
                                        Tok::Close => break,
                                        _ => {}
                                    }
                                    j += 1;
                                }
                                if hi >= lo {
                                    out.ranges.push((lo, hi, RangeDst::List(list)));
                                }
                                i = j + 1;
                            }
                            _ => break,
                        }
                    }
                }
                _ => i += 1,
            }
        }
        if out.chars.is_empty() && out.ranges.is_empty() {
            None
        } else {
            Some(out)
        }
    }

    /// A CMap program mapping exactly `codes` (of `width` bytes), as this
    /// CMap does.
    pub fn write_subset(&self, codes: &BTreeSet<u32>, width: u8) -> Vec<u8> {
        let digits = if width == 1 { 2 } else { 4 };
        let mut pairs: Vec<(u32, Vec<u16>)> = Vec::new();
        for &c in codes {
            if let Some(u) = self.lookup(c) {
                // pdf-extract rejects lone surrogates; skip what it would skip.
                if String::from_utf16(&u).is_ok() {
                    pairs.push((c, u));
                }
            }
        }
        let mut s = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Govtab-Subset def\n/CMapType 2 def\n1 begincodespacerange\n",
        );
        s.push_str(if width == 1 { "<00> <FF>\n" } else { "<0000> <FFFF>\n" });
        s.push_str("endcodespacerange\n");
        for chunk in pairs.chunks(100) {
            s.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (c, u) in chunk {
                s.push_str(&format!("<{:0digits$X}> <", c));
                for unit in u {
                    s.push_str(&format!("{:04X}", unit));
                }
                s.push_str(">\n");
            }
            s.push_str("endbfchar\n");
        }
        s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        s.into_bytes()
    }
}

#[derive(Debug, PartialEq)]
enum Tok {
    Hex(Vec<u8>),
    Word(String),
    Open,
    Close,
}

fn tokenize(data: &[u8]) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        match b {
            b'%' => {
                while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                    i += 1;
                }
            }
            b'<' if data.get(i + 1) == Some(&b'<') => i += 2,
            b'>' if data.get(i + 1) == Some(&b'>') => i += 2,
            b'<' => {
                let mut digits = Vec::new();
                i += 1;
                while i < data.len() && data[i] != b'>' {
                    if data[i].is_ascii_hexdigit() {
                        digits.push(data[i]);
                    }
                    i += 1;
                }
                i += 1;
                if digits.len() % 2 == 1 {
                    digits.push(b'0');
                }
                let bytes = digits
                    .chunks(2)
                    .map(|p| (hex_val(p[0]) << 4) | hex_val(p[1]))
                    .collect();
                toks.push(Tok::Hex(bytes));
            }
            b'[' => {
                toks.push(Tok::Open);
                i += 1;
            }
            b']' => {
                toks.push(Tok::Close);
                i += 1;
            }
            b'(' => {
                // Literal strings only appear in the CIDSystemInfo; skip them.
                let mut depth = 0;
                while i < data.len() {
                    match data[i] {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            _ if b.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while i < data.len() && !data[i].is_ascii_whitespace() && !b"<>[]()%/".contains(&data[i]) {
                    i += 1;
                }
                if i == start {
                    i += 1; // a lone '/' or other delimiter
                    continue;
                }
                toks.push(Tok::Word(String::from_utf8_lossy(&data[start..i]).into_owned()));
            }
        }
    }
    toks
}

fn hex_val(b: u8) -> u8 {
    (b as char).to_digit(16).unwrap_or(0) as u8
}

fn code_of(bytes: &[u8]) -> u32 {
    bytes.iter().take(4).fold(0u32, |acc, &b| (acc << 8) | b as u32)
}

fn units_of(bytes: &[u8]) -> Vec<u16> {
    bytes.chunks(2).map(|p| if p.len() == 2 { ((p[0] as u16) << 8) | p[1] as u16 } else { p[0] as u16 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLYPHLESS: &str = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n<<\n  /Registry (Adobe)\n  /Ordering (UCS)\n  /Supplement 0\n>> def\n/CMapName /Adobe-Identify-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n1 beginbfrange\n<0000> <FFFF> <0000>\nendbfrange\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";

    #[test]
    fn identity_range_is_kept_as_a_range() {
        let m = ToUnicode::parse(GLYPHLESS.as_bytes()).unwrap();
        assert_eq!(m.entries(), 65536);
        assert_eq!(String::from_utf16(&m.lookup(0x76EE).unwrap()).unwrap(), "目");
    }

    #[test]
    fn bfchar_ranges_lists_and_subset_round_trip() {
        let src = "2 beginbfchar\n<0003> <2F6C>\n<0004> <D840DC00>\nendbfchar\n2 beginbfrange\n<0010> <0012> <0041>\n<0020> <0021> [<4E00> <4E8C>]\nendbfrange\n";
        let m = ToUnicode::parse(src.as_bytes()).unwrap();
        assert_eq!(m.entries(), 7);
        assert_eq!(String::from_utf16(&m.lookup(0x11).unwrap()).unwrap(), "B");
        assert_eq!(String::from_utf16(&m.lookup(0x21).unwrap()).unwrap(), "二");
        assert_eq!(String::from_utf16(&m.lookup(0x04).unwrap()).unwrap(), "\u{20000}");
        let sub = m.write_subset(&[0x03, 0x12, 0x20, 0x99].into_iter().collect(), 2);
        let back = ToUnicode::parse(&sub).unwrap();
        assert_eq!(back.entries(), 3);
        assert_eq!(String::from_utf16(&back.lookup(0x03).unwrap()).unwrap(), "⽬");
        assert_eq!(String::from_utf16(&back.lookup(0x12).unwrap()).unwrap(), "C");
        assert!(back.lookup(0x99).is_none());
    }
}
