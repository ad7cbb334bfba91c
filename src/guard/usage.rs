//! Agent token usage (`workflow/budget`): read from a Claude Code-style transcript (JSONL, one
//! event per line; assistant events carry `message.id`, `message.model` and `message.usage`),
//! recorded per session in `.baton/usage/<session>.json`, priced with `[limits.prices]`.
//!
//! What is counted (docs/agents.md): each assistant message once (by `message.id`, else
//! `requestId`, else the line's `uuid` — a response split over several lines repeats its usage),
//! its `input_tokens`, `output_tokens`, `cache_creation_input_tokens` and
//! `cache_read_input_tokens`, on the UTC day of its `timestamp`, under its `model`.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{Config, Price};
use crate::stage::evidence::{item_dir, now};

/// The built-in prices, USD per million tokens (input, output), by model id prefix: Anthropic's
/// list prices when this table was written. `[limits.prices]` overrides or extends them.
pub const DEFAULT_PRICES: &[(&str, f64, f64)] = &[
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-haiku-4", 1.0, 5.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-3-5-haiku", 0.8, 4.0),
    ("claude-3-opus", 15.0, 75.0),
];

/// The most transcript text read (a real session is far smaller).
const MAX_TRANSCRIPT: u64 = 512 * 1024 * 1024;

/// Token counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// `input_tokens`.
    pub input_tokens: u64,
    /// `output_tokens`.
    pub output_tokens: u64,
    /// `cache_creation_input_tokens`.
    pub cache_creation_input_tokens: u64,
    /// `cache_read_input_tokens`.
    pub cache_read_input_tokens: u64,
    /// Assistant messages counted.
    pub messages: u64,
}

impl Tokens {
    /// Every token.
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens
    }

    /// The cost in USD at `price`.
    pub fn cost(&self, price: &Price) -> f64 {
        let per = |tokens: u64, usd: f64| tokens as f64 * usd / 1_000_000.0;
        per(self.input_tokens, price.input)
            + per(self.output_tokens, price.output)
            + per(self.cache_creation_input_tokens, price.cache_write.unwrap_or(price.input * 1.25))
            + per(self.cache_read_input_tokens, price.cache_read.unwrap_or(price.input * 0.1))
    }

    fn add(&mut self, other: &Tokens) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
        self.messages += other.messages;
    }
}

/// `.baton/usage/<session>.json`: one agent session's usage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUsage {
    /// The harness's session id.
    pub session_id: String,
    /// The transcript it was read from.
    pub transcript: String,
    /// The work items the session is attributed to (docs/agents.md, "Which item").
    pub items: Vec<String>,
    /// When last updated.
    pub updated_at: String,
    /// Tokens by UTC day (`YYYY-MM-DD`), then model.
    pub days: BTreeMap<String, BTreeMap<String, Tokens>>,
}

impl SessionUsage {
    /// `.baton/usage/<session>.json` under `root`.
    pub fn path(root: &Path, session_id: &str) -> PathBuf {
        root.join(".baton/usage").join(format!("{}.json", item_dir(session_id)))
    }

    /// Every token of the session.
    pub fn total(&self) -> Tokens {
        let mut total = Tokens::default();
        self.days.values().flat_map(|m| m.values()).for_each(|t| total.add(t));
        total
    }
}

/// What a transcript says: usage by day and model, and the files the session edited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// Tokens by UTC day, then model.
    pub days: BTreeMap<String, BTreeMap<String, Tokens>>,
    /// `file_path` of every `Edit`, `Write`, `MultiEdit` and `NotebookEdit` tool call, in order.
    pub edited: Vec<String>,
}

/// Reads a transcript. Lines that are not JSON objects are skipped (a transcript being written
/// ends in a partial line).
pub fn read_transcript(path: &Path) -> std::io::Result<Transcript> {
    let file = std::fs::File::open(path)?;
    let reader = std::io::BufReader::new(std::io::Read::take(file, MAX_TRANSCRIPT));
    let mut by_message: HashMap<String, (String, String, Tokens)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut out = Transcript::default();
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        let Ok(event) = serde_json::from_slice::<Value>(&line) else { continue };
        let Some(message) =
            event.get("message").filter(|_| event.get("type").and_then(Value::as_str) == Some("assistant"))
        else {
            continue;
        };
        if let Some(content) = message.get("content").and_then(Value::as_array) {
            for block in content.iter().filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use")) {
                let name = block.get("name").and_then(Value::as_str).unwrap_or_default();
                if ["Edit", "Write", "MultiEdit", "NotebookEdit"].contains(&name) {
                    let input = block.get("input");
                    let path = input
                        .and_then(|i| i.get("file_path").or_else(|| i.get("notebook_path")))
                        .and_then(Value::as_str);
                    if let Some(path) = path {
                        out.edited.push(path.to_string());
                    }
                }
            }
        }
        let Some(usage) = message.get("usage") else { continue };
        let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
        let tokens = Tokens {
            input_tokens: count("input_tokens"),
            output_tokens: count("output_tokens"),
            cache_creation_input_tokens: count("cache_creation_input_tokens"),
            cache_read_input_tokens: count("cache_read_input_tokens"),
            messages: 1,
        };
        if tokens.total() == 0 {
            continue;
        }
        let id = message
            .get("id")
            .and_then(Value::as_str)
            .or_else(|| event.get("requestId").and_then(Value::as_str))
            .or_else(|| event.get("uuid").and_then(Value::as_str))
            .map_or_else(|| format!("line {n}"), str::to_string);
        let model = message.get("model").and_then(Value::as_str).unwrap_or("unknown").to_string();
        let day = event
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d").to_string())
            .unwrap_or_else(today);
        match by_message.get_mut(&id) {
            // The same response over several lines: its usage once (the largest figures, as a
            // streamed response's counts only grow).
            Some((_, _, seen)) => {
                seen.input_tokens = seen.input_tokens.max(tokens.input_tokens);
                seen.output_tokens = seen.output_tokens.max(tokens.output_tokens);
                seen.cache_creation_input_tokens =
                    seen.cache_creation_input_tokens.max(tokens.cache_creation_input_tokens);
                seen.cache_read_input_tokens = seen.cache_read_input_tokens.max(tokens.cache_read_input_tokens);
            }
            None => {
                order.push(id.clone());
                by_message.insert(id, (day, model, tokens));
            }
        }
    }
    for id in order {
        let (day, model, tokens) = &by_message[&id];
        out.days.entry(day.clone()).or_default().entry(model.clone()).or_default().add(tokens);
    }
    Ok(out)
}

/// Recomputes the usage of session `session_id` from `transcript` and records it, attributed to
/// `items` as well as the items already recorded for it. Atomic.
pub fn record_session(
    root: &Path,
    session_id: &str,
    transcript_path: &Path,
    transcript: &Transcript,
    items: &[String],
) -> std::io::Result<SessionUsage> {
    let path = SessionUsage::path(root, session_id);
    let previous = super::read_json::<SessionUsage>(&path).ok().flatten().unwrap_or_default();
    let mut all_items = previous.items;
    for item in items {
        if !all_items.iter().any(|i| i.eq_ignore_ascii_case(item)) {
            all_items.push(item.clone());
        }
    }
    let usage = SessionUsage {
        session_id: session_id.to_string(),
        transcript: transcript_path.to_string_lossy().into_owned(),
        items: all_items,
        updated_at: now(),
        days: transcript.days.clone(),
    };
    super::write_json(root, &path, &usage)?;
    Ok(usage)
}

/// The price of `model`: the longest `[limits.prices]` key that is a prefix of it, else the
/// longest built-in one.
pub fn price_of(config: &Config, model: &str) -> Option<Price> {
    let configured = config
        .limits
        .prices
        .iter()
        .filter(|(prefix, _)| model.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, p)| *p);
    configured.or_else(|| {
        DEFAULT_PRICES
            .iter()
            .filter(|(prefix, _, _)| model.starts_with(prefix))
            .max_by_key(|(prefix, _, _)| prefix.len())
            .map(|&(_, input, output)| Price { input, output, cache_write: None, cache_read: None })
    })
}

/// Today, UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_split_over_lines_is_counted_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        let usage = r#"{"input_tokens":10,"cache_creation_input_tokens":1000,"cache_read_input_tokens":2000,"output_tokens":50}"#;
        let lines = [
            r#"{"type":"user","message":{"role":"user","content":"fix it"},"timestamp":"2026-03-01T10:00:00Z"}"#.to_string(),
            format!(r#"{{"type":"assistant","requestId":"r1","timestamp":"2026-03-01T10:00:01Z","message":{{"id":"m1","model":"claude-sonnet-4-5-20250929","content":[{{"type":"text","text":"ok"}}],"usage":{usage}}}}}"#),
            format!(r#"{{"type":"assistant","requestId":"r1","timestamp":"2026-03-01T10:00:02Z","message":{{"id":"m1","model":"claude-sonnet-4-5-20250929","content":[{{"type":"tool_use","name":"Edit","input":{{"file_path":"/w/src/a.ts"}}}}],"usage":{usage}}}}}"#),
            r#"{"type":"assistant","timestamp":"2026-03-02T00:00:01Z","message":{"id":"m2","model":"claude-opus-4-1","content":[],"usage":{"input_tokens":1000000,"output_tokens":0}}}"#.to_string(),
            "{\"type\":\"assistant\",\"message\":{\"id\":".to_string(),
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let t = read_transcript(&path).unwrap();
        assert_eq!(t.edited, vec!["/w/src/a.ts".to_string()]);
        let first = &t.days["2026-03-01"]["claude-sonnet-4-5-20250929"];
        assert_eq!((first.input_tokens, first.output_tokens, first.messages), (10, 50, 1));
        let config = Config::default();
        let sonnet = price_of(&config, "claude-sonnet-4-5-20250929").unwrap();
        // 10×3 + 50×15 + 1000×3.75 + 2000×0.3 per million.
        assert!((first.cost(&sonnet) - 0.00513).abs() < 1e-9, "{}", first.cost(&sonnet));
        let opus = price_of(&config, "claude-opus-4-1").unwrap();
        assert_eq!(opus.input, 15.0);
        assert_eq!(price_of(&config, "claude-opus-4-5-2025").unwrap().input, 5.0, "the longest prefix wins");
        assert_eq!(price_of(&config, "gpt-5"), None);
        let custom = Config::parse("[limits.prices.\"gpt-5\"]\ninput = 1.25\noutput = 10\n", None).unwrap();
        assert_eq!(price_of(&custom, "gpt-5-mini").unwrap().output, 10.0);
    }
}
