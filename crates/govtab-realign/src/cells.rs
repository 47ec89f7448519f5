//! Typing a cell: what kind of content it holds, whatever column it is in.

use govtab_match::{is_cjk, normalize, CatMatch, Matcher};

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A 一级/二级 category name.
    Cat(CatMatch),
    /// A piece of the vertical 绩效指标 label.
    Block,
    /// A plain number (weights, scores, totals).
    Num(f64),
    /// An indicator value: comparator + number, number + unit, percent,
    /// or a qualitative word.
    Value,
    /// Text (names, long values, deviations).
    Text,
    /// OCR noise: no ideograph and not a number or value.
    Junk,
}

/// Parse a plain number: digits with optional thousands separators and decimals.
pub fn parse_plain_number(s: &str) -> Option<f64> {
    let t = normalize(s);
    let t = t.replace(',', "");
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.') || t.starts_with('.') {
        return None;
    }
    t.parse().ok()
}

const COMPARATORS: [&str; 10] = [">=", "<=", "≥", "≤", "=", ">", "<", "大于", "小于", "不低于"];

pub fn starts_with_comparator(s: &str) -> bool {
    let t = normalize(s);
    COMPARATORS.iter().any(|c| t.starts_with(c))
}

/// Type a cell given the form family (for category names).
pub fn kind_of(text: &str, m: &Matcher, family: &str) -> Kind {
    let t = normalize(text);
    if t.is_empty() {
        return Kind::Junk;
    }
    if let Some(n) = parse_plain_number(&t) {
        return Kind::Num(n);
    }
    // a number OCR spelled with letters ("ioo.oo") is still a number
    if let Some(n) = govtab_match::ocr_digits(&t).and_then(|d| parse_plain_number(&d)) {
        return Kind::Num(n);
    }
    if m.is_block_label(&t) {
        return Kind::Block;
    }
    if let Some(c) = m.category(&t, family) {
        return Kind::Cat(c);
    }
    let has_cjk = t.chars().any(is_cjk);
    // a comparator OCR misread ("之90%", "-100%") before the number
    let misread_comparator = {
        let mut cs = t.chars();
        let first = cs.next();
        let next = cs.find(|c| !c.is_whitespace());
        first.map(|c| m.vocab.comparator_misreads.iter().any(|[_, mis]| mis.contains(c))).unwrap_or(false) && next.map(|c| c.is_ascii_digit()).unwrap_or(false)
    };
    if starts_with_comparator(&t) || misread_comparator || t.starts_with(|c: char| c.is_ascii_digit()) || m.is_qualitative(&t) {
        return Kind::Value;
    }
    if !has_cjk {
        return Kind::Junk;
    }
    Kind::Text
}

#[cfg(test)]
mod tests {
    use super::*;
    use govtab_model::Vocabulary;

    #[test]
    fn kinds() {
        let v = Vocabulary::builtin();
        let m = Matcher::new(&v);
        assert_eq!(kind_of("15", &m, "standard"), Kind::Num(15.0));
        assert_eq!(kind_of("2,632,000.00", &m, "standard"), Kind::Num(2632000.0));
        assert_eq!(kind_of(">=4次", &m, "standard"), Kind::Value);
        assert_eq!(kind_of("≥95.00(%)", &m, "standard"), Kind::Value);
        assert_eq!(kind_of("及时", &m, "standard"), Kind::Value);
        assert_eq!(kind_of("-100%", &m, "standard"), Kind::Value);
        assert_eq!(kind_of("之 90%", &m, "standard"), Kind::Value);
        assert_eq!(kind_of("≿h ≥≤+1 5+=", &m, "standard"), Kind::Junk);
        assert_eq!(kind_of("效指标", &m, "standard"), Kind::Block);
        assert_eq!(kind_of("项目采购完成率", &m, "standard"), Kind::Text);
        assert!(matches!(kind_of("产出指标", &m, "standard"), Kind::Cat(_)));
    }
}
