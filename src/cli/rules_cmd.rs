//! `baton rules` and `baton rules explain RULE_ID`.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::{error, EXIT_OK};
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
        Some(RulesCommand::Explain { rule_id }) => match rules::find(&rule_id) {
            Some(rule) => {
                print!("{}", rule.doc);
                if !rule.doc.ends_with('\n') {
                    println!();
                }
                EXIT_OK
            }
            None => {
                let hint = rules::closest_id(&rule_id).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
                error(format!("unknown rule `{rule_id}`{hint} (`baton rules` lists them)"))
            }
        },
        None => {
            match args.format {
                ListFormat::Json => {
                    let list: Vec<_> = rules::all()
                        .iter()
                        .map(|r| {
                            let kinds: Vec<_> = r.kinds.iter().map(|k| k.short_name()).collect();
                            json!({"id": r.id, "severity": r.default_severity.as_str(), "languages": kinds, "summary": r.summary})
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&list).expect("serializes"));
                }
                ListFormat::Human => {
                    let id_width = rules::all().iter().map(|r| r.id.len()).max().unwrap_or(0);
                    let lang_width = rules::all().iter().map(|r| languages(r).len()).max().unwrap_or(0).max(9);
                    println!("{:id_width$}  {:8}  {:lang_width$}  SUMMARY", "RULE", "SEVERITY", "LANGUAGES");
                    for rule in rules::all() {
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
