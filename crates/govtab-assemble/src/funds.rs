//! The funds block held against its template (`fund_template` in the
//! vocabulary: the rows a form kind always prints and the cells each fills).
//!
//! On a scan OCR may lose a whole row (`当年财政拨款` and its amounts) or a
//! cell. A lost row is put back in its place with its item and no values —
//! each of its printed cells flagged, for the arithmetic to solve or a person
//! to read — and a printed cell left empty is flagged. Nothing is invented:
//! values stay `null` unless the sums force them ([`crate::checks`]).

use govtab_model::{vocab::FundTemplateRow, Flag, Fund, Record, Repair, Vocabulary};

use crate::STAGE;

/// The template rows of the record's kind.
pub fn template<'v>(r: &Record, v: &'v Vocabulary) -> Vec<&'v FundTemplateRow> {
    v.fund_template.iter().filter(|t| t.kind.as_str() == r.kind).collect()
}

/// Put back the template rows OCR lost, in template order (rows that are
/// not in the template follow). Paths of flags and repairs follow their
/// rows; the returned list gives each old row's new index.
pub fn complete_rows(r: &mut Record, tpl: &[&FundTemplateRow]) -> Vec<usize> {
    let same: Vec<usize> = (0..r.funds.len()).collect();
    if r.funds.is_empty() || !r.funds.iter().any(|f| tpl.iter().any(|t| t.item == f.item)) {
        return same;
    }
    let mut old: Vec<Option<Fund>> = r.funds.drain(..).map(Some).collect();
    let mut new_index = vec![0usize; old.len()];
    let mut rows: Vec<Fund> = Vec::new();
    let mut added: Vec<usize> = Vec::new();
    for t in tpl {
        match old.iter().position(|f| f.as_ref().map(|f| f.item == t.item).unwrap_or(false)) {
            Some(k) => {
                new_index[k] = rows.len();
                rows.extend(old[k].take());
            }
            None => {
                added.push(rows.len());
                rows.push(Fund { item: t.item.clone(), ..Default::default() });
            }
        }
    }
    for (k, f) in old.iter_mut().enumerate() {
        if let Some(f) = f.take() {
            new_index[k] = rows.len();
            rows.push(f);
        }
    }
    r.funds = rows;
    let remap = |field: &mut String| {
        if let Some(rest) = field.strip_prefix("funds[") {
            if let Some((k, tail)) = rest.split_once(']') {
                if let Some(&j) = k.parse::<usize>().ok().and_then(|k| new_index.get(k)) {
                    *field = format!("funds[{j}]{tail}");
                }
            }
        }
    };
    r.flags.iter_mut().for_each(|f| remap(&mut f.field));
    r.repairs.iter_mut().for_each(|x| remap(&mut x.field));
    let new_index = new_index.clone();
    for j in added {
        let item = r.funds[j].item.clone();
        r.repairs.push(Repair::new(format!("funds[{j}].item"), STAGE, "", &item, "funds row lost by OCR: the form kind always prints it (values not read)"));
        if let Some(t) = tpl.iter().find(|t| t.item == item) {
            for c in &t.cells {
                r.flags.push(Flag::new(format!("funds[{j}].{c}"), STAGE, "funds row lost by OCR; value not read"));
            }
        }
    }
    new_index
}

/// Flag the printed cells of template rows that are still empty after the
/// checks (OCR dropped them), unless already flagged.
pub fn flag_unread_cells(r: &mut Record, tpl: &[&FundTemplateRow]) {
    let mut flags = Vec::new();
    for (j, f) in r.funds.iter().enumerate() {
        let Some(t) = tpl.iter().find(|t| t.item == f.item) else { continue };
        for c in &t.cells {
            let path = format!("funds[{j}].{c}");
            if crate::checks::get(r, &path).is_none() && !r.flags.iter().any(|x| x.field == path || x.field == format!("funds[{j}]")) {
                flags.push(Flag::new(path, STAGE, "printed cell not read (OCR)"));
            }
        }
    }
    r.flags.extend(flags);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(items: &[&str]) -> Record {
        Record {
            doc: "t".into(), form: 1, pages: vec![], kind: "self_evaluation".into(), year: None, project: None, department: None,
            implementer: None, unit: None, attributes: Default::default(),
            funds: items.iter().map(|i| Fund { item: i.to_string(), initial_budget: Some(1.0), ..Default::default() }).collect(),
            goal_expected: None, goal_actual: None, indicators: vec![], total_weight: None, total_score: None, grade: None,
            repairs: vec![], flags: vec![],
        }
    }

    #[test]
    fn a_lost_row_is_put_back_in_place_and_paths_follow() {
        let v = Vocabulary::builtin();
        let mut r = record(&["年度资金总额", "上年结转资金", "其他资金"]);
        r.flags.push(Flag::new("funds[1].annual_budget", "assemble", "unreadable number 'x'"));
        let tpl = template(&r, &v);
        complete_rows(&mut r, &tpl);
        let items: Vec<&str> = r.funds.iter().map(|f| f.item.as_str()).collect();
        assert_eq!(items, ["年度资金总额", "当年财政拨款", "上年结转资金", "其他资金"]);
        // the old funds[1] (上年结转资金) is funds[2] now
        assert!(r.flags.iter().any(|f| f.field == "funds[2].annual_budget" && f.reason.contains("unreadable")));
        // the new row: no values, its printed cells flagged
        assert_eq!(r.funds[1].initial_budget, None);
        for c in ["initial_budget", "annual_budget", "executed"] {
            assert!(r.flags.iter().any(|f| f.field == format!("funds[1].{c}")), "{c}");
        }
        // an empty printed cell of a row that was read is flagged too
        flag_unread_cells(&mut r, &tpl);
        assert!(r.flags.iter().any(|f| f.field == "funds[0].weight" && f.reason.contains("not read")));
    }

    #[test]
    fn a_form_without_a_funds_block_gets_none() {
        let v = Vocabulary::builtin();
        let mut r = record(&[]);
        let tpl = template(&r, &v);
        complete_rows(&mut r, &tpl);
        assert!(r.funds.is_empty() && r.flags.is_empty());
    }
}
