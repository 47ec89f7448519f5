//! Stage 2, **realign**: [`Document`] → [`FormSet`] (`stage = "realign"`).
//!
//! In: a document as lines of cells, whatever their damage.
//! Out: forms, each with header fields, funds rows, goal texts and indicator
//! rows whose cells sit in their canonical columns (text still as printed;
//! category *names* are resolved by `match`).
//!
//! What lives where:
//! - [`clean`]: per-cell cleaning — leaked HTML tags, border junk, spaces
//!   inside CJK words;
//! - [`segment`]: splitting a document into forms at each title line;
//! - [`cells`]: typing a cell (category, number, value, text, junk);
//! - [`header`]: labelled header fields (`项目名称`, `主管部门`, …), values
//!   wrapped over several cells or lines; on scans, labels OCR garbled read
//!   by their place, values that ran into the next label cut, the values a
//!   document's forms share;
//! - [`funds`]: the funds block (self-evaluation 6-column rows, target
//!   forms' single amounts; rows with unreadable labels named by place; on
//!   a scan, a block whose header is unreadable starts at its first row of
//!   numbers);
//! - [`goals`]: 预期目标 / 实际完成情况 texts, interleaved columns separated;
//! - [`table`]: the indicator table — shifted columns (a row that gained or
//!   lost a leading cell), merged 一级/二级 cells, labels printed on a line of
//!   their own, wrapped and page-broken 三级 cells (rejoined, duplicates
//!   dropped), garbled category cells (kept as such for `match`), totals;
//!   on OCR pages, a header OCR lost (the table starts at its first
//!   一级/二级 row), a value and its 分值 run into one cell, lone specks,
//!   a row's cells moved one right by a category in the 三级 cell, marks
//!   that slid into the value places;
//! - [`flat`]: tables flattened into one line, values printed before their
//!   labels, rebuilt into rows;
//! - [`pictured`]: numbers extract read from a scan's page picture, carried
//!   to the fields they became (a repair where the OCR layer read
//!   otherwise).
//!
//! Here too: the document's money unit shared by its forms, and its OCR
//! noise (`FormDraft::ocr_noise`) measured for `assemble`.
//!
//! Every structural change is a [`govtab_model::Repair`] on the form; every
//! doubtful cell a [`govtab_model::Flag`].

pub mod cells;
pub mod clean;
pub mod flat;
pub mod funds;
pub mod goals;
pub mod header;
pub mod pictured;
pub mod segment;
pub mod table;

use govtab_match::Matcher;
use govtab_model::{Document, FormDraft, FormSet, Repair, Stage, Vocabulary};

pub(crate) const STAGE: &str = "realign";

/// Realign a whole document.
pub fn realign(doc: &Document, vocab: &Vocabulary) -> FormSet {
    let m = Matcher::new(vocab);
    let lines = clean::clean_document(doc);
    let mut forms = Vec::new();
    for (i, seg) in segment::split_forms(&lines, &m).into_iter().enumerate() {
        forms.push(segment::parse_form(seg, i as u32 + 1, &m));
    }
    header::doc_consensus(&mut forms);
    unit_consensus(&mut forms);
    pictured::attach(doc, &mut forms, vocab);
    let noise = ocr_noise(doc);
    for f in forms.iter_mut().filter(|f| f.ocr) {
        f.ocr_noise = noise;
    }
    FormSet {
        doc: doc.doc.clone(),
        path: doc.path.clone(),
        source: doc.source,
        stage: STAGE.into(),
        forms,
        problems: doc.problems.clone(),
    }
}

/// A scanned form whose money unit OCR left unreadable prints the unit the
/// document's other forms print, when they all agree (a repair; the
/// agreement of the other forms is the evidence, so no flag); a unit read
/// from a damaged label that a clean one confirms is no longer in doubt.
fn unit_consensus(forms: &mut [FormDraft]) {
    let units: std::collections::BTreeSet<String> = forms.iter().filter_map(|f| f.unit.clone()).collect();
    let units: Vec<String> = units.into_iter().collect();
    let [unit] = units.as_slice() else { return };
    // a unit read from a damaged label that forms with a clean label confirm
    let damaged = |f: &FormDraft| f.flags.iter().any(|x| x.field == "unit");
    if forms.iter().any(|f| f.unit.is_some() && !damaged(f)) {
        for f in forms.iter_mut().filter(|f| f.unit.as_ref() == Some(unit)) {
            f.flags.retain(|x| x.field != "unit");
        }
    }
    for f in forms.iter_mut().filter(|f| f.ocr && f.unit.is_none()) {
        f.repairs.push(Repair::new("unit", STAGE, "", unit, "unit unreadable; the document's other forms all print it"));
        f.unit = Some(unit.clone());
    }
}

/// Share of Latin letters among the non-space characters of the OCR'd
/// pages (see `FormDraft::ocr_noise`): of the OCR layer as it was, before
/// extract read cells again from the page picture.
fn ocr_noise(doc: &Document) -> f64 {
    let (mut latin, mut all) = (0usize, 0usize);
    let cells = doc.pages.iter().filter(|p| p.ocr).flat_map(|p| p.lines.iter()).flat_map(|l| l.cells.iter());
    for c in cells.flat_map(|c| c.ocr_text.as_deref().unwrap_or(&c.text).chars()).filter(|c| !c.is_whitespace()) {
        all += 1;
        latin += usize::from(c.is_ascii_alphabetic());
    }
    if all == 0 { 0.0 } else { latin as f64 / all as f64 }
}

pub struct Realign<'v>(pub &'v Vocabulary);

impl Stage for Realign<'_> {
    type Input = Document;
    type Output = FormSet;
    const NAME: &'static str = "realign";
    fn run(&self, input: Document) -> FormSet {
        realign(&input, self.0)
    }
}
