//! A cheap upper bound on how deep a SQL text would nest once parsed, computed before parsing so
//! that a pathological file (`select ((((…` or `1 + 1 + …` a hundred thousand times) is refused
//! instead of overflowing the stack in the recursive parser.
//!
//! The bound: at each bracket level, one for the bracket plus one for every operator seen at that
//! level since the last `,` or `;` there (an operator chain `a + b + c` nests once per operator;
//! a list does not nest). Strings, quoted identifiers, comments and dollar-quoted bodies are
//! skipped. It over-estimates (every operator counts, precedence is ignored), which is the safe
//! side: only absurd statements come near the limit.

/// Whether `text` may nest deeper than `limit`.
pub fn exceeds(text: &str, limit: usize) -> bool {
    let bytes = text.as_bytes();
    // Operators seen at each open bracket level (index 0 = top level).
    let mut chains: Vec<usize> = vec![0];
    let mut total = 0usize; // brackets open + every chain, kept in step with `chains`
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\'' | b'"' => i = skip_quoted(bytes, i, b),
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = skip_until(bytes, i, b"\n"),
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_until(bytes, i + 2, b"*/"),
            b'$' => i = skip_dollar_quoted(bytes, i),
            b'(' | b'[' => {
                chains.push(0);
                total += 1;
                i += 1;
            }
            b')' | b']' => {
                if chains.len() > 1 {
                    total -= 1 + chains.pop().unwrap_or(0);
                }
                i += 1;
            }
            b',' | b';' => {
                let last = chains.last_mut().expect("the top level is never popped");
                total -= *last;
                *last = 0;
                i += 1;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'<' | b'>' | b'=' | b'|' | b'&' | b'~' | b'!' | b'#' | b'@' => {
                bump(&mut chains, &mut total);
                // A multi-character operator (`<=`, `||`, `->>`) counts once.
                while i < bytes.len() && b"+-*/%^<>=|&~!#@".contains(&bytes[i]) {
                    i += 1;
                }
            }
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                if ["and", "or", "not", "is", "like", "ilike", "between", "in", "case", "when"]
                    .iter()
                    .any(|k| word.eq_ignore_ascii_case(k))
                {
                    bump(&mut chains, &mut total);
                }
            }
            _ => i += 1,
        }
        if total > limit {
            return true;
        }
    }
    false
}

fn bump(chains: &mut [usize], total: &mut usize) {
    if let Some(last) = chains.last_mut() {
        *last += 1;
        *total += 1;
    }
}

/// Index after the closing quote (a doubled quote is an escaped one).
fn skip_quoted(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// Index after `end` (or the end of the text).
fn skip_until(bytes: &[u8], start: usize, end: &[u8]) -> usize {
    bytes[start.min(bytes.len())..]
        .windows(end.len())
        .position(|w| w == end)
        .map_or(bytes.len(), |p| start + p + end.len())
}

/// Index after a `$tag$ … $tag$` body, or after the `$` when it does not open one (`$1`).
fn skip_dollar_quoted(bytes: &[u8], start: usize) -> usize {
    let tag_end =
        bytes[start + 1..].iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'_')).map(|p| start + 1 + p);
    match tag_end {
        Some(end) if bytes[end] == b'$' && !bytes[start + 1..end].first().is_some_and(u8::is_ascii_digit) => {
            skip_until(bytes, end + 1, &bytes[start..=end])
        }
        _ => start + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::exceeds;

    #[test]
    fn deep_brackets_and_long_operator_chains_exceed() {
        let parens = format!("select {}1{};", "(".repeat(2000), ")".repeat(2000));
        assert!(exceeds(&parens, 1000));
        assert!(exceeds(&format!("select {}1;", "1 + ".repeat(2000)), 1000));
        assert!(exceeds(&format!("select {}true;", "not ".repeat(2000)), 1000));
    }

    #[test]
    fn wide_statements_and_quoted_text_do_not() {
        // A seed insert with many rows is wide, not deep.
        let rows: Vec<String> = (0..5000).map(|i| format!("({i}, 'a-b', now() - interval '1 day')")).collect();
        assert!(!exceeds(&format!("insert into t values {};", rows.join(", ")), 1000));
        // Many statements each with a few operators.
        assert!(!exceeds(&"select 1 + 2 * 3 where a = b and c <> d;\n".repeat(5000), 1000));
        // Brackets and operators inside strings, comments and function bodies are not counted.
        let hidden = format!(
            "select '{0}'; -- {0}\n/* {0} */ create function f() returns int as $body$ {0} $body$ language sql;",
            "((((+".repeat(500)
        );
        assert!(!exceeds(&hidden, 1000));
        assert!(!exceeds("select $1 + $2;", 2));
    }
}
