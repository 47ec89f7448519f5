//! The batch machinery behind `govtab run` and `govtab merge`: stable
//! hashes, document keys, the per-document parts, the `state` journal and the
//! `index.jsonl` of a finished run.
//!
//! Layout of an output directory:
//!
//! | path                 | what |
//! |----------------------|------|
//! | `parts/<key>.json`   | one finished document: its rendered rows ([`Part`]), written to a temporary file, synced and renamed |
//! | `state`              | journal: a header line naming the run setup, then one `<key>` line per finished document |
//! | `index.jsonl`        | written last: the run's inputs in order with their positions and keys (read by `govtab merge`) |
//! | `records.jsonl`, `*.csv` | the parts concatenated in input order |
//!
//! A document's key hashes its path, size and modification time (and its
//! artifact directory), so a part is reused only for the same file.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::output::Part;

pub use govtab_model::hash::{fnv1a64, Fnv};

/// The bytes of a path as given (not canonicalized), for hashing.
pub fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// `--shard K/N`: this run converts shard K (0-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl Shard {
    /// Does this shard convert `path`? FNV-1a of the path string, mod N.
    pub fn contains(&self, path: &Path) -> bool {
        fnv1a64(path_bytes(path)) % u64::from(self.n) == u64::from(self.k)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let (k, n) = s.split_once('/').ok_or_else(|| format!("expected K/N (e.g. 0/4), got {s:?}"))?;
    let k: u32 = k.trim().parse().map_err(|_| format!("shard index {k:?} is not a number"))?;
    let n: u32 = n.trim().parse().map_err(|_| format!("shard count {n:?} is not a number"))?;
    if n == 0 {
        return Err("the shard count N must be at least 1".into());
    }
    if k >= n {
        return Err(format!("shard index K must be 0..{} for N = {n} (got {k}); K is 0-based", n - 1));
    }
    Ok(Shard { k, n })
}

/// `--timeout`: `60s`, `2m`, `1h`, `500ms`, or a number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("expected a duration like 60s, 2m or 500ms, got {s:?}"))?;
    let secs = match unit.trim() {
        "" | "s" | "sec" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown time unit {other:?} (use ms, s, m or h)")),
    };
    if secs.is_nan() || secs <= 0.0 || !secs.is_finite() || secs > 1e9 {
        return Err(format!("the timeout must be positive, got {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `--max-memory`: bytes of address space per worker, or no cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryCap(pub Option<u64>);

impl MemoryCap {
    pub fn bytes(&self) -> u64 {
        self.0.unwrap_or(0)
    }
}

impl std::fmt::Display for MemoryCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => write!(f, "none"),
            Some(b) if b % (1 << 30) == 0 => write!(f, "{}GiB", b >> 30),
            Some(b) if b % (1 << 20) == 0 => write!(f, "{}MiB", b >> 20),
            Some(b) => write!(f, "{b} bytes"),
        }
    }
}

/// `2GiB`, `512MiB`, `1.5G` (binary units; KB/MB/GB are decimal), bytes, or
/// `none`/`0` for no cap.
pub fn parse_size(s: &str) -> Result<MemoryCap, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("none") || t == "0" {
        return Ok(MemoryCap(None));
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("expected a size like 2GiB or 512MiB, got {s:?}"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB, GiB, or none)")),
    };
    let bytes = value * mult;
    if !bytes.is_finite() || bytes < (64u64 << 20) as f64 {
        return Err(format!("{s:?} is too small for a worker process (at least 64MiB, or `none`)"));
    }
    Ok(MemoryCap(Some(bytes as u64)))
}

/// The key of one document: its path, size and modification time, and the
/// artifact directory it writes (with `--keep-artifacts`).
pub fn doc_key(path: &Path, artifact_dir: Option<&str>) -> String {
    let mut h = Fnv::default();
    h.field(b"doc").field(path_bytes(path));
    match std::fs::metadata(path) {
        Ok(m) => {
            h.field(&m.len().to_le_bytes());
            if let Ok(t) = m.modified() {
                if let Ok(d) = t.duration_since(std::time::UNIX_EPOCH) {
                    h.field(&d.as_nanos().to_le_bytes());
                }
            }
        }
        Err(_) => {
            h.field(b"unreadable");
        }
    }
    if let Some(dir) = artifact_dir {
        h.field(dir.as_bytes());
    }
    format!("{:016x}", h.finish())
}

/// Hash of an input list, in order: shards of one batch must agree on it.
pub fn list_hash<'a>(paths: impl IntoIterator<Item = &'a Path>) -> String {
    let mut h = Fnv::default();
    for p in paths {
        h.field(path_bytes(p));
    }
    format!("{:016x}", h.finish())
}

pub const PARTS: &str = "parts";
pub const STATE: &str = "state";
pub const INDEX: &str = "index.jsonl";

pub fn part_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(PARTS).join(format!("{key}.json"))
}

/// Write `bytes` to `dest` atomically: a temporary file in the same
/// directory, synced, then renamed over `dest`.
pub fn atomic_write(dest: &Path, bytes: &[u8]) -> Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = dest.parent().unwrap_or(Path::new("."));
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".tmp-{name}-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed)));
    let result = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dest)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", dest.display()));
    }
    Ok(())
}

/// Store one finished document.
pub fn write_part(dir: &Path, key: &str, part: &Part) -> Result<()> {
    let json = serde_json::to_vec(part).context("cannot serialize a document's part")?;
    atomic_write(&part_path(dir, key), &json)
}

pub fn read_part(dir: &Path, key: &str) -> Result<Part> {
    let path = part_path(dir, key);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is damaged; delete it and run again to convert its document again", path.display()))
}

/// The journal of finished documents, `DIR/state`.
pub struct Journal {
    file: File,
    path: PathBuf,
}

/// What the journal of an earlier run says.
pub struct Resume {
    pub journal: Journal,
    /// Keys of documents finished by earlier runs (with their part present).
    pub done: HashSet<String>,
    /// The journal was written by a different setup and was started over.
    pub restarted: bool,
}

impl Journal {
    /// Open `DIR/state` for the run setup `fingerprint`: keep what an earlier
    /// run of the same setup finished, start over otherwise. Leftover
    /// temporary files of an interrupted run are removed.
    pub fn open(dir: &Path, fingerprint: &str) -> Result<Resume> {
        let parts = dir.join(PARTS);
        std::fs::create_dir_all(&parts).with_context(|| format!("cannot create {}", parts.display()))?;
        if let Ok(rd) = std::fs::read_dir(&parts) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().starts_with(".tmp-") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let path = dir.join(STATE);
        let header = format!("govtab-state 1 {fingerprint}");
        let mut done = HashSet::new();
        let mut restarted = false;
        let mut fresh = true;
        if let Ok(text) = std::fs::read(&path) {
            let text = String::from_utf8_lossy(&text);
            let mut lines = text.split_inclusive('\n');
            if lines.next().map(str::trim_end) == Some(header.as_str()) {
                fresh = false;
                for line in lines {
                    // A line cut short by a crash has no newline: ignored.
                    let Some(key) = line.strip_suffix('\n') else { continue };
                    if key.len() == 16 && key.bytes().all(|b| b.is_ascii_hexdigit()) && part_path(dir, key).is_file() {
                        done.insert(key.to_string());
                    }
                }
            } else {
                restarted = !text.is_empty();
            }
        }
        let file = if fresh {
            let mut f = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
            writeln!(f, "{header}").with_context(|| format!("cannot write {}", path.display()))?;
            f
        } else {
            OpenOptions::new().append(true).open(&path).with_context(|| format!("cannot open {}", path.display()))?
        };
        Ok(Resume { journal: Journal { file, path }, done, restarted })
    }

    /// Record one finished document (after its part is in place).
    pub fn record(&mut self, key: &str) -> Result<()> {
        self.file.write_all(format!("{key}\n").as_bytes()).with_context(|| format!("cannot write {}", self.path.display()))
    }
}

/// The first line of `index.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexHeader {
    pub govtab_index: u32,
    pub shard: Option<Shard>,
    /// Inputs of the whole batch (before sharding).
    pub total: usize,
    /// [`list_hash`] of the whole batch's inputs.
    pub list: String,
}

/// One input of a finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Position in the whole batch (before sharding).
    pub pos: usize,
    pub key: String,
    pub path: String,
}

pub fn write_index(dir: &Path, header: &IndexHeader, entries: &[IndexEntry]) -> Result<()> {
    let mut text = serde_json::to_string(header)?;
    text.push('\n');
    for e in entries {
        text.push_str(&serde_json::to_string(e)?);
        text.push('\n');
    }
    atomic_write(&dir.join(INDEX), text.as_bytes())
}

pub fn read_index(dir: &Path) -> Result<(IndexHeader, Vec<IndexEntry>)> {
    let path = dir.join(INDEX);
    let file = File::open(&path).with_context(|| {
        format!("cannot read {}: not the output of a finished `govtab run` (run it again to finish it)", path.display())
    })?;
    let mut lines = BufReader::new(file).lines();
    let first = match lines.next() {
        Some(line) => line.with_context(|| format!("cannot read {}", path.display()))?,
        None => bail!("{} is empty", path.display()),
    };
    let header: IndexHeader =
        serde_json::from_str(&first).with_context(|| format!("{}: not a govtab index", path.display()))?;
    let mut entries = Vec::new();
    for (i, line) in lines.enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        let e: IndexEntry = serde_json::from_str(&line).with_context(|| format!("{}:{}: damaged entry", path.display(), i + 2))?;
        entries.push(e);
    }
    Ok((header, entries))
}

/// Remove parts that no input of this run uses any more.
pub fn prune_parts(dir: &Path, keep: &HashSet<&str>) {
    let Ok(rd) = std::fs::read_dir(dir.join(PARTS)) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(key) = name.strip_suffix(".json") {
            if !keep.contains(key) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_the_reference_fnv1a() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn shards_partition_the_inputs() {
        let shards: Vec<Shard> = (0..3).map(|k| Shard { k, n: 3 }).collect();
        for i in 0..200 {
            let p = PathBuf::from(format!("dir/file-{i}.pdf"));
            assert_eq!(shards.iter().filter(|s| s.contains(&p)).count(), 1);
        }
        assert_eq!(parse_shard("1/3"), Ok(Shard { k: 1, n: 3 }));
        assert!(parse_shard("3/3").is_err());
        assert!(parse_shard("0/0").is_err());
        assert!(parse_shard("x").is_err());
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert_eq!(parse_size("2GiB"), Ok(MemoryCap(Some(2 << 30))));
        assert_eq!(parse_size("512MiB"), Ok(MemoryCap(Some(512 << 20))));
        assert_eq!(parse_size("none"), Ok(MemoryCap(None)));
        assert!(parse_size("1k").is_err());
        assert!(parse_size("lots").is_err());
        assert_eq!(MemoryCap(Some(2 << 30)).to_string(), "2GiB");
    }

    #[test]
    fn journal_resumes_only_complete_lines_with_parts() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut r = Journal::open(dir, "fp").unwrap();
        assert!(r.done.is_empty() && !r.restarted);
        let part = crate::output::render("a.txt", 1, &crate::pipeline::DocReport::unreadable(Path::new("a.txt"), "input", "x".into())).unwrap();
        write_part(dir, "00000000000000aa", &part).unwrap();
        r.journal.record("00000000000000aa").unwrap();
        r.journal.record("00000000000000bb").unwrap(); // no part: redone
        drop(r);
        let mut f = OpenOptions::new().append(true).open(dir.join(STATE)).unwrap();
        f.write_all(b"00000000000000c").unwrap(); // cut short
        drop(f);
        let r = Journal::open(dir, "fp").unwrap();
        assert_eq!(r.done, HashSet::from(["00000000000000aa".to_string()]));
        assert_eq!(read_part(dir, "00000000000000aa").unwrap(), part);
        drop(r);
        let r = Journal::open(dir, "other setup").unwrap();
        assert!(r.done.is_empty() && r.restarted);
    }
}
