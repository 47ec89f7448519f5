//! Splitting a document into forms, and the per-form section state machine.

use govtab_match::{is_cjk, normalize, trim_junk, Matcher};
use govtab_model::{FormDraft, FormKind, LineLayout, Repair};

use crate::clean::SrcLine;
use crate::{flat, funds, goals, header, table, STAGE};

/// The lines of one form.
#[derive(Debug)]
pub struct Segment<'a> {
    pub lines: &'a [SrcLine],
    pub kind: Option<FormKind>,
    pub title: String,
}

/// Does this line start a form? Returns its kind when the title says it.
pub fn title_of(line: &SrcLine, m: &Matcher) -> Option<(Option<FormKind>, String)> {
    let compact = normalize(&line.compact());
    let body = compact.trim_start_matches(|c: char| !is_cjk(c));
    let head: String = body.chars().take(24).collect();
    if let Some(kind) = m.vocab.title_kind(&head) {
        let title = title_text(body, m);
        return Some((Some(kind), title));
    }
    if m.vocab.not_titles.iter().any(|n| head.contains(n.as_str())) {
        return None;
    }
    if m.vocab.title_prefixes.iter().any(|p| body.starts_with(p.as_str())) {
        return Some((None, title_text(body, m)));
    }
    None
}

fn title_text(body: &str, m: &Matcher) -> String {
    // the title ends at its marker (flattened lines carry the whole form)
    for t in &m.vocab.titles {
        for mk in &t.markers {
            if let Some(i) = body.find(mk.as_str()) {
                return body[..i + mk.len()].to_string();
            }
        }
    }
    body.chars().take(16).collect()
}

/// Split cleaned lines into forms. Text before the first title is a cover
/// and belongs to no form.
pub fn split_forms<'a>(lines: &'a [SrcLine], m: &Matcher) -> Vec<Segment<'a>> {
    let mut starts: Vec<(usize, Option<FormKind>, String)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some((kind, title)) = title_of(l, m) {
            starts.push((i, kind, title));
        }
    }
    let mut out = Vec::new();
    for (k, (start, kind, title)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map(|s| s.0).unwrap_or(lines.len());
        out.push(Segment { lines: &lines[*start..end], kind: *kind, title: title.clone() });
    }
    out
}

/// Year of the form: the first `(20dd` or `20dd年` in its first lines.
pub fn find_year(lines: &[SrcLine]) -> Option<i32> {
    for l in lines.iter().take(5) {
        let s: Vec<char> = normalize(&l.compact()).chars().collect();
        for i in 0..s.len().saturating_sub(3) {
            if s[i] == '2' && s[i + 1] == '0' && s[i + 2].is_ascii_digit() && s[i + 3].is_ascii_digit() {
                let before = i.checked_sub(1).map(|j| s[j]);
                let after = s.get(i + 4).copied();
                let prev_digit = before.map(|c| c.is_ascii_digit()).unwrap_or(false);
                let next_digit = after.map(|c| c.is_ascii_digit()).unwrap_or(false);
                if !prev_digit && !next_digit && (before == Some('(') || after == Some('年') || after == Some('F')) {
                    let y: String = s[i..i + 4].iter().collect();
                    return y.parse().ok();
                }
            }
        }
    }
    None
}

/// Money unit printed in the form (`(元)` / `（万元）`). The bool is true
/// when the unit was read from a damaged `(…)` after a money label.
pub fn find_unit(lines: &[SrcLine]) -> Option<(String, bool)> {
    for l in lines {
        for c in &l.cells {
            let t = normalize(&c.text);
            if t.contains("(万元)") {
                return Some(("万元".into(), false));
            }
            if t.contains("(元)") {
                return Some(("元".into(), false));
            }
        }
    }
    // "项目资金(it)", "项目总预算(Ov)": a money label with its unit garbled
    for l in lines {
        for c in &l.cells {
            let t = normalize(&c.text);
            let Some(k) = ["项目资金", "预算", "资金总额"].iter().find_map(|k| t.find(k).map(|at| at + k.len())) else { continue };
            // "(it)", "DB)": the bracket itself may be lost too
            let after = &t[k..];
            let inner: String = after.trim_start_matches('(').chars().take_while(|&ch| ch != ')').collect();
            let closed = after.trim_start_matches('(').chars().nth(inner.chars().count()) == Some(')');
            if (after.starts_with('(') || closed) && !inner.is_empty() && inner.chars().count() <= 3 && (closed || !inner.chars().any(govtab_match::is_cjk)) {
                let unit = if inner.contains('万') { "万元" } else { "元" };
                return Some((unit.into(), true));
            }
        }
    }
    None
}

/// The indicator table's family: "2020" when two of its header cells are
/// printed (一级目标 …), or — on an OCR page whose header is unreadable —
/// when rows open with the 2020 family's own 一级 categories (投入与管理,
/// 产出目标 …) at least twice.
fn detect_family(lines: &[SrcLine], m: &Matcher) -> String {
    let mut l1_rows = 0;
    for l in lines {
        let hits = l.cells.iter().filter(|c| m.vocab.family_2020_headers.iter().any(|h| *h == normalize(&c.text))).count();
        if hits >= 2 {
            return "2020".into();
        }
        if l.ocr {
            let first = l.cells.first().map(|c| trim_junk(&normalize(&c.text)).to_string()).unwrap_or_default();
            let only_2020 = m.vocab.level1.iter().any(|x| x.family == "2020" && x.name == first) && !m.vocab.level1.iter().any(|x| x.family != "2020" && x.name == first);
            if only_2020 {
                l1_rows += 1;
            }
        }
    }
    if l1_rows >= 2 { "2020".into() } else { "standard".into() }
}

fn infer_kind(lines: &[SrcLine]) -> FormKind {
    let scored = lines.iter().any(|l| l.cells.iter().any(|c| {
        let t = normalize(&c.text);
        t == "得分" || t == "分值" || t.contains("实际完成值") || t.contains(" 得分")
    }) || normalize(&l.compact()).contains("分值得分"));
    if scored { FormKind::SelfEvaluation } else { FormKind::Target }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Funds,
    Goals,
    Indicators,
    Tail,
}

/// Parse one form's lines into a draft.
pub fn parse_form(seg: Segment<'_>, index: u32, m: &Matcher) -> FormDraft {
    let lines = seg.lines;
    let kind = seg.kind.unwrap_or_else(|| infer_kind(lines));
    let layout = detect_family(lines, m);
    let mut f = FormDraft {
        layout: layout.clone(),
        title: seg.title.clone(),
        pages: Vec::new(),
        ocr: lines.iter().any(|l| l.ocr),
        exact_text: !lines.is_empty() && lines.iter().all(|l| !l.ocr && l.layout == LineLayout::Positioned),
        first_line: lines.first().map(|l| l.no).unwrap_or(0),
        last_line: lines.last().map(|l| l.no).unwrap_or(0),
        year: find_year(lines),
        ..FormDraft::new(index, kind)
    };
    match find_unit(lines) {
        Some((u, false)) => f.unit = Some(u),
        Some((u, true)) => {
            f.repairs.push(Repair::new("unit", STAGE, "", &u, "money unit read from a damaged (…) after a money label"));
            f.flags.push(govtab_model::Flag::new("unit", STAGE, "unit label damaged; 元 unless 万 is visible"));
            f.unit = Some(u);
        }
        None => {}
    }
    if seg.kind.is_none() {
        f.repairs.push(Repair::new("kind", STAGE, "", kind.as_str(), "damaged title; kind inferred from the form's columns"));
    }
    for l in lines {
        if !f.pages.contains(&l.page) {
            f.pages.push(l.page);
        }
    }

    let mut state = State::Header;
    let mut hdr = header::HeaderParser::default();
    let mut gp = goals::GoalParser::new(kind);
    let mut tp = table::TableParser::new(kind, &layout);

    for (li, line) in lines.iter().enumerate() {
        if line.is_blank() {
            continue;
        }
        if flat::is_flattened(line, m) {
            let reached_table = flat::parse_flat(line, &mut f, &mut tp, m);
            if reached_table {
                state = State::Indicators;
            }
            continue;
        }
        if li == 0 && title_of(line, m).is_some() {
            continue;
        }
        if state == State::Tail || state == State::Indicators {
            if let Some(g) = table::grade_of(line, m) {
                f.grade = Some(g);
                continue;
            }
        }
        if table::is_indicator_header(line, m) {
            state = State::Indicators;
            tp.header(line, m);
            continue;
        }
        match state {
            State::Header | State::Funds | State::Goals => {
                if funds::is_fund_header(line, m) {
                    state = State::Funds;
                    continue;
                }
                if let Some(row) = funds::parse_fund_row(line, kind, m) {
                    f.funds.push(row);
                    if kind == FormKind::SelfEvaluation {
                        state = State::Funds;
                    }
                    continue;
                }
                // a row of the block whose label OCR garbled past reading;
                // before the block's header was seen (it too unreadable),
                // only a row of four or more numbers
                if kind == FormKind::SelfEvaluation && line.ocr && f.funds.len() < 4 && matches!(state, State::Funds | State::Header) {
                    let min = if state == State::Funds { 2 } else { 4 };
                    if let Some(row) = funds::parse_unlabelled_fund_row(line, min) {
                        if state == State::Header {
                            f.repairs.push(Repair::new("funds", STAGE, "", "", "funds header unreadable (OCR); the block starts at its first row of numbers"));
                        }
                        f.funds.push(row);
                        state = State::Funds;
                        continue;
                    }
                }
                if goals::is_goal_header(line, m) {
                    state = State::Goals;
                    gp.header(line, m);
                    hdr.stop();
                    continue;
                }
                if table::is_headless_table_start(line, m, &layout) {
                    f.repairs.push(Repair::new("indicators", STAGE, "", "", "table header unreadable (OCR); table starts at its first 一级/二级 category row"));
                    state = State::Indicators;
                    if tp.feed(line, m) == table::Feed::Total {
                        state = State::Tail;
                    }
                    continue;
                }
                if state == State::Goals {
                    gp.text(line, m);
                    continue;
                }
                // unlabelled text in the header area (a cover line, stray
                // OCR text) is no field; it stays in the extract artifact
                hdr.feed(line, m, &mut f.fields, &mut f.repairs);
            }
            State::Indicators => {
                if tp.feed(line, m) == table::Feed::Total {
                    state = State::Tail;
                }
            }
            State::Tail => {
                hdr.feed(line, m, &mut f.fields, &mut f.repairs);
            }
        }
    }
    gp.finish(&mut f);
    if f.ocr {
        for (field, text) in [("goal_expected", &mut f.goal_expected), ("goal_actual", &mut f.goal_actual)] {
            if let Some((cut, rest)) = text.as_deref().and_then(|t| goals::strip_label_prefix(t, m.vocab)) {
                f.repairs.push(Repair::new(field, STAGE, &cut, "", "vertical goal label read into the start of the text"));
                *text = Some(rest);
            }
        }
    }
    tp.finish(&mut f);
    f.flags.append(&mut hdr.flags);
    header::split_run_on_labels(&mut f, m);
    header::apply_fields(&mut f);
    header::fix_merged_project_row(&mut f, lines, m);
    header::project_by_place(&mut f, lines, m);
    funds::clear_subrow_marks(&mut f);
    funds::name_unread_rows(&mut f, m);
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_model::{LineLayout, Vocabulary};
    use crate::clean::SrcCell;

    fn line(cells: &[&str]) -> SrcLine {
        SrcLine { page: 1, no: 1, layout: LineLayout::Tabbed, ocr: false, cells: cells.iter().enumerate().map(|(i, t)| SrcCell { text: t.to_string(), col: i as u32 }).collect() }
    }

    #[test]
    fn titles_and_years() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        assert_eq!(title_of(&line(&["财政项目支出绩效自评表"]), &m).unwrap().0, Some(FormKind::SelfEvaluation));
        assert_eq!(title_of(&line(&["财政项目支出绩"]), &m).unwrap().0, None);
        assert!(title_of(&line(&["中共上海市委网络安全和信息化委员会办公室2024年度项目绩效目标汇总表"]), &m).is_none());
        assert_eq!(find_year(&[line(&["(2023 £", "F度)"])]), Some(2023));
        assert_eq!(find_year(&[line(&["(202", "3 年度)"])]), Some(2023));
        assert_eq!(find_year(&[line(&["（2020年度）"])]), Some(2020));
    }

    #[test]
    fn money_units_through_ocr_damage() {
        assert_eq!(find_unit(&[line(&["项目资金(万元)"])]), Some(("万元".into(), false)));
        // the unit garbled, with or without its opening bracket: 元, marked damaged
        assert_eq!(find_unit(&[line(&["项目资金(7t)"])]), Some(("元".into(), true)));
        assert_eq!(find_unit(&[line(&["项目资金DB)"])]), Some(("元".into(), true)));
        // a funds column header is no unit
        assert_eq!(find_unit(&[line(&["年初预算数"])]), None);
    }
}
