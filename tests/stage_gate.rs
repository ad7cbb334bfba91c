//! The gate runner with real child processes, and atomic evidence writes under SIGKILL.

use std::path::Path;
use std::time::{Duration, Instant};

use baton::config::GateConfig;
use baton::stage::gate::{self, CancelToken, Outcome, LOG_CAP, TAIL_BYTES};
use baton::stage::{Evidence, GitState};

fn gate(command: &str, timeout_s: u64) -> GateConfig {
    GateConfig { command: command.to_string(), timeout_s }
}

fn run(root: &Path, command: &str, timeout_s: u64) -> gate::GateRun {
    gate::run(root, &gate(command, timeout_s), &root.join(".baton/logs/g.log"), &CancelToken::new()).unwrap()
}

#[test]
fn passing_gate_runs_in_the_workspace_root_and_captures_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok"), "").unwrap();
    let r = run(dir.path(), "test -f ok && echo fine && echo warn >&2", 10);
    assert_eq!(r.outcome, Outcome::Passed);
    assert_eq!(r.exit_code, Some(0));
    assert_eq!(r.output_tail, "fine\nwarn");
    assert_eq!(std::fs::read_to_string(&r.log).unwrap(), "fine\nwarn\n");
}

#[test]
fn failing_gate_keeps_exit_code_and_tail() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), "echo 'src/a.ts(3,1): error TS2322'; exit 2", 10);
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!(r.exit_code, Some(2));
    assert!(r.output_tail.contains("TS2322"), "{}", r.output_tail);
}

#[test]
fn timeout_kills_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let r = run(dir.path(), "echo started; sleep 30", 1);
    assert_eq!(r.outcome, Outcome::TimedOut);
    assert_eq!(r.exit_code, None);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(
        r.output_tail.starts_with("started") && r.output_tail.ends_with("timed out after 1 s"),
        "{}",
        r.output_tail
    );
}

#[test]
fn cancellation_kills_the_whole_process_tree() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("grandchild-was-here");
    let cancel = CancelToken::new();
    let canceller = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            cancel.cancel();
        })
    };
    // A grandchild in the background that would write a file after one second.
    let command = "(sleep 1; touch grandchild-was-here) & sleep 30; wait";
    let started = Instant::now();
    let r = gate::run(dir.path(), &gate(command, 60), &dir.path().join("g.log"), &cancel).unwrap();
    canceller.join().unwrap();
    assert_eq!(r.outcome, Outcome::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(3));
    std::thread::sleep(Duration::from_millis(1800));
    assert!(!marker.exists(), "the grandchild survived cancellation");
}

#[test]
fn huge_output_is_truncated_in_log_and_tail() {
    let dir = tempfile::tempdir().unwrap();
    let total = LOG_CAP + 3 * 1024 * 1024;
    let r = run(dir.path(), &format!("head -c {total} /dev/zero | tr '\\0' 'x'; echo; echo END"), 60);
    assert_eq!(r.outcome, Outcome::Passed);
    assert_eq!(r.output_bytes, total + 5);
    assert!(r.output_tail.len() <= TAIL_BYTES && r.output_tail.ends_with("END"), "{}", r.output_tail.len());
    let log_len = std::fs::metadata(&r.log).unwrap().len();
    assert!(log_len > LOG_CAP && log_len < LOG_CAP + 200, "log is {log_len} bytes");
    let log = std::fs::read(&r.log).unwrap();
    assert!(String::from_utf8_lossy(&log[log.len() - 100..]).contains("output truncated"));
}

/// Run as a child process by `evidence_writes_are_atomic_under_sigkill`: writes evidence forever.
#[test]
fn atomic_writer_child() {
    let Ok(root) = std::env::var("BATON_TEST_ATOMIC_ROOT") else { return };
    let mut n: u64 = 0;
    loop {
        n += 1;
        let mut e = Evidence::approval("qa", &format!("writer {n}"), Some(&"note ".repeat(5000)), &GitState::default());
        e.note = Some(format!("{}{n}", "x".repeat((n % 7000) as usize)));
        e.write(Path::new(&root), "ITEM-1").unwrap();
    }
}

#[test]
fn evidence_writes_are_atomic_under_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let path = baton::stage::evidence::evidence_path(dir.path(), "ITEM-1", "approval:qa");
    let mut reads = 0;
    for round in 0..20 {
        let mut child = std::process::Command::new(&exe)
            .args(["--exact", "atomic_writer_child", "--nocapture", "--test-threads=1"])
            .env("BATON_TEST_ATOMIC_ROOT", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !path.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Read while the writer replaces the file over and over: always a whole file.
        let kill_at = Instant::now() + Duration::from_millis(50 + round * 13);
        while Instant::now() < kill_at {
            let text = std::fs::read_to_string(&path).unwrap();
            serde_json::from_str::<Evidence>(&text).unwrap_or_else(|e| panic!("torn evidence file while writing: {e}"));
            reads += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed: Evidence = serde_json::from_str(&text).unwrap_or_else(|e| panic!("torn evidence file: {e}"));
        assert!(parsed.by.starts_with("writer "));
    }
    assert!(reads > 100, "only {reads} reads during the writes");
}

/// Whether process `pid` is gone (or a zombie nobody reaped: dead all the same).
fn is_dead(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Issue 26: children that leave the process group (`setsid`, a double fork into a new session)
/// are killed too, after a normal exit and after a timeout, and the output the gate printed is
/// kept although an orphan still holds the pipe.
#[test]
#[cfg(target_os = "linux")]
fn descendants_that_leave_the_process_group_are_killed_and_the_output_kept() {
    for (command, timeout_s, outcome) in [
        ("setsid sh -c 'echo $$ > orphan.pid; exec sleep 300' & sleep 0.3; echo printed", 60, Outcome::Passed),
        (
            "( setsid sh -c 'echo $$ > orphan.pid; exec sleep 300' & ); sleep 0.3; echo printed; exit 3",
            60,
            Outcome::Failed,
        ),
        ("setsid sh -c 'echo $$ > orphan.pid; exec sleep 300' & echo printed; sleep 30", 1, Outcome::TimedOut),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let r = run(dir.path(), command, timeout_s);
        assert_eq!(r.outcome, outcome, "{command}");
        assert!(r.output_tail.starts_with("printed"), "{command}: the output was lost: {:?}", r.output_tail);
        assert!(started.elapsed() < Duration::from_secs(10), "{command}: took {:?}", started.elapsed());
        let pid = std::fs::read_to_string(dir.path().join("orphan.pid")).unwrap();
        let pid = pid.trim();
        let deadline = Instant::now() + Duration::from_secs(2);
        while !is_dead(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(is_dead(pid), "{command}: the orphan {pid} survived");
    }
}
