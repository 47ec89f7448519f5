//! The PDF half of extract on real samples (samples/pdf/, page 1 of corpus
//! document 004 in each variant) and on broken inputs.

use std::path::{Path, PathBuf};

use govtab_extract::{extract_bytes, extract_path, ExtractError};
use govtab_model::{Document, Line, LineLayout, SourceKind};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/pdf").join(name)
}

fn cells(line: &Line) -> Vec<&str> {
    line.cells.iter().map(|c| c.text.as_str()).collect()
}

fn lines(doc: &Document) -> impl Iterator<Item = &Line> {
    doc.pages.iter().flat_map(|p| p.lines.iter())
}

/// The line holding `first` as a cell, as cell texts from there on.
fn row_from<'a>(doc: &'a Document, first: &str) -> Vec<&'a str> {
    for l in lines(doc) {
        let c = cells(l);
        if let Some(i) = c.iter().position(|t| *t == first) {
            return c[i..].to_vec();
        }
    }
    panic!("no line with a cell {first:?}");
}

fn pdf_error(path: &Path, bytes: &[u8]) -> String {
    match extract_bytes(path, bytes) {
        Err(ExtractError::Pdf(reason)) => reason,
        other => panic!("{}: expected ExtractError::Pdf, got {other:?}", path.display()),
    }
}

#[test]
fn digital_rows_are_whole_table_rows() {
    let doc = extract_path(&sample("004-p1--digital.pdf")).unwrap();
    assert_eq!(doc.source, SourceKind::Pdf);
    assert_eq!(doc.pages.len(), 1);
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
    // Indicator rows from the gold record: level 3, target, actual, weight,
    // score (and an empty 偏差 cell), one line each.
    assert_eq!(row_from(&doc, "完成信息化项目咨询评估工作"), ["完成信息化项目咨询评估工作", "=30个", "58", "10", "10", ""]);
    assert_eq!(row_from(&doc, "评估完成及时性"), ["评估完成及时性", "及时，12月底前完成", "已完成年度目标", "8", "8", ""]);
    // The header row, and a merged 一级 cell given once, in its top row.
    assert_eq!(
        row_from(&doc, "一级指标"),
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    );
    assert_eq!(row_from(&doc, "产出指标"), ["产出指标", "数量指标", "完成信息化项目咨询评估工作", "=30个", "58", "10", "10", ""]);
    assert_eq!(row_from(&doc, "咨询评估报告完整性")[..2], ["咨询评估报告完整性", "完整"]);
    let quality = lines(&doc).find(|l| cells(l).contains(&"咨询评估报告完整性")).unwrap();
    let c = cells(quality);
    let i = c.iter().position(|t| *t == "质量指标").unwrap();
    assert_eq!(c[i - 1], "", "the merged 产出指标 cell leaves an empty cell below its top row");
    // Header fields; the title repaired from Kangxi radicals (⽬ ⽀ ⾃).
    assert_eq!(row_from(&doc, "项目名称"), ["项目名称", "2022年度信息化项目咨询评估"]);
    assert_eq!(row_from(&doc, "主管部门"), ["主管部门", "闵行区科学技术委员会(汇总)", "实施单位", "上海市闵行区信息服务中心"]);
    assert!(lines(&doc).any(|l| l.joined() == "财政项目支出绩效自评表"));
    assert!(doc.repairs.iter().any(|r| r.reason.contains("Kangxi") && r.stage == "extract" && r.field == "*"), "{:?}", doc.repairs);
    assert!(lines(&doc).all(|l| !l.joined().chars().any(|c| ('\u{2E80}'..='\u{2FDF}').contains(&c))));
    // Positioned lines: top to bottom, cells left to right, geometry filled.
    for l in lines(&doc) {
        assert_eq!(l.layout, LineLayout::Positioned);
        assert!(l.y.is_some());
        for (i, c) in l.cells.iter().enumerate() {
            assert_eq!(c.col, i as u32);
            let b = c.bbox.expect("bbox");
            assert!(b.x0 < b.x1 && b.y0 < b.y1);
            assert!(c.text.is_empty() || c.font_size.is_some());
        }
        let xs: Vec<f32> = l.cells.iter().map(|c| c.bbox.unwrap().x0).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    }
    let ys: Vec<f32> = lines(&doc).map(|l| l.y.unwrap()).collect();
    assert!(ys.windows(2).all(|w| w[0] >= w[1]), "{ys:?}");
}

#[test]
fn scans_have_an_ocr_layer_cleaned_of_cjk_spaces() {
    for name in ["004-p1--scan-light.pdf", "004-p1--scan-heavy.pdf"] {
        let doc = extract_path(&sample(name)).unwrap();
        assert!(doc.pages[0].has_text, "{name}");
        assert!(doc.problems.is_empty(), "{name}: {:?}", doc.problems);
        assert!(lines(&doc).any(|l| l.joined() == "财政项目支出绩效自评表"), "{name}");
        let rep = doc.repairs.iter().find(|r| r.reason.contains("spaces between CJK")).expect("CJK space repair");
        let n: usize = rep.reason.split(' ').next().unwrap().parse().unwrap();
        assert!(n > 100, "{name}: {}", rep.reason);
        // Table rows come from the rules found in the page picture.
        assert!(lines(&doc).any(|l| l.cells.len() >= 8), "{name}: no 8-column table row");
    }
    // Light scan: rows as in the digital PDF, wrapped cells joined (the
    // OCR layer's own spacing inside "=30 个" stays: a digit and a CJK
    // character).
    let doc = extract_path(&sample("004-p1--scan-light.pdf")).unwrap();
    assert_eq!(row_from(&doc, "完成信息化项目咨询评估工作"), ["完成信息化项目咨询评估工作", "=30 个", "58", "10", "10", ""]);
    assert_eq!(row_from(&doc, "评估完成及时性"), ["评估完成及时性", "及时，12月底前完成", "已完成年度目标", "8", "8", ""]);
    assert_eq!(row_from(&doc, "总分"), ["总分", "100", "100", ""]);
    // Heavy scan: the header rows survive the noise (junk glyphs stay for
    // later stages to flag).
    let doc = extract_path(&sample("004-p1--scan-heavy.pdf")).unwrap();
    let row = row_from(&doc, "主管部门");
    assert_eq!(row[..3], ["主管部门", "闵行区科学技术委员会 (汇总)", "实施单位"]);
    assert!(row[3].starts_with("上海市闵行区信息服务中心"), "{row:?}");
}

#[test]
fn image_only_page_is_reported_not_silently_empty() {
    let doc = extract_path(&sample("004-p1--image-only.pdf")).unwrap();
    assert_eq!(doc.pages.len(), 1);
    assert!(!doc.pages[0].has_text && doc.pages[0].lines.is_empty());
    assert_eq!(doc.problems.len(), 1);
    assert_eq!(doc.problems[0].page, Some(1));
    assert_eq!(doc.problems[0].stage, "extract");
    assert_eq!(doc.problems[0].message, "no text layer (OCR needed)");
}

#[test]
fn truncated_pdf_is_an_error_with_a_reason() {
    let path = sample("004-p1--digital.pdf");
    let bytes = std::fs::read(&path).unwrap();
    let cut = &bytes[..bytes.len() * 6 / 10];
    let reason = pdf_error(Path::new("truncated.pdf"), cut);
    assert!(!reason.is_empty());
    // Cut anywhere: never a panic, always Ok or a PDF error.
    for frac in [1, 5, 20, 50, 90, 99] {
        let cut = &bytes[..bytes.len() * frac / 100];
        match extract_bytes(Path::new("cut.pdf"), cut) {
            Ok(_) | Err(ExtractError::Pdf(_)) => {}
            Err(e) => panic!("{frac}%: {e}"),
        }
    }
}

#[test]
fn non_pdf_named_pdf_is_an_error() {
    let reason = pdf_error(Path::new("report.pdf"), b"<html><body>not a pdf</body></html>");
    assert!(reason.contains("%PDF-"), "{reason}");
}

#[test]
fn encrypted_pdf_needs_a_password_unless_the_user_password_is_empty() {
    let path = sample("encrypted-user-password.pdf");
    let reason = pdf_error(&path, &std::fs::read(&path).unwrap());
    assert!(reason.contains("encrypted"), "{reason}");
    // Owner password only (printing/copying restrictions): opens as usual.
    let doc = extract_path(&sample("encrypted-owner-only.pdf")).unwrap();
    assert_eq!(doc.pages[0].lines[0].joined(), "Project budget 188.00");
}

/// On the heavily damaged scan, cells the OCR layer misread or lost are
/// read again from the page picture: each such reading is a text the
/// digital rendering of the same page prints.
#[test]
fn scan_cells_the_ocr_layer_misread_are_read_from_the_picture() {
    let digital = extract_path(&sample("004-p1--digital.pdf")).unwrap();
    let printed: std::collections::BTreeSet<String> = lines(&digital).flat_map(|l| l.cells.iter()).map(|c| c.text.split_whitespace().collect()).collect();
    let scan = extract_path(&sample("004-p1--scan-heavy.pdf")).unwrap();
    let read: Vec<(&str, &str)> = lines(&scan).flat_map(|l| l.cells.iter()).filter_map(|c| c.ocr_text.as_deref().map(|o| (o, c.text.as_str()))).collect();
    assert!(read.len() >= 5, "{read:?}");
    for (ocr, text) in &read {
        assert!(printed.contains(*text), "read {text:?} (OCR layer {ocr:?}), which the page does not print");
    }
    // a reading agrees with the layer or replaced it: never both
    for c in lines(&scan).flat_map(|l| l.cells.iter()).filter(|c| c.ocr_text.is_some()) {
        assert_eq!(c.pictured.as_deref(), Some(c.text.as_str()));
    }
    assert!(scan.repairs.iter().any(|r| r.reason.contains("page picture")), "{:?}", scan.repairs);
}
