//! The floor for `baton check`: discover, read and parse every file of a workspace with the same
//! grammars and the same parallelism (rayon over the files), and nothing else.
//!
//! `cargo run --release --example parse_only -- DIR` prints one JSON line: files parsed, bytes,
//! and the number of syntax trees with errors (so the work cannot be optimised away).

use std::process::ExitCode;

use baton::syntax::Document;
use rayon::prelude::*;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse_only DIR");
        return ExitCode::from(2);
    };
    let root = std::path::Path::new(&dir);
    let sources = baton::workspace::discover(root);
    let (files, bytes, with_errors) = sources
        .par_iter()
        .filter_map(|s| {
            let text = std::fs::read_to_string(&s.absolute).ok()?;
            let len = text.len();
            let doc = Document::parse(s.relative.clone(), s.kind, text);
            let has_error = match (doc.tree(), doc.sql()) {
                (Some(tree), _) => tree.root_node().has_error(),
                (None, Some(sql)) => !sql.errors().is_empty(),
                (None, None) => false,
            };
            Some((1usize, len, usize::from(has_error)))
        })
        .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    println!("{}", serde_json::json!({ "files": files, "bytes": bytes, "with_errors": with_errors }));
    ExitCode::SUCCESS
}
