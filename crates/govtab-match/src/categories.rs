//! Canonical 一级/二级 names for a whole indicator table.
//!
//! The table is decoded as a sequence: merged cells leave rows blank, labels
//! sit at the centre of their block, OCR garbles some of them. Each row's
//! printed cells are matched alone first; then the 二级 column is decoded as
//! a whole with a small Viterbi over the vocabulary's category order
//! ([`decode_level2`]): printed names are emissions (look-alike weighted
//! distance), blocks move forward through the order, every block carries a
//! printed (or garbled) label somewhere, and a 二级 name must belong to the
//! 一级 printed on its row. A 一级 name follows from its 二级 name when it is
//! not printed.

use govtab_model::{Flag, FormDraft, NameMatch, Repair};

use crate::{CatMatch, Level, Matcher};

const STAGE: &str = "match";

/// Doubts on category cells inferred from the rest of the table, not from
/// damage seen on the row itself (see [`inferred_doubt`]).
const SATISFACTION_OUTSIDE: &str = "a satisfaction measure outside a satisfaction category";
const SATISFACTION_OVER: &str = "a satisfaction category over a row that measures no satisfaction";
const LEVEL1_FOLLOWS: &str = "一级 follows the row's doubtful 二级";
const FILLED_FAR: &str = "another block's label may be lost";

/// Is this flag reason one of the doubts [`resolve_categories`] infers from
/// the rest of the table (a row that shows no damage of its own)?
pub fn inferred_doubt(reason: &str) -> bool {
    [SATISFACTION_OUTSIDE, SATISFACTION_OVER, LEVEL1_FOLLOWS].contains(&reason) || reason.ends_with(FILLED_FAR)
}

#[derive(Default, Clone)]
struct RowCats {
    l1: Option<CatMatch>,
    l2: Option<CatMatch>,
}

/// Set `level1`/`level2` of every indicator row of `form`.
pub fn resolve_categories(form: &mut FormDraft, m: &Matcher) {
    let family = form.layout.clone();
    let n = form.indicators.len();
    let mut rows: Vec<RowCats> = vec![RowCats::default(); n];

    // 1. Each row alone.
    for (i, ind) in form.indicators.iter().enumerate() {
        let c1 = ind.raw_level1.as_deref().and_then(|t| m.category_lenient(t, &family));
        let c2 = ind.raw_level2.as_deref().and_then(|t| m.category_lenient(t, &family));
        let mut r = RowCats::default();
        for c in [c1, c2].into_iter().flatten() {
            match c.level {
                Level::L1 => r.l1 = r.l1.or(Some(c)),
                Level::L2 => r.l2 = Some(c),
                Level::Both => {
                    // 成本指标: a 一级 when a 二级 follows it on the row, else a 二级.
                    if r.l2.is_none() && ind.raw_level2.as_deref().map(|t| m.category(t, &family).map(|x| x.name != c.name).unwrap_or(false)).unwrap_or(false) {
                        r.l1 = Some(c);
                    } else {
                        r.l2 = Some(c);
                    }
                }
            }
        }
        rows[i] = r;
    }

    // 2. 二级 column, decoded as one sequence against the category order.
    let vocab = m.vocab;
    let explicit_l1: Vec<Option<String>> = rows.iter().map(|r| r.l1.as_ref().map(|c| c.name.clone())).collect();
    let raw2: Vec<Option<String>> = form
        .indicators
        .iter()
        .zip(&rows)
        .map(|(ind, r)| if r.l2.is_some() || ind.garbled_category { ind.raw_level2.clone().or(Some(String::new())) } else { None })
        .collect();
    let states: Vec<(String, String)> = vocab
        .level1
        .iter()
        .filter(|l| l.family == family)
        .flat_map(|l| l.level2.iter().map(move |c| (c.clone(), l.name.clone())))
        .collect();
    let decoded = if raw2.iter().all(|r| r.is_none()) || states.is_empty() {
        vec![None; n]
    } else {
        decode_level2(&states, &raw2, &explicit_l1).into_iter().map(Some).collect()
    };
    let mut l2: Vec<Option<String>> = decoded.iter().map(|d| d.map(|k| states[k].0.clone())).collect();
    let mut how: Vec<&'static str> = vec!["printed"; n];
    for i in 0..n {
        if rows[i].l2.as_ref().map(|c| Some(&c.name) != l2[i].as_ref()).unwrap_or(false) {
            how[i] = "sequence overrode the printed name";
        } else if rows[i].l2.is_none() {
            let prev_same = i > 0 && l2[i - 1] == l2[i];
            how[i] = if form.indicators[i].garbled_category {
                "garbled, decoded from neighbours"
            } else if prev_same {
                "merged cell, filled down"
            } else {
                "merged cell, label printed below"
            };
        }
    }
    if l2.iter().all(|x| x.is_none()) {
        l2 = vec![None; n];
    }

    // 3. 一级: printed, else the 二级's parent, else filled down.
    let mut l1: Vec<Option<String>> = vec![None; n];
    let mut run: Option<String> = None;
    for i in 0..n {
        let parent = l2[i].as_deref().and_then(|c| vocab.parent_of(c)).map(str::to_string);
        l1[i] = match (&explicit_l1[i], parent) {
            (Some(e), _) => Some(e.clone()),
            (None, Some(p)) => Some(p),
            (None, None) => run.clone(),
        };
        if l1[i].is_some() {
            run = l1[i].clone();
        }
    }
    // rows above the first printed/derived 一级
    let first = l1.iter().find_map(|x| x.clone());
    for x in l1.iter_mut() {
        if x.is_none() {
            *x = first.clone();
        } else {
            break;
        }
    }

    // 4. Write back, log matches, repairs and flags.
    for i in 0..n {
        let ind = &mut form.indicators[i];
        for (field, raw, cat, _out) in [
            ("level1", ind.raw_level1.clone(), rows[i].l1.clone(), l1[i].clone()),
            ("level2", ind.raw_level2.clone(), rows[i].l2.clone(), l2[i].clone()),
        ] {
            let path = format!("indicators[{i}].{field}");
            if let (Some(raw), Some(c)) = (&raw, &cat) {
                form.matches.push(NameMatch { field: path.clone(), raw: raw.clone(), canonical: c.name.clone(), score: c.score, method: "fuzzy".into() });
                if crate::normalize(raw) != c.name {
                    form.repairs.push(Repair::new(&path, STAGE, raw, &c.name, format!("category name matched (similarity {:.2})", c.score)));
                    if c.score < 0.75 {
                        form.flags.push(Flag::new(&path, STAGE, format!("weak match of '{raw}' to {} ({:.2})", c.name, c.score)));
                    }
                }
            }
        }
        if rows[i].l2.is_none() {
            if let Some(name) = &l2[i] {
                form.matches.push(NameMatch { field: format!("indicators[{i}].level2"), raw: ind.raw_level2.clone().unwrap_or_default(), canonical: name.clone(), score: 0.0, method: how[i].into() });
            }
        }
        if ind.garbled_category {
            form.flags.push(Flag::new(format!("indicators[{i}].level2"), STAGE, "category cell unreadable; name taken from neighbouring rows"));
        }
        if l2[i].is_none() {
            form.flags.push(Flag::new(format!("indicators[{i}].level2"), STAGE, "no 二级 name found for this row"));
        }
        // filled down over rows that end where a new 一级 block is printed:
        // the boundary between the two merged cells is not visible (on a
        // digital PDF it is: the merged cell is read from its drawn rules)
        if !form.exact_text && rows[i].l2.is_none() && !ind.garbled_category && how[i] == "merged cell, filled down" {
            let next = (i + 1..n).find(|&k| rows[k].l1.is_some() || rows[k].l2.is_some());
            if let Some(k) = next {
                let next_l1 = explicit_l1[k].clone().or_else(|| l2[k].as_deref().and_then(|c| vocab.parent_of(c)).map(str::to_string));
                if next_l1.is_some() && next_l1 != l1[i] && rows[k].l2.is_some() {
                    // the block's label at p, its first row s: a label printed at
                    // the centre of rows s..=i would sit lower than p
                    let p = (0..i).rev().find(|&p| rows[p].l2.is_some()).unwrap_or(0);
                    let s = (0..=p).rev().take_while(|&q| l2[q] == l2[i]).last().unwrap_or(p);
                    if (s + i) as f64 / 2.0 > p as f64 + 0.5 {
                        form.flags.push(Flag::new(format!("indicators[{i}].level2"), STAGE, "block boundary not visible: merged-cell label may belong to the next block"));
                        form.flags.push(Flag::new(format!("indicators[{i}].level1"), STAGE, "block boundary not visible: merged-cell label may belong to the next block"));
                    }
                }
            }
        }
        // on a noisy scan (labels lost often), a label sits at the centre of
        // its merged cell: rows filled down further below it than its block
        // reaches above it may belong to a block whose label OCR lost
        if form.ocr && form.ocr_noise >= govtab_model::NOISY_OCR && rows[i].l2.is_none() && !ind.garbled_category && how[i] == "merged cell, filled down" {
            let p = (0..i).rev().find(|&p| rows[p].l2.is_some()).unwrap_or(0);
            let s = (0..=p).rev().take_while(|&q| l2[q] == l2[i]).last().unwrap_or(p);
            if i - p > p - s + 1 && !form.flags.iter().any(|f| f.field == format!("indicators[{i}].level2")) {
                form.flags.push(Flag::new(format!("indicators[{i}].level2"), STAGE, format!("filled down {} rows below its label (which sits {} below its block's first row): {FILLED_FAR}", i - p, p - s)));
            }
        }
        // on a noisy scan, a row filled down where the next label printed
        // skips a category of the order (社会效益 … 可持续影响, 生态效益
        // between): the row may be the skipped category's, its label lost
        if form.ocr && form.ocr_noise >= govtab_model::NOISY_OCR && rows[i].l2.is_none() && !ind.garbled_category && how[i] == "merged cell, filled down" {
            let pos = |c: &Option<String>| c.as_deref().and_then(|c| states.iter().position(|(s, _)| s == c));
            let next = (i + 1..n).find(|&k| rows[k].l2.is_some());
            if let (Some(a), Some(c)) = (pos(&l2[i]), next.and_then(|k| pos(&l2[k]))) {
                let path = format!("indicators[{i}].level2");
                if c > a + 1 && states[a].1 == states[c].1 && !form.flags.iter().any(|f| f.field == path) {
                    let skipped: Vec<&str> = states[a + 1..c].iter().map(|(s, _)| s.as_str()).collect();
                    form.flags.push(Flag::new(&path, STAGE, format!("filled down, and the next label printed skips {}: the row may be its, the label lost", skipped.join("/"))));
                }
            }
        }
        ind.level1 = l1[i].clone();
        ind.level2 = l2[i].clone();
    }
    // a satisfaction measure (…满意度, …满意率, …好评率) sits under a satisfaction
    // category (满意度指标, 服务对象满意度指标, 满意度) and nothing else does:
    // on a scan, a row whose name and categories disagree has its category
    // cells in doubt (a block boundary misplaced)
    if form.ocr {
        let mut more = Vec::new();
        for (i, ind) in form.indicators.iter().enumerate() {
            let Some(name) = ind.level3.as_deref() else { continue };
            let named = name.contains("满意") || name.contains("好评");
            let filed = [&l1[i], &l2[i]].iter().any(|c| c.as_deref().is_some_and(|c| c.contains("满意")));
            if named != filed && (l1[i].is_some() || l2[i].is_some()) {
                for c in ["level1", "level2"] {
                    let path = format!("indicators[{i}].{c}");
                    if !form.flags.iter().any(|f| f.field == path) {
                        more.push(Flag::new(path, STAGE, if named { SATISFACTION_OUTSIDE } else { SATISFACTION_OVER }));
                    }
                }
            }
        }
        form.flags.extend(more);
    }
    // a table of the standard order ends with its 满意度 block: on a noisy
    // scan a table that shows none may have lost its label, and the rows
    // filled down below the last label read may be that block's
    let satisfaction_last = vocab.level1.iter().rfind(|l| l.family == family).is_some_and(|l| l.name.contains("满意"));
    if form.ocr && form.ocr_noise >= govtab_model::NOISY_OCR && satisfaction_last && !l1.iter().any(|c| c.as_deref().is_some_and(|c| c.contains("满意"))) {
        let last_label = (0..n).rev().find(|&k| rows[k].l1.is_some() || rows[k].l2.is_some());
        let after = last_label.map(|k| k + 1).unwrap_or(n);
        for (i, how) in how.iter().enumerate().skip(after) {
            if *how != "merged cell, filled down" || form.indicators[i].garbled_category {
                continue;
            }
            for c in ["level1", "level2"] {
                let path = format!("indicators[{i}].{c}");
                if !form.flags.iter().any(|f| f.field == path) {
                    form.flags.push(Flag::new(path, STAGE, "filled down at the table's end, and the table shows no 满意度 block: the row may be its, the label lost"));
                }
            }
        }
    }
    // a 一级 not printed on its row follows from the row's 二级: a doubtful
    // 二级 at the edge of its 一级 block (a neighbour row under another 一级)
    // makes it doubtful too (on a scan, where 二级 names are decoded)
    if form.ocr {
        let mut more = Vec::new();
        for i in 0..n {
            let l2_path = format!("indicators[{i}].level2");
            let l1_path = format!("indicators[{i}].level1");
            let parent_of_l2 = l1[i].is_some() && l1[i].as_deref() == l2[i].as_deref().and_then(|c| vocab.parent_of(c));
            let edge = (i > 0 && l1[i - 1] != l1[i]) || (i + 1 < n && l1[i + 1] != l1[i]);
            if explicit_l1[i].is_none() && parent_of_l2 && edge && form.flags.iter().any(|f| f.field == l2_path) && !form.flags.iter().any(|f| f.field == l1_path) {
                more.push(Flag::new(l1_path, STAGE, LEVEL1_FOLLOWS));
            }
        }
        form.flags.extend(more);
    }
}


/// Viterbi over the 二级 column. `states` are (二级, parent 一级) in
/// vocabulary order; `raw[i]` is the printed (possibly garbled) 二级 text of
/// row i, `None` where a merged cell left the row blank; `l1[i]` the 一级
/// printed on the row. Returns the state index of each row.
///
/// Costs: a printed name costs 6 × (1 − look-alike similarity) to read as a
/// state; a 二级 whose parent is not the row's printed 一级 costs 3; staying
/// in a block costs 0.6 on a labelled row (a merged cell prints one label:
/// a second one there costs more than opening the next block, so a label
/// read as "效益指标" opens a block of its own) and 0 on a blank one;
/// moving forward costs 0.45 + 0.1 per skipped category, backward 3; a
/// block that ends without any label in it costs 2. Ties go to the earlier
/// category (fill down).
pub fn decode_level2(states: &[(String, String)], raw: &[Option<String>], l1: &[Option<String>]) -> Vec<usize> {
    let n = raw.len();
    let k = states.len();
    if n == 0 || k == 0 {
        return Vec::new();
    }
    let conf = crate::Confusables::builtin();
    // state = (category, labelled-in-block) → index c * 2 + seen
    let width = k * 2;
    let inf = f64::INFINITY;
    let emit = |i: usize, c: usize| -> f64 {
        let mut e = 0.0;
        if let Some(t) = &raw[i] {
            let t = crate::normalize(t);
            if !t.is_empty() {
                e += 6.0 * (1.0 - conf.similarity(&t, &states[c].0)).max(0.0);
            } else {
                e += 6.0; // garbled beyond reading: same for every state
            }
        }
        if let Some(p) = &l1[i] {
            if *p != states[c].1 && *p != states[c].0 {
                e += 3.0;
            }
        }
        e
    };
    let mut cost = vec![vec![inf; width]; n];
    let mut back = vec![vec![usize::MAX; width]; n];
    for c in 0..k {
        let seen = raw[0].is_some() as usize;
        cost[0][c * 2 + seen] = emit(0, c);
    }
    for i in 1..n {
        let labelled = raw[i].is_some();
        for c in 0..k {
            let e = emit(i, c);
            for pc in 0..k {
                for ps in 0..2 {
                    let prev = cost[i - 1][pc * 2 + ps];
                    if prev == inf {
                        continue;
                    }
                    let (t, seen) = if pc == c {
                        (if labelled { 0.6 } else { 0.0 }, ps == 1 || labelled)
                    } else {
                        let step = if c > pc { 0.45 + 0.1 * (c - pc - 1) as f64 } else { 3.0 };
                        let unlabelled_block = if ps == 0 { 2.0 } else { 0.0 };
                        (step + unlabelled_block, labelled)
                    };
                    let total = prev + t + e;
                    let idx = c * 2 + seen as usize;
                    // ties: keep the earlier category (strict <, predecessors in order)
                    if total < cost[i][idx] - 1e-9 {
                        cost[i][idx] = total;
                        back[i][idx] = pc * 2 + ps;
                    }
                }
            }
        }
    }
    // a last block without a label costs too
    let mut best = (inf, 0);
    for (idx, c) in cost[n - 1].iter().enumerate().take(width) {
        let extra = if idx % 2 == 0 { 2.0 } else { 0.0 };
        let total = c + extra;
        if total < best.0 - 1e-9 {
            best = (total, idx);
        }
    }
    let mut path = vec![0; n];
    let mut idx = best.1;
    for i in (0..n).rev() {
        path[i] = idx / 2;
        if i > 0 {
            idx = back[i][idx];
            if idx == usize::MAX {
                break;
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_model::{FormKind, IndicatorDraft, Vocabulary};

    fn form(rows: &[(Option<&str>, Option<&str>, bool)]) -> FormDraft {
        FormDraft { indicators: rows
                .iter()
                .map(|(a, b, g)| IndicatorDraft { raw_level1: a.map(str::to_string), raw_level2: b.map(str::to_string), garbled_category: *g, ..Default::default() })
                .collect(), ..FormDraft::new(1, FormKind::SelfEvaluation) }
    }

    fn names(f: &FormDraft) -> Vec<(String, String)> {
        f.indicators.iter().map(|i| (i.level1.clone().unwrap_or_default(), i.level2.clone().unwrap_or_default())).collect()
    }

    #[test]
    fn merged_cells_fill_down_and_parent_gives_level1() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        // 一级 printed mid-block (row 2), 二级 merged over rows 0-1
        let mut f = form(&[(None, Some("数量指标"), false), (None, None, false), (Some("产出指标"), Some("时效指标"), false), (None, Some("经济效益指标"), false)]);
        resolve_categories(&mut f, &m);
        let n = names(&f);
        assert_eq!(n[0], ("产出指标".into(), "数量指标".into()));
        assert_eq!(n[1], ("产出指标".into(), "数量指标".into()));
        assert_eq!(n[3], ("效益指标".into(), "经济效益指标".into()));
    }

    #[test]
    fn label_below_new_level1_fills_up() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        // 一级 changes to 效益指标 with no 二级 printed until the row below
        let mut f = form(&[(None, Some("成本指标"), false), (Some("效益指标"), None, false), (None, Some("社会效益指标"), false)]);
        resolve_categories(&mut f, &m);
        assert_eq!(names(&f)[1], ("效益指标".into(), "社会效益指标".into()));
    }

    #[test]
    fn garbled_cell_is_resolved_by_neighbours_and_flagged() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        // an unreadable label two rows below a printed one: a merged cell
        // prints one label, so it opens the next block, which the blank
        // row below shares
        let mut f = form(&[(None, Some("经济效益指标"), false), (None, None, false), (None, Some("红川双血油"), true), (None, None, false)]);
        resolve_categories(&mut f, &m);
        let l2: Vec<String> = names(&f).into_iter().map(|n| n.1).collect();
        assert_eq!(l2, ["经济效益指标", "经济效益指标", "社会效益指标", "社会效益指标"]);
        assert!(f.flags.iter().any(|fl| fl.field == "indicators[2].level2"));
        // between two printed labels it takes the block the order leaves
        let mut g = form(&[(None, Some("经济效益指标"), false), (None, Some("红川双血油"), true), (None, Some("生态效益指标"), false)]);
        resolve_categories(&mut g, &m);
        assert_eq!(names(&g)[1].1, "社会效益指标");
    }

    #[test]
    fn sequence_decoding_resolves_garbled_cells_by_neighbours_and_look_alikes() {
        let v = Vocabulary::builtin();
        let states: Vec<(String, String)> = v.level1.iter().filter(|l| l.family == "standard").flat_map(|l| l.level2.iter().map(move |c| (c.clone(), l.name.clone()))).collect();
        let name = |k: usize| states[k].0.as_str();
        let raw = |s: &str| Some(s.to_string());
        // 数量 | 双重 旧心 (unreadable) | 医曼指标 (质量, look-alikes) | 质量 | blank
        let path = decode_level2(&states, &[raw("数量指标"), raw("双重 旧心"), raw("医曼指标"), raw("质量指标"), None], &[None, None, None, None, None]);
        let got: Vec<&str> = path.iter().map(|&k| name(k)).collect();
        assert_eq!(got, ["数量指标", "数量指标", "质量指标", "质量指标", "质量指标"]);
        // a new 一级 printed with its 二级 label one row below: fill up, and
        // no block is invented without a label
        let path = decode_level2(&states, &[raw("成本指标"), None, raw("社会效益指标")], &[None, Some("效益指标".into()), None]);
        let got: Vec<&str> = path.iter().map(|&k| name(k)).collect();
        assert_eq!(got, ["成本指标", "社会效益指标", "社会效益指标"]);
    }

    #[test]
    fn damaged_name_matched_with_score_and_logged() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let mut f = form(&[(Some("效益指标 "), Some("社会效益措标"), false)]);
        resolve_categories(&mut f, &m);
        assert_eq!(names(&f)[0].1, "社会效益指标");
        assert!(f.repairs.iter().any(|r| r.field == "indicators[0].level2" && r.after == "社会效益指标"));
        assert!(f.matches.iter().any(|mm| mm.canonical == "社会效益指标" && mm.score < 1.0));
    }

    fn flags_on(f: &FormDraft, path: &str) -> Vec<String> {
        f.flags.iter().filter(|x| x.field == path).map(|x| x.reason.clone()).collect()
    }

    #[test]
    fn a_satisfaction_measure_and_its_category_must_agree_on_a_scan() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let mut f = form(&[(Some("效益指标"), Some("社会效益指标"), false), (None, None, false), (Some("满意度指标"), Some("服务对象满意度指标"), false), (None, None, false)]);
        for (i, n) in ["信息发布数量", "群众满意度", "培训对象满意率", "机制健全性"].iter().enumerate() {
            f.indicators[i].level3 = Some(n.to_string());
        }
        f.ocr = true;
        resolve_categories(&mut f, &m);
        assert!(flags_on(&f, "indicators[0].level2").is_empty() && flags_on(&f, "indicators[2].level2").is_empty());
        assert!(flags_on(&f, "indicators[1].level2").iter().any(|r| r.contains("satisfaction measure outside")));
        assert!(flags_on(&f, "indicators[3].level1").iter().any(|r| r.contains("measures no satisfaction")));
        // the names are left as read, the categories as decoded
        assert_eq!(names(&f)[1], ("效益指标".into(), "社会效益指标".into()));
    }

    #[test]
    fn a_fill_down_into_the_next_level1_block_is_doubted_unless_the_rules_are_drawn() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        // 社会效益指标 labelled on row 0, filled down to row 2, where the
        // 满意度指标 block starts on row 3: row 2 lies below the centre a
        // label on row 0 would have
        let rows = [(Some("效益指标"), Some("社会效益指标"), false), (None, None, false), (None, None, false), (Some("满意度指标"), Some("服务对象满意度指标"), false)];
        let mut text = form(&rows);
        resolve_categories(&mut text, &m);
        assert!(!flags_on(&text, "indicators[2].level2").is_empty());
        // a digital PDF's merged cell comes from its drawn rules: no doubt
        let mut pdf = form(&rows);
        pdf.exact_text = true;
        resolve_categories(&mut pdf, &m);
        assert!(flags_on(&pdf, "indicators[2].level2").is_empty());
        assert_eq!(names(&pdf)[2], ("效益指标".into(), "社会效益指标".into()));
    }

    #[test]
    fn a_noisy_scans_fill_down_far_below_its_label_is_in_doubt() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let rows = [(Some("产出指标"), Some("数量指标"), false), (None, None, false), (None, Some("质量指标"), false), (None, None, false), (None, None, false), (None, None, false)];
        let run = |noise: f64| {
            let mut f = form(&rows);
            f.ocr = true;
            f.ocr_noise = noise;
            resolve_categories(&mut f, &m);
            // (the table shows no 满意度 block: that doubt aside)
            let far = |i: usize, c: &str| flags_on(&f, &format!("indicators[{i}].{c}")).iter().any(|r| !r.contains("no 满意度 block"));
            assert!((1..6).all(|i| !far(i, "level1")));
            (1..6).filter(|&i| far(i, "level2")).collect::<Vec<_>>()
        };
        // 质量指标 printed at row 2, its block's first row: a label centred
        // on its block reaches row 3 at most; rows 4 and 5 may be another
        // block whose label OCR lost (their 一级, inside one 一级 block, not)
        assert_eq!(run(govtab_model::NOISY_OCR + 0.01), vec![4, 5]);
        assert!(run(0.01).is_empty(), "a clean layer loses few labels");
    }

    #[test]
    fn a_noisy_scans_fill_down_past_a_skipped_category_is_in_doubt() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        // 社会效益 on row 0, row 1 blank, 可持续影响 on row 2: row 1 may be
        // 生态效益's, its label lost; row 3 (after 可持续影响, nothing skipped
        // before 满意度's block on row 4) is not doubted on that ground
        let rows = [(Some("效益指标"), Some("社会效益指标"), false), (None, None, false), (None, Some("可持续影响指标"), false), (None, None, false), (Some("满意度指标"), Some("服务对象满意度指标"), false)];
        let run = |noise: f64| {
            let mut f = form(&rows);
            f.ocr = true;
            f.ocr_noise = noise;
            resolve_categories(&mut f, &m);
            (0..5).filter(|i| flags_on(&f, &format!("indicators[{i}].level2")).iter().any(|r| r.contains("skips"))).collect::<Vec<_>>()
        };
        assert_eq!(run(govtab_model::NOISY_OCR + 0.01), vec![1]);
        assert!(run(0.01).is_empty());
    }

    #[test]
    fn a_noisy_scans_table_without_a_satisfaction_block_doubts_its_last_filled_rows() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let run = |rows: &[(Option<&str>, Option<&str>, bool)]| {
            let mut f = form(rows);
            f.ocr = true;
            f.ocr_noise = govtab_model::NOISY_OCR + 0.01;
            resolve_categories(&mut f, &m);
            (0..rows.len()).filter(|i| flags_on(&f, &format!("indicators[{i}].level1")).iter().any(|r| r.contains("no 满意度 block"))).collect::<Vec<_>>()
        };
        // rows 2 and 3 filled down below the last label: the lost block's?
        assert_eq!(run(&[(Some("效益指标"), Some("社会效益指标"), false), (None, Some("可持续影响指标"), false), (None, None, false), (None, None, false)]), vec![2, 3]);
        // the block is there: nothing to doubt
        assert!(run(&[(Some("效益指标"), Some("社会效益指标"), false), (None, None, false), (Some("满意度指标"), Some("服务对象满意度指标"), false), (None, None, false)]).is_empty());
    }

}
