//! The closed vocabulary of the forms, loaded from `pipelines/vocab.toml`.
//!
//! The default vocabulary is compiled in; `Vocabulary::from_toml` reads
//! another one (for a region whose forms print other names).

use serde::Deserialize;

use crate::artifact::FormKind;

#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    #[error("vocabulary: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("vocabulary: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct TitleRule {
    pub kind: FormKind,
    pub markers: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Level1 {
    pub name: String,
    /// Form family the category belongs to (`standard` or `2020`).
    #[serde(default = "standard_family")]
    pub family: String,
    pub level2: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldRule {
    pub label: String,
    pub field: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub long: bool,
    #[serde(default)]
    pub money: bool,
    /// A date (`2024-12-31`): on a scan, text OCR ran on after it is cut.
    #[serde(default)]
    pub date: bool,
    /// The closed list of values the field takes (是/否, 优/良/中/差); a value
    /// read outside it is flagged.
    #[serde(default)]
    pub values: Vec<String>,
    /// Values the field usually takes (an open list: others are kept as
    /// read). On a scan, a value within a few look-alike glyphs or specks
    /// of exactly one of them is read as it.
    #[serde(default)]
    pub known: Vec<String>,
}

/// One row of a form kind's funds block: its item and the cells it always
/// fills (record field names).
#[derive(Debug, Clone, Deserialize)]
pub struct FundTemplateRow {
    pub kind: FormKind,
    pub item: String,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Vocabulary {
    pub titles: Vec<TitleRule>,
    pub title_prefixes: Vec<String>,
    pub not_titles: Vec<String>,
    pub level1: Vec<Level1>,
    pub fields: Vec<FieldRule>,
    pub fund_items: Vec<String>,
    pub fund_order: Vec<String>,
    /// The rows every funds block prints, by form kind, in order.
    #[serde(default)]
    pub fund_template: Vec<FundTemplateRow>,
    pub fund_block_labels: Vec<String>,
    pub fund_columns: Vec<String>,
    pub goal_labels: Vec<String>,
    pub goal_expected_labels: Vec<String>,
    pub goal_actual_labels: Vec<String>,
    pub indicator_headers: Vec<String>,
    pub block_labels: Vec<String>,
    pub total_labels: Vec<String>,
    pub grade_labels: Vec<String>,
    pub section_headings: Vec<String>,
    pub label_pairs: Vec<[String; 2]>,
    pub digit_confusions: Vec<String>,
    pub comparator_misreads: Vec<[String; 2]>,
    pub units: Vec<String>,
    /// 三级指标 names learned from a dump (`govtab vocab build`); empty
    /// unless loaded with `--level3-vocab`.
    #[serde(default)]
    pub level3: Vec<String>,
    pub qualitative_values: Vec<String>,
    /// Words 三级 names end with (满意度, 及时性 …): an OCR'd name whose
    /// ending is one misread glyph or one stray glyph from exactly one of
    /// them gets it back (flagged).
    #[serde(default)]
    pub level3_suffixes: Vec<String>,
    pub block_label_chars: String,
    /// The vertical label beside the goals block, in reading order.
    pub vertical_goal_label: String,
    /// Every glyph of the vertical labels beside the goals block (and the
    /// 项目绩效 label some forms print there).
    pub goal_label_chars: String,
    /// 三级 names ending so are rates: their values carry '%'.
    pub rate_suffixes: Vec<String>,
    /// [name ending, unit]: a 三级 name ending so counts in that unit (次数 →
    /// 次); a value of it whose unit OCR made '%' or unreadable gets it.
    #[serde(default)]
    pub unit_by_name_ending: Vec<[String; 2]>,
    pub family_2020_headers: Vec<String>,
    /// The points a self-evaluation form is scored out of (its 总分 分值).
    #[serde(default = "default_full_marks")]
    pub full_marks: f64,
    /// Glyphs Chinese uses alone as words (的, 和, 率, 性 …): a glyph that
    /// forms no word with its neighbours and is not one of these is a likely
    /// misread (see `govtab_match::lexicon`).
    #[serde(default)]
    pub standalone_glyphs: String,
}

fn default_full_marks() -> f64 {
    100.0
}

fn standard_family() -> String {
    "standard".to_string()
}

/// The default vocabulary file, compiled in.
pub const DEFAULT_VOCAB: &str = include_str!("../../../pipelines/vocab.toml");

impl Vocabulary {
    pub fn from_toml(text: &str) -> Result<Self, VocabError> {
        let v: Vocabulary = toml::from_str(text)?;
        if v.level1.is_empty() {
            return Err(VocabError::Invalid("no [[level1]] categories".into()));
        }
        Ok(v)
    }

    /// The compiled-in vocabulary.
    pub fn builtin() -> Self {
        // The file is part of the build; a parse failure is a build defect
        // caught by this crate's tests, never input-derived.
        Self::from_toml(DEFAULT_VOCAB).expect("pipelines/vocab.toml is valid")
    }

    /// All 一级 names.
    pub fn level1_names(&self) -> impl Iterator<Item = &str> {
        self.level1.iter().map(|l| l.name.as_str())
    }

    /// All (二级, parent 一级) pairs in vocabulary order.
    pub fn level2_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.level1.iter().flat_map(|l| l.level2.iter().map(move |n| (n.as_str(), l.name.as_str())))
    }

    pub fn parent_of(&self, level2: &str) -> Option<&str> {
        self.level2_pairs().find(|(n, _)| *n == level2).map(|(_, p)| p)
    }

    pub fn is_level1(&self, name: &str) -> bool {
        self.level1.iter().any(|l| l.name == name)
    }

    pub fn is_level2(&self, name: &str) -> bool {
        self.level2_pairs().any(|(n, _)| n == name)
    }

    /// Digit pairs OCR confuses, both directions.
    pub fn digit_pairs(&self) -> Vec<(char, char)> {
        let mut out = Vec::new();
        for p in &self.digit_confusions {
            let cs: Vec<char> = p.chars().filter(|c| !c.is_whitespace()).collect();
            if let [a, b] = cs[..] {
                out.push((a, b));
                out.push((b, a));
            }
        }
        out
    }

    pub fn field(&self, label: &str) -> Option<&FieldRule> {
        self.fields.iter().find(|f| f.label == label)
    }

    /// Record path of a canonical header label (`项目名称` → `project`,
    /// `项目类别` → `attributes.项目类别`).
    pub fn field_path(&self, label: &str) -> String {
        match self.field(label).map(|f| f.field.as_str()) {
            Some("attributes") | None => format!("attributes.{label}"),
            Some(field) => field.to_string(),
        }
    }

    /// Kind of form a title line announces, if any.
    pub fn title_kind(&self, text: &str) -> Option<FormKind> {
        if self.not_titles.iter().any(|n| text.contains(n.as_str())) {
            return None;
        }
        self.titles
            .iter()
            .find(|t| t.markers.iter().any(|m| text.contains(m.as_str())))
            .map(|t| t.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_vocabulary_parses_and_knows_parents() {
        let v = Vocabulary::builtin();
        assert_eq!(v.parent_of("质量指标"), Some("产出指标"));
        assert_eq!(v.parent_of("服务对象满意度指标"), Some("满意度指标"));
        assert_eq!(v.parent_of("长效管理"), Some("影响力目标"));
        assert_eq!(v.title_kind("财政项目支出绩效自评表"), Some(FormKind::SelfEvaluation));
        assert_eq!(v.title_kind("财政项目支出绩效目标申报表"), Some(FormKind::Target));
        assert_eq!(v.title_kind("2024年度项目绩效目标汇总表"), None);
    }
}
