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
    pub forms: usize,
    pub funds: usize,
    pub indicators: usize,
    pub repairs: usize,
    pub flags: usize,
    pub errors: usize,
}

/// The open output files of one run.
pub struct Outputs {
    records: BufWriter<File>,
    projects: csv::Writer<File>,
    funds: csv::Writer<File>,
    indicators: csv::Writer<File>,
    repairs: csv::Writer<File>,
    review: csv::Writer<File>,
    errors: csv::Writer<File>,
    dir: PathBuf,
    pub totals: Totals,
}

fn csv_file(dir: &Path, name: &str, header: &[&str]) -> Result<csv::Writer<File>> {
    let path = dir.join(name);
    let mut w = csv::Writer::from_path(&path).with_context(|| format!("cannot create {}", path.display()))?;
    w.write_record(header).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(w)
}

impl Outputs {
    /// Create `dir` (and parents) and every output file, headers written.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create output directory {}", dir.display()))?;
        let records_path = dir.join(RECORDS);
        let records =
            File::create(&records_path).with_context(|| format!("cannot create {}", records_path.display()))?;
        Ok(Outputs {
            records: BufWriter::new(records),
            projects: csv_file(dir, PROJECTS, &PROJECTS_HEADER)?,
            funds: csv_file(dir, FUNDS, &FUNDS_HEADER)?,
            indicators: csv_file(dir, INDICATORS, &INDICATORS_HEADER)?,
            repairs: csv_file(dir, REPAIRS, &REPAIRS_HEADER)?,
            review: csv_file(dir, REVIEW, &REVIEW_HEADER)?,
            errors: csv_file(dir, ERRORS, &ERRORS_HEADER)?,
            dir: dir.to_path_buf(),
            totals: Totals::default(),
        })
    }

    /// Append one document's records and error rows to every file.
    pub fn write_doc(&mut self, report: &DocReport) -> Result<()> {
        self.write_doc_inner(report).with_context(|| format!("cannot write output in {}", self.dir.display()))?;
        let t = &mut self.totals;
        t.documents += 1;
        match report.status() {
            Status::Converted => t.converted += 1,
            Status::Partial => t.partial += 1,
            Status::Failed => t.failed += 1,
        }
        t.forms += report.records.len();
        for r in &report.records {
            t.funds += r.funds.len();
            t.indicators += r.indicators.len();
            t.repairs += r.repairs.len();
            t.flags += r.flags.len();
        }
        t.errors += report.errors.len();
        Ok(())
    }

    fn write_doc_inner(&mut self, report: &DocReport) -> Result<()> {
        for r in &report.records {
            serde_json::to_writer(&mut self.records, r)?;
            self.records.write_all(b"\n")?;
            self.write_record_rows(r)?;
        }
        for e in &report.errors {
            let page = e.page.map(|p| p.to_string()).unwrap_or_default();
            self.errors.write_record([e.doc.as_str(), &e.path, &page, &e.stage, &e.reason])?;
        }
        Ok(())
    }

    fn write_record_rows(&mut self, r: &Record) -> Result<()> {
        use govtab_assemble::confidence::{cell_confidence, row_confidence};
        let conf = |c: f64| format!("{c:.2}");
        let form = r.form.to_string();
        let pages = pages(&r.pages);
        let attributes = serde_json::to_string(&r.attributes)?;
        self.projects.write_record([
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
            self.funds.write_record([
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
            self.indicators.write_record([
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
            self.repairs.write_record([r.doc.as_str(), &form, &p.field, &p.stage, &p.before, &p.after, &p.reason])?;
        }
        if !r.flags.is_empty() {
            let json = serde_json::to_value(r)?;
            for f in &r.flags {
                let value = fieldpath::lookup(&json, &f.field);
                self.review.write_record([r.doc.as_str(), &form, &pages, &f.field, &value, &f.reason, &conf(cell_confidence(r, &f.field))])?;
            }
        }
        Ok(())
    }

    /// Flush every file; the totals of the run.
    pub fn finish(mut self) -> Result<Totals> {
        let dir = self.dir.display().to_string();
        self.records.flush().with_context(|| format!("cannot write {dir}/{RECORDS}"))?;
        for (w, name) in [
            (&mut self.projects, PROJECTS),
            (&mut self.funds, FUNDS),
            (&mut self.indicators, INDICATORS),
            (&mut self.repairs, REPAIRS),
            (&mut self.review, REVIEW),
            (&mut self.errors, ERRORS),
        ] {
            w.flush().with_context(|| format!("cannot write {dir}/{name}"))?;
        }
        Ok(self.totals)
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
