//! Baton: a language server and CLI that keeps multi-agent software delivery honest.
//!
//! Layers, from the bottom (see ARCHITECTURE.md):
//! - [`line_index`], [`syntax`]: text and parsing; parsing never fails.
//! - [`rules`]: the registry — ids, docs, queries, predicates.
//! - [`sql`]: migration ordering and the replayed schema model.
//! - [`engine`]: pure analysis of documents with workspace facts; no IO.
//! - [`workspace`]: discovery and loading (IO), parallel checking.
//! - [`config`]: the `baton.toml` configuration.
//! - [`cli`] and [`lsp`]: the `baton` command and the language server, thin adapters over the above.

pub mod cli;
pub mod config;
pub mod engine;
pub mod line_index;
pub mod lsp;
pub mod rules;
pub mod sql;
pub mod syntax;
pub mod workspace;
