//! Work-stream ids, normalised: "WS-1", "WS1", "ws1", "ws-1", "WS 1" and "Work Stream 1" name the
//! same stream, written canonically as `WS-1`. A letter suffix is kept ("WS-2a", "WS2-A" →
//! `WS-2A`), and so is an upper-case name: `WS1_MIGRATION` (a numbered stream with a name) and
//! `WS_W1`, `WS_E2E` (a named stream without a number). A lower-case tail is not a name
//! (`ws1_db_complete.signal` names `WS-1`).

use std::fmt;
use std::ops::Range;

/// A normalised work-stream id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkstreamId {
    number: Option<u32>,
    suffix: String,
    name: String,
}

impl WorkstreamId {
    /// Parses a whole string as a work-stream id ("WS-1", "ws1", "Work Stream 1"); surrounding
    /// whitespace is ignored.
    pub fn parse(text: &str) -> Option<WorkstreamId> {
        let text = text.trim();
        match WorkstreamId::scan_at(text, 0) {
            Some((id, end)) if end == text.len() => Some(id),
            _ => None,
        }
    }

    /// Every work-stream id mentioned in `text`, with its byte range. An id must start at a word
    /// boundary ("NEWS1" is not one) and end at one ("WS1x2" is not one), but may sit inside
    /// names such as `PRD-HZ-001-WS2-complete.signal`.
    pub fn find_all(text: &str) -> Vec<(Range<usize>, WorkstreamId)> {
        let bytes = text.as_bytes();
        let mut found = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            if boundary && matches!(bytes[i], b'w' | b'W') {
                if let Some((id, end)) = WorkstreamId::scan_at(text, i) {
                    found.push((i..end, id));
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
        found
    }

    /// The stream's number (`None` for a named stream such as `WS_E2E`).
    pub fn number(&self) -> Option<u32> {
        self.number
    }

    /// True when `reference` names this stream: the same id, or the same number and suffix
    /// written without this stream's name (`WS1` for `WS1_MIGRATION`).
    pub fn answers_to(&self, reference: &WorkstreamId) -> bool {
        self == reference
            || (reference.name.is_empty()
                && reference.number.is_some()
                && reference.number == self.number
                && reference.suffix == self.suffix)
    }

    /// Reads an id starting at byte `start`; returns it and the byte after it.
    fn scan_at(text: &str, start: usize) -> Option<(WorkstreamId, usize)> {
        let rest = &text[start..];
        let lower: Vec<u8> = rest.bytes().take(11).map(|b| b.to_ascii_lowercase()).collect();
        let prefix_len = if lower.starts_with(b"work stream") {
            "work stream".len()
        } else if lower.starts_with(b"workstream") {
            "workstream".len()
        } else if lower.starts_with(b"ws") {
            2
        } else {
            return None;
        };
        let bytes = text.as_bytes();
        let mut i = start + prefix_len;
        // `WS_E2E`, `WS_W1`: a named stream without a number (upper case, `WS` written as such).
        if prefix_len == 2 && bytes.get(i) == Some(&b'_') && bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase) {
            if let Some((name, end)) = scan_name(text, i + 1) {
                return Some((WorkstreamId { number: None, suffix: String::new(), name }, end));
            }
        }
        if i < bytes.len() && matches!(bytes[i], b'-' | b'_' | b' ') {
            i += 1;
        }
        let digits_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start || i - digits_start > 6 {
            return None;
        }
        let number = text[digits_start..i].parse().ok()?;
        let mut suffix = String::new();
        // `WS2a`, `WS2-A`: one letter, then the end of the id.
        let letter_at = if bytes.get(i) == Some(&b'-') { i + 1 } else { i };
        if letter_at < bytes.len()
            && bytes[letter_at].is_ascii_alphabetic()
            && (letter_at + 1 == bytes.len()
                || !is_id_byte(bytes[letter_at + 1])
                // `WS1A_GATE_A_DB`: the letter, then the stream's name.
                || (bytes[letter_at + 1] == b'_' && bytes.get(letter_at + 2).is_some_and(u8::is_ascii_uppercase)))
            && (letter_at == i || bytes[letter_at].is_ascii_uppercase())
        {
            suffix.push(bytes[letter_at].to_ascii_uppercase() as char);
            i = letter_at + 1;
        }
        let mut name = String::new();
        if bytes.get(i) == Some(&b'_') && bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase) {
            if let Some((n, end)) = scan_name(text, i + 1) {
                name = n;
                i = end;
            }
        }
        if i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            return None;
        }
        Some((WorkstreamId { number: Some(number), suffix, name }, i))
    }
}

/// A byte that may continue a name: a letter, a digit or `_`.
fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// An upper-case name (`MIGRATION`, `W1`, `PRODUCER_FILL`) starting at `start`: at most 40 bytes of
/// upper-case letters, digits and `_`, not ending in `_`, followed by a non-name byte.
fn scan_name(text: &str, start: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && (bytes[end].is_ascii_uppercase() || bytes[end].is_ascii_digit() || bytes[end] == b'_') {
        end += 1;
    }
    if end < bytes.len() && bytes[end].is_ascii_lowercase() {
        return None;
    }
    while end > start && bytes[end - 1] == b'_' {
        end -= 1;
    }
    (end > start && end - start <= 40).then(|| (text[start..end].to_string(), end))
}

impl fmt::Display for WorkstreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.number, self.name.is_empty()) {
            (Some(n), true) => write!(f, "WS-{n}{}", self.suffix),
            (Some(n), false) => write!(f, "WS{n}{}_{}", self.suffix, self.name),
            (None, _) => write!(f, "WS_{}", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_normalise_to_one_id() {
        for spelling in ["WS-1", "WS1", "ws1", "ws-1", "WS 1", "Work Stream 1", "work stream 1", "Workstream 1", "WS_1"]
        {
            assert_eq!(WorkstreamId::parse(spelling).map(|id| id.to_string()).as_deref(), Some("WS-1"), "{spelling}");
        }
        assert_eq!(WorkstreamId::parse("WS-2a").unwrap().to_string(), "WS-2A");
        assert_ne!(WorkstreamId::parse("WS-1"), WorkstreamId::parse("WS-10"));
    }

    #[test]
    fn non_ids_are_rejected() {
        for text in ["WS", "WS-", "WSX", "news1", "WS-1x2", "W-1", "", "WS-12345678"] {
            assert_eq!(WorkstreamId::parse(text), None, "{text}");
        }
    }

    #[test]
    fn ids_are_found_inside_names_and_prose() {
        let found: Vec<String> = WorkstreamId::find_all("PRD-HZ-001-WS2-complete.signal, after WS-1 and ws3; NEWS4")
            .into_iter()
            .map(|(_, id)| id.to_string())
            .collect();
        assert_eq!(found, ["WS-2", "WS-1", "WS-3"]);
        let text = "see Work Stream 12: done";
        let (range, id) = &WorkstreamId::find_all(text)[0];
        assert_eq!((&text[range.clone()], id.number()), ("Work Stream 12", Some(12)));
    }

    #[test]
    fn named_and_lettered_forms() {
        let show = |t: &str| WorkstreamId::parse(t).map(|id| id.to_string());
        assert_eq!(show("WS1_MIGRATION").as_deref(), Some("WS1_MIGRATION"));
        assert_eq!(show("WS_W1").as_deref(), Some("WS_W1"));
        assert_eq!(show("WS_PRODUCER_FILL").as_deref(), Some("WS_PRODUCER_FILL"));
        assert_eq!(show("WS1-A").as_deref(), Some("WS-1A"));
        assert_eq!(show("WS1A").as_deref(), Some("WS-1A"));
        assert_eq!(show("WS3b").as_deref(), Some("WS-3B"));
        // A lettered stream with a name (`WS1A_GATE_A_DB`): it answers to `WS1A`, not to `WS1B`.
        let lettered = WorkstreamId::parse("WS1A_GATE_A_DB").unwrap();
        assert!(lettered.answers_to(&WorkstreamId::parse("WS1A").unwrap()));
        assert!(!lettered.answers_to(&WorkstreamId::parse("WS1B").unwrap()));
        assert_eq!(show("WS1A_gate"), None);
        // A lower-case tail is no name, and a word after `-` is no suffix.
        assert_eq!(show("ws1_db_complete"), None);
        let found: Vec<String> = WorkstreamId::find_all("`ws1_db_complete.signal`, WS1-Auth, WS_url")
            .into_iter()
            .map(|(_, id)| id.to_string())
            .collect();
        assert_eq!(found, ["WS-1", "WS-1"]);
        let named = WorkstreamId::parse("WS1_MIGRATION").unwrap();
        assert!(named.answers_to(&WorkstreamId::parse("WS-1").unwrap()));
        assert!(!named.answers_to(&WorkstreamId::parse("WS-2").unwrap()));
        assert!(!WorkstreamId::parse("WS-1").unwrap().answers_to(&named));
        assert_ne!(WorkstreamId::parse("WS1-A"), WorkstreamId::parse("WS1-B"));
    }
}
