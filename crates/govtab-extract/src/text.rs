//! Text dumps: decoding and cell splitting.

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};
use govtab_model::{Cell, Document, Line, LineLayout, Page, Repair, SourceKind};

use crate::ExtractError;

/// Decode a text dump: UTF-8 (BOM optional), UTF-16 with BOM, else GB18030
/// (a superset of GBK/GB2312). Returns the text and the encoding's name.
/// Binary data (NUL bytes, or text that decodes to mostly control/replacement
/// characters) is an error.
pub fn decode_text(bytes: &[u8]) -> Result<(String, &'static str), ExtractError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        if enc == UTF_16LE || enc == UTF_16BE {
            let (text, _, _) = enc.decode(bytes);
            return Ok((text.into_owned(), enc.name()));
        }
        let body = &bytes[bom_len..];
        if let Ok(s) = std::str::from_utf8(body) {
            check_textual(s)?;
            return Ok((s.to_string(), "utf-8"));
        }
    }
    if bytes.contains(&0) {
        return Err(ExtractError::Binary("contains NUL bytes".into()));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        check_textual(s)?;
        return Ok((s.to_string(), "utf-8"));
    }
    let (text, _, had_errors) = GB18030.decode(bytes);
    if had_errors {
        return Err(ExtractError::Binary("neither UTF-8 nor GBK/GB18030 text".into()));
    }
    check_textual(&text)?;
    Ok((text.into_owned(), "gbk"))
}

fn check_textual(s: &str) -> Result<(), ExtractError> {
    let total = s.chars().count().max(1);
    let bad = s
        .chars()
        .filter(|&c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')) || c == '\u{fffd}')
        .count();
    if bad * 10 > total {
        return Err(ExtractError::Binary(format!("{bad} of {total} characters are control or undecodable")));
    }
    Ok(())
}

/// Split one line of a dump into cells: on tabs when the line has any (empty
/// cells kept, they carry column positions), else on runs of two or more
/// spaces, else on single spaces between non-space runs.
pub fn split_cells(line: &str) -> (LineLayout, Vec<Cell>) {
    if line.contains('\t') {
        let cells = line.split('\t').enumerate().map(|(i, t)| Cell::text(t.trim(), i as u32)).collect();
        return (LineLayout::Tabbed, cells);
    }
    let mut cells = Vec::new();
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return (LineLayout::Spaced, cells);
    }
    for (i, part) in trimmed.split(' ').filter(|p| !p.trim().is_empty()).enumerate() {
        cells.push(Cell::text(part.trim(), i as u32));
    }
    (LineLayout::Spaced, cells)
}

/// Extract a text dump into a one-page document.
pub fn extract_text(name: &str, path: &str, bytes: &[u8]) -> Result<Document, ExtractError> {
    let (text, encoding) = decode_text(bytes)?;
    if text.trim().is_empty() {
        return Err(ExtractError::Empty);
    }
    let mut repairs = Vec::new();
    if encoding != "utf-8" {
        repairs.push(Repair::new("*", "extract", encoding, "utf-8", format!("decoded {encoding} text")));
    }
    let lines = text
        .split('\n')
        .enumerate()
        .map(|(i, raw)| {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let (layout, cells) = split_cells(raw);
            Line { no: i as u32 + 1, layout, cells, y: None }
        })
        .collect();
    Ok(Document {
        doc: name.to_string(),
        path: path.to_string(),
        source: SourceKind::TextDump,
        encoding: Some(encoding.to_string()),
        pages: vec![Page { number: 1, has_text: true, ocr: false, width: None, height: None, lines }],
        problems: Vec::new(),
        repairs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_text_is_decoded_not_rejected() {
        let (bytes, _, _) = GB18030.encode("项目名称\t业务保障\n");
        let doc = extract_text("a.txt", "a.txt", &bytes).unwrap();
        assert_eq!(doc.encoding.as_deref(), Some("gbk"));
        assert_eq!(doc.pages[0].lines[0].cells[1].text, "业务保障");
        assert_eq!(doc.repairs.len(), 1);
    }

    #[test]
    fn binary_is_rejected_with_reason() {
        let err = decode_text(&[0x89, b'P', b'N', b'G', 0, 0, 1, 2]).unwrap_err();
        assert!(err.to_string().contains("NUL"));
    }

    #[test]
    fn tabs_keep_empty_cells_and_spaces_split() {
        let (layout, cells) = split_cells("\t年度资金总额\t188.00\t\t10.00");
        assert_eq!(layout, LineLayout::Tabbed);
        assert_eq!(cells.len(), 5);
        assert_eq!(cells[3].text, "");
        let (layout, cells) = split_cells("投入与管理 投入管理 预算执行率 =100%");
        assert_eq!(layout, LineLayout::Spaced);
        assert_eq!(cells.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), ["投入与管理", "投入管理", "预算执行率", "=100%"]);
    }
}
