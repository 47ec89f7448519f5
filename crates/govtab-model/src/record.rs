//! The record every form becomes (`records.jsonl`), as fixed by
//! `schema/records.md`: field names and meanings must not change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::artifact::{Flag, Repair};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fund {
    pub item: String,
    pub initial_budget: Option<f64>,
    pub annual_budget: Option<f64>,
    pub executed: Option<f64>,
    pub weight: Option<f64>,
    pub execution_rate: Option<f64>,
    pub score: Option<f64>,
    pub amount: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub level1: Option<String>,
    pub level2: Option<String>,
    pub level3: Option<String>,
    pub target: Option<String>,
    pub actual: Option<String>,
    pub weight: Option<f64>,
    pub score: Option<f64>,
    pub deviation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub doc: String,
    pub form: u32,
    pub pages: Vec<u32>,
    pub kind: String,
    pub year: Option<i32>,
    pub project: Option<String>,
    pub department: Option<String>,
    pub implementer: Option<String>,
    pub unit: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub funds: Vec<Fund>,
    pub goal_expected: Option<String>,
    pub goal_actual: Option<String>,
    pub indicators: Vec<Indicator>,
    pub total_weight: Option<f64>,
    pub total_score: Option<f64>,
    pub grade: Option<String>,
    pub repairs: Vec<Repair>,
    pub flags: Vec<Flag>,
}
