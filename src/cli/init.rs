//! `baton init`: write a commented `baton.toml` in the current folder.

use std::path::Path;

use clap::Args;

use super::{error, EXIT_OK};
use crate::config::CONFIG_FILE_NAME;

/// Arguments of `baton init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Overwrite an existing baton.toml.
    #[arg(long)]
    force: bool,
    /// Merge Baton's coding-agent hooks into .claude/settings.json instead (keeps what is there).
    #[arg(long)]
    agent_hooks: bool,
}

/// The commented template; every value is the default.
pub const TEMPLATE: &str = include_str!("init_template.toml");

/// What of `.baton/` belongs in git (the rule of `docs/stages.md`, "What goes in git"): the
/// evidence is committed, everything else Baton writes there is local and ignored.
pub const GITIGNORE_ADVICE: &str = "\
Commit .baton/evidence/ (gate results and approvals travel with the code they judge).
Add to .gitignore (local: cache, gate and agent logs, refused-advance records, agent briefs):
    .baton/cache/
    .baton/logs/
    .baton/advance/
    .baton/briefs/";

/// Runs `baton init`.
pub fn run(args: InitArgs) -> u8 {
    if args.agent_hooks {
        return super::agents::init_agent_hooks();
    }
    let path = Path::new(CONFIG_FILE_NAME);
    if path.exists() && !args.force {
        return error(format!("{CONFIG_FILE_NAME} already exists here (use --force to overwrite it)"));
    }
    let root = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(e) => return error(format!("cannot tell the current folder: {e}")),
    };
    match crate::atomic::write(&root, &root.join(path), TEMPLATE.as_bytes()) {
        Ok(()) => {
            println!("Wrote {CONFIG_FILE_NAME}. Run `baton check` to analyze this folder.");
            println!("{GITIGNORE_ADVICE}");
            EXIT_OK
        }
        Err(e) => error(format!("cannot write {CONFIG_FILE_NAME}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_is_a_valid_configuration_with_default_values() {
        let config = crate::config::Config::parse(super::TEMPLATE, None).unwrap();
        let defaults = crate::config::Config::default();
        assert_eq!(config.rls.clients, defaults.rls.clients);
        assert_eq!(config.rls.wrappers, defaults.rls.wrappers);
        assert_eq!(config.sql.migrations, defaults.sql.migrations);
        assert_eq!(config.workflow.stages, defaults.workflow.stages);
        assert_eq!(config.workflow.requires, defaults.workflow.requires);
    }

    #[test]
    fn gitignore_advice_is_the_rule_docs_stages_states() {
        let docs = include_str!("../../docs/stages.md");
        for line in super::GITIGNORE_ADVICE.lines().filter(|l| l.trim_start().starts_with(".baton/")) {
            assert!(docs.contains(&format!("`{}`", line.trim())), "docs/stages.md does not list {line}");
        }
        assert!(docs.contains("Commit `.baton/evidence/`"), "docs/stages.md states another rule");
    }
}
