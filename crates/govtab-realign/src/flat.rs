//! Tables flattened into one line of words (a text extractor that read the
//! page by baselines): header labels after their values, funds values before
//! their row label, indicator rows whose values come before their 三级 name
//! and whose 二级 label sits between rows. The words are typed and read back
//! into fields, funds rows and indicator rows.
//!
//! Row grammar: `[head text] (value | number | category)* text` — a row ends
//! with its 三级 name (or the second half of a wrapped name whose first half
//! opened the row). A category label belongs to the row it is printed in, or
//! — printed between two rows, at the centre of its merged block — to the
//! nearest rows, the earlier on a tie.

use govtab_match::{normalize, squeeze_cjk_spaces, Level, Matcher};
use govtab_model::{FieldDraft, Flag, FormDraft, FormKind, FundDraft, IndicatorDraft, LineLayout, Provenance, Repair};

use crate::cells::{kind_of, starts_with_comparator, Kind};
use crate::clean::SrcLine;
use crate::goals::is_label_fragment;
use crate::header::split_label;
use crate::table::TableParser;
use crate::STAGE;

/// A line of many space-separated words holding labels of several sections.
pub fn is_flattened(line: &SrcLine, m: &Matcher) -> bool {
    if line.layout != LineLayout::Spaced || line.cells.len() < 12 {
        return false;
    }
    let labels = line
        .cells
        .iter()
        .filter(|c| m.field_label(&c.text).is_some() || m.is_fund_column(&c.text).is_some() || m.is_indicator_header(&c.text))
        .count();
    labels >= 3
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Header,
    Funds,
    Goals,
    Table,
}

fn is_fund_amount(s: &str) -> bool {
    let t = normalize(s).replace(',', "");
    !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '%')
}

/// Parse a flattened line into `f` (and rows into `tp`). Returns true when
/// the line reached the indicator table (later lines continue it).
pub fn parse_flat(line: &SrcLine, f: &mut FormDraft, tp: &mut TableParser, m: &Matcher) -> bool {
    let words: Vec<String> = line.cells.iter().map(|c| c.text.clone()).collect();
    let at = Provenance { page: line.page, line: line.no, col: 0 };
    f.repairs.push(Repair::new("*", STAGE, format!("{} words on one line", words.len()), "fields, funds and rows", "table flattened into one line rebuilt from word types"));

    let mut phase = Phase::Header;
    let mut header_words: Vec<(usize, Option<String>, String)> = Vec::new();
    let mut fund_words: Vec<String> = Vec::new();
    let mut goal_words: Vec<String> = Vec::new();
    let mut table_words: Vec<String> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let n = normalize(w);
        match phase {
            Phase::Header => {
                if m.is_fund_column(w).is_some() || m.fund_item(w).is_some() {
                    phase = Phase::Funds;
                    fund_words.push(w.clone());
                } else {
                    let label = split_label(w, m).map(|(l, _)| l);
                    header_words.push((i, label, w.clone()));
                }
            }
            Phase::Funds => {
                if m.vocab.goal_expected_labels.contains(&n) || m.vocab.goal_actual_labels.contains(&n) || (is_label_fragment(&n, m.vocab) && !is_fund_amount(&n)) {
                    phase = Phase::Goals;
                    goal_words.push(w.clone());
                } else {
                    fund_words.push(w.clone());
                }
            }
            Phase::Goals => {
                if m.is_indicator_header(w) || n.starts_with("偏差原因") {
                    phase = Phase::Table;
                    table_words.push(w.clone());
                } else {
                    goal_words.push(w.clone());
                }
            }
            Phase::Table => table_words.push(w.clone()),
        }
    }
    parse_header_words(&header_words, f, m, at);
    parse_fund_words(&fund_words, f, m, at);
    parse_goal_words(&goal_words, f, m);
    if phase == Phase::Table {
        parse_table_words(&table_words, f, tp, m, at);
        return true;
    }
    false
}

fn parse_header_words(words: &[(usize, Option<String>, String)], f: &mut FormDraft, m: &Matcher, at: Provenance) {
    let is_free = |w: &(usize, Option<String>, String)| {
        let n = normalize(&w.2);
        w.1.is_none() && m.vocab.title_kind(&n).is_none() && !n.starts_with('(') && !n.ends_with(')') && !n.contains("年度")
    };
    let pos = |label: &str| words.iter().position(|w| w.1.as_deref() == Some(label));
    let push = |f: &mut FormDraft, label: &str, value: String, how: &str| {
        f.repairs.push(Repair::new(crate::header::field_path(m, label), STAGE, "", &value, how.to_string()));
        f.fields.push(FieldDraft { raw_label: label.to_string(), label: label.to_string(), value, at });
    };
    let mut used = vec![false; words.len()];
    if let Some(p) = pos("项目名称") {
        let before = p.checked_sub(1).filter(|&b| is_free(&words[b]));
        let after = (p + 1 < words.len() && is_free(&words[p + 1])).then_some(p + 1);
        if let Some(b) = before.or(after) {
            used[b] = true;
            push(f, "项目名称", words[b].2.clone(), "project name read from a flattened line");
        }
    }
    if let (Some(d), Some(im)) = (pos("主管部门"), pos("实施单位")) {
        let (first, last) = (d.min(im), d.max(im));
        let heads: Vec<usize> = (0..first).filter(|&k| is_free(&words[k]) && !used[k]).collect();
        let heads = &heads[heads.len().saturating_sub(2)..];
        let tails: Vec<usize> = (last + 1..words.len()).filter(|&k| is_free(&words[k])).take(2).collect();
        // the two cells wrap: their first lines print before the labels,
        // their second lines after, in reverse order of the columns
        let (dept, imp) = match (heads.len(), tails.len()) {
            (2, 2) => (format!("{}{}", words[heads[0]].2, words[tails[1]].2), format!("{}{}", words[heads[1]].2, words[tails[0]].2)),
            (2, 1) => (words[heads[0]].2.clone(), format!("{}{}", words[heads[1]].2, words[tails[0]].2)),
            (2, 0) => (words[heads[0]].2.clone(), words[heads[1]].2.clone()),
            _ => (String::new(), String::new()),
        };
        if !dept.is_empty() {
            push(f, "主管部门", squeeze_cjk_spaces(&dept), "department rebuilt from wrapped pieces of a flattened line");
            push(f, "实施单位", squeeze_cjk_spaces(&imp), "implementer rebuilt from wrapped pieces of a flattened line");
            f.flags.push(Flag::new("department", STAGE, "rebuilt from wrapped pieces"));
            f.flags.push(Flag::new("implementer", STAGE, "rebuilt from wrapped pieces"));
        }
    }
}

fn parse_fund_words(words: &[String], f: &mut FormDraft, m: &Matcher, at: Provenance) {
    // labels and the numbers between them
    let mut groups: Vec<(String, String, Vec<String>, Vec<String>)> = Vec::new(); // (item, raw, before, after)
    let mut loose: Vec<String> = Vec::new();
    for w in words {
        if m.is_fund_column(w).is_some() {
            continue;
        }
        if let Some((item, _)) = m.fund_item(w) {
            groups.push((item, w.clone(), std::mem::take(&mut loose), Vec::new()));
            continue;
        }
        if is_fund_amount(w) {
            match groups.last_mut() {
                Some(g) => g.3.push(w.clone()),
                None => loose.push(w.clone()),
            }
        }
    }
    if groups.is_empty() {
        return;
    }
    // the first row (年度资金总额) may print its values before its label;
    // other rows take at most three amounts, surplus moves to the next row
    let self_eval = f.kind == FormKind::SelfEvaluation;
    let mut carry: Vec<String> = Vec::new();
    for (k, (item, raw, before, after)) in groups.into_iter().enumerate() {
        let mut vals: Vec<String> = std::mem::take(&mut carry);
        vals.extend(before);
        vals.extend(after);
        let cap = if !self_eval { 1 } else if k == 0 { 6 } else { 3 };
        if vals.len() > cap {
            carry = vals.split_off(cap);
        }
        let mut fd = FundDraft { raw_item: raw, item, at, ..Default::default() };
        if !self_eval {
            fd.amount = vals.first().cloned();
        } else {
            let (pct, plain): (Vec<String>, Vec<String>) = vals.into_iter().partition(|v| v.contains('%'));
            fd.execution_rate = pct.first().cloned();
            let mut it = plain.into_iter();
            fd.initial_budget = it.next();
            fd.annual_budget = it.next();
            fd.executed = it.next();
            fd.weight = it.next();
            fd.score = it.next();
        }
        let i = f.funds.len();
        let filled = [&fd.initial_budget, &fd.annual_budget, &fd.executed].iter().filter(|v| v.is_some()).count();
        if self_eval && filled < 2 {
            f.flags.push(Flag::new(format!("funds[{i}]"), STAGE, "too few values found for this row on a flattened line"));
        }
        f.funds.push(fd);
    }
}

fn parse_goal_words(words: &[String], f: &mut FormDraft, m: &Matcher) {
    let texts: Vec<String> = words
        .iter()
        .map(|w| {
            let n = normalize(w);
            // a label glued to the text ("目标全力以赴…"): the vertical
            // label's two-glyph pieces (年度 / 总体 / 目标)
            let mut t = w.to_string();
            let label: Vec<char> = m.vocab.vertical_goal_label.chars().collect();
            for p in label.chunks(2).map(|c| c.iter().collect::<String>()) {
                if n.chars().count() > 6 {
                    t = t.strip_prefix(p.as_str()).map(str::to_string).unwrap_or(t);
                }
            }
            t
        })
        .filter(|w| !is_label_fragment(w, m.vocab) && !m.vocab.goal_expected_labels.contains(&normalize(w)) && !m.vocab.goal_actual_labels.contains(&normalize(w)) && w.chars().count() > 3)
        .collect();
    match texts.len() {
        0 => {}
        2 => {
            f.goal_expected = Some(texts[0].clone());
            f.goal_actual = Some(texts[1].clone());
        }
        _ => {
            f.goal_expected = Some(texts.join(""));
            f.flags.push(Flag::new("goal_expected", STAGE, "goal columns interleaved on a flattened line"));
            f.flags.push(Flag::new("goal_actual", STAGE, "goal columns interleaved on a flattened line"));
        }
    }
}

#[derive(Default, Debug)]
struct RowAcc {
    head: Vec<String>,
    vals: Vec<String>,
    nums: Vec<String>,
    main: Option<String>,
}

impl RowAcc {
    fn is_empty(&self) -> bool {
        self.head.is_empty() && self.vals.is_empty() && self.nums.is_empty() && self.main.is_none()
    }
}

fn parse_table_words(words: &[String], f: &mut FormDraft, tp: &mut TableParser, m: &Matcher, at: Provenance) {
    let family = f.layout.clone();
    let headerish = |w: &str| {
        let n = normalize(w);
        m.is_indicator_header(w) || matches!(n.as_str(), "年度" | "实际" | "改进措施" | "指标值" | "完成值" | "分值" | "得分") || n.starts_with("偏差原因")
    };
    let mut rows: Vec<RowAcc> = Vec::new();
    let mut cur = RowAcc::default();
    // (name, level, position in row units)
    let mut cats: Vec<(String, Level, f64)> = Vec::new();
    let mut started = false;
    for w in words {
        if !started && headerish(w) {
            continue;
        }
        started = true;
        let kind = kind_of(w, m, &family);
        let r = rows.len() as f64;
        match kind {
            Kind::Cat(c) => cats.push((c.name.clone(), c.level, if cur.is_empty() { r - 0.5 } else { r })),
            Kind::Block | Kind::Junk => {}
            Kind::Num(_) => cur.nums.push(w.clone()),
            Kind::Value => cur.vals.push(w.clone()),
            Kind::Text => {
                if cur.vals.is_empty() && cur.nums.is_empty() {
                    cur.head.push(w.clone());
                } else {
                    cur.main = Some(w.clone());
                    rows.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    let trailing = !cur.is_empty();
    if trailing {
        rows.push(cur);
    }
    let base = tp.rows().len();
    let n = rows.len();
    let nearest = |level_ok: &dyn Fn(Level) -> bool, r: usize, reach: f64| -> Option<String> {
        let mut best: Option<(f64, &String)> = None;
        for (name, level, pos) in &cats {
            if !level_ok(*level) {
                continue;
            }
            let d = (pos - r as f64).abs();
            if d > reach {
                continue;
            }
            if best.map(|(b, _)| d < b - 1e-9).unwrap_or(true) {
                best = Some((d, name));
            }
        }
        best.map(|(_, n)| n.clone())
    };
    for (k, acc) in rows.into_iter().enumerate() {
        let mut texts = acc.head.clone();
        if let Some(mn) = &acc.main {
            texts.push(mn.clone());
        }
        let mut ind = IndicatorDraft { at, ..Default::default() };
        if !texts.is_empty() {
            let l3 = squeeze_cjk_spaces(&texts.join(""));
            if texts.len() > 1 {
                tp_repair(f, base + k, "level3", &texts.join(" | "), &l3, "wrapped 三级 name rejoined from a flattened line");
            }
            ind.level3 = Some(l3);
        }
        let mut vals = acc.vals.clone();
        let mut nums = acc.nums.clone();
        // a plain-number 实际完成值 ("58") reads as a number: keep two for 分值/得分
        while vals.len() < 2 && nums.len() > 2 {
            vals.push(nums.remove(0));
        }
        if vals.len() == 2 && !starts_with_comparator(&vals[0]) && starts_with_comparator(&vals[1]) {
            vals.swap(0, 1);
        }
        ind.target = vals.first().cloned();
        if f.kind == FormKind::SelfEvaluation {
            ind.actual = vals.get(1).cloned();
            ind.weight = nums.first().cloned();
            ind.score = nums.get(1).cloned();
            ind.deviation = Some(String::new());
        }
        // 二级: the nearest label; 一级 (a long block) only where printed
        // beside the row — elsewhere match derives it from the 二级
        ind.raw_level2 = nearest(&|l| l != Level::L1, k, f64::INFINITY);
        ind.raw_level1 = nearest(&|l| l == Level::L1, k, 0.5);
        let idx = base + k;
        let complete = ind.level3.is_some() && vals.len() == if f.kind == FormKind::SelfEvaluation { 2 } else { 1 } && (f.kind == FormKind::Target || nums.len() == 2);
        if !complete {
            f.flags.push(Flag::new(format!("indicators[{idx}]"), STAGE, "row rebuilt from a flattened line with cells missing or extra"));
        }
        if k + 1 == n && trailing {
            f.flags.push(Flag::new(format!("indicators[{idx}]"), STAGE, "row incomplete at the end of a flattened line"));
        }
        tp.push_row(ind);
    }
    // a label after the last row carries on to the rows that follow
    if let Some((name, level, pos)) = cats.last() {
        if *pos >= n as f64 - 0.5 {
            match level {
                Level::L1 => tp.set_pending_labels(Some(name.clone()), None),
                _ => tp.set_pending_labels(None, Some(name.clone())),
            }
        }
    }
}

fn tp_repair(f: &mut FormDraft, idx: usize, field: &str, before: &str, after: &str, why: &str) {
    f.repairs.push(Repair::new(format!("indicators[{idx}].{field}"), STAGE, before, after, why));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clean::SrcCell;
    use govtab_model::Vocabulary;

    fn spaced(text: &str) -> SrcLine {
        SrcLine {
            page: 1,
            no: 1,
            ocr: false,
            layout: LineLayout::Spaced,
            cells: text.split(' ').filter(|w| !w.is_empty()).enumerate().map(|(i, w)| SrcCell { text: w.to_string(), col: i as u32 }).collect(),
        }
    }

    #[test]
    fn flattened_form_is_rebuilt() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        // values printed before their labels, a wrapped 三级 name around its
        // values, a 二级 label between two rows
        let line = spaced(
            "财政项目支出绩效自评表 (2023年度) 项目名称 示例项目 某市某区人民政府办公 某市某区人民 主管部门 实施单位 政府办公室 室 \
             执行率 年初预算数 全年预算数 全年执行数 分值 得分 500.00 400.00 400 100.00% 10 年度资金总额 10 项目资金 其中: 当年财政拨款 500 400 400 (元) 0 上年结转资金 0 其他资金 0 0 \
             年度 预期目标 实际完成情况 总体 目标完成全部工作任务。 完成全部工作任务。 偏差原因分析及 年度 实际 一级指标 二级指标 三级指标 分值 得分 指标值 完成值 改进措施 \
             培训对口共建 >=2家 2家 10 10 单位数 数量指标 >=100人 100人 10 10 人才培训参训人数 质量指标 90% 10 >=90% 10 项目完成率 产出指标",
        );
        assert!(is_flattened(&line, &m));
        let mut f = FormDraft::new(1, FormKind::SelfEvaluation);
        let mut tp = TableParser::new(FormKind::SelfEvaluation, "standard");
        assert!(parse_flat(&line, &mut f, &mut tp, &m));
        tp.finish(&mut f);
        let field = |l: &str| f.fields.iter().find(|x| x.label == l).map(|x| x.value.clone());
        assert_eq!(field("项目名称").as_deref(), Some("示例项目"));
        assert_eq!(field("主管部门").as_deref(), Some("某市某区人民政府办公室"));
        assert_eq!(field("实施单位").as_deref(), Some("某市某区人民政府办公室"));
        assert_eq!(f.funds[0].initial_budget.as_deref(), Some("500.00"));
        assert_eq!(f.funds[0].execution_rate.as_deref(), Some("100.00%"));
        assert_eq!((f.funds[0].weight.as_deref(), f.funds[0].score.as_deref()), (Some("10"), Some("10")));
        assert_eq!(f.funds[2].item, "上年结转资金");
        assert_eq!(f.funds[2].initial_budget.as_deref(), Some("0"));
        assert_eq!(f.goal_expected.as_deref(), Some("完成全部工作任务。"));
        let rows: Vec<_> = f.indicators.iter().map(|i| (i.level3.clone().unwrap_or_default(), i.target.clone().unwrap_or_default(), i.raw_level2.clone().unwrap_or_default())).collect();
        assert_eq!(rows[0], ("培训对口共建单位数".into(), ">=2家".into(), "数量指标".into()));
        assert_eq!(rows[1], ("人才培训参训人数".into(), ">=100人".into(), "数量指标".into()));
        assert_eq!(rows[2], ("项目完成率".into(), ">=90%".into(), "质量指标".into()));
        assert_eq!(f.indicators[2].actual.as_deref(), Some("90%"));
    }
}
