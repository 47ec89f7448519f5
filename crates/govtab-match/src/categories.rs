//! Canonical 一级/二级 names for a whole indicator table.
//!
//! The table is decoded as a sequence: merged cells leave rows blank, labels
//! sit at the centre of their block, OCR garbles some of them. Each row's
//! printed cells are matched alone first; blanks are then filled down (and
//! up, before the first label of a block), a 二级 name never outlives a
//! change of 一级 it does not belong to, and a 一级 name follows from its
//! 二级 name when it is not printed.

use govtab_model::{Flag, FormDraft, NameMatch, Repair};

use crate::{CatMatch, Level, Matcher};

const STAGE: &str = "match";

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
        let c1 = ind.raw_level1.as_deref().and_then(|t| m.category(t, &family));
        let c2 = ind.raw_level2.as_deref().and_then(|t| m.category(t, &family));
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

    // 2. 二级 column: fill down, up to the first label, never across a 一级
    //    change the name does not belong to.
    let vocab = m.vocab;
    let mut l2: Vec<Option<String>> = rows.iter().map(|r| r.l2.as_ref().map(|c| c.name.clone())).collect();
    let explicit_l1: Vec<Option<String>> = rows.iter().map(|r| r.l1.as_ref().map(|c| c.name.clone())).collect();
    let mut how: Vec<&'static str> = vec!["printed"; n];
    let mut current: Option<String> = None;
    let mut current_l1: Option<String> = None;
    for i in 0..n {
        if let Some(l1) = &explicit_l1[i] {
            if current_l1.as_deref() != Some(l1) {
                current_l1 = Some(l1.clone());
                // the running 二级 belongs to another 一级: forget it
                if let Some(c) = &current {
                    if vocab.parent_of(c) != Some(l1.as_str()) && !(vocab.is_level1(c) && c == l1) {
                        current = None;
                    }
                }
            }
        }
        match &l2[i] {
            Some(name) => current = Some(name.clone()),
            None => {
                if let Some(c) = &current {
                    l2[i] = Some(c.clone());
                    how[i] = if form.indicators[i].garbled_category { "garbled, filled down" } else { "merged cell, filled down" };
                }
            }
        }
    }
    // fill up: rows before a block's first label take the next label below
    // when that label belongs to the row's 一级 (or the row has none).
    let mut next: Option<String> = None;
    for i in (0..n).rev() {
        if rows[i].l2.is_some() {
            next = l2[i].clone();
        } else if l2[i].is_none() {
            if let Some(nx) = &next {
                l2[i] = Some(nx.clone());
                how[i] = "merged cell, label printed below";
            }
        }
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
        // the boundary between the two merged cells is not visible
        if rows[i].l2.is_none() && !ind.garbled_category && how[i] == "merged cell, filled down" {
            let next = (i + 1..n).find(|&k| rows[k].l1.is_some() || rows[k].l2.is_some());
            if let Some(k) = next {
                let next_l1 = explicit_l1[k].clone().or_else(|| l2[k].as_deref().and_then(|c| vocab.parent_of(c)).map(str::to_string));
                if next_l1.is_some() && next_l1 != l1[i] && rows[k].l2.is_some() {
                    let nearer_next = k - i <= i.saturating_sub((0..i).rev().find(|&p| rows[p].l2.is_some()).unwrap_or(0));
                    if nearer_next {
                        form.flags.push(Flag::new(format!("indicators[{i}].level2"), STAGE, "block boundary not visible: merged-cell label may belong to the next block"));
                        form.flags.push(Flag::new(format!("indicators[{i}].level1"), STAGE, "block boundary not visible: merged-cell label may belong to the next block"));
                    }
                }
            }
        }
        ind.level1 = l1[i].clone();
        ind.level2 = l2[i].clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_model::{FormKind, IndicatorDraft, Vocabulary};

    fn form(rows: &[(Option<&str>, Option<&str>, bool)]) -> FormDraft {
        FormDraft {
            form: 1, kind: FormKind::SelfEvaluation, layout: "standard".into(), title: String::new(), pages: vec![], first_line: 0, last_line: 0,
            year: None, unit: None, fields: vec![], funds: vec![], goal_expected: None, goal_actual: None,
            indicators: rows
                .iter()
                .map(|(a, b, g)| IndicatorDraft { raw_level1: a.map(str::to_string), raw_level2: b.map(str::to_string), garbled_category: *g, ..Default::default() })
                .collect(),
            total_weight: None, total_score: None, grade: None, matches: vec![], repairs: vec![], flags: vec![],
        }
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
        let mut f = form(&[(None, Some("经济效益指标"), false), (None, Some("红川双血油"), true)]);
        resolve_categories(&mut f, &m);
        assert_eq!(names(&f)[1].1, "经济效益指标");
        assert!(f.flags.iter().any(|fl| fl.field == "indicators[1].level2"));
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
}
