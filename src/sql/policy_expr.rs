//! What the model reads from a policy's `USING` / `WITH CHECK` expression.

use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::model::{Location, PerRowCall, PolicyExpr};
use super::names::path_segments;

/// Functions whose result is the same for every row of a query, so PostgreSQL can evaluate them
/// once when they are wrapped in `(select …)` and evaluates them per row otherwise.
const STABLE_AUTH_CALLS: &[&str] = &["auth.uid", "auth.jwt", "auth.role", "auth.email", "current_setting"];

/// Reads the expression inside a `USING (…)` / `WITH CHECK (…)` clause.
pub(super) fn analyze(clause: &SyntaxNode, source: &str, here: &dyn Fn(&SyntaxNode) -> Location) -> Option<PolicyExpr> {
    let src = |node: &SyntaxNode| source.get(super::replay::text_range(node)).unwrap_or("");
    let expr = clause.children().next()?;
    let text = src(&expr).to_string();
    let mut per_row_calls = Vec::new();
    let mut user_metadata = None;
    // The called functions' names, normalised as PostgreSQL does: `"auth"."uid"()` (pg_dump's
    // spelling) is `auth.uid()`, `"Auth".uid()` is another function.
    let callee = |call: &SyntaxNode| call.first_child().map(|c| path_segments(&c).join("."));
    let reads_jwt = expr
        .descendants()
        .filter(|n| n.kind() == SyntaxKind::CALL_EXPR)
        .filter_map(|n| callee(&n))
        .any(|name| name == "auth.jwt" || name == "current_setting");
    for node in expr.descendants() {
        match node.kind() {
            SyntaxKind::CALL_EXPR => {
                let Some(name) = callee(&node) else { continue };
                if STABLE_AUTH_CALLS.contains(&name.as_str()) && !wrapped_in_select(&node) {
                    per_row_calls.push(PerRowCall { location: here(&node), text: src(&node).to_string() });
                }
            }
            SyntaxKind::LITERAL
                if user_metadata.is_none()
                    && reads_jwt
                    && src(&node).to_string().to_lowercase().contains("user_metadata") =>
            {
                user_metadata = Some(here(&node));
            }
            _ => {}
        }
    }
    Some(PolicyExpr { always_true: always_true(&expr), text, location: here(&expr), user_metadata, per_row_calls })
}

/// `true`, `(true)`, `1 = 1`, `'a' = 'a'`.
fn always_true(expr: &SyntaxNode) -> bool {
    let mut node = expr.clone();
    for _ in 0..32 {
        if node.kind() != SyntaxKind::PAREN_EXPR {
            break;
        }
        let Some(inner) = node.first_child() else { return false };
        node = inner;
    }
    match node.kind() {
        SyntaxKind::LITERAL => node.first_token().is_some_and(|t| t.kind() == SyntaxKind::TRUE_KW),
        SyntaxKind::BIN_EXPR => {
            let operands: Vec<SyntaxNode> = node.children().collect();
            let is_eq = node.children_with_tokens().any(|e| e.kind() == SyntaxKind::EQ);
            is_eq
                && operands.len() == 2
                && operands.iter().all(|o| o.kind() == SyntaxKind::LITERAL)
                && operands[0].text() == operands[1].text()
        }
        _ => false,
    }
}

/// True when the call is the value of a `(select …)` target list, i.e. evaluated once.
fn wrapped_in_select(call: &SyntaxNode) -> bool {
    for ancestor in call.ancestors().skip(1).take(64) {
        match ancestor.kind() {
            SyntaxKind::TARGET => return true,
            SyntaxKind::WHERE_CLAUSE
            | SyntaxKind::USING_EXPR_CLAUSE
            | SyntaxKind::WITH_CHECK_EXPR_CLAUSE
            | SyntaxKind::ON_CLAUSE
            | SyntaxKind::HAVING_CLAUSE
            | SyntaxKind::FROM_CLAUSE => return false,
            _ => {}
        }
    }
    false
}
