//! SQL semantics: migration ordering and the schema model replayed from migrations.
//!
//! Parsing is `squawk-syntax`'s (see [`crate::syntax`]); this module gives the trees meaning.

pub mod migrations;
pub mod model;
pub mod names;

pub use migrations::{migration_sequences, MigrationSequence};
pub use model::{Location, MigrationModel, Table};
pub use names::QualifiedName;
