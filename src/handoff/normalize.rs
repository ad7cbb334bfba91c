//! Normalisation of the values real handoffs hold: statuses, `validation` outcomes, timestamps,
//! camelCase keys, file paths, and values that look like secrets.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};

/// A handoff status (schema v1: `complete | failed | blocked | partial`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The work is done.
    Complete,
    /// The work failed.
    Failed,
    /// The work cannot go on.
    Blocked,
    /// Part of the work is done.
    Partial,
}

impl Status {
    /// Every status, in schema order.
    pub const ALL: [Status; 4] = [Status::Complete, Status::Failed, Status::Blocked, Status::Partial];

    /// Reads a status written in any of the ways seen in the wild ("COMPLETE", "Completed",
    /// "done", "✅ complete", "in-progress"); `None` when it names no status.
    pub fn parse(text: &str) -> Option<Status> {
        let lower = text.trim().trim_start_matches(['✅', '❌', '⚠', ' ']).trim().to_ascii_lowercase();
        let word: String = lower.chars().take_while(|c| c.is_ascii_alphabetic() || *c == '-' || *c == '_').collect();
        match word.as_str() {
            "complete" | "completed" | "done" | "success" | "succeeded" | "finished" => Some(Status::Complete),
            "failed" | "fail" | "failure" | "error" => Some(Status::Failed),
            "blocked" => Some(Status::Blocked),
            "partial" | "partially" | "in-progress" | "in_progress" | "incomplete" => Some(Status::Partial),
            _ => None,
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Failed => "failed",
            Status::Blocked => "blocked",
            Status::Partial => "partial",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one quality gate, however it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// "pass", "pass (22/22)", "passed", `true`.
    Pass,
    /// "fail", "failed (3 errors)", `false`.
    Fail,
    /// "skipped", "skipped (pre-existing errors in codebase)", "n/a".
    Skipped,
    /// "waived:<issue>": accepted by someone, with a reference.
    Waived(String),
    /// Anything else (kept for messages).
    Unknown(String),
}

impl Outcome {
    /// Reads a string outcome.
    pub fn parse(text: &str) -> Outcome {
        let trimmed = text.trim();
        let lower = trimmed.trim_start_matches(['✅', '❌', '⚠', ' ']).to_ascii_lowercase();
        if let Some(reason) = lower.strip_prefix("waived") {
            let reason = trimmed[trimmed.len() - reason.len()..].trim_start_matches([':', ' ']).trim();
            return Outcome::Waived(reason.to_string());
        }
        let word: String = lower.chars().take_while(|c| c.is_ascii_alphabetic() || *c == '/').collect();
        match word.as_str() {
            // "pass (150/151)": a count short of its total is a failure, whatever the word says.
            "pass" | "passed" | "passing" | "ok" | "success" | "green" if short_count(&lower) => Outcome::Fail,
            "pass" | "passed" | "passing" | "ok" | "success" | "green" => Outcome::Pass,
            "fail" | "failed" | "failing" | "failure" | "error" | "red" => Outcome::Fail,
            "skip" | "skipped" | "n/a" | "na" | "not" => Outcome::Skipped,
            _ => Outcome::Unknown(trimmed.to_string()),
        }
    }

    /// True for outcomes that let work move on (pass, waived with a reference).
    pub fn is_ok(&self) -> bool {
        match self {
            Outcome::Pass => true,
            Outcome::Waived(reason) => !reason.is_empty(),
            _ => false,
        }
    }

    /// A word for messages.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Pass => "pass".into(),
            Outcome::Fail => "failing".into(),
            Outcome::Skipped => "skipped".into(),
            Outcome::Waived(reason) if reason.is_empty() => "waived without a reference".into(),
            Outcome::Waived(reason) => format!("waived:{reason}"),
            Outcome::Unknown(text) => format!("`{text}`"),
        }
    }
}

/// True when `text` holds a count `n/m` with `n < m` ("150/151").
fn short_count(text: &str) -> bool {
    for (at, _) in text.match_indices('/') {
        let before: String = text[..at].trim_end().chars().rev().take_while(char::is_ascii_digit).collect();
        let after: String = text[at + 1..].trim_start().chars().take_while(char::is_ascii_digit).collect();
        let (Ok(n), Ok(m)) = (before.chars().rev().collect::<String>().parse::<u64>(), after.parse::<u64>()) else {
            continue;
        };
        if n < m {
            return true;
        }
    }
    false
}

/// Reads an RFC 3339 timestamp. A timestamp without offset is read as UTC and reported by the
/// caller (`false` in the second field).
pub fn parse_timestamp(text: &str) -> Option<(DateTime<Utc>, bool)> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Some((t.with_timezone(&Utc), true));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text.trim(), format) {
            return Some((t.and_utc(), false));
        }
    }
    None
}

/// `snake_case` of a camelCase key (`nextAgent` → `next_agent`); `None` when it has no capital.
pub fn snake_case(key: &str) -> Option<String> {
    if !key.chars().any(|c| c.is_ascii_uppercase()) || key.contains('_') || key.contains(' ') {
        return None;
    }
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// How a named file path is to be treated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathKind {
    /// A workspace-relative path, cleaned (`./a/../b` → `b`).
    Relative(String),
    /// An absolute path (`/…`, `C:\…`, `~/…`): never read.
    Absolute,
    /// A relative path that leaves the workspace (`../x`): never read.
    Escapes,
    /// Not a path (prose, a glob, a URL).
    NotAPath,
}

/// Classifies a string that a handoff names as a file. A trailing `:line` is dropped.
pub fn classify_path(text: &str) -> PathKind {
    let text = text.trim();
    if text.is_empty()
        || text.contains(char::is_whitespace)
        || text.contains('*')
        || text.contains("://")
        || text.starts_with('@')
    {
        return PathKind::NotAPath;
    }
    let bytes = text.as_bytes();
    let drive =
        bytes.len() > 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && matches!(bytes[2], b'\\' | b'/');
    if text.starts_with('/') || text.starts_with('\\') || text.starts_with('~') || drive {
        return PathKind::Absolute;
    }
    let text = match text.rsplit_once(':') {
        Some((path, line)) if !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()) => path,
        _ => text,
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return PathKind::Escapes;
                }
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return PathKind::NotAPath;
    }
    PathKind::Relative(parts.join("/"))
}

/// Why a string looks like a secret, if it does. `key` is the member's key, when any.
pub fn secret_kind(key: Option<&str>, value: &str) -> Option<&'static str> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    let tokens = value.split_whitespace().map(|t| t.trim_matches(|c: char| "\"'`,;()<>[]".contains(c)));
    if let Some(what) = tokens.filter_map(token_secret).next() {
        return Some(what);
    }
    let v = value.trim();
    let key = key.map(|k| k.to_ascii_lowercase()).unwrap_or_default();
    let secret_key = ["password", "passwd", "secret", "api_key", "apikey", "access_token", "auth_token", "private_key"]
        .iter()
        .any(|k| key.contains(k));
    if secret_key && v.len() >= 8 && !v.contains(' ') && !is_placeholder(v) {
        return Some("a credential");
    }
    None
}

/// Why one whitespace-free token looks like a secret, if it does.
fn token_secret(v: &str) -> Option<&'static str> {
    const PREFIXES: &[(&str, &str)] = &[
        ("sk_live_", "a Stripe live key"),
        ("sk_test_", "a Stripe test key"),
        ("rk_live_", "a Stripe restricted key"),
        ("sk-ant-", "an Anthropic API key"),
        ("sk-proj-", "an OpenAI API key"),
        ("ghp_", "a GitHub token"),
        ("gho_", "a GitHub token"),
        ("ghs_", "a GitHub token"),
        ("github_pat_", "a GitHub token"),
        ("glpat-", "a GitLab token"),
        ("xoxb-", "a Slack token"),
        ("xoxp-", "a Slack token"),
        ("AIza", "a Google API key"),
        ("npm_", "an npm token"),
    ];
    let token_like = |s: &str| s.len() >= 16 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    for (prefix, what) in PREFIXES {
        if v.starts_with(prefix) && token_like(v) {
            return Some(what);
        }
    }
    if v.starts_with("sk-") && token_like(v) && v.len() >= 32 {
        return Some("an API key");
    }
    if v.len() == 20 && v.starts_with("AKIA") && v.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        return Some("an AWS access key");
    }
    let parts: Vec<&str> = v.split('.').collect();
    if v.starts_with("eyJ") && parts.len() == 3 && parts.iter().all(|p| p.len() >= 8 && token_like(p)) {
        return Some("a JSON Web Token");
    }
    if let Some((scheme, rest)) = v.split_once("://") {
        if ["postgres", "postgresql", "mysql", "mongodb", "mongodb+srv", "redis"].contains(&scheme) {
            if let Some((credentials, _)) = rest.split_once('@') {
                if credentials
                    .split_once(':')
                    .is_some_and(|(_, password)| !password.is_empty() && !is_placeholder(password))
                {
                    return Some("a connection string with a password");
                }
            }
        }
    }
    None
}

/// True for obvious placeholders (`<token>`, `${SECRET}`, `xxx`, `***`, `changeme`, `env:FOO`).
fn is_placeholder(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    v.starts_with('<')
        || v.starts_with("${")
        || v.starts_with('$')
        || lower.starts_with("env:")
        || lower.contains("xxx")
        || lower.contains("***")
        || lower.contains("changeme")
        || lower.contains("example")
        || lower.contains("redacted")
        || lower.contains("placeholder")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_in_the_wild_normalise() {
        assert_eq!(Status::parse("COMPLETE"), Some(Status::Complete));
        assert_eq!(Status::parse("✅ Completed"), Some(Status::Complete));
        assert_eq!(Status::parse("in-progress"), Some(Status::Partial));
        assert_eq!(Status::parse("blocked"), Some(Status::Blocked));
        assert_eq!(Status::parse("shipped-ish"), None);
    }

    #[test]
    fn validation_values_in_the_wild_normalise() {
        assert_eq!(Outcome::parse("pass"), Outcome::Pass);
        assert_eq!(Outcome::parse("pass (22/22)"), Outcome::Pass);
        assert_eq!(Outcome::parse("pass (150/151)"), Outcome::Fail);
        assert_eq!(Outcome::parse("PASS (150 / 151 tests)"), Outcome::Fail);
        assert_eq!(Outcome::parse("skipped (pre-existing errors in codebase)"), Outcome::Skipped);
        assert_eq!(Outcome::parse("FAILED: 3 errors"), Outcome::Fail);
        assert_eq!(Outcome::parse("waived:PRJ-12"), Outcome::Waived("PRJ-12".into()));
        assert!(!Outcome::parse("waived").is_ok());
        assert!(matches!(Outcome::parse("maybe"), Outcome::Unknown(_)));
    }

    #[test]
    fn timestamps_and_keys() {
        let (a, exact) = parse_timestamp("2025-01-15T10:30:00Z").unwrap();
        let (b, _) = parse_timestamp("2025-01-15T11:30:00+01:00").unwrap();
        assert!(exact);
        assert_eq!(a, b);
        assert!(!parse_timestamp("2025-01-15T10:30:00").unwrap().1);
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(snake_case("nextAgent").as_deref(), Some("next_agent"));
        assert_eq!(snake_case("next_agent"), None);
    }

    #[test]
    fn paths_are_classified() {
        assert_eq!(classify_path("./src/a/../b.ts"), PathKind::Relative("src/b.ts".into()));
        assert_eq!(classify_path("src/b.ts:12"), PathKind::Relative("src/b.ts".into()));
        assert_eq!(classify_path("/etc/passwd"), PathKind::Absolute);
        assert_eq!(classify_path("C:\\work\\a.ts"), PathKind::Absolute);
        assert_eq!(classify_path("../../secrets.env"), PathKind::Escapes);
        assert_eq!(classify_path("src/*.ts"), PathKind::NotAPath);
        assert_eq!(classify_path("updated the README"), PathKind::NotAPath);
    }

    #[test]
    fn secrets_are_recognised_and_placeholders_are_not() {
        assert!(secret_kind(None, "ghp_abcdefghijklmnopqrstuvwxyz0123456789").is_some());
        assert!(secret_kind(None, "AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(secret_kind(None, "postgres://app:hunter22@db:5432/app").is_some());
        assert!(secret_kind(Some("api_key"), "9f8e7d6c5b4a39281706").is_some());
        assert!(secret_kind(Some("api_key"), "${API_KEY}").is_none());
        assert!(secret_kind(None, "postgres://app@db/app").is_none());
        assert!(secret_kind(Some("notes"), "rotate the API key next week").is_none());
        assert!(secret_kind(Some("notes"), "deploy with ghp_abcdefghijklmnopqrstuvwxyz0123456789 today").is_some());
    }
}
