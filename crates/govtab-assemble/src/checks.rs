//! The form's arithmetic, checked; failures flag the cells involved.

use govtab_model::{Flag, Record};

use crate::STAGE;

const TOL: f64 = 0.011;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

pub fn check(r: &mut Record) {
    let mut flags = Vec::new();
    let funds_weight = r.funds.first().and_then(|f| f.weight);
    let funds_score = r.funds.first().and_then(|f| f.score);
    if r.kind == "self_evaluation" && !r.indicators.is_empty() {
        // score ≤ weight
        for (i, ind) in r.indicators.iter().enumerate() {
            if let (Some(w), Some(s)) = (ind.weight, ind.score) {
                if s > w + TOL {
                    flags.push(Flag::new(format!("indicators[{i}].score"), STAGE, format!("得分 {s} exceeds 分值 {w}")));
                    flags.push(Flag::new(format!("indicators[{i}].weight"), STAGE, format!("得分 {s} exceeds 分值 {w}")));
                }
            }
        }
        // Σ weights (+ funds weight) = total weight (100 when not printed)
        let total_w = r.total_weight.unwrap_or(100.0);
        let missing: Vec<usize> = (0..r.indicators.len()).filter(|&i| r.indicators[i].weight.is_none()).collect();
        if missing.len() == 1 {
            // one unreadable 分值: the sum fixes it
            let i = missing[0];
            let known: f64 = r.indicators.iter().filter_map(|x| x.weight).sum();
            let solved = total_w - funds_weight.unwrap_or(0.0) - known;
            let score_ok = r.indicators[i].score.map(|s| s <= solved + TOL).unwrap_or(true);
            if solved > 0.0 && solved <= total_w && score_ok {
                r.repairs.push(govtab_model::Repair::new(format!("indicators[{i}].weight"), STAGE, "", crate::fmt_num(solved), format!("分值 unreadable; solved from Σ 分值 = {total_w}")));
                r.indicators[i].weight = Some(solved);
                r.flags.retain(|f| f.field != format!("indicators[{i}].weight"));
            }
        }
        let weights: Option<f64> = r.indicators.iter().map(|i| i.weight).sum();
        if let Some(sum) = weights {
            let with_funds = sum + funds_weight.unwrap_or(0.0);
            if !close(with_funds, total_w, 0.05) && !close(sum, total_w, 0.05) {
                let why = format!("分值 sum {with_funds} ≠ total {total_w}");
                for i in 0..r.indicators.len() {
                    flags.push(Flag::new(format!("indicators[{i}].weight"), STAGE, why.clone()));
                }
                if r.total_weight.is_some() {
                    flags.push(Flag::new("total_weight", STAGE, why.clone()));
                }
            }
        }
        // Σ scores (+ funds score) = total score
        if let Some(total_s) = r.total_score {
            let scores: Option<f64> = r.indicators.iter().map(|i| i.score).sum();
            if let Some(sum) = scores {
                let with_funds = sum + funds_score.unwrap_or(0.0);
                if !close(with_funds, total_s, 0.05) && !close(sum, total_s, 0.05) {
                    let why = format!("得分 sum {with_funds} ≠ total {total_s}");
                    flags.push(Flag::new("total_score", STAGE, why.clone()));
                    for i in 0..r.indicators.len() {
                        flags.push(Flag::new(format!("indicators[{i}].score"), STAGE, why.clone()));
                    }
                }
            }
        }
    }
    // sub-rows (其中…) print no 分值/得分
    if r.kind == "self_evaluation" {
        for (i, f) in r.funds.iter().enumerate().skip(1) {
            for (name, v) in [("weight", f.weight), ("score", f.score)] {
                if v.is_some() {
                    flags.push(Flag::new(format!("funds[{i}].{name}"), STAGE, "a sub-row of the funds block prints no 分值/得分"));
                }
            }
        }
    }
    // 执行率 ≈ 全年执行数 / 全年预算数
    for (i, f) in r.funds.iter().enumerate() {
        if let (Some(rate), Some(exec), Some(budget)) = (f.execution_rate, f.executed, f.annual_budget) {
            if budget > 0.0 && !close(rate, exec / budget * 100.0, 0.6) && !(rate >= 100.0 && exec >= budget) {
                flags.push(Flag::new(format!("funds[{i}].execution_rate"), STAGE, format!("执行率 {rate}% ≠ {exec} / {budget}")));
            }
        }
    }
    // 年度资金总额 = Σ parts
    if let Some(total) = r.funds.iter().position(|f| f.item == "年度资金总额" || f.item == "年度资金申请总额") {
        let parts: Vec<usize> = (0..r.funds.len()).filter(|&k| k != total && matches!(r.funds[k].item.as_str(), "当年财政拨款" | "上年结转资金" | "其他资金")).collect();
        if !parts.is_empty() {
            let cols: [(&str, fn(&govtab_model::Fund) -> Option<f64>); 4] = [
                ("initial_budget", |f| f.initial_budget),
                ("annual_budget", |f| f.annual_budget),
                ("executed", |f| f.executed),
                ("amount", |f| f.amount),
            ];
            for (name, get) in cols {
                let Some(t) = get(&r.funds[total]) else { continue };
                let vals: Vec<Option<f64>> = parts.iter().map(|&k| get(&r.funds[k])).collect();
                if vals.iter().all(|v| v.is_none()) {
                    continue;
                }
                let sum: f64 = vals.iter().map(|v| v.unwrap_or(0.0)).sum();
                if !close(sum, t, 0.011 + t.abs() * 1e-9) {
                    let why = format!("年度资金总额 {name} {t} ≠ Σ parts {sum}");
                    // one part whose removal restores the sum is the odd one
                    let culprits: Vec<usize> = parts
                        .iter()
                        .zip(&vals)
                        .filter(|(_, v)| v.map(|v| v != 0.0 && close(sum - v, t, 0.011)).unwrap_or(false))
                        .map(|(k, _)| *k)
                        .collect();
                    match culprits.as_slice() {
                        [k] => flags.push(Flag::new(format!("funds[{k}].{name}"), STAGE, format!("{why}; this value breaks the sum"))),
                        _ => flags.push(Flag::new(format!("funds[{total}].{name}"), STAGE, why)),
                    }
                }
            }
        }
    }
    r.flags.extend(flags);
}
