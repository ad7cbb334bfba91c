//! An in-process LSP client: the server runs over `tokio::io::duplex` with the real
//! Content-Length framing; the test sends and reads whole JSON messages.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::copy_dir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};

/// A connected client.
pub struct Client {
    writer: WriteHalf<DuplexStream>,
    reader: BufReader<ReadHalf<DuplexStream>>,
    next_id: i64,
    /// Messages from the server not consumed yet.
    pub inbox: VecDeque<Value>,
    /// Server-to-client requests seen (answered automatically).
    pub server_requests: Vec<Value>,
    /// The workspace root (a temporary copy).
    pub root: PathBuf,
    /// `initializationOptions.trusted` sent by [`Client::initialize`].
    pub trusted: bool,
    _dir: Option<tempfile::TempDir>,
}

/// A temporary copy of `examples/<name>`.
pub fn example_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(name);
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name), &root);
    let root = std::fs::canonicalize(root).unwrap();
    (dir, root)
}

/// The `file://` URI of a path.
pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl Client {
    /// Starts the server (test hooks on) with no workspace yet.
    pub fn start(root: PathBuf, dir: Option<tempfile::TempDir>) -> Client {
        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        tokio::spawn(baton::lsp::serve(server_read, server_write, true));
        let (read, write) = tokio::io::split(client_side);
        Client {
            writer: write,
            reader: BufReader::new(read),
            next_id: 1,
            inbox: VecDeque::new(),
            server_requests: Vec::new(),
            root,
            trusted: false,
            _dir: dir,
        }
    }

    /// Sends one message.
    pub async fn send(&mut self, message: Value) {
        let body = serde_json::to_string(&message).unwrap();
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.writer.write_all(frame.as_bytes()).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// Writes bytes as they are, without framing.
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// Sends a raw body in a frame (for malformed-message tests).
    pub async fn send_raw(&mut self, body: &str) {
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.writer.write_all(frame.as_bytes()).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// Reads the next message from the wire, answering server requests on the way.
    pub async fn read_message(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(20), self.read_frame())
                .await
                .expect("server answered within 20 s");
            if message.get("method").is_some() && message.get("id").is_some() {
                // A server→client request: answer with an empty success (an edit is applied).
                let id = message["id"].clone();
                let result =
                    if message["method"] == "workspace/applyEdit" { json!({"applied": true}) } else { Value::Null };
                self.server_requests.push(message);
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": result})).await;
                continue;
            }
            return message;
        }
    }

    async fn read_frame(&mut self) -> Value {
        let mut length = None;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = Some(value.parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; length.expect("Content-Length header")];
        self.reader.read_exact(&mut body).await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Sends a request and returns its response; notifications that arrive meanwhile are kept.
    /// The `source.fixAll.baton` code actions of the document at `file_uri` (the whole response).
    pub async fn fix_all(&mut self, file_uri: &str) -> Value {
        self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": file_uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                   "context": {"diagnostics": [], "only": ["source.fixAll.baton"]}}),
        )
        .await
    }

    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        loop {
            let message = self.read_message().await;
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
            self.inbox.push_back(message);
        }
    }

    /// Waits for the response to a request sent with [`Client::send`].
    pub async fn response(&mut self, id: i64) -> Value {
        if let Some(i) = self.inbox.iter().position(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none()) {
            return self.inbox.remove(i).unwrap();
        }
        loop {
            let message = self.read_message().await;
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.inbox.push_back(message);
        }
    }

    /// Sends a notification.
    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params})).await;
    }

    /// Waits for a notification of `method` matching `accept`, keeping others.
    pub async fn wait_for(&mut self, method: &str, accept: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.inbox.iter().position(|m| m["method"] == method && accept(&m["params"])) {
            return self.inbox.remove(i).unwrap();
        }
        loop {
            let message = self.read_message().await;
            if message["method"] == method && accept(&message["params"]) {
                return message;
            }
            self.inbox.push_back(message);
        }
    }

    /// Waits for the diagnostics of `path` (relative to the root) that satisfy `accept`.
    pub async fn diagnostics_for(&mut self, path: &str, accept: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let uri = uri(&self.root.join(path));
        let message = self
            .wait_for("textDocument/publishDiagnostics", |p| {
                p["uri"] == uri.as_str() && accept(p["diagnostics"].as_array().unwrap())
            })
            .await;
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }

    /// `initialize` + `initialized` with typical client capabilities plus `extra` merged in.
    pub async fn initialize(&mut self, extra_capabilities: Value) -> Value {
        self.initialize_with(extra_capabilities, json!({"trusted": self.trusted})).await
    }

    /// `initialize` + `initialized` with the given `initializationOptions`.
    pub async fn initialize_with(&mut self, extra_capabilities: Value, options: Value) -> Value {
        let mut capabilities = json!({
            "window": {"workDoneProgress": true},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}, "workspaceFolders": true},
            "textDocument": {"codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source"]}}}}
        });
        merge(&mut capabilities, extra_capabilities);
        let root_uri = uri(&self.root);
        let response = self
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": root_uri,
                    "capabilities": capabilities,
                    "workspaceFolders": [{"uri": root_uri, "name": "root"}],
                    "initializationOptions": options
                }),
            )
            .await;
        self.notify("initialized", json!({})).await;
        response
    }

    /// Opens a file of the root with its text from disk.
    pub async fn open(&mut self, path: &str, language: &str) -> String {
        let full = self.root.join(path);
        let text = std::fs::read_to_string(&full).unwrap();
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(&full), "languageId": language, "version": 1, "text": text}}),
        )
        .await;
        text
    }
}

/// Deep-merges `extra` into `base`.
pub fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (key, value) in extra {
                merge(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (base, extra) => *base = extra,
    }
}

/// Applies LSP text edits (UTF-16 positions) to a text.
pub fn apply_lsp_edits(text: &str, edits: &[Value]) -> String {
    let index = baton::line_index::LineIndex::new(text);
    let mut resolved: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let pos = |p: &Value| baton::line_index::Position {
                line: p["line"].as_u64().unwrap() as u32,
                character: p["character"].as_u64().unwrap() as u32,
            };
            let enc = baton::line_index::ColumnEncoding::Utf16;
            (
                index.offset(text, pos(&e["range"]["start"]), enc),
                index.offset(text, pos(&e["range"]["end"]), enc),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    resolved.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut out = text.to_string();
    for (start, end, new_text) in resolved {
        out.replace_range(start..end, &new_text);
    }
    out
}
