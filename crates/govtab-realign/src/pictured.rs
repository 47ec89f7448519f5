//! Numbers extract read from a scan's page picture, carried to the fields
//! they became.
//!
//! Extract reads a scanned number cell a second time from the page picture
//! (`Cell::pictured`); where the OCR layer read otherwise, the picture's
//! reading replaced the layer's text (`Cell::ocr_text`). Here each such cell
//! is found again in the form it ended in — the draft field on the same
//! page and line whose text is the picture's reading — so the change is a
//! [`Repair`] on the record's own path (stage `extract`) and `assemble`
//! knows which cells the OCR layer had wrong. A reading that agrees with
//! the layer is listed in `FormDraft::pictured`: two readings made apart
//! that agree.

use govtab_model::{Document, FormDraft, Repair, Vocabulary, PICTURED};

/// A pictured cell: page, line, its text (the picture's reading) and the
/// OCR layer's text when that differed.
struct Seen<'a> {
    page: u32,
    line: u32,
    text: &'a str,
    ocr: Option<&'a str>,
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Attach the pictured cells of `doc` to the fields of `forms`.
pub fn attach(doc: &Document, forms: &mut [FormDraft], vocab: &Vocabulary) {
    let seen: Vec<Seen> = doc
        .pages
        .iter()
        .flat_map(|p| p.lines.iter().map(move |l| (p.number, l)))
        .flat_map(|(page, l)| l.cells.iter().filter_map(move |c| c.pictured.as_ref().map(|_| Seen { page, line: l.no, text: &c.text, ocr: c.ocr_text.as_deref() })))
        .collect();
    if seen.is_empty() {
        return;
    }
    for f in forms.iter_mut() {
        let mut fields: Vec<(String, u32, u32, String)> = Vec::new();
        for (i, d) in f.funds.iter().enumerate() {
            for (name, v) in d.cells() {
                if let Some(v) = v {
                    fields.push((format!("funds[{i}].{name}"), d.at.page, d.at.line, compact(v)));
                }
            }
        }
        for (i, d) in f.indicators.iter().enumerate() {
            for (name, v) in [("weight", &d.weight), ("score", &d.score), ("target", &d.target), ("actual", &d.actual), ("level3", &d.level3), ("deviation", &d.deviation), ("level1", &d.raw_level1), ("level2", &d.raw_level2)] {
                if let Some(v) = v {
                    fields.push((format!("indicators[{i}].{name}"), d.at.page, d.at.line, compact(v)));
                }
            }
        }
        // the totals row has no provenance of its own: any line of the form
        for (name, v) in [("total_weight", &f.total_weight), ("total_score", &f.total_score)] {
            if let Some(v) = v {
                fields.push((name.to_string(), 0, 0, compact(v)));
            }
        }
        for fd in &f.fields {
            fields.push((vocab.field_path(&fd.label), fd.at.page, fd.at.line, compact(&fd.value)));
        }
        let mut used = vec![false; fields.len()];
        for s in seen.iter().filter(|s| f.pages.contains(&s.page)) {
            let text = compact(s.text);
            let here = |k: usize| (fields[k].1 == s.page && fields[k].2 == s.line) || fields[k].1 == 0;
            let Some(k) = (0..fields.len()).find(|&k| !used[k] && here(k) && fields[k].3 == text) else {
                continue;
            };
            used[k] = true;
            let path = fields[k].0.clone();
            match s.ocr {
                Some(ocr) => f.repairs.push(Repair::new(path, "extract", ocr, s.text, PICTURED)),
                None => f.pictured.push(path),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_model::{Cell, FormKind, FundDraft, IndicatorDraft, Line, LineLayout, Page, Provenance, SourceKind};

    fn doc(cells: Vec<Cell>) -> Document {
        let line = Line { no: 7, layout: LineLayout::Positioned, cells, y: None };
        Document { doc: "d.pdf".into(), path: "d.pdf".into(), source: SourceKind::Pdf, encoding: None, pages: vec![Page { number: 2, has_text: true, ocr: true, width: None, height: None, lines: vec![line] }], problems: Vec::new(), repairs: Vec::new() }
    }

    fn pictured(text: &str, ocr: Option<&str>) -> Cell {
        Cell { pictured: Some(text.into()), ocr_text: ocr.map(String::from), ..Cell::text(text, 0) }
    }

    #[test]
    fn a_reading_goes_to_the_field_on_its_line() {
        let d = doc(vec![Cell::text("数量指标", 0), pictured("15.00", Some("onl")), pictured("10.00", None)]);
        let mut f = FormDraft::new(1, FormKind::SelfEvaluation);
        f.pages = vec![2];
        let at = Provenance { page: 2, line: 7, col: 0 };
        let other = Provenance { page: 2, line: 8, col: 0 };
        // a row elsewhere with the same number is not this cell's
        f.indicators.push(IndicatorDraft { weight: Some("15.00".into()), at: other, ..Default::default() });
        f.indicators.push(IndicatorDraft { weight: Some("15.00".into()), score: Some("10.00".into()), at, ..Default::default() });
        f.funds.push(FundDraft { executed: Some("10.00".into()), at: other, ..Default::default() });
        attach(&d, std::slice::from_mut(&mut f), &Vocabulary::builtin());
        assert_eq!(f.repairs.len(), 1);
        assert_eq!((f.repairs[0].field.as_str(), f.repairs[0].before.as_str(), f.repairs[0].after.as_str()), ("indicators[1].weight", "onl", "15.00"));
        assert_eq!(f.repairs[0].reason, PICTURED);
        assert_eq!(f.pictured, vec!["indicators[1].score".to_string()]);
    }

    #[test]
    fn another_form_on_other_pages_is_left_alone() {
        let d = doc(vec![pictured("15.00", Some("onl"))]);
        let mut f = FormDraft::new(1, FormKind::SelfEvaluation);
        f.pages = vec![1];
        f.indicators.push(IndicatorDraft { weight: Some("15.00".into()), at: Provenance { page: 2, line: 7, col: 0 }, ..Default::default() });
        attach(&d, std::slice::from_mut(&mut f), &Vocabulary::builtin());
        assert!(f.repairs.is_empty() && f.pictured.is_empty());
    }
}
