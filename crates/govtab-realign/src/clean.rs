//! Cell cleaning: leaked HTML, border junk, CJK spaces.

use govtab_match::is_cjk;
use govtab_model::{Document, LineLayout};

/// A cleaned cell with its position in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct SrcCell {
    pub text: String,
    pub col: u32,
}

/// A cleaned line.
#[derive(Debug, Clone, PartialEq)]
pub struct SrcLine {
    pub page: u32,
    pub no: u32,
    pub layout: LineLayout,
    /// The page's text layer is OCR output.
    pub ocr: bool,
    /// Non-empty cells only, in order, with their original column.
    pub cells: Vec<SrcCell>,
}

impl SrcLine {
    pub fn is_blank(&self) -> bool {
        self.cells.is_empty()
    }
    /// All text without whitespace (for title/year detection).
    pub fn compact(&self) -> String {
        self.cells.iter().map(|c| c.text.as_str()).collect::<String>().chars().filter(|c| !c.is_whitespace()).collect()
    }
}

/// Strip leaked HTML: `</p> <p>` becomes a paragraph break, other tags go.
pub fn strip_html(s: &str) -> String {
    if !s.contains('<') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        let tag = &after[..end];
        let is_tag = !tag.is_empty()
            && tag.len() <= 12
            && tag.trim_start_matches('/').chars().next().map(|c| c.is_ascii_alphabetic()).unwrap_or(false)
            && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '/' || c == ' ' || c == '"' || c == '=');
        if !is_tag {
            out.push_str(&rest[..start + 1]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..start]);
        let name = tag.trim_start_matches('/').split(' ').next().unwrap_or("").to_ascii_lowercase();
        if name == "br" || (name == "p" && tag.starts_with('/')) {
            out.push('\n');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    // collapse the spaces that separated paragraphs
    let paras: Vec<String> = out.split('\n').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    paras.join("\n")
}

/// Border junk at the start of a cell: a stray `I`, `|`, `]`, `l` glyph read
/// from a table rule, directly before CJK text ("I区人民政府" → "区人民政府").
pub fn strip_border_junk(s: &str) -> String {
    let mut chars = s.chars();
    if let (Some(a), Some(b)) = (chars.next(), chars.clone().next()) {
        if matches!(a, 'I' | '|' | ']' | '[' | 'l' | '丨' | '」' | '「') && is_cjk(b) {
            return chars.collect();
        }
    }
    s.to_string()
}

/// Clean one cell's text: HTML, border junk. Spaces are kept here (they
/// separate words a damaged cell merged: "人民 实施单位 政府"); values drop
/// the spaces inside CJK words when they are assembled.
pub fn clean_text(s: &str) -> String {
    let s = strip_html(s);
    s.split('\n').map(|p| strip_border_junk(p.trim()).trim().to_string()).collect::<Vec<_>>().join("\n")
}

/// Clean every line of a document; pages are concatenated in order.
pub fn clean_document(doc: &Document) -> Vec<SrcLine> {
    let mut out = Vec::new();
    for page in &doc.pages {
        for line in &page.lines {
            let cells = line
                .cells
                .iter()
                .filter_map(|c| {
                    let t = clean_text(&c.text);
                    (!t.is_empty()).then_some(SrcCell { text: t, col: c.col })
                })
                .collect();
            out.push(SrcLine { page: page.number, no: line.no, layout: line.layout, ocr: page.ocr, cells });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_match::squeeze_cjk_spaces;

    #[test]
    fn html_paragraphs_become_lines() {
        assert_eq!(strip_html("<p>(一) 网络</p> <p>1. 全市</p>"), "(一) 网络\n1. 全市");
        assert_eq!(strip_html("<u> </u>"), "");
        assert_eq!(strip_html("a <= b"), "a <= b");
    }

    #[test]
    fn border_junk_and_spaces() {
        assert_eq!(squeeze_cjk_spaces(&clean_text("I区人民政府办公 室")), "区人民政府办公室");
        assert_eq!(clean_text("Ivan"), "Ivan");
    }
}
