//! The indicator table: every row's cells into canonical columns.
//!
//! Positions are not trusted: a row that lost or gained a leading cell, a
//! label printed in the wrong column, a page break that restarted the
//! columns all shift cells. Instead each cell is typed ([`crate::cells`]) and
//! the row is read as a sequence: leading category cells, then 三级指标,
//! 年度指标值, 实际完成值, and — on self-evaluation forms — the two numbers
//! 分值 and 得分 (the last two numbers of the row) followed by an optional
//! 偏差原因 text. Surplus text cells before the 三级 name are category cells
//! OCR garbled beyond recognition (kept for `match`, flagged).

use govtab_match::{normalize, squeeze_cjk_spaces, trim_junk, CatMatch, Level, Matcher};
use govtab_model::{Flag, FormDraft, FormKind, IndicatorDraft, Provenance, Repair};

use crate::cells::{kind_of, starts_with_comparator, Kind};
use crate::clean::SrcLine;
use crate::STAGE;

/// A header row of the indicator table (any three header cells). On an OCR
/// page, where the header cells come out garbled (`-级目标`) or run together
/// (`三级目标指标目标值`), two look-alike or contained header names suffice.
pub fn is_indicator_header(line: &SrcLine, m: &Matcher) -> bool {
    if line.cells.iter().filter(|c| m.is_indicator_header(&c.text)).count() >= 3 {
        return true;
    }
    line.ocr && line.cells.iter().map(|c| m.indicator_header_hits(&c.text)).sum::<usize>() >= 2
}

/// The first indicator row of a table whose header OCR lost entirely: a
/// line that opens with a 一级 category followed by one of its 二级
/// categories (`投入与管理 | 投入管理 | …`), with more cells after them.
pub fn is_headless_table_start(line: &SrcLine, m: &Matcher, family: &str) -> bool {
    if !line.ocr || line.cells.len() < 3 {
        return false;
    }
    let (Some(a), Some(b)) = (m.category(&line.cells[0].text, family), m.category(&line.cells[1].text, family)) else {
        return false;
    };
    a.score >= 0.75 && b.score >= 0.75 && matches!(a.level, Level::L1 | Level::Both) && matches!(b.level, Level::L2 | Level::Both) && m.is_level2_of(&b.name, &a.name, family)
}

/// `评分等级 | 优` → `优`.
pub fn grade_of(line: &SrcLine, m: &Matcher) -> Option<String> {
    let i = line.cells.iter().position(|c| m.vocab.grade_labels.iter().any(|g| g == trim_junk(&normalize(&c.text))))?;
    line.cells.get(i + 1).map(|c| c.text.clone())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    Row,
    Total,
    Other,
}

#[derive(Debug, Clone)]
struct Tok {
    text: String,
    kind: Kind,
    /// The cell's column on the line.
    col: u32,
}

pub struct TableParser {
    kind: FormKind,
    family: String,
    rows: Vec<IndicatorDraft>,
    pending_fragment: Option<(String, Provenance)>,
    pending_l1: Option<String>,
    pending_l2: Option<String>,
    /// 二级 labels OCR read stacked in one merged cell, for the rows below
    /// that print none.
    stacked_l2: std::collections::VecDeque<String>,
    total_weight: Option<String>,
    total_score: Option<String>,
    repairs: Vec<Repair>,
    flags: Vec<Flag>,
}

fn is_valueish(k: &Kind) -> bool {
    matches!(k, Kind::Value | Kind::Num(_))
}

impl TableParser {
    pub fn new(kind: FormKind, family: &str) -> Self {
        TableParser {
            kind,
            family: family.to_string(),
            rows: Vec::new(),
            pending_fragment: None,
            pending_l1: None,
            pending_l2: None,
            stacked_l2: Default::default(),
            total_weight: None,
            total_score: None,
            repairs: Vec::new(),
            flags: Vec::new(),
        }
    }

    /// A header row (repeated after a page break): nothing to keep.
    pub fn header(&mut self, _line: &SrcLine, _m: &Matcher) {}

    pub fn rows(&self) -> &[IndicatorDraft] {
        &self.rows
    }

    fn path(&self, i: usize, field: &str) -> String {
        format!("indicators[{i}].{field}")
    }

    /// Read one line of the table.
    pub fn feed(&mut self, line: &SrcLine, m: &Matcher) -> Feed {
        // on a scan, a merged cell whose labels OCR stacked into one
        // ("数最指标产出指、质最指标时效指标\n成本指标"): this row takes the
        // first 二级 (and the 一级 if there), the rows below the rest
        let mut stacked_line;
        let mut line = line;
        let mut stacked_here = false;
        if line.ocr {
            if let Some((k, l1, l2s)) = line.cells.iter().take(2).enumerate().find_map(|(k, c)| stacked_labels(&c.text, m, &self.family).map(|(a, b)| (k, a, b))) {
                stacked_line = line.clone();
                let col = stacked_line.cells[k].col;
                let mut cells: Vec<crate::clean::SrcCell> = l1.into_iter().map(|t| crate::clean::SrcCell { text: t, col }).collect();
                cells.push(crate::clean::SrcCell { text: l2s[0].clone(), col });
                self.repairs.push(Repair::new(self.path(self.rows.len(), "level2"), STAGE, &stacked_line.cells[k].text, l2s.join(" | "), "labels of merged cells read stacked in one cell: one per row from here down"));
                self.stacked_l2 = l2s[1..].iter().cloned().collect();
                stacked_line.cells.splice(k..=k, cells);
                line = &stacked_line;
                stacked_here = true;
            }
        }
        let toks: Vec<Tok> = line
            .cells
            .iter()
            .flat_map(|c| split_category_pair(&c.text, m, &self.family).into_iter().map(move |t| (t, c.col)))
            .flat_map(|(t, col)| if line.ocr { split_trailing_number(&t) } else { vec![t] }.into_iter().map(move |t| (t, col)))
            .map(|(t, col)| Tok { kind: kind_of(&t, m, &self.family), text: t, col })
            .collect();
        let at = Provenance { page: line.page, line: line.no, col: 0 };
        // a lone speck on a line of its own ("7", "1" between OCR'd rows) is
        // no row and no total
        if line.ocr && toks.len() == 1 && normalize(&toks[0].text).chars().count() <= 2 && !matches!(toks[0].kind, Kind::Cat(_) | Kind::Text) {
            return Feed::Other;
        }

        // totals row: 总分 label, or bare numbers under the table
        let has_total_label = toks.iter().any(|t| m.vocab.total_labels.iter().any(|l| l == trim_junk(&normalize(&t.text))));
        let nums: Vec<&Tok> = toks.iter().filter(|t| matches!(t.kind, Kind::Num(_))).collect();
        let contentless = toks.iter().all(|t| matches!(t.kind, Kind::Num(_) | Kind::Junk | Kind::Block) || (t.text.chars().count() <= 1));
        if has_total_label || (self.kind == FormKind::SelfEvaluation && contentless && !nums.is_empty() && nums.len() <= 2 && !self.rows.is_empty()) {
            // on a 总分 row, a number OCR could not read ("oo.oo") still holds
            // its column: keep it so the arithmetic can stand in for it
            let number_like = |t: &Tok| {
                let n = normalize(&t.text);
                matches!(t.kind, Kind::Num(_)) || (!n.is_empty() && n.chars().all(|c| "0123456789.,oOiIl|][%".contains(c)) && n.contains('.'))
            };
            let cells: Vec<&Tok> = toks.iter().filter(|t| number_like(t)).collect();
            let nums = if has_total_label && cells.len() == 2 { cells } else { nums };
            match nums.len() {
                2 => {
                    self.total_weight = Some(nums[0].text.clone());
                    self.total_score = Some(nums[1].text.clone());
                }
                1 => {
                    self.total_score = Some(nums[0].text.clone());
                    self.flags.push(Flag::new("total_score", STAGE, "总分 row has one number; taken as the score"));
                }
                _ => {}
            }
            return Feed::Total;
        }

        // leading region: category cells, block label pieces, junk
        let mut i = 0;
        let mut cats: Vec<(CatMatch, String)> = Vec::new();
        let mut cat_col = 0;
        let mut lead_garbled: Vec<String> = Vec::new();
        let mut lead_noise = false;
        let has_content_after = |from: usize| toks[from..].iter().any(|t| matches!(t.kind, Kind::Text | Kind::Value));
        while i < toks.len() {
            match &toks[i].kind {
                Kind::Block => i += 1,
                Kind::Junk => {
                    // a long run of noise where a category cell sits
                    if normalize(&toks[i].text).chars().count() >= 3 && (i > 0 || toks[i].col >= 2) {
                        lead_noise = true;
                    }
                    i += 1
                }
                Kind::Num(_) if has_content_after(i + 1) && cats.is_empty() => {
                    i += 1
                }
                Kind::Cat(c) if cats.len() < 2 => {
                    cats.push((c.clone(), toks[i].text.clone()));
                    cat_col = toks[i].col;
                    i += 1
                }
                Kind::Text if toks[i].text.chars().count() == 1 && has_content_after(i + 1) => {
                    i += 1
                }
                // garbled text before a category cell: a category too
                Kind::Text if cats.is_empty() && toks.get(i + 1).map(|t| matches!(t.kind, Kind::Cat(_))).unwrap_or(false) => {
                    lead_garbled.push(toks[i].text.clone());
                    i += 1
                }
                _ => break,
            }
        }
        let seq: Vec<Tok> = toks[i..].iter().filter(|t| t.kind != Kind::Block).cloned().collect();

        // a category that leaves too few cells for the row was a 三级 name
        // that merely resembles one (服务对象满意率 ≈ 服务对象满意度指标)
        let need = if self.kind == FormKind::SelfEvaluation { 3 } else { 2 };
        let mut seq = seq;
        if let Some((c, raw)) = cats.last().cloned() {
            let content = seq.iter().filter(|t| !matches!(t.kind, Kind::Num(_) | Kind::Junk)).count();
            // …unless, on an OCR page, an empty cell stands between it and
            // the row's values: the 三级 cell is there, and blank
            let blank_after = line.ocr && c.score >= 0.75 && seq.first().map(|t| t.col > cat_col + 1).unwrap_or(false);
            if c.score < 1.0 && content + 1 == need && !seq.is_empty() && !blank_after {
                cats.pop();
                seq.insert(0, Tok { text: raw, kind: Kind::Text, col: cat_col });
            }
        }

        if seq.iter().all(|t| t.kind == Kind::Junk) {
            if !cats.is_empty() {
                self.apply_label_line(&cats);
            }
            return Feed::Other;
        }

        // numbers at the end: 分值, 得分 (self-evaluation)
        let mut weight: Option<String> = None;
        let mut score: Option<String> = None;
        let mut deviation: Vec<String> = Vec::new();
        let mut middle: Vec<Tok> = seq.clone();
        let mut weight_unreadable = false;
        if self.kind == FormKind::SelfEvaluation {
            let s_pos = (0..seq.len()).rev().find(|&k| matches!(seq[k].kind, Kind::Num(_)) && seq[k + 1..].iter().all(|t| matches!(t.kind, Kind::Text | Kind::Junk)));
            if let Some(s) = s_pos {
                for t in &seq[s + 1..] {
                    if t.kind == Kind::Text {
                        deviation.push(t.text.clone());
                    }
                }
                score = Some(seq[s].text.clone());
                let end = if s >= 1 && matches!(seq[s - 1].kind, Kind::Num(_)) {
                    weight = Some(seq[s - 1].text.clone());
                    s - 1
                } else if s >= 1 && seq[s - 1].kind == Kind::Junk {
                    weight = Some(seq[s - 1].text.clone());
                    weight_unreadable = true;
                    s - 1
                } else {
                    // one number only: it is the 分值 (the score may be blank)
                    weight = score.take();
                    s
                };
                middle = seq[..end].to_vec();
            }
        }
        let junk: Vec<String> = middle.iter().filter(|t| t.kind == Kind::Junk).map(|t| t.text.clone()).collect();
        let junk_inside = !junk.is_empty();
        middle.retain(|t| t.kind != Kind::Junk);

        // a row with nothing but one piece of text: a wrapped or page-broken
        // 三级 cell
        // (on an OCR line that opens with a category cell and has noise where
        // the value sits, it is a row whose value OCR could not read)
        // (and one that prints both its 一级 and 二级 cells opens a row of
        // its own: its values OCR lost, its name is no other row's tail)
        let unread_value_row = line.ocr && !cats.is_empty() && (junk_inside || cats.len() >= 2);
        if weight.is_none() && score.is_none() && middle.len() == 1 && middle[0].kind == Kind::Text && !unread_value_row {
            self.fragment(&middle[0].text, at);
            if !cats.is_empty() {
                self.apply_label_line(&cats);
            }
            return Feed::Other;
        }

        let mut ind = IndicatorDraft { at, ..Default::default() };
        let idx = self.rows.len();
        let mut garbled: Vec<String> = lead_garbled;
        // surplus cells before the 三级 name: garbled category cells
        while middle.len() > need && !matches!(middle[0].kind, Kind::Num(_)) && cats.len() + garbled.len() < 2 {
            garbled.push(middle.remove(0).text);
        }
        if middle.len() > need {
            // still too many: the 三级 name was split over cells
            let extra = middle.len() - need;
            let head: Vec<String> = middle.drain(..=extra).map(|t| t.text).collect();
            let joined = squeeze_cjk_spaces(&head.join(""));
            self.repairs.push(Repair::new(self.path(idx, "level3"), STAGE, head.join(" | "), &joined, "三级 name rejoined from split cells"));
            middle.insert(0, Tok { text: joined, kind: Kind::Text, col: 0 });
        }
        match (self.kind, middle.len()) {
            (_, 0) => {}
            (FormKind::SelfEvaluation, 3) | (FormKind::Target, 2) => {
                ind.level3 = Some(middle[0].text.clone());
                ind.target = Some(middle[1].text.clone());
                if self.kind == FormKind::SelfEvaluation {
                    ind.actual = Some(middle[2].text.clone());
                }
            }
            (FormKind::SelfEvaluation, 2) => {
                if is_valueish(&middle[0].kind) && is_valueish(&middle[1].kind) {
                    ind.target = Some(middle[0].text.clone());
                    ind.actual = Some(middle[1].text.clone());
                } else {
                    ind.level3 = Some(middle[0].text.clone());
                    ind.target = Some(middle[1].text.clone());
                    self.flags.push(Flag::new(self.path(idx, "actual"), STAGE, "row has no 实际完成值 cell"));
                }
            }
            (_, _) => {
                if middle[0].kind == Kind::Text && !(starts_with_comparator(&middle[0].text)) {
                    ind.level3 = Some(middle[0].text.clone());
                } else {
                    ind.target = Some(middle[0].text.clone());
                }
            }
        }
        ind.weight = weight;
        ind.score = score;
        // on a scan, a row whose value cells OCR lost: its 分值 and 得分 slid
        // into the target and result places ("10.00 | 10.00e" and nothing
        // after): read back as the marks
        if self.kind == FormKind::SelfEvaluation && line.ocr && ind.weight.is_none() && ind.score.is_none() {
            if let (Some(t), Some(a)) = (ind.target.clone(), ind.actual.clone()) {
                if let (Some(w), Some(sc)) = (mark_like(&t), mark_like(&a)) {
                    self.repairs.push(Repair::new(self.path(idx, "weight"), STAGE, &t, &w, "分值 found in the target place (the row's value cells lost)"));
                    self.repairs.push(Repair::new(self.path(idx, "score"), STAGE, &a, &sc, "得分 found in the result place (the row's value cells lost)"));
                    for field in ["target", "actual", "weight", "score"] {
                        self.flags.push(Flag::new(self.path(idx, field), STAGE, "row's cells shifted left: its marks read from the value places, its values lost"));
                    }
                    ind.weight = Some(w);
                    ind.score = Some(sc);
                    ind.target = None;
                    ind.actual = None;
                }
            }
        }
        if self.kind == FormKind::SelfEvaluation {
            ind.deviation = Some(squeeze_cjk_spaces(&deviation.join("")));
        }

        // categories printed on the row
        match cats.len() {
            // "效益指标 | 效益指标": the 二级 cell lost its head (社会效益指标)
            // and reads as its 一级 again — a garbled 二级
            2 if cats[0].0.name == cats[1].0.name && cats[1].0.level == Level::L1 => {
                ind.raw_level1 = Some(cats[0].1.clone());
                garbled.push(cats[1].1.clone());
            }
            2 => {
                ind.raw_level1 = Some(cats[0].1.clone());
                ind.raw_level2 = Some(cats[1].1.clone());
            }
            1 => {
                if cats[0].0.level == Level::L1 {
                    ind.raw_level1 = Some(cats[0].1.clone());
                } else {
                    ind.raw_level2 = Some(cats[0].1.clone());
                }
            }
            _ => {}
        }
        if !garbled.is_empty() {
            ind.garbled_category = true;
            if ind.raw_level2.is_none() {
                ind.raw_level2 = garbled.last().cloned();
            }
        } else if lead_noise && ind.raw_level2.is_none() {
            // noise glyphs where the 二级 cell sits: a label may be hidden
            ind.garbled_category = true;
        }
        if ind.raw_level1.is_none() {
            ind.raw_level1 = self.pending_l1.take();
        }
        if ind.raw_level2.is_none() && !ind.garbled_category {
            ind.raw_level2 = self.pending_l2.take();
        }
        if ind.raw_level2.is_some() && !stacked_here {
            // a label of its own: the stack no longer lines up
            self.stacked_l2.clear();
        } else if ind.raw_level2.is_none() {
            if let Some(l2) = self.stacked_l2.pop_front() {
                self.flags.push(Flag::new(self.path(idx, "level2"), STAGE, format!("二级 {l2} taken from labels stacked in a merged cell above")));
                ind.raw_level2 = Some(l2);
                ind.garbled_category = false;
            }
        }
        self.pending_l1 = None;
        self.pending_l2 = None;

        // a fragment waiting for this row: the head of a page-broken cell
        if let Some((frag, _)) = self.pending_fragment.take() {
            match &ind.level3 {
                Some(l3) if overlap_join(&frag, l3).is_some() => {
                    let joined = overlap_join(&frag, l3).unwrap_or_default();
                    self.repairs.push(Repair::new(self.path(idx, "level3"), STAGE, format!("{frag} | {l3}"), &joined, "三级 name cut by a page break rejoined (repeated character dropped)"));
                    ind.level3 = Some(joined);
                }
                None => {
                    self.repairs.push(Repair::new(self.path(idx, "level3"), STAGE, "", &frag, "三级 name printed on the line above its row"));
                    ind.level3 = Some(frag);
                }
                Some(_) => self.append_to_last(&frag),
            }
        }

        // on a scan, a 三级 cell holding a category name ("社会效益指标",
        // "消意度指标"): the row's cells shifted and its name was lost; the
        // text is the row's 二级 when it has none (三级 names never say 指标)
        if line.ocr {
            if let Some(l3) = ind.level3.clone() {
                let n = normalize(&l3);
                let cat = m.category_lenient(&l3, &self.family).filter(|c| c.score >= 0.75);
                if cat.is_some() || n.contains("指标") {
                    if ind.raw_level2.is_none() && cat.as_ref().map(|c| c.level != Level::L1).unwrap_or(false) {
                        ind.raw_level2 = Some(l3.clone());
                    }
                    ind.level3 = None;
                    // the row's cells moved one to the right: a name in the
                    // target cell is the 三级 name, the value after it the
                    // target (its own value cell lost)
                    let name_like = |t: &str| kind_of(t, m, &self.family) == Kind::Text && t.chars().filter(|c| govtab_match::is_cjk(*c)).count() >= 4;
                    let shifted = self.kind == FormKind::SelfEvaluation && ind.target.as_deref().is_some_and(name_like) && ind.actual.as_deref().is_some_and(|a| kind_of(a, m, &self.family) == Kind::Value);
                    if shifted {
                        let name = ind.target.take().unwrap_or_default();
                        let value = ind.actual.take().unwrap_or_default();
                        self.repairs.push(Repair::new(self.path(idx, "level3"), STAGE, &l3, &name, "a category name in the 三级 cell: the row's cells moved one right; read back one to the left"));
                        self.repairs.push(Repair::new(self.path(idx, "target"), STAGE, &name, &value, "cell moved back one to the left"));
                        self.flags.push(Flag::new(self.path(idx, "actual"), STAGE, "row's cells shifted: one value cell lost (target or result)"));
                        ind.level3 = Some(name);
                        ind.target = Some(value);
                    } else {
                        self.repairs.push(Repair::new(self.path(idx, "level3"), STAGE, &l3, "", "a category name in the 三级 cell: cells shifted, the name lost"));
                    }
                }
            }
        }
        if weight_unreadable {
            self.flags.push(Flag::new(self.path(idx, "weight"), STAGE, format!("分值 cell unreadable ('{}')", ind.weight.clone().unwrap_or_default())));
            ind.weight = None;
        }
        if junk_inside {
            // every cell of the row found besides the noise: the noise was
            // specks between cells, dropped (logged); cells missing: one of
            // them may be what the noise stands for
            let complete = ind.level3.is_some() && ind.target.is_some() && (self.kind != FormKind::SelfEvaluation || (ind.actual.is_some() && ind.weight.is_some() && ind.score.is_some()));
            if complete {
                self.repairs.push(Repair::new(format!("indicators[{idx}]"), STAGE, junk.join(" | "), "", "noise glyphs between the row's cells dropped (every cell of the row read besides them)"));
            } else {
                // the noise stands where a cell was lost: those cells
                let lost = [("level3", ind.level3.is_none()), ("target", ind.target.is_none()), ("actual", ind.actual.is_none() && self.kind == FormKind::SelfEvaluation), ("weight", ind.weight.is_none() && self.kind == FormKind::SelfEvaluation), ("score", ind.score.is_none() && self.kind == FormKind::SelfEvaluation)];
                for (field, _) in lost.iter().filter(|(_, l)| *l) {
                    self.flags.push(Flag::new(self.path(idx, field), STAGE, format!("noise glyphs inside the row ('{}') where this cell is lost", junk.join(" "))));
                }
            }
        }
        if ind.level3.is_none() {
            self.flags.push(Flag::new(self.path(idx, "level3"), STAGE, "row has no 三级 name"));
        }
        if self.kind == FormKind::SelfEvaluation && !weight_unreadable {
            for (field, v) in [("weight", &ind.weight), ("score", &ind.score)] {
                if v.is_none() {
                    self.flags.push(Flag::new(self.path(idx, field), STAGE, format!("row has no {} cell", if field == "weight" { "分值" } else { "得分" })));
                }
            }
        }
        self.rows.push(ind);
        Feed::Row
    }

    /// Push a row built elsewhere (flattened tables).
    pub fn push_row(&mut self, ind: IndicatorDraft) {
        self.rows.push(ind);
    }

    pub fn set_pending_labels(&mut self, l1: Option<String>, l2: Option<String>) {
        self.pending_l1 = l1;
        self.pending_l2 = l2;
    }

    /// Labels on a line of their own: the label of a merged cell printed at
    /// its centre. It belongs to the row above when that row has none, else
    /// to the rows below.
    fn apply_label_line(&mut self, cats: &[(CatMatch, String)]) {
        for (c, raw) in cats {
            let is_l1 = c.level == Level::L1;
            let idx = self.rows.len();
            let prev = self.rows.last_mut();
            match prev {
                Some(p) if is_l1 && p.raw_level1.is_none() => {
                    p.raw_level1 = Some(raw.clone());
                    self.repairs.push(Repair::new(format!("indicators[{}].level1", idx - 1), STAGE, "", raw, "merged-cell label printed below the row applied to it"));
                }
                Some(p) if !is_l1 && p.raw_level2.is_none() && !p.garbled_category => {
                    p.raw_level2 = Some(raw.clone());
                    self.repairs.push(Repair::new(format!("indicators[{}].level2", idx - 1), STAGE, "", raw, "merged-cell label printed below the row applied to it"));
                }
                _ => {
                    if is_l1 {
                        self.pending_l1 = Some(raw.clone());
                    } else {
                        self.pending_l2 = Some(raw.clone());
                    }
                }
            }
        }
    }

    fn fragment(&mut self, frag: &str, at: Provenance) {
        if let Some(prev) = self.rows.last() {
            if let Some(l3) = &prev.level3 {
                if l3.ends_with(frag) {
                    let i = self.rows.len() - 1;
                    self.repairs.push(Repair::new(self.path(i, "level3"), STAGE, frag, l3, "wrapped tail printed twice; duplicate dropped"));
                    return;
                }
            }
        }
        if let Some((prev, _)) = self.pending_fragment.take() {
            self.append_to_last(&prev);
        }
        self.pending_fragment = Some((frag.to_string(), at));
    }

    fn append_to_last(&mut self, frag: &str) {
        let Some(i) = self.rows.len().checked_sub(1) else { return };
        let path = self.path(i, "level3");
        let row = &mut self.rows[i];
        let before = row.level3.clone().unwrap_or_default();
        let after = format!("{before}{frag}");
        row.level3 = Some(after.clone());
        self.repairs.push(Repair::new(path, STAGE, before, after, "wrapped 三级 cell tail rejoined"));
    }

    pub fn finish(mut self, f: &mut FormDraft) {
        if let Some((frag, _)) = self.pending_fragment.take() {
            self.append_to_last(&frag);
        }
        f.indicators.extend(self.rows);
        f.repairs.extend(self.repairs);
        f.flags.extend(self.flags);
        if f.total_weight.is_none() {
            f.total_weight = self.total_weight;
        }
        if f.total_score.is_none() {
            f.total_score = self.total_score;
        }
    }
}

/// A mark as the forms print it ("10.00", OCR's "10:00", "10.00e"): up to
/// three digits, a point (or a colon) and two decimals, specks after it
/// dropped. Returns it with a point.
fn mark_like(t: &str) -> Option<String> {
    let t = t.trim().trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let (int, frac) = t.split_once(['.', ':'])?;
    let ok = (1..=3).contains(&int.len()) && frac.len() == 2 && int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit());
    ok.then(|| format!("{int}.{frac}"))
}

/// Join a page-broken head and its row's 三级 text when the row repeats the
/// head's last character ("…设施基" + "基础的…").
fn overlap_join(head: &str, tail: &str) -> Option<String> {
    let last = head.chars().last()?;
    let first = tail.chars().next()?;
    (last == first).then(|| format!("{head}{}", &tail[first.len_utf8()..]))
}

/// "合理 10.00" in one OCR cell: a value and the 分值 beside it, which OCR
/// ran together across a missed rule. Split when the last word is a plain
/// score-sized number (≤ 3 integer digits, ≤ 2 decimals) and what precedes
/// it is not a number or a lone glyph itself.
fn split_trailing_number(text: &str) -> Vec<String> {
    let t = text.trim();
    let Some((head, last)) = t.rsplit_once(char::is_whitespace) else { return vec![text.to_string()] };
    let head = head.trim();
    let (int, frac) = last.split_once('.').unwrap_or((last, ""));
    let score_sized = !int.is_empty() && int.len() <= 3 && frac.len() <= 2 && int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit());
    let head_is_number = head.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',' || c == ' ');
    // a one-glyph head is a (misread) comparator of the number: "之 80"
    if score_sized && head.chars().count() >= 2 && !head_is_number {
        vec![head.to_string(), last.to_string()]
    } else {
        vec![text.to_string()]
    }
}

/// Category names OCR read stacked in one cell: at least two 二级 names
/// found in it, in order (each a window of the text that looks like the
/// name), and the 一级 name among them if any. `None` for one name or none.
fn stacked_labels(text: &str, m: &Matcher, family: &str) -> Option<(Option<String>, Vec<String>)> {
    let conf = govtab_match::Confusables::builtin();
    let t: Vec<char> = normalize(text).chars().filter(|c| govtab_match::is_cjk(*c)).collect();
    if t.len() < 8 {
        return None;
    }
    let levels: Vec<(&str, bool)> = m
        .vocab
        .level1
        .iter()
        .filter(|l| l.family == family)
        .flat_map(|l| std::iter::once((l.name.as_str(), true)).chain(l.level2.iter().map(|x| (x.as_str(), false))))
        .filter(|(n, _)| n.chars().count() >= 4)
        .collect();
    // a name that is a 二级 somewhere (成本指标) counts as one
    let is_l2 = |name: &str| m.vocab.level1.iter().any(|l| l.family == family && l.level2.iter().any(|x| x == name));
    let levels: Vec<(&str, bool)> = levels.into_iter().map(|(n, l1)| (n, l1 && !is_l2(n))).collect();
    let mut found: Vec<(usize, usize, &str, bool, f64)> = Vec::new();
    for (name, is_l1) in &levels {
        let n = name.chars().count();
        if n > t.len() {
            continue;
        }
        for start in 0..=t.len() - n {
            let w: String = t[start..start + n].iter().collect();
            let s = conf.similarity(&w, name);
            // a name ends where its last glyph (标) is: windows that run
            // across two names do not
            if s >= 0.75 && t[start + n - 1] == name.chars().last().unwrap_or(' ') {
                found.push((start, start + n, name, *is_l1, s));
            }
        }
    }
    // best non-overlapping windows, exact and look-alike, left to right
    found.sort_by(|a, b| b.4.total_cmp(&a.4).then(a.0.cmp(&b.0)));
    let mut taken: Vec<(usize, usize, &str, bool)> = Vec::new();
    for (a, b, name, l1, _) in found {
        if taken.iter().all(|(x, y, _, _)| b <= *x || a >= *y) {
            taken.push((a, b, name, l1));
        }
    }
    taken.sort_by_key(|x| x.0);
    let l2s: Vec<String> = taken.iter().filter(|x| !x.3).map(|x| x.2.to_string()).collect();
    let l1 = taken.iter().find(|x| x.3).map(|x| x.2.to_string());
    (l2s.len() >= 2).then_some((l1, l2s))
}

/// "产出指标 质量指标" in one cell: two category names.
fn split_category_pair(text: &str, m: &Matcher, family: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() == 2 && words.iter().all(|w| m.category(w, family).map(|c| c.score >= 0.75).unwrap_or(false)) {
        return words.iter().map(|w| w.to_string()).collect();
    }
    vec![text.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clean::SrcCell;
    use govtab_model::{LineLayout, Vocabulary};

    /// A self-evaluation table from OCR'd lines, parsed and finished.
    fn parse_ocr(rows: &[&[&str]]) -> FormDraft {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let mut tp = TableParser::new(FormKind::SelfEvaluation, "standard");
        for cells in rows {
            tp.feed(&SrcLine { ocr: true, ..line(cells) }, &m);
        }
        let mut f = FormDraft::new(1, FormKind::SelfEvaluation);
        tp.finish(&mut f);
        f
    }

    fn line(cells: &[&str]) -> SrcLine {
        SrcLine {
            page: 1,
            no: 1,
            ocr: false,
            layout: LineLayout::Tabbed,
            cells: cells.iter().enumerate().filter(|(_, t)| !t.is_empty()).map(|(i, t)| SrcCell { text: t.to_string(), col: i as u32 }).collect(),
        }
    }

    fn parse(kind: FormKind, lines: &[&[&str]]) -> Vec<IndicatorDraft> {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let mut tp = TableParser::new(kind, "standard");
        for l in lines {
            tp.feed(&line(l), &m);
        }
        let mut f = FormDraft::new(1, kind);
        tp.finish(&mut f);
        f.indicators
    }

    #[test]
    fn shifted_row_lands_in_canonical_columns() {
        // a row that gained leading empty cells and one that lost its 二级 cell
        let rows = parse(FormKind::SelfEvaluation, &[
            &["", "", "", "", "质量指标", "咨询评估报告完整性", "完整", "完整", "9", "9"],
            &["", "", "", "咨询评估报告合格率", "", "=100%", "100%", "9", "9", ""],
        ]);
        assert_eq!(rows[0].raw_level2.as_deref(), Some("质量指标"));
        assert_eq!(rows[0].level3.as_deref(), Some("咨询评估报告完整性"));
        assert_eq!(rows[1].level3.as_deref(), Some("咨询评估报告合格率"));
        assert_eq!(rows[1].target.as_deref(), Some("=100%"));
        assert_eq!(rows[1].actual.as_deref(), Some("100%"));
        assert_eq!((rows[1].weight.as_deref(), rows[1].score.as_deref()), (Some("9"), Some("9")));
    }

    #[test]
    fn an_ocr_line_with_both_category_cells_and_a_name_is_a_row_whose_values_were_lost() {
        let f = parse_ocr(&[
            &["产出指标", "数量指标", "咨询评估报告完整性", "完整", "完整", "9", "9"],
            &["效益指标", "社会效益指标", "信息化建设水平", "", "", "", ""],
        ]);
        assert_eq!(f.indicators.len(), 2, "{:?}", f.indicators);
        assert_eq!(f.indicators[0].level3.as_deref(), Some("咨询评估报告完整性"));
        assert_eq!(f.indicators[1].level3.as_deref(), Some("信息化建设水平"));
        assert!(f.flags.iter().any(|x| x.field == "indicators[1].weight"));
        // a lone name under one category label is still a wrapped tail
        let f = parse_ocr(&[&["产出指标", "数量指标", "咨询评估报告", "完整", "完整", "9", "9"], &["", "质量指标", "完整性", "", "", "", ""]]);
        assert_eq!(f.indicators.len(), 1, "{:?}", f.indicators);
    }

    #[test]
    fn garbled_category_cell_is_kept_for_match() {
        let rows = parse(FormKind::SelfEvaluation, &[&["绩 效 お", "", "红川双血油", "财务监控有效性", "有效", "有效", "5", "5"]]);
        assert!(rows[0].garbled_category);
        assert_eq!(rows[0].level3.as_deref(), Some("财务监控有效性"));
        assert_eq!(rows[0].target.as_deref(), Some("有效"));
    }

    #[test]
    fn wrapped_tail_duplicate_dropped_and_page_broken_head_joined() {
        let rows = parse(FormKind::SelfEvaluation, &[
            &["", "", "", "信息化建设方案完善情况", "完善", "完善", "8", "8"],
            &["效益指标", "社会效益指标", "况"],
            &["", "", "", "闵行区关键信息设施基"],
            &["满意度指标", "服务对象满意度指标", "基础的单位人员满意度", ">=95%", ">=95%", "10", "10"],
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].level3.as_deref(), Some("信息化建设方案完善情况"));
        assert_eq!(rows[0].raw_level2.as_deref(), Some("社会效益指标"));
        assert_eq!(rows[1].level3.as_deref(), Some("闵行区关键信息设施基础的单位人员满意度"));
    }

    #[test]
    fn noise_between_cells_is_dropped_or_flagged_where_a_cell_is_lost() {
        let f = parse_ocr(&[
            // every cell read besides the noise: dropped, logged
            &["", "", "数量指标", "检测报告数量", "ee", "≥200(份)", "359(份)", "30", "30"],
            // noise where the result stands: that cell flagged, not the row
            &["", "", "", "自检次数", "≥1(次)", "Park a", "30", "30"],
        ]);
        assert_eq!(f.indicators[0].target.as_deref(), Some("≥200(份)"));
        assert!(f.repairs.iter().any(|r| r.field == "indicators[0]" && r.reason.contains("noise glyphs between")));
        assert!(!f.flags.iter().any(|x| x.field.starts_with("indicators[0]")), "{:?}", f.flags);
        let on1: Vec<&str> = f.flags.iter().filter(|x| x.field.starts_with("indicators[1]") && x.reason.contains("noise glyphs")).map(|x| x.field.as_str()).collect();
        assert_eq!(on1, ["indicators[1].actual"]);
    }

    #[test]
    fn junk_weight_is_flagged_not_guessed() {
        let rows = parse(FormKind::SelfEvaluation, &[&["", "", "生态效益指标", "推进援派干部工作", "有效", "有效", "თ", "3"]]);
        assert_eq!(rows[0].weight, None);
        assert_eq!(rows[0].score.as_deref(), Some("3"));
    }

    #[test]
    fn target_rows_and_label_in_first_column() {
        let rows = parse(FormKind::Target, &[
            &["", "", "质量指标", "质量指标", "全年稳定运行时间", "≥364.00(天)"],
            &["活动、检查的用户好评率", "", "", "≥90.00(%)"],
        ]);
        assert_eq!(rows[0].level3.as_deref(), Some("全年稳定运行时间"));
        assert_eq!(rows[1].level3.as_deref(), Some("活动、检查的用户好评率"));
        assert_eq!(rows[1].target.as_deref(), Some("≥90.00(%)"));
    }

    #[test]
    fn ocr_header_cells_garbled_or_run_together_still_start_the_table() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let ocr = |cells: &[&str]| SrcLine { ocr: true, ..line(cells) };
        assert!(is_indicator_header(&ocr(&["-级目标", "-级目标", ""]), &m));
        assert!(is_indicator_header(&ocr(&["2020 年绩效目标三级目标指标目标值"]), &m));
        // the funds header shares 分值/得分: not an indicator header
        assert!(!is_indicator_header(&ocr(&["年初预算数", "分值", "执行率", "得分"]), &m));
        // the same garbled cells on a text layer that is no OCR: not trusted
        assert!(!is_indicator_header(&line(&["-级目标", "-级目标"]), &m));
        // header lost: the first 一级/二级 row opens the table
        assert!(is_headless_table_start(&ocr(&["投入与管理", "投入管理", "ATR", "-100%"]), &m, "2020"));
        assert!(!is_headless_table_start(&ocr(&["投入与管理", "满意度", "ATR", "-100%"]), &m, "2020"));
    }

    #[test]
    fn a_value_run_into_its_score_is_split_on_ocr_lines() {
        assert_eq!(split_trailing_number("合理 10.00"), ["合理", "10.00"]);
        assert_eq!(split_trailing_number("提升 5"), ["提升", "5"]);
        // a comparator glyph and its number, a count with its unit, a money amount: one cell
        assert_eq!(split_trailing_number("之 80"), ["之 80"]);
        assert_eq!(split_trailing_number("30 个"), ["30 个"]);
        assert_eq!(split_trailing_number("预算 12000"), ["预算 12000"]);
    }

    #[test]
    fn a_category_before_a_blank_name_cell_stays_a_category_on_ocr_lines() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let mut tp = TableParser::new(FormKind::Target, "standard");
        // OCR lost the 三级 name; the empty cell between says so
        tp.feed(&SrcLine { ocr: true, ..line(&["产出指标", "数最指标", "", "=1.00(台)"]) }, &m);
        // 效益指标 twice: the 二级 lost its head
        tp.feed(&SrcLine { ocr: true, ..line(&["效益指标", "效益指标", "支撑的应用系统数量", "≥2(套)"]) }, &m);
        let mut f = FormDraft::new(1, FormKind::Target);
        tp.finish(&mut f);
        assert_eq!(f.indicators[0].level3, None);
        assert_eq!(f.indicators[0].raw_level2.as_deref(), Some("数最指标"));
        assert!(f.indicators[1].garbled_category);
    }

    #[test]
    fn a_lone_speck_line_neither_adds_a_row_nor_ends_the_table() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let ocr = |cells: &[&str]| SrcLine { ocr: true, ..line(cells) };
        let mut tp = TableParser::new(FormKind::SelfEvaluation, "standard");
        assert_eq!(tp.feed(&ocr(&["7"]), &m), Feed::Other);
        tp.feed(&ocr(&["产出指标", "质量指标", "采购质量达标率", "≥95%", "95%", "10.00", "10.00"]), &m);
        assert_eq!(tp.feed(&ocr(&["1"]), &m), Feed::Other);
        tp.feed(&ocr(&["效益指标", "社会效益指标", "疫情专班的后勤保障", "充分", "充分", "10.00", "10.00"]), &m);
        assert_eq!(tp.rows().len(), 2);
    }

    #[test]
    fn a_category_name_in_the_name_cell_is_no_name() {
        let f = parse_ocr(&[&["效益指标", "社会效益指标", "充分", "充分", "10.00", "10.00"], &["消意度指标", "≥90%", "95%", "10.00", "10.00"]]);
        assert_eq!(f.indicators[1].level3, None);
        assert!(f.flags.iter().any(|x| x.field == "indicators[1].level3"));
    }

    #[test]
    fn marks_in_the_value_places_of_a_row_without_marks_are_read_back() {
        let f = parse_ocr(&[&["满意度指标", "服务对象满意度指标", "来访团队满意度", "10.00", "10.00e"], &["合作机构满意度", "≥90%", "95%", "10.00", "10.00"]]);
        let r = &f.indicators[0];
        assert_eq!((r.target.as_deref(), r.weight.as_deref(), r.score.as_deref()), (None, Some("10.00"), Some("10.00")));
        assert!(f.flags.iter().any(|x| x.field == "indicators[0].target"));
        assert_eq!(f.indicators[1].target.as_deref(), Some("≥90%"));
    }

    #[test]
    fn a_row_moved_right_by_a_category_in_the_name_cell_is_read_back() {
        // 一级 | 二级 | 三级 | target | actual: a damaged 二级 label sits in
        // the 三级 cell, the name in the target cell, one value cell lost
        let f = parse_ocr(&[&["", "", "社会效益指 ”标", "疫情专班的后勤保障", "ses", "充分", "10.00", "10.00"]]);
        let row = &f.indicators[0];
        assert_eq!(row.level3.as_deref(), Some("疫情专班的后勤保障"));
        assert_eq!((row.target.as_deref(), row.actual.as_deref()), (Some("充分"), None));
        assert!(f.flags.iter().any(|x| x.field == "indicators[0].actual"));
        // a value (not a name) after the category: nothing to read back
        let f = parse_ocr(&[&["", "", "社会效益指 ”标", "充分", "充分", "10.00", "10.00"]]);
        assert_eq!(f.indicators[0].level3, None);
        assert_eq!(f.indicators[0].target.as_deref(), Some("充分"));
    }

    #[test]
    fn labels_stacked_in_one_merged_cell_go_one_per_row() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        let mut tp = TableParser::new(FormKind::SelfEvaluation, "standard");
        let ocr = |cells: &[&str]| SrcLine { ocr: true, ..line(cells) };
        tp.feed(&ocr(&["_ 数最指标产出指 “、质最指标标时效指标 “\n成本指标\n二", "检测报告数量", "≥2", "3", "15.00", "15.00"]), &m);
        tp.feed(&ocr(&["电子办公稳定性", "稳定", "稳定", "10.00", "10.00"]), &m);
        tp.feed(&ocr(&["电子维护及时性", "及时", "及时", "15.00", "15.00"]), &m);
        // a row with its own label stops the stack
        tp.feed(&ocr(&["经济效益指标", "资金使用的合理性", "合规", "合规", "10.00", "10.00"]), &m);
        tp.feed(&ocr(&["工作落实度", "到位", "到位", "5.00", "5.00"]), &m);
        let l2: Vec<Option<&str>> = tp.rows().iter().map(|r| r.raw_level2.as_deref()).collect();
        assert_eq!(l2, [Some("数量指标"), Some("质量指标"), Some("时效指标"), Some("经济效益指标"), None]);
        assert!(tp.flags.iter().any(|f| f.field == "indicators[1].level2"));
        // one name is not a stack
        assert!(stacked_labels("数量指标检测报告", &m, "standard").is_none());
    }
}
