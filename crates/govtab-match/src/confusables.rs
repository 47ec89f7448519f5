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
    /// One bit per character (by code point) that has a look-alike: most
    /// pairs an edit distance compares have none, and this answers them
    /// without hashing.
    has_alike: Vec<u64>,
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
        let mut has_alike = Vec::new();
        for &(a, _) in cost.keys() {
            let i = a as usize;
            if has_alike.len() <= i / 64 {
                has_alike.resize(i / 64 + 1, 0);
            }
            has_alike[i / 64] |= 1 << (i % 64);
        }
        Confusables { cost, has_alike }
    }

    pub fn builtin() -> &'static Confusables {
        static TABLE: OnceLock<Confusables> = OnceLock::new();
        TABLE.get_or_init(|| Confusables::parse(DEFAULT_CONFUSABLES))
    }

    /// Substitution cost of `a` for `b`.
    pub fn sub_cost(&self, a: char, b: char) -> f64 {
        let i = a as usize;
        if a == b {
            0.0
        } else if self.has_alike.get(i / 64).is_none_or(|bits| bits & (1 << (i % 64)) == 0) {
            1.0
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
        // Cells and labels are short: their characters and the two rows of
        // the table live on the stack (this is called for every cell
        // against every label it might be).
        const SHORT: usize = 48;
        let (na, nb) = (a.chars().count(), b.chars().count());
        if na > SHORT || nb > SHORT {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            return self.distance_chars(&a, &b, &mut vec![0.0; nb + 1], &mut vec![0.0; nb + 1]);
        }
        let (mut ca, mut cb) = (['\0'; SHORT], ['\0'; SHORT]);
        for (slot, c) in ca.iter_mut().zip(a.chars()) {
            *slot = c;
        }
        for (slot, c) in cb.iter_mut().zip(b.chars()) {
            *slot = c;
        }
        let (mut prev, mut cur) = ([0.0; SHORT + 1], [0.0; SHORT + 1]);
        self.distance_chars(&ca[..na], &cb[..nb], &mut prev[..=nb], &mut cur[..=nb])
    }

    /// [`Self::distance`] of two character sequences, with two rows of
    /// `b.len() + 1` cells to work in.
    fn distance_chars(&self, a: &[char], b: &[char], prev: &mut [f64], cur: &mut [f64]) -> f64 {
        let (mut prev, mut cur) = (prev, cur);
        for (j, p) in prev.iter_mut().enumerate() {
            *p = j as f64;
        }
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
        // past the stack buffers
        let long = "质".repeat(60);
        assert_eq!(t.distance(&long, &format!("{}医", "质".repeat(59))), 0.3);
        assert_eq!(t.distance(&long, "质质"), 58.0);
        assert_eq!(t.distance("ab", &"b".repeat(49)), 48.0);
    }

    #[test]
    fn every_listed_pair_keeps_its_cost() {
        let t = Confusables::builtin();
        for (&(a, b), &c) in &t.cost {
            assert_eq!(t.sub_cost(a, b), if a == b { 0.0 } else { c }, "{a} {b}");
        }
        assert_eq!((t.sub_cost('\u{10FFFF}', 'a'), t.sub_cost('x', 'x'), Confusables::default().sub_cost('a', 'b')), (1.0, 0.0, 1.0));
    }

    #[test]
    fn builtin_table_loads() {
        let t = Confusables::builtin();
        assert!(!t.is_empty());
        assert!(t.sub_cost('医', '质') < 1.0);
    }
}
