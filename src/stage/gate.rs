//! The gate runner: a `[gates.<name>]` command run through `sh -c` in the workspace root, in its
//! own process group, with a timeout and cancellation (both kill the whole group), its stdout and
//! stderr captured together through one pipe into a bounded log file, and the end of the output
//! kept for the evidence. The exit status decides.
//!
//! When the run ends — normally, by timeout or cancellation — every process it started goes:
//! the process group is killed, and on Linux also every process that carries the run's marker
//! in its environment (`BATON_RUN=<token>`, inherited by all descendants), so children that left
//! the group (`setsid`, a double fork into a new session) do not survive it. The sweep repeats
//! until a pass finds nobody, so a process forked during the sweep is caught too. What escapes:
//! a descendant that both leaves the group and clears its environment; on other Unix systems
//! (no `/proc`) a descendant that leaves the group; on Windows anything but the direct child.
//! The output printed is kept even when an escaped (or not yet killed) descendant holds the
//! pipe open: the tail is taken from what was read when the run ends.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::GateConfig;

/// Bytes of output kept in the evidence's `output_tail`.
pub const TAIL_BYTES: usize = 4096;
/// Bytes of output kept in the log file; the rest is counted and dropped.
pub const LOG_CAP: u64 = 16 * 1024 * 1024;

/// A flag that cancels a running gate (or agent); cheap to clone and share between threads.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }
    /// Cancels: the runner kills the process group at its next check (within 20 ms).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0.
    Passed,
    /// Non-zero exit status, or killed by a signal.
    Failed,
    /// Killed after `timeout_s`.
    TimedOut,
    /// Killed because the user cancelled; records no evidence.
    Cancelled,
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct GateRun {
    /// How it ended.
    pub outcome: Outcome,
    /// The exit code, when the shell exited.
    pub exit_code: Option<i32>,
    /// Wall time.
    pub duration_ms: u64,
    /// The last [`TAIL_BYTES`] of the output (lossy UTF-8, from a line start when possible).
    pub output_tail: String,
    /// Total bytes of output.
    pub output_bytes: u64,
    /// Where the full (capped) log was written.
    pub log: PathBuf,
}

/// The environment variable that marks every process of a run (see the module documentation).
pub const RUN_MARKER: &str = "BATON_RUN";

/// A token unique to one run of this process.
fn run_token() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// What to run: a program with arguments (agents) or a shell command (gates).
#[derive(Clone, Debug)]
pub enum Program {
    /// `sh -c COMMAND`.
    Shell(String),
    /// A program and its arguments, run without a shell.
    Argv(Vec<String>),
}

/// Runs gate `gate` in `root`, writing its log to `log` (atomically, when it ends).
pub fn run(root: &Path, gate: &GateConfig, log: &Path, cancel: &CancelToken) -> std::io::Result<GateRun> {
    run_program(root, &Program::Shell(gate.command.clone()), Duration::from_secs(gate.timeout_s), log, cancel)
}

/// Runs `program` in `root` in its own process group; see the module documentation.
pub fn run_program(
    root: &Path,
    program: &Program,
    timeout: Duration,
    log: &Path,
    cancel: &CancelToken,
) -> std::io::Result<GateRun> {
    // The log is written like every other file (`atomic`): no link on its path, inside `root`.
    let dir = crate::atomic::prepare(root, log)?;
    let log_file = tempfile::Builder::new().prefix(".baton-tmp-").tempfile_in(&dir)?;
    let (reader, writer) = std::io::pipe()?;
    let token = run_token();
    let started = Instant::now();
    let mut child = {
        let mut command = match program {
            Program::Shell(text) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(text);
                c
            }
            Program::Argv(argv) => {
                let Some((first, rest)) = argv.split_first() else {
                    return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"));
                };
                let mut c = Command::new(first);
                c.args(rest);
                c
            }
        };
        command.current_dir(root).stdin(Stdio::null()).stdout(writer.try_clone()?).stderr(writer);
        command.env(RUN_MARKER, &token);
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        command.spawn()?
        // `command` (holding the pipe's write ends) is dropped here, so the reader sees EOF when
        // the process group closes its copies.
    };
    let captured = Arc::new(Mutex::new(Captured::default()));
    let mut sink = log_file.reopen()?;
    let capturing = {
        let captured = captured.clone();
        std::thread::spawn(move || capture(reader, &mut sink, &captured))
    };

    let deadline = started + timeout;
    let outcome = loop {
        if let Some(status) = child.try_wait()? {
            break if status.success() { (Outcome::Passed, status.code()) } else { (Outcome::Failed, status.code()) };
        }
        if cancel.is_cancelled() || Instant::now() >= deadline {
            kill_group(&mut child);
            let _ = child.wait();
            break if cancel.is_cancelled() { (Outcome::Cancelled, None) } else { (Outcome::TimedOut, None) };
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever the shell left behind goes too, in its group or not: a gate's verdict is its
    // exit status, and a straggler would keep the pipe (and the next run's files) busy.
    kill_group(&mut child);
    sweep(&token);
    let duration_ms = started.elapsed().as_millis() as u64;
    // The pipe ends once every holder is gone; one that escaped the sweep keeps it open, and
    // then what was read so far is the output.
    let until = Instant::now() + Duration::from_secs(2);
    while !capturing.is_finished() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    let (tail, total) = {
        let captured = captured.lock().unwrap_or_else(|p| p.into_inner());
        (captured.tail.iter().copied().collect::<Vec<u8>>(), captured.total)
    };
    let mut output_tail = tail_text(&tail);
    match outcome.0 {
        Outcome::TimedOut => output_tail.push_str(&format!("\n[baton] timed out after {} s", timeout.as_secs())),
        Outcome::Cancelled => output_tail.push_str("\n[baton] cancelled"),
        _ => {}
    }
    let mut file = log_file.as_file();
    if total > LOG_CAP && std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0)).is_ok() {
        let _ = writeln!(file, "\n[baton] output truncated: {total} bytes, the first {LOG_CAP} kept");
    }
    log_file.persist(log).map_err(|e| e.error)?;
    Ok(GateRun {
        outcome: outcome.0,
        exit_code: outcome.1,
        duration_ms,
        output_tail,
        output_bytes: total,
        log: log.to_path_buf(),
    })
}

/// What [`capture`] has read so far.
#[derive(Default)]
struct Captured {
    /// The last [`TAIL_BYTES`] bytes.
    tail: VecDeque<u8>,
    /// Every byte read.
    total: u64,
}

/// Copies the pipe into `sink` up to [`LOG_CAP`] bytes, keeping the last [`TAIL_BYTES`] and the
/// total in `captured` as it goes.
fn capture(mut reader: std::io::PipeReader, sink: &mut std::fs::File, captured: &Mutex<Captured>) {
    let mut total: u64 = 0;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let chunk = &buf[..n];
        if total < LOG_CAP {
            let keep = (LOG_CAP - total).min(n as u64) as usize;
            let _ = sink.write_all(&chunk[..keep]);
        }
        total += n as u64;
        let start = n.saturating_sub(TAIL_BYTES);
        let mut captured = captured.lock().unwrap_or_else(|p| p.into_inner());
        captured.total = total;
        captured.tail.extend(&chunk[start..]);
        let excess = captured.tail.len().saturating_sub(TAIL_BYTES);
        captured.tail.drain(..excess);
    }
}

/// Kills (SIGKILL) every process whose environment carries this run's marker, until a pass
/// finds none (at most 50 passes). Linux only (`/proc`); elsewhere nothing.
fn sweep(token: &str) {
    #[cfg(target_os = "linux")]
    {
        let needle = format!("{RUN_MARKER}={token}");
        let own = std::process::id();
        for _ in 0..50 {
            let Ok(entries) = std::fs::read_dir("/proc") else { return };
            let mut found = false;
            for entry in entries.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
                if pid == own {
                    continue;
                }
                let Ok(environ) = std::fs::read(entry.path().join("environ")) else { continue };
                if environ.split(|b| *b == 0).any(|var| var == needle.as_bytes()) {
                    found = true;
                    // SAFETY: kill(2) on a process id; it touches no memory.
                    unsafe {
                        libc::kill(pid as libc::pid_t, libc::SIGKILL);
                    }
                }
            }
            if !found {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = token;
}

/// The tail as text: lossy UTF-8, starting after the first line break when the tail was cut.
fn tail_text(tail: &[u8]) -> String {
    let text = String::from_utf8_lossy(tail);
    let text = if tail.len() >= TAIL_BYTES {
        text.split_once('\n').map(|(_, rest)| rest).unwrap_or(&text).to_string()
    } else {
        text.into_owned()
    };
    text.trim_end().to_string()
}

/// Kills the child's whole process group (SIGKILL); the child itself elsewhere.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let pid = child.id() as libc::pid_t;
        // SAFETY: kill(2) with a negative pid signals the process group the child leads (it was
        // spawned with process_group(0)); it touches no memory.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    {
        let _ = child.kill();
    }
}

/// `.baton/logs/<item>/gate-<name>.log` (or `.baton/logs/gate-<name>.log` without an item).
pub fn log_path(root: &Path, item: Option<&str>, gate: &str) -> PathBuf {
    let file = format!("gate-{}.log", super::evidence::item_dir(gate));
    match item {
        Some(item) => root.join(".baton/logs").join(super::evidence::item_dir(item)).join(file),
        None => root.join(".baton/logs").join(file),
    }
}
