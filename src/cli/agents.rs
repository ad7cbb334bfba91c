//! `baton hook EVENT`, `baton escalate ITEM --question TEXT`, `baton mcp` and
//! `baton init --agent-hooks`: the command-line side of agents as clients (docs/agents.md).

use std::io::Read;

use clap::Args;

use super::{error, EXIT_OK};
use crate::hook::{self, Event};
use crate::rules::Severity;

/// `baton hook EVENT`.
#[derive(Args, Debug)]
pub struct HookArgs {
    /// post-tool-use, stop, subagent-stop or task-completed.
    event: String,
    /// The work item the session works on (repeatable; also `BATON_ITEM`, comma-separated).
    #[arg(long)]
    item: Vec<String>,
    /// Report findings of this severity and above after an edit (error or warning).
    #[arg(long, default_value = "error")]
    severity: String,
}

/// Runs `baton hook`.
pub fn run_hook(args: HookArgs) -> u8 {
    let Some(event) = Event::parse(&args.event) else {
        let names: Vec<&str> = Event::ALL.iter().map(|(_, n, _)| *n).collect();
        return error(format!("unknown hook event `{}` (one of: {})", args.event, names.join(", ")));
    };
    let min_severity = match args.severity.as_str() {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        other => return error(format!("--severity `{other}`: error or warning")),
    };
    let mut items = args.item;
    if let Ok(env) = std::env::var("BATON_ITEM") {
        items.extend(env.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string));
    }
    let mut input = String::new();
    if let Err(e) = std::io::stdin().take(hook::MAX_PAYLOAD as u64 + 1).read_to_string(&mut input) {
        eprintln!("baton: error: cannot read the hook payload: {e}");
        return 1;
    }
    let answer = hook::run(event, &input, &hook::Options { items, min_severity: Some(min_severity) });
    print!("{}", answer.stdout);
    eprint!("{}", answer.stderr);
    answer.exit
}

/// `baton escalate ITEM --question TEXT`.
#[derive(Args, Debug)]
pub struct EscalateArgs {
    /// The work item (id or document path).
    item: String,
    /// The open question.
    #[arg(long)]
    question: String,
    /// Who escalates (default: $USER).
    #[arg(long)]
    by: Option<String>,
    #[command(flatten)]
    root: super::stage::RootArg,
}

/// Runs `baton escalate`.
pub fn run_escalate(args: EscalateArgs) -> u8 {
    let loaded = match super::stage::load(&args.root) {
        Ok(l) => l,
        Err(e) => return error(e),
    };
    let Some(doc) = crate::stage::advance::find_item(&loaded.facts.plan, &args.item) else {
        return error(format!("no work item `{}` (an item id or a spec/workflow document path)", args.item));
    };
    let by = args.by.unwrap_or_else(|| crate::stage::advance::current_user(&loaded.root));
    match crate::guard::record_escalation(&loaded.root, &doc.id, &args.question, &by, "cli") {
        Ok((path, count)) => {
            let shown = path.strip_prefix(&loaded.root).unwrap_or(&path).display().to_string();
            println!("{}: escalation recorded ({shown}); this question has been escalated {count} time(s)", doc.id);
            let threshold = loaded.workspace.config.limits.loop_threshold as usize;
            if count >= threshold {
                eprintln!(
                    "baton: warning: {} escalated the same question {count} times (loop_threshold {threshold}): answer it in the plan",
                    doc.id
                );
            }
            EXIT_OK
        }
        Err(e) => error(e),
    }
}

/// `baton mcp`.
#[derive(Args, Debug)]
pub struct McpArgs {
    /// The workspace folder (default: the nearest baton.toml at or above the current folder).
    #[arg(long)]
    root: Option<std::path::PathBuf>,
    /// Trust the workspace: allow the tools that run gates and write files. Set it in the MCP
    /// client's configuration (`.mcp.json`), never from the agent; `BATON_MCP_TRUSTED=1` too.
    #[arg(long)]
    trusted: bool,
}

/// Runs `baton mcp`.
pub fn run_mcp(args: McpArgs) -> u8 {
    let trusted = args.trusted || std::env::var("BATON_MCP_TRUSTED").is_ok_and(|v| v == "1" || v == "true");
    match crate::mcp::run_stdio(args.root, trusted) {
        Ok(()) => EXIT_OK,
        Err(e) => error(format!("mcp server: {e}")),
    }
}

/// `baton init --agent-hooks`: merges Baton's hooks into `.claude/settings.json` here.
pub fn init_agent_hooks() -> u8 {
    let root = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(e) => return error(format!("cannot tell the current folder: {e}")),
    };
    let path = root.join(".claude/settings.json");
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return error(format!("cannot read .claude/settings.json: {e}")),
    };
    let (text, added) = match hook::merge_settings(existing.as_deref()) {
        Ok(r) => r,
        Err(e) => return error(format!(".claude/settings.json {e}")),
    };
    if added == 0 {
        println!(".claude/settings.json already runs Baton's hooks; nothing changed.");
        return EXIT_OK;
    }
    match crate::atomic::write(&root, &path, text.as_bytes()) {
        Ok(()) => {
            println!("Added {added} Baton hook entr{} to .claude/settings.json.", if added == 1 { "y" } else { "ies" });
            println!("For the MCP server, add to .mcp.json: {{\"mcpServers\": {{\"baton\": {{\"command\": \"baton\", \"args\": [\"mcp\"]}}}}}} (docs/agents.md).");
            EXIT_OK
        }
        Err(e) => error(format!("cannot write .claude/settings.json: {e}")),
    }
}
