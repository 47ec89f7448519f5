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
    Parsed::Unreadable
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
    }
}
