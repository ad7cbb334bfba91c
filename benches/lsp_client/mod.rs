//! A `baton lsp` client over real stdio for the benchmarks (`benches/lsp.rs`, `benches/soak.rs`):
//! starts the server binary, frames messages, answers server requests, reads RSS.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A running server and the messages it sent, stamped with their arrival time.
pub struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<(Instant, Value)>,
    next_id: i64,
}

impl Server {
    /// Starts `baton lsp` on `root` and initializes it (`BATON_BENCH_SERVER`, if set, names the
    /// binary to run instead of this build's). With `BATON_LOG` set (e.g. `debug`: each analysis job's
    /// time), the server's log is appended to `target/bench-lsp-server.log`.
    pub fn start(root: &Path) -> Server {
        // `BATON_BENCH_SERVER=/path/to/baton` drives another build (to compare two in one run).
        let server = std::env::var_os("BATON_BENCH_SERVER").unwrap_or_else(|| env!("CARGO_BIN_EXE_baton").into());
        let mut child = Command::new(server)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(server_log())
            .spawn()
            .expect("baton lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = v.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let value: Value = serde_json::from_slice(&body).unwrap();
                if tx.send((Instant::now(), value)).is_err() {
                    return;
                }
            }
        });
        let mut server = Server { child, stdin, messages: rx, next_id: 1 };
        let uri = format!("file://{}", root.display());
        server.request(
            "initialize",
            json!({"processId": null, "rootUri": uri, "capabilities": {"window": {"workDoneProgress": true}}}),
        );
        server.notify("initialized", json!({}));
        server
    }

    /// Sends one message.
    pub fn send(&mut self, message: Value) {
        let body = serde_json::to_string(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == id).1
    }

    /// Waits for a message matching `accept`, answering server requests on the way.
    pub fn wait(&mut self, accept: impl Fn(&Value) -> bool) -> (Instant, Value) {
        loop {
            let (at, message) = self.messages.recv_timeout(Duration::from_secs(120)).expect("server answers");
            if message.get("method").is_some() && message.get("id").is_some() {
                self.send(json!({"jsonrpc": "2.0", "id": message["id"], "result": null}));
                continue;
            }
            if accept(&message) {
                return (at, message);
            }
        }
    }

    /// Waits until the server has sent nothing for `quiet` (answering its requests), and returns
    /// how many messages came meanwhile.
    pub fn settle(&mut self, quiet: Duration) -> usize {
        let mut seen = 0;
        while let Ok((_, message)) = self.messages.recv_timeout(quiet) {
            if message.get("method").is_some() && message.get("id").is_some() {
                self.send(json!({"jsonrpc": "2.0", "id": message["id"], "result": null}));
            }
            seen += 1;
        }
        seen
    }

    /// The server's resident set size.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// `shutdown` + `exit`, then waits for the process.
    pub fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let _ = self.child.wait();
    }
}

/// The `p` quantile (0..=1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Where the server's stderr goes: nowhere, or with `BATON_LOG` set, the bench log file.
fn server_log() -> Stdio {
    if std::env::var_os("BATON_LOG").is_none() {
        return Stdio::null();
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-lsp-server.log");
    match std::fs::OpenOptions::new().create(true).append(true).open(path) {
        Ok(file) => Stdio::from(file),
        Err(_) => Stdio::null(),
    }
}
