//! The shapes of user query patterns: a small reader of tree-sitter's query syntax that splits a
//! query into its top-level patterns and takes their predicates out, so that the patterns of one
//! structure (the same nodes, fields, anchors, quantifiers and captures; whitespace and comments
//! aside) are compiled once for every rule that has them, and each rule's predicates are
//! evaluated in Rust on the match (docs/user-rules.md, "What makes rules cheap").
//!
//! tree-sitter analyses every pattern against the grammar when a query is compiled, at a cost
//! that grows with the parent node kinds a pattern uses, and shares nothing between identical
//! patterns: fifty "banned call" rules that differ only in the name in `#eq?` cost fifty
//! analyses, one with their shapes shared.
//!
//! The reader follows tree-sitter 0.25's `query.c` (identifiers, strings and their escapes,
//! `;` comments) and the Rust binding's reading of the text predicates. Whatever it is unsure
//! of (a construct it does not know, a predicate in an alternation, beside an anchor or before a
//! capture it names, `#set!`/`#is?`, an invalid regular expression …) makes [`split`] answer
//! `None`: the query is then compiled as written, as before, and tree-sitter reports its errors.

use std::ops::Range;

use tree_sitter::{QueryMatch, QueryPredicate, QueryPredicateArg};

use crate::rules::Rule;

/// A token of the query syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Token {
    /// `(`
    Open,
    /// `)`
    Close,
    /// `[`
    OpenAlt,
    /// `]`
    CloseAlt,
    /// A string literal: its source (quotes and escapes as written) and its value.
    Str(String, String),
    /// `@name`
    Capture(String),
    /// `#name` (a predicate's operator)
    Predicate(String),
    /// A node or field name, a bare symbol, `_`.
    Ident(String),
    /// `:`
    Colon,
    /// `!`
    Bang,
    /// `.` (an anchor)
    Dot,
    /// `*`, `+` or `?`
    Quantifier(char),
}

impl Token {
    /// The token as it is compared between patterns.
    fn key(&self) -> String {
        match self {
            Token::Open => "(".into(),
            Token::Close => ")".into(),
            Token::OpenAlt => "[".into(),
            Token::CloseAlt => "]".into(),
            Token::Str(source, _) => source.clone(),
            Token::Capture(name) => format!("@{name}"),
            Token::Predicate(name) => format!("#{name}"),
            Token::Ident(name) => name.clone(),
            Token::Colon => ":".into(),
            Token::Bang => "!".into(),
            Token::Dot => ".".into(),
            Token::Quantifier(q) => q.to_string(),
        }
    }
}

/// `iswspace` for the ASCII the reader accepts outside strings and comments.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_ident_char(b: u8) -> bool {
    is_ident_start(b) || matches!(b, b'.' | b'?' | b'!')
}

/// The tokens of `query` with their byte ranges, or `None` for anything unexpected (including
/// non-ASCII text outside strings and comments, whose classification depends on the C library's
/// locale).
pub(super) fn tokenize(query: &str) -> Option<Vec<(Token, Range<usize>)>> {
    let bytes = query.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let ident_end = |from: usize| {
        let mut end = from + 1;
        while end < bytes.len() && is_ident_char(bytes[end]) {
            end += 1;
        }
        end
    };
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let token = match b {
            _ if is_space(b) => {
                i += 1;
                continue;
            }
            b';' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' => {
                i += 1;
                Token::Open
            }
            b')' => {
                i += 1;
                Token::Close
            }
            b'[' => {
                i += 1;
                Token::OpenAlt
            }
            b']' => {
                i += 1;
                Token::CloseAlt
            }
            b':' => {
                i += 1;
                Token::Colon
            }
            b'!' => {
                i += 1;
                Token::Bang
            }
            b'.' => {
                i += 1;
                Token::Dot
            }
            b'*' | b'+' | b'?' => {
                i += 1;
                Token::Quantifier(char::from(b))
            }
            b'@' | b'#' => {
                if !bytes.get(i + 1).copied().is_some_and(is_ident_start) {
                    return None;
                }
                let end = ident_end(i + 1);
                let name = query[i + 1..end].to_string();
                i = end;
                if b == b'@' {
                    Token::Capture(name)
                } else {
                    Token::Predicate(name)
                }
            }
            b'"' => {
                let (value, end) = string_literal(query, i)?;
                i = end;
                Token::Str(query[start..end].to_string(), value)
            }
            _ if is_ident_start(b) => {
                let end = ident_end(i);
                i = end;
                Token::Ident(query[start..end].to_string())
            }
            _ => return None,
        };
        out.push((token, start..i));
    }
    Some(out)
}

/// The string literal starting at `start` (a `"`): its value and the byte after its closing
/// quote. `\n`, `\r`, `\t`, `\0` are escapes, any other escaped character stands for itself; a
/// line break or the end of the text before the closing quote is an error (`None`).
fn string_literal(query: &str, start: usize) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = query[start + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => return Some((value, start + 1 + offset + 1)),
            '\n' => return None,
            '\\' => {
                let (_, escaped) = chars.next()?;
                value.push(match escaped {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    '0' => '\0',
                    other => other,
                });
            }
            other => value.push(other),
        }
    }
    None
}

/// An argument of a predicate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// `@name`
    Capture(String),
    /// A string literal or a bare symbol.
    Str(String),
}

/// One of tree-sitter's text predicates, by capture name (before the captures are numbered) or
/// by capture index.
#[derive(Clone, Debug)]
pub enum TextPredicate<C> {
    /// `#eq?` and its `not-` / `any-` forms against a string: (capture, text, positive, every
    /// node).
    EqString(C, String, bool, bool),
    /// The same against another capture.
    EqCapture(C, C, bool, bool),
    /// `#match?` and its forms: (capture, expression, positive, every node).
    Match(C, regex::bytes::Regex, bool, bool),
    /// `#any-of?` / `#not-any-of?`: (capture, texts, positive).
    AnyOf(C, Vec<String>, bool),
}

impl<C> TextPredicate<C> {
    /// The predicate with its captures mapped by `f` (`None` when one does not map).
    fn map<D>(&self, mut f: impl FnMut(&C) -> Option<D>) -> Option<TextPredicate<D>> {
        Some(match self {
            TextPredicate::EqString(c, s, p, a) => TextPredicate::EqString(f(c)?, s.clone(), *p, *a),
            TextPredicate::EqCapture(c, d, p, a) => TextPredicate::EqCapture(f(c)?, f(d)?, *p, *a),
            TextPredicate::Match(c, r, p, a) => TextPredicate::Match(f(c)?, r.clone(), *p, *a),
            TextPredicate::AnyOf(c, v, p) => TextPredicate::AnyOf(f(c)?, v.clone(), *p),
        })
    }
}

impl TextPredicate<u32> {
    /// True when the predicate holds for match `m` of a file of `text`: exactly what
    /// tree-sitter's `QueryMatch::satisfies_text_predicates` (0.25) decides, quantified
    /// captures included.
    pub fn holds(&self, m: &QueryMatch<'_, '_>, text: &[u8]) -> bool {
        let nodes = |index: u32| m.captures.iter().filter(move |c| c.index == index).map(|c| c.node);
        let text_of = |node: tree_sitter::Node<'_>| text.get(node.byte_range()).unwrap_or_default();
        // Every node (`all`) or some node (`!all`) must agree with `positive`; tree-sitter
        // answers true when no node settles it either way.
        let judge = |verdicts: &mut dyn Iterator<Item = bool>, positive: bool, all: bool| {
            for verdict in verdicts {
                if verdict != positive && all {
                    return false;
                }
                if verdict == positive && !all {
                    return true;
                }
            }
            true
        };
        match self {
            TextPredicate::EqString(c, s, positive, all) => {
                judge(&mut nodes(*c).map(|n| text_of(n) == s.as_bytes()), *positive, *all)
            }
            TextPredicate::Match(c, r, positive, all) => {
                judge(&mut nodes(*c).map(|n| r.is_match(text_of(n))), *positive, *all)
            }
            TextPredicate::EqCapture(c, d, positive, all) => {
                let mut first = nodes(*c).peekable();
                let mut second = nodes(*d).peekable();
                while let (Some(a), Some(b)) = (first.peek().copied(), second.peek().copied()) {
                    first.next();
                    second.next();
                    let verdict = text_of(a) == text_of(b);
                    if verdict != *positive && *all {
                        return false;
                    }
                    if verdict == *positive && !*all {
                        return true;
                    }
                }
                first.next().is_none() && second.next().is_none()
            }
            TextPredicate::AnyOf(c, values, positive) => {
                nodes(*c).all(|n| values.iter().any(|v| text_of(n) == v.as_bytes()) == *positive)
            }
        }
    }
}

/// One top-level pattern of a query, with its predicates taken out.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// Byte offset of the pattern in the query.
    pub start: usize,
    /// The pattern's text with its predicates blanked (line breaks kept): what is compiled.
    pub structure: String,
    /// The structure's tokens, the same for every pattern of the same shape.
    pub key: String,
    /// tree-sitter's text predicates.
    pub text: Vec<TextPredicate<String>>,
    /// The other predicates (Baton's, [`super::predicates`]), by name and arguments.
    pub general: Vec<(String, Vec<Arg>)>,
}

/// The patterns of `query`, or `None` when the reader is unsure of anything in it (the query is
/// then compiled as written).
pub fn split(query: &str) -> Option<Vec<Pattern>> {
    let tokens = tokenize(query)?;
    let mut patterns = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        // A pattern: one bracketed item, then its captures and quantifiers.
        if !matches!(tokens[i].0, Token::Open | Token::OpenAlt) {
            return None;
        }
        let first = i;
        let mut depth = 0usize;
        loop {
            match tokens.get(i)?.0 {
                Token::Open | Token::OpenAlt => depth += 1,
                Token::Close | Token::CloseAlt => depth -= 1,
                _ => {}
            }
            i += 1;
            if depth == 0 {
                break;
            }
        }
        while matches!(tokens.get(i).map(|t| &t.0), Some(Token::Capture(_) | Token::Quantifier(_))) {
            i += 1;
        }
        patterns.push(pattern(query, &tokens[first..i])?);
    }
    Some(patterns)
}

/// One pattern from its tokens.
fn pattern(query: &str, tokens: &[(Token, Range<usize>)]) -> Option<Pattern> {
    let span = tokens.first()?.1.start..tokens.last()?.1.end;
    let mut structure = query[span.clone()].to_string().into_bytes();
    let mut key = String::new();
    let mut text = Vec::new();
    let mut general = Vec::new();
    let mut defined: Vec<&str> = Vec::new();
    // The open brackets around the current token.
    let mut stack: Vec<&Token> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (token, range) = &tokens[i];
        let is_predicate = *token == Token::Open && matches!(tokens.get(i + 1), Some((Token::Predicate(_), _)));
        if !is_predicate {
            match token {
                Token::Open | Token::OpenAlt => stack.push(token),
                Token::Close | Token::CloseAlt => {
                    let open = stack.pop()?;
                    if (*open == Token::Open) != (*token == Token::Close) {
                        return None;
                    }
                }
                Token::Capture(name) => defined.push(name),
                // `#name` outside `(`; `/` (supertypes) never gets here.
                Token::Predicate(_) => return None,
                _ => {}
            }
            key.push_str(&token.key());
            key.push('\u{1}');
            i += 1;
            continue;
        }
        // A predicate: inside a parenthesised group (a node or a grouped sequence), after a
        // node, capture or another predicate (never first, after an anchor, a field name or
        // `!`), and followed only by predicates up to its group's end.
        if stack.last() != Some(&&Token::Open) {
            return None;
        }
        let before = tokens.get(i.checked_sub(1)?).map(|t| &t.0)?;
        if !matches!(
            before,
            Token::Close
                | Token::CloseAlt
                | Token::Capture(_)
                | Token::Quantifier(_)
                | Token::Str(..)
                | Token::Ident(_)
        ) {
            return None;
        }
        if let Token::Ident(_) = before {
            // A node's name (`(identifier (#eq? …))`), not a field's (`f: (#eq? …)`, rejected
            // because the colon comes before) nor a negated field's (`!f (#eq? …)`).
            if !matches!(tokens.get(i.wrapping_sub(2)).map(|t| &t.0), Some(Token::Open)) {
                return None;
            }
        }
        let Token::Predicate(name) = &tokens[i + 1].0 else { return None };
        let mut args = Vec::new();
        let mut j = i + 2;
        loop {
            match &tokens.get(j)?.0 {
                Token::Close => break,
                Token::Capture(c) => {
                    if !defined.contains(&c.as_str()) {
                        return None;
                    }
                    args.push(Arg::Capture(c.clone()));
                }
                Token::Str(_, value) => args.push(Arg::Str(value.clone())),
                Token::Ident(symbol) => args.push(Arg::Str(symbol.clone())),
                _ => return None,
            }
            j += 1;
        }
        let end = tokens[j].1.end;
        match tokens.get(j + 1).map(|t| &t.0) {
            Some(Token::Close) => {}
            Some(Token::Open) if matches!(tokens.get(j + 2), Some((Token::Predicate(_), _))) => {}
            _ => return None,
        }
        for byte in &mut structure[range.start - span.start..end - span.start] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
        match text_predicate(name, &args) {
            Some(Ok(predicate)) => text.push(predicate),
            Some(Err(())) => return None,
            None => general.push((name.clone(), args)),
        }
        i = j + 1;
    }
    if !stack.is_empty() {
        return None;
    }
    Some(Pattern { start: span.start, structure: String::from_utf8(structure).ok()?, key, text, general })
}

/// tree-sitter's reading of a text predicate: `Some(Ok)`, `Some(Err)` when tree-sitter would
/// reject it or treats it otherwise (`#set!`, `#is?`: left to tree-sitter), `None` for a
/// general predicate.
fn text_predicate(name: &str, args: &[Arg]) -> Option<Result<TextPredicate<String>, ()>> {
    let capture = match args.first() {
        Some(Arg::Capture(c)) => Some(c.clone()),
        _ => None,
    };
    Some(match name {
        "eq?" | "not-eq?" | "any-eq?" | "any-not-eq?" => {
            let positive = name == "eq?" || name == "any-eq?";
            let all = !name.starts_with("any-");
            match (capture, args) {
                (Some(c), [_, Arg::Str(s)]) => Ok(TextPredicate::EqString(c, s.clone(), positive, all)),
                (Some(c), [_, Arg::Capture(d)]) => Ok(TextPredicate::EqCapture(c, d.clone(), positive, all)),
                _ => Err(()),
            }
        }
        "match?" | "not-match?" | "any-match?" | "any-not-match?" => {
            let positive = name == "match?" || name == "any-match?";
            let all = !name.starts_with("any-");
            match (capture, args) {
                (Some(c), [_, Arg::Str(r)]) => match regex::bytes::Regex::new(r) {
                    Ok(regex) => Ok(TextPredicate::Match(c, regex, positive, all)),
                    Err(_) => Err(()),
                },
                _ => Err(()),
            }
        }
        "any-of?" | "not-any-of?" => {
            let mut values = Vec::new();
            for arg in args.iter().skip(1) {
                match arg {
                    Arg::Str(s) => values.push(s.clone()),
                    Arg::Capture(_) => return Some(Err(())),
                }
            }
            match capture {
                Some(c) => Ok(TextPredicate::AnyOf(c, values, name == "any-of?")),
                None => Err(()),
            }
        }
        "set!" | "is?" | "is-not?" => Err(()),
        _ => return None,
    })
}

/// One rule's share of a pattern compiled once for every rule of its shape: the rule and its
/// predicates, with the captures numbered as in the combined query.
pub struct Member {
    /// The rule.
    pub rule: &'static Rule,
    /// tree-sitter's text predicates, evaluated by [`Member::text_holds`].
    pub text: Vec<TextPredicate<u32>>,
    /// Baton's predicates ([`super::predicates::holds`]).
    pub general: Vec<QueryPredicate>,
}

impl Member {
    /// The member of `rule` for `pattern`, its captures numbered by `index` (`None` when one is
    /// not a capture of the query).
    pub fn new(rule: &'static Rule, pattern: &Pattern, index: impl Fn(&str) -> Option<u32>) -> Option<Member> {
        let text = pattern.text.iter().map(|p| p.map(|c| index(c))).collect::<Option<Vec<_>>>()?;
        let mut general = Vec::new();
        for (name, args) in &pattern.general {
            let args = args
                .iter()
                .map(|a| match a {
                    Arg::Capture(c) => index(c).map(QueryPredicateArg::Capture),
                    Arg::Str(s) => Some(QueryPredicateArg::String(s.as_str().into())),
                })
                .collect::<Option<Vec<_>>>()?;
            general.push(QueryPredicate { operator: name.as_str().into(), args: args.into() });
        }
        Some(Member { rule, text, general })
    }

    /// True when every text predicate of the rule holds for match `m` of a file of `text`.
    pub fn text_holds(&self, m: &QueryMatch<'_, '_>, text: &[u8]) -> bool {
        self.text.iter().all(|p| p.holds(m, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(query: &str) -> Pattern {
        let mut patterns = split(query).unwrap_or_else(|| panic!("unsure of {query}"));
        assert_eq!(patterns.len(), 1, "{query}");
        patterns.remove(0)
    }

    #[test]
    fn predicates_are_taken_out_and_shapes_compare_without_whitespace_and_comments() {
        let a = one("((call_expression function: (identifier) @f) @match (#eq? @f \"legacyCall\"))");
        let b = one("( (call_expression\n  function : (identifier) @f) ; the callee\n @match\n (#eq? @f \"other\") )");
        assert_eq!(a.key, b.key);
        let words = a.structure.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(words, "((call_expression function: (identifier) @f) @match )");
        assert_eq!(
            a.structure.len(),
            "((call_expression function: (identifier) @f) @match (#eq? @f \"legacyCall\"))".len()
        );
        assert!(b.structure.contains("; the callee\n"), "comments and line breaks are kept: {}", b.structure);
        assert!(matches!(&a.text[..], [TextPredicate::EqString(c, s, true, true)] if c == "f" && s == "legacyCall"));
        // Near misses: another field, another capture name, a quantifier, an anchor.
        for other in [
            "((call_expression arguments: (identifier) @f) @match (#eq? @f \"x\"))",
            "((call_expression function: (identifier) @g) @match (#eq? @g \"x\"))",
            "((call_expression function: (identifier)? @f) @match (#eq? @f \"x\"))",
            "((call_expression . function: (identifier) @f) @match (#eq? @f \"x\"))",
            "((call_expression function: (identifier) @f) @match (#eq? @f \"x\")) @extra",
        ] {
            assert_ne!(one(other).key, a.key, "{other}");
        }
    }

    #[test]
    fn every_predicate_form_is_read() {
        let p = one(concat!(
            "((call_expression function: (member_expression object: (identifier) @o property: (property_identifier) @p)) @match\n",
            " (#not-eq? @o @p) (#any-eq? @o \"a\") (#match? @p \"^get[A-Z]\") (#any-not-match? @p \"x\")\n",
            " (#any-of? @p \"a\" \"b\" c) (#not-any-of? @o) (#inside-call? @match \"withTracing\") (#not-test-file?))"
        ));
        assert_eq!(p.text.len(), 6);
        assert!(matches!(&p.text[0], TextPredicate::EqCapture(a, b, false, true) if a == "o" && b == "p"));
        assert!(matches!(&p.text[1], TextPredicate::EqString(_, _, true, false)));
        assert!(matches!(&p.text[2], TextPredicate::Match(_, _, true, true)));
        assert!(matches!(&p.text[3], TextPredicate::Match(_, _, false, false)));
        assert!(matches!(&p.text[4], TextPredicate::AnyOf(_, v, true) if v == &["a", "b", "c"]));
        assert!(matches!(&p.text[5], TextPredicate::AnyOf(_, v, false) if v.is_empty()));
        assert_eq!(
            p.general,
            [
                ("inside-call?".to_string(), vec![Arg::Capture("match".into()), Arg::Str("withTracing".into())]),
                ("not-test-file?".to_string(), vec![]),
            ]
        );
        assert!(!p.structure.contains('#'), "{}", p.structure);
    }

    #[test]
    fn strings_keep_their_escapes_in_the_shape_and_decode_in_predicates() {
        let p = one(r#"((string (string_fragment) @s) @match (#eq? @s "a\"b\\c\nd\qe"))"#);
        assert!(matches!(&p.text[0], TextPredicate::EqString(_, s, ..) if s == "a\"b\\c\nd\u{71}e"));
        // An anonymous node's string is part of the shape.
        let a = one(r#"((binary_expression operator: "+" ) @match)"#);
        let b = one(r#"((binary_expression operator: "-" ) @match)"#);
        assert_ne!(a.key, b.key);
    }

    #[test]
    fn several_patterns_are_split_with_their_own_predicates() {
        let patterns = split(concat!(
            "; first\n((identifier) @match (#eq? @match \"a\"))\n",
            "(new_expression constructor: (identifier) @c (#match? @c \"^Old\")) @match\n",
            "[(true) (false)] @match"
        ))
        .unwrap();
        assert_eq!(patterns.len(), 3);
        assert_eq!(patterns[0].start, 8);
        assert!(matches!(&patterns[1].text[..], [TextPredicate::Match(..)]));
        assert!(patterns[2].text.is_empty() && patterns[2].general.is_empty());
    }

    /// What the reader is unsure of leaves the query to tree-sitter as written.
    #[test]
    fn anything_unsure_is_left_as_written() {
        for query in [
            "((identifier) @m (#eq? @m \"x\")",               // unbalanced
            "((identifier) @m (#eq? @m \"x))",                // unterminated string
            "((identifier) @m (#eq? @m \"x\ny\"))",           // a line break in a string
            "((identifier) @m (#eq? @later \"x\")) @later",   // a capture named before it is defined
            "((identifier) @m (#eq? @m \"x\") (identifier))", // a node after a predicate
            "((identifier) @m . (#eq? @m \"x\"))",            // an anchor before a predicate
            "((identifier) @m (#eq? @m \"x\") .)",            // an anchor after it
            "[((identifier) @m) (#eq? @m \"x\")]",            // a predicate in an alternation
            "(#eq? @m \"x\")",                                // at the top level
            "((identifier) @m (#set! kind \"x\"))",           // a directive
            "((identifier) @m (#is? local))",                 // a property predicate
            "((identifier) @m (#match? @m \"(\"))",           // an invalid regular expression
            "((identifier) @m (#eq? @m))",                    // the wrong number of arguments
            "((identifier) @m (#eq? \"x\" @m))",              // a string first
            "((identifier) @m (#any-of? @m @m))",             // a capture among any-of's texts
            "((expression/identifier) @m)",                   // a supertype's subtype
            "((identifier) @m (#eq? @m (x)))",                // a group inside a predicate
            "((identifier) @é)",                              // non-ASCII outside strings
            "(call_expression function: (#eq? @m \"x\")) @m", // a predicate as a field's value
            "\"x\" @m",                                       // a top-level string
        ] {
            assert!(split(query).is_none(), "{query}");
        }
        // Near misses that are read.
        assert!(split("((identifier) @m (#eq? @m \"é\"))").is_some());
        assert!(split("(identifier (#eq? @m \"x\")) @m").is_none());
        assert!(split("((identifier) @m (#eq? @m x))").is_some(), "a bare symbol is a string");
        assert!(split("((call_expression (identifier) @m (#eq? @m \"x\")) @match)").is_some());
    }

    /// The text predicates decide as tree-sitter does, on real matches: the same query compiled
    /// with its predicates and without (then evaluated by [`TextPredicate::holds`]) gives the
    /// same matches, quantified captures and `any-` forms included.
    #[test]
    fn text_predicates_agree_with_tree_sitter() {
        let language = crate::syntax::Grammar::TypeScript.language();
        let source = "f(a, b, a); f(a, a); g(b); f(); h.get(x, y); h.getAll(); const ab = \"ab\";\n";
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&language).unwrap();
        let tree = parser.parse(source, None).unwrap();
        let shape = "((call_expression function: (_) @f arguments: (arguments (_)* @args)) @match";
        let mut compared = 0;
        for predicates in [
            "(#eq? @args \"a\")",
            "(#not-eq? @args \"a\")",
            "(#any-eq? @args \"b\")",
            "(#any-not-eq? @args \"a\")",
            "(#match? @f \"^[fg]$\")",
            "(#not-match? @args \"^a$\")",
            "(#any-match? @args \"b\")",
            "(#any-not-match? @args \"a\")",
            "(#any-of? @args \"a\" \"x\")",
            "(#not-any-of? @args \"a\")",
            "(#eq? @f @args)",
            "(#not-eq? @args @args)",
            "(#any-eq? @f @args)",
            "(#any-of? @f \"f\" \"g\") (#not-eq? @f \"g\")",
            "(#eq? @args ab)",
        ] {
            let with = format!("{shape} {predicates})");
            let query = tree_sitter::Query::new(&language, &with).expect(&with);
            let mut cursor = tree_sitter::QueryCursor::new();
            let mut expected = Vec::new();
            let mut matches = cursor.matches(&query, tree.root_node(), source.as_bytes());
            while let Some(m) = streaming_iterator::StreamingIterator::next(&mut matches) {
                expected.push(m.captures.iter().map(|c| (c.index, c.node.byte_range())).collect::<Vec<_>>());
            }
            let pattern = one(&with);
            let bare = tree_sitter::Query::new(&language, &pattern.structure).unwrap();
            let member = Member::new(&crate::rules::all()[0], &pattern, |c| bare.capture_index_for_name(c)).unwrap();
            let mut cursor = tree_sitter::QueryCursor::new();
            let mut found = Vec::new();
            let mut matches = cursor.matches(&bare, tree.root_node(), source.as_bytes());
            while let Some(m) = streaming_iterator::StreamingIterator::next(&mut matches) {
                if member.text_holds(m, source.as_bytes()) {
                    found.push(m.captures.iter().map(|c| (c.index, c.node.byte_range())).collect::<Vec<_>>());
                }
            }
            assert_eq!(found, expected, "{predicates}");
            compared += expected.len();
        }
        assert!(compared > 20, "{compared} matches compared");
    }

    /// Every pattern of the built-in queries, with text predicates of every form on its
    /// captures, finds on every TypeScript/JavaScript file of the tests and examples exactly what
    /// tree-sitter finds with the predicates in the query: the shared path (the structure
    /// compiled without them, [`Member::text_holds`] on each match) is the same as compiling each
    /// rule as written.
    #[test]
    fn shared_structures_find_what_tree_sitter_finds_on_every_fixture() {
        use streaming_iterator::StreamingIterator;
        use tree_sitter::{Query, QueryCursor};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut trees = Vec::new();
        let mut parser = tree_sitter::Parser::new();
        let language = crate::syntax::Grammar::Tsx.language();
        parser.set_language(&language).unwrap();
        for dir in ["tests/fixtures", "examples"] {
            for entry in ignore::WalkBuilder::new(root.join(dir)).build().flatten() {
                let kind = entry.path().to_str().and_then(crate::syntax::FileKind::from_path);
                if kind.is_some_and(|k| k.is_ecmascript()) {
                    let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                    let tree = parser.parse(&text, None).unwrap();
                    trees.push((text, tree));
                }
            }
        }
        assert!(trees.len() > 40, "{} files", trees.len());
        let forms = [
            "(#match? @C \"^[a-m]\")",
            "(#not-match? @C \"[A-Z]\")",
            "(#any-match? @C \"e\")",
            "(#any-not-eq? @C \"prisma\")",
            "(#any-of? @C \"prisma\" \"db\" \"user\" \"data\" \"supabase\")",
            "(#not-any-of? @C \"const\" \"prisma\")",
            "(#eq? @C \"prisma\")",
            "(#not-eq? @C \"db\")",
            "(#any-eq? @C \"db\")",
            "(#any-not-match? @C \"^[a-z]\")",
        ];
        let all = |query: &Query, keep: &dyn Fn(&QueryMatch<'_, '_>, &[u8]) -> bool| {
            let mut found = Vec::new();
            for (file, (text, tree)) in trees.iter().enumerate() {
                let mut cursor = QueryCursor::new();
                let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
                while let Some(m) = matches.next() {
                    if keep(m, text.as_bytes()) {
                        let names = query.capture_names();
                        let captures: Vec<_> = m
                            .captures
                            .iter()
                            .map(|c| (names[c.index as usize].to_string(), c.node.byte_range()))
                            .collect();
                        found.push((file, m.pattern_index, captures));
                    }
                }
            }
            found
        };
        let (mut compared, mut matched, mut variant) = (0, 0, 0);
        for rule in crate::rules::all() {
            let Some(source) = rule.query_source() else { continue };
            let Some(patterns) = split(source) else { continue };
            for pattern in patterns {
                let Ok(bare) = Query::new(&language, &pattern.structure) else { continue };
                let captures: Vec<&str> = bare.capture_names().to_vec();
                let mut sets: Vec<String> = captures
                    .iter()
                    .map(|c| {
                        variant += 1;
                        forms[variant % forms.len()].replace("@C", &format!("@{c}"))
                    })
                    .collect();
                if let [a, b, ..] = captures[..] {
                    sets.push(format!("(#not-eq? @{a} @{b}) (#any-eq? @{b} @{a})"));
                    sets.push(format!("(#eq? @{a} @{b})"));
                }
                for predicates in sets {
                    let written = format!("({} {predicates})", pattern.structure.trim());
                    let Ok(with) = Query::new(&language, &written) else { continue };
                    let shared = one(&written);
                    let structure = Query::new(&language, &shared.structure).unwrap();
                    let member = Member::new(rule, &shared, |c| structure.capture_index_for_name(c)).unwrap();
                    let expected = all(&with, &|_, _| true);
                    let found = all(&structure, &|m, text| member.text_holds(m, text));
                    assert_eq!(found, expected, "{written}");
                    compared += 1;
                    matched += expected.len();
                }
            }
        }
        assert!(compared > 60 && matched > 1000, "{compared} queries compared, {matched} matches");
    }
}
