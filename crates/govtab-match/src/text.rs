//! Text normalisation shared by every stage that compares names.

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Is `c` a CJK ideograph (or a CJK-range character such as a radical)?
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF | 0x2E80..=0x2FDF)
}

/// Normalise for comparison: NFKC, no whitespace.
pub fn normalize(s: &str) -> String {
    nfkc_without_spaces(s)
}

/// NFKC without whitespace. Text already in NFKC is its own NFKC and skips
/// the normaliser: text of ASCII and CJK unified ideographs only (none of
/// them decomposes, and none combines with another), found at once, or
/// text Unicode's quick check finds in NFKC.
fn nfkc_without_spaces(s: &str) -> String {
    let plain = |c: char| c.is_ascii() || matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF);
    if s.chars().all(plain) || is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        return s.chars().filter(|c| !c.is_whitespace()).collect();
    }
    s.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Remove whitespace between two CJK characters (OCR layers and wrapped cells
/// put spaces inside words: "办公 室" → "办公室"); other spaces kept, runs
/// collapsed to one, ends trimmed.
pub fn squeeze_cjk_spaces(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let prev = out.chars().last();
            let next = chars.get(j).copied();
            let joinable = |c: Option<char>| c.map(|c| is_cjk(c) || is_cjk_punct(c)).unwrap_or(true);
            if !(joinable(prev) && joinable(next)) {
                out.push(' ');
            }
            i = j;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn is_cjk_punct(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0x2018..=0x201F)
}

/// A number OCR spelled with look-alike letters or framed by specks
/// ("1oo.oo", "100.00]", "1O"): the digits it stands for, when nothing else
/// is in the way. Needs at least one real digit: "oo.oo" may have lost one.
pub fn ocr_digits(s: &str) -> Option<String> {
    let t = nfkc_without_spaces(s);
    let t = t.trim_matches(|c: char| matches!(c, '[' | ']' | '|' | '(' | ')' | ':' | ';' | '\'' | '"' | '”' | '“' | '’' | '‘' | '`'));
    if t.is_empty() || !t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let mapped: String = t
        .chars()
        .map(|c| match c {
            'o' | 'O' => '0',
            'i' | 'l' | 'I' => '1',
            'S' => '5',
            'B' => '8',
            c => c,
        })
        .collect();
    let plain = mapped.trim_end_matches('%').replace(',', "");
    (plain.chars().all(|c| c.is_ascii_digit() || c == '.') && plain.chars().filter(|c| *c == '.').count() <= 1 && plain.parse::<f64>().is_ok() && !plain.starts_with('.'))
        .then_some(mapped)
}

/// Similarity in 0..1: 1 − Levenshtein / max length, over characters.
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_is_nfkc_without_whitespace() {
        for s in ["项目 名称", "ＡＢＣ１２３", "⼈民 ⾦额", "①２％", "北京市\u{3000}朝阳区", "e\u{301}", "ﬁ", "Ⅻ年", "（万元）", "abc def", "", "\u{F900}\u{2F800}", "ｶﾞ"] {
            let plain: String = s.nfkc().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(normalize(s), plain, "{s:?}");
        }
        // Every ASCII character and CJK unified ideograph, and runs of them.
        let plain: Vec<char> = (0u32..0x80).chain(0x3400..=0x4DBF).chain(0x4E00..=0x9FFF).filter_map(char::from_u32).collect();
        for c in &plain {
            assert_eq!(normalize(&c.to_string()), c.to_string().nfkc().filter(|c| !c.is_whitespace()).collect::<String>(), "{c:?}");
        }
        let mut seed = 7u32;
        for _ in 0..2000 {
            let s: String = (0..5)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    plain[(seed >> 8) as usize % plain.len()]
                })
                .collect();
            assert_eq!(normalize(&s), s.nfkc().filter(|c| !c.is_whitespace()).collect::<String>(), "{s:?}");
        }
    }

    #[test]
    fn ocr_spelled_numbers() {
        assert_eq!(ocr_digits("1oo.oo").as_deref(), Some("100.00"));
        assert_eq!(ocr_digits("oo.oo"), None);
        assert_eq!(ocr_digits("100.00]").as_deref(), Some("100.00"));
        assert_eq!(ocr_digits("1O").as_deref(), Some("10"));
        assert_eq!(ocr_digits("oo"), None);
        assert_eq!(ocr_digits("Bob"), None);
        assert_eq!(ocr_digits("及时"), None);
    }

    #[test]
    fn squeezes_only_between_cjk() {
        assert_eq!(squeeze_cjk_spaces("上海市松江区人民 政府办公室"), "上海市松江区人民政府办公室");
        assert_eq!(squeeze_cjk_spaces("(一) 网络安全"), "(一) 网络安全");
        assert_eq!(squeeze_cjk_spaces("接待人数少 , 以后 要加强"), "接待人数少 , 以后要加强");
    }
}
