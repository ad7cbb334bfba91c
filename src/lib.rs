//! Baton: a language server and CLI that keeps multi-agent software delivery honest.
//!
//! Layers, from the bottom (see ARCHITECTURE.md):
//! - [`line_index`], [`syntax`]: text and parsing; parsing never fails.
//! - [`rules`]: the registry — ids, docs, queries, predicates.
//! - [`sql`]: migration ordering and the replayed schema model.
//! - [`plan`], [`handoff`]: workflow documents, specs, signals and snapshots, read and normalised.
//! - [`engine`]: pure analysis of documents with workspace facts; no IO.
//! - [`ide`]: editor features beyond diagnostics (symbols, hover, lenses …), pure like the engine.
//! - [`workspace`]: discovery and loading (IO), parallel checking.
//! - [`config`]: the `baton.toml` configuration.
//! - [`git`]: the one guarded way Baton runs `git` (no repository-configured program ever runs).
//! - [`cli`] and [`lsp`]: the `baton` command and the language server, thin adapters over the above.

/// Stack size of the threads that parse and analyse (rayon's pool, the language server's runtime).
pub const ANALYSIS_STACK_SIZE: usize = 8 * 1024 * 1024;

pub mod atomic;
pub mod cli;
pub mod config;
pub mod engine;
pub mod git;
pub mod guard;
pub mod handoff;
pub mod hook;
pub mod ide;
pub mod line_index;
pub mod lsp;
pub mod mcp;
pub mod path_filter;
pub mod plan;
pub mod rules;
pub mod semantic;
pub mod sql;
pub mod stage;
pub mod syntax;
pub mod timings;
pub mod workspace;
