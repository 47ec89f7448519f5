//! OCR look-alike characters and the weighted edit distance built on them.
//!
//! The table (`pipelines/confusables.txt`: `a<TAB>b<TAB>cost`, symmetric)
//! comes from rendered-glyph comparison plus the swaps seen in our corpus. A
//! substitution of two look-alikes costs less than 1, so `医曼指标` is closer
//! to `质量指标` than to `数量指标`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The compiled-in table.
pub const DEFAULT_CONFUSABLES: &str = include_str!("../../../pipelines/confusables.txt");

#[derive(Debug, Default, Clone)]
pub struct Confusables {
    cost: HashMap<(char, char), f64>,
}

impl Confusables {
    /// Parse `a<TAB>b<TAB>cost` lines; `#` starts a comment; bad lines are skipped.
    pub fn parse(text: &str) -> Self {
        let mut cost = HashMap::new();
        for line in text.lines() {
            let line = line.trim_end();
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let mut it = line.split('\t');
            let (Some(a), Some(b), Some(c)) = (it.next(), it.next(), it.next()) else { continue };
            let (Some(a), Some(b)) = (single(a), single(b)) else { continue };
            let Ok(c) = c.trim().parse::<f64>() else { continue };
            let c = c.clamp(0.05, 1.0);
            for key in [(a, b), (b, a)] {
                let e = cost.entry(key).or_insert(c);
                if c < *e {
                    *e = c;
                }
            }
        }
        Confusables { cost }
    }

    pub fn builtin() -> &'static Confusables {
        static TABLE: OnceLock<Confusables> = OnceLock::new();
        TABLE.get_or_init(|| Confusables::parse(DEFAULT_CONFUSABLES))
    }

    /// Substitution cost of `a` for `b`.
    pub fn sub_cost(&self, a: char, b: char) -> f64 {
        if a == b {
            0.0
        } else {
            self.cost.get(&(a, b)).copied().unwrap_or(1.0)
        }
    }

    pub fn len(&self) -> usize {
        self.cost.len() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.cost.is_empty()
    }

    /// Levenshtein distance with look-alike substitutions discounted.
    pub fn distance(&self, a: &str, b: &str) -> f64 {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<f64> = (0..=b.len()).map(|j| j as f64).collect();
        let mut cur = vec![0.0; b.len() + 1];
        for i in 1..=a.len() {
            cur[0] = i as f64;
            for j in 1..=b.len() {
                let sub = prev[j - 1] + self.sub_cost(a[i - 1], b[j - 1]);
                cur[j] = sub.min(prev[j] + 1.0).min(cur[j - 1] + 1.0);
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        prev[b.len()]
    }

    /// Similarity in 0..1: 1 − weighted distance / longer length.
    pub fn similarity(&self, a: &str, b: &str) -> f64 {
        let n = a.chars().count().max(b.chars().count());
        if n == 0 {
            return 1.0;
        }
        1.0 - self.distance(a, b) / n as f64
    }
}

fn single(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_are_cheaper_than_other_substitutions() {
        let t = Confusables::parse("医\t质\t0.3\n曼\t量\t0.3\n# comment\nbad line\n");
        assert_eq!(t.len(), 2);
        assert!((t.distance("医曼指标", "质量指标") - 0.6).abs() < 1e-9);
        assert!((t.distance("医曼指标", "数量指标") - 1.3).abs() < 1e-9);
        assert!(t.similarity("医曼指标", "质量指标") > t.similarity("医曼指标", "数量指标"));
        // plain edits still cost 1
        assert_eq!(t.distance("abc", "abd"), 1.0);
        assert_eq!(t.distance("", "ab"), 2.0);
    }

    #[test]
    fn builtin_table_loads() {
        let t = Confusables::builtin();
        assert!(!t.is_empty());
        assert!(t.sub_cost('医', '质') < 1.0);
    }
}
