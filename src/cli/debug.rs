//! `baton debug model DIR` (hidden): the replayed schema model of every migration sequence in
//! DIR as JSON, in the shape `scripts/pg-agreement.sh` compares with PostgreSQL's catalogs.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{absolute, error, EXIT_OK};
use crate::config::Config;
use crate::sql::{migration_sequences, MigrationModel};
use crate::syntax::Document;
use crate::workspace::Workspace;

/// Arguments of `baton debug`.
#[derive(Args, Debug)]
pub struct DebugArgs {
    #[command(subcommand)]
    what: DebugCommand,
}

#[derive(Subcommand, Debug)]
enum DebugCommand {
    /// Print the replayed schema model of each migrations folder as JSON.
    Model {
        /// The workspace folder.
        dir: PathBuf,
        /// Print the whole model (locations, events) instead of the catalog facts.
        #[arg(long)]
        full: bool,
    },
}

/// Runs `baton debug`.
pub fn run(args: DebugArgs) -> u8 {
    match args.what {
        DebugCommand::Model { dir, full } => {
            let root = match absolute(&dir) {
                Ok(root) => root,
                Err(e) => return error(format!("{}: {e}", dir.display())),
            };
            let config = match Config::discover(&root).filter(|p| p.starts_with(&root)) {
                Some(path) => match Config::load(&path) {
                    Ok(config) => config,
                    Err(e) => return error(e),
                },
                None => Config::default(),
            };
            let workspace = Workspace::load(&root, config);
            let docs: Vec<&Document> = workspace.documents.iter().map(|d| d.as_ref()).collect();
            let mut out = serde_json::Map::new();
            for sequence in migration_sequences(&docs, &workspace.config) {
                let model = MigrationModel::replay(&sequence.documents);
                let value = if full { serde_json::to_value(&model).unwrap_or_default() } else { model.catalog_facts() };
                out.insert(sequence.folder.clone(), value);
            }
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            EXIT_OK
        }
    }
}
