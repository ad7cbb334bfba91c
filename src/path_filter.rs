//! The workspace-wide `include` / `exclude` globs of `baton.toml`: which discovered files Baton
//! analyses.
//!
//! Patterns are matched against the path relative to the workspace root, with `/` separators.
//! They follow `.gitignore` habits: `*` and `?` stay inside one folder, `**` spans folders, a
//! pattern names a file or a folder (everything under a matching folder matches), and a pattern
//! without a `/` (other than a trailing one) matches at any depth. `exclude` wins over `include`;
//! an empty `include` includes everything. Files left out are not analysed, but they still exist
//! for the checks of files a handoff names.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// Compiled `include` / `exclude` globs.
#[derive(Clone, Debug, Default)]
pub struct PathFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

/// A pattern that does not compile: the pattern and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong with it.
    pub message: String,
}

impl PathFilter {
    /// Compiles the two lists. An empty `include` admits every path.
    pub fn new(include: &[String], exclude: &[String]) -> Result<PathFilter, PatternError> {
        Ok(PathFilter { include: compile(include)?, exclude: compile(exclude)? })
    }

    /// True when the filter admits every path (nothing configured).
    pub fn is_trivial(&self) -> bool {
        self.include.is_none() && self.exclude.is_none()
    }

    /// True when the file at `relative` (root-relative, `/` separators) is analysed.
    pub fn admits(&self, relative: &str) -> bool {
        if self.exclude.as_ref().is_some_and(|set| set.is_match(relative)) {
            return false;
        }
        self.include.as_ref().is_none_or(|set| set.is_match(relative))
    }
}

/// One set for a list of patterns; `None` for an empty list.
fn compile(patterns: &[String]) -> Result<Option<GlobSet>, PatternError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        for form in forms(pattern) {
            builder.add(glob(&form).map_err(|message| PatternError { pattern: pattern.clone(), message })?);
        }
    }
    builder.build().map(Some).map_err(|e| PatternError { pattern: patterns.join(", "), message: e.to_string() })
}

/// The globs one pattern stands for: itself and everything under it, anchored at the root when
/// it has an inner `/`, at any depth otherwise.
fn forms(pattern: &str) -> Vec<String> {
    let trimmed = pattern.trim_start_matches("./");
    let anchored = trimmed.starts_with('/') || trimmed.trim_end_matches('/').contains('/');
    let body = trimmed.trim_start_matches('/').trim_end_matches('/');
    let base = if anchored || body.starts_with("**/") { body.to_string() } else { format!("**/{body}") };
    vec![base.clone(), format!("{base}/**")]
}

fn glob(form: &str) -> Result<Glob, String> {
    if form.trim_matches(['*', '/']).is_empty() && !form.contains("**") {
        return Err("matches nothing useful".into());
    }
    GlobBuilder::new(form).literal_separator(true).build().map_err(|e| e.kind().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> PathFilter {
        let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        PathFilter::new(&strings(include), &strings(exclude)).unwrap()
    }

    #[test]
    fn nothing_configured_admits_everything() {
        let f = filter(&[], &[]);
        assert!(f.is_trivial());
        assert!(f.admits("src/app/page.tsx"));
    }

    #[test]
    fn a_bare_name_matches_a_folder_at_any_depth() {
        let f = filter(&[], &["archive"]);
        assert!(!f.admits("archive/old.sql"));
        assert!(!f.admits("docs/archive/2024/plan.md"));
        assert!(f.admits("docs/archived.md"), "a name is not a prefix");
    }

    #[test]
    fn a_pattern_with_a_slash_is_anchored_at_the_root() {
        let f = filter(&[], &["supabase/tests/"]);
        assert!(!f.admits("supabase/tests/rls.test.sql"));
        assert!(f.admits("apps/web/supabase/tests/rls.test.sql"));
    }

    #[test]
    fn star_stays_in_one_folder_and_double_star_spans_folders() {
        let f = filter(&[], &["src/*.generated.ts", "**/__generated__/**"]);
        assert!(!f.admits("src/api.generated.ts"));
        assert!(f.admits("src/deep/api.generated.ts"));
        assert!(!f.admits("packages/a/__generated__/types.ts"));
    }

    #[test]
    fn include_restricts_and_exclude_wins() {
        let f = filter(&["apps/web", "*.sql"], &["apps/web/legacy"]);
        assert!(f.admits("apps/web/app/route.ts"));
        assert!(f.admits("db/schema.sql"));
        assert!(!f.admits("apps/admin/app/route.ts"));
        assert!(!f.admits("apps/web/legacy/route.ts"));
    }

    #[test]
    fn a_broken_pattern_is_an_error_naming_it() {
        let err = PathFilter::new(&[], &["src/[a".to_string()]).unwrap_err();
        assert_eq!(err.pattern, "src/[a");
        assert!(!err.message.is_empty());
    }
}
