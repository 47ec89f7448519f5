//! Indicator values: comparator + number + unit, read back through OCR damage.
//!
//! Values have a few shapes (`≥200.00(份)`, `=100%`, `<=5%`, `及时`); the
//! comparators and units form closed vocabularies (`comparator_misreads`,
//! `units` in pipelines/vocab.toml). A single misread glyph before the
//! number (之/过 for ≥, 入/委 for ≤) is mapped back; a lone `>` becomes `≥`
//! only in a form that prints its comparators as single glyphs and shows
//! `≥` elsewhere. A unit that is not a unit is taken from the same row's
//! other value when that one is clean, else from the one look-alike unit it
//! resembles; what cannot be read is kept and flagged.

use govtab_model::{Flag, FormDraft, FormKind, Repair, Vocabulary};

use crate::{normalize, Confusables};

const STAGE: &str = "match";

/// A value split at its number: `prefix`, `number`, `suffix` (trimmed).
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub prefix: String,
    pub number: String,
    pub suffix: String,
}

pub fn shape(s: &str) -> Option<Shape> {
    let t = s.trim();
    let start = t.find(|c: char| c.is_ascii_digit())?;
    let rest = &t[start..];
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).unwrap_or(rest.len());
    Some(Shape { prefix: t[..start].trim().to_string(), number: rest[..end].to_string(), suffix: rest[end..].trim().to_string() })
}

/// The unit inside `(…)` or bare after the number.
/// The unit of a value's suffix, brackets and spaces dropped ("(次 /月)" →
/// "次/月": OCR puts gaps inside units).
fn unit_of(suffix: &str) -> String {
    let s = suffix.trim();
    s.strip_prefix(['(', '（']).map(|x| x.trim_end_matches([')', '）'])).unwrap_or(s).chars().filter(|c| !c.is_whitespace()).collect()
}

fn is_unit(v: &Vocabulary, u: &str) -> bool {
    u.is_empty() || v.units.iter().any(|x| x == u)
}

/// An indicator value (`field` "target" or "actual") whose shape a misread
/// rarely keeps: a qualitative word of the vocabulary, or a number with a
/// known unit — plain or bracketed, right after the number — and, for a
/// target, its comparator (≥, ≤, =) right before it; a percentage only for
/// a rate (a 三级 name ending in `rate_suffixes` or holding 率) and never
/// over 100.
pub fn well_formed(field: &str, value: &str, level3: Option<&str>, v: &Vocabulary) -> bool {
    if v.qualitative_values.iter().any(|q| q == value) {
        return true;
    }
    let Some(sh) = shape(value) else { return false };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let plain_number = sh.number.split_once('.').map_or(digits(&sh.number), |(i, f)| digits(i) && digits(f));
    let head = format!("{}{}", sh.prefix, sh.number);
    if !plain_number || !matches!(sh.prefix.as_str(), "" | "≥" | "≤" | "=") || !value.starts_with(&head) {
        return false;
    }
    if field == "target" && sh.prefix.is_empty() {
        return false;
    }
    let rest = &value[head.len()..];
    let unit = rest.strip_prefix('(').and_then(|x| x.strip_suffix(')')).filter(|u| !u.is_empty()).unwrap_or(rest);
    if unit.is_empty() || !is_unit(v, unit) {
        return false;
    }
    if unit.starts_with('%') {
        let rate = level3.is_some_and(|n| n.contains('率') || v.rate_suffixes.iter().any(|s| n.ends_with(s.as_str())));
        return rate && sh.number.parse::<f64>().is_ok_and(|n| n <= 100.0);
    }
    true
}

fn comparator_for<'v>(v: &'v Vocabulary, prefix: &str) -> Option<&'v str> {
    let mut chars = prefix.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    v.comparator_misreads.iter().find(|[_, mis]| mis.contains(c)).map(|[canon, _]| canon.as_str())
}

/// How a document prints comparators: (single glyphs ≥/≤ or their
/// misreads, ASCII >=/<=), counted over all its forms.
pub fn comparator_convention(forms: &[FormDraft], v: &Vocabulary) -> (usize, usize) {
    let mut glyph_ge = 0;
    let mut ascii = 0;
    for ind in forms.iter().flat_map(|f| &f.indicators) {
        for t in [&ind.target, &ind.actual].into_iter().flatten() {
            if let Some(sh) = shape(t) {
                let p = normalize(&sh.prefix);
                if p == ">=" || p == "<=" {
                    ascii += 1;
                } else if p == "≥" || p == "≤" || comparator_for(v, &sh.prefix).is_some() {
                    glyph_ge += 1;
                }
            }
        }
    }
    (glyph_ge, ascii)
}

/// OCR junk around a value whose shape is known, cut (with the reason):
/// - Latin or punctuation specks after a qualitative word ("完成ee",
///   "稳定2B", "持续稳定—"), at most three of them;
/// - anything without Chinese after the closing bracket of a unit
///   ("≥90.00(%)st", "=100(%)—i");
/// - "2>"/"2≥" before the number: one ≥ OCR read twice.
pub fn clean_value(text: &str, v: &Vocabulary) -> Option<(String, &'static str)> {
    let t = text.trim();
    // an opening or closing quote with no partner before the value
    // ("”建立健全", "“运维291个，建设110个")
    if let Some(rest) = t.strip_prefix(['“', '”', '"', '‘', '’']) {
        let rest = rest.trim_start();
        let partnered = rest.contains(['“', '”', '"']) || rest.contains(['‘', '’']);
        if !partnered && rest.starts_with(|c: char| crate::is_cjk(c) || c.is_ascii_digit()) {
            let (out, why) = clean_value(rest, v).unwrap_or((rest.to_string(), ""));
            return Some((out, if why.is_empty() { "a stray quote before the value cut" } else { why }));
        }
    }
    // a rule glyph before a value word ("一及时", "|合理")
    if let Some(rest) = t.strip_prefix(['一', '-', '—', '|', '_']) {
        let rest = rest.trim_start();
        if v.qualitative_values.iter().any(|q| q == rest) {
            return Some((rest.to_string(), "a rule glyph before the value word cut"));
        }
    }
    // spaces OCR put around a number inside Chinese ("30 个", "运维 291个")
    let spaced = squeeze_number_spaces(t);
    if spaced != t {
        let (out, why) = clean_value(&spaced, v).unwrap_or((spaced.clone(), ""));
        return Some((out, if why.is_empty() { "spaces around a number inside the value removed" } else { why }));
    }
    // a decimal comma ("≥80,00(%)"): two digits after it
    if let Some(fixed) = decimal_comma(t) {
        return Some((fixed, "a decimal point read as a comma"));
    }
    // a rule line read as a glyph after a complete value ("7*24小时二",
    // "=100%\n二")
    if let Some(head) = t.strip_suffix(['二', '一']) {
        let head = head.trim_end();
        let complete = head.ends_with('%') || v.units.iter().any(|u| head.ends_with(u.as_str()) && head[..head.len() - u.len()].ends_with(|c: char| c.is_ascii_digit()));
        if complete {
            return Some((head.to_string(), "a rule line read as a glyph after the value cut"));
        }
    }
    // a qualitative word with one look-alike glyph ("台理") or one stray
    // glyph inside it ("及时人性"), when exactly one word fits
    if let Some(word) = near_qualitative(t, v) {
        return Some((word, "read as the qualitative word one look-alike or stray glyph away"));
    }
    // the longest qualitative word the text starts with
    let qual = v.qualitative_values.iter().filter(|q| t.starts_with(q.as_str())).max_by_key(|q| q.len());
    if let Some(q) = qual {
        let rest = t[q.len()..].trim();
        let specks = !rest.is_empty() && rest.chars().count() <= 3 && !rest.chars().any(crate::is_cjk) && !rest.chars().all(|c| c.is_ascii_digit() || c == '.');
        if specks {
            return Some((q.clone(), "OCR specks after the value word cut"));
        }
        return None;
    }
    let mut out = t.to_string();
    let mut why = None;
    for glitch in ["2>", "2≥", "2 >", "2 ≥"] {
        if let Some(rest) = out.strip_prefix(glitch) {
            if rest.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
                out = format!("≥{}", rest.trim_start());
                why = Some("'2>' before the number is one misread ≥");
                break;
            }
        }
    }
    if let Some(sh) = shape(&out) {
        if let (Some(open), Some(close)) = (sh.suffix.find(['(', '（']), sh.suffix.find([')', '）'])) {
            let after = &sh.suffix[close + sh.suffix[close..].chars().next().map(char::len_utf8).unwrap_or(1)..];
            if open == 0 && !after.trim().is_empty() && !after.chars().any(crate::is_cjk) {
                let keep = &sh.suffix[..sh.suffix.len() - after.len()];
                out = format!("{}{}{}", sh.prefix, sh.number, keep);
                why = Some(why.map_or("OCR specks after the unit cut", |_| "'2>' read as ≥; OCR specks after the unit cut"));
            }
        }
    }
    why.map(|w| (out, w))
}

/// Spaces between a digit and a Chinese character, either way round.
/// The qualitative word (two glyphs or more) that `t` is one look-alike
/// substitution or one stray glyph inside away from, when exactly one is.
fn near_qualitative(t: &str, v: &Vocabulary) -> Option<String> {
    if v.qualitative_values.iter().any(|q| q == t) {
        return None;
    }
    let conf = crate::Confusables::builtin();
    let tc: Vec<char> = t.chars().collect();
    if !tc.iter().all(|c| crate::is_cjk(*c)) {
        return None;
    }
    let mut fits: Vec<&String> = Vec::new();
    for q in &v.qualitative_values {
        let qc: Vec<char> = q.chars().collect();
        if qc.len() < 2 {
            continue;
        }
        let fit = if tc.len() == qc.len() {
            let diffs: Vec<usize> = (0..qc.len()).filter(|&i| tc[i] != qc[i]).collect();
            matches!(diffs[..], [i] if conf.sub_cost(tc[i], qc[i]) < 1.0)
        } else if tc.len() == qc.len() + 1 {
            // a stray glyph strictly inside the word
            (1..tc.len() - 1).any(|k| tc[..k] == qc[..k] && tc[k + 1..] == qc[k..])
        } else {
            false
        };
        if fit {
            fits.push(q);
        }
    }
    match fits[..] {
        [one] => Some(one.clone()),
        _ => None,
    }
}

fn squeeze_number_spaces(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' && i > 0 && i + 1 < chars.len() {
            let (a, b) = (chars[i - 1], chars[i + 1]);
            if (a.is_ascii_digit() && crate::is_cjk(b)) || (crate::is_cjk(a) && b.is_ascii_digit()) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// "80,00" → "80.00": a comma followed by exactly two digits and no more
/// digits is a decimal point (thousands commas group three).
fn decimal_comma(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let k = chars.iter().position(|&c| c == ',')?;
    let before = k > 0 && chars[k - 1].is_ascii_digit();
    let two = chars.get(k + 1).is_some_and(|c| c.is_ascii_digit()) && chars.get(k + 2).is_some_and(|c| c.is_ascii_digit()) && !chars.get(k + 3).is_some_and(|c| c.is_ascii_digit());
    if !(before && two) || chars[k + 1..].contains(&',') {
        return None;
    }
    let mut out = chars.clone();
    out[k] = '.';
    Some(out.into_iter().collect())
}

/// Repair and flag the target/actual values of a form; `convention` is the
/// document's [`comparator_convention`].
pub fn repair_values(form: &mut FormDraft, v: &Vocabulary, convention: (usize, usize)) {
    let (glyph_ge, ascii) = convention;
    let conf = Confusables::builtin();
    let n = form.indicators.len();
    if form.ocr {
        for i in 0..n {
            for field in ["target", "actual"] {
                let ind = &mut form.indicators[i];
                let cell = if field == "target" { &mut ind.target } else { &mut ind.actual };
                if let Some((clean, why)) = cell.as_deref().and_then(|t| clean_value(t, v)) {
                    let before = cell.replace(clean.clone()).unwrap_or_default();
                    // a glyph read as another is a guess worth a look
                    if why.starts_with("read as the qualitative word") {
                        form.flags.push(Flag::new(format!("indicators[{i}].{field}"), STAGE, format!("'{before}' read as '{clean}'")));
                    }
                    form.repairs.push(Repair::new(format!("indicators[{i}].{field}"), STAGE, before, clean, why));
                }
            }
        }
    }
    // every numeric target of the form printed with a comparator (three or
    // more, none without but those opening on a '2'): a bare "220.00" is
    // "≥20.00" whose ≥ OCR read as '2' (a lost ≥ leaves "20.00")
    let every_target_compared = {
        let (mut with, mut without) = (0, 0);
        for sh in form.indicators.iter().filter_map(|i| i.target.as_deref()).filter_map(shape) {
            if !sh.prefix.trim().is_empty() {
                with += 1;
            } else if !sh.number.starts_with('2') {
                without += 1;
            }
        }
        with >= 3 && without == 0
    };
    for i in 0..n {
        for field in ["target", "actual"] {
            let ind = &form.indicators[i];
            let (this, other) = if field == "target" { (&ind.target, &ind.actual) } else { (&ind.actual, &ind.target) };
            let Some(text) = this.clone() else { continue };
            let Some(sh) = shape(&text) else { continue };
            // a sentence with a number in it is not a value shape ("2 500…"
            // is a misread ≥ before the number, looked at below)
            let misread_ge = text.trim().starts_with("2 ") && text.trim()[2..].trim_start().starts_with(|c: char| c.is_ascii_digit());
            if sh.prefix.chars().count() > 2 || (sh.suffix.chars().count() > 8 && !misread_ge) {
                continue;
            }
            let path = format!("indicators[{i}].{field}");
            let mut prefix = sh.prefix.clone();
            let mut sh = sh;
            let mut ge_sure = false;
            // ≥ read as "2": "2 500.00(人次)", or a percent over 100 ("295%")
            let other_number = other.as_deref().and_then(shape).map(|o| o.number);
            let twin = |n: &str| other_number.as_deref().map(|o| o == n).unwrap_or(false);
            // a percent over 100 whose first digit is the ≥ ("290%", "795.00(%)",
            // "285%—=s" with specks after the unit)
            let percent = unit_of(&sh.suffix) == "%" || sh.suffix.trim_start().starts_with('%');
            let over = percent && sh.number.starts_with(['2', '7']) && sh.number.parse::<f64>().map(|x| x > 100.0).unwrap_or(false) && sh.number.get(1..).and_then(|x| x.parse::<f64>().ok()).is_some_and(|x| x <= 100.0);
            // a result printed with its ≥ like the target, both read "285%"
            let twin_over = over && other_number.as_deref() == Some(sh.number.as_str());
            if prefix.is_empty() && (field == "target" || twin(sh.number.get(1..).unwrap_or("")) || twin_over) && ascii == 0 && form.ocr {
                let rest = text.trim().strip_prefix('2').map(str::trim_start);
                let spaced = text.trim().starts_with("2 ") && rest.map(|r| r.starts_with(|c: char| c.is_ascii_digit())).unwrap_or(false);
                let rest = text.trim().strip_prefix(['2', '7']).map(str::trim_start);
                // a count ten times or more off the row's actual value, which
                // the number without its first '2' matches ("2100" for ≥100
                // beside 120 done)
                let off = |n: &str| -> Option<f64> {
                    let a = other.as_deref().and_then(shape)?.number.replace(',', "").parse::<f64>().ok()?;
                    let x = n.replace(',', "").parse::<f64>().ok()?;
                    (a > 0.0 && x > 0.0).then(|| (a / x).ln().abs())
                };
                let closer = field == "target" && sh.number.starts_with('2') && sh.number.len() >= 2 && !sh.number[1..].starts_with(['0', '.']) && match (off(&sh.number), off(&sh.number[1..])) {
                    (Some(whole), Some(cut)) => whole - cut >= 10f64.ln(),
                    _ => false,
                };
                let by_form = field == "target" && every_target_compared && sh.number.starts_with('2') && sh.number.len() >= 2 && !sh.number[1..].starts_with('.');
                if (spaced && glyph_ge > 0) || over || closer || by_form {
                    if let Some(s2) = rest.and_then(shape) {
                        sh = s2;
                        prefix = "2".into();
                        // a gap after the '2' on a form that prints ≥, or a
                        // percent over 100 without it, is the ≥ for sure on
                        // a clean text layer; a noisy one keeps the doubt
                        ge_sure = ((spaced && glyph_ge > 0) || over) && form.ocr_noise < govtab_model::NOISY_OCR;
                    }
                }
            }
            let mut why: Vec<String> = Vec::new();
            let mut doubt: Vec<String> = Vec::new();
            // a self-evaluation form's percent target under 100 always has
            // its ≥: on a scan, one without any lost it
            let pct = unit_of(&sh.suffix) == "%" && sh.number.parse::<f64>().is_ok_and(|x| x < 100.0);
            if field == "target" && prefix.is_empty() && pct && form.ocr && form.kind == FormKind::SelfEvaluation {
                why.push("a percent target's comparator lost: ≥ (every such target of the forms prints it)".into());
                doubt.push("comparator not read; ≥ assumed".into());
                prefix = "≥".into();
            }
            // comparator
            if prefix == "2" {
                why.push("'2' before the number is a misread ≥".into());
                if !ge_sure {
                    doubt.push("'2' read as ≥".into());
                }
                prefix = "≥".into();
            } else if let Some(c) = comparator_for(v, &prefix) {
                why.push(format!("'{prefix}' is a misread {c}"));
                prefix = c.to_string();
            } else if (prefix == ">" || prefix == "<") && ascii == 0 && form.ocr && form.layout == "standard" {
                // self-evaluation forms print ≥/≤ (a strict > or < is next to
                // unseen on them); OCR drops the bar
                let c = if prefix == ">" { "≥" } else { "≤" };
                why.push(format!("'{prefix}' in a form that prints {c} as one glyph: read as {c}"));
                if glyph_ge < 2 {
                    doubt.push(format!("'{prefix}' may be a misread '{c}'"));
                }
                prefix = c.into();
            } else if !prefix.is_empty() && !matches!(normalize(&prefix).as_str(), ">=" | "<=" | "≥" | "≤" | "=" | ">" | "<" | "＞" | "＜") && prefix.chars().count() <= 2 && !prefix.chars().any(crate::is_cjk) {
                doubt.push(format!("unreadable text '{prefix}' before the number"));
            }
            // unit
            let mut suffix = sh.suffix.clone();
            let unit = unit_of(&sh.suffix);
            let unit = unit.as_str();
            let paren = sh.suffix.starts_with(['(', '（']);
            if unit.chars().count() > 1 && is_unit(v, unit) && sh.suffix.trim().chars().any(char::is_whitespace) {
                why.push(format!("gap inside the unit '{}' dropped", sh.suffix.trim()));
                suffix = if paren { format!("({unit})") } else { unit.to_string() };
            }
            if !is_unit(v, unit) && unit.chars().count() <= 4 && !unit.chars().any(|c| crate::is_cjk(c) && !v.units.iter().any(|u| u.contains(c))) || (paren && !is_unit(v, unit)) {
                let sibling = other.as_deref().and_then(shape).map(|s| unit_of(&s.suffix).to_string()).filter(|u| !u.is_empty() && is_unit(v, u));
                let nearest = {
                    let mut scored: Vec<(&String, f64)> = v.units.iter().map(|u| (u, conf.similarity(unit, u))).collect();
                    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
                    match scored.as_slice() {
                        [(u, s), (_, s2), ..] if *s >= 0.5 && s - s2 >= 0.1 => Some((*u).clone()),
                        _ => None,
                    }
                };
                let fix = sibling.clone().or(nearest);
                match fix {
                    Some(u) => {
                        let shares = unit.chars().any(|c| u.contains(c));
                        why.push(format!("unit '{unit}' read as '{u}'{}", if sibling.is_some() { " (the row's other value)" } else { " (nearest unit)" }));
                        if unit.starts_with(|c: char| c.is_ascii_digit()) {
                            // "1 0%": the "unit" is the number's own digits
                            // split off by a gap, where OCR may have lost one
                            doubt.push(format!("digits split by a gap before '{unit}': a digit may be lost"));
                        } else if sibling.is_none() || !shares {
                            doubt.push(format!("unit '{unit}' unreadable; '{u}' assumed"));
                        }
                        suffix = if paren || u.chars().count() > 1 { format!("({u})") } else { u };
                    }
                    None if !unit.is_empty() => doubt.push(format!("unit '{unit}' is not a known unit")),
                    None => {}
                }
            }
            // a unit lost on one value of the row, printed on the other
            if unit_of(&suffix).is_empty() && prefix.chars().count() <= 2 {
                if let Some(o) = other.as_deref().and_then(shape) {
                    let u = unit_of(&o.suffix).to_string();
                    if u == "%" && o.number == sh.number {
                        why.push("'%' lost after the number; the row's other value has it".into());
                        suffix = "%".into();
                    }
                }
            }
            // a count (…次数) whose unit OCR read as '%' or as no unit: the
            // name says the unit (vocab `unit_by_name_ending`)
            {
                let l3 = form.indicators[i].level3.clone().unwrap_or_default();
                let u = unit_of(&suffix).to_string();
                if let Some([_, want]) = v.unit_by_name_ending.iter().find(|[end, _]| l3.ends_with(end.as_str())) {
                    if form.ocr && !u.is_empty() && u != *want && (u == "%" || !is_unit(v, &u)) {
                        why.push(format!("unit '{u}' on a name ending so: read as '{want}'"));
                        doubt.push(format!("unit '{u}' unreadable for a count; '{want}' from the name"));
                        suffix = if suffix.starts_with(['(', '（']) { format!("({want})") } else { want.clone() };
                    }
                }
            }
            // a rate (…率, …满意度) whose '%' OCR lost on both values, in a
            // form that prints its other rates with '%'
            let l3 = form.indicators[i].level3.clone().unwrap_or_default();
            let is_rate = v.rate_suffixes.iter().any(|x| l3.ends_with(x.as_str()));
            let other_bare = other.as_deref().and_then(shape).map(|o| unit_of(&o.suffix).is_empty()).unwrap_or(true);
            if is_rate && unit_of(&suffix).is_empty() && other_bare && sh.number.parse::<f64>().map(|x| x <= 100.0).unwrap_or(false) {
                let pct_rows = form
                    .indicators
                    .iter()
                    .filter(|x| [&x.target, &x.actual].into_iter().flatten().any(|t| shape(t).map(|s| s.suffix == "%").unwrap_or(false)))
                    .count();
                if pct_rows >= 2 {
                    why.push("'%' lost on a rate; the form prints its rates with '%'".into());
                    doubt.push("'%' assumed for a rate".into());
                    suffix = "%".into();
                }
            }
            // target and actual of one row measure the same thing (on a
            // digital PDF, two units are what the form prints: no misread)
            if field == "target" && !form.exact_text {
                if let Some(o) = other.as_deref().and_then(shape) {
                    let (a, b) = (unit_of(&suffix).to_string(), unit_of(&o.suffix).to_string());
                    if !a.is_empty() && !b.is_empty() && a != b && is_unit(v, &a) && is_unit(v, &b) && o.prefix.chars().count() <= 2 {
                        doubt.push(format!("unit '{a}' differs from the actual value's '{b}'"));
                        form.flags.push(Flag::new(format!("indicators[{i}].actual"), STAGE, format!("unit '{b}' differs from the target's '{a}'")));
                    }
                }
            }
            let rebuilt = format!("{prefix}{}{suffix}", sh.number);
            if !why.is_empty() && rebuilt != text {
                form.repairs.push(Repair::new(&path, STAGE, &text, &rebuilt, why.join("; ")));
                let ind = &mut form.indicators[i];
                if field == "target" { ind.target = Some(rebuilt) } else { ind.actual = Some(rebuilt) }
            }
            if !doubt.is_empty() {
                form.flags.push(Flag::new(&path, STAGE, doubt.join("; ")));
            }
        }
    }
}

/// A row's target and result with the same unit, one in brackets
/// ("≥80.00(%)") and one bare ("85.00%"): a form prints both alike, so the
/// one against the form's majority style (values with a unit, counted over
/// the form) is rewritten in it (repair logged).
pub fn unify_unit_style(form: &mut FormDraft) {
    let mut bracketed = 0usize;
    let mut bare = 0usize;
    for ind in &form.indicators {
        for sh in [&ind.target, &ind.actual].into_iter().flatten().filter_map(|t| shape(t)) {
            if unit_of(&sh.suffix).is_empty() {
                continue;
            }
            if sh.suffix.starts_with(['(', '（']) {
                bracketed += 1;
            } else {
                bare += 1;
            }
        }
    }
    if bracketed == bare {
        return;
    }
    let want_brackets = bracketed > bare;
    for i in 0..form.indicators.len() {
        let (Some(t), Some(a)) = (form.indicators[i].target.clone(), form.indicators[i].actual.clone()) else { continue };
        let (Some(st), Some(sa)) = (shape(&t), shape(&a)) else { continue };
        let (ut, ua) = (unit_of(&st.suffix), unit_of(&sa.suffix));
        if ut.is_empty() || ut != ua || st.suffix.starts_with(['(', '（']) == sa.suffix.starts_with(['(', '（']) {
            continue;
        }
        for (field, text, sh) in [("target", &t, &st), ("actual", &a, &sa)] {
            if sh.suffix.starts_with(['(', '（']) == want_brackets {
                continue;
            }
            let unit = unit_of(&sh.suffix);
            let suffix = if want_brackets { format!("({unit})") } else { unit.to_string() };
            let rebuilt = format!("{}{}{suffix}", sh.prefix, sh.number);
            form.repairs.push(Repair::new(format!("indicators[{i}].{field}"), STAGE, text, &rebuilt, "unit written as the form writes it (its other value and most of its values)"));
            let ind = &mut form.indicators[i];
            if field == "target" { ind.target = Some(rebuilt) } else { ind.actual = Some(rebuilt) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_model::{FormKind, IndicatorDraft};

    #[test]
    fn a_space_between_digits_of_a_scans_value_is_flagged() {
        let v = Vocabulary::builtin();
        let mut f = FormDraft { ocr: true, ..FormDraft::new(1, FormKind::SelfEvaluation) };
        let row = |t: &str, a: &str| IndicatorDraft { target: Some(t.into()), actual: Some(a.into()), ..Default::default() };
        f.indicators = vec![row("新建1 0个，运维180个", "运维291个"), row("≥100个", "120 个")];
        flag_damage(&mut f, &v);
        let has = |p: &str| f.flags.iter().any(|x| x.field == p && x.reason.contains("digit may be lost"));
        assert!(has("indicators[0].target") && !has("indicators[0].actual") && !has("indicators[1].actual"));
    }

    #[test]
    fn well_formed_values_are_words_or_numbers_with_known_units() {
        let v = Vocabulary::builtin();
        let ok = |col: &str, val: &str, name: &str| well_formed(col, val, Some(name), &v);
        assert!(ok("target", "≥200.00(份)", "检测报告数量") && ok("actual", "359份", "检测报告数量") && ok("target", "及时", "x"));
        assert!(ok("target", "≥90%", "群众满意度") && ok("actual", "95%", "项目完成率"));
        // a target without its comparator, an unknown unit, a percent for a
        // count or over 100: in doubt
        assert!(!ok("target", "95%", "项目完成率") && !ok("target", "≥10000.00(#)", "全年任务数"));
        assert!(!ok("target", "≥50.00(%)", "全年巡检数量") && !ok("target", "≥380%", "百姓满意度") && !ok("actual", "台理", "x"));
    }

    #[test]
    fn a_rows_unit_is_written_as_the_form_writes_it() {
        let mut f = FormDraft::new(1, FormKind::SelfEvaluation);
        let row = |t: &str, a: &str| IndicatorDraft { target: Some(t.into()), actual: Some(a.into()), ..Default::default() };
        f.indicators = vec![row("≥80.00(%)", "85.00%"), row("≥90.00(%)", "95.00(%)"), row("≥2(次)", "3(次)")];
        unify_unit_style(&mut f);
        assert_eq!(f.indicators[0].actual.as_deref(), Some("85.00(%)"));
        assert_eq!(f.indicators[0].target.as_deref(), Some("≥80.00(%)"));
        assert_eq!(f.repairs.len(), 1);
    }

    fn form(values: &[(&str, &str)]) -> FormDraft {
        FormDraft { indicators: values.iter().map(|(t, a)| IndicatorDraft { target: Some(t.to_string()), actual: Some(a.to_string()), ..Default::default() }).collect(), ..FormDraft::new(1, FormKind::SelfEvaluation) }
    }

    /// [`form`] read from a scan's OCR layer.
    fn scan(values: &[(&str, &str)]) -> FormDraft {
        FormDraft { ocr: true, ..form(values) }
    }

    #[test]
    fn the_total_rows_label_after_the_last_name_is_cut_and_the_row_doubted() {
        let v = Vocabulary::builtin();
        let mut f = scan(&[("≥90%", "95%"), ("≥90%", "95%")]);
        f.indicators[0].level3 = Some("服务对象满意率sL_ 总分".into());
        f.indicators[1].level3 = Some("资金总分".into());
        flag_damage(&mut f, &v);
        assert_eq!(f.indicators[0].level3.as_deref(), Some("服务对象满意率"));
        assert!(f.flags.iter().any(|x| x.field == "indicators[0]" && x.reason.contains("holds a value or a total")));
        // no specks between: a name that ends so is left as read
        assert_eq!(f.indicators[1].level3.as_deref(), Some("资金总分"));
    }

    #[test]
    fn misread_comparators_and_units_are_repaired() {
        let v = Vocabulary::builtin();
        let mut f = scan(&[("之 200.00(份)", "359.00(份)"), (">95.00(%)", "98.00(%)"), ("之 90(%0)", "92(%)"), ("入 15.00(分钟)", "10.00(分钟)")]);
        let conv = comparator_convention(std::slice::from_ref(&f), &v);
        repair_values(&mut f, &v, conv);
        let t: Vec<&str> = f.indicators.iter().map(|i| i.target.as_deref().unwrap_or("")).collect();
        assert_eq!(t, ["≥200.00(份)", "≥95.00(%)", "≥90(%)", "≤15.00(分钟)"]);
        // '>' read as ≥: the form prints ≥ (misread) three times elsewhere
        assert!(f.repairs.iter().any(|x| x.field == "indicators[1].target" && x.after == "≥95.00(%)"));
        assert!(!f.flags.iter().any(|x| x.field == "indicators[0].target"));
    }

    #[test]
    fn a_scans_percent_target_without_comparator_gets_its_ge() {
        let v = Vocabulary::builtin();
        let mut f = scan(&[("95%", "96%"), ("=100%", "100%"), ("100%", "100%"), ("30个", "30个")]);
        let conv = comparator_convention(std::slice::from_ref(&f), &v);
        repair_values(&mut f, &v, conv);
        let t: Vec<&str> = f.indicators.iter().map(|i| i.target.as_deref().unwrap_or("")).collect();
        assert_eq!(t, ["≥95%", "=100%", "100%", "30个"]);
        assert!(f.flags.iter().any(|x| x.field == "indicators[0].target" && x.reason.contains("comparator not read")));
        // not on a text layer that is no OCR
        let mut f = form(&[("95%", "96%")]);
        repair_values(&mut f, &v, (0, 0));
        assert_eq!(f.indicators[0].target.as_deref(), Some("95%"));
    }

    #[test]
    fn gaps_inside_units_and_numbers() {
        let v = Vocabulary::builtin();
        // a gap inside a unit is dropped; digits split by a gap are not a
        // unit: flagged (10% or 100%?)
        let mut f = scan(&[("≥1.00(次/月)", "4.00(次 /月)"), ("=1 0%", "1 0%")]);
        repair_values(&mut f, &v, (0, 0));
        assert_eq!(f.indicators[0].actual.as_deref(), Some("4.00(次/月)"));
        assert!(!f.flags.iter().any(|x| x.field == "indicators[0].actual"));
        for c in ["target", "actual"] {
            assert!(f.flags.iter().any(|x| x.field == format!("indicators[1].{c}") && x.reason.contains("digits split by a gap")), "{c}: {:?}", f.flags);
        }
    }

    #[test]
    fn a_percent_over_100_read_alike_in_target_and_result_is_a_ge_in_both() {
        let v = Vocabulary::builtin();
        // "≥85%" printed in both cells, both read "285%" (specks after one)
        let mut f = scan(&[("285%—=s", "285%"), ("295%", "96%")]);
        repair_values(&mut f, &v, (0, 0));
        let cells: Vec<(&str, &str)> = f.indicators.iter().map(|i| (i.target.as_deref().unwrap_or(""), i.actual.as_deref().unwrap_or(""))).collect();
        assert_eq!(cells, [("≥85%", "≥85%"), ("≥95%", "96%")]);
        // a result over 100 beside a target of another number: not a ≥
        let mut g = scan(&[("≥90%", "285%")]);
        repair_values(&mut g, &v, (0, 0));
        assert_eq!(g.indicators[0].actual.as_deref(), Some("285%"));
    }

    #[test]
    fn a_leading_2_is_the_ge_on_a_form_whose_every_target_has_a_comparator() {
        let v = Vocabulary::builtin();
        let rows = [("≥10(次)", ""), ("≤15(分钟)", ""), ("=365(天)", ""), ("220(家)", "")];
        let mut f = scan(&rows);
        repair_values(&mut f, &v, (3, 0));
        assert_eq!(f.indicators[3].target.as_deref(), Some("≥20(家)"));
        assert!(f.flags.iter().any(|x| x.field == "indicators[3].target"), "a guess: flagged");
        // a form with a bare target elsewhere: the 220 may be 220
        let mut g = scan(&[("≥10(次)", ""), ("≤15(分钟)", ""), ("=365(天)", ""), ("30(个)", ""), ("220(家)", "")]);
        repair_values(&mut g, &v, (3, 0));
        assert_eq!(g.indicators[4].target.as_deref(), Some("220(家)"));
    }

    #[test]
    fn a_sure_ge_read_from_2_is_logged_not_flagged_on_a_clean_layer() {
        let v = Vocabulary::builtin();
        let run = |noise: f64| {
            let mut f = scan(&[("295%", "95%"), ("≥90%", "92%")]);
            f.ocr_noise = noise;
            let conv = comparator_convention(std::slice::from_ref(&f), &v);
            repair_values(&mut f, &v, conv);
            assert_eq!(f.indicators[0].target.as_deref(), Some("≥95%"));
            f.flags.iter().any(|x| x.field == "indicators[0].target")
        };
        assert!(!run(0.01), "a percent over 100: the '2' is the ≥");
        assert!(run(govtab_model::NOISY_OCR + 0.01), "a noisy layer keeps the doubt");
    }

    #[test]
    fn a_count_whose_unit_ocr_garbled_takes_it_from_its_name() {
        let v = Vocabulary::builtin();
        let mut f = scan(&[("≥10(%)", ""), ("≥300(#)", "")]);
        for (i, n) in ["正面宣传活动次数", "公务用车出车次数"].iter().enumerate() {
            f.indicators[i].level3 = Some(n.to_string());
            f.indicators[i].actual = None;
        }
        repair_values(&mut f, &v, (1, 0));
        assert_eq!(f.indicators[0].target.as_deref(), Some("≥10(次)"));
        assert_eq!(f.indicators[1].target.as_deref(), Some("≥300(次)"));
        assert!(f.flags.iter().any(|x| x.field == "indicators[0].target"));
    }

    #[test]
    fn ocr_noise_around_values_is_cut() {
        let v = Vocabulary::builtin();
        let c = |t: &str| clean_value(t, &v).map(|x| x.0);
        assert_eq!(c("完成ee").as_deref(), Some("完成"));
        assert_eq!(c("≥90.00(%)st").as_deref(), Some("≥90.00(%)"));
        assert_eq!(c("2>80.00(%)").as_deref(), Some("≥80.00(%)"));
        assert_eq!(c("一及时").as_deref(), Some("及时"));
        assert_eq!(c("运维 291个，建设110 个").as_deref(), Some("运维291个，建设110个"));
        assert_eq!(c("≥80,00(%)").as_deref(), Some("≥80.00(%)"));
        assert_eq!(c("”建立健全").as_deref(), Some("建立健全"));
        assert_eq!(c("台理").as_deref(), Some("合理"));
        assert_eq!(c("及时人性").as_deref(), Some("及时性"));
        assert_eq!(c("7*24小时二").as_deref(), Some("7*24小时"));
        assert_eq!(c("=100%\n二").as_deref(), Some("=100%"));
        assert_eq!(c("统一"), None);
        assert_eq!(c("“运维291个，建设110个").as_deref(), Some("运维291个，建设110个"));
        assert_eq!(c("“回头看”检查"), None);
        // clean values, thousands commas, words that go on: untouched
        assert_eq!(c("≥1,000(人)"), None);
        assert_eq!(c("及时，12月底前完成"), None);
        assert_eq!(c("≥95%"), None);
    }

    #[test]
    fn ascii_forms_keep_their_greater_than() {
        let v = Vocabulary::builtin();
        let mut f = form(&[(">=90%", "95%"), (">600个", "700个")]);
        let conv = comparator_convention(std::slice::from_ref(&f), &v);
        repair_values(&mut f, &v, conv);
        assert_eq!(f.indicators[1].target.as_deref(), Some(">600个"));
        assert!(f.repairs.is_empty());
    }

    #[test]
    fn a_rate_that_lost_its_percent_gets_it_back_flagged() {
        let v = Vocabulary::builtin();
        let mut f = form(&[("≥90%", "90%"), ("≥80", "80"), ("≥80%", "85%"), ("≥2次", "2")]);
        for (i, n) in ["服务对象满意度", "受援地区满意度", "完成率", "培训次数"].iter().enumerate() {
            f.indicators[i].level3 = Some(n.to_string());
        }
        repair_values(&mut f, &v, (3, 0));
        assert_eq!(f.indicators[1].target.as_deref(), Some("≥80%"));
        assert_eq!(f.indicators[1].actual.as_deref(), Some("80%"));
        assert!(f.flags.iter().any(|x| x.field == "indicators[1].target"));
        // not a rate: left alone
        assert_eq!(f.indicators[3].actual.as_deref(), Some("2"));
    }

    #[test]
    fn unreadable_units_are_flagged() {
        let v = Vocabulary::builtin();
        let mut f = form(&[("≥3.00(4)", "")]);
        f.indicators[0].actual = None;
        repair_values(&mut f, &v, (1, 0));
        assert!(f.flags.iter().any(|x| x.field == "indicators[0].target"));
    }
}

/// Curly quotes with no partner are OCR specks ("“成本控制有效性",
/// "12”月底前"): dropped. Paired quotes (聚焦“未成年人网络保护”) stay.
pub fn drop_unpaired_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut open = false;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '“' => {
                if chars[i + 1..].contains(&'”') {
                    open = true;
                    out.push(c);
                }
            }
            '”' => {
                if open {
                    open = false;
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Signs that OCR or a missed table rule damaged a row's text: two rows'
/// values run together ("到位可控"), a value or a total inside a 三级 name,
/// Latin noise after a Chinese name ("…后勤保eed fi FA", trimmed). Each
/// is flagged; the noise tail is also cut (a repair).
pub fn flag_damage(form: &mut FormDraft, v: &Vocabulary) {
    let quals: Vec<String> = v.qualitative_values.iter().map(|q| normalize(q)).collect();
    let is_qual = |s: &str| quals.iter().any(|q| q == s);
    let two_quals = |t: &str| {
        let n = normalize(t);
        if is_qual(&n) {
            return false;
        }
        let chars: Vec<char> = n.chars().collect();
        (1..chars.len()).any(|k| is_qual(&chars[..k].iter().collect::<String>()) && is_qual(&chars[k..].iter().collect::<String>()))
    };
    for i in 0..form.indicators.len() {
        let row = format!("indicators[{i}]");
        let ind = &form.indicators[i];
        let mut doubts: Vec<String> = Vec::new();
        for t in [&ind.target, &ind.actual].into_iter().flatten() {
            if two_quals(t) {
                doubts.push(format!("'{t}' looks like two rows' values run together (a table rule was not read)"));
            }
        }
        // OCR specks read as quotes or stops before a value ("”建立健全"),
        // quotes with no partner anywhere in a cell
        for field in ["level3", "target", "actual"] {
            let ind = &mut form.indicators[i];
            let cell = match field {
                "level3" => &mut ind.level3,
                "target" => &mut ind.target,
                _ => &mut ind.actual,
            };
            if let Some(t) = cell.clone() {
                let src = if field == "level3" { strip_stroke_tail(&t).unwrap_or(&t) } else { &t };
                let unquoted = drop_unpaired_quotes(src);
                let head = if field == "level3" { &['”', '’', '。', '，', '、', '.', ',', ':', '：', ';', '；', '|', '\'', '"', '`'][..] } else { &['”', '’', '。', '，', '、', '|', '\'', '"', '`'][..] };
                let mut cut = unquoted.trim_start_matches(head);
                if field == "level3" {
                    // specks after a name too ("…满意度“")
                    cut = cut.trim_end_matches(['“', '‘', '，', '、', ':', '：', '|', '\'', '"', '`']);
                }
                // a name may start with anything left; a value must start with
                // its Chinese text once the specks are gone
                let ok = !cut.is_empty() && (field == "level3" || cut.chars().next().map(crate::is_cjk).unwrap_or(false));
                if cut != t && ok {
                    *cell = Some(cut.to_string());
                    form.repairs.push(Repair::new(format!("{row}.{field}"), STAGE, &t, cut, "OCR specks at the ends of the cell removed"));
                }
            }
        }
        let ind = &form.indicators[i];
        // a bare number beside a word value: the number is misread text or
        // a weight that slid into the value column
        for (field, this, other) in [("target", &ind.target, &ind.actual), ("actual", &ind.actual, &ind.target)] {
            if let (Some(t), Some(o)) = (this, other) {
                let bare = normalize(t).chars().all(|c| c.is_ascii_alphanumeric()) && normalize(t).chars().any(|c| c.is_ascii_digit());
                if bare && is_qual(&normalize(o)) {
                    form.flags.push(Flag::new(format!("{row}.{field}"), STAGE, format!("'{t}' beside the word value '{o}'")));
                }
            }
            // a space between two digits on a scan ("新建1 0个"): a digit
            // OCR could not read
            if let Some(t) = this.as_deref().filter(|_| form.ocr) {
                let c: Vec<char> = t.chars().collect();
                if c.windows(3).any(|w| w[0].is_ascii_digit() && w[1] == ' ' && w[2].is_ascii_digit()) {
                    form.flags.push(Flag::new(format!("{row}.{field}"), STAGE, format!("a space inside the number of '{t}': a digit may be lost")));
                }
            }
            // Latin noise after a Chinese value ("…总结报ce=")
            if let Some(t) = this {
                let tail: String = t.chars().rev().take_while(|c| !crate::is_cjk(*c)).collect();
                if tail.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 2 && t.chars().any(crate::is_cjk) {
                    form.flags.push(Flag::new(format!("{row}.{field}"), STAGE, "OCR noise at the end of the value"));
                }
            }
        }
        if form.ocr {
            if let Some((cut, why)) = form.indicators[i].level3.as_deref().and_then(trim_name_specks) {
                let path = format!("indicators[{i}].level3");
                let before = form.indicators[i].level3.replace(cut.clone()).unwrap_or_default();
                form.repairs.push(Repair::new(&path, STAGE, before, cut, why));
            }
        }
        let ind = &form.indicators[i];
        if let Some(l3) = ind.level3.clone() {
            let n = normalize(&l3);
            if n.contains("总分") || n.contains('%') || n.contains('≥') || n.contains(">=") {
                doubts.push(format!("三级 name '{l3}' holds a value or a total: cells of two rows run together"));
            }
            // the 总分 row's label read after the last row's name, specks
            // between ("服务对象满意率sL_ 总分"): the name is the text before
            if let Some(head) = l3.trim_end().strip_suffix("总分") {
                let name = head.trim_end_matches(|c: char| !crate::is_cjk(c));
                if form.ocr && name.len() < head.len() && name.chars().count() >= 2 {
                    let path = format!("indicators[{i}].level3");
                    form.repairs.push(Repair::new(&path, STAGE, &l3, name, "the 总分 row's label read after the name, specks between: cut"));
                    form.indicators[i].level3 = Some(name.to_string());
                }
            }
            // Latin noise after a Chinese name
            let trimmed = l3.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == ' ' || c == '.' || c == '\'');
            let cut = l3.len() - trimmed.len();
            if cut > 0 && trimmed.chars().last().map(crate::is_cjk).unwrap_or(false) && l3[trimmed.len()..].chars().filter(|c| c.is_ascii_alphabetic()).count() >= 2 {
                let path = format!("indicators[{i}].level3");
                form.repairs.push(Repair::new(&path, STAGE, &l3, trimmed, "Latin OCR noise after the name cut"));
                form.flags.push(Flag::new(&path, STAGE, "OCR noise at the end of the name; the name may be cut short"));
                form.indicators[i].level3 = Some(trimmed.to_string());
            }
        }
        if !doubts.is_empty() {
            form.flags.push(Flag::new(row, STAGE, doubts.join("; ")));
        }
    }
}

/// A name ending in an unpaired quote and a stroke after it ("规范性“一"):
/// a speck, and a piece of the rule below the cell read as a glyph. The
/// name without them.
fn strip_stroke_tail(name: &str) -> Option<&str> {
    let t = name.trim_end();
    let mut rev = t.char_indices().rev();
    let (_, stroke) = rev.next()?;
    let (at, quote) = rev.next()?;
    let head = &t[..at];
    let partner = match quote {
        '“' => '”',
        '”' => '“',
        '‘' => '’',
        '’' => '‘',
        _ => return None,
    };
    (matches!(stroke, '一' | '二' | '丨' | '丶') && !head.contains(quote) && !head.contains(partner) && head.chars().filter(|c| crate::is_cjk(*c)).count() >= 3).then_some(head)
}

/// OCR specks at the ends of a 三级 name: one stray digit, letter or mark
/// ("1用户满意度", "检测报告数量1", "沟通机制健全性L"), or up to three
/// such glyphs set off by a space ("_ 技术治网…", "培训次数 [p"). A name
/// that merely starts with Latin ("5G基站数量") keeps it.
pub fn trim_name_specks(name: &str) -> Option<(String, &'static str)> {
    let t = name.trim();
    let keep = |c: char| crate::is_cjk(c) || matches!(c, '“' | '”' | '（' | '）' | '(' | ')' | '《' | '》');
    let chars: Vec<char> = t.chars().collect();
    let mut lead = chars.iter().take_while(|c| !keep(**c)).count();
    let mut trail = chars.iter().rev().take_while(|c| !keep(**c)).count();
    if lead + trail >= chars.len() {
        return None;
    }
    // a bracket or quote with no partner in the name is a speck too
    // ("…中心 >)", "”，上海市…")
    let pair = |c: char| match c {
        ')' => Some('('),
        '）' => Some('（'),
        '”' => Some('“'),
        '》' => Some('《'),
        '(' => Some(')'),
        '（' => Some('）'),
        '“' => Some('”'),
        '《' => Some('》'),
        _ => None,
    };
    loop {
        let body = &chars[lead..chars.len() - trail];
        let (&last, rest) = body.split_last()?;
        if matches!(last, ')' | '）' | '”' | '》') && pair(last).is_some_and(|o| !rest.contains(&o)) {
            trail += 1 + rest.iter().rev().take_while(|c| !keep(**c)).count();
            continue;
        }
        let (&first, rest) = body.split_first()?;
        if matches!(first, '(' | '（' | '“' | '《' | '”') && pair(first).is_some_and(|c| !rest.contains(&c)) {
            lead += 1 + rest.iter().take_while(|c| !keep(**c)).count();
            continue;
        }
        break;
    }
    if lead + trail >= chars.len() {
        return None;
    }
    let speck = |part: &[char]| {
        let solid: Vec<&char> = part.iter().filter(|c| !c.is_whitespace()).collect();
        match solid.len() {
            0 => true,
            1 => true,
            n => n <= 3 && part.iter().any(|c| c.is_whitespace()),
        }
    };
    let (head, body, tail) = (&chars[..lead], &chars[lead..chars.len() - trail], &chars[chars.len() - trail..]);
    // "5G基站": letters glued to the name are part of it
    // punctuation only ("”，", " >)"): specks however many
    let marks = |part: &[char]| part.len() <= 4 && part.iter().all(|c| !c.is_alphanumeric());
    let head_ok = head.is_empty() || marks(head) || (speck(head) && (head.len() == 1 || head.last().map(|c| c.is_whitespace()).unwrap_or(false)));
    let tail_ok = tail.is_empty() || marks(tail) || (speck(tail) && (tail.len() == 1 || tail.first().map(|c| c.is_whitespace()).unwrap_or(false)));
    let body: String = body.iter().collect();
    let cjk = body.chars().filter(|c| crate::is_cjk(*c)).count();
    if (head.is_empty() && tail.is_empty()) || !head_ok || !tail_ok || cjk < 3 {
        return None;
    }
    Some((body, "OCR specks at the ends of the name removed"))
}

#[cfg(test)]
mod damage_tests {
    use super::*;

    #[test]
    fn a_quote_and_a_stroke_after_a_name_are_a_speck_and_a_rule() {
        assert_eq!(strip_stroke_tail("设备巡检规范性“一"), Some("设备巡检规范性"));
        // a quote the name pairs, a stroke alone, a short name: kept
        assert_eq!(strip_stroke_tail("“回头看”一"), None);
        assert_eq!(strip_stroke_tail("设备巡检规范性一"), None);
        assert_eq!(strip_stroke_tail("规范“一"), None);
    }
    use govtab_model::{FormKind, IndicatorDraft};

    #[test]
    fn specks_at_the_ends_of_names_go() {
        let cut = |s: &str| trim_name_specks(s).map(|x| x.0);
        assert_eq!(cut("1用户满意度").as_deref(), Some("用户满意度"));
        assert_eq!(cut("检测报告数量1").as_deref(), Some("检测报告数量"));
        assert_eq!(cut("_ 技术治网专项行动支撑服务").as_deref(), Some("技术治网专项行动支撑服务"));
        assert_eq!(cut("培训次数 [p").as_deref(), Some("培训次数"));
        // brackets and quotes without a partner are specks; paired ones stay
        assert_eq!(cut("上海市网络与信息安全应急管理事务中心 >)").as_deref(), Some("上海市网络与信息安全应急管理事务中心"));
        assert_eq!(cut("”，上海市网络与信息安全应急管理事务中心").as_deref(), Some("上海市网络与信息安全应急管理事务中心"));
        assert_eq!(cut("闵行区科学技术委员会(汇总)"), None);
        assert_eq!(cut("rr 息化长效管理机制健全性").as_deref(), Some("息化长效管理机制健全性"));
        assert_eq!(cut("5G基站数量"), None);
        assert_eq!(cut("聚焦“未成年人网络保护”"), None);
        assert_eq!(cut("用户满意度"), None);
    }

    #[test]
    fn unpaired_quotes_go_paired_stay() {
        assert_eq!(drop_unpaired_quotes("“成本控制有效性"), "成本控制有效性");
        assert_eq!(drop_unpaired_quotes("及时，12”月底前完成"), "及时，12月底前完成");
        assert_eq!(drop_unpaired_quotes("聚焦“未成年人网络保护”“个人信息保护”等"), "聚焦“未成年人网络保护”“个人信息保护”等");
    }

    #[test]
    fn run_together_rows_and_noise_are_flagged() {
        let v = Vocabulary::builtin();
        let mut f = FormDraft { indicators: vec![
                IndicatorDraft { level3: Some("工作落实度项目质量可控性".into()), target: Some("到位可控".into()), ..Default::default() },
                IndicatorDraft { level3: Some("疫情专班的后勤保eed fi FA".into()), target: Some("充分".into()), ..Default::default() },
                IndicatorDraft { level3: Some("合作交流渠道".into()), target: Some("拓宽".into()), ..Default::default() },
            ], ..FormDraft::new(1, FormKind::SelfEvaluation) };
        flag_damage(&mut f, &v);
        assert!(f.flags.iter().any(|x| x.field == "indicators[0]"));
        assert_eq!(f.indicators[1].level3.as_deref(), Some("疫情专班的后勤保"));
        assert!(f.flags.iter().any(|x| x.field == "indicators[1].level3"));
        assert!(!f.flags.iter().any(|x| x.field.starts_with("indicators[2]")));
    }
}
