//! Stage 4, **assemble**: [`FormSet`] → [`RecordSet`].
//!
//! In: forms with every cell in its canonical column and canonical names.
//! Out: one [`Record`] per form, exactly the shape of `schema/records.md`.
//!
//! Here printed text becomes typed values — numbers without thousands
//! separators, percents as numbers, full-width digits folded, dashes as null,
//! `>=`/`<=` as `≥`/`≤` — and the form's arithmetic is checked:
//! indicator weights + funds weight = total weight, score ≤ weight,
//! Σ scores = total score, 执行率 ≈ 全年执行数 / 全年预算数,
//! 年度资金总额 = Σ its parts. A failed check flags the cells involved; a
//! value that cannot be read is null and flagged, never guessed.
//!
//! What lives where:
//! - [`numbers`](crate::parse_number): printed numbers (OCR letters for
//!   digits, specks beside a number);
//! - `checks`: the arithmetic — a cell the sums force (one lost 分值/得分,
//!   rows that lost no points, lost funds cells, blank parts forced to 0, a
//!   lost 执行率 or funds 得分, a 总分 分值 at the form's full marks) is
//!   filled, a mark over the full marks gets its lost decimal point back,
//!   one misread digit is repaired when it alone fixes every check;
//! - `funds`: the funds block held against the kind's template (rows OCR
//!   lost put back without values, printed cells left empty flagged);
//! - [`confidence`]: a cell's confidence from its flags and repairs;
//! - here: records from drafts; dates and short values cut out of OCR
//!   noise; budget classes read against their known values; cells of pure
//!   OCR noise left unread; a qualitative row scored in full given its lost
//!   target or result, and a row that met its worded target given its lost
//!   分值 or 得分; a 三级 name run into its value word cut; a closed-list
//!   value among specks read as it; the doubts OCR'd text earns cell by
//!   cell (names whose glyphs form no word against `govtab_match::lexicon`,
//!   stray marks, a score one digit short of its 分值 with no reason given,
//!   a 分值 of 0, budgets a hundredfold apart, attributes, goal texts and
//!   labels the document's forms print unread, cells computed from doubtful
//!   ones); and the doubt a scan as a whole casts on its text cells (its
//!   OCR noise, its damaged rows, rows missing from Σ 分值), which
//!   well-formed values, names the word list reads whole, names read twice
//!   in a document and attributes that vouch for themselves escape.

mod checks;
pub mod confidence;
mod funds;
mod numbers;

use std::collections::BTreeMap;

use govtab_model::{Flag, FormDraft, FormSet, Fund, FundDraft, Indicator, Record, RecordSet, Repair, SourceKind, Stage, Vocabulary};

pub use numbers::{normalize_comparators, parse_number, Parsed};

pub(crate) const STAGE: &str = "assemble";

/// The reason of the doubt `flag_damaged_form` puts on a damaged scan's
/// text cells.
const DAMAGED_SCAN: &str = "scan badly damaged";
/// The reason of the doubt on Latin letters inside a scan's Chinese text.
const LATIN_NOISE: &str = "Latin OCR noise inside Chinese text";
/// The reason `flag_doubtful_names` gives when a glyph of a name makes no word.
const MISFIT: &str = "likely misread";

pub fn assemble(set: &FormSet, vocab: &Vocabulary) -> RecordSet {
    let mut records: Vec<Record> = set.forms.iter().map(|f| assemble_form(f, set, vocab)).collect();
    vouch_repeated_names(&mut records);
    let ocr: Vec<bool> = set.forms.iter().map(|f| f.ocr).collect();
    // the attribute labels each form printed, read with a value or not
    let labelled: Vec<std::collections::BTreeSet<String>> = set.forms.iter().map(|f| f.fields.iter().filter(|x| vocab.field(&x.label).is_some_and(|r| r.field == "attributes")).map(|x| x.label.clone()).collect()).collect();
    flag_unread_attributes(&mut records, &ocr, &labelled);
    for (r, f) in records.iter_mut().zip(&set.forms) {
        vouch_pictured(r, &f.pictured);
    }
    RecordSet { doc: set.doc.clone(), path: set.path.clone(), records, problems: set.problems.clone() }
}

/// Parse a printed number cell into the record, logging what was done.
fn num(cell: &Option<String>, path: &str, repairs: &mut Vec<Repair>, flags: &mut Vec<Flag>) -> Option<f64> {
    let raw = cell.as_deref()?;
    match parse_number(raw) {
        Parsed::Empty => None,
        Parsed::Clean(v) => Some(v),
        Parsed::Repaired(v, why) => {
            repairs.push(Repair::new(path, STAGE, raw, fmt_num(v), why.clone()));
            flags.push(Flag::new(path, STAGE, format!("number read from damaged text '{raw}' ({why})")));
            Some(v)
        }
        Parsed::Unreadable => {
            flags.push(Flag::new(path, STAGE, format!("unreadable number '{raw}'")));
            None
        }
    }
}

/// A short header value read from a scan, OCR specks around it cut: one
/// stray glyph at either end ("1其他运转类"), a money amount's trailing
/// noise ("1,161,000.REE TE1,161,000" → its first amount). Long texts are
/// kept as read.
fn clean_short_field(value: &str, rule: Option<&govtab_model::vocab::FieldRule>, path: &str, repairs: &mut Vec<Repair>) -> String {
    static MONEY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?").expect("a valid amount pattern")
    });
    let Some(rule) = rule else { return value.to_string() };
    if rule.long {
        return value.to_string();
    }
    // Latin letters glued after a Chinese name ("…服务中心‘geal", "…办公室om")
    let latin_tail = || {
        let body = value.trim_end_matches(|c: char| c.is_ascii_alphabetic() || matches!(c, '‘' | '’' | '\'' | '`' | '.' | ' '));
        let cut = value.len() - body.len();
        (cut > 0 && value[body.len()..].chars().filter(|c| c.is_ascii_alphabetic()).count() <= 6 && body.chars().last().is_some_and(govtab_match::is_cjk)).then(|| body.to_string())
    };
    let cleaned = if rule.money {
        MONEY.find(value).map(|m| m.as_str().trim_end_matches('.').to_string())
    } else {
        govtab_match::values::trim_name_specks(value).map(|(c, _)| c).or_else(latin_tail)
    };
    match cleaned {
        Some(c) if c != value && !c.is_empty() => {
            repairs.push(Repair::new(path, STAGE, value, &c, "OCR specks around the value cut"));
            c
        }
        _ => value.to_string(),
    }
}

/// A scan's reading of a field with `known` values, within a few look-alike
/// glyphs or specks of exactly one of them (confusion-weighted similarity
/// ≥ 0.7, the runner-up 0.15 behind): read as it, logged; flagged unless
/// only one glyph differs.
fn known_value(value: &str, rule: &govtab_model::vocab::FieldRule, path: &str, repairs: &mut Vec<Repair>, flags: &mut Vec<Flag>) -> String {
    if rule.known.is_empty() || rule.known.iter().any(|k| k == value) {
        return value.to_string();
    }
    let conf = govtab_match::Confusables::builtin();
    let v = govtab_match::normalize(value);
    let mut scored: Vec<(f64, &String)> = rule.known.iter().map(|k| (conf.similarity(&v, k), k)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let Some(&(best, name)) = scored.first() else { return value.to_string() };
    let runner = scored.get(1).map(|x| x.0).unwrap_or(0.0);
    if best < 0.7 || best - runner < 0.15 {
        return value.to_string();
    }
    repairs.push(Repair::new(path, STAGE, value, name, format!("read as the known value {name} (similarity {best:.2})")));
    if best < 1.0 - 1.0 / name.chars().count() as f64 - 1e-9 {
        flags.push(Flag::new(path, STAGE, format!("'{value}' read as {name} (similarity {best:.2})")));
    }
    name.clone()
}

/// The first date in `s` ("2024-12-314" → "2024-12-31", "2020-01-01=" →
/// "2020-01-01"), as printed.
/// A date whose separators OCR dropped ("20241231", "2024.1231") is
/// written with '-' (the forms' own style).
fn date_in(s: &str) -> Option<String> {
    static DATE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\d{4}[-./年]\d{1,2}[-./月]\d{1,2}").expect("a valid date pattern")
    });
    static COMPACT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(\d{4})[-./]?(\d{2})[-./]?(\d{2})").expect("a valid date pattern")
    });
    if let Some(m) = DATE.find(s) {
        return Some(m.as_str().to_string());
    }
    let c = COMPACT.captures(s)?;
    let (y, mo, d) = (&c[1], &c[2], &c[3]);
    let plausible = mo.parse::<u32>().map(|x| (1..=12).contains(&x)).unwrap_or(false) && d.parse::<u32>().map(|x| (1..=31).contains(&x)).unwrap_or(false);
    plausible.then(|| format!("{y}-{mo}-{d}"))
}

pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") }
}

/// A text cell as the record keeps it: spaces inside CJK words (wrapped or
/// OCR-split) dropped, paragraphs kept.
fn text(cell: &Option<String>) -> Option<String> {
    cell.as_ref()
        .map(|s| s.split('\n').map(govtab_match::squeeze_cjk_spaces).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n"))
        .filter(|s| !s.is_empty())
}

fn assemble_form(f: &FormDraft, set: &FormSet, vocab: &Vocabulary) -> Record {
    let mut repairs = f.repairs.clone();
    let mut flags = f.flags.clone();

    let mut project = None;
    let mut department = None;
    let mut implementer = None;
    let mut grade = f.grade.clone();
    let mut attributes = BTreeMap::new();
    for fd in &f.fields {
        if fd.value.trim().is_empty() {
            continue;
        }
        let mut value = text(&Some(fd.value.clone())).unwrap_or_default();
        if f.ocr {
            value = clean_short_field(&value, vocab.field(&fd.label), &vocab.field_path(&fd.label), &mut repairs);
            if let Some(rule) = vocab.field(&fd.label) {
                value = known_value(&value, rule, &vocab.field_path(&fd.label), &mut repairs, &mut flags);
            }
        }
        match vocab.field(&fd.label).map(|r| r.field.as_str()) {
            Some("project") => project = project.or(Some(value)),
            Some("department") => department = department.or(Some(value)),
            Some("implementer") => implementer = implementer.or(Some(value)),
            Some("grade") => grade = grade.or(Some(value)),
            _ => {
                let is_date = vocab.field(&fd.label).map(|r| r.date).unwrap_or(false);
                let value = match date_in(&value) {
                    Some(d) if is_date && f.ocr && d != value => {
                        repairs.push(Repair::new(format!("attributes.{}", fd.label), STAGE, &value, &d, "OCR text around the date cut"));
                        d
                    }
                    _ => value,
                };
                attributes.entry(fd.label.clone()).or_insert(value);
            }
        }
    }

    let funds: Vec<Fund> = f
        .funds
        .iter()
        .enumerate()
        .map(|(i, d)| fund(d, i, &mut repairs, &mut flags))
        .collect();

    let mut indicators = Vec::with_capacity(f.indicators.len());
    for (i, d) in f.indicators.iter().enumerate() {
        let p = |field: &str| format!("indicators[{i}].{field}");
        let target = text(&d.target).map(|t| comparators(&t, &p("target"), &mut repairs));
        let actual = text(&d.actual).map(|t| comparators(&t, &p("actual"), &mut repairs));
        indicators.push(Indicator {
            level1: d.level1.clone(),
            level2: d.level2.clone(),
            level3: text(&d.level3),
            target,
            actual,
            weight: num(&d.weight, &p("weight"), &mut repairs, &mut flags),
            score: num(&d.score, &p("score"), &mut repairs, &mut flags),
            deviation: d.deviation.as_ref().map(|s| text(&Some(s.clone())).unwrap_or_default()),
        });
    }

    let mut record = Record {
        doc: set.doc.clone(),
        form: f.form,
        pages: if set.source == SourceKind::TextDump { Vec::new() } else { f.pages.clone() },
        kind: f.kind.as_str().to_string(),
        year: f.year,
        project,
        department,
        implementer,
        unit: f.unit.clone(),
        attributes,
        funds,
        goal_expected: text(&f.goal_expected),
        goal_actual: text(&f.goal_actual),
        indicators,
        total_weight: num(&f.total_weight, "total_weight", &mut repairs, &mut flags),
        total_score: num(&f.total_score, "total_score", &mut repairs, &mut flags),
        grade,
        repairs,
        flags,
    };
    // a form always names its project; a year may simply not be printed,
    // which a person should still see
    if record.project.is_none() {
        record.flags.push(Flag::new("project", STAGE, "not found on the form"));
    }
    // closed lists (是/否, 优/良/中/差) and dates: a value outside them is a misread
    for rule in &vocab.fields {
        let path = vocab.field_path(&rule.label);
        let value = match rule.field.as_str() {
            "grade" => record.grade.clone(),
            "attributes" => record.attributes.get(&rule.label).cloned(),
            _ => None,
        };
        let Some(mut value) = value else { continue };
        // on a scan, one value of the list with specks around it ("优人 aa"):
        // read as it, still flagged (the specks may hide another glyph)
        if f.ocr && !rule.values.is_empty() && !rule.values.contains(&value) {
            let inside: Vec<&String> = rule.values.iter().filter(|v| value.contains(v.as_str())).collect();
            let ideographs = value.chars().filter(|c| govtab_match::is_cjk(*c)).count();
            if let [only] = inside[..] {
                if ideographs <= only.chars().count() + 1 {
                    read_closed_value(&mut record, &path, &value, only);
                    value = only.clone();
                }
            }
        }
        let outside = !rule.values.is_empty() && !rule.values.contains(&value);
        let no_date = rule.date && date_in(&value).is_none();
        if outside || no_date {
            record.flags.push(Flag::new(&path, STAGE, format!("'{value}' is not a {}", if no_date { "date" } else { "value this field takes" })));
        }
    }
    if f.ocr {
        drop_noise_cells(&mut record, vocab);
    }
    // Latin noise inside Chinese text on a scan ("组 IN 织开展…")
    if f.ocr {
        let noisy = latin_noise;
        let mut cells: Vec<(String, Option<String>)> = vec![("project".into(), record.project.clone()), ("department".into(), record.department.clone()), ("implementer".into(), record.implementer.clone())];
        cells.extend(record.attributes.iter().filter(|(k, _)| vocab.field(k).map(|r| !r.long).unwrap_or(true)).map(|(k, v)| (format!("attributes.{k}"), Some(v.clone()))));
        for (i, ind) in record.indicators.iter().enumerate() {
            for (name, v) in [("level3", &ind.level3), ("target", &ind.target), ("actual", &ind.actual)] {
                cells.push((format!("indicators[{i}].{name}"), v.clone()));
            }
        }
        for (path, v) in cells {
            if v.as_deref().is_some_and(noisy) && !record.flags.iter().any(|f| f.field == path) {
                record.flags.push(Flag::new(&path, STAGE, LATIN_NOISE));
            }
        }
    }
    // (a digital PDF's text is as printed: no year there is no doubt)
    if record.year.is_none() && !f.exact_text {
        record.flags.push(Flag::new("year", STAGE, "no year printed on the form (or not read)"));
    }
    // a row's 年初预算数 and 全年预算数 a hundredfold apart or more: digits
    // lost or doubled (a budget adjusted within the year moves less)
    if f.ocr {
        for (i, fd) in record.funds.iter().enumerate() {
            if let (Some(a), Some(b)) = (fd.initial_budget, fd.annual_budget) {
                if a > 0.0 && b > 0.0 && (a / b >= 100.0 || b / a >= 100.0) {
                    for c in ["initial_budget", "annual_budget"] {
                        record.flags.push(Flag::new(format!("funds[{i}].{c}"), STAGE, format!("年初预算数 {} and 全年预算数 {} a hundredfold apart: digits lost or added", fmt_num(a), fmt_num(b))));
                    }
                }
            }
        }
    }
    // 执行率 is printed as a percentage with two decimals, capped at 100
    for (i, fd) in record.funds.iter().enumerate() {
        if let Some(rate) = fd.execution_rate {
            if rate > 100.0 + 1e-9 {
                record.flags.push(Flag::new(format!("funds[{i}].execution_rate"), STAGE, format!("执行率 {}% over 100%: a misread or a neighbouring cell", fmt_num(rate))));
            } else if fmt_num(rate).split_once('.').is_some_and(|(_, d)| d.len() > 2) {
                record.flags.push(Flag::new(format!("funds[{i}].execution_rate"), STAGE, format!("执行率 {}% has more decimals than a printed rate: misread", fmt_num(rate))));
            }
        }
    }
    let layout = checks::Layout { rows: funds::template(&record, vocab), full_marks: vocab.full_marks };
    let rows = if f.ocr { funds::complete_rows(&mut record, &layout.rows) } else { (0..record.funds.len()).collect() };
    let raw = raw_cells(f, &rows);
    if f.ocr {
        fill_marks_of_met_rows(&mut record);
    }
    checks::check(&mut record, &raw, &vocab.digit_pairs(), &layout);
    if f.ocr {
        checks::total_weight_is_full_marks(&mut record, vocab.full_marks);
        confirm_fund_rows_by_place(&mut record, &layout);
        split_value_word_tails(&mut record, vocab);
        split_names_run_into_the_next_row(&mut record);
    }
    if f.ocr || set.source == govtab_model::SourceKind::TextDump {
        flag_doubtful_names(&mut record, vocab);
        flag_odd_rows(&mut record);
    }
    if f.ocr {
        // a goal text cut short in print ("…确…作，办公室保密工作有序开…"):
        // OCR reads its pieces beside the other column's, and where each
        // piece ends is a guess
        for (path, goal) in [("goal_expected", &record.goal_expected), ("goal_actual", &record.goal_actual)] {
            if goal.as_deref().is_some_and(|g| g.contains('…')) && !record.flags.iter().any(|x| x.field == path) {
                record.flags.push(Flag::new(path, STAGE, "goal text printed cut short (…): its pieces' ends are uncertain"));
            }
        }
        flag_doubtful_marks(&mut record);
        narrow_sum_doubts(&mut record);
        fill_met_qualitative(&mut record, vocab);
        funds::flag_unread_cells(&mut record, &layout.rows);
        // rows whose 二级 cell prints a legible category name
        let legible: std::collections::HashSet<&str> = f.matches.iter().filter(|m| m.method == "fuzzy" && m.score >= 0.9).map(|m| m.field.as_str()).collect();
        let printed_l2: Vec<bool> = (0..record.indicators.len()).map(|i| legible.contains(format!("indicators[{i}].level2").as_str())).collect();
        flag_damaged_form(&mut record, f.ocr_noise, vocab, &printed_l2);
        // a header name no form of the document labels (002's target forms
        // print no 主管部门): its null is no loss, and the damaged-scan
        // doubt has no text to doubt
        for (field, value) in [("project", &record.project), ("department", &record.department), ("implementer", &record.implementer)] {
            let labelled = set.forms.iter().any(|g| g.fields.iter().any(|x| vocab.field(&x.label).is_some_and(|r| r.field == field)));
            if value.is_none() && !labelled {
                record.flags.retain(|x| !(x.field == field && x.reason.starts_with(DAMAGED_SCAN)));
            }
        }
    }
    flag_derived_from_doubt(&mut record);
    dedup_flags(&mut record.flags);
    record
}

/// Funds cells the arithmetic gave back from the column's other cells
/// (年度资金总额 = Σ parts, a part = the total less the others): a doubtful
/// cell among those makes the computed one doubtful too.
fn flag_derived_from_doubt(r: &mut Record) {
    let mut more = Vec::new();
    for rep in r.repairs.iter().filter(|x| x.stage == STAGE && x.field.starts_with("funds[") && checks::derived_from_column(&x.reason)) {
        let Some((_, col)) = rep.field.split_once("].") else { continue };
        let suffix = format!("].{col}");
        let source = r.flags.iter().find(|f| f.field.starts_with("funds[") && f.field.ends_with(&suffix) && f.field != rep.field);
        if let Some(src) = source {
            if !r.flags.iter().any(|f| f.field == rep.field) {
                more.push(Flag::new(rep.field.clone(), STAGE, format!("computed from {}, itself in doubt", src.field)));
            }
        }
    }
    r.flags.extend(more);
}

/// Indicator cells of a scan that hold OCR noise, not a reading: a 三级
/// name with no ideograph ("1", "180}", "290%95%"), more Latin letters
/// than ideographs ("EVE BEAM SHE AY … 知服务") or only a value word (合规:
/// the row's value read where its name was lost); a value with neither an
/// ideograph nor a digit ("=", "—"); a project, department or implementer
/// of Latin letters with no ideograph ("Lie THT) REBUT ESE"). The cell
/// becomes unread (null) and flagged, the text kept in the flag for the
/// reviewer.
fn drop_noise_cells(r: &mut Record, vocab: &Vocabulary) {
    let cjk = |t: &str| t.chars().filter(|c| govtab_match::is_cjk(*c) && !matches!(c, '一' | '二')).count();
    let latin = |t: &str| t.chars().filter(|c| c.is_ascii_alphabetic()).count();
    for (path, cell) in [("project", &mut r.project), ("department", &mut r.department), ("implementer", &mut r.implementer)] {
        if let Some(t) = cell.take() {
            if cjk(&t) == 0 && latin(&t) >= 3 {
                r.repairs.push(Repair::new(path, STAGE, &t, "", "OCR noise, not a reading: cell left unread"));
                r.flags.push(Flag::new(path, STAGE, format!("unreadable: OCR read only noise ('{t}')")));
            } else {
                *cell = Some(t);
            }
        }
    }
    for i in 0..r.indicators.len() {
        let ind = &mut r.indicators[i];
        let mut dropped: Vec<(&str, String)> = Vec::new();
        if let Some(t) = ind.level3.take() {
            let (c, l) = (cjk(&t), latin(&t));
            // a value word (合规, 完整) is no 三级 name: OCR read the row's
            // value where its name was lost
            let value_word = vocab.qualitative_values.contains(&t);
            if c == 0 || (l >= 4 && l >= c) || value_word {
                dropped.push(("level3", t));
            } else {
                ind.level3 = Some(t);
            }
        }
        for (name, cell) in [("target", &mut ind.target), ("actual", &mut ind.actual)] {
            if let Some(t) = cell.take() {
                if cjk(&t) == 0 && !t.chars().any(|c| c.is_ascii_digit()) {
                    dropped.push((name, t));
                } else {
                    *cell = Some(t);
                }
            }
        }
        for (name, t) in dropped {
            let path = format!("indicators[{i}].{name}");
            r.repairs.push(Repair::new(&path, STAGE, &t, "", "OCR noise or a stray value, not a reading of the cell: left unread"));
            r.flags.push(Flag::new(&path, STAGE, format!("unreadable: OCR read only '{t}' here")));
        }
    }
}

/// Latin letters (two or more) inside a scan's Chinese text: "组 IN 织开展…",
/// "HAE HS PED目", "Rd 性".
fn latin_noise(t: &str) -> bool {
    t.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 2 && t.chars().any(govtab_match::is_cjk)
}

/// Funds rows whose garbled label was named by its place in the block's
/// fixed order (realign's repair [`govtab_model::FUND_ROW_BY_PLACE`], with
/// a flag): when the block holds exactly the rows the form prints, in
/// order, and its sums hold, the place is confirmed — the flag goes, the
/// repair stays in the log.
fn confirm_fund_rows_by_place(r: &mut Record, layout: &checks::Layout) {
    let in_order = r.funds.len() == layout.rows.len() && r.funds.iter().zip(&layout.rows).all(|(f, t)| f.item == t.item);
    if !in_order || !checks::fund_failures(r, layout).is_empty() {
        return;
    }
    let placed: Vec<String> = r.repairs.iter().filter(|x| x.reason == govtab_model::FUND_ROW_BY_PLACE).map(|x| x.field.clone()).collect();
    r.flags.retain(|f| !(f.stage == "realign" && placed.contains(&f.field)));
}

/// Two numbers one digit apart: same length and one digit differs, or one
/// digit more in `b` (a digit OCR lost from `a`).
fn one_digit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() == b.len() {
        return a.iter().zip(&b).filter(|(x, y)| x != y).count() == 1;
    }
    b.len() == a.len() + 1 && (0..b.len()).any(|k| b[..k] == a[..k] && b[k + 1..] == a[k..])
}

/// A Σ 分值 / Σ 得分 check that fails flags every cell of its sum; when some
/// of them carry a doubt of their own (a number read from damaged text, a
/// 得分 one digit from its full 分值, a cell not read — the funds row's
/// mark among them), the failure is theirs to explain: the sum's doubt
/// stays on them and leaves the cells read clean. Likewise a 执行率 that
/// disagrees with amounts their column sums hold.
fn narrow_sum_doubts(r: &mut Record) {
    use checks::{PARTS_SUM, RATE_CHECK, SUM_SCORES, SUM_WEIGHTS};
    // a doubt other than a sum's
    let own_doubt = |r: &Record, field: &str| r.flags.iter().any(|f| f.field == field && !f.reason.starts_with(SUM_WEIGHTS) && !f.reason.starts_with(SUM_SCORES));
    for (prefix, mark) in [(SUM_WEIGHTS, "weight"), (SUM_SCORES, "score")] {
        let summed: Vec<String> = r.flags.iter().filter(|f| f.reason.starts_with(prefix)).map(|f| f.field.clone()).collect();
        if summed.is_empty() {
            continue;
        }
        // the funds row's mark is part of the sum: unread, it explains it
        let funds_mark = format!("funds[0].{mark}");
        let funds_unread = r.funds.first().is_some_and(|f| if mark == "weight" { f.weight.is_none() } else { f.score.is_none() }) && own_doubt(r, &funds_mark);
        if !funds_unread && !summed.iter().any(|c| own_doubt(r, c)) {
            continue;
        }
        let clean: Vec<String> = summed.into_iter().filter(|c| !own_doubt(r, c)).collect();
        r.flags.retain(|f| !(f.reason.starts_with(prefix) && clean.contains(&f.field)));
    }
    // a 执行率 that disagrees with its row's amounts, the amounts each
    // holding their column's Σ parts (a breakdown printed, no sum failing):
    // the rate is the misread
    let parts = |name: &str| r.funds.iter().skip(1).any(|f| match name {
        "executed" => f.executed.is_some_and(|v| v != 0.0),
        _ => f.annual_budget.is_some_and(|v| v != 0.0),
    });
    let sum_holds = |name: &str| parts(name) && !r.flags.iter().any(|f| f.reason.contains(PARTS_SUM) && f.reason.contains(&format!(" {name} ")));
    let held: Vec<String> = r
        .flags
        .iter()
        .filter(|f| f.reason.starts_with(RATE_CHECK))
        .filter_map(|f| {
            let name = f.field.rsplit('.').next()?;
            (matches!(name, "executed" | "annual_budget") && sum_holds(name)).then(|| f.field.clone())
        })
        .collect();
    if !held.is_empty() {
        r.flags.retain(|f| !(f.reason.starts_with(RATE_CHECK) && held.contains(&f.field)));
    }
}

/// A scan's marks a misread may have changed, flagged, not changed (which
/// digit is right is not known): a row that lost points with no 偏差原因
/// given, its 得分 one digit from its full 分值 (3 for 5, 13 for 15, 1 for
/// 10) — the forms explain a deduction in the deviation column, so the
/// score is more likely a misread digit; a 分值 of 0 beside a score; a
/// score whose 分值 was not read (nothing to check it against).
fn flag_doubtful_marks(r: &mut Record) {
    if r.kind != "self_evaluation" {
        return;
    }
    let mut flags = Vec::new();
    for (i, ind) in r.indicators.iter().enumerate() {
        // a score whose 分值 OCR lost cannot be checked against it
        if let (None, Some(s)) = (ind.weight, ind.score) {
            flags.push(Flag::new(format!("indicators[{i}].score"), STAGE, format!("得分 {} beside a 分值 not read: unchecked", fmt_num(s))));
        }
        let (Some(w), Some(s)) = (ind.weight, ind.score) else { continue };
        let explained = ind.deviation.as_deref().is_some_and(|d| d.trim().chars().count() >= 2);
        if s < w && !explained && one_digit_apart(&fmt_num(s), &fmt_num(w)) {
            flags.push(Flag::new(format!("indicators[{i}].score"), STAGE, format!("得分 {} one digit from its full 分值 {} with no deviation reason given: a misread digit?", fmt_num(s), fmt_num(w))));
        }
        // a row worth no points is not printed: its 分值 was misread, and
        // its 得分 cannot be checked against it
        if w == 0.0 && s > 0.0 {
            for c in ["weight", "score"] {
                flags.push(Flag::new(format!("indicators[{i}].{c}"), STAGE, format!("分值 0 beside 得分 {}: a misread 分值", fmt_num(s))));
            }
        }
    }
    r.flags.extend(flags);
}

/// A self-evaluation row scored in full whose 年度指标值 or 实际完成值 OCR
/// lost, the other being a qualitative word (及时, 合理, 健全 …): a target
/// worded so and met in full is reported in the same word (so on 62 of the
/// 64 such rows of our hand-checked forms). The lost cell gets the word
/// (repair logged); it is flagged when its partner is itself in doubt.
fn fill_met_qualitative(r: &mut Record, vocab: &Vocabulary) {
    if r.kind != "self_evaluation" {
        return;
    }
    for i in 0..r.indicators.len() {
        let ind = &r.indicators[i];
        let full = matches!((ind.weight, ind.score), (Some(w), Some(s)) if w > 0.0 && (w - s).abs() < 1e-9);
        if !full {
            continue;
        }
        let qual = |v: &Option<String>| v.as_ref().filter(|t| vocab.qualitative_values.iter().any(|q| q == *t)).cloned();
        let (lost, word, from) = match (&ind.target, &ind.actual) {
            (Some(_), None) => ("actual", qual(&ind.target), "target"),
            (None, Some(_)) => ("target", qual(&ind.actual), "actual"),
            _ => continue,
        };
        let Some(word) = word else { continue };
        let path = format!("indicators[{i}].{lost}");
        let doubted = r.flags.iter().any(|f| f.field == format!("indicators[{i}].{from}") || f.field == format!("indicators[{i}]"));
        r.repairs.push(Repair::new(&path, STAGE, "", &word, format!("cell unread; the row scored in full, so its {} '{word}' stands for it", if from == "target" { "target" } else { "result" })));
        if doubted {
            r.flags.push(Flag::new(&path, STAGE, format!("taken from a doubtful {from} cell")));
        }
        let ind = &mut r.indicators[i];
        if lost == "actual" {
            ind.actual = Some(word);
        } else {
            ind.target = Some(word);
        }
    }
}

/// A closed-list value read out of specks (`"优人 aa"` → 优): written back
/// to its field, logged and flagged.
fn read_closed_value(r: &mut Record, path: &str, before: &str, after: &str) {
    r.repairs.push(Repair::new(path, STAGE, before, after, "the one value of the field's list inside OCR specks"));
    r.flags.push(Flag::new(path, STAGE, format!("'{before}' read as {after}: specks around it")));
    if path == "grade" {
        r.grade = Some(after.to_string());
    } else if let Some(k) = path.strip_prefix("attributes.") {
        r.attributes.insert(k.to_string(), after.to_string());
    }
}

/// A self-evaluation row whose 实际完成值 repeats its worded 年度指标值
/// (及时 / 及时, 健全 / 健全) met its target and is scored in full (so on
/// every such row of our hand-checked forms): when OCR lost one of its 分值
/// and 得分, the other stands for it (repair logged). Target and result
/// must be read without doubt, and a doubtful mark passes its doubt on.
fn fill_marks_of_met_rows(r: &mut Record) {
    if r.kind != "self_evaluation" {
        return;
    }
    let worded = |t: &str| !t.chars().any(|c| c.is_ascii_digit()) && t.chars().any(govtab_match::is_cjk);
    for i in 0..r.indicators.len() {
        let ind = &r.indicators[i];
        let met = matches!((&ind.target, &ind.actual), (Some(t), Some(a)) if t == a && worded(t));
        let doubted = |c: &str| r.flags.iter().any(|f| f.field == format!("indicators[{i}].{c}") || f.field == format!("indicators[{i}]"));
        if !met || doubted("target") || doubted("actual") {
            continue;
        }
        let (lost, from, v) = match (ind.weight, ind.score) {
            (Some(w), None) if w > 0.0 => ("score", "weight", w),
            (None, Some(s)) if s > 0.0 => ("weight", "score", s),
            _ => continue,
        };
        let path = format!("indicators[{i}].{lost}");
        let (name, other) = if lost == "score" { ("得分", "分值") } else { ("分值", "得分") };
        r.repairs.push(Repair::new(&path, STAGE, "", fmt_num(v), format!("{name} unread; the row met its worded target, so it scored in full: its {other} {} stands for it", fmt_num(v))));
        if doubted(from) {
            r.flags.push(Flag::new(&path, STAGE, format!("taken from a doubtful {other} cell")));
        } else {
            r.flags.retain(|f| f.field != path);
        }
        let ind = &mut r.indicators[i];
        if lost == "score" {
            ind.score = Some(v);
        } else {
            ind.weight = Some(v);
        }
    }
}

/// Printed text of every number cell, by record path (for digit repair).
/// `rows` maps each draft funds row to its record row (lost rows put back
/// shift them).
fn raw_cells(f: &FormDraft, rows: &[usize]) -> checks::RawCells {
    let mut raw = checks::RawCells::new();
    let mut put = |path: String, v: &Option<String>| {
        if let Some(v) = v {
            raw.insert(path, v.clone());
        }
    };
    for (i, d) in f.indicators.iter().enumerate() {
        put(format!("indicators[{i}].weight"), &d.weight);
        put(format!("indicators[{i}].score"), &d.score);
    }
    for (d, &i) in f.funds.iter().zip(rows) {
        for (name, v) in d.cells() {
            put(format!("funds[{i}].{name}"), v);
        }
    }
    put("total_weight".into(), &f.total_weight);
    put("total_score".into(), &f.total_score);
    raw
}

fn comparators(t: &str, path: &str, repairs: &mut Vec<Repair>) -> String {
    let out = normalize_comparators(t);
    if out != t {
        repairs.push(Repair::new(path, STAGE, t, &out, "comparator normalised (>= → ≥, <= → ≤)"));
    }
    out
}

fn fund(d: &FundDraft, i: usize, repairs: &mut Vec<Repair>, flags: &mut Vec<Flag>) -> Fund {
    let p = |field: &str| format!("funds[{i}].{field}");
    Fund {
        item: d.item.clone(),
        initial_budget: num(&d.initial_budget, &p("initial_budget"), repairs, flags),
        annual_budget: num(&d.annual_budget, &p("annual_budget"), repairs, flags),
        executed: num(&d.executed, &p("executed"), repairs, flags),
        weight: num(&d.weight, &p("weight"), repairs, flags),
        execution_rate: num(&d.execution_rate, &p("execution_rate"), repairs, flags),
        score: num(&d.score, &p("score"), repairs, flags),
        amount: num(&d.amount, &p("amount"), repairs, flags),
    }
}

/// Share of an OCR'd form's indicator rows that carry a doubt, above which
/// every text cell of the form is flagged for review.
pub const FORM_DAMAGE_THRESHOLD: f64 = 0.65;

pub use govtab_model::NOISY_OCR;
/// The share of doubtful rows that suffices on a noisy text layer
/// ([`NOISY_OCR`]): none, every form.
pub const NOISY_THRESHOLD: f64 = 0.0;

/// An OCR'd form most of whose rows are doubtful is flagged as a whole (`*`):
/// row-by-row flags would leave its unflagged cells looking trustworthy when
/// the scan is too damaged to trust any of them.
fn flag_damaged_form(r: &mut Record, noise: f64, vocab: &Vocabulary, printed_l2: &[bool]) {
    let n = r.indicators.len();
    if n == 0 {
        return;
    }
    // a row-wide doubt: its category cells answer to the sequence decoding,
    // so only the row's other cells are in doubt — on a noisy text layer,
    // its 二级 too unless the row prints it legibly (`printed_l2`)
    {
        let mut narrowed = Vec::new();
        let inds = &r.indicators;
        let noisy = noise >= NOISY_OCR;
        // 分值/得分 that every score check holds (all read, Σ = the totals,
        // none over its 分值) vouch for themselves
        let marks_hold = scores_hold(r);
        r.flags.retain(|f| {
            let row = f.field.strip_prefix("indicators[").and_then(|x| x.strip_suffix(']')).and_then(|x| x.parse::<usize>().ok());
            match row.and_then(|i| inds.get(i).map(|ind| (i, ind))) {
                Some((i, ind)) if f.stage == "realign" => {
                    let l2 = noisy && !printed_l2.get(i).copied().unwrap_or(false);
                    let present = [("level2", l2), ("level3", true), ("target", true), ("actual", ind.actual.is_some()), ("weight", ind.weight.is_some() && !marks_hold), ("score", ind.score.is_some() && !marks_hold)];
                    for (c, _) in present.iter().filter(|(_, p)| *p) {
                        narrowed.push(Flag::new(format!("indicators[{i}].{c}"), &f.stage, f.reason.clone()));
                    }
                    false
                }
                _ => true,
            }
        });
        r.flags.extend(narrowed);
    }
    if r.kind == "self_evaluation" {
        // totals OCR lost (the column sums stand in only when complete)
        for (field, v) in [("total_weight", r.total_weight), ("total_score", r.total_score)] {
            if v.is_none() && !r.flags.iter().any(|f| f.field == field) {
                r.flags.push(Flag::new(field, STAGE, "total not read (OCR)"));
            }
        }
        // rows OCR lost leave their 分值 out of the sum: the table as a whole
        // is flagged (the rows that are not there have no cells to flag)
        let total = r.total_weight.unwrap_or(100.0);
        let read: f64 = r.indicators.iter().filter_map(|i| i.weight).sum::<f64>() + r.funds.first().and_then(|f| f.weight).unwrap_or(0.0);
        let unread = r.indicators.iter().filter(|i| i.weight.is_none()).count();
        // (a funds row whose 分值 OCR lost holds a share of the total too)
        let funds_unread = r.funds.first().is_some_and(|f| f.weight.is_none()) && total - read <= checks::FUNDS_MARKS_MAX + 0.5;
        if total - read > 0.5 && unread == 0 && !funds_unread {
            r.flags.push(Flag::new("indicators", STAGE, format!("分值 of the rows read sum to {} of {}: a row may be missing from the table", fmt_num(read), fmt_num(total))));
        }
    }
    // a row showed damage: a flag on it, other than the doubts match
    // infers on its category cells from the rest of the table (a 一级
    // following its 二级, a name filed under the wrong kind of category, a
    // merged cell filled down far)
    // (a number the OCR layer misread, that the page picture put right,
    // shows the row's OCR text damaged as much as a flag does)
    let row_doubtful = |i: usize| {
        let row = format!("indicators[{i}]");
        let on_row = |field: &str| field == row || field.starts_with(&format!("{row}."));
        r.flags.iter().any(|f| on_row(&f.field) && !govtab_match::inferred_doubt(&f.reason)) || r.repairs.iter().any(|x| x.reason == govtab_model::PICTURED && on_row(&x.field))
    };
    let doubtful_rows: Vec<bool> = (0..n).map(row_doubtful).collect();
    let doubtful = doubtful_rows.iter().filter(|d| **d).count();
    // a noisy text layer puts every row in doubt; a clean one only the rows
    // that showed damage
    let every_row = noise >= NOISY_OCR;
    // the header rows are damaged too: a name not read, or read only by place
    let doubted = |field: &str| r.flags.iter().any(|f| f.field == field);
    let header_missing = [r.project.is_none() || doubted("project"), (r.department.is_none() || doubted("department")) && r.kind == "self_evaluation"].iter().filter(|x| **x).count();
    let share = doubtful as f64 / n as f64;
    let t = if noise >= NOISY_OCR { NOISY_THRESHOLD } else { FORM_DAMAGE_THRESHOLD };
    if share >= t || (header_missing > 0 && share >= t / 2.0) {
        let why = format!("{DAMAGED_SCAN} ({doubtful} of {n} indicator rows doubtful): text read from it is unchecked");
        // the cells nothing else vouches for: OCR'd text. Category names
        // (closed list, decoded in order), numbers (held by the arithmetic),
        // fund items and well-formed values (`values::well_formed`) carry
        // their own flags when in doubt.
        let mut paths: Vec<String> = Vec::new();
        for (i, ind) in r.indicators.iter().enumerate() {
            if !every_row && !doubtful_rows[i] {
                continue;
            }
            // a 三级 name is read against the word list (`flag_doubtful_names`);
            // a sentence-long one (16 ideographs or more) holds too many
            // glyphs for one misread to show, and stays in doubt
            if !ind.level3.as_deref().is_some_and(|n| (2..16).contains(&n.chars().filter(|c| govtab_match::is_cjk(*c)).count())) {
                paths.push(format!("indicators[{i}].level3"));
            }
            // a value of a well-formed shape vouches for itself (its own
            // doubts, if any, carry their own flags)
            if !ind.target.as_deref().is_some_and(|t| govtab_match::values::well_formed("target", t, ind.level3.as_deref(), vocab)) {
                paths.push(format!("indicators[{i}].target"));
            }
            // a target form has no 实际完成值 column
            if (r.kind == "self_evaluation" || ind.actual.is_some()) && !ind.actual.as_deref().is_some_and(|a| govtab_match::values::well_formed("actual", a, ind.level3.as_deref(), vocab)) {
                paths.push(format!("indicators[{i}].actual"));
            }
        }
        // names of two ideographs or more are read against the word list
        // (`flag_doubtful_names`)
        let named = |v: &Option<String>| v.as_deref().is_some_and(|n| n.chars().filter(|c| govtab_match::is_cjk(*c)).count() >= 2);
        for (field, present) in [
            ("project", !named(&r.project)),
            ("department", !named(&r.department)),
            ("implementer", !named(&r.implementer)),
            ("goal_expected", r.goal_expected.is_some()),
            ("goal_actual", r.goal_actual.is_some()),
            // a self-evaluation form is scored out of its full marks
            ("total_weight", r.total_weight.is_some_and(|t| (t - vocab.full_marks).abs() > 1e-9)),
            ("total_score", r.total_score.is_some()),
        ] {
            if present {
                paths.push(field.to_string());
            }
        }
        paths.extend(r.attributes.iter().filter(|(k, v)| !attribute_vouched(k, v, r, vocab)).map(|(k, _)| format!("attributes.{k}")));
        for p in paths {
            if !r.flags.iter().any(|f| f.field == p) {
                r.flags.push(Flag::new(p, STAGE, why.clone()));
            }
        }
    }
}

/// 分值/得分 that every score check holds: all read, Σ = the totals, none
/// over its 分值.
fn scores_hold(r: &Record) -> bool {
    r.kind == "self_evaluation" && r.indicators.iter().all(|i| i.weight.is_some() && i.score.is_some()) && r.total_weight.is_some() && r.total_score.is_some() && checks::score_failures(r).is_empty()
}

/// A number the page picture shows as the OCR layer read it was read twice,
/// apart, alike: the doubts assemble raised on it (a check that fails, a
/// damaged scan) belong to the other cells of the check. Doubts of earlier
/// stages (a cell moved, a row without a cell) stay.
fn vouch_pictured(r: &mut Record, pictured: &[String]) {
    // (a number in a target or result cell may be another column's, moved)
    let number_field = |p: &str| !(p.ends_with(".target") || p.ends_with(".actual"));
    r.flags.retain(|x| !(x.stage == STAGE && number_field(&x.field) && pictured.contains(&x.field)));
    // a text the picture read where the layer read otherwise is no longer
    // the damaged layer's text
    let read: Vec<String> = r.repairs.iter().filter(|x| x.reason == govtab_model::PICTURED).map(|x| x.field.clone()).collect();
    r.flags.retain(|x| !(x.stage == STAGE && x.reason.starts_with(DAMAGED_SCAN) && read.contains(&x.field)));
}

/// A header attribute whose shape vouches for it on a damaged scan (its
/// own doubts, if any, carry their own flags): a value of its closed or
/// known list read exactly, a date of the form's budget year, and an
/// amount printed with its thousands separators that its pair's amount
/// repeats (项目总预算 = 项目当年预算, 上年预算额 = 上年预算执行数: two
/// cells read apart agree).
fn attribute_vouched(label: &str, value: &str, r: &Record, vocab: &Vocabulary) -> bool {
    let Some(rule) = vocab.field(label) else { return false };
    if rule.values.iter().chain(&rule.known).any(|k| k == value) {
        return true;
    }
    if rule.date {
        return date_in(value).as_deref() == Some(value) && r.year.is_some_and(|y| value.starts_with(&y.to_string()));
    }
    static AMOUNT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"^\d{1,3}(?:,\d{3})+(?:\.\d{2})?$").expect("a valid amount pattern"));
    if AMOUNT.is_match(value) {
        let partner = vocab.label_pairs.iter().find_map(|p| if p[0] == label { Some(&p[1]) } else if p[1] == label { Some(&p[0]) } else { None });
        return partner.and_then(|p| r.attributes.get(p)).is_some_and(|v| v == value);
    }
    false
}

/// Names read from OCR'd text (a scan's text layer, or a text dump, which
/// may be OCR output too) that show a misread, flagged with what shows it;
/// nothing is changed. Checked: the 三级 names, the project, department
/// and implementer, and the short text attributes (long texts carry
/// abbreviations and names the word list lacks). A name shows a misread
/// when a glyph of it forms no word with its neighbours
/// (`govtab_match::lexicon`: 入员完备性, 杂购质量达标率), when it holds a
/// Latin letter or a rule mark, when a 三级 name runs on into a value word
/// (信息共享度全区共享), and when a project starts with 年度 (its year lost).
fn flag_doubtful_names(r: &mut Record, vocab: &Vocabulary) {
    let lex = govtab_match::lexicon::Lexicon::builtin();
    let mut cells: Vec<(String, &str)> = Vec::new();
    for (path, v) in [("project", &r.project), ("department", &r.department), ("implementer", &r.implementer)] {
        if let Some(v) = v {
            cells.push((path.to_string(), v));
        }
    }
    for (k, v) in &r.attributes {
        if vocab.field(k).is_some_and(|rule| !rule.long && !rule.money && !rule.date) {
            cells.push((format!("attributes.{k}"), v));
        }
    }
    for (i, ind) in r.indicators.iter().enumerate() {
        // a name of the learned 三级 list (`--level3-vocab`) is known
        if let Some(n) = ind.level3.as_ref().filter(|n| !vocab.level3.contains(n)) {
            cells.push((format!("indicators[{i}].level3"), n));
        }
    }
    let mut flags = Vec::new();
    for (path, text) in cells {
        let odd = lex.misfits(text, &vocab.standalone_glyphs);
        let why = if path == "project" && text.starts_with("年度") {
            // 年度 follows a year (2022年度, 本年度)
            format!("'{text}' starts with 年度: the year before it may be lost")
        } else if !odd.is_empty() {
            let glyphs: String = odd.iter().collect();
            if odd.len() == 1 {
                format!("{MISFIT}: the glyph '{glyphs}' in '{text}' forms no word with its neighbours")
            } else {
                format!("{MISFIT}: the glyphs '{glyphs}' in '{text}' form no words with their neighbours")
            }
        } else if let Some(c) = text.chars().find(|c| c.is_ascii_alphabetic() || matches!(c, '_' | '|' | '~' | '^' | '\\')) {
            // a Chinese name prints no Latin letter or rule mark: specks
            // (Latin letters the scan's Latin-noise doubt named already)
            if r.flags.iter().any(|f| f.field == path && f.reason == LATIN_NOISE) {
                continue;
            }
            format!("stray mark '{c}' in '{text}'")
        } else if let Some(v) = path.ends_with(".level3").then(|| value_word_tail(text, vocab)).flatten() {
            value_word_doubt(text, v)
        } else {
            continue;
        };
        flags.push(Flag::new(path, STAGE, why));
    }
    r.flags.extend(flags);
}

/// On a scan, a 三级 name run on into its row's value word, printed once
/// or twice ("信息共享度全区共享全区共享": the 年度指标值 and 实际完成值
/// cells read into the name cell): the name is cut before it, and the
/// value word stands for a value cell the row lacks or read as no value
/// shape (the target first, then the result). All logged and flagged.
fn split_value_word_tails(r: &mut Record, vocab: &Vocabulary) {
    for i in 0..r.indicators.len() {
        let Some(name) = r.indicators[i].level3.clone() else { continue };
        let Some(word) = value_word_tail(&name, vocab) else { continue };
        let head = name.trim_end_matches(word).to_string();
        let copies = (name.len() - head.len()) / word.len();
        let path = |c: &str| format!("indicators[{i}].{c}");
        let why = value_word_doubt(&name, word);
        r.repairs.push(Repair::new(path("level3"), STAGE, &name, &head, "三级 name cut before the value word its row's cells ran into it"));
        r.flags.push(Flag::new(path("level3"), STAGE, why.clone()));
        let mut left = copies;
        let self_eval = r.kind == "self_evaluation";
        let ind = &mut r.indicators[i];
        ind.level3 = Some(head.clone());
        for (field, cell) in [("target", &mut ind.target), ("actual", &mut ind.actual)] {
            if left == 0 || (field == "actual" && !self_eval) {
                break;
            }
            let fits = cell.as_deref().is_some_and(|v| govtab_match::values::well_formed(field, v, Some(&head), vocab));
            if !fits {
                r.repairs.push(Repair::new(path(field), STAGE, cell.clone().unwrap_or_default(), word, format!("the value word '{word}' read inside the 三级 cell stands for this cell")));
                r.flags.push(Flag::new(path(field), STAGE, format!("taken from the value word run into the 三级 name: {why}")));
                *cell = Some(word.to_string());
                left -= 1;
            }
        }
    }
}

/// On a scan, two 三级 names in one cell, a rule mark between them
/// ("预算刚性约束_ 涉密专用防火墙"), above a row whose 三级 cell is empty:
/// OCR read the lower row's name on the upper row's line. The second name
/// goes down to its row (logged, both flagged).
fn split_names_run_into_the_next_row(r: &mut Record) {
    static TWO: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"^(\p{Han}{3,})[ _|~]*[_|~][ _|~]*(\p{Han}{3,})$").expect("a valid two-name pattern"));
    for i in 0..r.indicators.len().saturating_sub(1) {
        if r.indicators[i + 1].level3.is_some() {
            continue;
        }
        let Some(name) = r.indicators[i].level3.clone() else { continue };
        let Some(c) = TWO.captures(&name) else { continue };
        let (upper, lower) = (c[1].to_string(), c[2].to_string());
        let why = format!("'{name}': two 三级 names in one cell; the second taken as the next row's, whose cell is empty");
        r.repairs.push(Repair::new(format!("indicators[{i}].level3"), STAGE, &name, &upper, "the next row's name read on this row's line: cut"));
        r.repairs.push(Repair::new(format!("indicators[{}].level3", i + 1), STAGE, "", &lower, "name read on the row above's line"));
        for k in [i, i + 1] {
            r.flags.push(Flag::new(format!("indicators[{k}].level3"), STAGE, why.clone()));
        }
        r.indicators[i].level3 = Some(upper);
        r.indicators[i + 1].level3 = Some(lower);
    }
}

/// The doubt on a 三级 name run on into its row's value word.
fn value_word_doubt(name: &str, word: &str) -> String {
    format!("'{name}' ends with the value word '{word}': cells run together")
}

/// A qualitative value word (全区共享) after a whole 三级 name (one ending
/// …率, …性, …度, …量, …数), printed once or more: the row's cells ran
/// together.
fn value_word_tail<'v>(name: &str, vocab: &'v Vocabulary) -> Option<&'v str> {
    vocab.qualitative_values.iter().map(String::as_str).filter(|v| v.chars().count() >= 2).find(|v| {
        let head = name.trim_end_matches(v);
        head.len() < name.len() && head.chars().count() >= 4 && head.ends_with(['率', '性', '度', '量', '数'])
    })
}

/// Rows of an OCR'd table that show damage of their own: a row of nothing
/// but category names (the labels of a merged cell read as a row of their
/// own), a deviation of one glyph or opening on a speck.
fn flag_odd_rows(r: &mut Record) {
    let mut flags = Vec::new();
    for (i, ind) in r.indicators.iter().enumerate() {
        if ind.level3.is_none() && ind.target.is_none() && ind.actual.is_none() && ind.weight.is_none() && ind.score.is_none() {
            for c in ["level1", "level2"] {
                flags.push(Flag::new(format!("indicators[{i}].{c}"), STAGE, "a row with nothing but category names: may not be a row of the table"));
            }
        }
        if let Some(d) = ind.deviation.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            if d.chars().filter(|c| govtab_match::is_cjk(*c)).count() <= 1 || d.starts_with(['.', ',', '，', '、', '·', ':', ';']) {
                flags.push(Flag::new(format!("indicators[{i}].deviation"), STAGE, format!("deviation '{d}' looks like OCR noise")));
            }
        }
    }
    r.flags.extend(flags);
}

/// An attribute the document's other forms of the same kind print (its
/// value or its label read), or whose label the form itself printed,
/// missing from a scanned form; likewise its goal texts, when neither was
/// read: OCR lost the label or the value. The cell is flagged (nothing to
/// read back).
fn flag_unread_attributes(records: &mut [Record], ocr: &[bool], labelled: &[std::collections::BTreeSet<String>]) {
    let mut flags: Vec<(usize, String, String)> = Vec::new();
    // a form prints an attribute when its value or its label was read
    let prints = |j: usize, k: &str| records[j].attributes.contains_key(k) || labelled.get(j).is_some_and(|l| l.contains(k));
    let goal = |r: &Record, path: &str| if path == "goal_expected" { r.goal_expected.is_some() } else { r.goal_actual.is_some() };
    for (i, r) in records.iter().enumerate() {
        if !ocr.get(i).copied().unwrap_or(false) {
            continue;
        }
        let others: Vec<usize> = (0..records.len()).filter(|&j| j != i && records[j].kind == r.kind).collect();
        // its own label read, its value not
        for k in labelled.get(i).into_iter().flatten().filter(|k| !r.attributes.contains_key(k.as_str())) {
            flags.push((i, format!("attributes.{k}"), format!("label {k} printed; its value not read (OCR)")));
        }
        if others.len() >= 2 {
            let mut keys: BTreeMap<&str, usize> = BTreeMap::new();
            for &j in &others {
                let own = records[j].attributes.keys().map(String::as_str);
                let seen = labelled.get(j).into_iter().flatten().map(String::as_str);
                for k in own.chain(seen).collect::<std::collections::BTreeSet<&str>>() {
                    *keys.entry(k).or_default() += 1;
                }
            }
            for (k, n) in keys {
                if 2 * n >= others.len() && !prints(i, k) {
                    flags.push((i, format!("attributes.{k}"), format!("not read: {n} other forms of the document print {k}")));
                }
            }
        }
        // the goal texts, when neither was read: one read beside an empty
        // cell shows the block read, and the cell printed empty
        if r.goal_expected.is_none() && r.goal_actual.is_none() {
            for path in ["goal_expected", "goal_actual"] {
                let n = others.iter().filter(|&&j| goal(&records[j], path)).count();
                if n >= 1 && 2 * n >= others.len() && !r.flags.iter().any(|f| f.field == path) {
                    flags.push((i, path.to_string(), format!("not read: {n} other forms of the document print it")));
                }
            }
        }
    }
    for (i, path, why) in flags {
        records[i].flags.push(Flag::new(path, STAGE, why));
    }
    // the 评分等级 likewise
    let graded = records.iter().filter(|r| r.grade.is_some()).count();
    let rated = records.iter().filter(|r| r.kind == "self_evaluation").count();
    for (i, r) in records.iter_mut().enumerate() {
        // at least half of the other self-evaluation forms
        if ocr.get(i).copied().unwrap_or(false) && r.kind == "self_evaluation" && r.grade.is_none() && graded >= 1 && 2 * graded >= rated.saturating_sub(1) && !r.flags.iter().any(|f| f.field == "grade") {
            r.flags.push(Flag::new("grade", STAGE, format!("not read: {graded} other forms of the document print 评分等级")));
        }
    }
}

/// A 三级 name (three glyphs or more) read identically in two rows of a
/// document: OCR rarely makes the same misreading twice, so the name
/// vouches for itself and loses the damaged-scan doubt and the word list's
/// (a name it lacks a word of); its other doubts stay.
fn vouch_repeated_names(records: &mut [Record]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in records.iter() {
        for name in r.indicators.iter().filter_map(|i| i.level3.as_ref()) {
            *seen.entry(name.clone()).or_default() += 1;
        }
    }
    for r in records.iter_mut() {
        let inds = &r.indicators;
        r.flags.retain(|f| {
            let Some(i) = f.field.strip_prefix("indicators[").and_then(|x| x.strip_suffix("].level3")).and_then(|x| x.parse::<usize>().ok()) else { return true };
            let repeated = inds.get(i).and_then(|x| x.level3.as_ref()).is_some_and(|n| n.chars().count() >= 3 && seen.get(n).copied().unwrap_or(0) >= 2);
            !(repeated && f.stage == STAGE && (f.reason.starts_with(DAMAGED_SCAN) || f.reason.starts_with(MISFIT)))
        });
    }
}

fn dedup_flags(flags: &mut Vec<Flag>) {
    let mut seen = std::collections::BTreeSet::new();
    flags.retain(|f| seen.insert((f.field.clone(), f.reason.clone())));
}

pub struct Assemble<'v>(pub &'v Vocabulary);

impl Stage for Assemble<'_> {
    type Input = FormSet;
    type Output = RecordSet;
    const NAME: &'static str = "assemble";
    fn run(&self, input: FormSet) -> RecordSet {
        assemble(&input, self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(weights: &[Option<f64>], doubtful: usize) -> Record {
        let mut r = Record {
            doc: "t".into(), form: 1, pages: vec![], kind: "self_evaluation".into(), year: None, project: Some("p".into()),
            department: Some("d".into()), implementer: None, unit: None, attributes: Default::default(),
            funds: vec![Fund { item: "年度资金总额".into(), weight: Some(10.0), ..Default::default() }],
            goal_expected: None, goal_actual: None,
            indicators: weights.iter().map(|w| Indicator { weight: *w, target: Some("≥1".into()), ..Default::default() }).collect(),
            total_weight: Some(100.0), total_score: Some(90.0), grade: None, repairs: vec![], flags: vec![],
        };
        for i in 0..doubtful {
            r.flags.push(Flag::new(format!("indicators[{i}].score"), "realign", "row has no 得分 cell"));
        }
        r
    }

    #[test]
    fn a_row_that_met_its_worded_target_scored_in_full() {
        let met = |t: &str, a: &str, w: Option<f64>, s: Option<f64>| Indicator { target: Some(t.into()), actual: Some(a.into()), weight: w, score: s, ..Default::default() };
        let mut r = record(&[], 0);
        r.indicators = vec![
            met("及时", "及时", Some(15.0), None),  // 得分 lost: 15
            met("健全", "健全", None, Some(5.0)),   // 分值 lost: 5
            met("及时", "较及时", Some(10.0), None), // not met in the same word: unknown
            met("≥90%", "≥90%", Some(10.0), None),  // a number: not worded
            met("合理", "合理", Some(10.0), None),  // its result in doubt: unknown
            met("可控", "可控", None, Some(3.0)),   // from a doubtful 得分: filled, flagged
        ];
        r.flags.push(Flag::new("indicators[4].actual", "realign", "row has no 实际完成值 cell"));
        r.flags.push(Flag::new("indicators[5].score", "assemble", "得分 3 beside a 分值 not read: unchecked"));
        fill_marks_of_met_rows(&mut r);
        let marks: Vec<(Option<f64>, Option<f64>)> = r.indicators.iter().map(|i| (i.weight, i.score)).collect();
        assert_eq!(marks, [(Some(15.0), Some(15.0)), (Some(5.0), Some(5.0)), (Some(10.0), None), (Some(10.0), None), (Some(10.0), None), (Some(3.0), Some(3.0))]);
        assert!(r.repairs.iter().any(|x| x.field == "indicators[0].score" && x.after == "15"));
        assert!(!r.flags.iter().any(|f| f.field == "indicators[0].score" || f.field == "indicators[1].weight"));
        assert!(r.flags.iter().any(|f| f.field == "indicators[5].weight" && f.reason.contains("doubtful")));
        // a target form has no marks to fill
        let mut t = record(&[], 0);
        t.kind = "target".into();
        t.indicators = vec![met("及时", "及时", Some(15.0), None)];
        fill_marks_of_met_rows(&mut t);
        assert_eq!(t.indicators[0].score, None);
    }

    #[test]
    fn attributes_whose_shape_vouches_for_them_escape_the_damaged_scan_doubt() {
        let v = Vocabulary::builtin();
        let mut r = record(&[], 0);
        r.year = Some(2020);
        for (k, val) in [("是否含有政府购买服务", "否"), ("项目类别", "经常性专项业务费"), ("计划开始日期", "2020-01-01"), ("计划完成日期", "2021-12-31"), ("项目总预算", "1,161,000"), ("项目当年预算", "1,161,000"), ("同名项目上年预算额", "785,310"), ("同名项目上年预算执行数", "785,319"), ("项目概况", "在2016至2018年服务")] {
            r.attributes.insert(k.into(), val.into());
        }
        let vouched = |k: &str| attribute_vouched(k, &r.attributes[k], &r, &v);
        assert!(vouched("是否含有政府购买服务") && vouched("项目类别") && vouched("计划开始日期"));
        // a date of another year, amounts their pair does not repeat, free text: in doubt
        assert!(!vouched("计划完成日期"));
        assert!(vouched("项目总预算") && vouched("项目当年预算"));
        assert!(!vouched("同名项目上年预算额") && !vouched("同名项目上年预算执行数"));
        assert!(!vouched("项目概况"));
    }

    #[test]
    fn a_name_run_into_its_value_word_is_cut_and_the_word_fills_the_lost_values() {
        let v = Vocabulary::builtin();
        let mut r = record(&[Some(15.0)], 0);
        r.indicators[0].level3 = Some("信息共享度全区共享全区共享".into());
        r.indicators[0].target = Some("15".into());
        r.indicators[0].actual = Some("1S—".into());
        split_value_word_tails(&mut r, &v);
        let ind = &r.indicators[0];
        assert_eq!((ind.level3.as_deref(), ind.target.as_deref(), ind.actual.as_deref()), (Some("信息共享度"), Some("全区共享"), Some("全区共享")));
        for c in ["level3", "target", "actual"] {
            assert!(r.flags.iter().any(|f| f.field == format!("indicators[0].{c}")), "{c} flagged");
        }
        // printed once, beside a target read well: the target stays, the
        // lost result gets the word
        let mut r = record(&[Some(15.0)], 0);
        r.indicators[0].level3 = Some("信息共享度全区共享".into());
        r.indicators[0].target = Some("全区共享".into());
        split_value_word_tails(&mut r, &v);
        assert_eq!(r.indicators[0].actual.as_deref(), Some("全区共享"));
        // a name that merely ends like a value word (no whole name before it): kept
        let mut r = record(&[Some(15.0)], 0);
        r.indicators[0].level3 = Some("及时".into());
        split_value_word_tails(&mut r, &v);
        assert_eq!(r.indicators[0].level3.as_deref(), Some("及时"));
        assert!(r.repairs.is_empty());
    }

    #[test]
    fn a_lower_rows_name_read_on_the_line_above_goes_down_to_its_row() {
        let mut r = record(&[None, None, None], 0);
        let names = ["预算刚性约束_ 涉密专用防火墙", "", "结合专项行动，定期通报"];
        for (ind, n) in r.indicators.iter_mut().zip(names) {
            ind.level3 = (!n.is_empty()).then(|| n.to_string());
        }
        split_names_run_into_the_next_row(&mut r);
        let got: Vec<Option<&str>> = r.indicators.iter().map(|i| i.level3.as_deref()).collect();
        assert_eq!(got, [Some("预算刚性约束"), Some("涉密专用防火墙"), Some("结合专项行动，定期通报")]);
        assert!(r.flags.iter().any(|f| f.field == "indicators[1].level3") && r.flags.iter().any(|f| f.field == "indicators[0].level3"));
        // the row below has its own name: nothing moves
        let mut r = record(&[None, None], 0);
        r.indicators[0].level3 = Some("预算刚性约束_ 涉密专用防火墙".into());
        r.indicators[1].level3 = Some("全年任务数".into());
        split_names_run_into_the_next_row(&mut r);
        assert_eq!(r.indicators[0].level3.as_deref(), Some("预算刚性约束_ 涉密专用防火墙"));
    }

    #[test]
    fn a_budget_class_a_few_look_alikes_off_a_known_one_is_read_as_it() {
        let v = Vocabulary::builtin();
        let rule = v.field("项目性质").cloned().unwrap_or_else(|| panic!("项目性质 in the vocabulary"));
        let read = |s: &str| {
            let (mut reps, mut flags) = (Vec::new(), Vec::new());
            let out = known_value(s, &rule, "attributes.项目性质", &mut reps, &mut flags);
            (out, reps.len(), flags.len())
        };
        // one stray glyph: read back, logged, not flagged
        assert_eq!(read("其他一次性项目二"), ("其他一次性项目".to_string(), 1, 0));
        // two glyphs misread: read back and flagged
        assert_eq!(read("经党性专项业务吕"), ("经常性专项业务费".to_string(), 1, 1));
        // close to two of them (经常性专项业务费, 经常性项目): kept as read
        assert_eq!(read("经常性专项业"), ("经常性专项业".to_string(), 0, 0));
        // too far from any (or a value the list does not hold): kept as read
        assert_eq!(read("生性专项业务"), ("生性专项业务".to_string(), 0, 0));
        assert_eq!(read("特定目标类"), ("特定目标类".to_string(), 0, 0));
    }

    #[test]
    fn well_formed_values_vouch_for_themselves_on_a_damaged_scan() {
        let v = Vocabulary::builtin();
        // on a damaged form the blanket doubt skips them
        let mut r = record(&[Some(45.0), Some(45.0)], 2);
        r.indicators[0].target = Some("≥90%".into());
        r.indicators[0].level3 = Some("群众满意度".into());
        flag_damaged_form(&mut r, NOISY_OCR + 0.01, &v, &[]);
        let has = |p: &str| r.flags.iter().any(|f| f.field == p);
        assert!(!has("indicators[0].target") && has("indicators[1].target"));
        // a name is read against the word list instead (`flag_doubtful_names`);
        // one with no ideographs to read stays in doubt
        assert!(!has("indicators[0].level3") && has("indicators[1].level3"));
    }

    #[test]
    fn a_name_read_the_same_twice_in_a_document_vouches_for_itself() {
        let v = Vocabulary::builtin();
        // a name the word list cannot split, read so in both forms; a
        // misread read once
        let mut a = record(&[Some(45.0), Some(45.0)], 2);
        a.indicators[0].level3 = Some("沪办运维".into());
        a.indicators[1].level3 = Some("成本合理人".into());
        let mut b = a.clone();
        b.form = 2;
        b.indicators[1].level3 = Some("受众满意度".into());
        for r in [&mut a, &mut b] {
            flag_doubtful_names(r, &v);
        }
        let has = |r: &Record, p: &str| r.flags.iter().any(|f| f.field == p && f.reason.starts_with(MISFIT));
        assert!(has(&a, "indicators[0].level3") && has(&a, "indicators[1].level3") && !has(&b, "indicators[1].level3"));
        let mut recs = vec![a, b];
        vouch_repeated_names(&mut recs);
        let has = |r: &Record, p: &str| r.flags.iter().any(|f| f.field == p && f.reason.starts_with(MISFIT));
        assert!(!has(&recs[0], "indicators[0].level3") && !has(&recs[1], "indicators[0].level3"));
        assert!(has(&recs[0], "indicators[1].level3"));
    }

    #[test]
    fn latin_letters_in_chinese_text_are_noise() {
        assert!(latin_noise("组 IN 织开展") && latin_noise("HAE HS PED目") && latin_noise("Rd 性"));
        assert!(!latin_noise("≥95.00(%)") && !latin_noise("5G基站") && !latin_noise("GB"));
    }

    #[test]
    fn cells_of_ocr_noise_are_left_unread_and_flagged() {
        let mut r = record(&[Some(10.0), Some(10.0), Some(10.0)], 0);
        let rows = [("290%95%", "≥90%", "="), ("EVE BEAM SHE AY 知服务", "=365(天)", "365"), ("网信办 sm 网络环境运行", "—", "稳定")];
        for (i, (l3, t, a)) in rows.into_iter().enumerate() {
            r.indicators[i].level3 = Some(l3.into());
            r.indicators[i].target = Some(t.into());
            r.indicators[i].actual = Some(a.into());
        }
        drop_noise_cells(&mut r, &Vocabulary::builtin());
        let cell = |i: usize| (r.indicators[i].level3.as_deref(), r.indicators[i].target.as_deref(), r.indicators[i].actual.as_deref());
        assert_eq!(cell(0), (None, Some("≥90%"), None));
        assert_eq!(cell(1), (None, Some("=365(天)"), Some("365")));
        // a name with a few letters in it is still a name
        assert_eq!(cell(2), (Some("网信办 sm 网络环境运行"), None, Some("稳定")));
        assert!(r.flags.iter().any(|f| f.field == "indicators[0].level3" && f.reason.contains("290%95%")));
        r.indicators[2].level3 = Some("合规".into());
        drop_noise_cells(&mut r, &Vocabulary::builtin());
        assert_eq!(r.indicators[2].level3, None);
        r.implementer = Some("Lie THT) REBUT ESE".into());
        drop_noise_cells(&mut r, &Vocabulary::builtin());
        assert_eq!((r.implementer.as_deref(), r.department.as_deref()), (None, Some("d")));
    }

    #[test]
    fn a_lost_cell_of_a_qualitative_row_scored_in_full_takes_its_partners_word() {
        let v = Vocabulary::builtin();
        let mut r = record(&[Some(10.0), Some(10.0), Some(10.0), Some(10.0)], 0);
        let rows = [("及时", None, Some(10.0)), ("合理", None, Some(8.0)), ("≥90%", None, Some(10.0)), ("健全", None, Some(10.0))];
        for (i, (t, a, s)) in rows.into_iter().enumerate() {
            r.indicators[i].target = Some(t.to_string());
            r.indicators[i].actual = a;
            r.indicators[i].score = s;
        }
        r.flags.push(Flag::new("indicators[3].target", "match", "doubt"));
        fill_met_qualitative(&mut r, &v);
        let actual = |i: usize| r.indicators[i].actual.as_deref();
        // met in full: the word stands
        assert_eq!(actual(0), Some("及时"));
        assert!(r.repairs.iter().any(|x| x.field == "indicators[0].actual"));
        assert!(!r.flags.iter().any(|f| f.field == "indicators[0].actual"));
        // points lost, or a number target: unread stays unread
        assert_eq!((actual(1), actual(2)), (None, None));
        // a doubtful partner passes its doubt on
        assert_eq!(actual(3), Some("健全"));
        assert!(r.flags.iter().any(|f| f.field == "indicators[3].actual"));
    }

    #[test]
    fn a_badly_damaged_form_has_its_text_cells_flagged_not_its_checked_ones() {
        let mut r = record(&[Some(45.0), Some(45.0), Some(0.0)], 2);
        flag_damaged_form(&mut r, 0.0, &Vocabulary::builtin(), &[]);
        let has = |p: &str| r.flags.iter().any(|f| f.field == p);
        assert!(has("indicators[1].target") && has("indicators[0].level3") && has("project"), "{:?}", r.flags);
        // on a clean text layer the row that showed no damage is not doubted
        assert!(!has("indicators[2].target"));
        // categories and numbers vouch for themselves; no whole-form flag
        assert!(!has("indicators[2].level1") && !has("indicators[2].weight") && !has("*"));
    }

    #[test]
    fn short_fields_lose_their_specks_long_texts_are_kept() {
        let v = Vocabulary::builtin();
        let mut reps = Vec::new();
        let clean = |l: &str, s: &str, reps: &mut Vec<Repair>| clean_short_field(s, v.field(l), "x", reps);
        assert_eq!(clean("项目类别", "1其他运转类", &mut reps), "其他运转类");
        assert_eq!(clean("项目总预算", "1,161,000.REE TE1,161,000", &mut reps), "1,161,000");
        assert_eq!(clean("项目概况", "1其他运转类", &mut reps), "1其他运转类");
        assert_eq!(clean("实施单位", "上海市闵行区信息服务中心‘geal", &mut reps), "上海市闵行区信息服务中心");
        assert_eq!(reps.len(), 3);
    }

    #[test]
    fn values_outside_closed_lists_and_latin_noise_are_flagged() {
        let v = Vocabulary::builtin();
        let field = |l: &str, val: &str| govtab_model::FieldDraft { raw_label: l.into(), label: l.into(), value: val.into(), at: Default::default() };
        let mut f = FormDraft { ocr: true, year: Some(2024), ..FormDraft::new(1, govtab_model::FormKind::SelfEvaluation) };
        f.fields = vec![field("项目名称", "网络宣传工作"), field("评分等级", "tt"), field("是否含有政府购买服务", "否"), field("计划开始日期", "人"), field("实施单位", "组 IN 织开展中心")];
        let set = FormSet { doc: "d".into(), path: "d".into(), source: SourceKind::Pdf, stage: "match".into(), forms: vec![f], problems: vec![] };
        let r = &assemble(&set, &v).records[0];
        let has = |p: &str| r.flags.iter().any(|x| x.field == p);
        assert!(has("grade") && has("attributes.计划开始日期") && has("implementer"));
        assert!(!has("attributes.是否含有政府购买服务") && !has("project"));
        // one value of the list among specks: read as it, still flagged;
        // two of them, or more ideographs than specks explain: kept as read
        for (read, want) in [("优人 aa", "优"), ("优良", "优良"), ("优秀等级", "优秀等级")] {
            let mut f = FormDraft { ocr: true, year: Some(2024), ..FormDraft::new(1, govtab_model::FormKind::SelfEvaluation) };
            f.fields = vec![field("项目名称", "网络宣传工作"), field("评分等级", read)];
            let set = FormSet { doc: "d".into(), path: "d".into(), source: SourceKind::Pdf, stage: "match".into(), forms: vec![f], problems: vec![] };
            let r = &assemble(&set, &v).records[0];
            assert_eq!(r.grade.as_deref(), Some(want));
            assert!(r.flags.iter().any(|x| x.field == "grade"));
        }
    }

    #[test]
    fn a_scans_goal_text_printed_cut_short_is_flagged() {
        let v = Vocabulary::builtin();
        let run = |ocr: bool| {
            let mut f = FormDraft { ocr, year: Some(2024), ..FormDraft::new(1, govtab_model::FormKind::SelfEvaluation) };
            f.goal_expected = Some("…密领域国产化替代工程要求，确…作，办公室保密工作有".into());
            f.goal_actual = Some("按计划完成".into());
            let set = FormSet { doc: "d".into(), path: "d".into(), source: SourceKind::Pdf, stage: "match".into(), forms: vec![f], problems: vec![] };
            let r = assemble(&set, &v).records.remove(0);
            (r.flags.iter().any(|x| x.field == "goal_expected"), r.flags.iter().any(|x| x.field == "goal_actual"))
        };
        assert_eq!(run(true), (true, false));
        assert_eq!(run(false), (false, false), "a digital layer prints the … as read");
    }

    #[test]
    fn dates_are_cut_out_of_ocr_noise() {
        assert_eq!(date_in("2024-12-314").as_deref(), Some("2024-12-31"));
        assert_eq!(date_in("2024-01-01守成 B 区2024.1231").as_deref(), Some("2024-01-01"));
        assert_eq!(date_in("全年"), None);
        assert_eq!(date_in("2024.1231").as_deref(), Some("2024-12-31"));
        assert_eq!(date_in("20241231").as_deref(), Some("2024-12-31"));
        assert_eq!(date_in("20241331"), None);
    }

    #[test]
    fn a_row_wide_doubt_spares_the_category_cells() {
        let mut r = record(&[Some(45.0), Some(45.0)], 0);
        r.flags.push(Flag::new("indicators[1]", "realign", "noise glyphs inside the row"));
        flag_damaged_form(&mut r, 0.0, &Vocabulary::builtin(), &[]);
        let has = |p: &str| r.flags.iter().any(|f| f.field == p);
        assert!(has("indicators[1].target") && has("indicators[1].weight"));
        assert!(!has("indicators[1]") && !has("indicators[1].level2"));
        // on a noisy layer the 二级 is in doubt too, unless printed legibly;
        // the 一级 never
        for (printed, l2) in [(false, true), (true, false)] {
            let mut r = record(&[Some(45.0), Some(45.0)], 0);
            r.flags.push(Flag::new("indicators[1]", "realign", "noise glyphs inside the row"));
            flag_damaged_form(&mut r, NOISY_OCR + 0.01, &Vocabulary::builtin(), &[false, printed]);
            let has = |p: &str| r.flags.iter().any(|f| f.field == p);
            assert_eq!(has("indicators[1].level2"), l2);
            assert!(!has("indicators[1]") && !has("indicators[1].level1") && has("indicators[1].weight"));
        }
        // marks that every score check holds vouch for themselves
        let mut r = record(&[Some(45.0), Some(45.0)], 0);
        r.funds[0].score = Some(10.0);
        for ind in r.indicators.iter_mut() {
            ind.score = Some(40.0);
        }
        r.flags.push(Flag::new("indicators[1]", "realign", "noise glyphs inside the row"));
        flag_damaged_form(&mut r, 0.0, &Vocabulary::builtin(), &[]);
        let has = |p: &str| r.flags.iter().any(|f| f.field == p);
        assert!(has("indicators[1].target") && !has("indicators[1].weight") && !has("indicators[1].score"), "{:?}", r.flags);
    }

    #[test]
    fn a_noisy_text_layer_has_every_forms_text_cells_flagged() {
        let mut r = record(&[Some(45.0), Some(45.0)], 0);
        flag_damaged_form(&mut r, NOISY_OCR + 0.01, &Vocabulary::builtin(), &[]);
        assert!(r.flags.iter().any(|f| f.field == "indicators[0].level3"));
        let mut r = record(&[Some(45.0), Some(45.0)], 0);
        flag_damaged_form(&mut r, NOISY_OCR - 0.01, &Vocabulary::builtin(), &[]);
        assert!(r.flags.is_empty());
    }

    #[test]
    fn rows_missing_from_the_weight_sum_flag_the_table() {
        let mut r = record(&[Some(30.0), Some(30.0)], 0);
        flag_damaged_form(&mut r, 0.0, &Vocabulary::builtin(), &[]);
        assert!(r.flags.iter().any(|f| f.field == "indicators" && f.reason.contains("70 of 100")));
        // a complete sum, a lightly damaged form: no flag at all
        let mut r = record(&[Some(45.0), Some(45.0)], 0);
        flag_damaged_form(&mut r, 0.0, &Vocabulary::builtin(), &[]);
        assert!(r.flags.is_empty());
    }

    fn flagged(r: &Record, path: &str) -> Vec<String> {
        r.flags.iter().filter(|f| f.field == path).map(|f| f.reason.clone()).collect()
    }

    #[test]
    fn names_with_glyphs_that_form_no_word_are_flagged_not_changed() {
        let v = Vocabulary::builtin();
        let mut r = record(&[Some(45.0), Some(45.0), Some(10.0), Some(10.0)], 0);
        r.indicators[0].level3 = Some("入员完备性".into());
        r.indicators[1].level3 = Some("人员完备性".into());
        r.indicators[2].level3 = Some("预算刚性约束_ 涉密专用防火墙".into());
        r.indicators[3].level3 = Some("信息共享度全区共享全区共享".into());
        r.project = Some("年度信息化项目咨询评估".into());
        r.department = Some("中国共产党上海市委员会宣传部".into());
        flag_doubtful_names(&mut r, &v);
        assert!(flagged(&r, "indicators[0].level3").iter().any(|x| x.starts_with(MISFIT) && x.contains('入')));
        assert_eq!(r.indicators[0].level3.as_deref(), Some("入员完备性"), "flagged, never guessed");
        assert!(flagged(&r, "indicators[1].level3").is_empty());
        assert!(flagged(&r, "indicators[2].level3").iter().any(|x| x.starts_with("stray mark '_'")));
        assert!(flagged(&r, "indicators[3].level3").iter().any(|x| x.contains("value word '全区共享'")));
        assert!(flagged(&r, "project").iter().any(|x| x.contains("starts with 年度")));
        assert!(flagged(&r, "department").is_empty());
        // a name of the learned 三级 list is known, whatever the word list says
        let mut learned = v.clone();
        learned.level3 = vec!["入员完备性".into()];
        let mut known = record(&[Some(10.0)], 0);
        known.indicators[0].level3 = Some("入员完备性".into());
        flag_doubtful_names(&mut known, &learned);
        assert!(flagged(&known, "indicators[0].level3").is_empty());
        // a name ending in a value-like word that is its own ending stays
        let mut ok = record(&[Some(10.0)], 0);
        ok.indicators[0].level3 = Some("评审报告完成及时性".into());
        flag_doubtful_names(&mut ok, &v);
        assert!(flagged(&ok, "indicators[0].level3").is_empty(), "{:?}", ok.flags);
    }

    #[test]
    fn a_gap_in_the_marks_an_unread_funds_row_explains_is_no_missing_row() {
        let v = Vocabulary::builtin();
        let missing = |r: &Record| r.flags.iter().any(|f| f.field == "indicators" && f.reason.contains("a row may be missing"));
        let mut r = record(&[Some(30.0), Some(30.0), Some(30.0)], 0);
        r.funds[0].weight = None;
        flag_damaged_form(&mut r, 0.0, &v, &[]);
        assert!(!missing(&r), "{:?}", r.flags);
        // the funds row read: the gap is a row's
        let mut r = record(&[Some(30.0), Some(30.0), Some(20.0)], 0);
        flag_damaged_form(&mut r, 0.0, &v, &[]);
        assert!(missing(&r), "{:?}", r.flags);
    }

    #[test]
    fn a_failing_sum_is_blamed_on_the_cells_already_in_doubt() {
        let sum = |r: &mut Record, fields: &[&str]| {
            for f in fields {
                r.flags.push(Flag::new(*f, STAGE, "Σ 得分 94 ≠ total 100"));
            }
        };
        let mut r = record(&[Some(15.0), Some(15.0), Some(10.0)], 0);
        sum(&mut r, &["indicators[0].score", "indicators[1].score", "indicators[2].score", "total_score"]);
        r.flags.push(Flag::new("indicators[1].score", STAGE, "得分 13 one digit from its full 分值 15 with no deviation reason given: a misread digit?"));
        narrow_sum_doubts(&mut r);
        assert!(flagged(&r, "indicators[0].score").is_empty() && flagged(&r, "total_score").is_empty());
        assert_eq!(flagged(&r, "indicators[1].score").len(), 2);
        // no cell in doubt of its own: every cell keeps the sum's doubt
        let mut r = record(&[Some(15.0), Some(15.0)], 0);
        sum(&mut r, &["indicators[0].score", "indicators[1].score"]);
        narrow_sum_doubts(&mut r);
        assert_eq!(flagged(&r, "indicators[0].score").len(), 1);
        // a 执行率 at odds with amounts their column sums hold: the rate's
        let mut r = record(&[Some(90.0)], 0);
        r.funds[0].annual_budget = Some(188.0);
        r.funds.push(Fund { item: "当年财政拨款".into(), annual_budget: Some(168.0), executed: Some(168.0), ..Default::default() });
        r.funds.push(Fund { item: "其他资金".into(), annual_budget: Some(20.0), executed: Some(20.0), execution_rate: Some(10.0), ..Default::default() });
        for c in ["execution_rate", "executed", "annual_budget"] {
            r.flags.push(Flag::new(format!("funds[2].{c}"), STAGE, "执行率 10% ≠ 20 / 20"));
        }
        narrow_sum_doubts(&mut r);
        assert!(!flagged(&r, "funds[2].execution_rate").is_empty());
        assert!(flagged(&r, "funds[2].executed").is_empty() && flagged(&r, "funds[2].annual_budget").is_empty());
        // with a column's sum failing, its amount stays in doubt
        r.flags.push(Flag::new("funds[2].executed", STAGE, "执行率 10% ≠ 20 / 20"));
        r.flags.push(Flag::new("funds[0].executed", STAGE, "年度资金总额 executed 188 ≠ Σ parts 197"));
        narrow_sum_doubts(&mut r);
        assert_eq!(flagged(&r, "funds[2].executed").len(), 1);
    }

    #[test]
    fn marks_a_misread_digit_may_have_changed_are_flagged() {
        let mut r = record(&[Some(5.0), Some(15.0), Some(30.0), Some(0.0), None], 0);
        r.indicators[0].score = Some(3.0); // 3 for 5, no reason given
        r.indicators[1].score = Some(13.0);
        r.indicators[1].deviation = Some("部分工作延期".into()); // explained
        r.indicators[2].score = Some(28.0); // two digits from 30: a deduction
        r.indicators[3].score = Some(3.0); // 分值 0
        r.indicators[4].score = Some(8.0); // 分值 not read
        flag_doubtful_marks(&mut r);
        assert_eq!(flagged(&r, "indicators[0].score").len(), 1);
        assert!(flagged(&r, "indicators[1].score").is_empty());
        assert!(flagged(&r, "indicators[2].score").is_empty());
        assert!(!flagged(&r, "indicators[3].weight").is_empty() && !flagged(&r, "indicators[3].score").is_empty());
        assert!(flagged(&r, "indicators[4].score")[0].contains("分值 not read"));
        assert!(one_digit_apart("1", "10") && one_digit_apart("13", "15") && !one_digit_apart("28", "30") && !one_digit_apart("5", "5"));
    }

    #[test]
    fn attributes_and_grade_the_other_forms_print_are_flagged_when_missing() {
        let mut forms: Vec<Record> = (0..3).map(|k| {
            let mut r = record(&[Some(90.0)], 0);
            r.form = k + 1;
            r.kind = "target".into();
            r.attributes.insert("立项依据".into(), "沪府".into());
            r.attributes.insert("项目类别".into(), "经常性项目".into());
            r
        }).collect();
        forms[1].attributes.remove("立项依据");
        forms[2].attributes.remove("立项依据");
        forms[0].attributes.remove("项目类别");
        let mut unlabelled = forms.clone();
        flag_unread_attributes(&mut forms, &[true, true, false], &[]);
        // 项目类别: both others print it
        assert!(!flagged(&forms[0], "attributes.项目类别").is_empty());
        // 立项依据: one of the two others prints it (half): flagged on the scan
        assert!(!flagged(&forms[1], "attributes.立项依据").is_empty());
        // not a scan: left alone
        assert!(flagged(&forms[2], "attributes.立项依据").is_empty());
        // no form read a 总目标及阶段性目标 value, but form 3 printed its label:
        // form 3 is flagged for its own lost value, form 1 (a scan) because
        // one of its two others prints it
        for f in unlabelled.iter_mut() {
            f.attributes.remove("立项依据");
        }
        let labels = |l: &[&str]| l.iter().map(|x| x.to_string()).collect::<std::collections::BTreeSet<String>>();
        flag_unread_attributes(&mut unlabelled, &[true, false, true], &[labels(&[]), labels(&[]), labels(&["总目标及阶段性目标"])]);
        assert!(flagged(&unlabelled[2], "attributes.总目标及阶段性目标")[0].contains("its value not read"));
        assert!(!flagged(&unlabelled[0], "attributes.总目标及阶段性目标").is_empty());
        assert!(flagged(&unlabelled[1], "attributes.总目标及阶段性目标").is_empty(), "not a scan");
        assert!(flagged(&unlabelled[0], "attributes.立项依据").is_empty(), "no form prints it");

        // goal texts: flagged when neither was read and the others print them
        let mut goals: Vec<Record> = (0..3).map(|k| { let mut r = record(&[Some(90.0)], 0); r.form = k + 1; r.goal_expected = Some("完成".into()); r.goal_actual = Some("已完成".into()); r }).collect();
        goals[1].goal_expected = None;
        goals[1].goal_actual = None;
        goals[2].goal_expected = None; // printed empty beside a result read
        flag_unread_attributes(&mut goals, &[true, true, true], &[]);
        assert!(!flagged(&goals[1], "goal_expected").is_empty() && !flagged(&goals[1], "goal_actual").is_empty());
        assert!(flagged(&goals[2], "goal_expected").is_empty());

        let mut evals: Vec<Record> = (0..2).map(|k| { let mut r = record(&[Some(90.0)], 0); r.form = k + 1; r }).collect();
        evals[0].grade = Some("优".into());
        flag_unread_attributes(&mut evals, &[true, true], &[]);
        assert!(!flagged(&evals[1], "grade").is_empty() && flagged(&evals[0], "grade").is_empty());
    }

    #[test]
    fn funds_rows_named_by_their_place_are_confirmed_by_the_sums() {
        let v = Vocabulary::builtin();
        let fund = |item: &str, b: f64| Fund { item: item.into(), annual_budget: Some(b), ..Default::default() };
        let mut r = record(&[Some(90.0)], 0);
        r.kind = "target".into();
        r.funds = vec![fund("年度资金申请总额", 100.0), fund("当年财政拨款", 60.0), fund("上年结转资金", 0.0), fund("其他资金", 40.0)];
        let layout = checks::Layout { rows: funds::template(&r, &v), full_marks: 100.0 };
        assert_eq!(layout.rows.len(), 4, "the target form's funds block");
        r.repairs.push(Repair::new("funds[3].item", "realign", "ee", "其他资金", govtab_model::FUND_ROW_BY_PLACE));
        r.flags.push(Flag::new("funds[3].item", "realign", "label 'ee' unreadable; taken as 其他资金"));
        let mut broken = r.clone();
        confirm_fund_rows_by_place(&mut r, &layout);
        assert!(r.flags.is_empty());
        // the sums fail: the place is not confirmed
        broken.funds[3].annual_budget = Some(4.0);
        confirm_fund_rows_by_place(&mut broken, &layout);
        assert_eq!(broken.flags.len(), 1);
    }

    #[test]
    fn a_cell_computed_from_a_doubtful_one_is_doubtful() {
        let mut r = record(&[Some(90.0)], 0);
        r.repairs.push(Repair::new("funds[2].initial_budget", STAGE, "", "148500000", "unreadable; 年度资金总额 less the other parts"));
        r.flags.push(Flag::new("funds[0].initial_budget", STAGE, "年初预算数 and 全年预算数 a hundredfold apart"));
        flag_derived_from_doubt(&mut r);
        assert!(flagged(&r, "funds[2].initial_budget")[0].contains("funds[0].initial_budget"));
    }
}
