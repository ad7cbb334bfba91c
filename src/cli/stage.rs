//! `baton stage status|advance|approve`, `baton gate run`, `baton handoff new|verify`: driving
//! workflow stages from a terminal (contract §7). Running one of these commands is the explicit
//! user action that allows Baton to execute the workspace's configured gates.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{error, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::config::Config;
use crate::engine::WorkspaceFacts;
use crate::stage::advance::{self, GateEvent};
use crate::stage::gate::{CancelToken, Outcome};
use crate::stage::{self as stage_mod, Evidence, GitState, StageModel};
use crate::syntax::Document;
use crate::workspace::Workspace;

/// Where the workspace is.
#[derive(Args, Debug, Clone)]
pub struct RootArg {
    /// Workspace folder (default: the folder of the nearest baton.toml at or above the current
    /// folder, else the current folder).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
}

/// `baton stage`.
#[derive(Args, Debug)]
pub struct StageArgs {
    #[command(subcommand)]
    command: StageCommand,
    #[command(flatten)]
    root: RootArg,
}

#[derive(Subcommand, Debug)]
enum StageCommand {
    /// A table of work items: stage, unmet requirements, evidence age.
    Status {
        /// Only this item (id or document path).
        item: Option<String>,
    },
    /// Run missing or stale gates and move ITEM to STAGE when every requirement holds.
    Advance {
        /// The item (id or document path).
        item: String,
        /// The stage to enter (default: the next one).
        #[arg(long)]
        to: Option<String>,
        /// Move to an earlier stage (`--to` required): no gates run, no completion signal is
        /// written.
        #[arg(long, requires = "to")]
        backward: bool,
    },
    /// Record an approval (`approval:ROLE`) for ITEM.
    Approve {
        /// The item (id or document path).
        item: String,
        /// The approving role.
        #[arg(long)]
        role: String,
        /// Who approves.
        #[arg(long)]
        by: String,
        /// A note for the evidence.
        #[arg(long)]
        note: Option<String>,
    },
}

/// `baton gate`.
#[derive(Args, Debug)]
pub struct GateArgs {
    #[command(subcommand)]
    command: GateCommand,
    #[command(flatten)]
    root: RootArg,
}

#[derive(Subcommand, Debug)]
enum GateCommand {
    /// Run gate GATE (`[gates.GATE]`); with --item, record its evidence for that item.
    Run {
        /// The gate's name.
        gate: String,
        /// The item to record evidence for.
        #[arg(long)]
        item: Option<String>,
    },
}

/// `baton handoff`.
#[derive(Args, Debug)]
pub struct HandoffArgs {
    #[command(subcommand)]
    command: HandoffCommand,
    #[command(flatten)]
    root: RootArg,
}

#[derive(Subcommand, Debug)]
enum HandoffCommand {
    /// Write a handoff signal `.claude/handoff/<ws>-<status>.signal` (schema v1).
    New {
        /// The work stream (`WS-2`).
        #[arg(long)]
        workstream: String,
        /// `complete`, `failed`, `blocked` or `partial`.
        #[arg(long)]
        status: String,
        /// Files created or modified.
        #[arg(long, num_args = 1..)]
        files: Vec<String>,
    },
    /// Run the handoff rules; exit status as `baton check`.
    Verify,
}

struct Loaded {
    root: PathBuf,
    workspace: Workspace,
    facts: WorkspaceFacts,
}

fn root_of(arg: &RootArg) -> Result<(PathBuf, Config), String> {
    let start = match &arg.root {
        Some(root) => root.clone(),
        None => std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?,
    };
    let start = super::absolute(&start).map_err(|e| format!("{}: {e}", start.display()))?;
    match Config::discover(&start) {
        Some(path) => {
            let config = Config::load(&path).map_err(|e| e.to_string())?;
            Ok((path.parent().unwrap_or(&start).to_path_buf(), config))
        }
        None => Ok((start, Config::default())),
    }
}

fn load(arg: &RootArg) -> Result<Loaded, String> {
    let (root, config) = root_of(arg)?;
    let workspace = Workspace::load(&root, config);
    let docs: Vec<&Document> = workspace.documents.iter().map(|d| d.as_ref()).collect();
    let facts = WorkspaceFacts::collect_with_inputs(&docs, &workspace.config, &workspace.files, &workspace.evidence);
    Ok(Loaded { root, workspace, facts })
}

/// Runs `baton stage`.
pub fn run_stage(args: StageArgs) -> u8 {
    let loaded = match load(&args.root) {
        Ok(l) => l,
        Err(e) => return error(e),
    };
    match args.command {
        StageCommand::Status { item } => status(&loaded, item.as_deref()),
        StageCommand::Advance { item, to, backward } => advance_cmd(&loaded, &item, to.as_deref(), backward),
        StageCommand::Approve { item, role, by, note } => approve(&loaded, &item, &role, &by, note.as_deref()),
    }
}

fn age(at: &str) -> String {
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(at) else { return "?".to_string() };
    let secs = (chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn status(l: &Loaded, only: Option<&str>) -> u8 {
    let model = StageModel::from_config(&l.workspace.config);
    let evidence = &l.workspace.evidence;
    let mut rows = vec![["ITEM".to_string(), "STAGE".to_string(), "UNMET".to_string(), "EVIDENCE".to_string()]];
    let docs: Vec<_> = match only {
        Some(key) => match advance::find_item(&l.facts.plan, key) {
            Some(doc) => vec![doc],
            None => return error(format!("no work item `{key}` (an item id or a spec/workflow document path)")),
        },
        None => l.facts.plan.documents.iter().filter(|d| d.is_work_item()).collect(),
    };
    let mut any_unmet = false;
    // Two documents may give the same id (a spec and its `.updated` copy): name them by path too.
    let shared_id = |id: &str| docs.iter().filter(|d| d.id == id).count() > 1;
    for &doc in &docs {
        let stage = stage_mod::stage_of_document(&model, doc);
        let unmet =
            stage.map(|s| stage_mod::unmet_standing(&model, &l.workspace.config, doc, s, evidence)).unwrap_or_default();
        any_unmet |= !unmet.is_empty();
        let newest = evidence
            .by_item
            .get(&stage_mod::evidence::item_dir(&doc.id))
            .and_then(|items| items.values().map(|e| e.at.as_str()).max())
            .map(age)
            .unwrap_or_else(|| "—".to_string());
        let stage_text = match (stage, &doc.status) {
            (Some(s), _) => s.to_string(),
            (None, Some(st)) => format!("? ({})", st.text),
            (None, None) => "—".to_string(),
        };
        let unmet_text = if unmet.is_empty() {
            "—".to_string()
        } else {
            unmet.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        };
        // Ids, labels and reasons come from the documents: no control character reaches the terminal.
        let escape = |text: &str| crate::cli::render::human::escape_controls(text).into_owned();
        let item = if shared_id(&doc.id) { format!("{} ({})", doc.id, doc.path) } else { doc.id.clone() };
        rows.push([escape(&item), escape(&stage_text), escape(&unmet_text), newest]);
    }
    let widths: Vec<usize> = (0..3).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    for row in &rows {
        println!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
    }
    if any_unmet {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn print_event(event: GateEvent) {
    match event {
        GateEvent::Started(g) => eprintln!("baton: gate {g}: running…"),
        GateEvent::Finished(g, outcome) => eprintln!("baton: gate {g}: {}", outcome_text(outcome)),
    }
}

fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "pass",
        Outcome::Failed => "fail",
        Outcome::TimedOut => "timed out",
        Outcome::Cancelled => "cancelled",
    }
}

fn advance_cmd(l: &Loaded, key: &str, to: Option<&str>, backward: bool) -> u8 {
    let Some(doc) = advance::find_item(&l.facts.plan, key) else {
        return error(format!("no work item `{key}` (an item id or a spec/workflow document path)"));
    };
    let cancel = CancelToken::new();
    let result = match advance::advance(&l.root, &l.workspace.config, doc, to, backward, &cancel, &print_event) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    let problems: Vec<String> = result.gates.iter().filter_map(|g| g.problem()).collect();
    for g in &result.gates {
        if let Ok(run) = &g.run {
            if run.outcome != Outcome::Passed {
                let log = run.log.strip_prefix(&l.root).unwrap_or(&run.log).display().to_string();
                eprintln!("baton: gate {} output (full log: {log}):\n{}", g.gate, indent(&run.output_tail));
            }
        }
    }
    let Some(edit) = &result.edit else {
        if !problems.is_empty() {
            // An IO error is the answer, not the unmet requirement it caused.
            return error(format!("{}: nothing changed: {}", result.item, problems.join("; ")));
        }
        eprintln!("baton: {}: {}", result.item, advance::describe_unmet(&result.to, &result.unmet));
        eprintln!("baton: nothing changed");
        return EXIT_FINDINGS;
    };
    if let Err(e) = advance::apply_edit_to_file(&l.root, edit) {
        return error(format!("cannot update {}: {e}", edit.path));
    }
    match advance::write_handoff(&l.root, &l.facts.handoffs, doc, &result, &advance::current_user(&l.root)) {
        Ok((signal, snapshot)) => {
            let wrote = match signal {
                Some(signal) => format!("{} and {}", rel(&l.root, &signal), rel(&l.root, &snapshot)),
                None => rel(&l.root, &snapshot),
            };
            println!(
                "{}: {} → {}{} ({}); wrote {wrote}",
                result.item,
                result.from.as_deref().unwrap_or("no stage"),
                result.to,
                if result.backward { " (backward)" } else { "" },
                edit.path,
            );
            EXIT_OK
        }
        Err(e) => error(format!("status changed, but the handoff could not be written: {e}")),
    }
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

fn approve(l: &Loaded, key: &str, role: &str, by: &str, note: Option<&str>) -> u8 {
    let Some(doc) = advance::find_item(&l.facts.plan, key) else {
        return error(format!("no work item `{key}` (an item id or a spec/workflow document path)"));
    };
    if role.trim().is_empty() || by.trim().is_empty() {
        return error("--role and --by must not be empty");
    }
    if !crate::config::is_valid_name(role.trim()) {
        return error(format!("`{}` is not a role name (1–64 ASCII letters, digits, `-`, `_`, `.`)", role.trim()));
    }
    let mut evidence = Evidence::approval(role.trim(), by.trim(), note, &GitState::read(&l.root));
    evidence.version = doc.version.as_ref().map(|v| v.text.clone());
    match evidence.write(&l.root, &doc.id) {
        Ok(path) => {
            println!("{}: recorded {} by {} ({})", doc.id, evidence.requirement, evidence.by, rel(&l.root, &path));
            EXIT_OK
        }
        Err(e) => error(format!("cannot write evidence: {e}")),
    }
}

/// Runs `baton gate`.
pub fn run_gate(args: GateArgs) -> u8 {
    let GateCommand::Run { gate, item } = args.command;
    let loaded = match load(&args.root) {
        Ok(l) => l,
        Err(e) => return error(e),
    };
    let item_id = match &item {
        Some(key) => match advance::find_item(&loaded.facts.plan, key) {
            Some(doc) => Some(doc.id.clone()),
            None => return error(format!("no work item `{key}`")),
        },
        None => None,
    };
    if !loaded.workspace.config.gates.contains_key(&gate) {
        let known: Vec<&str> = loaded.workspace.config.gates.keys().map(String::as_str).collect();
        return error(format!("no gate `{gate}` in baton.toml (configured: {})", known.join(", ")));
    }
    let results = advance::run_gates(
        &loaded.root,
        &loaded.workspace.config,
        item_id.as_deref(),
        std::slice::from_ref(&gate),
        &CancelToken::new(),
        &print_event,
    );
    let Some(result) = results.into_iter().next() else { return EXIT_ERROR };
    if let (Ok(_), Some(problem)) = (&result.run, result.problem()) {
        return error(problem);
    }
    match result.run {
        Ok(run) => {
            println!("{}", run.output_tail);
            println!(
                "gate {gate}: {} in {} ms (log: {})",
                outcome_text(run.outcome),
                run.duration_ms,
                rel(&loaded.root, &run.log)
            );
            if run.outcome == Outcome::Passed {
                EXIT_OK
            } else {
                EXIT_FINDINGS
            }
        }
        Err(e) => error(e),
    }
}

/// Runs `baton handoff`.
pub fn run_handoff(args: HandoffArgs) -> u8 {
    let (root, _config) = match root_of(&args.root) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    match args.command {
        HandoffCommand::New { workstream, status, files } => handoff_new(&root, &workstream, &status, &files),
        HandoffCommand::Verify => {
            let loaded = match load(&args.root) {
                Ok(l) => l,
                Err(e) => return error(e),
            };
            let findings = loaded.workspace.check(|_| true);
            let mut errors = 0;
            for f in findings.iter().filter(|f| f.finding.rule.starts_with("handoff/")) {
                let Some(doc) = loaded.workspace.document(&f.path) else { continue };
                let pos =
                    doc.line_index.position(&doc.text, f.finding.range.start, crate::line_index::ColumnEncoding::Utf16);
                let severity = f.finding.severity.as_str();
                errors += usize::from(severity == "error");
                println!(
                    "{}:{}:{}: {severity}[{}]: {}",
                    f.path,
                    pos.line + 1,
                    pos.character + 1,
                    f.finding.rule,
                    f.finding.message
                );
            }
            if errors > 0 {
                EXIT_FINDINGS
            } else {
                println!("handoffs: ok");
                EXIT_OK
            }
        }
    }
}

fn handoff_new(root: &Path, workstream: &str, status: &str, files: &[String]) -> u8 {
    let Some(ws) = crate::plan::WorkstreamId::parse(workstream) else {
        return error(format!("`{workstream}` is not a work-stream id (WS-2, ws2, Work Stream 2)"));
    };
    let status = status.trim().to_ascii_lowercase();
    if !["complete", "failed", "blocked", "partial"].contains(&status.as_str()) {
        return error(format!("status `{status}` must be complete, failed, blocked or partial"));
    }
    // What `handoff verify` would reject is refused here: a path that is absolute, leaves the
    // workspace (`..`, or a link that resolves outside it) or is no path at all.
    let inside = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut cleaned = Vec::with_capacity(files.len());
    for file in files {
        use crate::handoff::normalize::{classify_path, PathKind};
        match classify_path(file) {
            PathKind::Relative(path) => {
                let resolved = std::fs::canonicalize(root.join(&path));
                if resolved.as_ref().is_ok_and(|r| !r.starts_with(&inside)) {
                    return error(format!("`{file}` resolves outside the workspace (through a symbolic link)"));
                }
                cleaned.push(path);
            }
            PathKind::Absolute | PathKind::Escapes => {
                return error(format!("`{file}` is outside the workspace: name files by their path relative to it"))
            }
            PathKind::NotAPath => return error(format!("`{file}` is not a file path")),
        }
    }
    let files = &cleaned;
    let missing: Vec<&String> = files.iter().filter(|f| !root.join(f).exists()).collect();
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        return error(format!("no such file: {}", list.join(", ")));
    }
    let signal = serde_json::json!({
        "schema_version": 1,
        "workstream": ws.to_string(),
        "status": status,
        "agent": advance::current_user(root),
        "timestamp": stage_mod::evidence::now(),
        "files_modified": files,
    });
    let path = root.join(".claude/handoff").join(format!("{}-{status}.signal", ws.to_string().to_ascii_lowercase()));
    let text = serde_json::to_string_pretty(&signal).unwrap_or_default() + "\n";
    match crate::atomic::write(root, &path, text.as_bytes()) {
        Ok(()) => {
            println!("wrote {}", rel(root, &path));
            EXIT_OK
        }
        Err(e) => error(format!("cannot write {}: {e}", path.display())),
    }
}
