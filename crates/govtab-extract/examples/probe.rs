use pdf_extract::*;
struct P { n: usize, paths: usize }
impl OutputDev for P {
    fn begin_page(&mut self, page_num: u32, mb: &MediaBox, _a: Option<(f64,f64,f64,f64)>) -> Result<(), OutputError> { println!("== page {page_num} {:?}", mb); Ok(()) }
    fn end_page(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn output_character(&mut self, trm: &Transform, width: f64, spacing: f64, fs: f64, c: &str) -> Result<(), OutputError> {
        self.n += 1;
        if self.n < 400 { println!("ch {:?} x={:.1} y={:.1} m11={:.2} m22={:.2} w={:.3} sp={:.2} fs={:.2}", c, trm.m31, trm.m32, trm.m11, trm.m22, width, spacing, fs); }
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn end_word(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn end_line(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn stroke(&mut self, ctm: &Transform, _cs: &ColorSpace, col: &[f64], path: &Path) -> Result<(), OutputError> { self.paths += 1; if self.paths < 60 { println!("stroke ctm={:?} col={:?} {:?}", ctm, col, path.ops); } Ok(()) }
    fn fill(&mut self, ctm: &Transform, _cs: &ColorSpace, col: &[f64], path: &Path) -> Result<(), OutputError> { self.paths += 1; if self.paths < 60 { println!("fill ctm={:?} col={:?} {:?}", ctm, col, path.ops); } Ok(()) }
}
fn main() {
    let f = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(&f).unwrap();
    let t = std::time::Instant::now();
    let doc = Document::load_mem(&bytes).unwrap();
    println!("loaded in {:?}, encrypted {}", t.elapsed(), doc.is_encrypted());
    let mut p = P { n: 0, paths: 0 };
    let t = std::time::Instant::now();
    output_doc(&doc, &mut p).unwrap();
    println!("chars {} paths {} in {:?}", p.n, p.paths, t.elapsed());
}
