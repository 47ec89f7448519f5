//! The command line: `stage` round-trips to what `run` writes, artifacts,
//! exit codes, `explain`, help and version.

mod common;

use std::path::Path;

use common::{code, csv_header, govtab, read_jsonl, samples, seeds, stderr, stdout};
use serde_json::Value;

const STAGES: [(&str, &str); 4] =
    [("extract", "1-extract.json"), ("realign", "2-realign.json"), ("match", "3-match.json"), ("assemble", "4-assemble.json")];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn stage_by_stage_equals_run() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in seeds() {
        let name = seed.file_name().unwrap().to_string_lossy().into_owned();
        let out = tmp.path().join(format!("run-{name}"));
        let run = govtab(["run".as_ref(), seed.as_os_str(), "--out".as_ref(), out.as_os_str(), "--keep-artifacts".as_ref()]);
        assert!(matches!(code(&run), 0 | 3), "{name}: run exits 0 or 3; stderr:\n{}", stderr(&run));

        // Replay: each stage reads the previous stage's file.
        let mut input = seed.clone();
        for (stage, file) in STAGES {
            let staged = tmp.path().join(format!("{name}.{file}"));
            let r = govtab(["stage".as_ref(), stage.as_ref(), "--in".as_ref(), input.as_os_str(), "--out".as_ref(), staged.as_os_str()]);
            assert_eq!(code(&r), 0, "{name}: stage {stage}; stderr:\n{}", stderr(&r));
            let kept = out.join("artifacts").join(&name).join(file);
            assert!(read(&staged) == read(&kept), "{name}: `stage {stage}` output differs from run's {}", kept.display());
            input = staged;
        }

        // The records of the replayed assemble are exactly records.jsonl.
        let set: Value = serde_json::from_str(&read(&input)).unwrap();
        let staged_records = set["records"].as_array().expect("RecordSet has records").clone();
        let run_records = read_jsonl(&out.join("records.jsonl"));
        assert_eq!(staged_records, run_records, "{name}: records differ between `stage` and `run`");
    }
}

#[test]
fn keep_artifacts_writes_the_four_stage_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let seeds_dir = samples().join("seeds");
    let run = govtab(["run".as_ref(), seeds_dir.as_os_str(), "--out".as_ref(), out.as_os_str(), "--keep-artifacts".as_ref()]);
    assert!(matches!(code(&run), 0 | 3), "stderr:\n{}", stderr(&run));
    for seed in seeds() {
        let dir = out.join("artifacts").join(seed.file_name().unwrap());
        for (stage, file) in STAGES {
            let v: Value = serde_json::from_str(&read(&dir.join(file))).unwrap_or_else(|e| panic!("{stage}: {e}"));
            let key = match stage {
                "extract" => "pages",
                "assemble" => "records",
                _ => "forms",
            };
            assert!(v.get(key).is_some(), "{} has {key}", dir.join(file).display());
        }
        let realign: Value = serde_json::from_str(&read(&dir.join("2-realign.json"))).unwrap();
        assert_eq!(realign["stage"], "realign");
        let matched: Value = serde_json::from_str(&read(&dir.join("3-match.json"))).unwrap();
        assert_eq!(matched["stage"], "match");
    }

    // Without the flag, no artifacts.
    let out2 = tmp.path().join("out2");
    let run = govtab(["run".as_ref(), seeds_dir.as_os_str(), "--out".as_ref(), out2.as_os_str()]);
    assert!(matches!(code(&run), 0 | 3));
    assert!(!out2.join("artifacts").exists());
}

#[test]
fn outputs_do_not_depend_on_the_number_of_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let seeds_dir = samples().join("seeds");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let ra = govtab(["run".as_ref(), seeds_dir.as_os_str(), "--out".as_ref(), a.as_os_str(), "--jobs".as_ref(), "1".as_ref()]);
    let rb = govtab(["run".as_ref(), seeds_dir.as_os_str(), "--out".as_ref(), b.as_os_str(), "--jobs".as_ref(), "4".as_ref()]);
    assert_eq!(code(&ra), code(&rb));
    for file in ["records.jsonl", "projects.csv", "funds.csv", "indicators.csv", "repairs.csv", "review.csv", "errors.csv"] {
        assert!(read(&a.join(file)) == read(&b.join(file)), "{file} differs between --jobs 1 and --jobs 4");
    }
}

#[test]
fn csv_headers_are_as_documented() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = govtab(["run".as_ref(), samples().join("seeds").as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert!(matches!(code(&run), 0 | 3));
    let expect: [(&str, &str); 6] = [
        ("projects.csv", "doc,form,pages,kind,year,project,department,implementer,unit,goal_expected,goal_actual,total_weight,total_score,grade,attributes,n_funds,n_indicators,n_repairs,n_flags"),
        ("funds.csv", "doc,form,row,item,initial_budget,annual_budget,executed,weight,execution_rate,score,amount,flagged,confidence"),
        ("indicators.csv", "doc,form,row,level1,level2,level3,target,actual,weight,score,deviation,flagged,confidence"),
        ("repairs.csv", "doc,form,field,stage,before,after,reason"),
        ("review.csv", "doc,form,page,field,value,reason,confidence"),
        ("errors.csv", "doc,path,page,stage,reason"),
    ];
    for (file, header) in expect {
        assert_eq!(csv_header(&out.join(file)).join(","), header, "{file}");
    }
    // One projects.csv row per record, one funds/indicators row per entry.
    let records = read_jsonl(&out.join("records.jsonl"));
    assert_eq!(common::read_csv(&out.join("projects.csv")).len(), records.len());
    let funds: usize = records.iter().map(|r| r["funds"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(common::read_csv(&out.join("funds.csv")).len(), funds);
    let indicators: usize = records.iter().map(|r| r["indicators"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(common::read_csv(&out.join("indicators.csv")).len(), indicators);
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let seed = samples().join("seeds");
    let cases: Vec<Vec<&std::ffi::OsStr>> = vec![
        vec![],
        vec!["frobnicate".as_ref()],
        vec!["run".as_ref()],
        vec!["run".as_ref(), seed.as_os_str()],
        vec!["run".as_ref(), seed.as_os_str(), "--out".as_ref(), out.as_os_str(), "--jobs".as_ref(), "0".as_ref()],
        vec!["run".as_ref(), seed.as_os_str(), "--out".as_ref(), out.as_os_str(), "--bogus".as_ref()],
        vec!["stage".as_ref(), "polish".as_ref(), "--in".as_ref(), "a".as_ref(), "--out".as_ref(), "b".as_ref()],
        vec!["stage".as_ref(), "realign".as_ref(), "--in".as_ref(), "a".as_ref()],
        vec!["explain".as_ref()],
    ];
    for args in cases {
        let r = govtab(&args);
        assert_eq!(code(&r), 2, "{args:?} is a usage error; stderr:\n{}", stderr(&r));
        let err = stderr(&r);
        assert!(err.contains("Usage") || err.contains("--help"), "{args:?}: clap explains the usage:\n{err}");
    }
    assert!(!out.exists(), "a usage error writes nothing");
}

#[test]
fn unwritable_output_is_fatal_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let seed = &seeds()[0];
    let r = govtab(["run".as_ref(), seed.as_os_str(), "--out".as_ref(), file.as_os_str()]);
    assert_eq!(code(&r), 1, "stderr:\n{}", stderr(&r));
    assert!(stderr(&r).contains("not-a-dir"), "the error names the directory: {}", stderr(&r));
}

#[test]
fn stage_rejects_the_wrong_artifact_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = &seeds()[0];
    let doc = tmp.path().join("doc.json");
    let r = govtab(["stage".as_ref(), "extract".as_ref(), "--in".as_ref(), seed.as_os_str(), "--out".as_ref(), doc.as_os_str()]);
    assert_eq!(code(&r), 0, "stderr:\n{}", stderr(&r));

    // A Document given to assemble.
    let r = govtab(["stage", "assemble", "--in", doc.to_str().unwrap(), "--out", "-"]);
    assert_eq!(code(&r), 1);
    let err = stderr(&r);
    assert!(err.contains("doc.json") && err.contains("Document") && err.contains("FormSet"), "{err}");
    assert!(stdout(&r).is_empty(), "nothing written on error");

    // Not JSON at all: the input document given to realign.
    let r = govtab(["stage".as_ref(), "realign".as_ref(), "--in".as_ref(), seed.as_os_str(), "--out".as_ref(), "-".as_ref()]);
    assert_eq!(code(&r), 1);
    let err = stderr(&r);
    assert!(err.contains(&*seed.file_name().unwrap().to_string_lossy()) && err.contains("not valid JSON"), "{err}");

    // JSON of the right shape but broken fields.
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, r#"{"doc": "a.txt", "path": "a.txt", "source": "floppy", "pages": []}"#).unwrap();
    let r = govtab(["stage", "realign", "--in", bad.to_str().unwrap(), "--out", "-"]);
    assert_eq!(code(&r), 1);
    assert!(stderr(&r).contains("bad.json"), "{}", stderr(&r));

    // An input extract rejects.
    let empty = tmp.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let r = govtab(["stage", "extract", "--in", empty.to_str().unwrap(), "--out", "-"]);
    assert_eq!(code(&r), 1);
    assert!(stderr(&r).contains("empty.txt") && stderr(&r).contains("empty file"), "{}", stderr(&r));
}

/// A match-stage artifact (as JSON, the artifact file format) with one form
/// that went through some repairs.
fn sample_formset() -> Value {
    let at = |line: u32| serde_json::json!({"page": 1, "line": line, "col": 0});
    serde_json::json!({
        "doc": "tiny.txt",
        "path": "tiny.txt",
        "source": "text_dump",
        "stage": "match",
        "forms": [{
            "form": 1,
            "kind": "self_evaluation",
            "title": "财政项目支出绩效自评表",
            "pages": [],
            "first_line": 3,
            "last_line": 12,
            "year": 2023,
            "unit": "万元",
            "fields": [{"raw_label": "项目名称", "label": "项目名称", "value": "业务保障经费", "at": at(4)}],
            "funds": [{
                "raw_item": "年度资金总额", "item": "年度资金总额",
                "initial_budget": "10.00", "annual_budget": "10.00", "executed": "10.00",
                "weight": "10", "execution_rate": "100.00%", "score": "10", "amount": null,
                "at": at(6)
            }],
            "goal_expected": "保障业务正常运转",
            "goal_actual": "业务运转正常",
            "indicators": [{
                "raw_level1": "产出指标", "raw_level2": "医曼指标",
                "level1": "产出指标", "level2": "质量指标", "level3": "整改办结率",
                "target": "≥95%", "actual": "98%", "weight": "90", "score": "88", "deviation": "",
                "at": at(9)
            }],
            "total_weight": "100",
            "total_score": "98",
            "grade": "优",
            "matches": [{
                "field": "indicators[0].level2", "raw": "医曼指标", "canonical": "质量指标",
                "score": 0.75, "method": "lookalike"
            }],
            "repairs": [{
                "field": "indicators[0]", "stage": "realign", "before": "col 3", "after": "col 2",
                "reason": "row shifted one column right"
            }],
            "flags": [{"field": "indicators[0].score", "reason": "score printed twice", "stage": "match"}]
        }],
        "problems": []
    })
}

#[test]
fn explain_prints_what_each_stage_did_to_a_form() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("3-match.json");
    std::fs::write(&path, serde_json::to_string_pretty(&sample_formset()).unwrap()).unwrap();

    let r = govtab(["explain".as_ref(), path.as_os_str()]);
    let out = stdout(&r);
    assert_eq!(code(&r), 0, "stderr:\n{}", stderr(&r));
    for needle in [
        "Form 1 of 1: 财政项目支出绩效自评表",
        "self_evaluation",
        "lines 3–12",
        "row shifted one column right",
        "医曼指标",
        "质量指标",
        "0.75",
        "lookalike",
        "indicators[0].score",
        "score printed twice",
    ] {
        assert!(out.contains(needle), "explain output lacks {needle:?}:\n{out}");
    }

    let r = govtab(["explain".as_ref(), path.as_os_str(), "--form".as_ref(), "1".as_ref()]);
    assert_eq!(code(&r), 0);
    assert!(stdout(&r).contains("Form 1 of 1"));

    let r = govtab(["explain".as_ref(), path.as_os_str(), "--form".as_ref(), "2".as_ref()]);
    assert_eq!(code(&r), 1);
    assert!(stderr(&r).contains("no form 2"), "{}", stderr(&r));
}

#[test]
fn explain_runs_the_pipeline_on_an_input_document() {
    let seed = &seeds()[0];
    let r = govtab(["explain".as_ref(), seed.as_os_str()]);
    assert_eq!(code(&r), 0, "stderr:\n{}", stderr(&r));
    let out = stdout(&r);
    assert!(out.contains(&*seed.file_name().unwrap().to_string_lossy()), "{out}");
    assert!(out.contains("text dump"), "{out}");
    assert!(out.contains("Form 1 of") || out.contains("no form found"), "{out}");
}

#[test]
fn help_and_version() {
    let r = govtab(["--version"]);
    assert_eq!(code(&r), 0);
    assert!(stdout(&r).starts_with("govtab "), "{}", stdout(&r));

    let r = govtab(["run", "--help"]);
    assert_eq!(code(&r), 0);
    let help = stdout(&r);
    for needle in ["records.jsonl", "errors.csv", "review.csv", "--keep-artifacts", "Exit status", "Examples"] {
        assert!(help.contains(needle), "run --help lacks {needle:?}");
    }
    for sub in ["stage", "explain"] {
        let r = govtab([sub, "--help"]);
        assert_eq!(code(&r), 0);
        assert!(stdout(&r).contains("Exit status"), "{sub} --help documents exit status");
    }
}

#[test]
fn vocab_build_then_run_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let vocab = tmp.path().join("level3.tsv");
    let seed = common::samples().join("seeds").join("004_1c7597119af05248.txt");
    let out = common::govtab(["vocab".as_ref(), "build".as_ref(), seed.as_os_str(), "--out".as_ref(), vocab.as_os_str()]);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
    let text = std::fs::read_to_string(&vocab).unwrap();
    // names read without a flag, with their counts
    assert!(text.lines().any(|l| l == "成本控制有效性\t2"), "{text}");
    let dir = tmp.path().join("out");
    let run = common::govtab(["run".as_ref(), seed.as_os_str(), "--out".as_ref(), dir.as_os_str(), "--level3-vocab".as_ref(), vocab.as_os_str()]);
    assert_eq!(common::code(&run), 0, "{}", common::stderr(&run));
    let missing = common::govtab(["run".as_ref(), seed.as_os_str(), "--out".as_ref(), dir.as_os_str(), "--level3-vocab".as_ref(), "/nonexistent/v.tsv".as_ref()]);
    assert_eq!(common::code(&missing), 1);
    assert!(common::stderr(&missing).contains("/nonexistent/v.tsv"));
}
