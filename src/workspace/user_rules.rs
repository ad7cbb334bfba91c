//! Reads a workspace's rule files (`[user_rules] folders`, default `.baton/rules/`): every
//! `**/*.toml` and the `.scm` query file each names, bounded in size and count, symbolic links
//! not followed. Parsing is [`crate::rules::user::UserRules::from_files`].

use std::path::{Component, Path};
use std::sync::Arc;

use crate::config::{Config, CONFIG_FILE_NAME, MAX_CONFIG_SIZE};
use crate::rules::user::{RuleFile, UserRules};

/// At most this many rule files are read (a mistake, not a convention, beyond it).
pub const MAX_RULE_FILES: usize = 2_000;

/// Reads the rule files of the workspace at `root` into `config.user_rules`, with a problem at
/// `baton.toml` for each `[rules]` entry naming a `project/` rule no rule file defines.
pub fn attach(root: &Path, config: &mut Config) {
    let mut rules = load(root, config);
    let unknown = unknown_overrides(config, &rules);
    if !unknown.is_empty() {
        let text = read_text(&root.join(CONFIG_FILE_NAME)).unwrap_or_default();
        rules.add_config_problems(unknown, CONFIG_FILE_NAME, text);
    }
    let rules = Arc::new(rules);
    rules.start();
    config.user_rules = rules;
}

/// `[rules]` severity overrides of `project/` ids that no rule file defines (a typo, or a rule
/// file since renamed or removed), at the entry's value, with the closest defined id as a hint.
/// The configuration is parsed before the rule files are read, so these are checked here.
pub fn unknown_overrides(config: &Config, rules: &UserRules) -> Vec<crate::rules::user::Problem> {
    let defined = rules.defined_ids();
    config
        .rules
        .iter()
        .filter(|(id, _)| id.starts_with("project/") && !id.ends_with("/*") && !defined.contains(&id.as_str()))
        .map(|(id, level)| {
            let hint = crate::rules::closest_match(id, defined.iter().copied())
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            let folders = config.user_rules_config.folders.join("`, `");
            crate::rules::user::Problem {
                path: CONFIG_FILE_NAME.to_string(),
                range: level.span(),
                message: format!("unknown rule `{id}` in [rules]: no rule file in `{folders}` defines it{hint}"),
            }
        })
        .collect()
}

/// Reads and parses the rule files of the workspace at `root`.
pub fn load(root: &Path, config: &Config) -> UserRules {
    let mut files = Vec::new();
    for folder in &config.user_rules_config.folders {
        if !is_inside(folder) {
            continue;
        }
        let mut found = Vec::new();
        collect(&root.join(folder), 0, &mut found);
        found.sort();
        for path in found {
            if files.len() >= MAX_RULE_FILES {
                break;
            }
            if let Some(file) = read_rule_file(root, &path) {
                files.push(file);
            }
        }
    }
    files.dedup_by(|a, b| a.path == b.path);
    UserRules::from_files(files)
}

/// True for a relative path that stays inside the root.
fn is_inside(relative: &str) -> bool {
    let path = Path::new(relative);
    !path.is_absolute() && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<std::path::PathBuf>) {
    if depth > 16 || out.len() > MAX_RULE_FILES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if kind.is_dir() {
            collect(&path, depth + 1, out);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    if meta.len() > MAX_CONFIG_SIZE as u64 {
        return Err(format!("is larger than {} bytes", MAX_CONFIG_SIZE));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "is not valid UTF-8".to_string())
}

fn read_rule_file(root: &Path, path: &Path) -> Option<RuleFile> {
    let relative = super::relative_path(root, path)?;
    let text = match read_text(path) {
        Ok(text) => text,
        // Reported as a problem at the file: an empty text with the reason is not valid TOML.
        Err(error) => format!("# cannot read: {error}\n= \"\""),
    };
    let query_file = toml::from_str::<toml::Table>(&text)
        .ok()
        .and_then(|t| t.get("query_file").and_then(|v| v.as_str().map(str::to_string)))
        .map(|name| {
            let folder = relative.rsplit_once('/').map_or("", |(f, _)| f);
            let joined = if folder.is_empty() { name.clone() } else { format!("{folder}/{name}") };
            let text = if is_inside(&joined) {
                read_text(&root.join(&joined))
            } else {
                Err("must be a relative path inside the workspace".to_string())
            };
            (joined, text)
        });
    Some(RuleFile { path: relative, text, query_file })
}
