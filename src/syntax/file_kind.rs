//! Which files Baton reads, and how (contract §5).

use serde::Serialize;

/// The kind of a file, decided from its workspace-relative path alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// `*.ts`, `*.mts`, `*.cts`.
    TypeScript,
    /// `*.tsx`.
    Tsx,
    /// `*.js`, `*.jsx`, `*.mjs`, `*.cjs` (the JavaScript grammar includes JSX).
    JavaScript,
    /// `*.sql`.
    Sql,
    /// Specs, workflow documents and agent definitions.
    Markdown,
    /// Context snapshots and JSON handoff files.
    Json,
    /// Handoff signals, `.claude/handoff/*.signal` (JSON, or unstructured text in the wild).
    Signal,
    /// Project manifests the module graph reads: `package.json`, `tsconfig*.json`,
    /// `jsconfig.json` (`crate::semantic::manifest`). No rule reports on them.
    Manifest,
}

/// A tree-sitter grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Grammar {
    /// tree-sitter-typescript, TypeScript dialect.
    TypeScript,
    /// tree-sitter-typescript, TSX dialect.
    Tsx,
    /// tree-sitter-javascript (with JSX).
    JavaScript,
    /// tree-sitter-md, block grammar.
    Markdown,
    /// tree-sitter-json.
    Json,
}

impl Grammar {
    /// The tree-sitter language.
    pub fn language(self) -> tree_sitter::Language {
        match self {
            Grammar::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Grammar::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Grammar::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Grammar::Markdown => tree_sitter_md::LANGUAGE.into(),
            Grammar::Json => tree_sitter_json::LANGUAGE.into(),
        }
    }
}

impl FileKind {
    /// Classifies a workspace-relative path (with `/` separators); `None` for files Baton does
    /// not read.
    pub fn from_path(path: &str) -> Option<FileKind> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let dir = &path[..path.len() - name.len()];
        let (stem, ext) = name.rsplit_once('.')?;
        let in_dir = |wanted: &str| {
            dir.ends_with(wanted) && (dir.len() == wanted.len() || dir[..dir.len() - wanted.len()].ends_with('/'))
        };
        match ext {
            "ts" | "mts" | "cts" => Some(FileKind::TypeScript),
            "tsx" => Some(FileKind::Tsx),
            "js" | "jsx" | "mjs" | "cjs" => Some(FileKind::JavaScript),
            "sql" => Some(FileKind::Sql),
            "signal" if in_dir(".claude/handoff/") => Some(FileKind::Signal),
            "json" if crate::semantic::is_manifest_name(name) && !path.split('/').any(|c| c == "node_modules") => {
                Some(FileKind::Manifest)
            }
            "json"
                if stem.starts_with("context-")
                    || in_dir(".claude/handoff/")
                    || in_dir(".claude/context/")
                    || crate::handoff::checkpoint::is_checkpoint(path) =>
            {
                Some(FileKind::Json)
            }
            "md" => {
                let in_docs = path.split('/').rev().skip(1).any(|c| c == "docs" || c == "specs");
                let named = stem.starts_with("WORKFLOW-") || stem.ends_with("-spec");
                (in_docs || named || in_dir(".claude/agents/")).then_some(FileKind::Markdown)
            }
            _ => None,
        }
    }

    /// The tree-sitter grammar, or `None` for SQL.
    pub fn grammar(self) -> Option<Grammar> {
        match self {
            FileKind::TypeScript => Some(Grammar::TypeScript),
            FileKind::Tsx => Some(Grammar::Tsx),
            FileKind::JavaScript => Some(Grammar::JavaScript),
            FileKind::Markdown => Some(Grammar::Markdown),
            FileKind::Json | FileKind::Signal | FileKind::Manifest => Some(Grammar::Json),
            FileKind::Sql => None,
        }
    }

    /// True for the TypeScript and JavaScript family.
    pub fn is_ecmascript(self) -> bool {
        matches!(self, FileKind::TypeScript | FileKind::Tsx | FileKind::JavaScript)
    }

    /// The name used for this kind in rule listings (`ts`, `sql`, …).
    pub fn short_name(self) -> &'static str {
        match self {
            FileKind::TypeScript => "ts",
            FileKind::Tsx => "tsx",
            FileKind::JavaScript => "js",
            FileKind::Sql => "sql",
            FileKind::Markdown => "md",
            FileKind::Json => "json",
            FileKind::Signal => "signal",
            FileKind::Manifest => "manifest",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FileKind::{self, *};

    #[test]
    fn classifies_contract_paths() {
        let cases: &[(&str, Option<FileKind>)] = &[
            ("app/api/x/route.ts", Some(TypeScript)),
            ("components/A.tsx", Some(Tsx)),
            ("a.jsx", Some(JavaScript)),
            ("scripts/x.mjs", Some(JavaScript)),
            ("supabase/migrations/1_init.sql", Some(Sql)),
            ("docs/specs/WOR-321-spec.md", Some(Markdown)),
            ("specs/plan.md", Some(Markdown)),
            ("WORKFLOW-auth.md", Some(Markdown)),
            ("notes/feature-spec.md", Some(Markdown)),
            (".claude/agents/qa.md", Some(Markdown)),
            (".claude/handoff/ws1-db-complete.signal", Some(Signal)),
            (".claude/handoff/state.json", Some(Json)),
            ("handoffs/context-001-design.json", Some(Json)),
            ("context-002.json", Some(Json)),
            // Near misses.
            ("README.md", None),
            ("notes/docs.md", None),
            ("package.json", Some(Manifest)),
            ("apps/web/tsconfig.json", Some(Manifest)),
            ("node_modules/x/package.json", None),
            ("x.signal", None),
            ("other/.claude/handoffs/a.signal", None),
            ("Makefile", None),
            ("a.d", None),
        ];
        for (path, expected) in cases {
            assert_eq!(FileKind::from_path(path), *expected, "{path}");
        }
    }
}
