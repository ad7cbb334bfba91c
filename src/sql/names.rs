//! PostgreSQL names: quoting, case folding and schema qualification.

use std::fmt;

use squawk_syntax::{SyntaxKind, SyntaxNode};

/// A schema-qualified relation or function name, normalised (unquoted names folded to lower
/// case, quoted names kept as written).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedName {
    /// The schema.
    pub schema: String,
    /// The name inside the schema.
    pub name: String,
}

impl QualifiedName {
    /// A name from parts that are already normalised.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> QualifiedName {
        QualifiedName { schema: schema.into(), name: name.into() }
    }
}

impl serde::Serialize for QualifiedName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", quote_if_needed(&self.schema), quote_if_needed(&self.name))
    }
}

/// Normalises one identifier as PostgreSQL does: `"Quoted"` keeps its case (with `""` unescaped),
/// anything else is folded to lower case.
pub fn normalize_identifier(raw: &str) -> String {
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => raw.to_lowercase(),
    }
}

/// Quotes a normalised identifier when it would not survive case folding unquoted.
pub fn quote_if_needed(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The normalised segments of a dotted name node (`PATH`, `PATH_REF`, `TABLE_NAME_REF`, …).
pub fn path_segments(node: &SyntaxNode) -> Vec<String> {
    node.descendants_with_tokens()
        .filter_map(|element| element.into_token())
        .filter(|token| !token.kind().is_trivia() && token.kind() != SyntaxKind::DOT)
        .map(|token| normalize_identifier(token.text()))
        .collect()
}

/// Resolves a dotted name against a search path: `schema.name` as written, a bare `name` in the
/// first schema of `search_path`. Three-part names drop the database.
pub fn qualify(segments: &[String], search_path: &[String]) -> Option<QualifiedName> {
    match segments {
        [name] => Some(QualifiedName::new(search_path.first().map_or("public", String::as_str), name.clone())),
        [.., schema, name] => Some(QualifiedName::new(schema.clone(), name.clone())),
        [] => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_unquoted_and_keeps_quoted() {
        assert_eq!(normalize_identifier("Migration_Status"), "migration_status");
        assert_eq!(normalize_identifier("\"Migration_Status\""), "Migration_Status");
        assert_eq!(normalize_identifier("\"a\"\"b\""), "a\"b");
    }

    #[test]
    fn displays_with_quotes_only_where_needed() {
        assert_eq!(QualifiedName::new("public", "runs").to_string(), "public.runs");
        assert_eq!(QualifiedName::new("public", "Runs").to_string(), "public.\"Runs\"");
    }

    #[test]
    fn qualifies_against_the_search_path() {
        let path = vec!["app".to_string()];
        assert_eq!(qualify(&["t".into()], &path), Some(QualifiedName::new("app", "t")));
        assert_eq!(qualify(&["s".into(), "t".into()], &path), Some(QualifiedName::new("s", "t")));
        assert_eq!(qualify(&["db".into(), "s".into(), "t".into()], &path), Some(QualifiedName::new("s", "t")));
        assert_eq!(qualify(&["t".into()], &[]), Some(QualifiedName::new("public", "t")));
    }
}
