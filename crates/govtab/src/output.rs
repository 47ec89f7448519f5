//! The files `govtab run` writes: records.jsonl and the CSV tables.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use govtab_model::Record;

use crate::fieldpath;
use crate::pipeline::{DocReport, Status};

pub const RECORDS: &str = "records.jsonl";
pub const PROJECTS: &str = "projects.csv";
pub const FUNDS: &str = "funds.csv";
pub const INDICATORS: &str = "indicators.csv";
pub const REPAIRS: &str = "repairs.csv";
pub const REVIEW: &str = "review.csv";
pub const ERRORS: &str = "errors.csv";

pub const PROJECTS_HEADER: [&str; 19] = [
    "doc", "form", "pages", "kind", "year", "project", "department", "implementer", "unit", "goal_expected", "goal_actual",
    "total_weight", "total_score", "grade", "attributes", "n_funds", "n_indicators", "n_repairs", "n_flags",
];
pub const FUNDS_HEADER: [&str; 13] = [
    "doc", "form", "row", "item", "initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score", "amount",
    "flagged", "confidence",
];
pub const INDICATORS_HEADER: [&str; 13] =
    ["doc", "form", "row", "level1", "level2", "level3", "target", "actual", "weight", "score", "deviation", "flagged", "confidence"];
pub const REPAIRS_HEADER: [&str; 7] = ["doc", "form", "field", "stage", "before", "after", "reason"];
pub const REVIEW_HEADER: [&str; 7] = ["doc", "form", "page", "field", "value", "reason", "confidence"];
pub const ERRORS_HEADER: [&str; 5] = ["doc", "path", "page", "stage", "reason"];

/// A number as a CSV cell: f64 `Display` (188.0 → `188`, 0.5 → `0.5`, never
/// an exponent); empty for null and for non-finite values (null in JSON too).
pub fn num(v: Option<f64>) -> String {
    match v {
        Some(0.0) => "0".to_string(), // matches -0.0 too: no "-0"
        Some(x) if x.is_finite() => x.to_string(),
        _ => String::new(),
    }
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// Pages as `1;2` (empty for text dumps).
pub fn pages(pages: &[u32]) -> String {
    pages.iter().map(u32::to_string).collect::<Vec<_>>().join(";")
}

/// Counts over everything written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    pub documents: usize,
    pub converted: usize,
    pub partial: usize,
    pub failed: usize,
    pub pages: usize,
    pub forms: usize,
    pub funds: usize,
    pub indicators: usize,
    pub repairs: usize,
    pub flags: usize,
    pub errors: usize,
}

/// One document's share of every output file, rendered: the exact bytes it
/// contributes to records.jsonl and each CSV table (rows only, no header).
/// This is what `DIR/parts/<key>.json` holds, and the final files are these
/// chunks concatenated in input order, so a part reused from an interrupted
/// run yields the same bytes as one converted now.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Chunks {
    pub records: String,
    pub projects: String,
    pub funds: String,
    pub indicators: String,
    pub repairs: String,
    pub review: String,
    pub errors: String,
}

/// A converted (or failed) document, ready to be stored and combined.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    /// The input path, as given or found by the walk.
    pub path: String,
    /// "converted", "partial" or "failed".
    pub status: String,
    /// Pages read (PDF pages; 1 for a text dump; 0 when nothing was read).
    pub pages: usize,
    pub forms: usize,
    pub funds: usize,
    pub indicators: usize,
    pub repairs: usize,
    pub flags: usize,
    pub errors: usize,
    pub chunks: Chunks,
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Converted => "converted",
        Status::Partial => "partial",
        Status::Failed => "failed",
    }
}

/// CSV rows written into a string, with the same quoting as a file writer.
struct Rows(csv::Writer<Vec<u8>>);

impl Rows {
    fn new() -> Self {
        Rows(csv::Writer::from_writer(Vec::new()))
    }
    fn row<I, T>(&mut self, fields: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        Ok(self.0.write_record(fields)?)
    }
    fn into_string(self) -> Result<String> {
        let bytes = self.0.into_inner().map_err(|e| anyhow::anyhow!("cannot render CSV rows: {}", e.error()))?;
        Ok(String::from_utf8(bytes)?)
    }
}

/// Render one document's records and error rows into its [`Part`].
pub fn render(path: &str, pages: usize, report: &DocReport) -> Result<Part> {
    let mut records = String::new();
    let mut projects = Rows::new();
    let mut funds = Rows::new();
    let mut indicators = Rows::new();
    let mut repairs = Rows::new();
    let mut review = Rows::new();
    let mut errors = Rows::new();
    for r in &report.records {
        records.push_str(&serde_json::to_string(r)?);
        records.push('\n');
        write_record_rows(r, &mut projects, &mut funds, &mut indicators, &mut repairs, &mut review)?;
    }
    for e in &report.errors {
        let page = e.page.map(|p| p.to_string()).unwrap_or_default();
        errors.row([e.doc.as_str(), &e.path, &page, &e.stage, &e.reason])?;
    }
    Ok(Part {
        path: path.to_string(),
        status: status_name(report.status()).to_string(),
        pages,
        forms: report.records.len(),
        funds: report.records.iter().map(|r| r.funds.len()).sum(),
        indicators: report.records.iter().map(|r| r.indicators.len()).sum(),
        repairs: report.records.iter().map(|r| r.repairs.len()).sum(),
        flags: report.records.iter().map(|r| r.flags.len()).sum(),
        errors: report.errors.len(),
        chunks: Chunks {
            records,
            projects: projects.into_string()?,
            funds: funds.into_string()?,
            indicators: indicators.into_string()?,
            repairs: repairs.into_string()?,
            review: review.into_string()?,
            errors: errors.into_string()?,
        },
    })
}

fn write_record_rows(
    r: &Record,
    projects: &mut Rows,
    funds: &mut Rows,
    indicators: &mut Rows,
    repairs: &mut Rows,
    review: &mut Rows,
) -> Result<()> {
    use govtab_assemble::confidence::{cell_confidence, row_confidence};
    let conf = |c: f64| format!("{c:.2}");
    let form = r.form.to_string();
    let pages = pages(&r.pages);
    let attributes = serde_json::to_string(&r.attributes)?;
    projects.row([
        r.doc.as_str(),
        &form,
        &pages,
        &r.kind,
        &r.year.map(|y| y.to_string()).unwrap_or_default(),
        text(&r.project),
        text(&r.department),
        text(&r.implementer),
        text(&r.unit),
        text(&r.goal_expected),
        text(&r.goal_actual),
        &num(r.total_weight),
        &num(r.total_score),
        text(&r.grade),
        &attributes,
        &r.funds.len().to_string(),
        &r.indicators.len().to_string(),
        &r.repairs.len().to_string(),
        &r.flags.len().to_string(),
    ])?;
    let flagged = |list: &str, i: usize| r.flags.iter().any(|f| fieldpath::covers_row(&f.field, list, i)).to_string();
    for (i, f) in r.funds.iter().enumerate() {
        funds.row([
            r.doc.as_str(),
            &form,
            &i.to_string(),
            &f.item,
            &num(f.initial_budget),
            &num(f.annual_budget),
            &num(f.executed),
            &num(f.weight),
            &num(f.execution_rate),
            &num(f.score),
            &num(f.amount),
            &flagged("funds", i),
            &conf(row_confidence(r, "funds", i)),
        ])?;
    }
    for (i, x) in r.indicators.iter().enumerate() {
        indicators.row([
            r.doc.as_str(),
            &form,
            &i.to_string(),
            text(&x.level1),
            text(&x.level2),
            text(&x.level3),
            text(&x.target),
            text(&x.actual),
            &num(x.weight),
            &num(x.score),
            text(&x.deviation),
            &flagged("indicators", i),
            &conf(row_confidence(r, "indicators", i)),
        ])?;
    }
    for p in &r.repairs {
        repairs.row([r.doc.as_str(), &form, &p.field, &p.stage, &p.before, &p.after, &p.reason])?;
    }
    if !r.flags.is_empty() {
        let json = serde_json::to_value(r)?;
        for f in &r.flags {
            let value = fieldpath::lookup(&json, &f.field);
            review.row([r.doc.as_str(), &form, &pages, &f.field, &value, &f.reason, &conf(cell_confidence(r, &f.field))])?;
        }
    }
    Ok(())
}

/// The output files being combined. Each is written under a temporary name
/// and renamed into place by [`Outputs::finish`], so a file in DIR is always
/// a complete one.
pub struct Outputs {
    files: Vec<(&'static str, PathBuf, BufWriter<File>)>,
    dir: PathBuf,
    pub totals: Totals,
}

/// The output files in the order of [`Chunks`], with their CSV headers.
const FILES: [(&str, &[&str]); 7] = [
    (RECORDS, &[]),
    (PROJECTS, &PROJECTS_HEADER),
    (FUNDS, &FUNDS_HEADER),
    (INDICATORS, &INDICATORS_HEADER),
    (REPAIRS, &REPAIRS_HEADER),
    (REVIEW, &REVIEW_HEADER),
    (ERRORS, &ERRORS_HEADER),
];

impl Outputs {
    /// Create `dir` (and parents) and every output file (under a temporary
    /// name), headers written.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create output directory {}", dir.display()))?;
        let mut files = Vec::new();
        for (name, header) in FILES {
            let tmp = dir.join(format!(".{name}.tmp"));
            let file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut w = BufWriter::with_capacity(1 << 16, file);
            if !header.is_empty() {
                let mut rows = Rows::new();
                rows.row(header.iter())?;
                w.write_all(rows.into_string()?.as_bytes()).with_context(|| format!("cannot write {}", tmp.display()))?;
            }
            files.push((name, tmp, w));
        }
        Ok(Outputs { files, dir: dir.to_path_buf(), totals: Totals::default() })
    }

    /// Append one document's rows to every file.
    pub fn append(&mut self, part: &Part) -> Result<()> {
        let c = &part.chunks;
        let chunks = [&c.records, &c.projects, &c.funds, &c.indicators, &c.repairs, &c.review, &c.errors];
        for ((_, tmp, w), chunk) in self.files.iter_mut().zip(chunks) {
            w.write_all(chunk.as_bytes()).with_context(|| format!("cannot write {}", tmp.display()))?;
        }
        self.totals.add(part);
        Ok(())
    }

    /// Flush every file and move it into place; the totals of the run.
    pub fn finish(self) -> Result<Totals> {
        for (name, tmp, w) in self.files {
            let file = w.into_inner().map_err(|e| anyhow::anyhow!("cannot write {}: {}", tmp.display(), e.error()))?;
            file.sync_all().with_context(|| format!("cannot write {}", tmp.display()))?;
            let dest = self.dir.join(name);
            std::fs::rename(&tmp, &dest).with_context(|| format!("cannot move {} to {}", tmp.display(), dest.display()))?;
        }
        Ok(self.totals)
    }
}

impl Totals {
    /// Count one document.
    pub fn add(&mut self, p: &Part) {
        self.documents += 1;
        match p.status.as_str() {
            "converted" => self.converted += 1,
            "partial" => self.partial += 1,
            _ => self.failed += 1,
        }
        self.pages += p.pages;
        self.forms += p.forms;
        self.funds += p.funds;
        self.indicators += p.indicators;
        self.repairs += p.repairs;
        self.flags += p.flags;
        self.errors += p.errors;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_plain() {
        assert_eq!(num(Some(188.0)), "188");
        assert_eq!(num(Some(12.44)), "12.44");
        assert_eq!(num(Some(-0.0)), "0");
        assert_eq!(num(Some(2632000.0)), "2632000");
        assert_eq!(num(Some(1e21)), "1000000000000000000000");
        assert_eq!(num(Some(f64::NAN)), "");
        assert_eq!(num(None), "");
        assert_eq!(pages(&[1, 2]), "1;2");
        assert_eq!(pages(&[]), "");
    }
}
