//! Configuration notices (issue 23, item 7): which `baton.toml` key can settle a rule's
//! findings, and which rules stay silent for lack of configuration. Shown as footer lines by the
//! human output, as fields by the JSON output (docs/output.md) and in the editor's diagnostic
//! text.

use serde::Serialize;

use super::WorkspaceFacts;
use crate::config::Config;
use crate::handoff::WorkspaceFiles;
use crate::rules;

/// The configuration keys that can settle a rule's findings, and a sentence saying how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigHint {
    /// Dotted keys of `baton.toml` (`auth.public_routes`).
    pub keys: &'static [&'static str],
    /// How they settle a finding, in one sentence.
    pub text: &'static str,
}

/// The hint for a rule's findings, if a configuration key can settle them.
pub fn config_hint(rule: &str) -> Option<ConfigHint> {
    let hint = match rule {
        "auth/route-missing-auth" => ConfigHint {
            keys: &["auth.public_routes", "auth.guards", "auth.wrappers"],
            text: "a route that is public by design goes in `[auth] public_routes`; a guard or an auth wrapper Baton cannot see goes in `[auth] guards` or `[auth] wrappers`",
        },
        "rls/prisma-outside-context" => ConfigHint {
            keys: &["rls.wrappers", "rls.clients"],
            text: "a function that sets the RLS context under another name goes in `[rls] wrappers`; a client that is already scoped is left out of `[rls] clients`",
        },
        "auth/jwt-verify-no-algorithms" => ConfigHint {
            keys: &["jwt.algorithms"],
            text: "`[jwt] algorithms` names the algorithms your tokens use; the quick fix then inserts them without asking",
        },
        _ => return None,
    };
    Some(hint)
}

/// A rule that checks nothing because of the configuration, and the keys that would make it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigNotice {
    /// The rule id.
    pub rule: &'static str,
    /// Dotted keys of `baton.toml` that would change it.
    pub keys: Vec<&'static str>,
    /// What is going on and what to set.
    pub message: String,
}

/// Rules that are enabled but inactive for lack of configuration: `rls/prisma-outside-context`
/// in a Prisma workspace (one with a `schema.prisma`) where no file defines or imports a
/// configured RLS wrapper and `rls.enforce` is off.
pub fn inactive_rules(config: &Config, facts: &WorkspaceFacts, files: &WorkspaceFiles) -> Vec<ConfigNotice> {
    let mut notices = Vec::new();
    let rule = "rls/prisma-outside-context";
    let enabled = rules::find(rule).and_then(|r| config.severity_of(r)).is_some();
    let uses_prisma = files.paths().any(|p| p == "schema.prisma" || p.ends_with("/schema.prisma"));
    if enabled && !config.rls.enforce && facts.rls_wrappers_in_use.is_empty() && uses_prisma {
        let wrappers = config.rls.wrappers.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ");
        notices.push(ConfigNotice {
            rule,
            keys: vec!["rls.wrappers", "rls.enforce"],
            message: format!(
                "{rule} checked nothing: no file defines or imports an RLS context wrapper ([rls] wrappers = {}); name yours in `[rls] wrappers`, or set `[rls] enforce = true` to report every raw Prisma call",
                if wrappers.is_empty() { "none".to_string() } else { wrappers }
            ),
        });
    }
    notices
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Document, FileKind};

    fn notices(config: &Config, paths: &[&str], wrapper_file: Option<&str>) -> Vec<ConfigNotice> {
        let mut docs = Vec::new();
        if let Some(text) = wrapper_file {
            docs.push(Document::parse("lib/context.ts", FileKind::TypeScript, text));
        }
        let refs: Vec<&Document> = docs.iter().collect();
        let files = WorkspaceFiles::from_paths(paths.iter().map(|p| p.to_string()));
        let facts = WorkspaceFacts::collect_with_inputs(&refs, config, &files, &Default::default());
        inactive_rules(config, &facts, &files)
    }

    #[test]
    fn the_rls_rule_is_reported_inactive_only_in_a_prisma_workspace_without_a_wrapper() {
        let config = Config::default();
        let found = notices(&config, &["prisma/schema.prisma", "app/page.tsx"], None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "rls/prisma-outside-context");
        assert!(found[0].message.contains("`withUserContext`"), "{}", found[0].message);
        // No Prisma schema: nothing to say.
        assert!(notices(&config, &["app/page.tsx"], None).is_empty());
        // A configured wrapper defined somewhere: the rule is active.
        let wrapper = "export async function withUserContext(id: string, fn: () => Promise<void>) { await fn(); }\n";
        assert!(notices(&config, &["prisma/schema.prisma"], Some(wrapper)).is_empty());
        // Enforced, or turned off: nothing to say either.
        let mut enforced = Config::default();
        enforced.rls.enforce = true;
        assert!(notices(&enforced, &["prisma/schema.prisma"], None).is_empty());
        let off = Config::parse("[rules]\n\"rls/prisma-outside-context\" = \"off\"\n", None).unwrap();
        assert!(notices(&off, &["prisma/schema.prisma"], None).is_empty());
    }

    #[test]
    fn hints_name_the_keys_that_settle_a_finding() {
        let route = config_hint("auth/route-missing-auth").unwrap();
        assert!(route.keys.contains(&"auth.public_routes") && route.text.contains("[auth] public_routes"));
        assert!(config_hint("rls/prisma-outside-context").unwrap().keys.contains(&"rls.wrappers"));
        assert!(config_hint("patterns/dto-interface").is_none());
    }
}
