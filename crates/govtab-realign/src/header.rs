//! Labelled header fields: `项目名称 | 业务保障`, `项目名称：`, values wrapped
//! over several cells (`上海市松江 | 区人民政府办公 室`) or lines.

use std::collections::BTreeMap;

use govtab_match::{normalize, similarity, squeeze_cjk_spaces, Matcher};
use govtab_model::{FieldDraft, Flag, FormDraft, LineLayout, Provenance, Repair};

use crate::clean::SrcLine;
use crate::STAGE;

/// Record path of a canonical header label (`项目名称` → `project`).
pub fn field_path(m: &Matcher, label: &str) -> String {
    m.vocab.field_path(label)
}

/// A cell split into a recognised label and the text after it.
pub fn split_label(text: &str, m: &Matcher) -> Option<(String, String)> {
    if let Some((canon, _)) = m.field_label(text) {
        return Some((canon, String::new()));
    }
    for sep in ['：', ':', ' '] {
        if let Some((left, right)) = text.split_once(sep) {
            if let Some((canon, _)) = m.field_label(left) {
                return Some((canon, right.trim().to_string()));
            }
        }
    }
    None
}

#[derive(Default)]
pub struct HeaderParser {
    /// Field whose value continues on the next lines.
    pending: Option<usize>,
    /// Doubts found while reading, moved to the form at the end.
    pub flags: Vec<Flag>,
}

impl HeaderParser {
    pub fn stop(&mut self) {
        self.pending = None;
    }

    /// Read header fields from a line. Returns false when the line holds no
    /// label and continues no value.
    pub fn feed(&mut self, line: &SrcLine, m: &Matcher, fields: &mut Vec<FieldDraft>, repairs: &mut Vec<Repair>) -> bool {
        let compact = normalize(&line.compact());
        // a heading OCR garbled ("_ 本项目上年度市级财政次多使用情况L_ ae")
        // ends the value above it all the same
        let garbled_heading = || {
            let t = govtab_match::trim_junk(&compact);
            line.ocr && m.vocab.section_headings.iter().any(|h| h.chars().count() >= 8 && m.best(t, [h.as_str()], 0.8).is_some())
        };
        if m.vocab.section_headings.iter().any(|h| compact.contains(h.as_str())) || garbled_heading() {
            self.pending = None;
            return true;
        }
        let spaced = line.layout == LineLayout::Spaced;
        // a cell whose words include a label ("上海市松江区人民 实施单位
        // 政府办公会") is split at it
        let mut toks: Vec<Tok> = Vec::new();
        for c in &line.cells {
            if let Some((l, rest)) = split_label(&c.text, m) {
                toks.push(Tok { label: Some(l), text: rest, col: c.col, raw: c.text.clone() });
                continue;
            }
            let words: Vec<&str> = c.text.split(' ').collect();
            if !spaced && words.len() > 1 && words.iter().any(|w| m.field_label(w).is_some()) {
                for w in &words {
                    if let Some((l, _)) = m.field_label(w) {
                        self.flags.push(Flag::new(field_path(m, &l), STAGE, "label found inside another cell; neighbouring cells merged"));
                    }
                }
                for w in words {
                    let label = m.field_label(w).map(|(l, _)| l);
                    let text = if label.is_some() { String::new() } else { w.to_string() };
                    toks.push(Tok { label, text, col: c.col, raw: w.to_string() });
                }
                continue;
            }
            toks.push(Tok { label: None, text: c.text.clone(), col: c.col, raw: c.text.clone() });
        }
        if toks.iter().all(|t| t.label.is_none()) {
            if let Some(i) = self.pending {
                let text = squeeze_cjk_spaces(&line.cells.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(" "));
                fields[i].value.push_str(&text);
                return true;
            }
            return false;
        }
        self.pending = None;
        // on a scan, "garbled cell | value | right label of a pair | value":
        // the garbled cell is the pair's left label
        if line.ocr && toks.len() >= 3 && toks[0].label.is_none() && toks[1].label.is_none() && normalize(&toks[0].text).chars().count() <= 16 {
            if let Some(right) = toks[2].label.clone() {
                if let Some(p) = m.vocab.label_pairs.iter().find(|p| p[1] == right && !toks.iter().any(|t| t.label.as_deref() == Some(p[0].as_str()))) {
                    let partner = p[0].clone();
                    self.read_as_label(&mut toks[0], partner, m, repairs);
                }
            }
        }
        let mut i = 0;
        while i < toks.len() {
            let Some(label) = toks[i].label.clone() else {
                i += 1;
                continue;
            };
            let long = m.vocab.field(&label).map(|f| f.long).unwrap_or(false);
            let mut parts: Vec<String> = Vec::new();
            if !toks[i].text.is_empty() {
                parts.push(toks[i].text.clone());
            }
            let mut j = i + 1;
            while j < toks.len() && toks[j].label.is_none() {
                // on a scan, "value | garbled cell | value" to the end of the
                // line after the left label of a pair whose right label is
                // not on the line: the garbled cell is that label
                if line.ocr && parts.len() == 1 && j + 2 == toks.len() && toks[j + 1].label.is_none() && normalize(&toks[j].text).chars().count() <= 8 {
                    if let Some(p) = m.vocab.label_pairs.iter().find(|p| p[0] == label && !toks.iter().any(|t| t.label.as_deref() == Some(p[1].as_str()))) {
                        let partner = p[1].clone();
                        self.read_as_label(&mut toks[j], partner, m, repairs);
                        break;
                    }
                }
                // a wide gap of empty columns: the partner label was lost
                if !spaced && !parts.is_empty() && toks[j].col >= toks[j - 1].col + 3 {
                    if let Some(p) = m.vocab.label_pairs.iter().find(|p| p[0] == label) {
                        let partner = p[1].clone();
                        repairs.push(Repair::new(field_path(m, &partner), STAGE, "", "", format!("label {partner} missing; the value after the gap is taken as its value")));
                        self.flags.push(Flag::new(field_path(m, &partner), STAGE, format!("label {partner} not printed; value placed by position")));
                        toks.insert(j, Tok { label: Some(partner), text: String::new(), col: toks[j].col, raw: String::new() });
                        break;
                    }
                }
                if !(spaced && !long && !parts.is_empty()) {
                    parts.push(toks[j].text.clone());
                }
                j += 1;
            }
            let sep = if spaced { " " } else { "" };
            let value = squeeze_cjk_spaces(&parts.join(sep));
            let at = Provenance { page: line.page, line: line.no, col: toks[i].col };
            if parts.len() > 1 && !spaced {
                repairs.push(Repair::new(field_path(m, &label), STAGE, parts.join(" | "), &value, format!("value rejoined from {} cells", parts.len())));
            }
            let wraps = long || label == "项目名称";
            fields.push(FieldDraft { raw_label: toks[i].raw.clone(), label: label.clone(), value: value.clone(), at });
            if wraps && (value.is_empty() || (spaced && long)) {
                self.pending = Some(fields.len() - 1);
            }
            i = j;
        }
        true
    }
}

impl HeaderParser {
    /// A garbled cell in the place of a pair's label `partner`: read as it
    /// (repair + flag), its text no value.
    fn read_as_label(&mut self, tok: &mut Tok, partner: String, m: &Matcher, repairs: &mut Vec<Repair>) {
        repairs.push(Repair::new(field_path(m, &partner), STAGE, &tok.text, &partner, format!("label {partner} unreadable ('{}'); the cell in its place taken as it", tok.text)));
        self.flags.push(Flag::new(field_path(m, &partner), STAGE, format!("label {partner} read as '{}'; value placed by position", tok.text)));
        tok.label = Some(partner);
        tok.text.clear();
    }
}

struct Tok {
    label: Option<String>,
    text: String,
    col: u32,
    raw: String,
}

/// Keep the first non-empty value of a label printed twice.
pub fn apply_fields(f: &mut FormDraft) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut keep = Vec::new();
    for fd in f.fields.drain(..) {
        match seen.get(&fd.label) {
            Some(&k) => {
                let kept: &mut FieldDraft = &mut keep[k];
                if kept.value.is_empty() && !fd.value.is_empty() {
                    *kept = fd;
                }
            }
            None => {
                seen.insert(fd.label.clone(), keep.len());
                keep.push(fd);
            }
        }
    }
    f.fields = keep;
}

/// On a scan, a short value that swallowed the next label and its value
/// ("闵行区科学技术委员会(汇总)实施单位上海市闵行区信息服务中心": a rule
/// OCR missed) is cut at the label; the rest becomes that field's value
/// when the form has none.
pub fn split_run_on_labels(f: &mut FormDraft, m: &Matcher) {
    // long texts (项目概况 …) may well name a label in a sentence
    if !f.ocr {
        return;
    }
    let mut added = Vec::new();
    for i in 0..f.fields.len() {
        if m.vocab.field(&f.fields[i].label).map(|r| r.long).unwrap_or(true) {
            continue;
        }
        let value = f.fields[i].value.clone();
        for rule in &m.vocab.fields {
            if rule.label == f.fields[i].label || rule.label.chars().count() < 3 {
                continue;
            }
            let Some(at) = value.find(rule.label.as_str()) else { continue };
            if at == 0 {
                continue;
            }
            let head = value[..at].trim().to_string();
            let tail = value[at + rule.label.len()..].trim_start_matches([':', '：', ' ']).trim().to_string();
            let field = f.fields[i].label.clone();
            f.repairs.push(Repair::new(field_path(m, &field), STAGE, &value, &head, format!("the next label ({}) and its value ran into this one: cut", rule.label)));
            f.fields[i].value = head;
            let has = f.fields.iter().any(|x| x.label == rule.label && !x.value.is_empty()) || added.iter().any(|x: &FieldDraft| x.label == rule.label);
            if !has && !tail.is_empty() {
                f.repairs.push(Repair::new(field_path(m, &rule.label), STAGE, "", &tail, format!("value read after its label inside the {field} cell")));
                added.push(FieldDraft { raw_label: rule.label.clone(), label: rule.label.clone(), value: tail, at: f.fields[i].at });
            }
            break;
        }
    }
    f.fields.extend(added);
}

/// Department and implementer repeat across the forms of one dump. A value
/// rejoined from damaged cells that is close to a value printed cleanly in
/// at least two other forms is replaced by it (repair + flag).
pub fn doc_consensus(forms: &mut [FormDraft]) {
    for (label, path) in [("主管部门", "department"), ("实施单位", "implementer")] {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for f in forms.iter() {
            for fd in f.fields.iter().filter(|fd| fd.label == label && !fd.value.is_empty()) {
                *counts.entry(fd.value.clone()).or_default() += 1;
            }
        }
        for f in forms.iter_mut() {
            // on a scan: a common value with OCR specks or a neighbouring
            // cell run on after it ("…办公室om", "…办公室全年预算数") is it
            if f.ocr {
                for fd in f.fields.iter_mut().filter(|fd| fd.label == label) {
                    let own = counts.get(&fd.value).copied().unwrap_or(0);
                    let v = normalize(&fd.value);
                    let v = v.trim_start_matches(|c: char| !govtab_match::is_cjk(c));
                    let common = counts
                        .iter()
                        .filter(|(w, n)| **n >= 2 && **n > own && v.starts_with(normalize(w).as_str()) && **w != fd.value)
                        .max_by_key(|(w, _)| w.len());
                    if let Some((w, _)) = common {
                        let tail = &v[normalize(w).len()..];
                        f.repairs.push(Repair::new(path, STAGE, &fd.value, w, "the form set's common value, with OCR specks or a neighbouring cell after it: cut"));
                        // specks only: sure; a run-on word: worth a look
                        if tail.chars().any(govtab_match::is_cjk) {
                            f.flags.push(Flag::new(path, STAGE, format!("'{}' cut to the common value '{w}'", fd.value)));
                        }
                        fd.value = w.clone();
                    }
                }
            }
            // on a scan: the common value with its first or last glyph lost
            // ("海市松江区人民政府办公室")
            if f.ocr {
                for fd in f.fields.iter_mut().filter(|fd| fd.label == label && !fd.value.is_empty()) {
                    let v = normalize(&fd.value);
                    let n = v.chars().count();
                    let common = counts.iter().find(|(w, c)| {
                        let w = normalize(w);
                        **c >= 2 && n >= 4 && w.chars().count() == n + 1 && (w.ends_with(v.as_str()) || w.starts_with(v.as_str()))
                    });
                    if let Some((w, _)) = common {
                        f.repairs.push(Repair::new(path, STAGE, &fd.value, w, "the form set's common value with a glyph OCR lost at one end"));
                        f.flags.push(Flag::new(path, STAGE, format!("'{}' read as the common value '{w}' (one glyph lost)", fd.value)));
                        fd.value = w.clone();
                    }
                }
            }
            let rejoined = f.repairs.iter().any(|r| r.field == path && r.stage == STAGE);
            if !rejoined {
                continue;
            }
            for fd in f.fields.iter_mut().filter(|fd| fd.label == label) {
                let own = counts.get(&fd.value).copied().unwrap_or(0);
                let best = counts
                    .iter()
                    .filter(|(w, n)| **n >= 2 && **n > own && **w != fd.value)
                    .map(|(w, _)| (w, similarity(&fd.value, w)))
                    .filter(|(_, s)| *s >= 0.75)
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((w, s)) = best {
                    f.repairs.push(Repair::new(path, STAGE, &fd.value, w, format!("damaged value replaced by the form set's common value (similarity {s:.2})")));
                    f.flags.push(Flag::new(path, STAGE, format!("'{}' read as damaged; replaced by '{w}'", fd.value)));
                    fd.value = w.clone();
                }
            }
        }
    }
}

/// The 项目名称 row and the 主管部门 | 实施单位 row merged into one line
/// (the 主管部门 label lost): the cells after 项目名称 are the department's.
/// The project name is then looked for after the year, where a damaged
/// title block pushes it.
/// On a scan whose 项目名称 label OCR garbled (`贡日名称`, `_aRee`), the
/// project row is still the line just above the 主管部门 / 实施单位 row:
/// its last cell of Chinese text, junk before it cut, is the project (a
/// repair, flagged). Lines that carry a known label or a title are not it.
pub fn project_by_place(f: &mut FormDraft, lines: &[SrcLine], m: &Matcher) {
    let has_project = f.fields.iter().any(|fd| fd.label == "项目名称" && !fd.value.trim().is_empty());
    if !f.ocr || has_project {
        return;
    }
    let is_unit_row = |l: &SrcLine| l.cells.iter().any(|c| matches!(m.field_label(&c.text).map(|x| x.0).as_deref(), Some("主管部门" | "实施单位")));
    let Some(k) = lines.iter().position(is_unit_row) else { return };
    let Some(prev) = lines[..k].iter().rev().find(|l| !l.is_blank()) else { return };
    let labelled = prev.cells.iter().any(|c| m.field_label(&c.text).is_some_and(|(l, _)| l != "项目名称"));
    if labelled || crate::segment::title_of(prev, m).is_some() {
        return;
    }
    let cjk = |t: &str| t.chars().filter(|c| govtab_match::is_cjk(*c)).count();
    let Some(cell) = prev.cells.iter().rev().find(|c| cjk(&c.text) >= 4) else { return };
    let value = cell.text.trim_start_matches(|c: char| !govtab_match::is_cjk(c)).trim().to_string();
    if value.is_empty() || m.field_label(&value).is_some() {
        return;
    }
    f.repairs.push(Repair::new("project", STAGE, &cell.text, &value, "项目名称 label unreadable; the project row is the one above 主管部门"));
    f.flags.push(Flag::new("project", STAGE, "project name placed by its row (label unreadable)"));
    f.fields.retain(|fd| fd.label != "项目名称");
    f.fields.push(FieldDraft { raw_label: String::new(), label: "项目名称".into(), value, at: Provenance { page: prev.page, line: prev.no, col: cell.col } });
}

pub fn fix_merged_project_row(f: &mut FormDraft, lines: &[SrcLine], m: &Matcher) {
    let Some(pi) = f.fields.iter().position(|fd| fd.label == "项目名称") else { return };
    let line = f.fields[pi].at.line;
    let merged = f.fields.iter().any(|fd| fd.label == "实施单位" && fd.at.line == line) && !f.fields.iter().any(|fd| fd.label == "主管部门");
    if !merged || f.fields[pi].value.is_empty() {
        return;
    }
    let value = std::mem::take(&mut f.fields[pi].value);
    let at = f.fields[pi].at;
    f.repairs.push(Repair::new("department", STAGE, "", &value, "项目名称 and 主管部门 rows merged on one line; the cells are the department's"));
    f.flags.push(Flag::new("department", STAGE, "taken from a merged 项目名称 / 主管部门 line"));
    f.fields.push(FieldDraft { raw_label: String::new(), label: "主管部门".into(), value, at });
    if let Some(p) = project_after_year(lines, m) {
        f.repairs.push(Repair::new("project", STAGE, "", &p, "project name read after the year on the damaged title lines"));
        f.flags.push(Flag::new("project", STAGE, "project name recovered from the title block"));
        f.fields[pi].value = p;
    } else {
        f.flags.push(Flag::new("project", STAGE, "project name cell not found"));
    }
}

/// "(2023 年 | . (支) 业务培训": the last all-CJK word after the year.
fn project_after_year(lines: &[SrcLine], _m: &Matcher) -> Option<String> {
    for l in lines.iter().take(4) {
        let Some(k) = l.cells.iter().position(|c| normalize(&c.text).contains("(20") || normalize(&c.text).contains("（20")) else { continue };
        let after: Vec<&str> = l.cells[k + 1..].iter().flat_map(|c| c.text.split_whitespace()).collect();
        return after
            .iter()
            .rev()
            .find(|w| w.chars().count() >= 2 && w.chars().all(govtab_match::is_cjk))
            .map(|w| w.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_model::{FormKind, Vocabulary};

    fn form(fields: &[(&str, &str)]) -> FormDraft {
        FormDraft {
            ocr: true,
            fields: fields.iter().map(|(l, v)| FieldDraft { raw_label: l.to_string(), label: l.to_string(), value: v.to_string(), at: Provenance::default() }).collect(),
            ..FormDraft::new(1, FormKind::SelfEvaluation)
        }
    }

    #[test]
    fn a_value_that_ran_into_the_next_label_is_cut_there() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let mut f = form(&[("主管部门", "闵行区科学技术委员会(汇总)实施单位上海市闵行区信息服务中心")]);
        split_run_on_labels(&mut f, &m);
        let get = |l: &str| f.fields.iter().find(|x| x.label == l).map(|x| x.value.as_str());
        assert_eq!(get("主管部门"), Some("闵行区科学技术委员会(汇总)"));
        assert_eq!(get("实施单位"), Some("上海市闵行区信息服务中心"));
        assert!(f.repairs.iter().any(|r| r.field == "department"));
    }

    #[test]
    fn a_garbled_label_in_a_pairs_place_is_read_as_it() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let line = |cells: &[&str]| SrcLine {
            page: 1,
            no: 1,
            ocr: true,
            layout: LineLayout::Tabbed,
            cells: cells.iter().enumerate().map(|(i, t)| crate::clean::SrcCell { text: t.to_string(), col: i as u32 }).collect(),
        };
        let (mut fields, mut repairs) = (Vec::new(), Vec::new());
        let mut hp = HeaderParser::default();
        // the right label garbled ("REE TE"), then the left one ("PETE LEKI Ct)")
        hp.feed(&line(&["项目总预算(元)", "1,161,000", "REE TE", "1,161,000"]), &m, &mut fields, &mut repairs);
        hp.feed(&line(&["PETE LEKI Ct)", "785,310", "同名项目上年预算执行数(元)", "785,310"]), &m, &mut fields, &mut repairs);
        let get = |l: &str| fields.iter().find(|x: &&FieldDraft| x.label == l).map(|x| x.value.clone());
        assert_eq!(get("项目当年预算").as_deref(), Some("1,161,000"));
        assert_eq!(get("同名项目上年预算额").as_deref(), Some("785,310"));
        assert!(hp.flags.iter().any(|f| f.field.contains("同名项目上年预算额")));
        // a long label with its value lost waits for its wrapped lines; a
        // section heading ends the wait, garbled or not
        for heading in ["本项目上年度市级财政资金使用情况", "_ 本项目上年度市级财政次多使用情况L_ ae"] {
            let (mut fields, mut repairs) = (Vec::new(), Vec::new());
            let mut hp = HeaderParser::default();
            hp.feed(&line(&["总目标及阶段性目标", ""]), &m, &mut fields, &mut repairs);
            hp.feed(&line(&[heading]), &m, &mut fields, &mut repairs);
            let got = fields.iter().find(|x: &&FieldDraft| x.label == "总目标及阶段性目标").map(|x| x.value.clone());
            assert_eq!(got.as_deref(), Some(""), "{heading}");
        }
    }

    #[test]
    fn specks_after_the_form_sets_common_value_are_cut() {
        let common = "上海市松江区人民政府办公室";
        let mut forms = vec![form(&[("实施单位", common)]), form(&[("实施单位", common)]), form(&[("实施单位", "上海市松江区人民政府办公室om")]), form(&[("实施单位", "上海市松江区人民政府")])];
        doc_consensus(&mut forms);
        assert_eq!(forms[2].fields[0].value, common);
        // not a prefix of the common value: left as read
        assert_eq!(forms[3].fields[0].value, "上海市松江区人民政府");
        // its first glyph lost: the common value, flagged
        let mut forms = vec![form(&[("实施单位", common)]), form(&[("实施单位", common)]), form(&[("实施单位", "海市松江区人民政府办公室")])];
        doc_consensus(&mut forms);
        assert_eq!(forms[2].fields[0].value, common);
        assert!(forms[2].flags.iter().any(|x| x.field == "implementer"));
    }

    #[test]
    fn the_project_row_is_found_above_the_unit_row_when_its_label_is_garbled() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let line = |no: u32, cells: &[&str]| SrcLine {
            page: 1,
            no,
            ocr: true,
            layout: LineLayout::Tabbed,
            cells: cells.iter().enumerate().map(|(i, t)| crate::clean::SrcCell { text: t.to_string(), col: i as u32 }).collect(),
        };
        let lines = vec![
            line(1, &["财政项目支出绩效自评表"]),
            line(2, &["(2023年度)"]),
            line(3, &["_aRee", "——. _ 信息化运维项目"]),
            line(4, &["FRI", "中国共产党上海市委员会宣传部", "实施单位", "上海市网络与信息安全应急管理事务中心"]),
        ];
        let mut f = form(&[]);
        project_by_place(&mut f, &lines, &m);
        assert_eq!(f.fields.iter().find(|x| x.label == "项目名称").map(|x| x.value.as_str()), Some("信息化运维项目"));
        assert!(f.flags.iter().any(|x| x.field == "project"));
        // a project already read is left alone
        let mut f = form(&[("项目名称", "业务工作经费")]);
        project_by_place(&mut f, &lines, &m);
        assert_eq!(f.fields[0].value, "业务工作经费");
    }
}
