//! The `baton` command line: argument parsing and dispatch. Each subcommand lives in its own
//! module and returns an exit status; errors are printed to stderr, never as a panic.

mod check;
mod debug;
mod init;
pub mod render;
mod rules_cmd;
mod stage;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit status: no finding at or above `--fail-on`.
pub const EXIT_OK: u8 = 0;
/// Exit status: findings at or above `--fail-on`.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: usage, configuration or I/O error.
pub const EXIT_ERROR: u8 = 2;

/// Baton keeps multi-agent software delivery honest: it finds skipped stages, missing gates,
/// broken handoffs and RLS bypasses in specs, handoff files, code and migrations.
#[derive(Parser, Debug)]
#[command(name = "baton", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyze files or folders once and print the findings.
    Check(check::CheckArgs),
    /// List every rule, or explain one.
    Rules(rules_cmd::RulesArgs),
    /// Write a commented baton.toml in the current folder.
    Init(init::InitArgs),
    /// Work-item stages: status table, advance, approvals.
    Stage(stage::StageArgs),
    /// Quality gates: run one.
    Gate(stage::GateArgs),
    /// Handoff signals: write one, verify all.
    Handoff(stage::HandoffArgs),
    /// Internal tools for Baton's own tests (`debug model DIR`).
    #[command(hide = true)]
    Debug(debug::DebugArgs),
    /// Run the language server on stdio.
    Lsp {
        /// Accepted for compatibility with clients that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
}

/// Output formats of `baton check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Code frames for people.
    Human,
    /// One JSON object (contract §2).
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Parses arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Lsp { .. }) {
        restore_default_sigpipe();
    }
    // Analysis threads get 8 MB stacks (Rust's default for spawned threads is 2 MB): parsing
    // recurses per nesting level, and the guards (`syntax::MAX_SQL_NESTING`) keep a margin to it.
    let _ = rayon::ThreadPoolBuilder::new().stack_size(crate::ANALYSIS_STACK_SIZE).build_global();
    let status = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Init(args) => init::run(args),
        Command::Debug(args) => debug::run(args),
        Command::Stage(args) => stage::run_stage(args),
        Command::Gate(args) => stage::run_gate(args),
        Command::Handoff(args) => stage::run_handoff(args),
        Command::Lsp { .. } => match crate::lsp::run_stdio() {
            Ok(true) => EXIT_OK,
            // `exit` (or the end of stdin) without `shutdown` first: the protocol says 1.
            Ok(false) => EXIT_FINDINGS,
            Err(e) => error(format!("language server: {e}")),
        },
    };
    ExitCode::from(status)
}

/// A command whose output is piped into `head` stops quietly when the reader goes away, as
/// Unix tools do, instead of panicking on the failed write (Rust ignores SIGPIPE by default).
/// The language server keeps Rust's default: its write errors are handled as a lost client.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread is spawned; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Prints an error the way every subcommand does.
pub(crate) fn error(message: impl std::fmt::Display) -> u8 {
    eprintln!("baton: error: {message}");
    EXIT_ERROR
}

/// Absolute form of a path without resolving symlinks beyond what `canonicalize` does.
pub(crate) fn absolute(path: &std::path::Path) -> std::io::Result<PathBuf> {
    std::fs::canonicalize(path)
}
