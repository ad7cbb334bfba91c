//! The semantic layer: what TypeScript/JavaScript code means across files, built from syntax
//! alone and consumed by the rules through a small query API. It sits between `syntax` and
//! `rules`/`engine` and imports nothing above `syntax` (no configuration, no rule knowledge).
//!
//! - [`manifest`]: `package.json` and `tsconfig.json`/`jsconfig.json` read into what module
//!   resolution needs.
//! - [`graph`]: the [`ModuleGraph`] — an import specifier resolved to a workspace module
//!   (relative paths, tsconfig `paths`/`baseUrl` with `extends`, workspace packages with
//!   `exports`/`main`/`types`), over the walked file list, without `node_modules`.
//!
//! - [`summary`]: function summaries — *authenticates*, *returns a session*, *auth wrapper* —
//!   read per file ([`summary::summarize_file`]) and resolved across files to a fixpoint
//!   ([`summary::resolve_workspace`]); the rules evaluate a handler's own steps with
//!   [`summary::StepReader`] and [`summary::evaluate`].
//!
//! Query API (what rules call, through `engine::WorkspaceFacts`):
//! - [`ModuleGraph::resolve`]`(from, specifier) -> Option<module key>`;
//! - [`ModuleGraph::has_module`], [`ModuleGraph::package_dir`];
//! - [`module_key`] (a path without its extension: the key modules are known by);
//! - `WorkspaceFacts::imported_summary(from, specifier, name)` and
//!   `WorkspaceFacts::local_summary(path, name)` → [`summary::Resolved`] (recorded as
//!   dependencies of the rule match, so cached findings stay correct).
//!
//! Design decision (docs/semantic.md): a small resolver over the file list the workspace layer
//! hands in, rather than `oxc_resolver`, which resolves against a file system (it would need an
//! in-memory file system fed with every path, still look for `node_modules`, and adds a
//! dependency tree to a 2-core build) and would not map a workspace package to its *source*
//! when its `main` points at compiled output that a fresh clone does not have.

pub mod graph;
pub mod incremental;
pub mod manifest;
pub mod summary;

pub use graph::{module_key, ModuleGraph};
pub use manifest::{is_manifest_name, Manifest};
