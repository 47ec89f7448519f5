//! The funds block: 年度资金总额 / 其中：当年财政拨款 / 上年结转资金 / 其他资金.

use govtab_match::{normalize, Matcher};
use govtab_model::{FormKind, FundDraft, Provenance};

use crate::cells::parse_plain_number;
use crate::clean::SrcLine;

/// A funds header row (年初预算数 全年预算数 全年执行数 分值 执行率 得分).
pub fn is_fund_header(line: &SrcLine, m: &Matcher) -> bool {
    if line.cells.iter().filter(|c| m.is_fund_column(&c.text).is_some()).count() >= 3 {
        return true;
    }
    // on a scan: two column names, specks around them allowed ("，全年执行数")
    line.ocr && line.cells.iter().filter(|c| m.vocab.fund_columns.iter().any(|col| col.chars().count() >= 3 && normalize(&c.text).contains(col.as_str()))).count() >= 2
}

fn numeric_like(s: &str) -> bool {
    let t = normalize(s).replace(',', "");
    t.chars().next().map(|c| c.is_ascii_digit()).unwrap_or(false)
}

/// Parse a funds row. Self-evaluation rows: six value columns after the label,
/// placed by their position relative to the label (a row that gained a
/// leading empty cell is shifted back). Target rows: the last labelled item
/// followed by an amount.
pub fn parse_fund_row(line: &SrcLine, kind: FormKind, m: &Matcher) -> Option<FundDraft> {
    let labelled: Vec<(usize, String)> = line
        .cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| m.fund_item(&c.text).map(|(item, _)| (i, item)))
        .collect();
    // a target form's first row whose item label OCR garbled still shows
    // the block's own label (项目资金 / 项目资金总额): named later by place
    let block_row = kind == FormKind::Target
        && line.ocr
        && line.cells.iter().any(|c| m.vocab.fund_block_labels.iter().any(|b| normalize(&c.text).contains(b.as_str())));
    if labelled.is_empty() && !block_row {
        return None;
    }
    let at = |i: usize| Provenance { page: line.page, line: line.no, col: line.cells[i].col };
    match kind {
        FormKind::Target => {
            // the amount belongs to the cell just left of it: a label, or a
            // label OCR garbled (named later by its place in the block)
            let k = line.cells.iter().rposition(|c| numeric_like(&c.text))?;
            let j = k.checked_sub(1)?;
            let item = labelled.iter().find(|(i, _)| *i == j).map(|(_, item)| item.clone()).unwrap_or_default();
            Some(FundDraft { raw_item: line.cells[j].text.clone(), item, amount: Some(line.cells[k].text.clone()), at: at(j), ..Default::default() })
        }
        FormKind::SelfEvaluation => {
            let (i, item) = labelled[0].clone();
            self_eval_row(line, i, item)
        }
    }
}

/// A self-evaluation funds row inside the block whose label OCR garbled past
/// recognition ("aol 150000000 1146621.64 …"): the first cell is taken as
/// its label (named later by its place, see [`name_unread_rows`]) when at
/// least `min_numbers` number cells follow it (two inside the block; more
/// where the block's header was unreadable too).
pub fn parse_unlabelled_fund_row(line: &SrcLine, min_numbers: usize) -> Option<FundDraft> {
    let first = line.cells.first()?;
    let label_like = !numeric_like(&first.text) && normalize(&first.text).chars().count() <= 20;
    let numbers = line.cells[1..].iter().filter(|c| numeric_like(&c.text)).count();
    if !label_like || numbers < min_numbers {
        return None;
    }
    self_eval_row(line, 0, String::new())
}

/// The six value columns after the label at cell `i`.
fn self_eval_row(line: &SrcLine, i: usize, item: String) -> Option<FundDraft> {
    let at = |i: usize| Provenance { page: line.page, line: line.no, col: line.cells[i].col };
    let label_col = line.cells[i].col;
    let mut slots: Vec<Option<String>> = Vec::new();
    for c in &line.cells[i + 1..] {
        let pos = if line.layout != govtab_model::LineLayout::Spaced {
            (c.col - label_col - 1) as usize
        } else {
            slots.len()
        };
        if slots.len() <= pos {
            slots.resize(pos + 1, None);
        }
        slots[pos] = Some(c.text.clone());
    }
    while slots.len() > 6 && slots[0].is_none() {
        slots.remove(0);
    }
    let get = |k: usize| slots.get(k).cloned().flatten();
    // a labelled row whose values OCR lost entirely still places the rows
    // around it (its values stay unread)
    if (0..6).all(|k| get(k).is_none()) && (!line.ocr || item.is_empty()) {
        return None;
    }
    Some(FundDraft {
        raw_item: line.cells[i].text.clone(),
        item,
        initial_budget: get(0),
        annual_budget: get(1),
        executed: get(2),
        weight: get(3),
        execution_rate: get(4),
        score: get(5),
        amount: None,
        at: at(i),
    })
}

/// Is `s` a dash-like "no value" mark (`-`, `_`, `—`)?
pub fn is_dash(s: &str) -> bool {
    let t = normalize(s);
    !t.is_empty() && t.chars().all(|c| matches!(c, '-' | '_' | '—' | '–' | '一' | '/'))
}

pub fn as_number(s: &str) -> Option<f64> {
    parse_plain_number(s)
}

/// Sub-rows (其中：…) print no 分值/得分: their merged cell shows a dash,
/// which OCR reads as `1`, `I`, `l` or `|`, or specks OCR reads as
/// letters and marks (`=`, `a`, `ns`) — anything without a digit. Such a
/// mark is dropped (a repair, not a flag: the template prints no number
/// there).
pub fn clear_subrow_marks(f: &mut govtab_model::FormDraft) {
    let self_eval = f.kind == FormKind::SelfEvaluation;
    for (i, row) in f.funds.iter_mut().enumerate().skip(1) {
        if !self_eval {
            break;
        }
        for (name, cell) in [("weight", &mut row.weight), ("score", &mut row.score)] {
            if let Some(v) = cell {
                let t = normalize(v);
                let why = if matches!(t.as_str(), "1" | "I" | "l" | "|") {
                    "a sub-row prints no 分值/得分: dash read as a glyph"
                } else if !is_dash(&t) && !t.chars().any(|c| c.is_ascii_digit()) {
                    "a sub-row prints no 分值/得分: specks read as glyphs"
                } else {
                    continue;
                };
                f.repairs.push(govtab_model::Repair::new(format!("funds[{i}].{name}"), crate::STAGE, v.clone(), "", why));
                *cell = None;
            }
        }
    }
}

/// Rows whose label OCR garbled: named by their place between the rows
/// read, when exactly one name of the block's order fits (repair + flag).
pub fn name_unread_rows(f: &mut govtab_model::FormDraft, m: &Matcher) {
    // the form kind's own rows when the vocabulary has its template
    let kind_rows: Vec<String> = m.vocab.fund_template.iter().filter(|t| t.kind == f.kind).map(|t| t.item.clone()).collect();
    let order = if kind_rows.is_empty() { &m.vocab.fund_order } else { &kind_rows };
    let pos = |item: &str| order.iter().position(|o| o == item);
    for i in 0..f.funds.len() {
        if !f.funds[i].item.is_empty() {
            continue;
        }
        let before = (0..i).rev().find_map(|k| pos(&f.funds[k].item));
        let after = (i + 1..f.funds.len()).find_map(|k| pos(&f.funds[k].item));
        let lo = before.map(|b| b + 1).unwrap_or(0);
        let hi = after.unwrap_or(order.len());
        let used: Vec<&str> = f.funds.iter().map(|x| x.item.as_str()).collect();
        // 年度资金总额 and 年度资金申请总额 are alternatives: skip the one not used
        let fits: Vec<&String> = order[lo.min(hi)..hi].iter().filter(|o| !used.contains(&o.as_str()) && (!o.starts_with("年度资金") || !used.iter().any(|u| u.starts_with("年度资金")))).collect();
        let path = format!("funds[{i}].item");
        if let [name] = fits[..] {
            f.repairs.push(govtab_model::Repair::new(&path, crate::STAGE, &f.funds[i].raw_item, name, govtab_model::FUND_ROW_BY_PLACE));
            f.flags.push(govtab_model::Flag::new(&path, crate::STAGE, format!("label '{}' unreadable; taken as {name}", f.funds[i].raw_item)));
            f.funds[i].item = name.clone();
        } else {
            f.flags.push(govtab_model::Flag::new(format!("funds[{i}]"), crate::STAGE, format!("row label '{}' unreadable", f.funds[i].raw_item)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clean::SrcCell;
    use govtab_model::{FormDraft, LineLayout, Vocabulary};

    fn line(ocr: bool, cells: &[&str]) -> SrcLine {
        SrcLine {
            page: 1,
            no: 1,
            ocr,
            layout: LineLayout::Tabbed,
            cells: cells.iter().enumerate().filter(|(_, t)| !t.is_empty()).map(|(i, t)| SrcCell { text: t.to_string(), col: i as u32 }).collect(),
        }
    }

    #[test]
    fn a_sub_rows_marks_are_dropped_when_they_are_a_dash_or_specks() {
        let row = |w: &str, s: &str| govtab_model::FundDraft { weight: Some(w.into()), score: Some(s.into()), ..Default::default() };
        let mut f = FormDraft::new(1, FormKind::SelfEvaluation);
        f.funds = vec![row("a", "x"), row("|", "=<"), row("-", "ns"), row("8", "a1")];
        clear_subrow_marks(&mut f);
        let marks: Vec<(Option<&str>, Option<&str>)> = f.funds.iter().map(|r| (r.weight.as_deref(), r.score.as_deref())).collect();
        // the total row keeps its cells; a sub-row's dash read as a glyph and
        // its digitless specks go (a printed dash stays: it parses as empty);
        // a digit is left for the checks to flag
        assert_eq!(marks, [(Some("a"), Some("x")), (None, None), (Some("-"), None), (Some("8"), Some("a1"))]);
        assert_eq!(f.repairs.len(), 3);
        assert!(f.repairs.iter().all(|r| r.reason.starts_with("a sub-row prints no 分值/得分")));
        // a target form's rows carry no marks to clear
        let mut t = FormDraft::new(1, FormKind::Target);
        t.funds = vec![row("a", "x"), row("=<", "ns")];
        clear_subrow_marks(&mut t);
        assert!(t.repairs.is_empty());
    }

    #[test]
    fn rows_with_garbled_labels_are_kept_and_named_by_their_place() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        // target form: the block label still there, the item label garbled
        let row = parse_fund_row(&line(true, &["项目资金(元)", "TE se", "", "FARINA", "15,365,275.00"]), FormKind::Target, &m);
        assert_eq!(row.as_ref().and_then(|r| r.amount.as_deref()), Some("15,365,275.00"));
        // not on a text layer that is no OCR
        assert!(parse_fund_row(&line(false, &["项目资金(元)", "TE se", "", "FARINA", "15,365,275.00"]), FormKind::Target, &m).is_none());
        // self-evaluation: a garbled label followed by numbers, between rows read
        let mut f = FormDraft::new(1, FormKind::SelfEvaluation);
        f.funds.push(parse_fund_row(&line(true, &["", "年度资金总额", "457000.00", "375000", "375,000"]), FormKind::SelfEvaluation, &m).unwrap_or_default());
        f.funds.push(parse_unlabelled_fund_row(&line(true, &["", "Hirh; 446WA BR aK", "", "375000", "375000"]), 2).unwrap_or_default());
        f.funds.push(parse_fund_row(&line(true, &["", "上年结转资金"]), FormKind::SelfEvaluation, &m).unwrap_or_default());
        f.funds.push(parse_fund_row(&line(true, &["", "其他资金", "0"]), FormKind::SelfEvaluation, &m).unwrap_or_default());
        name_unread_rows(&mut f, &m);
        let items: Vec<&str> = f.funds.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(items, ["年度资金总额", "当年财政拨款", "上年结转资金", "其他资金"]);
        assert_eq!(f.funds[1].annual_budget.as_deref(), Some("375000"));
        // before the block's header was seen: a full row of numbers only
        let first = line(true, &["HEIL Se wi", "50000.00", "16000", "16,000", "10.00", "100.00%", "10,00"]);
        assert_eq!(parse_unlabelled_fund_row(&first, 4).and_then(|r| r.executed), Some("16,000".to_string()));
        assert!(parse_unlabelled_fund_row(&line(true, &["日期", "2020", "2021"]), 4).is_none());
    }
}
