//! Stage artifacts before the final record: positioned text and form drafts.

use serde::{Deserialize, Serialize};

/// Where the text of a document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A raw text dump (tab/space separated cells, one table row per line at best).
    TextDump,
    /// A PDF with a text layer (digital export or OCR'd scan).
    Pdf,
}

/// An axis-aligned box in PDF user space (points, origin bottom-left).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

/// Where a piece of text came from in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Provenance {
    /// 1-based page (text dumps have one page, 1).
    pub page: u32,
    /// 1-based line within the input (text dumps) or within the page (PDFs).
    pub line: u32,
    /// 0-based column (cell index) within the line as extracted.
    pub col: u32,
}

/// One cell as the extractor saw it: a tab-separated field, a run of words
/// separated by wide gaps, or the text between two ruling lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub text: String,
    /// 0-based column index within the line as extracted (not yet canonical).
    pub col: u32,
    /// Position on the page, for PDFs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<BBox>,
    /// Font size in points, for PDFs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_size: Option<f32>,
    /// Scanned table cells: the number the page picture shows in the cell,
    /// read apart from the OCR text layer (extract's `digits`). When it
    /// differs from the layer's text it replaces it in `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pictured: Option<String>,
    /// The OCR layer's text, when the picture's reading replaced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_text: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>, col: u32) -> Self {
        Cell { text: text.into(), col, bbox: None, font_size: None, pictured: None, ocr_text: None }
    }
}

/// How a line's cells were separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineLayout {
    /// Cells separated by tab characters (empty cells kept).
    Tabbed,
    /// Cells separated by runs of spaces (no empty cells).
    Spaced,
    /// Cells from positioned glyphs (PDF).
    Positioned,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// 1-based line number (text dumps: in the file; PDFs: on the page).
    pub no: u32,
    pub layout: LineLayout,
    pub cells: Vec<Cell>,
    /// Baseline y for PDFs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<f32>,
}

impl Line {
    /// The line's text with cells joined by a tab.
    pub fn joined(&self) -> String {
        let parts: Vec<&str> = self.cells.iter().map(|c| c.text.as_str()).collect();
        parts.join("\t")
    }
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.text.trim().is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based page number.
    pub number: u32,
    /// False when the page has no text layer at all (an image-only scan).
    pub has_text: bool,
    /// True when the text layer was made by OCR (an invisible layer over a
    /// scan): its glyphs may be misread, so later stages doubt more.
    #[serde(default)]
    pub ocr: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<f32>,
    pub lines: Vec<Line>,
}

/// A problem that costs part or all of a document (goes to errors.csv).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// 1-based page, when the problem is one page's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    pub stage: String,
    pub message: String,
}

/// Output of `extract`: a document as pages of lines of cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Base name of the input file, with extension.
    pub doc: String,
    /// Path the document was read from.
    pub path: String,
    pub source: SourceKind,
    /// Text encoding the input was decoded from (text dumps): `utf-8`, `gbk`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    pub pages: Vec<Page>,
    #[serde(default)]
    pub problems: Vec<Problem>,
    #[serde(default)]
    pub repairs: Vec<Repair>,
}

/// Form families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    SelfEvaluation,
    Target,
}

impl FormKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FormKind::SelfEvaluation => "self_evaluation",
            FormKind::Target => "target",
        }
    }
}

/// A labelled header field as found (`项目名称` → `业务保障`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDraft {
    /// The label as printed (possibly damaged).
    pub raw_label: String,
    /// Canonical label (`项目名称`, `主管部门`, `项目类别`, ...).
    pub label: String,
    pub value: String,
    pub at: Provenance,
}

/// One row of the funds block, values still as printed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FundDraft {
    pub raw_item: String,
    /// Canonical item (`年度资金总额`, `当年财政拨款`, ...), set by realign when
    /// the label is recognised and confirmed by `match`.
    pub item: String,
    pub initial_budget: Option<String>,
    pub annual_budget: Option<String>,
    pub executed: Option<String>,
    pub weight: Option<String>,
    pub execution_rate: Option<String>,
    pub score: Option<String>,
    pub amount: Option<String>,
    pub at: Provenance,
}

impl FundDraft {
    /// The row's value cells by record field name, in the record's order.
    pub fn cells(&self) -> [(&'static str, &Option<String>); 7] {
        [
            ("initial_budget", &self.initial_budget),
            ("annual_budget", &self.annual_budget),
            ("executed", &self.executed),
            ("weight", &self.weight),
            ("execution_rate", &self.execution_rate),
            ("score", &self.score),
            ("amount", &self.amount),
        ]
    }
}

/// One row of the indicator table, cells in canonical columns, text as printed
/// (after realign's structural repairs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndicatorDraft {
    /// 一级 cell as printed on this row (None: merged/blank).
    pub raw_level1: Option<String>,
    /// 二级 cell as printed on this row (None: merged/blank).
    pub raw_level2: Option<String>,
    /// Canonical 一级/二级 names, set by `match` (filled down over merged cells).
    pub level1: Option<String>,
    pub level2: Option<String>,
    pub level3: Option<String>,
    pub target: Option<String>,
    pub actual: Option<String>,
    pub weight: Option<String>,
    pub score: Option<String>,
    pub deviation: Option<String>,
    /// True when realign saw a cell in the 一级/二级 columns that matched no
    /// category (garbled); match resolves it from the neighbours and flags it.
    #[serde(default)]
    pub garbled_category: bool,
    pub at: Provenance,
}

/// A name matched against the vocabulary (kept for `explain`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameMatch {
    pub field: String,
    pub raw: String,
    pub canonical: String,
    /// 0..1, 1 = exact.
    pub score: f64,
    pub method: String,
}

/// A form as realign found it and match named it.
/// OCR noise (`FormDraft::ocr_noise`, Latin letters per OCR'd character)
/// from which a document's text layer is taken as badly damaged throughout:
/// labels and glyphs are lost often enough that what the layout infers from
/// them (a merged cell filled down, a text cell) is in doubt. Measured on
/// our scans: lightly damaged documents 0.012–0.032, heavily damaged
/// 0.046–0.108.
pub const NOISY_OCR: f64 = 0.045;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDraft {
    /// 1-based order within the document.
    pub form: u32,
    pub kind: FormKind,
    /// Layout family of the indicator table: `standard` or `2020`
    /// (一级目标/二级目标/三级目标/指标目标值).
    #[serde(default = "standard_layout")]
    pub layout: String,
    pub title: String,
    pub pages: Vec<u32>,
    /// Some page of the form has an OCR text layer.
    #[serde(default)]
    pub ocr: bool,
    /// The form's text is a digital PDF's own text layer (no OCR, no text
    /// dump): its glyphs are as printed and its table cells come from the
    /// drawn rules, so what the form prints is a fact, not a reading.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exact_text: bool,
    /// OCR noise of the document's text layer: the share of Latin letters
    /// among its OCR'd characters (a Chinese form prints few; a bad scan's
    /// OCR makes many). 0 without OCR.
    #[serde(default)]
    pub ocr_noise: f64,
    /// First and last input line of the form (text dumps) for `explain`.
    pub first_line: u32,
    pub last_line: u32,
    pub year: Option<i32>,
    pub unit: Option<String>,
    pub fields: Vec<FieldDraft>,
    pub funds: Vec<FundDraft>,
    pub goal_expected: Option<String>,
    pub goal_actual: Option<String>,
    pub indicators: Vec<IndicatorDraft>,
    pub total_weight: Option<String>,
    pub total_score: Option<String>,
    pub grade: Option<String>,
    #[serde(default)]
    pub matches: Vec<NameMatch>,
    /// Field paths whose number the page picture shows as the OCR layer
    /// read it (two readings made apart agree; see `Cell::pictured`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pictured: Vec<String>,
    #[serde(default)]
    pub repairs: Vec<Repair>,
    #[serde(default)]
    pub flags: Vec<Flag>,
}

impl FormDraft {
    /// An empty form of `kind`, number `form` (fill the rest with `..`).
    pub fn new(form: u32, kind: FormKind) -> Self {
        FormDraft {
            form,
            kind,
            layout: standard_layout(),
            title: String::new(),
            pages: Vec::new(),
            ocr: false,
            exact_text: false,
            ocr_noise: 0.0,
            first_line: 0,
            last_line: 0,
            year: None,
            unit: None,
            fields: Vec::new(),
            funds: Vec::new(),
            goal_expected: None,
            goal_actual: None,
            indicators: Vec::new(),
            total_weight: None,
            total_score: None,
            grade: None,
            matches: Vec::new(),
            pictured: Vec::new(),
            repairs: Vec::new(),
            flags: Vec::new(),
        }
    }
}

fn standard_layout() -> String {
    "standard".to_string()
}

/// Output of `realign` and of `match`: the forms of one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormSet {
    pub doc: String,
    pub path: String,
    pub source: SourceKind,
    /// `realign` or `match`: the stage that wrote this artifact.
    pub stage: String,
    pub forms: Vec<FormDraft>,
    #[serde(default)]
    pub problems: Vec<Problem>,
}

/// Output of `assemble`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordSet {
    pub doc: String,
    pub path: String,
    pub records: Vec<crate::record::Record>,
    #[serde(default)]
    pub problems: Vec<Problem>,
}

/// The reason of realign's repair that names a funds row whose label OCR
/// garbled by its place in the block; assemble confirms such rows when the
/// block's sums hold, and lifts their doubt.
pub const FUND_ROW_BY_PLACE: &str = "row label unreadable; named by its place in the funds block";

/// The reason of the repair (stage `extract`, placed on its field by
/// realign) that replaced what the OCR layer misread (a number, or a cell
/// printed like others the layer read) by what the page picture shows;
/// assemble takes such a row's OCR text as damaged.
pub const PICTURED: &str = "read from the page picture; the OCR layer read otherwise";

/// A change the pipeline made to the printed text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repair {
    /// Field path in the record (`indicators[2].level2`), or `*`.
    pub field: String,
    pub stage: String,
    pub before: String,
    pub after: String,
    pub reason: String,
}

/// A cell the pipeline doubts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// Field path in the record, a whole row (`indicators[3]`), or `*`.
    pub field: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stage: String,
}

impl Repair {
    pub fn new(field: impl Into<String>, stage: &str, before: impl Into<String>, after: impl Into<String>, reason: impl Into<String>) -> Self {
        Repair { field: field.into(), stage: stage.to_string(), before: before.into(), after: after.into(), reason: reason.into() }
    }
}

impl Flag {
    pub fn new(field: impl Into<String>, stage: &str, reason: impl Into<String>) -> Self {
        Flag { field: field.into(), reason: reason.into(), stage: stage.to_string() }
    }
}
