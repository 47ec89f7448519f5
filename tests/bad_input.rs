//! A batch of bad inputs: the run finishes, every file is accounted for in
//! records.jsonl or errors.csv with a reason, nothing panics, exit status 3.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{code, govtab, read_csv, read_jsonl, stderr};

/// A tiny self-evaluation form, as a GBK-encoded dump would carry it.
const TINY_FORM: &str = "财政项目支出绩效自评表\n\
(2023年度)\n\
项目名称\t业务保障经费\n\
主管部门\t上海市某局\t实施单位\t上海市某中心\n\
项目资金（万元）\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分\n\
\t年度资金总额\t10.00\t10.00\t10.00\t10.00\t100.00\t10.00\n\
\t其中：当年财政拨款\t10.00\t10.00\t10.00\t-\t100.00\t-\n\
一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析\n\
产出指标\t数量指标\t检查次数\t≥12(次)\t12(次)\t45.00\t45.00\t\n\
效益指标\t社会效益指标\t服务保障情况\t好\t好\t45.00\t45.00\t\n\
\t\t\t\t\t100\t100\t\n";

fn write(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

type Rows = Vec<BTreeMap<String, String>>;

fn rows_for<'a>(errors: &'a Rows, doc: &str) -> Vec<&'a BTreeMap<String, String>> {
    errors.iter().filter(|r| r["doc"] == doc).collect()
}

#[test]
fn a_batch_of_bad_inputs_finishes_and_accounts_for_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let out = tmp.path().join("out");

    write(&inbox.join("empty.txt"), b"");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(std::iter::repeat_n(0u8, 64));
    write(&inbox.join("image.png"), &png);
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(TINY_FORM);
    assert!(!unmappable, "the tiny form is GBK-encodable");
    assert!(std::str::from_utf8(&gbk).is_err(), "the GBK bytes are not UTF-8");
    write(&inbox.join("gbk-form.txt"), &gbk);
    write(&inbox.join("sub/notes.txt"), "会议纪要\n今天讨论了下一年的工作安排。\n".as_bytes());
    write(&inbox.join("x.pdf"), b"this is not a PDF at all\n");
    write(&inbox.join(".hidden.txt"), b"hidden files are skipped");

    let run = govtab(["run".as_ref(), inbox.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    let err = stderr(&run);
    assert_eq!(code(&run), 3, "partial run exits 3; stderr:\n{err}");
    assert!(!err.contains("panicked"), "no panic output; stderr:\n{err}");

    let errors = read_csv(&out.join("errors.csv"));
    for row in &errors {
        assert!(!row["reason"].trim().is_empty(), "every error row has a reason: {row:?}");
        assert!(!row["path"].is_empty(), "every error row names its path: {row:?}");
        assert_ne!(row["stage"], "panic", "no stage panicked: {row:?}");
    }

    // Files rejected by extract: exactly one row each, with the reason.
    for (doc, needle) in [("empty.txt", "empty"), ("image.png", "binary"), ("x.pdf", "PDF")] {
        let rows = rows_for(&errors, doc);
        assert_eq!(rows.len(), 1, "{doc}: one error row, got {rows:?}");
        assert_eq!(rows[0]["stage"], "extract", "{doc}: {rows:?}");
        assert!(rows[0]["reason"].contains(needle), "{doc}: reason mentions {needle:?}: {rows:?}");
    }

    // Text without a form: read fine, then "no form found".
    let rows = rows_for(&errors, "notes.txt");
    assert!(rows.iter().all(|r| r["stage"] != "extract"), "notes.txt is readable text: {rows:?}");
    assert!(
        rows.iter().any(|r| r["stage"] == "realign" && r["reason"] == "no form found in document"),
        "notes.txt: no form found: {rows:?}"
    );

    // GBK is decoded, never rejected: the file is either converted or (while
    // the stages are incomplete) reported after extract.
    let records = read_jsonl(&out.join("records.jsonl"));
    let gbk_rows = rows_for(&errors, "gbk-form.txt");
    assert!(gbk_rows.iter().all(|r| r["stage"] != "extract"), "GBK text is decoded: {gbk_rows:?}");
    let gbk_records = records.iter().filter(|r| r["doc"] == "gbk-form.txt").count();
    assert!(gbk_records > 0 || !gbk_rows.is_empty(), "gbk-form.txt is accounted for");

    // Hidden files are not inputs.
    assert!(rows_for(&errors, ".hidden.txt").is_empty());
    assert!(records.iter().all(|r| r["doc"] != ".hidden.txt"));

    // Every one of the five inputs is accounted for, and the summary says so.
    for doc in ["empty.txt", "image.png", "gbk-form.txt", "notes.txt", "x.pdf"] {
        let converted = records.iter().any(|r| r["doc"] == doc);
        assert!(converted || !rows_for(&errors, doc).is_empty(), "{doc} is accounted for");
    }
    assert!(err.contains("5 documents"), "summary counts 5 documents; stderr:\n{err}");
    assert!(!err.contains("BUG"), "accounting holds; stderr:\n{err}");

    // The tables agree with the records.
    assert_eq!(read_csv(&out.join("projects.csv")).len(), records.len());
}

#[test]
fn a_missing_input_is_an_error_row_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let missing = tmp.path().join("no-such-file.txt");
    let run = govtab(["run".as_ref(), missing.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(code(&run), 3, "stderr:\n{}", stderr(&run));
    let errors = read_csv(&out.join("errors.csv"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["doc"], "no-such-file.txt");
    assert!(errors[0]["reason"].contains("cannot read"), "{errors:?}");
}

#[test]
fn a_clean_empty_batch_writes_headers_only() {
    // errors.csv is always written, header only when there is no error.
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let out = tmp.path().join("out");
    let run = govtab(["run".as_ref(), inbox.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(code(&run), 0, "stderr:\n{}", stderr(&run));
    assert_eq!(std::fs::read_to_string(out.join("errors.csv")).unwrap(), "doc,path,page,stage,reason\n");
    assert_eq!(std::fs::read_to_string(out.join("records.jsonl")).unwrap(), "");
}
