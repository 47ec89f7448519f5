//! End to end on the seeds: `govtab run samples/seeds` against the gold
//! records in samples/gold, cell by cell, with a minimum agreement per seed.
//!
//! A cell is one value of one form (`project`, `attributes.项目类别`,
//! `funds[0].executed`, `indicators[3].target`); `doc`, `form` and `pages`
//! are keys, `repairs` and `flags` are ignored. Gold form N is compared with
//! predicted form N; predicted forms with no gold form are ignored (gold may
//! cover only some forms, as `003_*.forms1-7.jsonl` does). Agreement = equal
//! cells / cells that are non-empty on either side. Values compare as
//! score.py does, roughly: empty = null = "", numbers within 0.005 (a
//! numeric string or a trailing % counts as the number), text with
//! whitespace removed. `../shared/eval/score.py` remains the reference score.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{code, govtab, read_jsonl, samples, seeds, stderr};
use serde_json::Value;

/// At most this many mismatching cells are printed per seed.
const MAX_SHOWN: usize = 200;

/// The cells of a record: path → value.
fn cells(record: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Some(obj) = record.as_object() else { return out };
    for (key, value) in obj {
        match key.as_str() {
            "doc" | "form" | "pages" | "repairs" | "flags" => {}
            "attributes" => {
                for (k, v) in value.as_object().into_iter().flatten() {
                    out.insert(format!("attributes.{k}"), v.clone());
                }
            }
            "funds" | "indicators" => {
                for (i, row) in value.as_array().into_iter().flatten().enumerate() {
                    for (k, v) in row.as_object().into_iter().flatten() {
                        out.insert(format!("{key}[{i}].{k}"), v.clone());
                    }
                }
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').replace(',', "").parse().ok(),
        _ => None,
    }
}

fn squash(v: &Value) -> String {
    match v {
        Value::String(s) => s.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace(">=", "≥").replace("<=", "≤"),
        other => other.to_string(),
    }
}

fn same(gold: Option<&Value>, pred: Option<&Value>) -> bool {
    match (gold, pred) {
        _ if is_empty(gold) || is_empty(pred) => is_empty(gold) && is_empty(pred),
        (Some(g), Some(p)) => match (as_number(g), as_number(p)) {
            (Some(a), Some(b)) => (a - b).abs() <= 0.005,
            _ => squash(g) == squash(p),
        },
        _ => false,
    }
}

fn show(v: Option<&Value>) -> String {
    let s = match v {
        None => "∅".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let s = s.replace('\n', "⏎");
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

struct Agreement {
    equal: usize,
    total: usize,
    forms: (usize, usize),
    mismatches: Vec<String>,
}

impl Agreement {
    fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.equal as f64 / self.total as f64
        }
    }
}

fn compare(gold: &[Value], pred: &[Value]) -> Agreement {
    let mut a = Agreement { equal: 0, total: 0, forms: (0, gold.len()), mismatches: Vec::new() };
    let empty = Value::Object(Default::default());
    for g in gold {
        let form = &g["form"];
        let p = pred.iter().find(|p| &p["form"] == form);
        if p.is_some() {
            a.forms.0 += 1;
        } else {
            a.mismatches.push(format!("form {form}: missing"));
        }
        let (gc, pc) = (cells(g), cells(p.unwrap_or(&empty)));
        let keys: std::collections::BTreeSet<&String> = gc.keys().chain(pc.keys()).collect();
        for key in keys {
            let (gv, pv) = (gc.get(key), pc.get(key));
            if is_empty(gv) && is_empty(pv) {
                continue;
            }
            a.total += 1;
            if same(gv, pv) {
                a.equal += 1;
            } else if p.is_some() {
                a.mismatches.push(format!("form {form}\t{key}\tgold={}\tpred={}", show(gv), show(pv)));
            }
        }
    }
    a
}

fn gold_for(stem: &str) -> Vec<PathBuf> {
    let dir = samples().join("gold");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("samples/gold exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.ends_with(".jsonl") && name.starts_with(&format!("{stem}."))
        })
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap_or_default().to_string_lossy().into_owned()
}

/// Convert one seed and compare it with its gold records; fail below `min`.
fn check_seed(stem: &str, min: f64) {
    let seed = seeds().into_iter().find(|s| self::stem(s) == stem).unwrap_or_else(|| panic!("samples/seeds/{stem}.txt missing"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = govtab(["run".as_ref(), seed.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(code(&run), 0, "a seed converts without errors; stderr:\n{}", stderr(&run));
    let records = read_jsonl(&out.join("records.jsonl"));
    let doc = seed.file_name().unwrap().to_string_lossy().into_owned();
    let gold_files = gold_for(stem);
    assert!(!gold_files.is_empty(), "no samples/gold/{stem}*.jsonl for seed {stem}");
    let gold: Vec<Value> = gold_files.iter().flat_map(|f| read_jsonl(f)).collect();
    let pred: Vec<Value> = records.iter().filter(|r| r["doc"] == doc.as_str()).cloned().collect();
    let a = compare(&gold, &pred);
    eprintln!("{stem}: agreement {:.4} ({}/{} cells, {}/{} gold forms present, minimum {min})", a.fraction(), a.equal, a.total, a.forms.0, a.forms.1);
    if a.fraction() < min {
        eprintln!("{stem}: mismatching cells (form, field, gold, pred):");
        for m in a.mismatches.iter().take(MAX_SHOWN) {
            eprintln!("  {m}");
        }
    }
    assert_eq!(a.forms.0, a.forms.1, "{stem}: every gold form is produced");
    assert!(a.fraction() >= min, "{stem}: agreement {:.4} below {min}", a.fraction());
}

// One test per seed. The minimums are what the pipeline reaches today: a
// drop is a regression. 001/002/004 must match their gold exactly; 000
// misses one year the form never prints; 003 is the damaged OCR dump
// (interleaved goal columns, garbled cells) — see README "What is measured".

#[test]
fn seed_000_self_evaluation_with_html_goals() {
    check_seed("000_16e961fe39d33cb9", 0.99);
}

#[test]
fn seed_001_target_forms_with_shifted_columns() {
    check_seed("001_b77bacefdec74463", 1.0);
}

#[test]
fn seed_002_2020_target_forms_space_separated() {
    check_seed("002_5c9dd2b99f62a0b4", 1.0);
}

#[test]
fn seed_003_damaged_ocr_and_flattened_tables() {
    check_seed("003_629677cc3d34dfdd", 0.93);
}

#[test]
fn seed_004_merged_cells_and_page_breaks() {
    check_seed("004_1c7597119af05248", 1.0);
}

#[test]
fn the_comparison_itself() {
    let gold = serde_json::json!({
        "doc": "a.txt", "form": 1, "pages": [], "project": "业务 保障", "year": 2023, "grade": null,
        "attributes": {"项目类别": "一般"},
        "funds": [{"item": "年度资金总额", "executed": 188.0, "execution_rate": 100.0}],
        "indicators": [{"target": ">=95%", "deviation": ""}],
        "repairs": [{"field": "*"}], "flags": []
    });
    let pred = serde_json::json!({
        "doc": "a.txt", "form": 1, "pages": [], "project": "业务保障", "year": 2024, "grade": "",
        "attributes": {"项目类别": "一般"},
        "funds": [{"item": "年度资金总额", "executed": 188.001, "execution_rate": "100.00%"}],
        "indicators": [{"target": "≥95%", "deviation": null}],
        "repairs": [], "flags": [{"field": "year"}]
    });
    let a = compare(std::slice::from_ref(&gold), std::slice::from_ref(&pred));
    // project, attributes.项目类别, funds item/executed/execution_rate, target equal; year differs.
    assert_eq!((a.equal, a.total), (6, 7), "{:?}", a.mismatches);
    assert!(a.mismatches.iter().any(|m| m.contains("year")));
    let missing = compare(&[gold], &[]);
    assert_eq!(missing.equal, 0);
    assert_eq!(missing.forms, (0, 1));
}
