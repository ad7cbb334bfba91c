//! SQL semantics: migration ordering and the schema model replayed from migrations.
//!
//! Parsing is `squawk-syntax`'s (see [`crate::syntax`]); this module gives the trees meaning.

mod buckets;
pub mod dialect;
pub mod exposure;
mod facts;
pub mod migrations;
pub mod model;
pub mod names;
mod policy_expr;
mod replay;

pub use migrations::{migration_sequences, MigrationSequence};
pub use model::{
    Bucket, Column, Event, EventKind, Extension, ForeignKey, Function, Index, Location, MigrationModel, Policy,
    PolicyCommand, PolicyExpr, Table, View,
};
pub use names::{quote_if_needed, QualifiedName};
pub use replay::{contains_word, text_range};
