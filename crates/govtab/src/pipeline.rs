//! One document through the stages: `extract → realign → match → assemble`,
//! with panics contained and every problem turned into an error row.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

use govtab_extract::ExtractError;
use govtab_model::{Document, FormSet, Problem, Record, RecordSet, Vocabulary};

/// The four stages, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum StageName {
    Extract,
    Realign,
    Match,
    Assemble,
}

impl StageName {
    pub const ALL: [StageName; 4] = [StageName::Extract, StageName::Realign, StageName::Match, StageName::Assemble];

    pub fn as_str(self) -> &'static str {
        match self {
            StageName::Extract => "extract",
            StageName::Realign => "realign",
            StageName::Match => "match",
            StageName::Assemble => "assemble",
        }
    }

    /// File name of this stage's artifact under `artifacts/<doc>/`.
    pub fn artifact_file(self) -> &'static str {
        match self {
            StageName::Extract => "1-extract.json",
            StageName::Realign => "2-realign.json",
            StageName::Match => "3-match.json",
            StageName::Assemble => "4-assemble.json",
        }
    }
}

/// Where a document enters the pipeline.
#[derive(Debug)]
pub enum Start {
    /// An input file, to extract.
    Input(PathBuf),
    /// A saved extract artifact.
    Document(Document),
    /// A saved realign artifact.
    Realigned(FormSet),
    /// A saved match artifact.
    Matched(FormSet),
    /// A saved assemble artifact (nothing left to run).
    Records(RecordSet),
}

/// What the stages produced. Intermediate artifacts are kept only when asked
/// for; the problems of every stage are always collected (deduplicated, as
/// stages pass their input's problems on).
#[derive(Debug, Default)]
pub struct Trace {
    pub document: Option<Document>,
    pub realigned: Option<FormSet>,
    pub matched: Option<FormSet>,
    pub records: Option<RecordSet>,
    pub problems: Vec<Problem>,
    /// Pages of the extracted document (0 until a document is read).
    pub pages: usize,
}

impl Trace {
    fn add_problems(&mut self, problems: &[Problem]) {
        for p in problems {
            if !self.problems.contains(p) {
                self.problems.push(p.clone());
            }
        }
    }

    /// The artifact a stage wrote, as the JSON text of its artifact file,
    /// if it was kept.
    pub fn artifact_json(&self, stage: StageName) -> Option<anyhow::Result<String>> {
        use crate::artifact_io::to_json;
        match stage {
            StageName::Extract => self.document.as_ref().map(to_json),
            StageName::Realign => self.realigned.as_ref().map(to_json),
            StageName::Match => self.matched.as_ref().map(to_json),
            StageName::Assemble => self.records.as_ref().map(to_json),
        }
    }
}

/// Why a document stopped before its records.
#[derive(Debug)]
pub enum Failure {
    Extract(ExtractError),
    Panic(Panicked),
}

impl Failure {
    /// The `stage` column of errors.csv.
    pub fn stage(&self) -> &'static str {
        match self {
            Failure::Extract(_) => "extract",
            Failure::Panic(_) => "panic",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Extract(e) => e.fmt(f),
            Failure::Panic(p) => p.fmt(f),
        }
    }
}

/// A stage panicked; the panic was caught and its message kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Panicked {
    pub stage: &'static str,
    pub message: String,
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} stage panicked: {}", self.stage, self.message)
    }
}

/// Run `start` through the stages up to and including `until` (all of them
/// when `None`). With `keep`, every artifact is kept in the trace (for
/// `--keep-artifacts`, `stage` and `explain`); without, only the records.
/// A panic in any stage is caught: the trace then holds what the earlier
/// stages produced.
pub fn process(start: Start, vocab: &Vocabulary, keep: bool, until: Option<StageName>) -> (Trace, Result<(), Failure>) {
    let mut trace = Trace::default();
    let stage = Cell::new("extract");
    let result = guard(|| advance(start, vocab, keep, until, &mut trace, &stage));
    let result = match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Failure::Extract(e)),
        Err(message) => Err(Failure::Panic(Panicked { stage: stage.get(), message })),
    };
    (trace, result)
}

fn advance(
    start: Start,
    vocab: &Vocabulary,
    keep: bool,
    until: Option<StageName>,
    trace: &mut Trace,
    stage: &Cell<&'static str>,
) -> Result<(), ExtractError> {
    let done = |s: StageName| until == Some(s);
    let mut next = start;
    loop {
        next = match next {
            Start::Input(path) => {
                stage.set("extract");
                let doc = govtab_extract::extract_path(&path)?;
                trace.pages = doc.pages.len();
                if done(StageName::Extract) {
                    trace.add_problems(&doc.problems);
                    trace.document = Some(doc);
                    return Ok(());
                }
                Start::Document(doc)
            }
            // Each input artifact is put in the trace before its stage runs,
            // so that after a panic the trace still holds it (for replay).
            Start::Document(doc) => {
                trace.pages = doc.pages.len();
                trace.add_problems(&doc.problems);
                stage.set("realign");
                let set = govtab_realign::realign(trace.document.insert(doc), vocab);
                if done(StageName::Realign) {
                    trace.add_problems(&set.problems);
                    trace.realigned = Some(set);
                    return Ok(());
                }
                if !keep {
                    trace.document = None;
                }
                Start::Realigned(set)
            }
            Start::Realigned(set) => {
                trace.add_problems(&set.problems);
                stage.set("match");
                if keep {
                    trace.realigned = Some(set.clone());
                }
                let matched = govtab_match::match_forms(set, vocab);
                if done(StageName::Match) {
                    trace.add_problems(&matched.problems);
                    trace.matched = Some(matched);
                    return Ok(());
                }
                Start::Matched(matched)
            }
            Start::Matched(set) => {
                trace.add_problems(&set.problems);
                stage.set("assemble");
                let records = govtab_assemble::assemble(trace.matched.insert(set), vocab);
                if !keep {
                    trace.matched = None;
                }
                Start::Records(records)
            }
            Start::Records(records) => {
                trace.add_problems(&records.problems);
                trace.records = Some(records);
                return Ok(());
            }
        };
    }
}

thread_local! {
    /// True while the current thread runs inside [`guard`].
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    /// The message of the last panic caught by [`guard`] on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static QUIET_HOOK: Once = Once::new();

/// Install, once per process, a panic hook that records the message of a
/// panic inside [`guard`] instead of printing it, and defers to the previous
/// hook everywhere else (a panic in govtab's own code still reports loudly).
fn install_quiet_hook() {
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) {
                let message = info.payload_as_str().unwrap_or("(non-text panic payload)");
                let message = match info.location() {
                    Some(at) => format!("{message} (at {}:{}:{})", at.file(), at.line(), at.column()),
                    None => message.to_string(),
                };
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
            } else {
                previous(info);
            }
        }));
    });
}

/// Run `f`, turning a panic into `Err(message)` without printing anything.
pub fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    LAST_PANIC.with(|p| p.borrow_mut().take());
    let was = GUARDED.with(|g| g.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was));
    result.map_err(|_| LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| "unknown panic".to_string()))
}

/// One row of errors.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRow {
    pub doc: String,
    pub path: String,
    pub page: Option<u32>,
    pub stage: String,
    pub reason: String,
}

/// How far a document got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Records, and no error row.
    Converted,
    /// Records and error rows (e.g. one page without a text layer).
    Partial,
    /// No record.
    Failed,
}

/// What `govtab run` keeps of one input.
#[derive(Debug)]
pub struct DocReport {
    pub records: Vec<Record>,
    pub errors: Vec<ErrorRow>,
}

impl DocReport {
    /// An input that never reached a stage (an unreadable directory entry).
    pub fn unreadable(path: &Path, stage: &str, reason: String) -> Self {
        let doc = govtab_extract::doc_name(path);
        let path = path.display().to_string();
        let errors = vec![ErrorRow { doc, path, page: None, stage: stage.to_string(), reason }];
        DocReport { records: Vec::new(), errors }
    }

    /// The report of a processed input: its records, and one error row per
    /// failure, per problem, and for a document without any form.
    pub fn from_trace(path: &Path, trace: &mut Trace, result: &Result<(), Failure>) -> Self {
        let fallback_doc = govtab_extract::doc_name(path);
        let doc = trace.records.as_ref().map(|r| r.doc.clone()).unwrap_or(fallback_doc);
        let path = path.display().to_string();
        let records = trace.records.as_mut().map(|r| std::mem::take(&mut r.records)).unwrap_or_default();
        let row = |page, stage: &str, reason: String| ErrorRow { doc: doc.clone(), path: path.clone(), page, stage: stage.to_string(), reason };
        let mut errors: Vec<ErrorRow> = Vec::new();
        if let Err(failure) = result {
            errors.push(row(None, failure.stage(), failure.to_string()));
        }
        errors.extend(trace.problems.iter().map(|p| row(p.page, &p.stage, p.message.clone())));
        if result.is_ok() && records.is_empty() {
            errors.push(row(None, "realign", "no form found in document".to_string()));
        }
        DocReport { records, errors }
    }

    pub fn status(&self) -> Status {
        match (self.records.is_empty(), self.errors.is_empty()) {
            (true, _) => Status::Failed,
            (false, true) => Status::Converted,
            (false, false) => Status::Partial,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_a_panic_into_its_message() {
        let r: Result<(), String> = guard(|| panic!("boom {}", 42));
        let message = r.unwrap_err();
        assert!(message.starts_with("boom 42 (at "), "{message}");
        assert_eq!(guard(|| 7), Ok(7));
        // Outside a guard the flag is off again.
        assert!(!GUARDED.with(Cell::get));
    }

    #[test]
    fn guard_catches_panics_on_rayon_workers() {
        use rayon::prelude::*;
        let results: Vec<Result<u32, String>> =
            (0..8u32).into_par_iter().map(|i| guard(|| if i % 2 == 0 { panic!("even {i}") } else { i })).collect();
        for (i, r) in results.iter().enumerate() {
            if i % 2 == 0 {
                assert!(r.as_ref().unwrap_err().starts_with(&format!("even {i}")));
            } else {
                assert_eq!(r, &Ok(i as u32));
            }
        }
    }

    #[test]
    fn problems_are_deduplicated_across_stages() {
        let p = Problem { page: Some(2), stage: "extract".into(), message: "no text layer".into() };
        let mut t = Trace::default();
        t.add_problems(std::slice::from_ref(&p));
        t.add_problems(&[p.clone(), Problem { page: None, stage: "realign".into(), message: "x".into() }]);
        assert_eq!(t.problems.len(), 2);
    }

    #[test]
    fn a_document_without_forms_gets_one_error_row() {
        let mut trace = Trace {
            records: Some(RecordSet { doc: "a.txt".into(), path: "d/a.txt".into(), records: vec![], problems: vec![] }),
            ..Trace::default()
        };
        let report = DocReport::from_trace(Path::new("d/a.txt"), &mut trace, &Ok(()));
        assert_eq!(report.status(), Status::Failed);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].stage, "realign");
        assert_eq!(report.errors[0].reason, "no form found in document");
    }

    #[test]
    fn a_panic_becomes_a_panic_row() {
        let mut trace = Trace::default();
        let failure = Failure::Panic(Panicked { stage: "match", message: "oops".into() });
        let report = DocReport::from_trace(Path::new("a.txt"), &mut trace, &Err(failure));
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].stage, "panic");
        assert_eq!(report.errors[0].reason, "match stage panicked: oops");
    }
}
