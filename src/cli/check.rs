//! `baton check`: analyze once, print, exit with a status.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

mod changed;
mod stdin;

use super::{absolute, error, render, Format, EXIT_FINDINGS, EXIT_OK};
use crate::config::Config;
use crate::rules::Severity;
use crate::workspace::{self, cache, relative_path, Checked, FileFinding, Workspace};

/// Arguments of `baton check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to analyze (default: the current folder).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Configuration file (default: the nearest baton.toml at or above the first PATH).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Neither read nor write the analysis cache (`.baton/cache/` under the workspace root).
    #[arg(long)]
    pub no_cache: bool,
    /// Report only findings in files changed since this git ref (committed, staged, unstaged or
    /// untracked since its merge base with HEAD); facts still come from the whole workspace.
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// With `-` as the path (or no path): read one file from stdin and check it as if it were
    /// at PATH (the workspace around PATH gives the configuration and cross-file facts).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
}

/// `--fail-on` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Errors fail the run.
    Error,
    /// Warnings and errors fail the run.
    Warning,
    /// Nothing fails the run.
    Never,
}

impl FailOn {
    fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Never => false,
        }
    }
}

/// What `baton check` resolved its arguments to.
struct Target {
    root: PathBuf,
    config: Config,
    /// Requested paths relative to the root; an empty string is the whole root.
    requested: Vec<String>,
}

pub fn run(args: CheckArgs) -> u8 {
    let reads_stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin || args.stdin_filename.is_some() {
        return stdin::run(args);
    }
    crate::timings::mark("start");
    let target = match resolve(&args) {
        Ok(t) => t,
        Err(message) => return error(message),
    };
    crate::timings::mark("configuration");
    let requested = target.requested;
    let changed = match &args.changed_since {
        Some(reference) => match changed::files_changed_since(&target.root, reference) {
            Ok(changed) => Some(changed),
            Err(message) => return error(message),
        },
        None => None,
    };
    let include = |path: &str| {
        if let Some(changed) = &changed {
            if !changed.contains(path) {
                return false;
            }
        }
        requested.iter().any(|r| {
            r.is_empty()
                || path == r
                || path.strip_prefix(r.as_str()).is_some_and(|rest| rest.starts_with('/'))
                // A finding on a folder that holds the requested path (`meta/unreadable`).
                || path == "."
                || r.strip_prefix(path).is_some_and(|rest| rest.starts_with('/'))
        })
    };
    if args.no_cache {
        // The same streaming path as a cold cache, through a cache that keeps nothing.
        let (mut workspace, mut findings) = workspace::check_without_cache(&target.root, target.config, include);
        workspace.add_rule_file_problems(&mut findings);
        let color = args.format == Format::Human && render::human::use_color();
        let exit = report(&args, &workspace, &findings, color).exit;
        crate::timings::mark("report rendered and printed");
        std::mem::forget((workspace, findings)); // as below
        return exit;
    }
    let color = args.format == Format::Human && render::human::use_color();
    // The CI formats name files relative to the current folder (`render::ci_path`); the others
    // relative to the root, so a stored report serves them from any folder.
    let cwd = match args.format {
        Format::Github | Format::Gitlab | Format::Junit => std::env::current_dir().unwrap_or_default(),
        Format::Human | Format::Json | Format::Sarif => PathBuf::new(),
    };
    let request =
        format!("{:?}\0{color}\0{}\0{requested:?}\0{changed:?}\0{}", args.format, target.root.display(), cwd.display());
    let slot = format!("{:?}", args.format).to_lowercase();
    let show_stats = std::env::var_os("BATON_CACHE_STATS").is_some_and(|v| !v.is_empty() && v != "0");
    let (workspace, findings, printed) =
        match workspace::check_or_replay(&target.root, target.config, include, &slot, request.as_bytes()) {
            Checked::Replayed(stored, stats) => {
                if show_stats {
                    eprintln!("{}", stats.line());
                }
                let failed = stored.worst.is_some_and(|worst| args.fail_on.fails(worst));
                let mut stdout = std::io::stdout().lock();
                if let Err(message) = print_with(|| stored.copy_to(&mut stdout).and_then(|_| stdout.flush())) {
                    return error(message);
                }
                return exit_status(failed);
            }
            Checked::Analysed { mut workspace, mut findings, stats, slot, cache_write } => {
                workspace.add_rule_file_problems(&mut findings);
                if show_stats {
                    eprintln!("{}", stats.line());
                }
                let printed = report(&args, &workspace, &findings, color);
                crate::timings::mark("report rendered and printed");
                if let Some(slot) = slot {
                    if let Err(e) = slot.store(printed.output.as_bytes(), &findings) {
                        cache::warn_unwritable(&workspace.root, &e);
                    }
                }
                crate::timings::mark("report stored");
                cache_write.wait();
                crate::timings::mark("analysis cache written");
                (workspace, findings, printed)
            }
        };
    // The process exits next: freeing every syntax tree one by one would take longer than the
    // rendering (≈0.17 s of a 1 s check of 5,300 files); the system reclaims it at once.
    std::mem::forget((workspace, findings, printed.output));
    printed.exit
}

/// What [`report`] printed, and the exit status it calls for.
struct Printed {
    output: String,
    exit: u8,
}

/// Prints the report of `findings` on stdout (human format in colour when `color`), and gives
/// the exit status. Unreadable paths are among the findings (`meta/unreadable`).
fn report(args: &CheckArgs, workspace: &Workspace, findings: &[FileFinding], color: bool) -> Printed {
    let output = match args.format {
        Format::Human => render::human::render(workspace, findings, color),
        Format::Json => render::json::render(workspace, findings),
        Format::Sarif => render::sarif::render(workspace, findings),
        Format::Github => render::github::render(workspace, findings),
        Format::Gitlab => render::gitlab::render(workspace, findings),
        Format::Junit => render::junit::render(workspace, findings),
    };
    if let Err(message) = print(output.as_bytes()) {
        return Printed { output, exit: error(message) };
    }
    let failed = findings.iter().any(|f| args.fail_on.fails(f.finding.severity));
    Printed { output, exit: exit_status(failed) }
}

/// Writes the report on stdout.
fn print(output: &[u8]) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    print_with(|| stdout.write_all(output).and_then(|_| stdout.flush()))
}

/// Runs a write to stdout; a closed pipe (`baton check | head`) is not an error.
fn print_with(write: impl FnOnce() -> std::io::Result<()>) -> Result<(), String> {
    match write() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write output: {e}")),
        _ => Ok(()),
    }
}

fn exit_status(failed: bool) -> u8 {
    if failed {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn resolve(args: &CheckArgs) -> Result<Target, String> {
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let mut absolute_paths = Vec::new();
    for path in &paths {
        let abs = absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
        absolute_paths.push(abs);
    }
    let first = &absolute_paths[0];
    let first_dir =
        if first.is_dir() { first.clone() } else { first.parent().map_or_else(|| first.clone(), Path::to_path_buf) };
    let config_path = match &args.config {
        Some(path) => Some(absolute(path).map_err(|e| format!("{}: {e}", path.display()))?),
        None => Config::discover(first),
    };
    let mut config = match &config_path {
        Some(path) => Config::load(path).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    // The root is the configuration's folder when the paths are inside it, else the first path
    // (its folder for a file), widened to the deepest folder holding every path (so that
    // `baton check a/x.ts b/y.sql`, as pre-commit calls it, is one workspace).
    let root = match config_path.as_deref().and_then(Path::parent) {
        Some(dir) if first.starts_with(dir) => dir.to_path_buf(),
        _ => {
            let mut root = first_dir;
            for abs in &absolute_paths[1..] {
                while !abs.starts_with(&root) {
                    match root.parent() {
                        Some(parent) => root = parent.to_path_buf(),
                        None => break,
                    }
                }
            }
            root
        }
    };
    workspace::user_rules::attach(&root, &mut config);
    let mut requested = Vec::new();
    for (abs, given) in absolute_paths.iter().zip(&paths) {
        if abs == &root {
            requested.push(String::new());
        } else {
            let relative = relative_path(&root, abs)
                .ok_or_else(|| format!("{} is outside the workspace root {}", given.display(), root.display()))?;
            requested.push(relative);
        }
    }
    Ok(Target { root, config, requested })
}
