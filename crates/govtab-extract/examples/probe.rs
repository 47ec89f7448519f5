use pdf_extract::*;
use std::collections::BTreeMap;
struct P { m: BTreeMap<char, usize> }
impl OutputDev for P {
    fn begin_page(&mut self, _: u32, _: &MediaBox, _a: Option<(f64,f64,f64,f64)>) -> Result<(), OutputError> { Ok(()) }
    fn end_page(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn output_character(&mut self, _t: &Transform, _w: f64, _s: f64, _f: f64, c: &str) -> Result<(), OutputError> {
        for ch in c.chars() { let u = ch as u32; if (0x2E80..=0x2FDF).contains(&u) || (0xF900..=0xFAFF).contains(&u) || (0x31C0..=0x31EF).contains(&u) || (0xFF01..=0xFF5E).contains(&u) { *self.m.entry(ch).or_default() += 1; } }
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn end_word(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn end_line(&mut self) -> Result<(), OutputError> { Ok(()) }
}
fn main() {
    let mut p = P { m: BTreeMap::new() };
    for f in std::env::args().skip(1) {
        let doc = Document::load_mem(&std::fs::read(&f).unwrap()).unwrap();
        output_doc(&doc, &mut p).unwrap();
    }
    for (c, n) in &p.m { println!("{} U+{:04X} x{}", c, *c as u32, n); }
}
