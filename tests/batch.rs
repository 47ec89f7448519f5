//! Batches at scale: a run killed with SIGKILL resumes to the same bytes, three
//! shards merged equal one run, and a document that hangs, crashes or needs
//! too much memory costs only itself.
//!
//! The worker test hooks (`GOVTAB_TEST_HANG`, `GOVTAB_TEST_CRASH`,
//! `GOVTAB_TEST_OOM`: a document whose path contains the value misbehaves;
//! `GOVTAB_TEST_DELAY_MS`: every document is slowed down) are honoured by
//! `govtab worker` only; see crates/govtab/src/pool.rs.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{code, govtab, read_csv, seeds, stderr};

const TABLES: [&str; 7] = ["records.jsonl", "projects.csv", "funds.csv", "indicators.csv", "repairs.csv", "review.csv", "errors.csv"];

/// `copies` copies of the two quickest seeds (000 and 004) under distinct
/// names (`c00-000_….txt`), plus one file that is not a form, in `dir`;
/// their paths, sorted.
fn inbox(dir: &Path, copies: usize) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let quick: Vec<PathBuf> = seeds()
        .into_iter()
        .filter(|s| ["000_", "004_"].iter().any(|p| s.file_name().unwrap().to_string_lossy().starts_with(p)))
        .collect();
    assert_eq!(quick.len(), 2, "seeds 000 and 004 exist");
    let mut paths = Vec::new();
    for c in 0..copies {
        for seed in &quick {
            let name = format!("c{c:02}-{}", seed.file_name().unwrap().to_string_lossy());
            let p = dir.join(name);
            std::fs::copy(seed, &p).unwrap();
            paths.push(p);
        }
    }
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "会议纪要\n今天讨论了下一年的工作安排。\n").unwrap();
    paths.push(notes);
    paths.sort();
    paths
}

fn assert_same_tables(a: &Path, b: &Path, what: &str) {
    for file in TABLES {
        let (x, y) = (std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap());
        assert!(x == y, "{file} differs: {what} ({} vs {})", a.display(), b.display());
    }
}

fn run_ok(args: &[&std::ffi::OsStr]) -> String {
    let r = govtab(args);
    assert!(matches!(code(&r), 0 | 3), "{args:?}; stderr:\n{}", stderr(&r));
    let err = stderr(&r);
    assert!(!err.contains("BUG"), "accounting holds; stderr:\n{err}");
    err
}

fn journal_lines(out: &Path) -> usize {
    std::fs::read_to_string(out.join("state")).map(|s| s.lines().count()).unwrap_or(0)
}

#[test]
fn a_run_killed_with_sigkill_resumes_to_identical_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let files = inbox(&tmp.path().join("inbox"), 6);
    let inbox = tmp.path().join("inbox");
    let (whole, resumed) = (tmp.path().join("whole"), tmp.path().join("resumed"));
    run_ok(&[ "run".as_ref(), inbox.as_os_str(), "--out".as_ref(), whole.as_os_str(), "--jobs".as_ref(), "2".as_ref()]);

    // Slow every document down, kill -9 once a few are journaled.
    let mut child = Command::new(env!("CARGO_BIN_EXE_govtab"))
        .args(["run".as_ref(), inbox.as_os_str(), "--out".as_ref(), resumed.as_os_str(), "--jobs".as_ref(), "2".as_ref()])
        .env("GOVTAB_TEST_DELAY_MS", "150")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while journal_lines(&resumed) < 4 {
        assert!(start.elapsed() < Duration::from_secs(60), "the run journals finished documents");
        assert!(child.try_wait().unwrap().is_none(), "the run is still going when killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!resumed.join("index.jsonl").exists(), "the killed run did not finish");
    let done = journal_lines(&resumed) - 1;
    assert!(done < files.len(), "killed mid-run: {done} of {} done", files.len());

    let err = run_ok(&["run".as_ref(), inbox.as_os_str(), "--out".as_ref(), resumed.as_os_str(), "--jobs".as_ref(), "2".as_ref()]);
    assert!(err.contains("resuming: "), "the rerun resumes; stderr:\n{err}");
    assert!(err.contains(&format!("{} inputs = ", files.len())), "every input accounted for; stderr:\n{err}");
    assert_same_tables(&whole, &resumed, "killed and resumed vs uninterrupted");
    assert!(
        std::fs::read_dir(resumed.join("parts")).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with(".tmp")),
        "no temporary part left behind"
    );

    // A finished run reruns from its parts, to the same bytes.
    let err = run_ok(&["run".as_ref(), inbox.as_os_str(), "--out".as_ref(), resumed.as_os_str()]);
    assert!(err.contains(&format!("resuming: {} of {} inputs", files.len(), files.len())), "stderr:\n{err}");
    assert_same_tables(&whole, &resumed, "rerun of a finished run");
}

#[test]
fn three_shards_merged_equal_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let files = inbox(&tmp.path().join("inbox"), 3);
    let manifest = tmp.path().join("files.txt");
    let mut text = String::from("# the batch\n");
    for f in &files {
        text.push_str(&format!("{}\n", f.display()));
    }
    std::fs::write(&manifest, text).unwrap();

    let one = tmp.path().join("one");
    run_ok(&["run".as_ref(), "--manifest".as_ref(), manifest.as_os_str(), "--out".as_ref(), one.as_os_str(), "--jobs".as_ref(), "2".as_ref()]);
    let mut sizes = Vec::new();
    let mut shard_dirs = Vec::new();
    for k in 0..3 {
        let dir = tmp.path().join(format!("shard-{k}"));
        let shard = format!("{k}/3");
        let err = run_ok(&[
            "run".as_ref(), "--manifest".as_ref(), manifest.as_os_str(), "--shard".as_ref(), shard.as_ref(),
            "--out".as_ref(), dir.as_os_str(), "--jobs".as_ref(), "1".as_ref(), "--in-process".as_ref(),
        ]);
        sizes.push(common::read_jsonl(&dir.join("index.jsonl")).len() - 1);
        assert!(err.contains(&format!("shard {k}/3")), "stderr:\n{err}");
        shard_dirs.push(dir);
    }
    assert_eq!(sizes.iter().sum::<usize>(), files.len(), "the shards partition the inputs: {sizes:?}");

    // Merge, shards given in any order.
    let merged = tmp.path().join("merged");
    let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref()];
    args.extend(shard_dirs.iter().rev().map(|d| d.as_os_str()));
    args.extend(["--out".as_ref(), merged.as_os_str()]);
    let err = run_ok(&args);
    assert!(err.contains(&format!("{} inputs = ", files.len())), "stderr:\n{err}");
    assert_same_tables(&one, &merged, "3 shards merged vs one run");

    // A missing shard is refused, not silently merged.
    let r = govtab([
        "merge".as_ref(), shard_dirs[0].as_os_str(), shard_dirs[2].as_os_str(), "--out".as_ref(), tmp.path().join("bad").as_os_str(),
    ]);
    assert_eq!(code(&r), 1, "stderr:\n{}", stderr(&r));
    assert!(stderr(&r).contains("1/3 missing"), "stderr:\n{}", stderr(&r));
}

#[test]
fn a_hanging_crashing_or_memory_hungry_document_costs_only_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let files = inbox(&tmp.path().join("inbox"), 3);
    let inbox = tmp.path().join("inbox");
    let out = tmp.path().join("out");
    let start = Instant::now();
    let r = Command::new(env!("CARGO_BIN_EXE_govtab"))
        .args(["run".as_ref(), inbox.as_os_str(), "--out".as_ref(), out.as_os_str(), "--jobs".as_ref(), "2".as_ref()])
        .args(["--timeout", "1s", "--max-memory", "256MiB"])
        .env("GOVTAB_TEST_HANG", "c00-000_")
        .env("GOVTAB_TEST_CRASH", "c01-000_")
        .env("GOVTAB_TEST_OOM", "c02-000_")
        .output()
        .unwrap();
    let err = stderr(&r);
    assert_eq!(code(&r), 3, "the batch completes, partial; stderr:\n{err}");
    assert!(start.elapsed() < Duration::from_secs(30), "no hang past the timeout: {:?}", start.elapsed());
    assert!(err.contains(&format!("{} inputs = ", files.len())), "stderr:\n{err}");

    let errors = read_csv(&out.join("errors.csv"));
    let reason = |prefix: &str| -> String {
        let rows: Vec<_> = errors.iter().filter(|r| r["doc"].starts_with(prefix)).collect();
        assert_eq!(rows.len(), 1, "{prefix}: one error row: {rows:?}");
        assert_eq!(rows[0]["stage"], "worker", "{rows:?}");
        rows[0]["reason"].clone()
    };
    assert_eq!(reason("c00-000_"), "timed out after 1s (worker killed)");
    assert!(reason("c01-000_").contains("signal 6"), "{errors:?}");
    assert!(reason("c02-000_").starts_with("out of memory"), "{errors:?}");
    // The other documents are converted by the replacement workers.
    let records = common::read_jsonl(&out.join("records.jsonl"));
    for doc in ["c00-004_1c7597119af05248.txt", "c01-004_1c7597119af05248.txt", "c02-004_1c7597119af05248.txt"] {
        assert!(records.iter().any(|r| r["doc"] == doc), "{doc} converted");
    }
}
