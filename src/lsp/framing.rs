//! A guard in front of the protocol reader. `tower-lsp-server` stops reading for good after a
//! frame it cannot decode (the stream ends on a decoder error), so one malformed message would
//! take the server down. Every frame passes through here first: a frame whose body is not a
//! JSON-RPC message is replaced by a `$/baton/invalidMessage` message (logged, otherwise
//! ignored; when the frame carried a usable request id, the replacement keeps it, so the
//! client gets an "invalid request" error instead of waiting for ever).
//!
//! The guard resynchronises on the next `Content-Length:` header after anything it cannot use,
//! so one bad frame never costs the frames after it:
//! - stray bytes before a header are skipped (and reported when they are not header lines);
//! - a header block with a line that is not a header, no usable `Content-Length`, or one over
//!   [`MAX_BODY`] is reported and skipped;
//! - a body whose `Content-Length` is too large (the next frame's header shows up inside it,
//!   where no JSON text can contain one) ends where that header starts; one whose length is too
//!   small (a JSON object left open, closed by the bytes after it) is taken with those bytes.
//!
//! Such a frame is never executed (its content is in doubt): it is reported, and a request whose
//! id can be read from it is answered "invalid request" with the reason.
//!
//! The guard also acts on every `$/cancelRequest` as it arrives ([`Cancellations`]):
//! tower-lsp-server reads a cancellation only after the requests queued before it have been
//! taken up, so a client that cancels a backlog would otherwise wait for all of it to run.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tower_lsp_server::jsonrpc::Id;

use super::cancel::Cancellations;

/// The method invalid frames are turned into.
pub const INVALID_MESSAGE_METHOD: &str = "$/baton/invalidMessage";

/// Bodies larger than this are rejected (a 50 MB `didOpen` still fits).
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// A header block longer than this is broken.
const MAX_HEADER: usize = 8 * 1024;

/// The header the guard resynchronises on (compared without regard to case).
const NEEDLE: &[u8] = b"content-length:";

/// The client's bytes, read in chunks as needed.
struct Input<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    ended: bool,
}

impl<R: AsyncRead + Unpin> Input<R> {
    /// The bytes read and not consumed yet.
    fn data(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start >= 1 << 16 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// Reads what the client sends within a moment after a broken frame (its own bytes, when
    /// its length was wrong), until `enough` holds for the bytes from `from` on.
    async fn linger(&mut self, from: usize, enough: impl Fn(&[u8]) -> bool) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(100);
        while !enough(&self.data()[from..]) && self.data().len() - from < 8 * MAX_HEADER {
            match tokio::time::timeout_at(deadline, self.more()).await {
                Ok(true) => {}
                _ => return,
            }
        }
    }

    /// Reads more; false at the end of the input (or on an error).
    async fn more(&mut self) -> bool {
        if self.ended {
            return false;
        }
        self.buf.reserve(64 * 1024);
        match self.reader.read_buf(&mut self.buf).await {
            Ok(0) | Err(_) => {
                self.ended = true;
                false
            }
            Ok(_) => true,
        }
    }
}

/// Where the first `Content-Length:` at or after `from` starts (wholly inside `data`).
fn find_header(data: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at < data.len() {
        let found = at + memchr::memchr2(b'c', b'C', &data[at..])?;
        if data.len() - found < NEEDLE.len() {
            return None;
        }
        if data[found..found + NEEDLE.len()].eq_ignore_ascii_case(NEEDLE) {
            return Some(found);
        }
        at = found + 1;
    }
    None
}

/// Whether `line` (without its line end) is a header line, `Name: value`. With `partial`, the
/// line may still be incomplete: whether it can still become one.
fn header_line(line: &[u8], partial: bool) -> bool {
    // An incomplete line may be the `\r` of a line end still on its way.
    let line = if partial { line.strip_suffix(b"\r").unwrap_or(line) } else { line };
    if partial && line.is_empty() {
        return true;
    }
    let name_end = line.iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'-'));
    match name_end {
        None => partial,
        Some(0) => false,
        Some(end) => line[end] == b':' && line[end + 1..].iter().all(|b| *b == b'\t' || !b.is_ascii_control()),
    }
}

/// Whether the bytes skipped before a header are noise worth reporting: anything but blank
/// space and header lines leading up to it (such as a `Content-Type` before the
/// `Content-Length`); a header block without a `Content-Length` is noise.
fn is_noise(skipped: &[u8]) -> bool {
    let mut lines = skipped.split(|b| *b == b'\n').peekable();
    let mut in_header = false;
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let last = lines.peek().is_none();
        if line.iter().all(u8::is_ascii_whitespace) {
            if in_header && !last {
                return true;
            }
        } else if last || !header_line(line, false) {
            return true;
        } else {
            in_header = true;
        }
    }
    false
}

/// Where the JSON object starting (after blank space) at the beginning of `bytes` ends, if it
/// is closed inside `bytes`. Strings may not hold raw line breaks (JSON forbids them, and they
/// are how a frame header ends).
fn object_end(bytes: &[u8]) -> Option<usize> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if bytes[start] != b'{' {
        return None;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_string {
            match b {
                b'\n' | b'\r' => return None,
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Looks for the next frame's header inside a body as it arrives, in one pass: a
/// `Content-Length:` outside a JSON string (where no JSON text has a letter `C`), or on the
/// line of a raw line break inside a string (which JSON forbids, and which ends every header
/// line), or anywhere once the body is known to be invalid, is a real header.
struct BodyScan {
    pos: usize,
    line_start: usize,
    in_string: bool,
    escaped: bool,
    broken: bool,
}

impl BodyScan {
    fn new(start: usize) -> BodyScan {
        BodyScan { pos: start, line_start: start, in_string: false, escaped: false, broken: false }
    }

    /// Scans `data` up to `limit`; returns where a real header starts, if one does.
    fn scan(&mut self, data: &[u8], limit: usize) -> Option<usize> {
        while self.pos < limit.min(data.len()) {
            let i = self.pos;
            let b = data[i];
            if matches!(b, b'c' | b'C') && (self.broken || !self.in_string) {
                if data.len() - i < NEEDLE.len() {
                    return None; // the rest of a possible header has not arrived yet
                }
                if data[i..i + NEEDLE.len()].eq_ignore_ascii_case(NEEDLE) {
                    return Some(i);
                }
            }
            self.pos += 1;
            if self.in_string {
                match b {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    b'\n' | b'\r' => {
                        self.broken = true;
                        if let Some(k) = find_header(&data[..i], self.line_start) {
                            return Some(k);
                        }
                        self.line_start = i + 1;
                    }
                    _ => {}
                }
            } else if b == b'"' {
                self.in_string = true;
            } else if b == b'\n' {
                self.line_start = i + 1;
            }
        }
        None
    }
}

/// What can be saved of a broken frame whose body starts at `bytes`: how long its JSON object
/// is (0 when there is none before the next header) and the id of the request it is, if any.
fn salvage(bytes: &[u8]) -> (usize, Option<serde_json::Value>) {
    let limit = find_header(bytes, 0).unwrap_or(bytes.len());
    object_end(&bytes[..limit]).map_or((0, None), |end| (end, usable_id(&bytes[..end])))
}

/// A broken frame's body: where its object really ends when that is not where its
/// `Content-Length` says (`data` holds the body from its start and whatever was read after it,
/// `declared` is the length, `next_header` where the next frame's header starts in `data`, if it
/// does). Returns the message's length, how much of `data` the frame takes, and the reason; or
/// `None` when the lengths agree.
fn misframed(data: &[u8], declared: usize, next_header: Option<usize>) -> Option<(usize, usize, String)> {
    let limit = next_header.unwrap_or(data.len());
    let end = object_end(&data[..limit])?;
    if end < declared {
        let stop = declared.min(limit);
        let rest = &data[end.min(stop)..stop];
        let longer = limit < declared || !rest.iter().all(u8::is_ascii_whitespace);
        let reason = format!("Content-Length {declared} is longer than the message ({end} bytes)");
        // What may be the start of the next header, cut by the read, stays.
        let tail = rest.trim_ascii_start();
        let stop = if !tail.is_empty()
            && NEEDLE[..tail.len().min(NEEDLE.len())].eq_ignore_ascii_case(&tail[..tail.len().min(NEEDLE.len())])
        {
            end
        } else {
            stop
        };
        return longer.then_some((end, stop, reason));
    }
    let reason = format!("Content-Length {declared} is shorter than the message ({end} bytes)");
    (end > declared).then_some((end, end, reason))
}

/// Copies frames from `input` to `output`, replacing invalid ones and passing cancellations to
/// `cancellations`. Returns when `input` ends.
pub async fn sanitize(
    input: impl AsyncRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
    cancellations: &Cancellations,
) {
    let mut input = Input { reader: input, buf: Vec::new(), start: 0, ended: false };
    // Bytes skipped while looking for a header, and whether any of them was noise.
    let mut skipped = (0usize, false);
    'frames: loop {
        // The next header.
        let at = loop {
            if let Some(at) = find_header(input.data(), 0) {
                break at;
            }
            // Megabytes without a header are noise; keep what could be the start of one.
            if input.data().len() > 8 * MAX_HEADER {
                let drop = input.data().len() - (NEEDLE.len() - 1);
                skipped.0 += drop;
                skipped.1 |= input.data()[..drop].iter().any(|b| !b.is_ascii_whitespace());
                input.consume(drop);
            }
            if !input.more().await {
                return;
            }
        };
        skipped.0 += at;
        skipped.1 |= is_noise(&input.data()[..at]);
        input.consume(at);
        let (count, noise) = std::mem::take(&mut skipped);
        if noise {
            let reason = format!("{count} stray bytes before a frame header were skipped");
            if !forward(&mut output, &invalid(&reason, None)).await {
                return;
            }
        }
        // The header block: lines up to an empty one.
        let (header_end, length) = loop {
            let data = input.data();
            let mut line_start = 0;
            let mut length = None;
            let mut broken = None;
            let mut end = None;
            while line_start < data.len() && line_start <= MAX_HEADER {
                let Some(newline) = memchr::memchr(b'\n', &data[line_start..]) else {
                    if !header_line(&data[line_start..], true) {
                        broken = Some(line_start);
                    }
                    break;
                };
                let line = &data[line_start..line_start + newline];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    end = Some(line_start + newline + 1);
                    break;
                }
                if !header_line(line, false) {
                    broken = Some(line_start);
                    break;
                }
                if line_start == 0 {
                    length =
                        std::str::from_utf8(&line[NEEDLE.len()..]).ok().and_then(|v| v.trim().parse::<usize>().ok());
                }
                line_start += newline + 1;
            }
            if broken.is_none() && end.is_none() && (data.len() > MAX_HEADER || line_start > MAX_HEADER) {
                broken = Some(0);
            }
            // Another `Content-Length` inside this header (after a line cut short, or a second
            // one): this one was the tail of something else; resynchronise there.
            let scanned = end.or(broken).unwrap_or(data.len());
            if let Some(next) = find_header(&data[..scanned.min(data.len())], 1) {
                skipped = (next, true);
                input.consume(next);
                continue 'frames;
            }
            if let Some(line) = broken {
                input.linger(line, |after| find_header(after, 1).is_some() || object_end(after).is_some()).await;
                let data = input.data();
                let (body, id) = salvage(&data[line..]);
                let reason = "a broken frame header (a line that is not `Name: value`) was skipped";
                input.consume(if body > 0 { line + body } else { NEEDLE.len() });
                if !forward(&mut output, &invalid(reason, id)).await {
                    return;
                }
                continue 'frames;
            }
            if let Some(end) = end {
                break (end, length);
            }
            if !input.more().await {
                return;
            }
        };
        let Some(length) = length.filter(|l| *l <= MAX_BODY) else {
            // The body's own end tells how much to skip.
            input.linger(header_end, |after| find_header(after, 0).is_some() || object_end(after).is_some()).await;
            let (body, id) = salvage(&input.data()[header_end..]);
            input.consume(header_end + body);
            let reason = "missing, invalid or oversized Content-Length header";
            if !forward(&mut output, &invalid(reason, id)).await {
                return;
            }
            continue;
        };
        // The body. A real header inside it means the length was too large and the next
        // frame has begun: the body ends there.
        let mut scan = BodyScan::new(header_end);
        let mut cut = None;
        while input.data().len() < header_end + length {
            cut = scan.scan(input.data(), header_end + length);
            if cut.is_some() || !input.more().await {
                break;
            }
        }
        if input.data().len() < header_end + length && cut.is_none() {
            return; // the input ended inside the body
        }
        let checked = match cut {
            None => check(&input.data()[header_end..header_end + length]),
            Some(_) => Err(String::new()),
        };
        if checked.is_err() && cut.is_none() {
            // A JSON object left open may be closed by bytes the client sent after it (a length
            // too small), and a header may start inside the body: wait a moment for them.
            input.linger(header_end, |after| find_header(after, 0).is_some() || object_end(after).is_some()).await;
            // The body is invalid anyway: a header starting inside it ends it.
            let declared_end = header_end + length;
            cut = scan
                .scan(input.data(), declared_end)
                .or_else(|| find_header(input.data(), header_end).filter(|k| *k < declared_end));
        }
        let data = input.data();
        let declared_end = header_end + length;
        let body = &data[header_end..cut.unwrap_or(declared_end)];
        let (consumed, forwarded) = match checked {
            Ok(message) => {
                if message.get("method").and_then(|m| m.as_str()) == Some("$/cancelRequest") {
                    let id = message.get("params").and_then(|p| p.get("id")).cloned();
                    if let Some(id) = id.and_then(|id| serde_json::from_value::<Id>(id).ok()) {
                        cancellations.cancel(id);
                    }
                }
                (declared_end, body.to_vec())
            }
            Err(reason) => {
                let next = cut;
                let after = &data[header_end..];
                let next_in_after = next.or_else(|| find_header(data, declared_end)).map(|k| k - header_end);
                match misframed(after, length, next_in_after) {
                    Some((end, taken, reason)) => (header_end + taken, invalid(&reason, usable_id(&after[..end]))),
                    None => {
                        let end = next.unwrap_or(declared_end);
                        let reason = if reason.is_empty() {
                            format!("Content-Length {length} is longer than the message before the next header")
                        } else {
                            reason
                        };
                        (end, invalid(&reason, salvage(&data[header_end..end]).1))
                    }
                }
            }
        };
        input.consume(consumed);
        if !forward(&mut output, &forwarded).await {
            return;
        }
    }
}

/// The message, if `body` is a JSON-RPC message tower-lsp-server can decode.
fn check(body: &[u8]) -> Result<serde_json::Value, String> {
    let value = check_shape(body)?;
    // Finally what the server itself will do: its typed decoding also refuses what a JSON value
    // accepts, such as a member given twice.
    let request = serde_json::from_slice::<tower_lsp_server::jsonrpc::Request>(body);
    let response = serde_json::from_slice::<tower_lsp_server::jsonrpc::Response>(body);
    match (request, response) {
        (Ok(_), _) | (_, Ok(_)) => Ok(value),
        (Err(e), _) => Err(format!("the message is not valid JSON-RPC: {e}")),
    }
}

/// The message, if `body` is a JSON object shaped like a JSON-RPC request, notification or
/// response (with a reason for the log if not).
fn check_shape(body: &[u8]) -> Result<serde_json::Value, String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let object = value.as_object().ok_or("the message is not a JSON object")?;
    if object.get("jsonrpc").and_then(|v| v.as_str()) != Some("2.0") {
        return Err("the message lacks \"jsonrpc\": \"2.0\"".into());
    }
    match (object.get("method"), object.get("id")) {
        (Some(method), _) if method.is_string() => {
            let params_ok = object.get("params").is_none_or(|p| p.is_object() || p.is_array() || p.is_null());
            let id_ok = object.get("id").is_none_or(|id| id.is_string() || id.is_i64() || id.is_u64() || id.is_null());
            if params_ok && id_ok {
                Ok(value)
            } else {
                Err("the message has an invalid id or params".into())
            }
        }
        (None, Some(_)) if object.contains_key("result") || object.contains_key("error") => Ok(value),
        _ => Err("the message is neither a request, a notification nor a response".into()),
    }
}

/// The id of a message that is an object with a `method` and a string or integer `id`: a
/// request the client waits an answer for.
fn usable_id(body: &[u8]) -> Option<serde_json::Value> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    object.get("method")?;
    object.get("id").filter(|id| id.is_string() || id.is_i64() || id.is_u64()).cloned()
}

/// The replacement of an invalid frame: a notification, or a request with the frame's `id`.
fn invalid(reason: &str, id: Option<serde_json::Value>) -> Vec<u8> {
    let mut message =
        serde_json::json!({"jsonrpc": "2.0", "method": INVALID_MESSAGE_METHOD, "params": {"reason": reason}});
    if let Some(id) = id {
        message["id"] = id;
    }
    serde_json::to_vec(&message).expect("serializes")
}

async fn forward(output: &mut (impl AsyncWrite + Unpin), body: &[u8]) -> bool {
    let header = format!("Content-Length: {}\r\n\r\n", body.len());
    output.write_all(header.as_bytes()).await.is_ok()
        && output.write_all(body).await.is_ok()
        && output.flush().await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::{check, invalid, sanitize, usable_id, INVALID_MESSAGE_METHOD};
    use serde_json::{json, Value};

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn request(id: i64) -> String {
        json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": {}}).to_string()
    }

    /// A reader that hands out `step` bytes at a time (0: all at once).
    struct Trickle<'a>(&'a [u8], usize);

    impl tokio::io::AsyncRead for Trickle<'_> {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let step = if self.1 == 0 { self.0.len() } else { self.1 };
            let n = step.min(self.0.len()).min(buf.remaining());
            buf.put_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// What the guard forwards for `input` read `step` bytes at a time.
    fn forwarded(input: &[u8], step: usize) -> Vec<Value> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let mut output = Vec::new();
        runtime.block_on(sanitize(Trickle(input, step), &mut output, &Default::default()));
        let mut messages = Vec::new();
        let mut rest = output.as_slice();
        while !rest.is_empty() {
            let end = rest.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            let length: usize = std::str::from_utf8(&rest[16..end]).unwrap().parse().unwrap();
            messages.push(serde_json::from_slice(&rest[end + 4..end + 4 + length]).unwrap());
            rest = &rest[end + 4 + length..];
        }
        messages
    }

    /// The ids of the forwarded messages that are requests passed on as they were.
    fn passed(messages: &[Value]) -> Vec<i64> {
        messages.iter().filter(|m| m["method"] != INVALID_MESSAGE_METHOD).filter_map(|m| m["id"].as_i64()).collect()
    }

    /// The reasons and ids of the replaced frames.
    fn replaced(messages: &[Value]) -> Vec<(String, Value)> {
        messages
            .iter()
            .filter(|m| m["method"] == INVALID_MESSAGE_METHOD)
            .map(|m| (m["params"]["reason"].as_str().unwrap().to_string(), m["id"].clone()))
            .collect()
    }

    /// After each kind of broken frame the guard resynchronises on the next header, at any read
    /// size: the requests after it pass, and a broken request whose id is readable keeps it.
    #[test]
    fn resynchronises_after_a_bad_frame() {
        let good = format!("{}{}", frame(&request(2)), frame(&request(3)));
        let one = request(1);
        let cases: Vec<(&str, String, Option<i64>)> = vec![
            ("a stray byte", format!("x{}", frame(&one)), None),
            ("stray text and lines", format!("garbage\r\n\r\nmore\n{}", frame(&one)), None),
            ("one byte short", format!("Content-Length: {}\r\n\r\n{one}", one.len() - 1), Some(1)),
            ("one byte long", format!("Content-Length: {}\r\n\r\n{one}", one.len() + 1), Some(1)),
            ("far too long", format!("Content-Length: {}\r\n\r\n{one}", 200_000_000), Some(1)),
            ("absurd", format!("Content-Length: 99999999999999999999999\r\n\r\n{one}"), Some(1)),
            ("not a number", format!("Content-Length: ten\r\n\r\n{one}"), Some(1)),
            ("no blank line", format!("Content-Length: {}\r\n{one}", one.len()), Some(1)),
            ("a header cut short", "Content-Length: 12".to_string(), None),
            ("a header with no body", "Content-Length: 30\r\n\r\n".to_string(), None),
            ("an open string", "Content-Length: 500\r\n\r\n{\"a\":\"".to_string(), None),
            ("a Content-Type line only", "Content-Type: nothing\r\n\r\n".to_string(), None),
        ];
        for (name, bad, id) in cases {
            for step in [0, 1, 7] {
                let input = format!("{bad}{good}");
                let messages = forwarded(input.as_bytes(), step);
                let expected: Vec<i64> =
                    if name.starts_with("a stray") || name.starts_with("stray") { vec![1, 2, 3] } else { vec![2, 3] };
                assert_eq!(passed(&messages), expected, "{name}, read {step} at a time: {messages:?}");
                let replaced = replaced(&messages);
                assert!(!replaced.is_empty(), "{name}: the bad frame is reported: {messages:?}");
                if let Some(id) = id {
                    assert!(replaced.iter().any(|(_, i)| *i == id), "{name}: its id {id} is kept: {replaced:?}");
                }
            }
        }
    }

    /// Well-formed frames pass as they are, also with a `Content-Type` header, lower-case names
    /// and a body that quotes a header (a string cannot hold the line break that ends one).
    #[test]
    fn well_formed_frames_pass_untouched() {
        let quoting = json!({"jsonrpc": "2.0", "id": 5, "method": "x", "params": {"text": "}\r\n\r\nContent-Length: 3\r\n\r\n{}"}})
            .to_string();
        let body = request(6);
        let input = format!(
            "{}Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}content-length: {}\n\n{body}\r\n{}",
            frame(&quoting),
            body.len(),
            body.len(),
            frame(&request(7))
        );
        for step in [0, 1, 5] {
            let messages = forwarded(input.as_bytes(), step);
            assert_eq!(passed(&messages), [5, 6, 6, 7], "read {step} at a time: {messages:?}");
            assert!(replaced(&messages).is_empty(), "{messages:?}");
        }
    }

    #[test]
    fn accepts_messages_and_rejects_the_rest() {
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","method":"initialized"}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"result":null}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"method":"#).is_err());
        assert!(check(b"[1,2,3]").is_err());
        assert!(check(br#"{"id":1,"method":"x"}"#).is_err());
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":5}"#).is_err());
        assert!(check(br#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#).is_err());
        assert!(check(b"\xff\xfe").is_err());
        // A member given twice: a JSON value takes the last, the server's decoder refuses it.
        let twice = br#"{"jsonrpc":"2.0","id":1,"method":"x","id":1,"method":"initialize"}"#;
        assert!(check(twice).unwrap_err().contains("duplicate field"), "{:?}", check(twice));
    }

    /// A request with bad params keeps its id (so it can be answered); anything else does not.
    #[test]
    fn invalid_requests_keep_their_id() {
        let body = br#"{"jsonrpc":"2.0","id":7,"method":"x","params":"text"}"#;
        assert_eq!(usable_id(body), Some(serde_json::json!(7)));
        let replaced: serde_json::Value = serde_json::from_slice(&invalid("bad", usable_id(body))).unwrap();
        assert_eq!(replaced["id"], 7);
        assert_eq!(replaced["method"], super::INVALID_MESSAGE_METHOD);
        assert_eq!(usable_id(br#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#), None);
        assert_eq!(usable_id(br#"{"jsonrpc":"2.0","method":"x","params":5}"#), None);
        assert_eq!(usable_id(br#"{"jsonrpc":"2.0","id":3,"result":5}"#), None);
    }
}
