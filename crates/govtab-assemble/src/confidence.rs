//! Confidence of a record's cells, from the evidence the stages left:
//! flags (doubt), repairs (what was changed and why), and the checks a cell
//! took part in. 1.0 is "printed clean and consistent"; a flagged cell is at
//! most 0.4, an unreadable one 0.2.

use govtab_model::Record;

/// Does a flag or repair at `at` concern the cell `path` (itself, its row, or `*`)?
fn covers(at: &str, path: &str) -> bool {
    if at == "*" || at == path {
        return true;
    }
    // a row path ("indicators[3]") covers its cells
    path.strip_prefix(at).map(|rest| rest.starts_with('.')).unwrap_or(false)
}

/// Confidence in 0..1 of the cell at `path` (`indicators[3].target`, …).
pub fn cell_confidence(r: &Record, path: &str) -> f64 {
    let mut c: f64 = 1.0;
    for f in r.flags.iter().filter(|f| covers(&f.field, path)) {
        let cap = if f.reason.contains("unreadable") || f.reason.contains("no 二级") || f.reason.contains("not found") { 0.2 } else { 0.4 };
        c = c.min(cap);
    }
    for rep in r.repairs.iter().filter(|x| x.field == path) {
        let v = match rep.stage.as_str() {
            // arithmetic forced the value
            "assemble" if rep.reason.contains("misread digit") || rep.reason.contains("solved from") => 0.8,
            // name matched: the match score, parsed from "(similarity 0.83)"
            "match" => rep
                .reason
                .split("similarity ")
                .nth(1)
                .and_then(|s| s.trim_end_matches(|ch: char| !ch.is_ascii_digit()).parse::<f64>().ok())
                .map(|s| (0.5 + s / 2.0).min(0.95))
                .unwrap_or(0.85),
            "assemble" => 0.97, // formatting (comparators, separators)
            _ => 0.9,           // structural: rejoined, moved, filled
        };
        c = c.min(v);
    }
    c
}

/// The lowest confidence among the cells of a row (`funds[1]`, `indicators[0]`).
pub fn row_confidence(r: &Record, list: &str, i: usize) -> f64 {
    let fields: &[&str] = match list {
        "funds" => &["item", "initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score", "amount"],
        _ => &["level1", "level2", "level3", "target", "actual", "weight", "score", "deviation"],
    };
    fields.iter().map(|f| cell_confidence(r, &format!("{list}[{i}].{f}"))).fold(1.0, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_model::{Flag, Indicator, Repair};

    #[test]
    fn flags_and_repairs_lower_confidence() {
        let mut r = Record {
            doc: "t".into(), form: 1, pages: vec![], kind: "target".into(), year: None, project: None, department: None, implementer: None,
            unit: None, attributes: Default::default(), funds: vec![], goal_expected: None, goal_actual: None,
            indicators: vec![Indicator::default(), Indicator::default()], total_weight: None, total_score: None, grade: None,
            repairs: vec![], flags: vec![],
        };
        assert_eq!(cell_confidence(&r, "indicators[0].target"), 1.0);
        r.repairs.push(Repair::new("indicators[0].level2", "match", "医曼指标", "质量指标", "category name matched (similarity 0.85)"));
        r.flags.push(Flag::new("indicators[1]", "realign", "row lacks 分值"));
        let c = cell_confidence(&r, "indicators[0].level2");
        assert!(c > 0.9 && c < 1.0, "{c}");
        assert_eq!(cell_confidence(&r, "indicators[1].target"), 0.4);
        assert_eq!(row_confidence(&r, "indicators", 1), 0.4);
        assert_eq!(row_confidence(&r, "indicators", 0), c);
    }
}
