//! `govtab worker` (hidden): the worker process of `govtab run`. One JSON job
//! per line on stdin, one JSON result per line on stdout (see `pool`).
//!
//! The worker caps its own address space (`RLIMIT_AS`, `--max-memory`), so a
//! document that needs more fails an allocation and the process aborts; and
//! it asks the kernel to kill it when its parent dies, so a `kill -9` of
//! `govtab run` leaves no orphan behind.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{WorkerArgs, EXIT_FATAL, EXIT_OK};
use crate::pool::{self, WireJob, WireResult};

pub fn worker(args: &WorkerArgs) -> Result<ExitCode> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls with constant, valid arguments.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        }
        if let Some(parent) = args.parent_pid {
            // The parent died before the request above took effect.
            // SAFETY: getppid has no preconditions.
            if unsafe { libc::getppid() } as u32 != parent {
                return Ok(ExitCode::from(EXIT_FATAL));
            }
        }
        if args.max_memory > 0 {
            let limit = libc::rlimit { rlim_cur: args.max_memory as libc::rlim_t, rlim_max: args.max_memory as libc::rlim_t };
            // SAFETY: `limit` is a valid rlimit for the duration of the call.
            if unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } != 0 {
                eprintln!("govtab worker: cannot set the memory cap: {}", std::io::Error::last_os_error());
            }
        }
    }
    let results = results_channel()?;
    let vocab = args.vocab.load()?;
    // The stages run on a thread with a generous stack: deep recursion on a
    // hostile PDF should fail as late as it would anywhere else.
    let handle = std::thread::Builder::new()
        .name("govtab-worker".into())
        .stack_size(64 << 20)
        .spawn(move || serve(&vocab, results))
        .context("cannot start the worker thread")?;
    match handle.join() {
        Ok(result) => result.map(|()| ExitCode::from(EXIT_OK)),
        Err(_) => Ok(ExitCode::from(EXIT_FATAL)),
    }
}

/// Where results go: the original stdout. Anything a library prints to
/// stdout afterwards lands on stderr instead, so it cannot corrupt a result
/// line.
#[cfg(unix)]
fn results_channel() -> Result<Box<dyn Write + Send>> {
    use std::os::fd::FromRawFd;
    // SAFETY: dup/dup2 on the standard descriptors; the duplicate is owned by
    // the File from here on.
    unsafe {
        let fd = libc::dup(1);
        if fd < 0 || libc::dup2(2, 1) < 0 {
            anyhow::bail!("cannot set up the result channel: {}", std::io::Error::last_os_error());
        }
        Ok(Box::new(std::io::BufWriter::new(std::fs::File::from_raw_fd(fd))))
    }
}

#[cfg(not(unix))]
fn results_channel() -> Result<Box<dyn Write + Send>> {
    Ok(Box::new(std::io::stdout()))
}

fn serve(vocab: &govtab_model::Vocabulary, mut stdout: Box<dyn Write + Send>) -> Result<()> {
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        line.clear();
        if stdin.lock().read_line(&mut line).context("cannot read a job")? == 0 {
            return Ok(()); // the parent closed stdin: no more work
        }
        let result = match serde_json::from_str::<WireJob>(line.trim_end()) {
            Ok(job) => {
                let path = job.path.to_path();
                pool::test_hooks(&path);
                let artifacts = job.artifacts.map(|a| a.to_path());
                match pool::convert(&path, vocab, artifacts.as_deref()) {
                    Ok(part) => WireResult::Part(Box::new(part)),
                    Err(e) => WireResult::Fatal(format!("{e:#}")),
                }
            }
            Err(e) => WireResult::Fatal(format!("worker received an unreadable job: {e}")),
        };
        let mut out = serde_json::to_vec(&result).context("cannot serialize a result")?;
        out.push(b'\n');
        stdout.write_all(&out).context("cannot write a result")?;
        stdout.flush().context("cannot write a result")?;
    }
}
