//! End-to-end tests on small PDFs built here with lopdf: each exercises one
//! kind of text-layer damage or one failure mode, through `extract_bytes`.

use std::path::Path;

use lopdf::{dictionary, Document, Object, ObjectId, Stream};

use super::prepare;
use crate::{extract_bytes, ExtractError};

/// A PDF under construction: pages of raw content streams.
struct Pdf {
    doc: Document,
    pages_id: ObjectId,
    kids: Vec<Object>,
}

impl Pdf {
    fn new() -> Pdf {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        Pdf { doc, pages_id, kids: Vec::new() }
    }

    /// A Type0 font, Identity-H, with the given ToUnicode program.
    fn type0(&mut self, base: &str, to_unicode: &str) -> ObjectId {
        let desc = self.doc.add_object(dictionary! {
            "Type" => "FontDescriptor", "FontName" => base, "Flags" => 4,
            "FontBBox" => vec![0.into(), (-200).into(), 1000.into(), 800.into()],
            "ItalicAngle" => 0, "Ascent" => 800, "Descent" => -200, "CapHeight" => 700, "StemV" => 80,
        });
        let cid = self.doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => base,
            "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"), "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
            "FontDescriptor" => desc, "DW" => 1000,
        });
        let tu = self.doc.add_object(Stream::new(dictionary! {}, to_unicode.as_bytes().to_vec()));
        self.doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type0", "BaseFont" => base, "Encoding" => "Identity-H",
            "DescendantFonts" => vec![cid.into()], "ToUnicode" => tu,
        })
    }

    fn helvetica(&mut self) -> ObjectId {
        self.doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" })
    }

    /// A 1×1 grey image.
    fn image(&mut self) -> ObjectId {
        let dict = dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 1, "Height" => 1, "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 };
        self.doc.add_object(Stream::new(dict, vec![0x80]))
    }

    fn page(&mut self, content: &str, fonts: &[(&str, ObjectId)], images: &[(&str, ObjectId)]) {
        let mut font_dict = lopdf::Dictionary::new();
        for (name, id) in fonts {
            font_dict.set(*name, Object::Reference(*id));
        }
        let mut xobjects = lopdf::Dictionary::new();
        for (name, id) in images {
            xobjects.set(*name, Object::Reference(*id));
        }
        let contents = self.doc.add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
        let page = self.doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => self.pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! { "Font" => font_dict, "XObject" => xobjects },
            "Contents" => contents,
        });
        self.kids.push(page.into());
    }

    fn bytes(mut self) -> Vec<u8> {
        let count = self.kids.len() as i64;
        self.doc.objects.insert(self.pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => self.kids, "Count" => count }));
        let catalog = self.doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => self.pages_id });
        self.doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        self.doc.save_to(&mut out).unwrap();
        out
    }
}

/// A ToUnicode program mapping 2-byte codes to strings.
fn to_unicode(pairs: &[(u16, &str)]) -> String {
    let mut s = String::from("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /Test def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    s.push_str(&format!("{} beginbfchar\n", pairs.len()));
    for (code, text) in pairs {
        let hex: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
        s.push_str(&format!("<{code:04X}> <{hex}>\n"));
    }
    s.push_str("endbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s
}

/// Tesseract's GlyphLessFont ToUnicode: every code maps to itself.
const IDENTITY_TO_UNICODE: &str = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /Adobe-Identify-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n1 beginbfrange\n<0000> <FFFF> <0000>\nendbfrange\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";

/// Hex of a string as 2-byte identity codes.
fn codes(s: &str) -> String {
    s.encode_utf16().map(|u| format!("{u:04X}")).collect()
}

fn texts(doc: &govtab_model::Document) -> Vec<String> {
    doc.pages.iter().flat_map(|p| p.lines.iter().map(|l| l.joined())).collect()
}

#[test]
fn kangxi_radicals_from_a_broken_tounicode_are_mapped_and_logged() {
    let mut pdf = Pdf::new();
    // What WPS/Word exports do: 目 支 自 门 shown with codes whose ToUnicode
    // says ⽬ ⽀ ⾃ ⻔.
    let f = pdf.type0("BAAAAA+SimSun", &to_unicode(&[(1, "项"), (2, "⽬"), (3, "⽀"), (4, "出"), (5, "⾃"), (6, "评"), (7, "部"), (8, "⻔")]));
    pdf.page("BT /F1 12 Tf 1 0 0 1 72 700 Tm <00010002000300040005> Tj 1 0 0 1 300 700 Tm <00070008> Tj ET", &[("F1", f)], &[]);
    let doc = extract_bytes(Path::new("kangxi.pdf"), &pdf.bytes()).unwrap();
    assert_eq!(texts(&doc), ["项目支出自\t部门"]);
    let rep = doc.repairs.iter().find(|r| r.reason.contains("Kangxi")).expect("radical repair logged");
    assert!(rep.reason.starts_with("4 "), "{}", rep.reason);
    assert_eq!((rep.field.as_str(), rep.stage.as_str()), ("*", "extract"));
    let line = &doc.pages[0].lines[0];
    assert_eq!(line.layout, govtab_model::LineLayout::Positioned);
    assert!(line.y.is_some() && line.cells.iter().all(|c| c.bbox.is_some() && c.font_size == Some(12.0)));
    assert_eq!(line.cells.iter().map(|c| c.col).collect::<Vec<_>>(), [0, 1]);
}

#[test]
fn fullwidth_digits_fold_cjk_punctuation_stays() {
    let mut pdf = Pdf::new();
    let f = pdf.type0("SimSun", &to_unicode(&[(1, "１"), (2, "０"), (3, "．"), (4, "％"), (5, "（"), (6, "万"), (7, "元"), (8, "）"), (9, "：")]));
    pdf.page("BT /F1 12 Tf 1 0 0 1 72 700 Tm <000100020002000300020002000400090001> Tj 1 0 0 1 400 700 Tm <0005000600070008> Tj ET", &[("F1", f)], &[]);
    let doc = extract_bytes(Path::new("fw.pdf"), &pdf.bytes()).unwrap();
    assert_eq!(texts(&doc), ["100.00%：1\t（万元）"]);
    assert!(doc.repairs.iter().any(|r| r.reason.starts_with("8 full-width")), "{:?}", doc.repairs);
}

/// A tesseract-style OCR page: a scan image and invisible GlyphLessFont
/// words, each with a trailing space.
fn ocr_page(pdf: &mut Pdf, invisible: bool) {
    let f = pdf.type0("GlyphLessFont", IDENTITY_TO_UNICODE);
    let im = pdf.image();
    let mode = if invisible { 3 } else { 0 };
    let mut content = format!("q 595 0 0 842 0 0 cm /Im0 Do Q BT {mode} Tr /F1 12 Tf ");
    for (x, word) in [(72, "一 "), (87, "级 "), (102, "指标 "), (200, "２０２３ "), (260, "年度")] {
        content.push_str(&format!("1 0 0 1 {x} 700 Tm <{}> Tj ", codes(word)));
    }
    content.push_str("ET");
    pdf.page(&content, &[("F1", f)], &[("Im0", im)]);
}

#[test]
fn ocr_layer_spaces_between_cjk_are_removed_and_the_cmap_is_cut() {
    let mut pdf = Pdf::new();
    ocr_page(&mut pdf, true);
    let bytes = pdf.bytes();
    let doc = extract_bytes(Path::new("ocr.pdf"), &bytes).unwrap();
    assert_eq!(texts(&doc), ["一级指标\t2023 年度"]);
    assert!(doc.pages[0].has_text);
    assert!(doc.repairs.iter().any(|r| r.reason.starts_with("2 spaces between CJK")), "{:?}", doc.repairs);
    // The survey saw the OCR layer and the image; the 65,536-entry
    // identity map was cut to the codes shown.
    let prepared = prepare::prepare(prepare::load(&bytes).unwrap());
    let info = &prepared.pages[0];
    assert!(info.is_ocr() && info.images == 1 && info.text_ops == 5);
    assert_eq!((prepared.stats.fonts_shrunk, prepared.stats.images_dropped), (1, 1));
}

#[test]
fn visible_text_keeps_its_spaces() {
    let mut pdf = Pdf::new();
    let f = pdf.type0("SimSun", IDENTITY_TO_UNICODE);
    pdf.page(&format!("BT /F1 12 Tf 1 0 0 1 72 700 Tm <{}> Tj ET", codes("通报 依照")), &[("F1", f)], &[]);
    let doc = extract_bytes(Path::new("space.pdf"), &pdf.bytes()).unwrap();
    assert_eq!(texts(&doc), ["通报 依照"]);
    assert!(doc.repairs.is_empty());
}

#[test]
fn image_only_pages_are_listed_one_problem_each() {
    let mut pdf = Pdf::new();
    for _ in 0..2 {
        let im = pdf.image();
        pdf.page("q 595 0 0 842 0 0 cm /Im0 Do Q", &[], &[("Im0", im)]);
    }
    let doc = extract_bytes(Path::new("scan.pdf"), &pdf.bytes()).unwrap();
    assert_eq!(doc.pages.len(), 2);
    assert!(doc.pages.iter().all(|p| !p.has_text && p.lines.is_empty()));
    let pages: Vec<Option<u32>> = doc.problems.iter().map(|p| p.page).collect();
    assert_eq!(pages, [Some(1), Some(2)]);
    assert!(doc.problems.iter().all(|p| p.stage == "extract" && p.message == "no text layer (OCR needed)"));
}

#[test]
fn page_headers_and_footers_are_dropped() {
    let mut pdf = Pdf::new();
    let f = pdf.type0("SimSun", IDENTITY_TO_UNICODE);
    let content = format!(
        "BT /F1 12 Tf 1 0 0 1 72 700 Tm <{}> Tj 1 0 0 1 250 40 Tm <{}> Tj 1 0 0 1 480 810 Tm <{}> Tj 1 0 0 1 72 400 Tm <{}> Tj ET",
        codes("项目名称"),
        codes("— 第 1 页 —"),
        codes("第1页 共3页"),
        codes("12")
    );
    pdf.page(&content, &[("F1", f)], &[]);
    let doc = extract_bytes(Path::new("footer.pdf"), &pdf.bytes()).unwrap();
    // "12" in the middle of the page is content, not a page number.
    assert_eq!(texts(&doc), ["项目名称", "12"]);
    assert!(doc.repairs.iter().any(|r| r.reason.starts_with("2 page header/footer")), "{:?}", doc.repairs);
}

#[test]
fn a_parser_panic_costs_the_document_not_the_process() {
    let mut pdf = Pdf::new();
    let f = pdf.helvetica();
    // pdf-extract panics on a Tj whose operand is not a string.
    pdf.page("BT /F1 12 Tf 72 700 Td (ok) Tj 5 Tj ET", &[("F1", f)], &[]);
    match extract_bytes(Path::new("bad.pdf"), &pdf.bytes()) {
        Err(ExtractError::Pdf(reason)) => assert!(reason.starts_with("parser panic"), "{reason}"),
        other => panic!("expected a PDF error, got {other:?}"),
    }
    // The next document on the same thread is read as usual.
    let mut pdf = Pdf::new();
    let f = pdf.helvetica();
    pdf.page("BT /F1 12 Tf 72 700 Td (Budget 188.00) Tj ET", &[("F1", f)], &[]);
    let doc = extract_bytes(Path::new("ok.pdf"), &pdf.bytes()).unwrap();
    assert_eq!(texts(&doc), ["Budget 188.00"]);
}
