//! `baton rules`, `baton rules explain RULE_ID`, `baton rules test` and `baton rules new NAME`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::{absolute, error, EXIT_FINDINGS, EXIT_OK};
use crate::config::Config;
use crate::rules;

/// Arguments of `baton rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: Option<RulesCommand>,
    /// Output format of the listing.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// Print a rule's documentation: what it does, why, examples, fix, options.
    Explain {
        /// The rule id, e.g. rls/prisma-outside-context.
        rule_id: String,
    },
    /// Run every rule's examples: bad ones must give exactly the declared findings (and fixed
    /// text), good ones none. User rules and built-ins alike.
    Test {
        /// Only these rules (ids, or `project/*`-style family globs).
        #[arg(long = "rule", value_name = "RULE_ID")]
        only: Vec<String>,
        /// Workspace folder (default: the folder of the nearest baton.toml, else the current one).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Write a new user rule file `.baton/rules/NAME.toml` with a query, a bad and a good example.
    New {
        /// The rule's name; its id is `project/NAME`.
        name: String,
        /// Its language.
        #[arg(long, value_enum, default_value_t = NewLanguage::Ts)]
        language: NewLanguage,
        /// Workspace folder (default: the folder of the nearest baton.toml, else the current one).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
}

/// Languages `baton rules new` scaffolds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum NewLanguage {
    /// TypeScript (also TSX and JavaScript).
    Ts,
    /// TSX.
    Tsx,
    /// JavaScript.
    Js,
    /// A schema rule over the SQL migrations.
    Sql,
}

/// The workspace root and its configuration with user rules: `root`, else the folder of the
/// nearest `baton.toml` at or above the current folder, else the current folder.
fn workspace(root: Option<&Path>) -> Result<(PathBuf, Config), String> {
    let start = match root {
        Some(r) => absolute(r).map_err(|e| format!("{}: {e}", r.display()))?,
        None => std::env::current_dir().map_err(|e| format!("current folder: {e}"))?,
    };
    let config_path = if root.is_some() {
        Some(start.join(crate::config::CONFIG_FILE_NAME)).filter(|p| p.is_file())
    } else {
        Config::discover(&start)
    };
    let mut config = match &config_path {
        Some(path) => Config::load(path).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    let root = config_path.as_deref().and_then(Path::parent).map_or(start, Path::to_path_buf);
    crate::workspace::user_rules::attach(&root, &mut config);
    Ok((root, config))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

fn languages(rule: &rules::Rule) -> String {
    if rule.kinds.is_empty() {
        "any".to_string()
    } else {
        rule.kinds.iter().map(|k| k.short_name()).collect::<Vec<_>>().join(",")
    }
}

pub fn run(args: RulesArgs) -> u8 {
    match args.command {
        Some(RulesCommand::Test { only, root }) => test(&only, root.as_deref()),
        Some(RulesCommand::New { name, language, root }) => new_rule(&name, language, root.as_deref()),
        Some(RulesCommand::Explain { rule_id }) => {
            match workspace(None).ok().and_then(|(_, c)| c.user_rules.find(&rule_id)).or_else(|| rules::find(&rule_id))
            {
                Some(rule) => {
                    print!("{}", rule.doc);
                    if !rule.doc.ends_with('\n') {
                        println!();
                    }
                    EXIT_OK
                }
                None => {
                    let hint =
                        rules::closest_id(&rule_id).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
                    error(format!("unknown rule `{rule_id}`{hint} (`baton rules` lists them)"))
                }
            }
        }
        None => {
            let (config, problems) = match workspace(None) {
                Ok((_, config)) => {
                    let problems = config.user_rules.problems().to_vec();
                    (config, problems)
                }
                Err(message) => return error(message),
            };
            for problem in &problems {
                let not_loaded =
                    if problem.path == crate::config::CONFIG_FILE_NAME { "" } else { " (the rule is not loaded)" };
                eprintln!("warning: {}: {}{not_loaded}", problem.path, problem.message);
            }
            let all = rules::all_with(&config);
            match args.format {
                ListFormat::Json => {
                    let list: Vec<_> = all
                        .iter()
                        .map(|r| {
                            let kinds: Vec<_> = r.kinds.iter().map(|k| k.short_name()).collect();
                            json!({"id": r.id, "severity": r.default_severity.as_str(), "languages": kinds, "summary": r.summary})
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&list).expect("serializes"));
                }
                ListFormat::Human => {
                    let id_width = all.iter().map(|r| r.id.len()).max().unwrap_or(0);
                    let lang_width = all.iter().map(|r| languages(r).len()).max().unwrap_or(0).max(9);
                    println!("{:id_width$}  {:8}  {:lang_width$}  SUMMARY", "RULE", "SEVERITY", "LANGUAGES");
                    for rule in all.iter().copied() {
                        println!(
                            "{:id_width$}  {:8}  {:lang_width$}  {}",
                            rule.id,
                            rule.default_severity.as_str(),
                            languages(rule),
                            rule.summary
                        );
                    }
                }
            }
            EXIT_OK
        }
    }
}

/// `baton rules test`.
fn test(only: &[String], root: Option<&Path>) -> u8 {
    let (root, config) = match workspace(root) {
        Ok(found) => found,
        Err(message) => return error(message),
    };
    let selected = |id: &str| {
        only.is_empty()
            || only
                .iter()
                .any(|o| o == id || o.strip_suffix("/*").is_some_and(|family| id.split('/').next() == Some(family)))
    };
    let rules: Vec<&'static rules::Rule> = rules::all_with(&config).into_iter().filter(|r| selected(r.id)).collect();
    if rules.is_empty() {
        return error(format!("no rule matches {}", only.join(", ")));
    }
    let report = rules::user::examples::test_rules(&rules, &config);
    for problem in config.user_rules.problems() {
        let line = config
            .user_rules
            .text_of(&problem.path)
            .map_or(1, |t| crate::line_index::LineIndex::new(t).line_of(problem.range.start.min(t.len())) + 1);
        println!("FAIL {}:{line}: {}", problem.path, problem.message);
    }
    for (rule, label, why) in &report.failed {
        println!("FAIL {rule} ({label}): {why}");
    }
    let user_without: Vec<&str> =
        report.without_examples.iter().copied().filter(|id| id.starts_with("project/")).collect();
    for id in &user_without {
        println!("warning: {id} has no examples");
    }
    let failed = report.failed.len() + config.user_rules.problems().len();
    println!(
        "{} examples passed, {} failed ({} rules, workspace {})",
        report.passed,
        failed,
        rules.len(),
        root.display()
    );
    if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// `baton rules new NAME --language L`.
fn new_rule(name: &str, language: NewLanguage, root: Option<&Path>) -> u8 {
    if name.is_empty()
        || name.starts_with('-')
        || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return error(format!("rule name `{name}`: use lowercase letters, digits and `-`"));
    }
    let (root, config) = match workspace(root) {
        Ok(found) => found,
        Err(message) => return error(message),
    };
    let folder =
        config.user_rules_config.folders.first().cloned().unwrap_or_else(|| rules::user::DEFAULT_FOLDER.into());
    let relative = format!("{folder}/{name}.toml");
    let path = root.join(&relative);
    if path.exists() {
        return error(format!("{relative} already exists"));
    }
    let text = rules::user::scaffold(
        name,
        match language {
            NewLanguage::Ts => "ts",
            NewLanguage::Tsx => "tsx",
            NewLanguage::Js => "js",
            NewLanguage::Sql => "sql",
        },
    );
    if let Some(parent) = path.parent() {
        if let Err(e) = std::fs::create_dir_all(parent) {
            return error(format!("{}: {e}", parent.display()));
        }
    }
    if let Err(e) = crate::atomic::write(&root, &path, text.as_bytes()) {
        return error(format!("{relative}: {e}"));
    }
    println!("wrote {relative} (rule project/{name}); `baton rules test --rule project/{name}` runs its examples");
    EXIT_OK
}
