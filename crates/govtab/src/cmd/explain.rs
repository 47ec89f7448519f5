//! `govtab explain FILE [--form N]`: what each stage did to each form, as
//! aligned text on stdout.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use govtab_model::{Document, Flag, FormDraft, Record, Repair, SourceKind};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::artifact_io::{sniff, Artifact};
use crate::cli::{ExplainArgs, EXIT_FATAL, EXIT_OK};
use crate::pipeline::{self, Start, Trace};

/// Widest a before/after/raw value is shown before it is cut with `…`.
const MAX_VALUE_WIDTH: usize = 36;

pub fn explain(args: &ExplainArgs) -> Result<ExitCode> {
    let vocab = args.vocab.load()?;
    let file = &args.file;
    let start = match sniff(file)? {
        Some(Artifact::Document(d)) => Start::Document(d),
        Some(Artifact::FormSet(f)) if f.stage == "realign" => Start::Realigned(f),
        Some(Artifact::FormSet(f)) => Start::Matched(f),
        Some(Artifact::RecordSet(r)) => Start::Records(r),
        None => Start::Input(file.clone()),
    };
    let (trace, result) = pipeline::process(start, &vocab, true, None);
    let nothing = trace.document.is_none() && trace.realigned.is_none() && trace.matched.is_none() && trace.records.is_none();
    if let (Err(failure), true) = (&result, nothing) {
        bail!("{}: {failure}", file.display());
    }
    let text = render(file, &trace, args.form)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|_| out.flush()).context("cannot write to standard output")?;
    if let Err(failure) = result {
        eprintln!("govtab: {}: {failure} (shown above: the stages before it)", file.display());
        return Ok(ExitCode::from(EXIT_FATAL));
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// One form as the stages left it: its draft (realign/match) and its record.
struct FormView<'a> {
    form: u32,
    realigned: Option<&'a FormDraft>,
    matched: Option<&'a FormDraft>,
    record: Option<&'a Record>,
}

fn render(file: &Path, trace: &Trace, only: Option<u32>) -> Result<String> {
    let realigned: &[FormDraft] = trace.realigned.as_ref().map(|s| s.forms.as_slice()).unwrap_or_default();
    let matched: &[FormDraft] = trace.matched.as_ref().map(|s| s.forms.as_slice()).unwrap_or_default();
    let records: &[Record] = trace.records.as_ref().map(|s| s.records.as_slice()).unwrap_or_default();
    let numbers: BTreeSet<u32> =
        realigned.iter().map(|f| f.form).chain(matched.iter().map(|f| f.form)).chain(records.iter().map(|r| r.form)).collect();
    if let Some(n) = only {
        if !numbers.contains(&n) {
            let have = numbers.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            bail!("{} has no form {n} (forms: {})", file.display(), if have.is_empty() { "none" } else { &have });
        }
    }

    let mut out = String::new();
    let doc = trace.records.as_ref().map(|r| r.doc.as_str()).or(trace.document.as_ref().map(|d| d.doc.as_str()));
    let _ = writeln!(out, "{}  ({})", doc.unwrap_or("?"), file.display());
    let mut head: Vec<Vec<String>> = Vec::new();
    if let Some(d) = &trace.document {
        head.push(vec!["source".into(), describe_source(d)]);
        for r in &d.repairs {
            head.push(vec!["repair".into(), format!("{}  {}  {} → {}  {}", r.stage, r.field, quote(&r.before), quote(&r.after), r.reason)]);
        }
    }
    // Forms are known once realign has run (it may have panicked).
    let forms_known = trace.realigned.is_some() || trace.matched.is_some() || trace.records.is_some();
    if forms_known {
        head.push(vec!["forms".into(), numbers.len().to_string()]);
    }
    for p in &trace.problems {
        let page = p.page.map(|n| format!("page {n}: ")).unwrap_or_default();
        head.push(vec!["problem".into(), format!("{page}{}: {}", p.stage, p.message)]);
    }
    out.push_str(&table(&head, "  "));
    if forms_known && numbers.is_empty() {
        out.push_str("\nno form found in document\n");
    }

    for &n in numbers.iter().filter(|&&n| only.is_none_or(|o| o == n)) {
        let view = FormView {
            form: n,
            realigned: realigned.iter().find(|f| f.form == n),
            matched: matched.iter().find(|f| f.form == n),
            record: records.iter().find(|r| r.form == n),
        };
        out.push('\n');
        render_form(&mut out, &view, numbers.len());
    }
    Ok(out)
}

fn describe_source(d: &Document) -> String {
    let kind = match d.source {
        SourceKind::TextDump => "text dump",
        SourceKind::Pdf => "PDF",
    };
    let lines: usize = d.pages.iter().map(|p| p.lines.len()).sum();
    let mut s = format!("{kind}, {} page(s), {lines} lines", d.pages.len());
    if let Some(enc) = &d.encoding {
        let _ = write!(s, ", {enc}");
    }
    let blind = d.pages.iter().filter(|p| !p.has_text).count();
    if blind > 0 {
        let _ = write!(s, ", {blind} page(s) without text layer");
    }
    s
}

fn render_form(out: &mut String, v: &FormView<'_>, total: usize) {
    let draft = v.matched.or(v.realigned);
    let title = draft.map(|d| d.title.as_str()).filter(|t| !t.is_empty()).unwrap_or("(untitled)");
    let _ = writeln!(out, "Form {} of {total}: {title}", v.form);

    let mut head: Vec<Vec<String>> = Vec::new();
    let kind = draft.map(|d| d.kind.as_str()).or(v.record.map(|r| r.kind.as_str())).unwrap_or("?");
    head.push(vec!["kind".into(), kind.into()]);
    if let Some(d) = draft {
        let mut input = format!("lines {}–{}", d.first_line, d.last_line);
        if !d.pages.is_empty() {
            let _ = write!(input, ", page(s) {}", crate::output::pages(&d.pages));
        }
        head.push(vec!["input".into(), input]);
    }
    match v.record {
        Some(r) => {
            if let Some(p) = &r.project {
                head.push(vec!["project".into(), p.clone()]);
            }
            if let Some(y) = r.year {
                head.push(vec!["year".into(), y.to_string()]);
            }
            head.push(vec![
                "record".into(),
                format!("{} funds, {} indicators, {} attributes", r.funds.len(), r.indicators.len(), r.attributes.len()),
            ]);
        }
        None => head.push(vec!["record".into(), "none (assemble produced no record for this form)".into()]),
    }
    out.push_str(&table(&head, "  "));

    // Repairs of every stage, each once, grouped by the stage that made them.
    let mut repairs: Vec<&Repair> = Vec::new();
    let drafts = [v.realigned, v.matched];
    for r in drafts.iter().flatten().flat_map(|d| d.repairs.iter()).chain(v.record.iter().flat_map(|r| r.repairs.iter())) {
        if !repairs.contains(&r) {
            repairs.push(r);
        }
    }
    let mut stages: Vec<&str> = vec!["realign", "match", "assemble"];
    for r in &repairs {
        if !stages.contains(&r.stage.as_str()) {
            stages.push(&r.stage);
        }
    }
    for stage in stages {
        let rows: Vec<Vec<String>> = repairs
            .iter()
            .filter(|r| r.stage == stage)
            .map(|r| vec![r.field.clone(), quote(&r.before), "→".into(), quote(&r.after), r.reason.clone()])
            .collect();
        let heading = match stage {
            "realign" => "realign: cells moved / structural repairs".to_string(),
            other => format!("{other}: repairs"),
        };
        section(out, &heading, &rows);
        if stage == "match" {
            let rows: Vec<Vec<String>> = v
                .matched
                .map(|d| d.matches.as_slice())
                .unwrap_or_default()
                .iter()
                .map(|m| vec![m.field.clone(), cut(&m.raw), "→".into(), m.canonical.clone(), format!("{:.2}", m.score), m.method.clone()])
                .collect();
            section(out, "match: names matched (raw → canonical, score, method)", &rows);
        }
    }

    let mut flags: Vec<&Flag> = Vec::new();
    for f in drafts.iter().flatten().flat_map(|d| d.flags.iter()).chain(v.record.iter().flat_map(|r| r.flags.iter())) {
        if !flags.iter().any(|g| g.field == f.field && g.reason == f.reason) {
            flags.push(f);
        }
    }
    let rows: Vec<Vec<String>> = flags
        .iter()
        .map(|f| {
            let stage = if f.stage.is_empty() { String::new() } else { format!("[{}]", f.stage) };
            vec![f.field.clone(), f.reason.clone(), stage]
        })
        .collect();
    section(out, "flags (cells to review)", &rows);
}

fn section(out: &mut String, heading: &str, rows: &[Vec<String>]) {
    if rows.is_empty() {
        let _ = writeln!(out, "  {heading}: none");
    } else {
        let _ = writeln!(out, "  {heading}: {}", rows.len());
        out.push_str(&table(rows, "    "));
    }
}

/// Rows as aligned columns (display width, so CJK text lines up); the last
/// column is not padded.
fn table(rows: &[Vec<String>], indent: &str) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = indent.to_string();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                line.push_str(&" ".repeat(widths[i] - cell.width() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A value cut to [`MAX_VALUE_WIDTH`] columns, on one line.
fn cut(s: &str) -> String {
    let s = s.replace(['\n', '\r', '\t'], " ");
    if s.width() <= MAX_VALUE_WIDTH {
        return s;
    }
    let mut out = String::new();
    let mut width = 0;
    for c in s.chars() {
        width += c.width().unwrap_or(0);
        if width > MAX_VALUE_WIDTH - 1 {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", cut(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_by_display_width() {
        let rows = vec![vec!["质量".to_string(), "x".to_string()], vec!["ab".to_string(), "y".to_string()]];
        assert_eq!(table(&rows, ""), "质量  x\nab    y\n");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "很".repeat(40);
        let c = cut(&long);
        assert!(c.ends_with('…') && c.width() <= MAX_VALUE_WIDTH, "{c}");
        assert_eq!(cut("a\nb"), "a b");
    }
}
