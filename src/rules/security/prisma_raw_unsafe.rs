//! `security/prisma-raw-unsafe`: SQL built at run time passed to `$queryRawUnsafe` /
//! `$executeRawUnsafe`.

use tree_sitter::Node;

use crate::engine::{ecma, Finding, Fix, QueryMatchContext};
use crate::rules::{Matcher, Rule, Severity, ECMASCRIPT};

/// The prefilter's necessary condition (`engine::prefilter`): `$queryRawUnsafe` or
/// `$executeRawUnsafe`.
pub fn may_match(_path: &str, text: &str, _config: &crate::config::Config) -> bool {
    text.contains("RawUnsafe")
}

/// The rule.
pub fn rule() -> Rule {
    Rule {
        id: "security/prisma-raw-unsafe",
        default_severity: Severity::Error,
        kinds: ECMASCRIPT,
        summary:
            "`$queryRawUnsafe` / `$executeRawUnsafe` with SQL built from interpolation, concatenation or a variable",
        doc: include_str!("../../../docs/rules/security/prisma-raw-unsafe.md"),
        matcher: Matcher::Query {
            source: include_str!("../../../queries/typescript/security/prisma-raw-unsafe.scm"),
            predicate: Some(check),
        },
    }
}

fn check(ctx: &QueryMatchContext<'_, '_>) -> Option<Finding> {
    let operation = ctx.capture("operation")?;
    let (call, _) = ecma::method_call_of(operation)?;
    // The tagged template `$queryRaw`…`` is parameterised: its arguments are a template string.
    let arguments = call.child_by_field_name("arguments").filter(|a| a.kind() == "arguments")?;
    let sql = *ecma::argument_list(arguments).first()?;
    // SQL fixed by the code or the operator (constants, lists of constant names, clause lists
    // whose values are all bind placeholders, `process.env`) holds no request data.
    if super::sql_source::is_trusted(ctx.doc, ctx.file_facts(), sql) {
        return None;
    }
    // A query helper that takes its SQL text as a parameter and binds values beside it
    // (`$queryRawUnsafe(sql, ...params)`): what the SQL holds is decided at its callers.
    if ecma::argument_list(arguments).len() > 1 && super::sql_source::is_parameter(ctx.doc, sql) {
        return None;
    }
    let op = ctx.text(operation);
    let what = match sql.kind() {
        "template_string" => "a template literal with `${…}` substitutions".to_string(),
        "binary_expression" => "a string concatenation".to_string(),
        "identifier" => format!("the variable `{}`, whose value Baton cannot see is constant", ctx.text(sql)),
        _ => "an expression computed at run time".to_string(),
    };
    let safe = op.replace("Unsafe", "");
    let message = format!(
        "`{op}` receives SQL built from {what}; any value spliced into it is an SQL injection. Use the tagged template `{safe}`…${{value}}…`` (values become parameters) or pass values as extra arguments with `$1` placeholders"
    );
    let mut finding = ctx.finding(call.start_byte()..operation.end_byte(), message);
    // `x.$queryRawUnsafe(`… ${v} …`)` → `x.$queryRaw`… ${v} …``: the same SQL, parameterised
    // (`'${v}'` loses its quotes: a parameter is a value, not text inside a string literal).
    // Only values can become parameters: a substitution in an identifier's place (a table, a
    // column, a schema) keeps its text, so no fix is offered there; nor where the statement takes
    // no parameters at all (`SET`, DDL: PostgreSQL binds parameters only in plannable statements).
    if sql.kind() == "template_string"
        && arguments.named_child_count() == 1
        && !splices_identifier(ctx, sql)
        && takes_parameters(ctx.text(sql))
    {
        let fix = Fix::in_file(
            format!("Use the tagged template `{safe}` (parameterised)"),
            &ctx.doc.path,
            [(operation.byte_range(), safe.clone()), (arguments.byte_range(), unquoted_values(ctx, sql))],
        );
        finding = finding.with_fix(fix);
    }
    Some(finding)
}

/// True when the SQL statement a template starts (after whitespace and `--` / `/* */` comments)
/// can take bind parameters: PostgreSQL binds them in `SELECT`, `INSERT`, `UPDATE`, `DELETE`,
/// `MERGE`, `VALUES` and `WITH` queries only; `SET lock_timeout = $1` or `CREATE … DEFAULT $1`
/// is a syntax error.
fn takes_parameters(template: &str) -> bool {
    let mut rest = template.trim_start_matches('`');
    loop {
        rest = rest.trim_start();
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment.split_once("*/").map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    let rest = rest.trim_start_matches('(');
    let word: String = rest.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    matches!(
        word.to_ascii_lowercase().as_str(),
        "select" | "insert" | "update" | "delete" | "merge" | "values" | "with"
    )
}

/// Words after which SQL expects a name, not a value.
const NAME_KEYWORDS: &[&str] = &[
    "from",
    "join",
    "into",
    "update",
    "table",
    "by",
    "select",
    "schema",
    "index",
    "database",
    "function",
    "view",
    "exists",
    "to",
    "as",
    "column",
    "sequence",
    "type",
    "extension",
    "role",
    "trigger",
    "on",
    "truncate",
    "analyze",
];

/// True when some `${…}` of a template stands where SQL expects an identifier: right after a
/// quote or a dot (`"${table}"`, `public.${t}`), before a dot, or after a keyword that names
/// something (`FROM ${table}`, `ORDER BY ${column}`).
fn splices_identifier(ctx: &QueryMatchContext<'_, '_>, template: Node<'_>) -> bool {
    let mut cursor = template.walk();
    let substitutions: Vec<Node<'_>> =
        template.named_children(&mut cursor).filter(|c| c.kind() == "template_substitution").collect();
    let text = &ctx.doc.text;
    substitutions.iter().any(|sub| {
        let before = text[template.start_byte()..sub.start_byte()].trim_end_matches([' ', '\t', '\n', '\r']);
        let after = &text[sub.end_byte()..template.end_byte()];
        if before.ends_with('"') || before.ends_with('.') || after.starts_with('.') || after.starts_with('"') {
            return true;
        }
        let word: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        NAME_KEYWORDS.contains(&word.to_ascii_lowercase().as_str())
    })
}

/// The template's text with the SQL quotes around each `'${value}'` removed.
fn unquoted_values(ctx: &QueryMatchContext<'_, '_>, template: Node<'_>) -> String {
    let text = &ctx.doc.text;
    let mut cursor = template.walk();
    let mut cut: Vec<usize> = Vec::new();
    for sub in template.named_children(&mut cursor).filter(|c| c.kind() == "template_substitution") {
        let (start, end) = (sub.start_byte(), sub.end_byte());
        if start > template.start_byte() && text[..start].ends_with('\'') && text[end..].starts_with('\'') {
            cut.push(start - 1);
            cut.push(end);
        }
    }
    let mut out = String::new();
    for (i, c) in text[template.byte_range()].char_indices() {
        if !cut.contains(&(template.start_byte() + i)) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::takes_parameters;

    #[test]
    fn only_plannable_statements_take_parameters() {
        assert!(takes_parameters("`SELECT * FROM t WHERE id = ${id}`"));
        assert!(takes_parameters("`\n  -- refresh\n  /* levels */ update t SET x = ${x}`"));
        assert!(takes_parameters("`(SELECT 1) UNION (SELECT ${x})`"));
        assert!(takes_parameters("`WITH a AS (SELECT ${x}) SELECT * FROM a`"));
        assert!(!takes_parameters("`SET LOCAL statement_timeout = ${ms}`"));
        assert!(!takes_parameters("`-- SELECT\nALTER TABLE t ALTER x SET DEFAULT ${v}`"));
        assert!(!takes_parameters("`${query} WHERE id = ${id}`"));
        assert!(!takes_parameters("`selective`"));
    }
}
