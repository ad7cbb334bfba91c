//! Work-stream ids, normalised: "WS-1", "WS1", "ws1", "ws-1", "WS 1" and "Work Stream 1" name the
//! same stream, written canonically as `WS-1`. A letter suffix is kept ("WS-2a" → `WS-2A`).

use std::fmt;
use std::ops::Range;

/// A normalised work-stream id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkstreamId {
    number: u32,
    suffix: String,
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

    /// The stream's number.
    pub fn number(&self) -> u32 {
        self.number
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
        if i < bytes.len()
            && bytes[i].is_ascii_alphabetic()
            && (i + 1 == bytes.len() || !bytes[i + 1].is_ascii_alphanumeric())
        {
            suffix.push(bytes[i].to_ascii_uppercase() as char);
            i += 1;
        }
        if i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            return None;
        }
        Some((WorkstreamId { number, suffix }, i))
    }
}

impl fmt::Display for WorkstreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WS-{}{}", self.number, self.suffix)
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
        assert_eq!((&text[range.clone()], id.number()), ("Work Stream 12", 12));
    }
}
