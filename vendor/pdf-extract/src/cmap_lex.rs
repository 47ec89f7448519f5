//! govtab patch: a fast path for `adobe_cmap_parser::get_unicode_map`.
//!
//! adobe-cmap-parser lexes a CMap with pom parser combinators, which cost
//! about a sixth of a digital page's time (a Chrome/Skia export builds a
//! hundred Type3 fonts, a ToUnicode CMap each). [`get_unicode_map`] lexes
//! the common, plain CMaps in one pass into the very values
//! `adobe_cmap_parser::parse` returns, and reads them with a verbatim copy
//! of adobe-cmap-parser 0.4.1's `get_unicode_map`; any CMap outside the
//! plain subset below goes to adobe-cmap-parser itself, so every result
//! (and every panic or error) is the one stock pdf-extract gets.
//!
//! The subset, as adobe-cmap-parser's grammar (pom 1.1) reads it: values
//! separated by spaces, tabs, CR and LF only; integers of at most 18 digits
//! (no '.'); operators (runs of a-z, A-Z, `*`, `'`, `"`) other than those
//! starting with `true` or `false`; names without `#`; literal strings
//! without `\` or nested parentheses; hex strings of whole bytes;
//! arrays and dictionaries (UTF-8 keys) of these. No comments. The whole
//! input must lex (pom stops silently at the first thing it cannot read).

use std::collections::HashMap;

use adobe_cmap_parser::Value;

/// `adobe_cmap_parser::get_unicode_map(input)`, faster on plain CMaps.
pub fn get_unicode_map(input: &[u8]) -> Result<HashMap<u32, Vec<u8>>, &'static str> {
    match lex(input) {
        Some(lexed) => unicode_map(&lexed),
        None => adobe_cmap_parser::get_unicode_map(input),
    }
}

/// What `adobe_cmap_parser::parse(input)` returns, when `input` is in the
/// plain subset (see the module doc); else None.
pub fn lex(input: &[u8]) -> Option<Vec<Value>> {
    let mut lx = Lexer { s: input, i: 0 };
    let mut out = Vec::new();
    lx.multispace();
    while lx.i < lx.s.len() {
        out.push(lx.value()?);
    }
    // pom's file() needs at least one value.
    (!out.is_empty()).then_some(out)
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_multispace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// pom's `space()` of adobe-cmap-parser (inside arrays, dictionaries and hex
/// strings): also NUL and form feed.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0C')
}

fn is_operator_char(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, b'*' | b'\'' | b'"')
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn multispace(&mut self) {
        while self.peek().is_some_and(is_multispace) {
            self.i += 1;
        }
    }

    fn space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.i += 1;
        }
    }

    /// One value and the spaces after it (pom's `value()`).
    fn value(&mut self) -> Option<Value> {
        let v = match self.peek()? {
            b'0'..=b'9' | b'+' | b'-' => self.integer()?,
            b'/' => Value::Name(self.name()?),
            b'(' => self.literal_string()?,
            b'<' if self.s.get(self.i + 1) == Some(&b'<') => self.dictionary()?,
            b'<' => self.hex_string()?,
            b'[' => self.array()?,
            b if is_operator_char(b) => self.operator()?,
            _ => return None,
        };
        self.multispace();
        Some(v)
    }

    fn integer(&mut self) -> Option<Value> {
        let start = self.i;
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.i += 1;
        }
        let digits = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        let n = self.i - digits;
        // A '.' makes pom read a number in two pieces; long ones overflow.
        if n == 0 || n > 18 || self.peek() == Some(b'.') {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.i]).ok()?.parse::<i64>().ok().map(Value::Integer)
    }

    fn name(&mut self) -> Option<Vec<u8>> {
        self.i += 1; // '/'
        let start = self.i;
        while self.peek().is_some_and(|b| !b" \t\n\r\x0C()<>[]{}/%#".contains(&b)) {
            self.i += 1;
        }
        if self.peek() == Some(b'#') {
            return None;
        }
        Some(self.s[start..self.i].to_vec())
    }

    fn operator(&mut self) -> Option<Value> {
        let start = self.i;
        while self.peek().is_some_and(is_operator_char) {
            self.i += 1;
        }
        let word = &self.s[start..self.i];
        // pom reads `true`/`false` first, even as the start of a word.
        if word.starts_with(b"true") || word.starts_with(b"false") {
            return None;
        }
        Some(Value::Operator(String::from_utf8(word.to_vec()).ok()?))
    }

    fn literal_string(&mut self) -> Option<Value> {
        self.i += 1; // '('
        let start = self.i;
        while self.peek().is_some_and(|b| !b"\\()".contains(&b)) {
            self.i += 1;
        }
        if self.peek() != Some(b')') {
            return None;
        }
        let v = self.s[start..self.i].to_vec();
        self.i += 1;
        Some(Value::LiteralString(v))
    }

    fn hex_string(&mut self) -> Option<Value> {
        self.i += 1; // '<'
        let mut out = Vec::new();
        loop {
            self.space();
            match self.peek()? {
                b'>' => {
                    self.i += 1;
                    return Some(Value::LiteralString(out));
                }
                b => {
                    // Two hex digits in a row, or pom fails.
                    let hi = hex(b)?;
                    let lo = hex(*self.s.get(self.i + 1)?)?;
                    out.push(hi << 4 | lo);
                    self.i += 2;
                }
            }
        }
    }

    fn array(&mut self) -> Option<Value> {
        self.i += 1; // '['
        self.space();
        let mut out = Vec::new();
        while self.peek()? != b']' {
            out.push(self.value()?);
        }
        self.i += 1;
        Some(Value::Array(out))
    }

    fn dictionary(&mut self) -> Option<Value> {
        self.i += 2; // "<<"
        self.space();
        let mut out = HashMap::new();
        loop {
            match self.peek()? {
                b'>' if self.s.get(self.i + 1) == Some(&b'>') => {
                    self.i += 2;
                    return Some(Value::Dictionary(out));
                }
                b'/' => {
                    let key = String::from_utf8(self.name()?).ok()?;
                    self.space();
                    let value = self.value()?;
                    out.insert(key, value);
                }
                _ => return None,
            }
        }
    }
}

fn as_code(str: &[u8]) -> u32 {
    let mut code: u32 = 0;
    for c in str {
        code = (code << 8) | (*c as u32);
    }
    code
}

/// adobe-cmap-parser 0.4.1's `get_unicode_map` after its `parse`, verbatim
/// (formatting aside).
fn unicode_map(lexed: &[Value]) -> Result<HashMap<u32, Vec<u8>>, &'static str> {
    let mut i = 0;
    let mut map = HashMap::new();
    while i < lexed.len() {
        match lexed[i] {
            Value::Operator(ref o) => {
                match o.as_ref() {
                    "beginbfchar" => {
                        let count = if let &Value::Integer(ref c) = &lexed[i - 1] { Ok(*c) } else { Err("beginbfchar exected int") }?;
                        i += 1;
                        for _ in 0..count {
                            let char_code = if let &Value::LiteralString(ref s) = &lexed[i] { Ok(s) } else { Err("beginbfchar exected hexstring") }?;
                            let uni_code = if let &Value::LiteralString(ref s) = &lexed[i + 1] { Ok(s) } else { Err("beginbfchar exected hexstring") }?;
                            map.insert(as_code(char_code), uni_code.clone());
                            i += 2;
                        }
                        i += 1;
                    }
                    "beginbfrange" => {
                        let count = if let &Value::Integer(ref c) = &lexed[i - 1] { Ok(*c) } else { Err("beginbfrange exected int") }?;
                        i += 1;
                        for _ in 0..count {
                            let lower_code = if let &Value::LiteralString(ref s) = &lexed[i] { Ok(as_code(s)) } else { Err("beginbfrange exected hexstring") }?;
                            let upper_code = if let &Value::LiteralString(ref s) = &lexed[i + 1] { Ok(as_code(s)) } else { Err("beginbfrange exected hexstring") }?;
                            match &lexed[i + 2] {
                                &Value::LiteralString(ref start) => match start.len() {
                                    4 => {
                                        let val = as_code(start);
                                        for c in lower_code..=upper_code {
                                            let code = val + (c - lower_code);
                                            map.insert(c, code.to_be_bytes().to_vec());
                                        }
                                    }
                                    2 => {
                                        let val: u16 = as_code(start) as u16;
                                        for c in lower_code..=upper_code {
                                            let code = val + (c - lower_code) as u16;
                                            map.insert(c, code.to_be_bytes().to_vec());
                                        }
                                    }
                                    _ => {
                                        panic!("bad length of hexstring");
                                    }
                                },
                                &Value::Array(ref codes) => {
                                    let mut i = 0;
                                    if (upper_code - lower_code + 1) as usize != codes.len() {
                                        return Err("bad length of array");
                                    }
                                    for c in lower_code..=upper_code {
                                        map.insert(c, if let &Value::LiteralString(ref s) = &codes[i] { Ok(s.clone()) } else { Err("beginbfrange exected hexstring") }?);
                                        i += 1;
                                    }
                                }
                                _ => return Err("beginbfrange exected array or literal"),
                            }
                            i += 3;
                        }
                        i += 1;
                    }
                    _ => {
                        i += 1;
                    }
                }
            }
            _ => {
                i += 1;
            }
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Are two lexed values the same (dictionaries compared as maps).
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::LiteralString(x), Value::LiteralString(y)) | (Value::Name(x), Value::Name(y)) => x == y,
            (Value::Number(x), Value::Number(y)) | (Value::Operator(x), Value::Operator(y)) => x == y,
            (Value::Integer(x), Value::Integer(y)) => x == y,
            (Value::Boolean(x), Value::Boolean(y)) => x == y,
            (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
            (Value::Dictionary(x), Value::Dictionary(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
            _ => false,
        }
    }

    const PLAIN: &[u8] = b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n<< /Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n2 beginbfchar\n<0003> <0020>\n<0010><4E00>\nendbfchar\n2 beginbfrange\n<0020> <0022> <0041>\n<0030> <0031> [<D83DDE00> < 00 62 >]\nendbfrange\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";

    #[test]
    fn plain_cmaps_lex_as_adobe_cmap_parser_does() {
        let cases: &[&[u8]] = &[PLAIN, b"  1 beginbfchar <01> <0041> endbfchar", b"2dict*begin'x\"y [ \0 1 -2 +3 ] << \x0C/A[1]/B<<>>/C()>>", b"/a\0b /"];
        for &input in cases {
            let fast = lex(input).expect("plain");
            let slow = adobe_cmap_parser::parse(input).unwrap();
            assert!(fast.len() == slow.len() && fast.iter().zip(&slow).all(|(a, b)| same(a, b)), "{:?}\n{fast:?}\n{slow:?}", String::from_utf8_lossy(input));
            assert_eq!(get_unicode_map(input), adobe_cmap_parser::get_unicode_map(input));
        }
        let map = get_unicode_map(PLAIN).unwrap();
        assert_eq!(map.len(), 7);
        assert_eq!(map[&0x31], vec![0, 0x62]);
    }

    #[test]
    fn other_cmaps_are_left_to_adobe_cmap_parser() {
        // pom reads these differently from a plain lexer (or stops early).
        let cases: &[&[u8]] = &[
            b"",
            b"   ",
            b"%!PS comment\n1 beginbfchar <01> <0041> endbfchar",
            b"1.5 begin",
            b"true false",
            b"truex",
            b"/A#20B",
            b"(a\\)b)",
            b"(a(b)c)",
            b"<123>",
            b"1 begin \0 2",
            b"[1 \0]",
            b"<< /A >>",
            b"12345678901234567890 x",
            b"- 1",
            b"{ }",
        ];
        for &input in cases {
            assert!(lex(input).is_none(), "{:?}", String::from_utf8_lossy(input));
        }
    }
}
