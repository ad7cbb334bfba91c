//! Supabase Storage buckets: what `INSERT INTO storage.buckets`, `UPDATE storage.buckets` and
//! `DELETE FROM storage.buckets` with literal values leave in the table.
//!
//! Buckets are rows, not schema, but whether a bucket is public decides what a policy on
//! `storage.objects` exposes (splinter's lint 0025). Only literal rows are read: `INSERT … SELECT`
//! and values computed at run time leave the buckets as they were.

use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::model::{Bucket, Location};
use super::names::normalize_identifier;

/// One token of a statement: kind and text.
type Token = (SyntaxKind, String);

/// The statement's tokens without trivia.
fn tokens(statement: &SyntaxNode) -> Vec<Token> {
    statement
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
        .map(|t| (t.kind(), t.text().to_string()))
        .collect()
}

/// A literal's value: a string without its quotes, `true` / `false`, or the text as written.
fn literal(text: &str) -> String {
    match text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => text.to_ascii_lowercase(),
    }
}

/// Whether a literal value is a true boolean.
fn is_true(value: &str) -> bool {
    matches!(value, "true" | "t" | "on" | "yes" | "1")
}

/// The dotted name starting at `at`: its segments and the index after it.
fn dotted_name(tokens: &[Token], mut at: usize) -> (Vec<String>, usize) {
    let mut segments = Vec::new();
    while let Some((kind, text)) = tokens.get(at) {
        if *kind == SyntaxKind::DOT {
            at += 1;
            continue;
        }
        let word = text.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '"');
        if !word || (!segments.is_empty() && tokens.get(at - 1).is_some_and(|t| t.0 != SyntaxKind::DOT)) {
            break;
        }
        segments.push(normalize_identifier(text));
        at += 1;
    }
    (segments, at)
}

/// Whether `segments` name `storage.buckets` (unqualified when `storage` leads the search path).
fn is_buckets(segments: &[String], search_path: &[String]) -> bool {
    match segments {
        [schema, name] => schema == "storage" && name == "buckets",
        [name] => name == "buckets" && search_path.first().is_some_and(|s| s == "storage"),
        _ => false,
    }
}

/// The values of a parenthesised list starting at `at` (the `(`), split at top-level commas, and
/// the index after its `)`.
fn value_list(tokens: &[Token], at: usize) -> Option<(Vec<String>, usize)> {
    if tokens.get(at)?.0 != SyntaxKind::L_PAREN {
        return None;
    }
    let mut depth = 0usize;
    let mut values = vec![String::new()];
    for (i, (kind, text)) in tokens.iter().enumerate().skip(at) {
        match kind {
            SyntaxKind::L_PAREN | SyntaxKind::L_BRACK => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            SyntaxKind::R_PAREN | SyntaxKind::R_BRACK => {
                depth -= 1;
                if depth == 0 {
                    return Some((values, i + 1));
                }
            }
            SyntaxKind::COMMA if depth == 1 => {
                values.push(String::new());
                continue;
            }
            _ => {}
        }
        let value = values.last_mut()?;
        if !value.is_empty() {
            value.push(' ');
        }
        value.push_str(text);
    }
    None
}

/// The value of one item of a list: a literal alone (a cast after it is allowed), else `None`.
fn plain_value(item: &str) -> Option<String> {
    let head = item.split("::").next()?.trim();
    let single = head.starts_with('\'') || !head.contains(' ');
    single.then(|| literal(head))
}

/// Applies one statement to the buckets when it writes `storage.buckets`.
pub(super) fn apply(
    statement: &SyntaxNode,
    search_path: &[String],
    here: Location,
    buckets: &mut std::collections::BTreeMap<String, Bucket>,
) {
    let tokens = tokens(statement);
    match statement.kind() {
        SyntaxKind::INSERT => insert(&tokens, search_path, here, buckets),
        SyntaxKind::UPDATE => update(&tokens, search_path, here, buckets),
        SyntaxKind::DELETE => delete(&tokens, search_path, buckets),
        _ => {}
    }
}

fn insert(
    tokens: &[Token],
    search_path: &[String],
    here: Location,
    buckets: &mut std::collections::BTreeMap<String, Bucket>,
) {
    let Some(into) = tokens.iter().position(|t| t.0 == SyntaxKind::INTO_KW) else { return };
    let (target, mut at) = dotted_name(tokens, into + 1);
    if !is_buckets(&target, search_path) {
        return;
    }
    // `AS alias`
    if tokens.get(at).is_some_and(|t| t.0 == SyntaxKind::AS_KW) {
        at += 2;
    }
    let columns: Vec<String> = match value_list(tokens, at) {
        Some((columns, next)) if tokens.get(next).is_some_and(|t| t.0 == SyntaxKind::VALUES_KW) => {
            at = next;
            columns.iter().map(|c| normalize_identifier(c.trim())).collect()
        }
        _ => {
            vec!["id".into(), "name".into(), "owner".into(), "created_at".into(), "updated_at".into(), "public".into()]
        }
    };
    if tokens.get(at).is_none_or(|t| t.0 != SyntaxKind::VALUES_KW) {
        return;
    }
    at += 1;
    let mut rows = Vec::new();
    while let Some((values, next)) = value_list(tokens, at) {
        rows.push(values);
        at = next;
        if tokens.get(at).is_some_and(|t| t.0 == SyntaxKind::COMMA) {
            at += 1;
        } else {
            break;
        }
    }
    let rest: Vec<&str> = tokens[at.min(tokens.len())..].iter().map(|t| t.1.as_str()).collect();
    let rest = rest.join(" ").to_ascii_lowercase();
    let do_nothing = rest.contains("do nothing");
    // `ON CONFLICT … DO UPDATE SET public = …`: the new value when literal or `excluded.public`.
    let on_conflict_public = rest.split("set").nth(1).and_then(|set| {
        let after = set.split_once("public =")?.1.trim();
        let value = after.split([',', ' ']).next()?;
        Some(if value == "excluded.public" || value == "excluded . public" {
            None
        } else {
            Some(is_true(&literal(value)))
        })
    });
    let column = |name: &str| columns.iter().position(|c| c == name);
    for row in rows {
        let Some(id) = column("id").or_else(|| column("name")).and_then(|i| row.get(i)).and_then(|v| plain_value(v))
        else {
            continue;
        };
        let public = match column("public").map(|i| row.get(i).and_then(|v| plain_value(v))) {
            None => false,
            Some(Some(value)) => is_true(&value),
            Some(None) => continue,
        };
        match buckets.get_mut(&id) {
            Some(_) if do_nothing => {}
            Some(existing) => match on_conflict_public {
                Some(Some(value)) => {
                    existing.public = value;
                    existing.set = here.clone();
                }
                Some(None) => {
                    existing.public = public;
                    existing.set = here.clone();
                }
                None => {}
            },
            None => {
                buckets.insert(id.clone(), Bucket { id, public, set: here.clone() });
            }
        }
    }
}

/// `WHERE id = 'x'`, `WHERE name = 'x'`, `WHERE id IN ('a', 'b')`: the bucket ids it names;
/// `None` when there is no `WHERE` (every bucket) or it says something else (unknown).
fn where_ids(tokens: &[Token]) -> Option<Option<Vec<String>>> {
    let Some(at) = tokens.iter().position(|t| t.0 == SyntaxKind::WHERE_KW) else { return Some(None) };
    let (column, next) = dotted_name(tokens, at + 1);
    if !matches!(column.last().map(String::as_str), Some("id" | "name")) {
        return None;
    }
    match tokens.get(next) {
        Some((SyntaxKind::EQ, _)) => {
            let value = tokens.get(next + 1)?;
            (value.1.starts_with('\'') && tokens.len() <= next + 3).then(|| Some(vec![literal(&value.1)]))
        }
        Some((SyntaxKind::IN_KW, _)) => {
            let (values, _) = value_list(tokens, next + 1)?;
            values.iter().map(|v| plain_value(v)).collect::<Option<Vec<_>>>().map(Some)
        }
        _ => None,
    }
}

fn update(
    tokens: &[Token],
    search_path: &[String],
    here: Location,
    buckets: &mut std::collections::BTreeMap<String, Bucket>,
) {
    let Some(update) = tokens.iter().position(|t| t.0 == SyntaxKind::UPDATE_KW) else { return };
    let (target, _) = dotted_name(tokens, update + 1);
    if !is_buckets(&target, search_path) {
        return;
    }
    let Some(set) = tokens.iter().position(|t| t.0 == SyntaxKind::SET_KW) else { return };
    let end = tokens.iter().position(|t| t.0 == SyntaxKind::WHERE_KW).unwrap_or(tokens.len());
    let assignment =
        tokens[set..end].windows(3).find(|w| w[0].1.eq_ignore_ascii_case("public") && w[1].0 == SyntaxKind::EQ);
    let Some(value) = assignment.map(|w| literal(&w[2].1)) else { return };
    let public = is_true(&value);
    let Some(ids) = where_ids(tokens) else { return };
    for bucket in buckets.values_mut() {
        if ids.as_ref().is_none_or(|ids| ids.contains(&bucket.id)) {
            bucket.public = public;
            bucket.set = here.clone();
        }
    }
}

fn delete(tokens: &[Token], search_path: &[String], buckets: &mut std::collections::BTreeMap<String, Bucket>) {
    let Some(from) = tokens.iter().position(|t| t.0 == SyntaxKind::FROM_KW) else { return };
    let (target, _) = dotted_name(tokens, from + 1);
    if !is_buckets(&target, search_path) {
        return;
    }
    match where_ids(tokens) {
        Some(None) => buckets.clear(),
        Some(Some(ids)) => buckets.retain(|id, _| !ids.contains(id)),
        None => {}
    }
}
