//! 年度总体目标: the 预期目标 and 实际完成情况 texts.
//!
//! Damage: the two columns interleaved cell by cell (each text cut at the
//! column edge), the vertical label (年度 / 总体 / 目标) leaking into the
//! text, an 实际完成情况 column that is only fragments of the expected text.

use govtab_match::{normalize, similarity, squeeze_cjk_spaces, Matcher};
use govtab_model::{Flag, FormDraft, FormKind, Repair, Vocabulary};

use crate::clean::SrcLine;
use crate::STAGE;

/// 预期目标, or a damaged form of it that keeps its first two glyphs (预期).
pub fn is_expected_label(t: &str, v: &Vocabulary) -> bool {
    let n = normalize(t);
    v.goal_expected_labels.iter().any(|l| {
        let head: String = l.chars().take(2).collect();
        n == *l || n == head || (n.chars().count() <= 6 && similarity(&n, l) >= 0.5 && n.contains(head.as_str()))
    })
}

/// 实际完成情况, or a damaged form of it that keeps its last four glyphs
/// (完成情况).
pub fn is_actual_label(t: &str, v: &Vocabulary) -> bool {
    let n = normalize(t);
    n.chars().count() <= 8
        && v.goal_actual_labels.iter().any(|l| {
            let tail: String = l.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            n.contains(tail.as_str()) || similarity(&n, l) >= 0.6
        })
}

/// A fragment of the vertical goal label (年度 / 总体 / 目标 / 年度总体目标),
/// possibly garbled (平度, 丰度).
pub fn is_label_fragment(t: &str, v: &Vocabulary) -> bool {
    // OCR noise inside the vertical label ("度年fos体目标") is ignored
    let n: String = normalize(t).chars().filter(|c| !c.is_ascii_alphanumeric()).collect();
    let len = n.chars().count();
    if len == 0 || len > 6 {
        return false;
    }
    let inside = n.chars().filter(|c| v.goal_label_chars.contains(*c)).count();
    inside * 2 >= len && (len <= 3 || inside == len)
}

/// Does this line carry the goal labels (预期目标 / 实际完成情况 / 年度总体目标)?
pub fn is_goal_header(line: &SrcLine, m: &Matcher) -> bool {
    line.cells.iter().any(|c| {
        let n = normalize(&c.text);
        is_expected_label(&c.text, m.vocab) || is_actual_label(&c.text, m.vocab) || m.vocab.goal_labels.contains(&n)
    })
}

pub struct GoalParser {
    kind: FormKind,
    exp_col: Option<u32>,
    act_col: Option<u32>,
    expected: Vec<String>,
    actual: Vec<String>,
    /// Stray glyphs or split labels on the header line: the column layout
    /// of the goal texts is damaged.
    damaged: bool,
}

impl GoalParser {
    pub fn new(kind: FormKind) -> Self {
        GoalParser { kind, exp_col: None, act_col: None, expected: Vec::new(), actual: Vec::new(), damaged: false }
    }

    /// A header line: remember the columns; text cells on it are goal text.
    pub fn header(&mut self, line: &SrcLine, m: &Matcher) {
        let mut rest = Vec::new();
        for c in &line.cells {
            let n = normalize(&c.text);
            if is_expected_label(&c.text, m.vocab) {
                self.exp_col = Some(c.col);
            } else if is_actual_label(&c.text, m.vocab) {
                self.act_col = Some(c.col);
            } else if m.vocab.goal_labels.contains(&n) || m.is_block_label(&n) || is_label_fragment(&n, m.vocab) {
                // a label, not text
            } else if n.chars().count() > 3 {
                rest.push(c.clone());
            } else {
                self.damaged = true;
            }
        }
        if !rest.is_empty() {
            let l = SrcLine { cells: rest, ..line.clone() };
            self.text(&l, m);
        }
    }

    /// A text line under the header.
    pub fn text(&mut self, line: &SrcLine, m: &Matcher) {
        let cells: Vec<_> = line.cells.iter().filter(|c| !is_label_fragment(&c.text, m.vocab)).collect();
        for (k, c) in cells.iter().enumerate() {
            let text = strip_fragments(&c.text, m.vocab);
            if text.is_empty() {
                continue;
            }
            let to_actual = match self.kind {
                FormKind::Target => false,
                FormKind::SelfEvaluation => match (self.exp_col, self.act_col) {
                    (Some(e), Some(a)) => c.col * 2 >= e + a,
                    (None, Some(a)) => c.col + 1 >= a,
                    _ => k > 0,
                },
            };
            if to_actual { self.actual.push(text) } else { self.expected.push(text) }
        }
    }

    pub fn finish(self, f: &mut FormDraft) {
        let join = |v: &[String]| {
            let s = v.iter().map(|p| p.split('\n').map(squeeze_cjk_spaces).collect::<Vec<_>>().join("\n")).collect::<Vec<_>>().join("");
            (!s.is_empty()).then_some(s)
        };
        let expected = join(&self.expected);
        let mut actual = join(&self.actual);
        if self.actual.len() > 1 || self.expected.len() > 1 || self.damaged {
            f.flags.push(Flag::new("goal_expected", STAGE, "goal text rejoined from interleaved column pieces"));
            f.flags.push(Flag::new("goal_actual", STAGE, "goal text rejoined from interleaved column pieces"));
        }
        // an actual column made of fragments of the expected text: the form
        // printed the same text twice and the column edge cut it up (not
        // on a digital PDF, whose columns are as printed: a result worded
        // much like the target is the result)
        if let (Some(e), Some(a), false) = (&expected, &actual, f.exact_text) {
            let frags: Vec<&str> = self
                .actual
                .iter()
                .flat_map(|p| p.split(|c: char| c.is_whitespace() || c == ',' || c == '，'))
                .filter(|p| p.chars().count() >= 2)
                .collect();
            let inside = frags.iter().filter(|p| e.contains(*p)).count();
            if frags.len() >= 3 && inside * 2 > frags.len() && a.chars().count() < e.chars().count() {
                f.repairs.push(Repair::new("goal_actual", STAGE, a, e, "实际完成情况 column held only fragments of 预期目标; the form repeats the text"));
                f.flags.push(Flag::new("goal_actual", STAGE, "taken to repeat 预期目标"));
                actual = Some(e.clone());
            }
        }
        if expected.is_some() {
            f.goal_expected = expected;
        }
        if self.kind == FormKind::SelfEvaluation && actual.is_some() {
            f.goal_actual = actual;
        }
    }
}

/// Remove vertical-label fragments standing as words inside a text
/// ("… 总体 防护物资 …").
fn strip_fragments(s: &str, v: &Vocabulary) -> String {
    let paras: Vec<String> = s
        .split('\n')
        .map(|p| {
            let words: Vec<&str> = p.split(' ').filter(|w| !w.is_empty() && !is_label_fragment(w, v)).collect();
            words.join(" ")
        })
        .filter(|p| !p.is_empty())
        .collect();
    paras.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_fragments() {
        let v = Vocabulary::builtin();
        assert!(is_label_fragment("总体", &v));
        assert!(is_label_fragment("平度", &v));
        assert!(is_label_fragment("年度总体目标", &v));
        assert!(!is_label_fragment("形成合力", &v));
        assert_eq!(squeeze_cjk_spaces(&strip_fragments("平度 形成合力,确保 总体 防护物资", &v)), "形成合力,确保防护物资");
    }
}

#[cfg(test)]
mod interleave_tests {
    use super::*;
    use crate::clean::SrcCell;
    use govtab_model::{LineLayout, Vocabulary};

    fn line(cells: &[(&str, u32)]) -> SrcLine {
        SrcLine { page: 1, no: 1, layout: LineLayout::Tabbed, ocr: false, cells: cells.iter().map(|(t, c)| SrcCell { text: t.to_string(), col: *c }).collect() }
    }

    #[test]
    fn columns_are_separated_and_fragmentary_actual_repeats_expected() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let mut gp = GoalParser::new(FormKind::SelfEvaluation);
        gp.header(&line(&[("年度", 0), ("预期目标", 2), ("实", 6), ("际完成情况", 7)]), &m);
        gp.text(&line(&[("总体 目标", 0), ("平度 形成合力,全面落实各项措施,确保 总体 物资供应充足。", 1), ("充足。 全面落实 各项措施", 6), ("形成合力, 确保", 7)]), &m);
        let mut f = FormDraft::new(1, FormKind::SelfEvaluation);
        gp.finish(&mut f);
        assert_eq!(f.goal_expected.as_deref(), Some("形成合力,全面落实各项措施,确保物资供应充足。"));
        assert_eq!(f.goal_actual, f.goal_expected);
        assert!(f.flags.iter().any(|fl| fl.field == "goal_actual"));
    }

    #[test]
    fn a_digital_forms_result_worded_like_its_target_is_kept_as_printed() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let read = |exact_text: bool| {
            let mut gp = GoalParser::new(FormKind::SelfEvaluation);
            gp.header(&line(&[("年度总体目标", 0), ("预期目标", 1), ("实际完成情况", 2)]), &m);
            gp.text(&line(&[("加强与对口地区、友好地区的交流交融，宣传松江，助推发展，展现成果", 1), ("加强与对口地区的交流交融，宣传松江，助推发展", 2)]), &m);
            let mut f = FormDraft { exact_text, ..FormDraft::new(1, FormKind::SelfEvaluation) };
            gp.finish(&mut f);
            f
        };
        let f = read(true);
        assert_eq!(f.goal_actual.as_deref(), Some("加强与对口地区的交流交融，宣传松江，助推发展"));
        assert!(f.flags.is_empty());
        // from OCR or a text dump the same column reads as cut-up pieces of
        // the target: taken to repeat it, flagged
        let f = read(false);
        assert_eq!(f.goal_actual, f.goal_expected);
        assert!(f.flags.iter().any(|fl| fl.field == "goal_actual"));
    }
}

/// On an OCR'd page the vertical label beside the goal texts (年 / 度 / 总 /
/// 体 / 目 / 标) is read into the start of the text ("可总体标按计划完成…"):
/// a leading run of its characters, in their order, with at most one stray
/// glyph before them, is cut (a repair).
pub fn strip_label_prefix(text: &str, v: &Vocabulary) -> Option<(String, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut best = 0;
    for start in 0..=1usize.min(chars.len()) {
        let mut k = start;
        let mut pos = 0; // position in LABEL, in order
        let label: Vec<char> = v.vertical_goal_label.chars().collect();
        while k < chars.len() {
            match label[pos..].iter().position(|&c| c == chars[k]) {
                Some(p) => {
                    pos += p + 1;
                    k += 1;
                }
                None => break,
            }
            if pos >= label.len() {
                break;
            }
        }
        let taken = k - start;
        if taken >= 2 && k > best {
            best = k;
        }
    }
    if best == 0 || best >= chars.len() || !govtab_match::is_cjk(chars[best]) {
        return None;
    }
    let cut: String = chars[..best].iter().collect();
    Some((cut, chars[best..].iter().collect()))
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    #[test]
    fn leaked_vertical_label_is_cut() {
        let v = Vocabulary::builtin();
        assert_eq!(strip_label_prefix("可总体标按计划完成工作", &v).map(|x| x.1), Some("按计划完成工作".into()));
        assert_eq!(strip_label_prefix("上度体标形成合力", &v).map(|x| x.1), Some("形成合力".into()));
        assert_eq!(strip_label_prefix("按计划完成工作", &v), None);
        assert_eq!(strip_label_prefix("目前已完成", &v), None);
    }
}
