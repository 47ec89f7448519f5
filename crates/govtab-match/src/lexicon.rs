//! Word fluency of OCR'd Chinese text: glyphs that form no word.
//!
//! A misread glyph rarely makes a word with the glyphs beside it: 入员完备性
//! (人员), 杂购质量达标率 (采购), 正面宣传活动次效 (次数). Each run of
//! ideographs is segmented against a general word list (`pipelines/lexicon.txt`,
//! jieba's dictionary plus `pipelines/lexicon-domain.txt`) by the most
//! probable split (unigram word model, Viterbi); a glyph left as a one-glyph
//! word that Chinese does not use alone (not in the vocabulary's
//! `standalone_glyphs`: 的, 和, 率, 性 …) is a *misfit*. A cell with a misfit
//! is flagged for review; nothing is changed, because the list says that a
//! glyph is wrong, not which glyph is right.

use std::collections::HashMap;
use std::sync::OnceLock;

use govtab_model::hash::{fnv1a64, FnvBuild};

/// The compiled-in word list (`word<TAB>frequency` lines).
pub const DEFAULT_LEXICON: &str = include_str!("../../../pipelines/lexicon.txt");

/// Longest word looked up.
const MAX_WORD: usize = 6;

/// The table is keyed by the FNV-1a hash of each word's UTF-8 bytes, so
/// the 350,000 words cost no string allocations.
fn key(word: &str) -> u64 {
    fnv1a64(word.as_bytes())
}

/// A word list with the cost (−log probability) of each word.
#[derive(Debug, Default)]
pub struct Lexicon {
    cost: HashMap<u64, f32, FnvBuild>,
    /// Cost of a glyph the list does not know at all.
    unknown: f32,
}

impl Lexicon {
    /// Parse `word<TAB>frequency` lines; `#` lines and bad lines are skipped.
    /// (Two passes, the total first: the table is built once per process, so
    /// it is built straight into its final map.)
    pub fn parse(text: &str) -> Self {
        let entries = || {
            text.lines().filter(|l| !l.starts_with('#')).filter_map(|l| {
                let (w, f) = l.split_once('\t')?;
                let f: u32 = f.trim().parse().ok()?;
                (!w.is_empty() && f > 0).then_some((w, f))
            })
        };
        let total: f64 = entries().map(|(_, f)| f as f64).sum();
        let lt = total.max(1.0).ln();
        let mut cost: HashMap<u64, f32, FnvBuild> = HashMap::with_capacity_and_hasher(text.len() / 12, FnvBuild::default());
        for (w, f) in entries() {
            let c = cost.entry(key(w)).or_insert(f32::INFINITY);
            // a word listed twice: its frequencies add up
            let sum = if c.is_finite() { (lt - *c as f64).exp() + f as f64 } else { f as f64 };
            *c = (lt - sum.ln()) as f32;
        }
        Lexicon { cost, unknown: (lt + 2.0) as f32 }
    }

    pub fn builtin() -> &'static Lexicon {
        static LEX: OnceLock<Lexicon> = OnceLock::new();
        LEX.get_or_init(|| Lexicon::parse(DEFAULT_LEXICON))
    }

    pub fn contains(&self, word: &str) -> bool {
        self.cost.contains_key(&key(word))
    }

    /// The most probable split of one run of ideographs into words.
    pub fn segment<'a>(&self, run: &'a str) -> Vec<&'a str> {
        let bounds: Vec<usize> = run.char_indices().map(|(i, _)| i).chain([run.len()]).collect();
        let n = bounds.len() - 1;
        let mut best = vec![f32::INFINITY; n + 1];
        let mut back = vec![0usize; n + 1];
        best[0] = 0.0;
        for i in 1..=n {
            for j in i.saturating_sub(MAX_WORD)..i {
                let w = &run[bounds[j]..bounds[i]];
                let c = match self.cost.get(&key(w)) {
                    Some(c) => *c,
                    None if i - j == 1 => self.unknown,
                    None => continue,
                };
                if best[j] + c < best[i] {
                    best[i] = best[j] + c;
                    back[i] = j;
                }
            }
        }
        let mut out = Vec::new();
        let mut i = n;
        while i > 0 {
            let j = back[i];
            out.push(&run[bounds[j]..bounds[i]]);
            i = j;
        }
        out.reverse();
        out
    }

    /// The glyphs of `text` that, in the most probable split of their run of
    /// ideographs, stand alone as words although Chinese does not use them
    /// alone (`standalone` lists those it does). Runs are split at anything
    /// that is not an ideograph.
    pub fn misfits(&self, text: &str, standalone: &str) -> Vec<char> {
        let mut out = Vec::new();
        for run in text.split(|c: char| !crate::is_cjk(c)).filter(|r| !r.is_empty()) {
            for w in self.segment(run) {
                let mut cs = w.chars();
                if let (Some(c), None) = (cs.next(), cs.next()) {
                    if !standalone.contains(c) {
                        out.push(c);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STANDALONE: &str = "的和及与率数性度";

    fn lex() -> Lexicon {
        Lexicon::parse("人员\t19810\n人\t50000\n入\t3000\n员\t100\n完备\t300\n性\t9000\n采购\t1843\n质量\t5000\n达标率\t20\n杂\t500\n购\t200\n")
    }

    #[test]
    fn a_sound_name_has_no_misfit() {
        let l = lex();
        assert_eq!(l.segment("人员完备性"), vec!["人员", "完备", "性"]);
        assert!(l.misfits("人员完备性", STANDALONE).is_empty());
        assert!(l.misfits("采购质量达标率", STANDALONE).is_empty());
    }

    #[test]
    fn a_misread_glyph_stands_alone() {
        let l = lex();
        assert_eq!(l.misfits("入员完备性", STANDALONE), vec!['入', '员']);
        assert_eq!(l.misfits("杂购质量达标率", STANDALONE), vec!['杂', '购']);
    }

    #[test]
    fn runs_split_at_other_characters() {
        let l = lex();
        // "人员" and "完备" each a word; the digits and brackets split runs
        assert!(l.misfits("人员(3)完备", STANDALONE).is_empty());
        assert!(l.misfits("", STANDALONE).is_empty());
    }

    #[test]
    fn builtin_lexicon_finds_the_seen_misreads() {
        let l = Lexicon::builtin();
        let standalone = govtab_model::Vocabulary::builtin().standalone_glyphs;
        for good in ["人员完备性", "采购质量达标率", "正面宣传活动次数", "专题网络舆情数据共享", "受援地区满意度"] {
            assert!(l.misfits(good, &standalone).is_empty(), "{good}: {:?}", l.segment(good));
        }
        for bad in ["入员完备性", "杂购质量达标率", "正面宣传活动次效", "专题网络与情数据共享", "受授地区满意度"] {
            assert!(!l.misfits(bad, &standalone).is_empty(), "{bad}: {:?}", l.segment(bad));
        }
    }
}
