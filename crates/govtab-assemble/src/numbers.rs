//! Printed numbers → values.

use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Blank or a dash: no value printed.
    Empty,
    Clean(f64),
    /// A number read from damaged text, with what was done.
    Repaired(f64, String),
    Unreadable,
}

/// Parse a money / score / percent cell: thousands separators, `%`,
/// full-width digits, dashes (`-`, `_`, `—`) for "no value".
pub fn parse_number(raw: &str) -> Parsed {
    // "10 1973": the first number, noise after it
    let words: Vec<String> = raw.nfkc().collect::<String>().split_whitespace().map(str::to_string).collect();
    if words.len() > 1 {
        if let Parsed::Clean(v) = parse_number(&words[0]) {
            return Parsed::Repaired(v, format!("kept the first number of '{}'", raw.trim()));
        }
    }
    let t: String = raw.nfkc().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() || t.chars().all(|c| matches!(c, '-' | '_' | '—' | '–' | '/' | '一')) {
        return Parsed::Empty;
    }
    let plain = t.trim_end_matches('%').replace(',', "");
    if let Ok(v) = plain.parse::<f64>() {
        if plain.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Parsed::Clean(v);
        }
    }
    if let Some(d) = govtab_match::ocr_digits(raw) {
        if let Parsed::Clean(v) = parse_number(&d) {
            return Parsed::Repaired(v, format!("OCR letters or specks in '{}' read as digits", raw.trim()));
        }
    }
    // "30120a", "0——s", "+168.00": one clean number with a few specks of
    // non-digit junk beside it (more junk, or digits in it, is no number)
    if let Some((lead, core, tail)) = framed_number(&t) {
        if let Parsed::Clean(v) = parse_number(core) {
            return Parsed::Repaired(v, format!("junk '{lead}…{tail}' beside the number dropped"));
        }
    }
    Parsed::Unreadable
}

/// `t` as junk + number + junk, when the junk on each side is at most
/// [`MAX_JUNK`] characters and holds no digit.
fn framed_number(t: &str) -> Option<(&str, &str, &str)> {
    const MAX_JUNK: usize = 3;
    let start = t.find(|c: char| c.is_ascii_digit())?;
    let body = &t[start..];
    let len = body.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',' || c == '%')).unwrap_or(body.len());
    // a stop or comma after the number is a speck too ("168.00.")
    let len = body[..len].trim_end_matches(['.', ',']).len();
    let (lead, core, tail) = (&t[..start], &body[..len], &body[len..]);
    let junk_ok = |s: &str| s.chars().count() <= MAX_JUNK && !s.chars().any(|c| c.is_ascii_digit());
    (junk_ok(lead) && junk_ok(tail) && !(lead.is_empty() && tail.is_empty())).then_some((lead, core, tail))
}

/// `>=` → `≥`, `<=` → `≤` (full-width forms too).
pub fn normalize_comparators(s: &str) -> String {
    s.replace(">=", "≥").replace("<=", "≤").replace("＞＝", "≥").replace("＜＝", "≤").replace("≥=", "≥")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("2,632,000.00"), Parsed::Clean(2632000.0));
        assert_eq!(parse_number("100.00%"), Parsed::Clean(100.0));
        assert_eq!(parse_number("１００"), Parsed::Clean(100.0));
        assert_eq!(parse_number("_"), Parsed::Empty);
        assert_eq!(parse_number("—"), Parsed::Empty);
        assert!(matches!(parse_number("10 1973"), Parsed::Repaired(v, _) if v == 10.0));
        assert!(matches!(parse_number("1oo.oo"), Parsed::Repaired(v, _) if v == 100.0));
        assert_eq!(parse_number("oo.oo"), Parsed::Unreadable);
        assert!(matches!(parse_number("100.00]"), Parsed::Repaired(v, _) if v == 100.0));
        assert_eq!(parse_number("及时"), Parsed::Unreadable);
        assert_eq!(normalize_comparators(">=95%"), "≥95%");
        // junk beside one number
        assert!(matches!(parse_number("30120a"), Parsed::Repaired(v, _) if v == 30120.0));
        assert!(matches!(parse_number("37178180.26上"), Parsed::Repaired(v, _) if v == 37178180.26));
        assert!(matches!(parse_number("0——s"), Parsed::Repaired(v, _) if v == 0.0));
        assert!(matches!(parse_number("168.00."), Parsed::Repaired(v, _) if v == 168.0));
        // digits in the junk, or too much of it: no number
        assert_eq!(parse_number("1a2"), Parsed::Unreadable);
        assert_eq!(parse_number("12 万元以上"), Parsed::Repaired(12.0, "kept the first number of '12 万元以上'".into()));
        assert_eq!(parse_number("约为12万元以上"), Parsed::Unreadable);
    }
}
