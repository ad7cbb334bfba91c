//! A guard in front of the protocol reader. `tower-lsp-server` stops reading for good after a
//! frame it cannot decode (the stream ends on a decoder error), so one malformed message would
//! take the server down. Every frame passes through here first: a frame whose body is not a
//! JSON-RPC message is replaced by a `$/baton/invalidMessage` notification (logged, otherwise
//! ignored), and a broken header is skipped up to the next `Content-Length`.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// The method invalid frames are turned into.
pub const INVALID_MESSAGE_METHOD: &str = "$/baton/invalidMessage";

/// Bodies larger than this are rejected (a 50 MB `didOpen` still fits).
const MAX_BODY: usize = 256 * 1024 * 1024;

/// Copies frames from `input` to `output`, replacing invalid ones. Returns when `input` ends.
pub async fn sanitize(input: impl AsyncRead + Unpin, mut output: impl AsyncWrite + Unpin) {
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
            forward(&mut output, &invalid("missing, invalid or oversized Content-Length header")).await;
            continue;
        };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let body = match check(&body) {
            Ok(()) => body,
            Err(reason) => invalid(&reason),
        };
        if !forward(&mut output, &body).await {
            return;
        }
    }
}

/// Whether `body` is a JSON-RPC message tower-lsp-server can decode.
fn check(body: &[u8]) -> Result<(), String> {
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
                Ok(())
            } else {
                Err("the message has an invalid id or params".into())
            }
        }
        (None, Some(_)) if object.contains_key("result") || object.contains_key("error") => Ok(()),
        _ => Err("the message is neither a request, a notification nor a response".into()),
    }
}

fn invalid(reason: &str) -> Vec<u8> {
    serde_json::to_vec(
        &serde_json::json!({"jsonrpc": "2.0", "method": INVALID_MESSAGE_METHOD, "params": {"reason": reason}}),
    )
    .expect("serializes")
}

async fn forward(output: &mut (impl AsyncWrite + Unpin), body: &[u8]) -> bool {
    let header = format!("Content-Length: {}\r\n\r\n", body.len());
    output.write_all(header.as_bytes()).await.is_ok()
        && output.write_all(body).await.is_ok()
        && output.flush().await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::check;

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
    }
}
