//! What the signal and snapshot readers share: located values, problems (the `handoff/invalid`
//! findings a reader produces), named files and gates, and the member lookups that accept
//! camelCase spellings of known keys while reporting them.

use std::ops::Range;

use chrono::{DateTime, Utc};

use super::json::{Json, Member, Value};
use super::normalize::{self, Outcome, PathKind};

/// A value and the byte range it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where it is in its document.
    pub range: Range<usize>,
}

/// A schema problem found while reading: reported as `handoff/invalid`.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Where.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// A replacement that fixes it: (title, range, new text).
    pub fix: Option<(String, Range<usize>, String)>,
}

/// A file a handoff names.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedFile {
    /// The text as written.
    pub text: String,
    /// The range of the text (inside the quotes for JSON strings).
    pub range: Range<usize>,
    /// How the path was classified.
    pub kind: PathKind,
    /// The key it was listed under (`files_created`, `files_modified`, `migration_file`, or
    /// `text` for unstructured signals).
    pub key: &'static str,
}

/// One quality gate's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    /// The gate's name as written (`lint`, `tests_pass`, `coverage`, …).
    pub name: String,
    /// Its outcome.
    pub outcome: Outcome,
    /// The range of the value.
    pub range: Range<usize>,
}

/// An object's members under their canonical keys.
pub struct Members<'a> {
    members: Vec<(String, &'a Member)>,
}

impl<'a> Members<'a> {
    /// Reads `object`'s members; a camelCase spelling of one of `known` is read as the known key
    /// and reported (with a fix that renames it).
    pub fn read(object: &'a Json, known: &[&str], problems: &mut Vec<Problem>) -> Members<'a> {
        let mut members = Vec::new();
        for member in object.members() {
            let key = match normalize::snake_case(&member.key) {
                Some(snake) if known.contains(&snake.as_str()) => {
                    problems.push(Problem {
                        range: member.key_range.clone(),
                        message: format!("`{}` is read as `{snake}`: schema v1 keys are snake_case", member.key),
                        fix: Some((format!("Rename to `{snake}`"), member.key_range.clone(), format!("\"{snake}\""))),
                    });
                    snake
                }
                _ => member.key.clone(),
            };
            members.push((key, member));
        }
        Members { members }
    }

    /// The member under canonical key `key`.
    pub fn member(&self, key: &str) -> Option<&'a Member> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, m)| *m)
    }

    /// The value under canonical key `key`.
    pub fn get(&self, key: &str) -> Option<&'a Json> {
        self.member(key).map(|m| &m.value)
    }

    /// Reports `key` missing (at the object's opening brace) when absent.
    pub fn require(&self, object: &Json, key: &str, what: &str, problems: &mut Vec<Problem>) {
        if self.member(key).is_none() {
            problems.push(Problem {
                range: object.range.start..object.range.start + 1,
                message: format!("this {what} lacks the required key `{key}`"),
                fix: None,
            });
        }
    }

    /// A string under `key`; a value of another type is reported.
    pub fn string(&self, key: &str, problems: &mut Vec<Problem>) -> Option<At<String>> {
        let value = self.get(key)?;
        match value.as_str() {
            Some(s) => Some(At { value: s.to_string(), range: value.range.clone() }),
            None => {
                problems.push(type_problem(key, value, "a string"));
                None
            }
        }
    }

    /// A list of strings under `key` (a single string is accepted as a one-item list).
    pub fn strings(&self, key: &str, problems: &mut Vec<Problem>) -> Vec<At<String>> {
        let Some(value) = self.get(key) else { return Vec::new() };
        match &value.value {
            Value::String(s) => vec![At { value: s.clone(), range: value.range.clone() }],
            Value::Array(items) => items
                .iter()
                .filter_map(|item| match &item.value {
                    Value::String(s) => Some(At { value: s.clone(), range: item.range.clone() }),
                    // `{ "path": "…", "description": "…" }` entries name their file in `path`.
                    Value::Object(_) => item
                        .get("path")
                        .or_else(|| item.get("file"))
                        .and_then(|p| p.as_str().map(|s| At { value: s.to_string(), range: p.range.clone() })),
                    _ => {
                        problems.push(type_problem(key, item, "a string"));
                        None
                    }
                })
                .collect(),
            _ => {
                problems.push(type_problem(key, value, "a list of strings"));
                Vec::new()
            }
        }
    }

    /// A timestamp under `key`, reported when it is not RFC 3339.
    pub fn timestamp(&self, key: &str, problems: &mut Vec<Problem>) -> Option<At<DateTime<Utc>>> {
        let text = self.string(key, problems)?;
        match normalize::parse_timestamp(&text.value) {
            Some((time, exact)) => {
                if !exact {
                    problems.push(Problem {
                        range: text.range.clone(),
                        message: format!("`{key}` has no UTC offset (RFC 3339 needs one, e.g. `Z`); read as UTC"),
                        fix: None,
                    });
                }
                Some(At { value: time, range: text.range })
            }
            None => {
                problems.push(Problem {
                    range: text.range,
                    message: format!("`{key}` is not an RFC 3339 timestamp (e.g. `2025-01-15T10:30:00Z`)"),
                    fix: None,
                });
                None
            }
        }
    }
}

/// "`key` must be X, not Y".
pub fn type_problem(key: &str, value: &Json, expected: &str) -> Problem {
    Problem {
        range: value.range.clone(),
        message: format!("`{key}` must be {expected}, not {}", value.type_name()),
        fix: None,
    }
}

/// Named files from strings; absolute paths are reported.
pub fn named_files(items: Vec<At<String>>, key: &'static str, problems: &mut Vec<Problem>) -> Vec<NamedFile> {
    items
        .into_iter()
        .map(|At { value, range }| {
            let kind = normalize::classify_path(&value);
            let inner = if range.len() >= 2 { range.start + 1..range.end - 1 } else { range };
            if kind == PathKind::Absolute {
                problems.push(Problem {
                    range: inner.clone(),
                    message: format!(
                        "`{value}` is an absolute path: name files relative to the workspace root (Baton never reads it)"
                    ),
                    fix: None,
                });
            }
            NamedFile { text: value, range: inner, kind, key }
        })
        .collect()
}

/// Reports every string value of `json` that looks like a secret.
pub fn secrets(json: &Json, problems: &mut Vec<Problem>) {
    let mut stack: Vec<(Option<&str>, &Json)> = vec![(None, json)];
    while let Some((key, value)) = stack.pop() {
        match &value.value {
            Value::String(s) => {
                if let Some(what) = normalize::secret_kind(key, s) {
                    problems.push(Problem {
                        range: value.range.clone(),
                        message: format!(
                            "this value looks like {what}: handoffs are committed and read by every agent; \
                             reference the secret by name instead"
                        ),
                        fix: None,
                    });
                }
            }
            Value::Array(items) => stack.extend(items.iter().map(|i| (key, i))),
            Value::Object(members) => stack.extend(members.iter().map(|m| (Some(m.key.as_str()), &m.value))),
            _ => {}
        }
    }
}

/// Reads a `validation`-style value: an object of gate → outcome (string, bool, or
/// `{status, command, detail}`), or a single outcome (named `name`).
pub fn gates(value: &Json, name: &str, problems: &mut Vec<Problem>) -> Vec<Gate> {
    match &value.value {
        Value::Object(members) => {
            // `{status, command, detail}` at the top: one gate.
            if value.get("status").is_some() && (value.get("command").is_some() || value.get("detail").is_some()) {
                return gate(name, value, problems).into_iter().collect();
            }
            members.iter().filter_map(|m| gate(&m.key, &m.value, problems)).collect()
        }
        _ => gate(name, value, problems).into_iter().collect(),
    }
}

/// One gate's outcome.
fn gate(name: &str, value: &Json, problems: &mut Vec<Problem>) -> Option<Gate> {
    let outcome = match &value.value {
        // A coverage figure beside the gates (`"coverage": "64%"`) is data, as a count is.
        Value::String(_) if name.to_ascii_lowercase().contains("coverage") && coverage_figure(value).is_some() => {
            return None
        }
        Value::String(s) => Outcome::parse(s),
        Value::Bool(true) => Outcome::Pass,
        Value::Bool(false) => Outcome::Fail,
        Value::Object(_) => match value.get("status").or_else(|| value.get("result")) {
            Some(status) => return gate(name, status, problems),
            // Figures beside the gates (`"coverage": {"statements": "70%", …}`) are data, not a
            // gate without a status; only an object that looks like a gate record is reported.
            None if value.get("command").is_none() && value.get("detail").is_none() => return None,
            None => {
                problems.push(Problem {
                    range: value.range.clone(),
                    message: format!("gate `{name}` has no `status` (`pass`, `fail`, `skipped` or `waived:<issue>`)"),
                    fix: None,
                });
                return None;
            }
        },
        // A count beside the gates (`"test_count": 44`) is data, not a gate.
        Value::Number(_) => return None,
        _ => {
            problems.push(type_problem(name, value, "`pass`, `fail`, `skipped`, `waived:<issue>` or a boolean"));
            return None;
        }
    };
    if let Outcome::Unknown(text) = &outcome {
        problems.push(Problem {
            range: value.range.clone(),
            message: format!(
                "gate `{name}`: `{text}` is not an outcome (`pass`, `fail`, `skipped` or `waived:<issue>`)"
            ),
            fix: None,
        });
    }
    if outcome == Outcome::Waived(String::new()) {
        problems.push(Problem {
            range: value.range.clone(),
            message: format!("gate `{name}` is waived without a reference: write `waived:<issue>`"),
            fix: None,
        });
    }
    Some(Gate { name: name.to_string(), outcome, range: value.range.clone() })
}

/// A coverage figure in percent: a number, a string such as `"70.83%"`, or an object whose
/// `line`/`lines`/`statements`/`total` member is one of those.
pub fn coverage_figure(value: &Json) -> Option<At<f64>> {
    let scalar = |v: &Json| match &v.value {
        Value::Number(n) => Some(At { value: *n, range: v.range.clone() }),
        Value::String(s) => {
            s.trim().trim_end_matches('%').trim().parse().ok().map(|n| At { value: n, range: v.range.clone() })
        }
        _ => None,
    };
    match &value.value {
        Value::Object(_) => ["line", "lines", "statements", "total"].iter().find_map(|k| value.get(k)).and_then(scalar),
        _ => scalar(value),
    }
}
