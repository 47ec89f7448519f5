//! The form's arithmetic: checked, and used to repair one misread digit.
//!
//! Two groups of checks tie cells together:
//! - scores: Σ 分值 (+ the funds row's 分值) = total 分值 (100 when not
//!   printed), Σ 得分 (+ funds 得分) = total 得分, 得分 ≤ 分值 on every row;
//! - funds: 执行率 ≈ 全年执行数 / 全年预算数 per row, 年度资金总额 = Σ its
//!   parts per column.
//!
//! When a group fails, every involved cell's printed text is varied the ways
//! OCR misreads digits (`digit_confusions` in the vocabulary, a dropped
//! decimal point). If exactly one single-cell change makes the whole group
//! hold, it is applied and logged as a repair. Several → each candidate cell
//! is flagged as ambiguous; none → the cells that break the checks are
//! flagged. Nothing is changed without the arithmetic forcing it.
//!
//! Before that, cells the form's rules determine are filled (each logged):
//! a 总分 分值 OCR lost is the full marks (vocab `full_marks`), a 分值/得分
//! over the full marks read without its decimal point is read with it (when
//! the row and column have room), a lost 执行率 is 全年执行数 / 全年预算数,
//! and a funds row's lost 得分 is 分值 × 执行率.

use std::collections::HashMap;

use govtab_model::{vocab::FundTemplateRow, Flag, Record, Repair};

use crate::{parse_number, Parsed, STAGE};

const TOL: f64 = 0.011;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Printed text of the number cells, by record path.
pub type RawCells = HashMap<String, String>;

/// The number at a record path (`funds[1].executed`, `total_weight`, …).
pub(crate) fn get(r: &Record, path: &str) -> Option<f64> {
    match path {
        "total_weight" => r.total_weight,
        "total_score" => r.total_score,
        _ => {
            let (arr, rest) = path.split_once('[')?;
            let (idx, field) = rest.split_once("].")?;
            let i: usize = idx.parse().ok()?;
            match arr {
                "indicators" => {
                    let ind = r.indicators.get(i)?;
                    match field {
                        "weight" => ind.weight,
                        "score" => ind.score,
                        _ => None,
                    }
                }
                "funds" => {
                    let f = r.funds.get(i)?;
                    match field {
                        "initial_budget" => f.initial_budget,
                        "annual_budget" => f.annual_budget,
                        "executed" => f.executed,
                        "weight" => f.weight,
                        "execution_rate" => f.execution_rate,
                        "score" => f.score,
                        "amount" => f.amount,
                        _ => None,
                    }
                }
                _ => None,
            }
        }
    }
}

/// Fill the cell at `path` with `v`, as the form's arithmetic or rules
/// give it: the repair logged against the printed text, the cell's flags
/// dropped.
fn fill_cell(r: &mut Record, raw: &RawCells, path: &str, v: f64, why: impl Into<String>) {
    r.repairs.push(Repair::new(path, STAGE, raw.get(path).cloned().unwrap_or_default(), crate::fmt_num(v), why));
    r.flags.retain(|f| f.field != path);
    set(r, path, v);
}

fn set(r: &mut Record, path: &str, v: f64) {
    match path {
        "total_weight" => r.total_weight = Some(v),
        "total_score" => r.total_score = Some(v),
        _ => {
            let Some((arr, rest)) = path.split_once('[') else { return };
            let Some((idx, field)) = rest.split_once("].") else { return };
            let Ok(i) = idx.parse::<usize>() else { return };
            match arr {
                "indicators" => {
                    if let Some(ind) = r.indicators.get_mut(i) {
                        match field {
                            "weight" => ind.weight = Some(v),
                            "score" => ind.score = Some(v),
                            _ => {}
                        }
                    }
                }
                "funds" => {
                    if let Some(f) = r.funds.get_mut(i) {
                        match field {
                            "initial_budget" => f.initial_budget = Some(v),
                            "annual_budget" => f.annual_budget = Some(v),
                            "executed" => f.executed = Some(v),
                            "weight" => f.weight = Some(v),
                            "execution_rate" => f.execution_rate = Some(v),
                            "score" => f.score = Some(v),
                            "amount" => f.amount = Some(v),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The values a printed number may really be: one confusable digit
/// swapped, a decimal point OCR dropped, or a thousands comma read as a
/// point.
pub fn variants(raw: &str, pairs: &[(char, char)]) -> Vec<f64> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace() && *c != ',' && *c != '%').collect();
    // specks around the number ("; 163.00", "168.00.") are not digits to vary
    let s = s.trim_matches(|c: char| !c.is_ascii_digit()).to_string();
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<f64> = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        for (a, b) in pairs {
            if c == a {
                let mut t = chars.clone();
                t[i] = *b;
                if let Ok(v) = t.iter().collect::<String>().parse::<f64>() {
                    out.push(v);
                }
            }
        }
    }
    if !s.contains('.') && chars.iter().all(|c| c.is_ascii_digit()) {
        for k in [1, 2] {
            if chars.len() > k {
                let (a, b) = s.split_at(s.len() - k);
                if let Ok(v) = format!("{a}.{b}").parse::<f64>() {
                    out.push(v);
                }
            }
        }
    }
    // a thousands comma read as a point: "30.120" for 30,120
    if let Some((a, b)) = s.split_once('.') {
        if b.len() == 3 && !a.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit()) {
            if let Ok(v) = format!("{a}{b}").parse::<f64>() {
                out.push(v);
            }
        }
    }
    let orig: Option<f64> = s.parse().ok();
    out.retain(|v| v.is_finite() && *v >= 0.0 && Some(*v) != orig);
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

/// Paths of the score group's cells present in `r`.
fn score_cells(r: &Record) -> Vec<String> {
    let mut p = Vec::new();
    for i in 0..r.indicators.len() {
        p.push(format!("indicators[{i}].weight"));
        p.push(format!("indicators[{i}].score"));
    }
    if !r.funds.is_empty() {
        p.push("funds[0].weight".into());
        p.push("funds[0].score".into());
    }
    p.push("total_weight".into());
    p.push("total_score".into());
    p.retain(|x| get(r, x).is_some());
    p
}

/// How the reasons of the sum checks begin (assemble narrows their doubts
/// by them): Σ 分值, Σ 得分, 执行率 = 执行数 / 预算数, 年度资金总额 = Σ parts.
pub(crate) const SUM_WEIGHTS: &str = "Σ 分值";
pub(crate) const SUM_SCORES: &str = "Σ 得分";
pub(crate) const RATE_CHECK: &str = "执行率";
pub(crate) const PARTS_SUM: &str = "Σ parts";

/// Failures of the score group, as (cell paths to blame, reason).
pub(crate) fn score_failures(r: &Record) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    if r.kind != "self_evaluation" || r.indicators.is_empty() {
        return out;
    }
    // no 分值, 得分 or total exceeds 100
    for p in score_cells(r) {
        if let Some(v) = get(r, &p) {
            if v > 100.0 + TOL {
                out.push((vec![p.clone()], format!("{p} = {v} exceeds 100")));
            }
        }
    }
    for (i, ind) in r.indicators.iter().enumerate() {
        if let (Some(w), Some(s)) = (ind.weight, ind.score) {
            if s > w + TOL {
                out.push((vec![format!("indicators[{i}].score"), format!("indicators[{i}].weight")], format!("得分 {s} exceeds 分值 {w}")));
            }
        }
    }
    let fw = r.funds.first().and_then(|f| f.weight);
    let fs = r.funds.first().and_then(|f| f.score);
    let total_w = r.total_weight.unwrap_or(100.0);
    let weights: Option<f64> = r.indicators.iter().map(|i| i.weight).sum();
    if let Some(sum) = weights {
        let with_funds = sum + fw.unwrap_or(0.0);
        if !close(with_funds, total_w, 0.05) && !close(sum, total_w, 0.05) {
            let mut cells: Vec<String> = (0..r.indicators.len()).map(|i| format!("indicators[{i}].weight")).collect();
            if r.total_weight.is_some() {
                cells.push("total_weight".into());
            }
            out.push((cells, format!("{SUM_WEIGHTS} {with_funds} ≠ total {total_w}")));
        }
    }
    if let Some(total_s) = r.total_score {
        let scores: Option<f64> = r.indicators.iter().map(|i| i.score).sum();
        if let Some(sum) = scores {
            let with_funds = sum + fs.unwrap_or(0.0);
            if !close(with_funds, total_s, 0.05) && !close(sum, total_s, 0.05) {
                let mut cells: Vec<String> = (0..r.indicators.len()).map(|i| format!("indicators[{i}].score")).collect();
                cells.push("total_score".into());
                out.push((cells, format!("{SUM_SCORES} {with_funds} ≠ total {total_s}")));
            }
        }
    }
    out
}

/// The funds block of the record's kind, from the vocabulary's template:
/// its first row is the total, the others its parts.
pub struct Layout<'v> {
    pub rows: Vec<&'v FundTemplateRow>,
    /// The 总分 分值 of a self-evaluation form (vocab `full_marks`).
    pub full_marks: f64,
}

impl Layout<'_> {
    /// Is `name` a cell the template says row `item` always prints?
    pub fn printed(&self, item: &str, name: &str) -> bool {
        self.rows.iter().any(|t| t.item == item && t.cells.iter().any(|c| c == name))
    }

    fn is_part(&self, item: &str) -> bool {
        self.rows.iter().skip(1).any(|t| t.item == item)
    }
}

fn total_row(r: &Record, l: &Layout) -> Option<usize> {
    let total = &l.rows.first()?.item;
    r.funds.iter().position(|f| f.item == *total)
}

fn part_rows(r: &Record, l: &Layout, total: usize) -> Vec<usize> {
    (0..r.funds.len()).filter(|&k| k != total && l.is_part(&r.funds[k].item)).collect()
}

fn fund_cells(r: &Record) -> Vec<String> {
    let mut p = Vec::new();
    for i in 0..r.funds.len() {
        for f in ["initial_budget", "annual_budget", "executed", "execution_rate", "amount"] {
            p.push(format!("funds[{i}].{f}"));
        }
    }
    p.retain(|x| get(r, x).is_some());
    p
}

pub fn fund_failures(r: &Record, l: &Layout) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    for (i, f) in r.funds.iter().enumerate() {
        if let (Some(rate), Some(exec), Some(budget)) = (f.execution_rate, f.executed, f.annual_budget) {
            if budget > 0.0 && !close(rate, exec / budget * 100.0, 0.6) && !(rate >= 100.0 && exec >= budget) {
                out.push((vec![format!("funds[{i}].execution_rate"), format!("funds[{i}].executed"), format!("funds[{i}].annual_budget")], format!("{RATE_CHECK} {rate}% ≠ {exec} / {budget}")));
            }
        }
    }
    let Some(total) = total_row(r, l) else { return out };
    let parts = part_rows(r, l, total);
    if parts.is_empty() {
        return out;
    }
    for name in ["initial_budget", "annual_budget", "executed", "amount"] {
        let Some(t) = get(r, &format!("funds[{total}].{name}")) else { continue };
        let vals: Vec<Option<f64>> = parts.iter().map(|&k| get(r, &format!("funds[{k}].{name}"))).collect();
        // no breakdown given (blank or all zero): nothing to check
        if vals.iter().all(|v| v.map(|x| x == 0.0).unwrap_or(true)) {
            continue;
        }
        let sum: f64 = vals.iter().map(|v| v.unwrap_or(0.0)).sum();
        // parts rounded each to the cent may miss the total by a cent; one
        // part alone is the total to the cent
        let nonzero = vals.iter().filter(|v| v.is_some_and(|x| x != 0.0)).count();
        let tol = if nonzero > 1 { 0.011 } else { 0.001 };
        if !close(sum, t, tol + t.abs() * 1e-12) {
            // a part whose removal restores the sum is the odd one
            let culprits: Vec<String> = parts
                .iter()
                .zip(&vals)
                .filter(|(_, v)| v.map(|v| v != 0.0 && close(sum - v, t, 0.011)).unwrap_or(false))
                .map(|(k, _)| format!("funds[{k}].{name}"))
                .collect();
            let cells = if culprits.len() == 1 { culprits } else { vec![format!("funds[{total}].{name}")] };
            out.push((cells, format!("年度资金总额 {name} {t} ≠ {PARTS_SUM} {sum}")));
        }
    }
    out
}

type Failures<'a> = &'a dyn Fn(&Record) -> Vec<(Vec<String>, String)>;

/// Try to repair one group; flag what cannot be repaired.
fn repair_group(r: &mut Record, raw: &RawCells, pairs: &[(char, char)], cells: Vec<String>, failures: Failures, what: &str) {
    let fails = failures(r);
    if fails.is_empty() {
        return;
    }
    let mut fixes: Vec<(String, f64)> = Vec::new();
    for path in &cells {
        let Some(text) = raw.get(path) else { continue };
        for v in variants(text, pairs) {
            let mut trial = r.clone();
            set(&mut trial, path, v);
            if failures(&trial).is_empty() {
                fixes.push((path.clone(), v));
            }
        }
    }
    match fixes.as_slice() {
        [(path, v)] => {
            let before = raw.get(path).cloned().unwrap_or_default();
            r.repairs.push(Repair::new(path, STAGE, &before, crate::fmt_num(*v), format!("misread digit: the only single change that makes the {what} checks hold ({})", fails.iter().map(|f| f.1.as_str()).collect::<Vec<_>>().join("; "))));
            set(r, path, *v);
        }
        [] => {
            // a cell out of range explains the sums it breaks: blame it alone
            let out_of_range: Vec<_> = fails.iter().filter(|f| f.1.contains("exceeds 100")).cloned().collect();
            let fails = if out_of_range.is_empty() { fails } else { out_of_range };
            for (paths, why) in fails {
                for p in paths {
                    r.flags.push(Flag::new(p, STAGE, why.clone()));
                }
            }
        }
        many => {
            for (p, v) in many {
                r.flags.push(Flag::new(p, STAGE, format!("{what} checks fail; changing this cell to {} would fix them, as would {} other candidates", crate::fmt_num(*v), many.len() - 1)));
            }
        }
    }
}

/// Several rows whose 得分 is one confusable digit from their full 分值
/// (13 for 15, 3 for 5): when all of them read full make Σ 得分 the printed
/// total, no fewer of them do, and every score check then holds, each was
/// the same misread — repaired, each with its reason. (One such row alone
/// is [`repair_group`]'s single change.)
fn repair_scores_together(r: &mut Record, raw: &RawCells, pairs: &[(char, char)]) {
    if r.kind != "self_evaluation" || score_failures(r).is_empty() {
        return;
    }
    let Some(total) = r.total_score else { return };
    let scores: Option<f64> = r.indicators.iter().map(|i| i.score).sum();
    let Some(sum) = scores else { return };
    let deficit = total - sum - r.funds.first().and_then(|f| f.score).unwrap_or(0.0);
    let candidates: Vec<(usize, f64)> = r
        .indicators
        .iter()
        .enumerate()
        .filter_map(|(i, ind)| {
            let (w, s) = (ind.weight?, ind.score?);
            let text = raw.get(&format!("indicators[{i}].score"))?;
            (s + TOL < w && variants(text, pairs).iter().any(|v| close(*v, w, TOL))).then_some((i, w - s))
        })
        .collect();
    if candidates.len() < 2 || candidates.len() > 12 || !close(candidates.iter().map(|c| c.1).sum(), deficit, TOL) {
        return;
    }
    // no smaller set of them closes the gap
    let n = candidates.len();
    let smaller = (1..(1u32 << n) - 1).any(|mask| close((0..n).filter(|k| mask & (1 << k) != 0).map(|k| candidates[k].1).sum(), deficit, TOL));
    if smaller {
        return;
    }
    let mut trial = r.clone();
    for &(i, _) in &candidates {
        trial.indicators[i].score = trial.indicators[i].weight;
    }
    if !score_failures(&trial).is_empty() {
        return;
    }
    for &(i, _) in &candidates {
        let path = format!("indicators[{i}].score");
        let w = r.indicators[i].weight.unwrap_or_default();
        let before = raw.get(&path).cloned().unwrap_or_default();
        r.repairs.push(Repair::new(&path, STAGE, &before, crate::fmt_num(w), format!("misread digit: {n} rows' 得分 each one confusable digit from full 分值; all read full, and only so, Σ 得分 = the total {}", crate::fmt_num(total))));
        r.indicators[i].score = Some(w);
        r.flags.retain(|f| f.field != path);
    }
}

/// A row's 分值 or 得分 over the form's full marks cannot be; printed with
/// two decimals ("10.00"), one whose point OCR dropped or read as a space
/// ("10 00", "1000") reads a hundred times too large. When the value over a
/// hundred fits the row (within full marks; a score within its 分值, a 分值
/// at least its score) it is read so: repaired and flagged, the arithmetic
/// left to confirm it.
fn restore_dropped_points(r: &mut Record, raw: &RawCells, l: &Layout) {
    let mut rows: Vec<String> = (0..r.indicators.len()).map(|i| format!("indicators[{i}]")).collect();
    if !r.funds.is_empty() {
        rows.push("funds[0]".into());
    }
    for (row, (field, other)) in rows.iter().flat_map(|row| [(row, ("weight", "score")), (row, ("score", "weight"))]) {
        let path = format!("{row}.{field}");
        let is_weight = field == "weight";
        let Some(v) = get(r, &path) else { continue };
        let Some(text) = raw.get(&path) else { continue };
        let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
        let dotted = text.contains('.');
        if v <= l.full_marks + TOL || dotted || digits.len() < 3 || !digits.ends_with("00") {
            continue;
        }
        let fixed = v / 100.0;
        let partner = get(r, &format!("{row}.{other}"));
        // a partner over the full marks is no evidence (it may be next)
        let partner = partner.filter(|p| *p <= l.full_marks + TOL);
        let fits = fixed <= l.full_marks + TOL && partner.map(|p| if is_weight { fixed + TOL >= p } else { fixed <= p + TOL }).unwrap_or(true);
        // and the column read so far stays within the full marks
        let column: f64 = r.indicators.iter().filter_map(|x| if is_weight { x.weight } else { x.score }).chain(r.funds.first().and_then(|f| if is_weight { f.weight } else { f.score })).filter(|x| *x <= l.full_marks + TOL).sum();
        if !fits || column + fixed > l.full_marks + TOL {
            continue;
        }
        r.repairs.push(Repair::new(&path, STAGE, text, crate::fmt_num(fixed), "over the full marks: a two-decimal number whose point OCR dropped"));
        r.flags.push(Flag::new(&path, STAGE, format!("'{text}' read as {} (decimal point lost)", crate::fmt_num(fixed))));
        set(r, &path, fixed);
    }
    // the form's sums hold with the points back: confirmed
    if score_failures(r).is_empty() {
        r.flags.retain(|f| !(f.stage == STAGE && f.reason.ends_with("(decimal point lost)")));
    }
}

/// The funds block's total row, as the reasons of this module name it.
const TOTAL_ROW: &str = "年度资金总额";

/// Was this repair of a funds cell made from its column's sum? Every one
/// this module makes (a lost total or part filled, a blank part forced to
/// 0, a digit changed so that the sum holds) names the total row in its
/// reason.
pub(crate) fn derived_from_column(reason: &str) -> bool {
    reason.contains(TOTAL_ROW)
}

/// The funds columns in printed order: a number too wide for its column
/// runs past the rule, and its last digit is read as the first of the next
/// cell ("37,178,180.2" | "610.00" for "37,178,180.26" | "10.00").
const FUND_COLUMNS: [&str; 6] = ["initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score"];

/// A digit that crossed the rule between two funds cells of a row, put
/// back: when the cell before ends on one decimal (money prints two) and
/// moving the next cell's first digit to it makes the checks that failed
/// on either cell hold (and breaks none), and no other such move does, it
/// is repaired (logged on both cells).
fn restore_slid_digits(r: &mut Record, raw: &RawCells, l: &Layout) {
    let fails = |r: &Record| -> Vec<(Vec<String>, String)> {
        let mut f = fund_failures(r, l);
        f.extend(score_failures(r));
        f
    };
    let before = fails(r);
    if before.is_empty() {
        return;
    }
    let mut found: Vec<(String, String, f64, f64)> = Vec::new();
    for i in 0..r.funds.len() {
        for w in FUND_COLUMNS.windows(2) {
            let (pa, pb) = (format!("funds[{i}].{}", w[0]), format!("funds[{i}].{}", w[1]));
            let (Some(ta), Some(tb)) = (raw.get(&pa), raw.get(&pb)) else { continue };
            let (ta, tb) = (ta.trim(), tb.trim());
            let Some(c) = tb.chars().next().filter(char::is_ascii_digit) else { continue };
            // the cell before was cut short: one decimal of the two money
            // prints; what stays in the cell after starts with a digit
            let one_decimal = ta.rsplit_once('.').is_some_and(|(_, d)| d.len() == 1 && d.chars().all(|x| x.is_ascii_digit()));
            if !one_decimal || !tb[1..].starts_with(|x: char| x.is_ascii_digit()) {
                continue;
            }
            if !before.iter().any(|(cells, _)| cells.contains(&pa) || cells.contains(&pb)) {
                continue;
            }
            let (Parsed::Clean(a), Parsed::Clean(b)) = (parse_number(&format!("{ta}{c}")), parse_number(&tb[1..])) else { continue };
            let mut trial = r.clone();
            set(&mut trial, &pa, a);
            set(&mut trial, &pb, b);
            let after = fails(&trial);
            let touches = after.iter().any(|(cells, _)| cells.contains(&pa) || cells.contains(&pb));
            let no_new = after.iter().all(|x| before.iter().any(|y| y.1 == x.1));
            if !touches && no_new && after.len() < before.len() {
                found.push((pa, pb, a, b));
            }
        }
    }
    if let [(pa, pb, a, b)] = found.as_slice() {
        let why = "a digit that ran across the rule into the next cell put back: the only such move that makes the funds checks hold";
        r.repairs.push(Repair::new(pa, STAGE, raw.get(pa).cloned().unwrap_or_default(), crate::fmt_num(*a), why));
        r.repairs.push(Repair::new(pb, STAGE, raw.get(pb).cloned().unwrap_or_default(), crate::fmt_num(*b), why));
        set(r, pa, *a);
        set(r, pb, *b);
    }
}

/// A part of 年度资金总额 left blank (OCR lost a lone "0") when the parts
/// read already add up to the total: amounts are never negative, so the
/// blank is 0 — forced by the arithmetic, logged as a repair.
fn fill_forced_zero_parts(r: &mut Record, l: &Layout) {
    let Some(total) = total_row(r, l) else { return };
    let parts = part_rows(r, l, total);
    for name in ["initial_budget", "annual_budget", "amount"] {
        let Some(t) = get(r, &format!("funds[{total}].{name}")) else { continue };
        let known: f64 = parts.iter().filter_map(|&k| get(r, &format!("funds[{k}].{name}"))).sum();
        if !close(known, t, 0.011) {
            continue;
        }
        for &k in &parts {
            let path = format!("funds[{k}].{name}");
            // only rows that print amounts at all (a value in another column)
            let row_has_values = r.funds[k].initial_budget.is_some() || r.funds[k].annual_budget.is_some() || l.printed(&r.funds[k].item, name);
            if get(r, &path).is_none() && row_has_values {
                r.repairs.push(Repair::new(&path, STAGE, "", "0", format!("blank part of 年度资金总额: the other parts already sum to the total {}", crate::fmt_num(t))));
                set(r, &path, 0.0);
                // the sums force it: its "not read" doubt goes
                r.flags.retain(|f| !(f.field == path && f.reason.contains("not read")));
            }
        }
    }
}

/// Funds cells OCR lost that the block's arithmetic gives back:
/// - 年度资金总额 in a column whose parts were all read (and are not all 0:
///   a total with no breakdown stays unknown) is their sum;
/// - one lost part is the total less the other parts;
/// - at 执行率 100% a lost 全年预算数 or 全年执行数 is the other one — flagged,
///   since a row that overspent also prints 100%.
///
/// Every fill is a repair; the cell's "unreadable" flag goes when the sums
/// force it.
fn solve_funds(r: &mut Record, raw: &RawCells, l: &Layout) {
    for _ in 0..2 {
        solve_fund_sums(r, raw, l);
        for i in 0..r.funds.len() {
            let f = &r.funds[i];
            let at_full = f.execution_rate.map(|x| close(x, 100.0, 0.005)).unwrap_or(false);
            let fill = match (f.annual_budget, f.executed) {
                (None, Some(e)) if at_full => Some(("annual_budget", e, "全年执行数")),
                (Some(b), None) if at_full => Some(("executed", b, "全年预算数")),
                _ => None,
            };
            if let Some((name, v, from)) = fill {
                let path = format!("funds[{i}].{name}");
                fill_cell(r, raw, &path, v, format!("unreadable; 执行率 100% gives {from}"));
                r.flags.push(Flag::new(&path, STAGE, format!("taken from {from} at 执行率 100% (an overspent row prints 100% too)")));
            }
        }
    }
    // a total taken at 100% that its column's parts read (not all 0) sum to
    // exactly: the parts confirm it (an overspent row's would not, but for
    // parts lost that make up the overspending to the cent)
    if let Some(total) = total_row(r, l) {
        let parts = part_rows(r, l, total);
        for name in ["annual_budget", "executed"] {
            let path = format!("funds[{total}].{name}");
            // (parts as printed: a part the arithmetic filled proves nothing)
            let vals: Vec<f64> = parts.iter().filter(|&&k| raw.contains_key(&format!("funds[{k}].{name}"))).filter_map(|&k| get(r, &format!("funds[{k}].{name}"))).collect();
            let Some(v) = get(r, &path) else { continue };
            if vals.iter().any(|x| *x != 0.0) && close(vals.iter().sum(), v, 0.011) {
                r.flags.retain(|f| !(f.field == path && f.reason.starts_with("taken from ")));
            }
        }
    }
    fill_execution_rates(r, raw, l);
    fill_fund_scores(r, raw);
}

/// The funds row is scored by its 执行率: 得分 = 分值 × 执行率 (at most
/// 100%). A 得分 OCR lost next to a 分值 and a 执行率 read is that; at 100%
/// a lost 分值 is the 得分.
fn fill_fund_scores(r: &mut Record, raw: &RawCells) {
    for i in 0..r.funds.len() {
        let f = &r.funds[i];
        let Some(rate) = f.execution_rate else { continue };
        let fill = match (f.weight, f.score) {
            (Some(w), None) => Some(("score", (w * rate.min(100.0) / 100.0 * 100.0).round() / 100.0, "得分 = 分值 × 执行率")),
            (None, Some(s)) if close(rate, 100.0, 0.005) => Some(("weight", s, "分值 = 得分 at 执行率 100%")),
            _ => None,
        };
        if let Some((name, v, why)) = fill {
            fill_cell(r, raw, &format!("funds[{i}].{name}"), v, format!("unreadable; {why}"));
        }
    }
}

/// A 执行率 OCR lost, on a row that prints one (the template's total row,
/// or a row where a rate was printed but not read): 全年执行数 / 全年预算数,
/// rounded to the forms' two decimals. Not where the budget is 0 or the row
/// overspent (the forms' cap is unknown).
fn fill_execution_rates(r: &mut Record, raw: &RawCells, l: &Layout) {
    for i in 0..r.funds.len() {
        let path = format!("funds[{i}].execution_rate");
        let f = &r.funds[i];
        let prints = l.printed(&f.item, "execution_rate") || raw.contains_key(&path);
        let (Some(b), Some(e)) = (f.annual_budget, f.executed) else { continue };
        if f.execution_rate.is_some() || !prints || b <= 0.0 || e > b + TOL {
            continue;
        }
        let rate = (e / b * 10000.0).round() / 100.0;
        fill_cell(r, raw, &path, rate, "unreadable; 执行率 = 全年执行数 / 全年预算数");
    }
}

fn solve_fund_sums(r: &mut Record, raw: &RawCells, l: &Layout) {
    let Some(total) = total_row(r, l) else { return };
    let parts = part_rows(r, l, total);
    if parts.is_empty() {
        return;
    }
    for name in ["initial_budget", "annual_budget", "executed"] {
        let tpath = format!("funds[{total}].{name}");
        let vals: Vec<Option<f64>> = parts.iter().map(|&k| get(r, &format!("funds[{k}].{name}"))).collect();
        let missing: Vec<usize> = (0..parts.len()).filter(|&j| vals[j].is_none()).collect();
        let known: f64 = vals.iter().flatten().sum();
        match (get(r, &tpath), missing.as_slice()) {
            (None, []) if known > 0.0 => {
                fill_cell(r, raw, &tpath, known, "unreadable; 年度资金总额 = Σ its parts");
            }
            (Some(t), [j]) if t - known >= -TOL && known > 0.0 => {
                let path = format!("funds[{}].{name}", parts[*j]);
                let v = (t - known).max(0.0);
                // a blank the sums leave at 0 may be printed blank: kept,
                // unless the form always prints the cell
                if raw.get(&path).is_none() && v < TOL && !l.printed(&r.funds[parts[*j]].item, name) {
                    continue;
                }
                fill_cell(r, raw, &path, v, "unreadable; 年度资金总额 less the other parts");
            }
            _ => {}
        }
    }
}

/// When the points lost on the form are all accounted for — total 分值 less
/// total 得分 equals the gaps (分值 − 得分) of the rows fully read — every
/// other row lost nothing (得分 ≤ 分值 on each row): a row whose 分值 or
/// 得分 OCR lost has it equal to the other. (Rows that lost both stay
/// unknown.)
fn fill_no_points_lost(r: &mut Record, raw: &RawCells) {
    let (Some(tw), Some(ts)) = (r.total_weight, r.total_score) else { return };
    let mut rows: Vec<(String, Option<f64>, Option<f64>)> = r.indicators.iter().enumerate().map(|(i, x)| (format!("indicators[{i}]"), x.weight, x.score)).collect();
    if let Some(f) = r.funds.first() {
        rows.push(("funds[0]".into(), f.weight, f.score));
    }
    let known_gap: f64 = rows.iter().filter_map(|(_, w, s)| Some(w.as_ref()? - s.as_ref()?)).sum();
    let half: Vec<&(String, Option<f64>, Option<f64>)> = rows.iter().filter(|(_, w, s)| w.is_some() != s.is_some()).collect();
    // totals that cannot hold the 分值 read ("1 0" for 100) vouch for nothing
    let weights_read: f64 = rows.iter().filter_map(|(_, w, _)| *w).sum();
    if half.is_empty() || !close(tw - ts, known_gap, TOL) || weights_read > tw + TOL {
        return;
    }
    let fills: Vec<(String, f64)> = half
        .iter()
        .filter_map(|(row, w, s)| match (w, s) {
            (Some(w), None) => Some((format!("{row}.score"), *w)),
            (None, Some(s)) => Some((format!("{row}.weight"), *s)),
            _ => None,
        })
        .collect();
    for (path, v) in fills {
        fill_cell(r, raw, &path, v, format!("unreadable; total 得分 {} = total 分值 {} less the points lost on the rows read, so this row lost none", crate::fmt_num(ts), crate::fmt_num(tw)));
    }
}

/// One blank cell in an indicator column (`weight`, `score`) whose total is
/// known: the total less the other rows and the funds row's share is its
/// value, when `fits` accepts it (a repair; any flag on the cell goes).
fn solve_one_missing(r: &mut Record, raw: &RawCells, field: &str, total: f64, fits: impl Fn(&Record, usize, f64) -> bool) {
    let paths: Vec<String> = (0..r.indicators.len()).map(|i| format!("indicators[{i}].{field}")).collect();
    let missing: Vec<usize> = (0..paths.len()).filter(|&i| get(r, &paths[i]).is_none()).collect();
    let [i] = missing[..] else { return };
    let known: f64 = paths.iter().filter_map(|p| get(r, p)).sum();
    let solved = total - get(r, &format!("funds[0].{field}")).unwrap_or(0.0) - known;
    if !fits(r, i, solved) {
        return;
    }
    let name = if field == "weight" { "分值" } else { "得分" };
    let path = &paths[i];
    fill_cell(r, raw, path, solved, format!("{name} unreadable; solved from Σ {name} = {}", crate::fmt_num(total)));
}

/// The most a funds row's 分值 takes of a form's 100 (usually 10).
pub(crate) const FUNDS_MARKS_MAX: f64 = 30.0;

/// The 总分 row's 分值 of a self-evaluation form is its full marks: on a
/// scan another reading ("82.0", "100.09") is a misread, replaced and
/// flagged.
pub(crate) fn total_weight_is_full_marks(r: &mut Record, full_marks: f64) {
    if r.kind != "self_evaluation" {
        return;
    }
    if let Some(tw) = r.total_weight.filter(|tw| (tw - full_marks).abs() > 1e-6) {
        let full = crate::fmt_num(full_marks);
        r.repairs.push(Repair::new("total_weight", STAGE, crate::fmt_num(tw), &full, format!("total 分值 read as {}; a self-evaluation form is scored out of {full}", crate::fmt_num(tw))));
        r.flags.push(Flag::new("total_weight", STAGE, format!("total 分值 read as {}, not the full marks {full}", crate::fmt_num(tw))));
        r.total_weight = Some(full_marks);
    }
}

/// A number read from damaged text ("ioo.oo") that the group's arithmetic
/// then confirms is no longer doubtful: its flag goes (the repair stays).
fn confirm(r: &mut Record, cells: &[String], failures: Failures) {
    if r.kind != "self_evaluation" || !failures(r).is_empty() {
        return;
    }
    r.flags.retain(|f| !(f.stage == STAGE && f.reason.starts_with("number read from damaged text") && cells.contains(&f.field)));
}

/// A row whose 分值 or 得分 cell read two numbers ("1 15.00": a speck, then
/// the number) and kept the first (`parse_number`), which breaks 得分 ≤
/// 分值: another word of the cell, read as `parse_number` reads it, when it
/// alone holds the row within the full marks, is the cell's (repair; the
/// damaged-text flag stays).
fn other_number_fits(r: &mut Record, raw: &RawCells, full_marks: f64) {
    let number = |w: &str| match crate::parse_number(w) {
        crate::Parsed::Clean(v) | crate::Parsed::Repaired(v, _) => Some(v),
        _ => None,
    };
    for i in 0..r.indicators.len() {
        let (Some(w), Some(s)) = (r.indicators[i].weight, r.indicators[i].score) else { continue };
        if s <= w + TOL {
            continue;
        }
        for (field, now) in [("weight", w), ("score", s)] {
            let path = format!("indicators[{i}].{field}");
            let Some(text) = raw.get(&path) else { continue };
            let others: Vec<f64> = text.split_whitespace().filter_map(number).filter(|v| (v - now).abs() > TOL).collect();
            let fits: Vec<f64> = others.into_iter().filter(|&v| v <= full_marks + TOL && if field == "weight" { s <= v + TOL } else { v <= w + TOL }).collect();
            if let [v] = fits[..] {
                r.repairs.push(Repair::new(&path, STAGE, text, crate::fmt_num(v), format!("the cell read two numbers; {} breaks 得分 ≤ 分值, {} holds it", crate::fmt_num(now), crate::fmt_num(v))));
                set(r, &path, v);
                break;
            }
        }
    }
}

pub fn check(r: &mut Record, raw: &RawCells, pairs: &[(char, char)], layout: &Layout) {
    if r.kind == "self_evaluation" {
        other_number_fits(r, raw, layout.full_marks);
        fill_no_points_lost(r, raw);
        // one unreadable 分值: the sum fixes it
        let total_w = r.total_weight.unwrap_or(100.0);
        solve_one_missing(r, raw, "weight", total_w, |r, i, v| v > 0.0 && v <= total_w && r.indicators[i].score.map(|s| s <= v + TOL).unwrap_or(true));
        // one unreadable 得分: the printed total fixes it
        if let Some(total_s) = r.total_score {
            solve_one_missing(r, raw, "score", total_s, |r, i, v| v >= 0.0 && r.indicators[i].weight.map(|w| v <= w + TOL).unwrap_or(false));
        }
    }
    // a printed total OCR could not read: the complete column sums stand in
    if r.kind == "self_evaluation" && !r.indicators.is_empty() {
        let fw = r.funds.first().and_then(|f| f.weight);
        let fs = r.funds.first().and_then(|f| f.score);
        for (path, get_col, extra) in [("total_weight", 0, fw), ("total_score", 1, fs)] {
            let printed = if get_col == 0 { r.total_weight } else { r.total_score };
            let col: Option<f64> = r.indicators.iter().map(|i| if get_col == 0 { i.weight } else { i.score }).sum();
            // the part of the column read so far: a total below it is no total
            // (a score over its row's 分值 is itself a misread: not counted)
            let plausible = |i: &govtab_model::Indicator| get_col == 0 || !matches!((i.weight, i.score), (Some(w), Some(s)) if s > w + TOL);
            let read_sum: f64 = r.indicators.iter().filter(|i| plausible(i)).filter_map(|i| if get_col == 0 { i.weight } else { i.score }).sum::<f64>() + extra.unwrap_or(0.0);
            // read from damaged text ("1 0.0]") or impossible (over 100, or
            // less than the rows read: "1 0" for 100)
            let damaged = r.repairs.iter().any(|x| x.field == path && x.stage == STAGE) || printed.map(|v| v > 100.0 + TOL || v + TOL < read_sum).unwrap_or(false);
            let unread = raw.contains_key(path) && (printed.is_none() || damaged);
            let impossible = printed.map(|v| v > 100.0 + TOL || v + TOL < read_sum).unwrap_or(false);
            // the 总分 row was read (either of its numbers) but not its 分值
            let row_seen = raw.contains_key("total_weight") || raw.contains_key("total_score");
            let unread = unread || (get_col == 0 && row_seen && (printed.is_none() || damaged));
            match (unread, col) {
                (true, Some(sum)) => {
                    let total = sum + extra.unwrap_or(0.0);
                    if printed.map(|p| close(p, total, 0.05)).unwrap_or(false) || total > 100.0 + TOL {
                        continue;
                    }
                    fill_cell(r, raw, path, total, "total unreadable; the column sum stands in");
                }
                // the total row's 分值 unreadable, the column incomplete: the
                // form is scored out of its full marks
                (true, None) if get_col == 0 && read_sum <= layout.full_marks + TOL => {
                    fill_cell(r, raw, path, layout.full_marks, format!("total 分值 unreadable; a self-evaluation form is scored out of {}", crate::fmt_num(layout.full_marks)));
                }
                // an impossible total the column cannot stand in for: unread
                (true, None) if impossible => {
                    let before = raw.get(path).cloned().unwrap_or_default();
                    r.repairs.push(Repair::new(path, STAGE, &before, "", "impossible total dropped (over 100, or below the rows read)"));
                    r.flags.push(Flag::new(path, STAGE, format!("total '{before}' impossible; not read")));
                    if get_col == 0 { r.total_weight = None } else { r.total_score = None }
                }
                _ => {}
            }
        }
    }
    if r.kind == "self_evaluation" {
        restore_dropped_points(r, raw, layout);
    }
    restore_slid_digits(r, raw, layout);
    fill_forced_zero_parts(r, layout);
    solve_funds(r, raw, layout);
    let cells = score_cells(r);
    repair_group(r, raw, pairs, cells.clone(), &score_failures, "score");
    repair_scores_together(r, raw, pairs);
    confirm(r, &cells, &score_failures);
    let cells = fund_cells(r);
    let funds_fail = |r: &Record| fund_failures(r, layout);
    repair_group(r, raw, pairs, cells.clone(), &funds_fail, "funds");
    confirm(r, &cells, &funds_fail);
    // sub-rows (其中…) print no 分值/得分
    if r.kind == "self_evaluation" {
        let mut flags = Vec::new();
        for (i, f) in r.funds.iter().enumerate().skip(1) {
            for (name, v) in [("weight", f.weight), ("score", f.score)] {
                if v.is_some() {
                    flags.push(Flag::new(format!("funds[{i}].{name}"), STAGE, "a sub-row of the funds block prints no 分值/得分"));
                }
            }
        }
        r.flags.extend(flags);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_model::{Fund, Indicator};

    fn layout() -> Layout<'static> {
        static V: std::sync::OnceLock<govtab_model::Vocabulary> = std::sync::OnceLock::new();
        let v = V.get_or_init(govtab_model::Vocabulary::builtin);
        Layout { rows: v.fund_template.iter().filter(|t| t.kind == govtab_model::FormKind::SelfEvaluation).collect(), full_marks: v.full_marks }
    }

    fn pairs() -> Vec<(char, char)> {
        govtab_model::Vocabulary::builtin().digit_pairs()
    }

    fn record(weights: &[(&str, &str)], total: Option<(&str, &str)>) -> (Record, RawCells) {
        let mut raw = RawCells::new();
        let parse = |s: &str| s.parse::<f64>().ok();
        let indicators = weights
            .iter()
            .enumerate()
            .map(|(i, (w, s))| {
                raw.insert(format!("indicators[{i}].weight"), w.to_string());
                raw.insert(format!("indicators[{i}].score"), s.to_string());
                Indicator { weight: parse(w), score: parse(s), ..Default::default() }
            })
            .collect();
        raw.insert("funds[0].weight".into(), "10".into());
        raw.insert("funds[0].score".into(), "10".into());
        if let Some((w, s)) = total {
            raw.insert("total_weight".into(), w.into());
            raw.insert("total_score".into(), s.into());
        }
        let r = Record {
            doc: "t".into(), form: 1, pages: vec![], kind: "self_evaluation".into(), year: None, project: None, department: None,
            implementer: None, unit: None, attributes: Default::default(),
            funds: vec![Fund { item: "年度资金总额".into(), weight: Some(10.0), score: Some(10.0), ..Default::default() }],
            goal_expected: None, goal_actual: None, indicators,
            total_weight: total.and_then(|t| parse(t.0)), total_score: total.and_then(|t| parse(t.1)), grade: None,
            repairs: vec![], flags: vec![],
        };
        (r, raw)
    }

    #[test]
    fn a_lost_execution_rate_is_executed_over_budget() {
        let (mut r, raw) = record(&[], None);
        r.funds[0] = Fund { item: "年度资金总额".into(), annual_budget: Some(300.0), executed: Some(285.0), ..Default::default() };
        r.funds.push(Fund { item: "当年财政拨款".into(), annual_budget: Some(300.0), executed: Some(285.0), ..Default::default() });
        fill_execution_rates(&mut r, &raw, &layout());
        assert_eq!(r.funds[0].execution_rate, Some(95.0));
        assert!(r.repairs.iter().any(|x| x.field == "funds[0].execution_rate"));
        // a row the template prints no rate for, an overspent or unbudgeted row: left unread
        assert_eq!(r.funds[1].execution_rate, None);
        for (b, e) in [(300.0, 310.0), (0.0, 0.0)] {
            let (mut r, raw) = record(&[], None);
            r.funds[0] = Fund { item: "年度资金总额".into(), annual_budget: Some(b), executed: Some(e), ..Default::default() };
            fill_execution_rates(&mut r, &raw, &layout());
            assert_eq!(r.funds[0].execution_rate, None);
        }
    }

    #[test]
    fn a_lost_funds_score_is_weight_times_execution_rate() {
        let (mut r, raw) = record(&[], None);
        r.funds[0] = Fund { item: "年度资金总额".into(), weight: Some(10.0), execution_rate: Some(95.0), ..Default::default() };
        fill_fund_scores(&mut r, &raw);
        assert_eq!(r.funds[0].score, Some(9.5));
        // at 100% a lost 分值 is the 得分; below it, unknown
        for (rate, want) in [(100.0, Some(10.0)), (90.0, None)] {
            let (mut r, raw) = record(&[], None);
            r.funds[0] = Fund { item: "年度资金总额".into(), score: Some(10.0), execution_rate: Some(rate), ..Default::default() };
            fill_fund_scores(&mut r, &raw);
            assert_eq!(r.funds[0].weight, want);
        }
    }

    #[test]
    fn a_mark_over_the_full_marks_gets_its_lost_decimal_point_back() {
        // "10 00" for 10.00: a hundred times too large
        let (mut r, mut raw) = record(&[("40", "40"), ("10 00", "10 00"), ("40", "38")], Some(("100", "98")));
        r.indicators[1].weight = Some(1000.0);
        r.indicators[1].score = Some(1000.0);
        restore_dropped_points(&mut r, &raw, &layout());
        assert_eq!((r.indicators[1].weight, r.indicators[1].score), (Some(10.0), Some(10.0)));
        assert!(r.repairs.iter().any(|x| x.field == "indicators[1].weight" && x.reason.contains("point")));
        // the sums hold: confirmed, no flag left
        assert!(!r.flags.iter().any(|f| f.field.starts_with("indicators[1]")), "{:?}", r.flags);
        // a reading the column has no room for is left to the checks
        let (mut r, _) = record(&[("40", "40"), ("9000", "9000")], None);
        raw.insert("indicators[1].weight".into(), "9000".into());
        r.indicators[1].weight = Some(9000.0);
        restore_dropped_points(&mut r, &raw, &layout());
        assert_eq!(r.indicators[1].weight, Some(9000.0));
    }

    #[test]
    fn variants_cover_confusable_digits_and_dropped_points() {
        let v = variants("35", &pairs());
        assert!(v.contains(&36.0) && v.contains(&85.0) && v.contains(&3.5));
        assert!(!v.contains(&35.0));
        assert!(variants("30.120", &pairs()).contains(&30120.0));
        assert!(variants("; 163.00", &pairs()).contains(&168.0));
        assert!(!variants("30.12", &pairs()).contains(&3012.0));
        // 3/5, the confusion heavily damaged scans show most
        assert!(variants("3", &pairs()).contains(&5.0) && variants("15", &pairs()).contains(&13.0));
    }

    #[test]
    fn a_cell_that_read_two_numbers_takes_the_one_that_holds_its_row() {
        // "1 15.00": a speck, then the 分值; the 得分 15 says which
        let (mut r, mut raw) = record(&[("1", "15"), ("20", "20")], None);
        raw.insert("indicators[0].weight".into(), "1 15.00".into());
        other_number_fits(&mut r, &raw, 100.0);
        assert_eq!(r.indicators[0].weight, Some(15.0));
        assert!(r.repairs.iter().any(|x| x.field == "indicators[0].weight" && x.after == "15"));
        // two numbers that would both hold the row: left to the checks
        let (mut r, mut raw) = record(&[("1", "15")], None);
        raw.insert("indicators[0].weight".into(), "1 15 20".into());
        other_number_fits(&mut r, &raw, 100.0);
        assert_eq!(r.indicators[0].weight, Some(1.0));
    }

    #[test]
    fn a_score_of_3_for_5_is_read_back_when_the_total_says_so() {
        // 30 + 25 + 35 + funds 10 = 100 full marks; 得分 30 + 23 + 35 + 10 =
        // 98 against a printed 100: only the 3 read for a 5 closes the gap
        let (mut r, raw) = record(&[("30", "30"), ("25", "23"), ("35", "35")], Some(("100", "100")));
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.indicators[1].score, Some(25.0));
        assert!(r.repairs.iter().any(|x| x.field == "indicators[1].score"));
    }

    #[test]
    fn several_scores_of_3_for_5_are_read_back_together() {
        // 15 + 15 + 5 + 55 + funds 10 = 100; 得分 13 + 13 + 3 + 55 + 10 = 94
        // against a printed 100: only all three read full close the gap
        let (mut r, raw) = record(&[("15", "13"), ("15", "13"), ("5", "3"), ("55", "55")], Some(("100", "100")));
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!([0, 1, 2].map(|i| r.indicators[i].score), [Some(15.0), Some(15.0), Some(5.0)]);
        assert_eq!(r.repairs.iter().filter(|x| x.reason.contains("3 rows' 得分")).count(), 3);
        // a gap that fewer of them close too is left flagged
        let (mut r, raw) = record(&[("15", "13"), ("15", "13"), ("5", "3"), ("55", "55")], Some(("100", "98")));
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!([0, 1, 2].map(|i| r.indicators[i].score), [Some(13.0), Some(13.0), Some(3.0)]);
        assert!(r.flags.iter().any(|f| f.field == "indicators[0].score"));
        // a gap none of them can close: nothing changed
        let (mut r, raw) = record(&[("15", "13"), ("15", "13"), ("55", "55")], Some(("100", "99")));
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.indicators[0].score, Some(13.0));
    }

    #[test]
    fn one_plausible_digit_fix_is_applied() {
        // 30 + 36 + 24 + funds 10 = 100, but the 36 was read as 35; the
        // scores (30 + 35 + 20 + 10 = 95) agree with the printed total
        let (mut r, raw) = record(&[("30", "30"), ("35", "35"), ("24", "20")], Some(("100", "95")));
        r.indicators[1].weight = Some(35.0);
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.indicators[1].weight, Some(36.0));
        assert!(r.repairs.iter().any(|x| x.field == "indicators[1].weight" && x.after == "36"));
        assert!(r.flags.is_empty(), "{:?}", r.flags);
    }

    #[test]
    fn ambiguous_fixes_are_flagged_not_applied() {
        // Σ 分值 is 1 short and two rows read 15: either could be a 16
        let (mut r, raw) = record(&[("15", "10"), ("15", "10"), ("59", "50")], Some(("100", "80")));
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.indicators[0].weight, Some(15.0));
        assert_eq!(r.indicators[1].weight, Some(15.0));
        assert!(r.repairs.is_empty());
        assert!(r.flags.iter().any(|f| f.field == "indicators[0].weight"));
        assert!(r.flags.iter().any(|f| f.field == "indicators[1].weight"));
    }

    #[test]
    fn no_plausible_fix_flags_the_broken_cells() {
        // Σ 分值 = 91: no single confusable digit or decimal point reaches 100
        let (mut r, raw) = record(&[("30", "30"), ("21", "20"), ("30", "30")], Some(("100", "90")));
        check(&mut r, &raw, &pairs(), &layout());
        assert!(r.repairs.is_empty());
        assert!(r.flags.iter().any(|f| f.field == "indicators[1].weight"));
        assert!(r.flags.iter().any(|f| f.field == "total_weight"));
    }

    #[test]
    fn a_digit_that_ran_into_the_next_cell_is_put_back_when_the_sums_say_so() {
        let (mut r, mut raw) = record(&[("90", "90")], Some(("100", "100")));
        // "37,178,180.26" too wide for its column: its last digit read as
        // the first of the 分值 "10.00"
        r.funds[0].annual_budget = Some(37178180.26);
        r.funds[0].executed = Some(37178180.2);
        r.funds[0].weight = Some(610.0);
        raw.insert("funds[0].executed".into(), "37,178,180.2".into());
        raw.insert("funds[0].weight".into(), "610.00".into());
        r.funds.push(Fund { item: "当年财政拨款".into(), annual_budget: Some(37178180.26), executed: Some(37178180.26), ..Default::default() });
        let mut cut_twice = r.clone();
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!((r.funds[0].executed, r.funds[0].weight), (Some(37178180.26), Some(10.0)));
        assert_eq!(r.repairs.iter().filter(|x| x.reason.contains("ran across the rule")).count(), 2);
        assert!(!r.flags.iter().any(|f| f.field.starts_with("funds[0]")), "{:?}", r.flags);
        // a cell already printing two decimals is not cut short: no move
        raw.insert("funds[0].executed".into(), "37,178,180.20".into());
        check(&mut cut_twice, &raw, &pairs(), &layout());
        assert_eq!(cut_twice.funds[0].weight, Some(610.0));
        assert!(cut_twice.flags.iter().any(|f| f.field == "funds[0].weight"));
    }

    #[test]
    fn a_lone_part_must_equal_its_total_to_the_cent() {
        let (r, _) = record(&[("90", "90")], None);
        let with = |total: f64, parts: &[f64]| {
            let mut r = r.clone();
            r.funds[0].executed = Some(total);
            for (k, p) in parts.iter().enumerate() {
                let item = ["当年财政拨款", "上年结转资金", "其他资金"][k];
                r.funds.push(Fund { item: item.into(), executed: Some(*p), ..Default::default() });
            }
            fund_failures(&r, &layout()).is_empty()
        };
        // one part: the total is that part (37178180.25 ≠ .26)
        assert!(!with(37178180.25, &[37178180.26, 0.0]));
        assert!(with(37178180.26, &[37178180.26, 0.0]));
        // two parts each rounded to the cent may miss the total by one
        assert!(with(100.01, &[60.0, 40.0]));
    }

    #[test]
    fn blank_parts_are_zero_when_the_rest_already_sums_to_the_total() {
        let (mut r, raw) = record(&[("90", "90")], None);
        let part = |item: &str, a: Option<f64>| Fund { item: item.into(), initial_budget: Some(0.0), annual_budget: a, ..Default::default() };
        r.funds[0].initial_budget = Some(500.0);
        r.funds[0].annual_budget = Some(400.0);
        r.funds.push(Fund { item: "当年财政拨款".into(), initial_budget: Some(500.0), annual_budget: Some(400.0), ..Default::default() });
        r.funds.push(part("上年结转资金", None));
        r.funds.push(part("其他资金", None));
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.funds[2].annual_budget, Some(0.0));
        assert_eq!(r.funds[3].annual_budget, Some(0.0));
        // one part lost while the others fall short: the difference
        r.funds[1].annual_budget = Some(300.0);
        r.funds[2].annual_budget = None;
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.funds[2].annual_budget, Some(100.0));
        assert!(r.repairs.iter().any(|x| x.field == "funds[2].annual_budget" && x.after == "100"));
        // two parts lost: not forced
        r.funds[2].annual_budget = None;
        r.funds[3].annual_budget = None;
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!((r.funds[2].annual_budget, r.funds[3].annual_budget), (None, None));
    }

    #[test]
    fn rows_that_lost_no_points_get_their_lost_half_back() {
        // total 100/95: the 5 points lost are on row 0, so row 1 lost none
        let (mut r, raw) = record(&[("30", "25"), ("60", "")], Some(("100", "95")));
        r.indicators[1].score = None;
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.indicators[1].score, Some(60.0));
        assert!(r.repairs.iter().any(|x| x.field == "indicators[1].score" && x.reason.contains("lost none")));
        // points unaccounted for: not forced (two rows may share them)
        let (mut r, raw) = record(&[("30", ""), ("60", "")], Some(("100", "90")));
        r.indicators[0].score = None;
        r.indicators[1].score = None;
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!((r.indicators[0].score, r.indicators[1].score), (None, None));
        // totals too small for the 分值 read ("1 0"): not trusted
        let (mut r, raw) = record(&[("30", "30"), ("60", "")], Some(("1", "1")));
        r.indicators[1].score = None;
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.indicators[1].score, None);
    }

    #[test]
    fn a_target_forms_blank_parts_are_zero_when_the_rest_reaches_the_total() {
        static V: std::sync::OnceLock<govtab_model::Vocabulary> = std::sync::OnceLock::new();
        let v = V.get_or_init(govtab_model::Vocabulary::builtin);
        let layout = Layout { rows: v.fund_template.iter().filter(|t| t.kind == govtab_model::FormKind::Target).collect(), full_marks: v.full_marks };
        let (mut r, raw) = record(&[], None);
        r.kind = "target".into();
        let row = |item: &str, a: Option<f64>| Fund { item: item.into(), amount: a, ..Default::default() };
        r.funds = vec![row("年度资金申请总额", Some(700000.0)), row("当年财政拨款", Some(700000.0)), row("上年结转资金", None), row("其他资金", None)];
        check(&mut r, &raw, &pairs(), &layout);
        assert_eq!((r.funds[2].amount, r.funds[3].amount), (Some(0.0), Some(0.0)));
    }

    #[test]
    fn a_scans_total_weight_other_than_the_full_marks_is_a_misread() {
        let (mut r, _) = record(&[("50", "50")], None);
        r.total_weight = Some(82.0);
        total_weight_is_full_marks(&mut r, 100.0);
        assert_eq!(r.total_weight, Some(100.0));
        assert!(r.flags.iter().any(|f| f.field == "total_weight"));
        // the full marks read: nothing to do
        let (mut r, _) = record(&[("50", "50")], None);
        total_weight_is_full_marks(&mut r, 100.0);
        assert!(r.repairs.is_empty() && r.flags.is_empty());
    }

    #[test]
    fn a_total_below_the_rows_read_is_no_total() {
        // "1 0" read for 100: the complete column stands in
        let (mut r, raw) = record(&[("45", "40"), ("45", "45")], Some(("10", "95")));
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.total_weight, Some(100.0));
        // a column with a lost cell cannot; the form's full marks can
        let (mut r, raw) = record(&[("45", "40"), ("", "45")], Some(("10", "95")));
        r.indicators[1].weight = None;
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.total_weight, Some(100.0));
        assert!(r.repairs.iter().any(|x| x.field == "total_weight" && x.reason.contains("scored out of 100")));
        // rows read past the full marks: no total stands; dropped and flagged
        let (mut r, raw) = record(&[("60", "40"), ("50", "45"), ("", "5")], Some(("10", "95")));
        r.indicators[2].weight = None;
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.total_weight, None);
        assert!(r.flags.iter().any(|f| f.field == "total_weight" && f.reason.contains("impossible")));
    }

    #[test]
    fn lost_funds_cells_come_back_from_the_block_arithmetic() {
        let (mut r, mut raw) = record(&[("90", "90")], None);
        let row = |item: &str, b: Option<f64>, e: Option<f64>| Fund { item: item.into(), annual_budget: b, executed: e, execution_rate: Some(100.0), ..Default::default() };
        r.funds[0] = Fund { weight: Some(10.0), score: Some(10.0), ..row("年度资金总额", None, Some(300.0)) };
        r.funds.push(row("当年财政拨款", Some(200.0), None));
        r.funds.push(row("其他资金", Some(100.0), None));
        raw.insert("funds[1].executed".into(), "2oo.o0x".into());
        check(&mut r, &raw, &pairs(), &layout());
        // the total from its parts, a part's lost 执行数 from its 预算数 at 100%
        assert_eq!(r.funds[0].annual_budget, Some(300.0));
        assert_eq!(r.funds[1].executed, Some(200.0));
        // the 100% fill is flagged (an overspent row prints 100% too)
        assert!(r.flags.iter().any(|f| f.field == "funds[1].executed"));
        assert!(!r.flags.iter().any(|f| f.field == "funds[0].annual_budget"));
        // a total's 执行数 taken at 100% that its parts read sum to: confirmed
        let (mut r, mut raw) = record(&[("90", "90")], None);
        r.funds[0] = Fund { weight: Some(10.0), score: Some(10.0), ..row("年度资金总额", Some(300.0), None) };
        r.funds.push(row("当年财政拨款", Some(300.0), Some(300.0)));
        raw.insert("funds[1].executed".into(), "300".into());
        r.funds.push(Fund { item: "其他资金".into(), annual_budget: Some(0.0), ..Default::default() });
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.funds[0].executed, Some(300.0));
        assert!(!r.flags.iter().any(|f| f.field == "funds[0].executed"), "{:?}", r.flags);
        // a part the arithmetic filled confirms nothing: the doubt stays
        let (mut r, mut raw) = record(&[("90", "90")], None);
        raw.insert("funds[1].executed".into(), "150".into());
        r.funds[0] = Fund { weight: Some(10.0), score: Some(10.0), ..row("年度资金总额", Some(300.0), None) };
        r.funds.push(Fund { item: "当年财政拨款".into(), annual_budget: Some(200.0), executed: Some(150.0), ..Default::default() });
        r.funds.push(Fund { item: "其他资金".into(), annual_budget: Some(100.0), ..Default::default() });
        check(&mut r, &raw, &pairs(), &layout());
        assert!(r.flags.iter().any(|f| f.field == "funds[0].executed" && f.reason.starts_with("taken from")), "{:?}", r.flags);
    }

    #[test]
    fn one_unreadable_weight_is_solved_from_the_sum() {
        let (mut r, mut raw) = record(&[("30", "30"), ("თ", "3"), ("57", "50")], None);
        raw.insert("indicators[1].weight".into(), "თ".into());
        check(&mut r, &raw, &pairs(), &layout());
        assert_eq!(r.indicators[1].weight, Some(3.0));
    }
}
