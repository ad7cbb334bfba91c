//! A guard in front of the protocol reader. `tower-lsp-server` stops reading for good after a
//! frame it cannot decode (the stream ends on a decoder error), so one malformed message would
//! take the server down. Every frame passes through here first: a frame whose body is not a
//! JSON-RPC message is replaced by a `$/baton/invalidMessage` message (logged, otherwise
//! ignored; when the frame carried a usable request id, the replacement keeps it, so the
//! client gets an "invalid request" error instead of waiting for ever), and a broken header is
//! skipped up to the next `Content-Length`.
//!
//! The guard also acts on every `$/cancelRequest` as it arrives ([`Cancellations`]):
//! tower-lsp-server reads a cancellation only after the requests queued before it have been
//! taken up, so a client that cancels a backlog would otherwise wait for all of it to run.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tower_lsp_server::jsonrpc::Id;

use super::cancel::Cancellations;

/// The method invalid frames are turned into.
pub const INVALID_MESSAGE_METHOD: &str = "$/baton/invalidMessage";

/// Bodies larger than this are rejected (a 50 MB `didOpen` still fits).
const MAX_BODY: usize = 256 * 1024 * 1024;

/// Copies frames from `input` to `output`, replacing invalid ones and passing cancellations to
/// `cancellations`. Returns when `input` ends.
pub async fn sanitize(
    input: impl AsyncRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
    cancellations: &Cancellations,
) {
    let mut reader = BufReader::new(input);
    loop {
        let mut length: Option<usize> = None;
        let mut saw_header = false;
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            if text.is_empty() {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            if let Some((name, value)) = text.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().ok();
                }
            }
        }
        let Some(length) = length.filter(|l| *l <= MAX_BODY) else {
            forward(&mut output, &invalid("missing, invalid or oversized Content-Length header", None)).await;
            continue;
        };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let body = match check(&body) {
            Ok(message) => {
                if message.get("method").and_then(|m| m.as_str()) == Some("$/cancelRequest") {
                    let id = message.get("params").and_then(|p| p.get("id")).cloned();
                    if let Some(id) = id.and_then(|id| serde_json::from_value::<Id>(id).ok()) {
                        cancellations.cancel(id);
                    }
                }
                body
            }
            Err(reason) => invalid(&reason, usable_id(&body)),
        };
        if !forward(&mut output, &body).await {
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
    use super::{check, invalid, usable_id};

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
