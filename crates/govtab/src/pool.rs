//! Converting documents: in worker processes (the default) or on threads of
//! this process (`--in-process`).
//!
//! A worker is this binary re-invoked as `govtab worker`. It reads one
//! [`WireJob`] per line on stdin, converts that document, and writes one
//! [`WireResult`] per line on stdout. The parent keeps `--jobs` workers, each
//! driven by one thread here, which sends a job, waits for the answer at most
//! `--timeout`, and on a timeout kills the worker (and its process group).
//! A worker that dies (signal, out of memory under its `RLIMIT_AS` cap) is
//! replaced; the document it held gets one errors.csv row saying why.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use govtab_model::Vocabulary;
use serde::{Deserialize, Serialize};

use crate::batch::{self, MemoryCap};
use crate::inputs::Input;
use crate::output::{self, Part};
use crate::pipeline::{self, DocReport, StageName, Start, Trace};

/// A path on the wire: text when it is UTF-8, raw bytes otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WirePath {
    Text(String),
    Raw(Vec<u8>),
}

impl WirePath {
    pub fn from_path(p: &Path) -> Self {
        match p.to_str() {
            Some(s) => WirePath::Text(s.to_string()),
            None => WirePath::Raw(batch::path_bytes(p).to_vec()),
        }
    }
    pub fn to_path(&self) -> PathBuf {
        match self {
            WirePath::Text(s) => PathBuf::from(s),
            #[cfg(unix)]
            WirePath::Raw(b) => {
                use std::os::unix::ffi::OsStringExt;
                PathBuf::from(OsString::from_vec(b.clone()))
            }
            #[cfg(not(unix))]
            WirePath::Raw(b) => PathBuf::from(String::from_utf8_lossy(b).into_owned()),
        }
    }
}

/// One document for a worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireJob {
    pub path: WirePath,
    /// Where to write the stage artifacts (`--keep-artifacts`).
    pub artifacts: Option<WirePath>,
}

/// A worker's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireResult {
    Part(Box<Part>),
    /// The run cannot go on (e.g. the artifact directory is not writable).
    Fatal(String),
}

/// One document of the run.
#[derive(Debug, Clone)]
pub struct Job {
    pub key: String,
    pub input: Input,
    pub artifacts: Option<PathBuf>,
}

/// What the pool reports to the writer thread.
pub enum Event {
    /// A document is finished and its part is stored.
    Done { key: String, pages: usize, errors: usize },
    /// The run cannot go on.
    Fatal(anyhow::Error),
}

/// Convert one document in this process (what a worker does per job).
/// `Err` only for the artifacts (fatal for the run).
pub fn convert(path: &Path, vocab: &Vocabulary, artifacts: Option<&Path>) -> Result<Part> {
    let (mut trace, result) = pipeline::process(Start::Input(path.to_path_buf()), vocab, artifacts.is_some(), None);
    if let Some(dir) = artifacts {
        write_artifacts(dir, &trace)?;
    }
    let report = DocReport::from_trace(path, &mut trace, &result);
    output::render(&path.display().to_string(), trace.pages, &report)
}

/// A document that never reached the stages, or whose worker failed.
pub fn failed_part(path: &Path, stage: &str, reason: String) -> Result<Part> {
    output::render(&path.display().to_string(), 0, &DocReport::unreadable(path, stage, reason))
}

/// Write the stage artifacts a trace holds (atomically); remove stale ones a
/// previous run left for stages that did not run this time.
fn write_artifacts(dir: &Path, trace: &Trace) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for stage in StageName::ALL {
        let file = dir.join(stage.artifact_file());
        match trace.artifact_json(stage) {
            Some(json) => {
                let json = json.with_context(|| format!("cannot serialize {}", file.display()))?;
                batch::atomic_write(&file, json.as_bytes())?;
            }
            None => match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot remove stale {}", file.display())),
            },
        }
    }
    Ok(())
}

/// How to start and bound workers.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub exe: PathBuf,
    pub timeout: Duration,
    pub max_memory: MemoryCap,
    pub level3_vocab: Option<PathBuf>,
}

/// Run `jobs` on `n` worker processes; every finished document is stored in
/// `out`/parts and reported on `events`. Returns when all jobs are done or
/// `cancel` is set.
pub fn run_workers(cfg: &WorkerConfig, n: usize, jobs: Vec<Job>, out: &Path, events: Sender<Event>, cancel: &AtomicBool) {
    let queue = Mutex::new(VecDeque::from(jobs));
    std::thread::scope(|scope| {
        for _ in 0..n {
            let events = events.clone();
            let queue = &queue;
            scope.spawn(move || {
                let mut worker: Option<Worker> = None;
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let job = match queue.lock() {
                        Ok(mut q) => q.pop_front(),
                        Err(_) => None,
                    };
                    let Some(job) = job else { break };
                    let part = match &job.input {
                        Input::Unreadable { path, reason } => failed_part(path, "input", reason.clone()),
                        Input::File(path) => convert_in_worker(cfg, &mut worker, path, job.artifacts.as_deref()),
                    };
                    if !finish(out, job, part, &events) {
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
                if let Some(w) = worker {
                    w.close();
                }
            });
        }
    });
}

/// Run `jobs` on `n` threads of this process (no isolation).
pub fn run_threads(n: usize, vocab: &Vocabulary, jobs: Vec<Job>, out: &Path, events: Sender<Event>, cancel: &AtomicBool) {
    use rayon::prelude::*;
    // Worker threads get the main thread's usual stack size: a deep recursion
    // in a stage should not overflow where it would not in `govtab stage`.
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(n).stack_size(8 << 20).build() {
        Ok(pool) => pool,
        Err(e) => {
            let _ = events.send(Event::Fatal(anyhow!("cannot start worker threads: {e}")));
            return;
        }
    };
    pool.install(|| {
        jobs.into_par_iter().for_each_with(events, |events, job| {
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            let part = match &job.input {
                Input::Unreadable { path, reason } => failed_part(path, "input", reason.clone()),
                Input::File(path) => convert(path, vocab, job.artifacts.as_deref()),
            };
            if !finish(out, job, part, events) {
                cancel.store(true, Ordering::Relaxed);
            }
        });
    });
}

/// Store a finished document's part and report it; false when the run must stop.
fn finish(out: &Path, job: Job, part: Result<Part>, events: &Sender<Event>) -> bool {
    let stored = part.and_then(|p| batch::write_part(out, &job.key, &p).map(|()| p));
    let event = match stored {
        Ok(p) => Event::Done { key: job.key, pages: p.pages, errors: p.errors },
        Err(e) => Event::Fatal(e),
    };
    let fatal = matches!(event, Event::Fatal(_));
    // Sending fails only once the writer is gone; stop then.
    events.send(event).is_ok() && !fatal
}

/// One live worker process.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    stderr_thread: Option<std::thread::JoinHandle<()>>,
}

const STDERR_LINES: usize = 20;

impl Worker {
    fn spawn(cfg: &WorkerConfig) -> Result<Worker> {
        let mut cmd = Command::new(&cfg.exe);
        cmd.arg("worker").arg("--max-memory").arg(cfg.max_memory.bytes().to_string());
        cmd.arg("--parent-pid").arg(std::process::id().to_string());
        if let Some(v) = &cfg.level3_vocab {
            cmd.arg("--level3-vocab").arg(v);
        }
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // A crashing worker should not spend its time symbolizing a backtrace.
        cmd.env("RUST_BACKTRACE", "0");
        // Its own process group: a Ctrl-C reaches the parent only, which
        // then stops; the workers follow it (see `govtab worker`).
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().with_context(|| format!("cannot start worker process {}", cfg.exe.display()))?;
        let (Some(stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(anyhow!("worker process started without pipes"));
        };
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&stderr_tail);
        let stderr_thread = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                // The first lines since the current job was sent: a crash
                // message comes first (a backtrace may follow).
                if let Ok(mut t) = tail.lock() {
                    if t.len() < STDERR_LINES {
                        t.push_back(line);
                    }
                }
            }
        });
        Ok(Worker { child, stdin, lines, stderr_tail, stderr_thread: Some(stderr_thread) })
    }

    fn send(&mut self, job: &WireJob) -> std::io::Result<()> {
        if let Ok(mut t) = self.stderr_tail.lock() {
            t.clear();
        }
        let mut line = serde_json::to_vec(job).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.stdin.write_all(&line)?;
        self.stdin.flush()
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The worker ended on its own: why.
    fn death(mut self, cap: MemoryCap) -> String {
        let status = self.child.wait();
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        let tail: Vec<String> = self.stderr_tail.lock().map(|t| t.iter().cloned().collect()).unwrap_or_default();
        let said = |needle: &str| tail.iter().any(|l| l.contains(needle));
        let last = tail.iter().find(|l| !l.trim().is_empty()).cloned().unwrap_or_default();
        if said("memory allocation of") || said("out of memory") {
            return format!("out of memory: the document needs more than --max-memory {cap}");
        }
        if said("has overflowed its stack") {
            return "crashed: stack overflow (worker killed by signal 6)".to_string();
        }
        match status {
            Ok(s) => {
                #[cfg(unix)]
                {
                    use std::os::unix::process::ExitStatusExt;
                    if let Some(sig) = s.signal() {
                        let name = signal_name(sig);
                        let hint = if sig == 9 { " (by the system's out-of-memory killer?)" } else { "" };
                        return format!("crashed: worker killed by signal {sig} ({name}){hint}");
                    }
                }
                match s.code() {
                    Some(c) if last.is_empty() => format!("crashed: worker exited with status {c}"),
                    Some(c) => format!("crashed: worker exited with status {c}: {last}"),
                    None => "crashed: worker ended without a status".to_string(),
                }
            }
            Err(e) => format!("crashed: worker lost ({e})"),
        }
    }

    /// No more jobs: close stdin so the worker exits, and reap it.
    fn close(mut self) {
        drop(self.stdin);
        let _ = self.child.wait();
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        _ => "signal",
    }
}

/// Convert one document in the slot's worker (starting one if needed).
fn convert_in_worker(cfg: &WorkerConfig, slot: &mut Option<Worker>, path: &Path, artifacts: Option<&Path>) -> Result<Part> {
    let job = WireJob { path: WirePath::from_path(path), artifacts: artifacts.map(WirePath::from_path) };
    // A worker that died between two documents is replaced and the job sent
    // again, once; a second failure is the document's.
    for attempt in 0..2 {
        let mut w = match slot.take() {
            Some(w) => w,
            None => Worker::spawn(cfg)?,
        };
        if w.send(&job).is_err() {
            let reason = w.death(cfg.max_memory);
            if attempt == 0 {
                continue;
            }
            return failed_part(path, "worker", reason);
        }
        return match w.lines.recv_timeout(cfg.timeout) {
            Ok(line) => match serde_json::from_str::<WireResult>(&line) {
                Ok(WireResult::Part(p)) => {
                    *slot = Some(w);
                    Ok(*p)
                }
                Ok(WireResult::Fatal(message)) => {
                    w.close();
                    Err(anyhow!(message))
                }
                Err(e) => {
                    w.kill();
                    failed_part(path, "worker", format!("crashed: worker sent an unreadable result ({e})"))
                }
            },
            Err(RecvTimeoutError::Timeout) => {
                w.kill();
                failed_part(path, "worker", format!("timed out after {} (worker killed)", human(cfg.timeout)))
            }
            Err(RecvTimeoutError::Disconnected) => {
                let reason = w.death(cfg.max_memory);
                failed_part(path, "worker", reason)
            }
        };
    }
    failed_part(path, "worker", "crashed: worker could not be started".to_string())
}

/// `60s`, `1.5s`, `500ms`.
pub fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Environment variables honoured by `govtab worker` only, for the tests of
/// the pool (tests/batch.rs): a document whose path contains the value hangs,
/// aborts, or allocates without bound; `GOVTAB_TEST_DELAY_MS` slows every
/// document down. They change nothing in `govtab run --in-process`, `stage`
/// or `explain`.
pub const TEST_HANG: &str = "GOVTAB_TEST_HANG";
pub const TEST_CRASH: &str = "GOVTAB_TEST_CRASH";
pub const TEST_OOM: &str = "GOVTAB_TEST_OOM";
pub const TEST_DELAY_MS: &str = "GOVTAB_TEST_DELAY_MS";

/// Apply the test hooks for one document (worker only).
pub fn test_hooks(path: &Path) {
    let hit = |var: &str| match std::env::var(var) {
        Ok(s) if !s.is_empty() => path.to_string_lossy().contains(&s),
        _ => false,
    };
    if let Some(ms) = std::env::var(TEST_DELAY_MS).ok().and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    if hit(TEST_HANG) {
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    if hit(TEST_CRASH) {
        std::process::abort();
    }
    if hit(TEST_OOM) {
        let mut hog: Vec<Vec<u8>> = Vec::new();
        loop {
            hog.push(vec![1u8; 64 << 20]);
        }
    }
}
