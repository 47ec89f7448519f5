//! Stage 3, **match**: [`FormSet`] → [`FormSet`] with canonical names.
//!
//! In: forms whose cells realign has put into canonical columns, with the
//! 一级/二级 cells still as printed (`raw_level1`, `raw_level2`; `None` where a
//! merged cell left the row blank).
//! Out: the same forms with `level1`/`level2` set to canonical vocabulary
//! names, every decision logged in `matches` (raw → canonical, score,
//! method), repairs for changed names and flags for doubtful ones.
//!
//! Damage repaired here: garbled category names (OCR look-alikes, split
//! glyphs), merged cells (filled down, and up where the label is printed at
//! the centre of its block), labels printed in the wrong column, 一级 names
//! missing where the 二级 name implies them (the vocabulary's parent); and in
//! [`values`] and [`level3`], indicator values (misread or lost comparators,
//! units and their written style, specks and stray quotes, decimal commas, a
//! qualitative word one look-alike glyph off) and 三级 names (specks at the
//! ends, a known ending one glyph off or short of its last glyph, a learned
//! vocabulary). [`lexicon`] holds the general word list (jieba's
//! dictionary) that assemble segments OCR'd names against to find glyphs
//! that form no word — a misread is flagged there, not guessed.
//!
//! The library half ([`Matcher`]) is the fuzzy name matching realign also
//! uses to recognise labels while it aligns columns.

mod categories;
pub mod confusables;
pub mod level3;
pub mod lexicon;
pub mod values;
mod text;

pub use categories::{inferred_doubt, resolve_categories};
pub use confusables::Confusables;
pub use text::{is_cjk, normalize, ocr_digits, similarity, squeeze_cjk_spaces};

use govtab_model::{FormSet, Stage, Vocabulary};

/// Which level(s) a category name can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    L1,
    L2,
    Both,
}

/// A category cell matched against the vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub struct CatMatch {
    pub name: String,
    pub level: Level,
    pub score: f64,
}

/// Fuzzy matching of printed names against the vocabulary.
pub struct Matcher<'v> {
    pub vocab: &'v Vocabulary,
}

/// Minimum similarity for a fuzzy label or category match.
pub const MIN_SCORE: f64 = 0.6;

impl<'v> Matcher<'v> {
    pub fn new(vocab: &'v Vocabulary) -> Self {
        Matcher { vocab }
    }

    /// Best match of `text` among `names`; `None` below `min`. Short names
    /// (≤ 2 characters) only match exactly.
    pub fn best<'a, I>(&self, text: &str, names: I, min: f64) -> Option<(&'a str, f64)>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let t = normalize(text);
        if t.is_empty() {
            return None;
        }
        let mut best: Option<(&'a str, f64)> = None;
        let mut tie = false;
        for name in names {
            let n = normalize(name);
            let s = if n.chars().count() <= 2 || t.chars().count() <= 2 {
                if n == t { 1.0 } else { 0.0 }
            } else {
                // look-alike aware: 医曼指标 is nearer 质量指标 than 数量指标
                Confusables::builtin().similarity(&t, &n)
            };
            match best {
                Some((_, b)) if s < b => {}
                Some((_, b)) if (s - b).abs() < 1e-9 => tie = true,
                _ => {
                    best = Some((name, s));
                    tie = false;
                }
            }
        }
        match best {
            Some((_, s)) if s >= min && !(tie && s < 1.0) => best,
            _ => None,
        }
    }

    /// Match a header field label (`项目名称`, aliases included). Returns the
    /// canonical label.
    pub fn field_label(&self, text: &str) -> Option<(String, f64)> {
        let t = strip_label_decor(text);
        if t.chars().count() < 2 {
            return None;
        }
        let mut best: Option<(String, f64)> = None;
        for f in &self.vocab.fields {
            for name in std::iter::once(&f.label).chain(f.aliases.iter()) {
                if let Some((_, s)) = self.best(&t, [name.as_str()], 0.7) {
                    if best.as_ref().map(|b| s > b.1).unwrap_or(true) {
                        best = Some((f.label.clone(), s));
                    }
                }
            }
        }
        best
    }

    /// As [`Matcher::category`], for a category cell OCR specks run on
    /// after ("社会效益指标 pane标"): failing the whole text, the text up to
    /// its first 指标 is read as the name.
    pub fn category_lenient(&self, text: &str, family: &str) -> Option<CatMatch> {
        self.category(text, family).or_else(|| {
            let n = normalize(text);
            let k = n.find("指标")?;
            let head = &n[..k + "指标".len()];
            (head.len() < n.len()).then(|| self.category(head, family)).flatten()
        })
    }

    /// Match a 一级/二级 category name of the given family (`standard`/`2020`).
    pub fn category(&self, text: &str, family: &str) -> Option<CatMatch> {
        let n = normalize(text);
        let t = trim_junk(&n).to_string();
        if t.is_empty() {
            return None;
        }
        let l1: Vec<&str> = self.vocab.level1.iter().filter(|l| l.family == family).map(|l| l.name.as_str()).collect();
        let l2: Vec<&str> = self
            .vocab
            .level1
            .iter()
            .filter(|l| l.family == family)
            .flat_map(|l| l.level2.iter().map(|s| s.as_str()))
            .collect();
        let all: Vec<&str> = l1.iter().chain(l2.iter()).copied().collect();
        let (name, score) = self.best(&t, all.iter().copied(), MIN_SCORE)?;
        let in1 = l1.contains(&name);
        let in2 = l2.contains(&name);
        let level = match (in1, in2) {
            (true, true) => Level::Both,
            (true, false) => Level::L1,
            _ => Level::L2,
        };
        Some(CatMatch { name: name.to_string(), level, score })
    }

    /// Match a funds-block row label (`其中：` prefix and junk ignored).
    pub fn fund_item(&self, text: &str) -> Option<(String, f64)> {
        let t = normalize(text).replace("其中:", "").replace("其中：", "");
        let t = trim_junk(t.trim_start_matches(|c: char| !is_cjk(c) || c == '一'));
        for item in &self.vocab.fund_items {
            if t == item.as_str() {
                return Some((item.clone(), 1.0));
            }
        }
        // a label with OCR noise around it ("上一年度资金总额")
        for item in &self.vocab.fund_items {
            if t.contains(item.as_str()) && t.chars().count() <= item.chars().count() + 3 {
                return Some((item.clone(), 0.9));
            }
        }
        self.best(t, self.vocab.fund_items.iter().map(|s| s.as_str()), 0.75).map(|(n, s)| (n.to_string(), s))
    }

    pub fn is_fund_column(&self, text: &str) -> Option<usize> {
        let t = normalize(text);
        self.vocab.fund_columns.iter().position(|c| *c == t)
    }

    /// Is this cell an indicator-table header cell?
    pub fn is_indicator_header(&self, text: &str) -> bool {
        let t = normalize(text);
        !t.is_empty() && self.vocab.indicator_headers.iter().any(|h| normalize(h) == t)
    }

    /// How many indicator-table header names an OCR'd cell holds: 1 for a
    /// look-alike of one (`-级目标`), more when the cells ran together
    /// (`三级目标指标目标值`). Names of two characters (分值, 得分: the
    /// funds block has them too) do not count.
    pub fn indicator_header_hits(&self, text: &str) -> usize {
        let t = normalize(text);
        let t = trim_junk(&t);
        if t.is_empty() {
            return 0;
        }
        // 分值/得分 also head the funds block: only the longer names count
        let mut names: Vec<&str> = self.vocab.indicator_headers.iter().map(|h| h.as_str()).filter(|h| h.chars().count() >= 3).collect();
        if names.contains(&t) {
            return 1;
        }
        // a look-alike of one name (which one does not matter here)
        if names.iter().any(|h| Confusables::builtin().similarity(t, h) >= 0.74) {
            return 1;
        }
        let mut rest = t.to_string();
        let mut hits = 0;
        // longest names first, so 年度指标值 is not also counted as 指标值
        names.sort_by_key(|h| std::cmp::Reverse(h.chars().count()));
        for h in names {
            if let Some(at) = rest.find(h) {
                rest.replace_range(at..at + h.len(), "|");
                hits += 1;
            }
        }
        hits
    }

    /// Is `l2` one of the 二级 categories of the 一级 category `l1`?
    pub fn is_level2_of(&self, l2: &str, l1: &str, family: &str) -> bool {
        self.vocab.level1.iter().any(|l| l.family == family && l.name == l1 && l.level2.iter().any(|x| x == l2))
    }

    /// Is this text one of the qualitative value words?
    pub fn is_qualitative(&self, text: &str) -> bool {
        let t = normalize(text);
        self.vocab.qualitative_values.contains(&t)
    }

    /// Is this cell a piece of the vertical block label (绩 / 效指标 / 绩效指标)?
    pub fn is_block_label(&self, text: &str) -> bool {
        let t = normalize(text);
        if t.is_empty() {
            return false;
        }
        if self.vocab.block_labels.contains(&t) {
            return true;
        }
        // every ideograph is one of 绩效指标; other glyphs are OCR noise
        let n = t.chars().count();
        let ideographs: Vec<char> = t.chars().filter(|c| is_cjk(*c)).collect();
        n <= 4 && !ideographs.is_empty() && ideographs.iter().all(|c| self.vocab.block_label_chars.contains(*c))
    }
}

/// Strip decoration around a label: colons, the money unit `（元）`, junk
/// glyphs before the first CJK character.
pub fn strip_label_decor(text: &str) -> String {
    let t = normalize(text);
    let mut t = t.trim_start_matches(|c: char| !is_cjk(c)).trim_end_matches([':', '：']).to_string();
    // a short parenthesised tail: the money unit, possibly garbled ("(Ov)",
    // "〔元)下-")
    if let Some(open) = t.rfind(['(', '〔', '[', '【']) {
        if t[open..].chars().count() <= 6 && open > 0 {
            t.truncate(open);
        }
    }
    trim_junk(&t).to_string()
}

/// Trim OCR noise (anything but CJK and ASCII alphanumerics) from both
/// ends, and ASCII noise stuck to a CJK label's end ("年度资金总Bil").
pub fn trim_junk(t: &str) -> &str {
    let t = t.trim_matches(|c: char| !(is_cjk(c) || c.is_ascii_alphanumeric()));
    if t.chars().next().map(is_cjk).unwrap_or(false) {
        t.trim_end_matches(|c: char| !is_cjk(c))
    } else {
        t
    }
}

pub fn match_forms(mut set: FormSet, vocab: &Vocabulary) -> FormSet {
    let matcher = Matcher::new(vocab);
    let names = level3::Level3Index::new(&vocab.level3);
    let convention = values::comparator_convention(&set.forms, vocab);
    for form in &mut set.forms {
        resolve_categories(form, &matcher);
        level3::repair_level3(form, &names);
        values::repair_values(form, vocab, convention);
        values::flag_damage(form, vocab);
        values::unify_unit_style(form);
        level3::repair_suffixes(form, &vocab.level3_suffixes);
    }
    set.stage = "match".into();
    set
}

pub struct Match<'v>(pub &'v Vocabulary);

impl Stage for Match<'_> {
    type Input = FormSet;
    type Output = FormSet;
    const NAME: &'static str = "match";
    fn run(&self, input: FormSet) -> FormSet {
        match_forms(input, self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_through_damage() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        assert_eq!(m.field_label("页目名称").map(|x| x.0), Some("项目名称".into()));
        assert_eq!(m.field_label("项目总预算（元）：").map(|x| x.0), Some("项目总预算".into()));
        assert_eq!(m.field_label("申报单位名称：").map(|x| x.0), Some("实施单位".into()));
        // a garbled unit tail, in whatever bracket OCR read
        assert_eq!(m.field_label("同名项目上年和执行数〔元)下-").map(|x| x.0), Some("同名项目上年预算执行数".into()));
        assert_eq!(m.field_label("上海市松江区"), None);
        assert_eq!(m.fund_item("其中: 当年财政拨款").map(|x| x.0), Some("当年财政拨款".into()));
        assert_eq!(m.fund_item("上 一 年度资金总额").map(|x| x.0), Some("年度资金总额".into()));
    }

    #[test]
    fn categories_match_with_levels() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let c = m.category("产出指标", "standard").unwrap();
        assert_eq!((c.name.as_str(), c.level), ("产出指标", Level::L1));
        assert_eq!(m.category("成本指标", "standard").unwrap().level, Level::Both);
        assert_eq!(m.category("效益指标 ", "standard").unwrap().name, "效益指标");
        assert_eq!(m.category("满意度", "standard").unwrap().name, "满意度指标");
        assert_eq!(m.category("数量", "2020").unwrap().name, "数量");
        assert!(m.category("数量", "standard").is_none());
        assert!(m.category("项目采购完成率", "standard").is_none());
        assert!(m.category("社会效益指标 pane标", "standard").is_none());
        assert_eq!(m.category_lenient("社会效益指标 pane标", "standard").unwrap().name, "社会效益指标");
        assert!(m.category_lenient("项目采购完成率", "standard").is_none());
        assert!(m.is_block_label("效指标"));
        assert!(m.is_block_label("绩"));
        assert!(!m.is_block_label("效益指标"));
    }
}
