//! 三级指标 names learned from data.
//!
//! The 三级 column is open vocabulary, but a dump repeats its names form
//! after form. `govtab vocab build` collects the names read cleanly (no flag
//! on the cell) with their counts; with that list loaded, a 三级 name that is
//! not in it but is one look-alike edit or so from exactly one known name is
//! repaired to it (logged). A name near several known names is kept as
//! printed and flagged; a name near none is a new name and left alone.

use std::collections::BTreeMap;

use govtab_model::{Flag, FormDraft, Repair};

use crate::{normalize, Confusables};

const STAGE: &str = "match";
/// Similarity (look-alike weighted) needed to repair to a known name.
pub const REPAIR_SIM: f64 = 0.8;
/// A runner-up this close to the best makes the match ambiguous.
pub const AMBIGUITY_MARGIN: f64 = 0.08;

/// Parse a vocabulary file: `name<TAB>count` lines (count optional), `#` comments.
pub fn parse_vocab(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap_or("").trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Count names; write them most frequent first.
pub fn vocab_text<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for n in names {
        let n = n.trim();
        if !n.is_empty() {
            *counts.entry(n.to_string()).or_default() += 1;
        }
    }
    let mut v: Vec<(String, u32)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = String::from("# govtab 三级指标 vocabulary: name<TAB>count (names read without a flag)\n");
    for (n, c) in v {
        out.push_str(&format!("{n}\t{c}\n"));
    }
    out
}

/// What the vocabulary says about one name.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Known,
    Repair(String, f64),
    Ambiguous(Vec<(String, f64)>),
    New,
}

pub struct Level3Index {
    names: Vec<(String, String)>, // (printed, normalised)
}

impl Level3Index {
    pub fn new(names: &[String]) -> Self {
        Level3Index { names: names.iter().map(|n| (n.clone(), normalize(n))).collect() }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn lookup(&self, raw: &str) -> Lookup {
        let t = normalize(raw);
        if self.names.iter().any(|(_, n)| *n == t) {
            return Lookup::Known;
        }
        let len = t.chars().count();
        if len < 3 {
            return Lookup::New;
        }
        let conf = Confusables::builtin();
        let mut scored: Vec<(String, f64)> = self
            .names
            .iter()
            .filter(|(_, n)| n.chars().count().abs_diff(len) <= 2)
            .map(|(p, n)| (p.clone(), conf.similarity(&t, n)))
            .filter(|(_, s)| *s >= REPAIR_SIM - AMBIGUITY_MARGIN)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        match scored.as_slice() {
            [] => Lookup::New,
            [(n, s)] if *s >= REPAIR_SIM => Lookup::Repair(n.clone(), *s),
            [(n, s), (_, s2), ..] if *s >= REPAIR_SIM && s - s2 >= AMBIGUITY_MARGIN => Lookup::Repair(n.clone(), *s),
            _ => Lookup::Ambiguous(scored.into_iter().take(3).collect()),
        }
    }
}

/// Repair or flag the 三级 names of a form against the learned list.
pub fn repair_level3(form: &mut FormDraft, index: &Level3Index) {
    if index.is_empty() {
        return;
    }
    for (i, ind) in form.indicators.iter_mut().enumerate() {
        let Some(l3) = ind.level3.clone() else { continue };
        let path = format!("indicators[{i}].level3");
        match index.lookup(&l3) {
            Lookup::Known | Lookup::New => {}
            Lookup::Repair(name, s) => {
                form.repairs.push(Repair::new(&path, STAGE, &l3, &name, format!("三级 name matched to the dump's vocabulary (similarity {s:.2}, unambiguous)")));
                ind.level3 = Some(name);
            }
            Lookup::Ambiguous(c) => {
                let list: Vec<String> = c.iter().map(|(n, s)| format!("{n} ({s:.2})")).collect();
                form.flags.push(Flag::new(&path, STAGE, format!("三级 name close to several known names: {}", list.join(", "))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learned_names_repair_only_when_unambiguous() {
        let names = parse_vocab(&vocab_text(["项目完成及时性", "项目完成及时性", "采购质量达标率", "服务对象满意率", "服务对象满意度"]));
        assert_eq!(names[0], "项目完成及时性");
        let idx = Level3Index::new(&names);
        assert_eq!(idx.lookup("项目完成及时性"), Lookup::Known);
        // one look-alike swap (末/未 style): 采购质量达标率 with 量 → 曼
        assert!(matches!(idx.lookup("采购质曼达标率"), Lookup::Repair(n, _) if n == "采购质量达标率"));
        // equally near two known names
        assert!(matches!(idx.lookup("服务对象满意"), Lookup::Ambiguous(_)));
        assert_eq!(idx.lookup("全新的指标名称"), Lookup::New);
    }
}

/// A name's ending read back against the vocabulary's `level3_suffixes`:
/// one look-alike glyph in place of one of the suffix's (使有率 → 使用率),
/// or one stray glyph inside it (及时人性 → 及时性). Exactly one suffix
/// must fit, and the name must not already end with one.
pub fn repair_suffix(name: &str, suffixes: &[String]) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let conf = Confusables::builtin();
    if suffixes.iter().any(|s| name.ends_with(s.as_str())) {
        return None;
    }
    let mut fits: Vec<String> = Vec::new();
    for s in suffixes {
        let sc: Vec<char> = s.chars().collect();
        let k = sc.len();
        // one look-alike substitution
        if chars.len() >= k + 2 {
            let tail = &chars[chars.len() - k..];
            let diffs: Vec<usize> = (0..k).filter(|&i| tail[i] != sc[i]).collect();
            if let [i] = diffs[..] {
                if conf.sub_cost(tail[i], sc[i]) < 1.0 {
                    fits.push(chars[..chars.len() - k].iter().chain(sc.iter()).collect());
                }
            }
        }
        // one stray glyph inside the suffix (not before or after it)
        if chars.len() >= k + 3 {
            let tail = &chars[chars.len() - k - 1..];
            for skip in 1..k {
                let without: Vec<char> = tail.iter().enumerate().filter(|(j, _)| *j != skip).map(|(_, c)| *c).collect();
                if without == sc {
                    fits.push(chars[..chars.len() - k - 1].iter().chain(sc.iter()).collect());
                }
            }
        }
    }
    // the last glyph lost ("…机制健全" for …健全性): only when no other
    // reading fits
    if fits.is_empty() {
        for s in suffixes {
            let sc: Vec<char> = s.chars().collect();
            let stub = &sc[..sc.len() - 1];
            if stub.len() >= 2 && chars.len() >= stub.len() + 2 && chars.ends_with(stub) {
                fits.push(chars.iter().chain(sc.last()).collect());
            }
        }
    }
    fits.sort();
    fits.dedup();
    match fits.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Does `name` end with a known 三级 ending short of its last glyph in more
/// than one way ("…地区满意": 满意度 or 满意率)? Such a name may be cut short.
pub fn cut_short(name: &str, suffixes: &[String]) -> bool {
    let chars: Vec<char> = name.chars().collect();
    !suffixes.iter().any(|s| name.ends_with(s.as_str()))
        && suffixes.iter().any(|s| {
            let sc: Vec<char> = s.chars().collect();
            let stub = &sc[..sc.len() - 1];
            stub.len() >= 2 && chars.len() >= stub.len() + 2 && chars.ends_with(stub)
        })
}

/// [`repair_suffix`] over an OCR'd form's 三级 names, each repair logged
/// and flagged.
pub fn repair_suffixes(form: &mut FormDraft, suffixes: &[String]) {
    if !form.ocr {
        return;
    }
    for i in 0..form.indicators.len() {
        let Some(name) = form.indicators[i].level3.clone() else { continue };
        let path = format!("indicators[{i}].level3");
        if let Some(fixed) = repair_suffix(&name, suffixes) {
            form.repairs.push(Repair::new(&path, STAGE, &name, &fixed, "name's ending read back to a known 三级 ending (one misread, stray or lost glyph)"));
            form.flags.push(Flag::new(&path, STAGE, format!("ending of '{name}' read as '{fixed}'")));
            form.indicators[i].level3 = Some(fixed);
        } else if cut_short(&name, suffixes) {
            form.flags.push(Flag::new(&path, STAGE, format!("'{name}' may have lost the last glyph of its ending")));
        }
    }
}

#[cfg(test)]
mod suffix_tests {
    use super::*;

    #[test]
    fn endings_one_glyph_off_are_read_back_once() {
        let v = govtab_model::Vocabulary::builtin();
        let s = &v.level3_suffixes;
        assert_eq!(repair_suffix("电子维护及时人性", s).as_deref(), Some("电子维护及时性"));
        assert_eq!(repair_suffix("运维机制健全人性", s).as_deref(), Some("运维机制健全性"));
        // already a known ending, or nothing near one
        assert_eq!(repair_suffix("服务对象满意率", s), None);
        assert_eq!(repair_suffix("项目完成度", s), None);
        assert_eq!(repair_suffix("培训次数", s), None);
        // the last glyph lost: read back when one ending fits, else flagged
        assert_eq!(repair_suffix("疫情专班机制健全", s).as_deref(), Some("疫情专班机制健全性"));
        assert_eq!(repair_suffix("结对镇乡地区满意", s), None);
        assert!(cut_short("结对镇乡地区满意", s) && !cut_short("结对镇乡地区满意度", s));
    }
}
