//! JSON values with byte ranges, read from the tree-sitter-json tree already parsed into every
//! JSON and signal [`Document`]. Findings point at the exact key or value; a syntax error does not
//! stop the reading (tree-sitter recovers, and whatever parsed is used).

use std::ops::Range;

use tree_sitter::Node;

use crate::syntax::Document;

/// How deep values are read; deeper ones become [`Value::Other`] (handoffs are shallow, and a
/// 10,000-level file must not overflow the stack).
const MAX_DEPTH: usize = 24;

/// A JSON value and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Json {
    /// The value.
    pub value: Value,
    /// Its byte range (strings include their quotes).
    pub range: Range<usize>,
}

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An object's members, in document order.
    Object(Vec<Member>),
    /// An array's elements.
    Array(Vec<Json>),
    /// A string, unescaped.
    String(String),
    /// A number.
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// Anything unreadable (an error node, a value nested too deep).
    Other,
}

/// One `"key": value` member of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The key, unescaped.
    pub key: String,
    /// The key's byte range, quotes included.
    pub key_range: Range<usize>,
    /// The value.
    pub value: Json,
}

impl Json {
    /// The document's top-level value, if it has one.
    pub fn from_document(doc: &Document) -> Option<Json> {
        let tree = doc.tree()?;
        let root = tree.root_node();
        let mut cursor = root.walk();
        let value = root.named_children(&mut cursor).find(|n| n.kind() != "comment" && n.kind() != "ERROR");
        value.map(|node| read(doc, node, 0))
    }

    /// The members, when this is an object.
    pub fn members(&self) -> &[Member] {
        match &self.value {
            Value::Object(members) => members,
            _ => &[],
        }
    }

    /// The first member named `key`, when this is an object.
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.members().iter().find(|m| m.key == key)
    }

    /// The value of member `key`, when this is an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.member(key).map(|m| &m.value)
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, when this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements, when this is an array.
    pub fn elements(&self) -> &[Json] {
        match &self.value {
            Value::Array(items) => items,
            _ => &[],
        }
    }

    /// The byte range of a string's contents (without quotes); the whole range otherwise.
    pub fn inner_range(&self) -> Range<usize> {
        match self.value {
            Value::String(_) if self.range.len() >= 2 => self.range.start + 1..self.range.end - 1,
            _ => self.range.clone(),
        }
    }

    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Object(_) => "an object",
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Null => "null",
            Value::Other => "unreadable",
        }
    }

    /// Every string in this value (depth first), with its range.
    pub fn strings(&self) -> Vec<&Json> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(json) = stack.pop() {
            match &json.value {
                Value::String(_) => out.push(json),
                Value::Array(items) => stack.extend(items.iter().rev()),
                Value::Object(members) => stack.extend(members.iter().rev().map(|m| &m.value)),
                _ => {}
            }
        }
        out
    }
}

/// Reads one value node.
fn read(doc: &Document, node: Node<'_>, depth: usize) -> Json {
    let range = node.byte_range();
    let value = if depth > MAX_DEPTH {
        Value::Other
    } else {
        match node.kind() {
            "object" => {
                let mut members = Vec::new();
                let mut cursor = node.walk();
                for pair in node.named_children(&mut cursor).filter(|n| n.kind() == "pair") {
                    let (Some(key), Some(value)) = (pair.child_by_field_name("key"), pair.child_by_field_name("value"))
                    else {
                        continue;
                    };
                    let Some(name) = string_value(doc, key) else { continue };
                    members.push(Member { key: name, key_range: key.byte_range(), value: read(doc, value, depth + 1) });
                }
                Value::Object(members)
            }
            "array" => {
                let mut cursor = node.walk();
                let items = node
                    .named_children(&mut cursor)
                    .filter(|n| n.kind() != "comment" && n.kind() != "ERROR")
                    .map(|n| read(doc, n, depth + 1))
                    .collect();
                Value::Array(items)
            }
            "string" => string_value(doc, node).map_or(Value::Other, Value::String),
            "number" => doc.slice(range.clone()).parse().map_or(Value::Other, Value::Number),
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => Value::Other,
        }
    };
    Json { value, range }
}

/// The unescaped contents of a string node.
fn string_value(doc: &Document, node: Node<'_>) -> Option<String> {
    if node.kind() != "string" || node.has_error() {
        return None;
    }
    serde_json::from_str(doc.slice(node.byte_range())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    fn parse(text: &str) -> (Document, Json) {
        let doc = Document::parse("context-001.json", FileKind::Json, text);
        let json = Json::from_document(&doc).unwrap();
        (doc, json)
    }

    #[test]
    fn members_carry_exact_ranges_and_unescaped_text() {
        let text = r#"{"a": "x\"y", "n": 1.5, "l": [true, null], "o": {"k": false}}"#;
        let (doc, json) = parse(text);
        let a = json.member("a").unwrap();
        assert_eq!(doc.slice(a.key_range.clone()), "\"a\"");
        assert_eq!(a.value.as_str(), Some("x\"y"));
        assert_eq!(doc.slice(a.value.range.clone()), r#""x\"y""#);
        assert_eq!(json.get("n").unwrap().as_f64(), Some(1.5));
        assert_eq!(json.get("l").unwrap().elements()[1].value, Value::Null);
        assert_eq!(json.get("o").unwrap().get("k").unwrap().value, Value::Bool(false));
        assert_eq!(json.strings().len(), 1);
    }

    #[test]
    fn broken_json_still_yields_what_parsed() {
        let (_, json) = parse("{\"workstream\": \"WS-1\", \"status\": \"complete\",, }");
        assert_eq!(json.get("workstream").and_then(Json::as_str), Some("WS-1"));
    }

    #[test]
    fn deep_nesting_is_cut_off_without_overflow() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let doc = Document::parse("context-1.json", FileKind::Json, text);
        assert!(Json::from_document(&doc).is_some());
    }
}
