//! `baton check - --stdin-filename PATH`: one file read from stdin, checked as if it were at
//! PATH. The workspace around PATH is loaded as usual (configuration, migration order, context
//! wrappers, handoffs), with stdin in place of the file on disk — which need not exist. Only that
//! file's findings are reported, in any `--format`, with the usual exit status. A PATH Baton does
//! not read (its kind, or `exclude` in `baton.toml`) gives an empty report. The analysis cache is
//! not used; the check streams like `--no-cache` (no file's tree is held past its facts).

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use super::{error, report, resolve, CheckArgs};
use crate::syntax::{FileKind, MAX_FILE_SIZE};
use crate::workspace::{self, relative_path};

/// Runs the check of stdin.
pub fn run(args: CheckArgs) -> u8 {
    let only_dash = args.paths.iter().all(|p| p.as_os_str() == "-") && args.paths.len() <= 1;
    let Some(filename) = args.stdin_filename.clone() else {
        return error("`baton check -` reads the file from stdin and needs --stdin-filename PATH (where it would be)");
    };
    if !only_dash {
        return error("--stdin-filename checks stdin: give `-` as the only path, or no path");
    }
    if args.changed_since.is_some() {
        return error("--changed-since cannot be combined with reading from stdin");
    }
    let absolute = match lenient_absolute(&filename) {
        Ok(path) => path,
        Err(message) => return error(message),
    };
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().lock().take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes) {
        return error(format!("cannot read stdin: {e}"));
    }
    // The folder that exists above PATH decides the configuration and the root.
    let anchor = absolute.ancestors().skip(1).find(|dir| dir.is_dir()).unwrap_or(Path::new("/")).to_path_buf();
    let resolve_args = CheckArgs { paths: vec![anchor], stdin_filename: None, ..args };
    let target = match resolve(&resolve_args) {
        Ok(t) => t,
        Err(message) => return error(message),
    };
    let Some(relative) = relative_path(&target.root, &absolute) else {
        return error(format!("{} is outside the workspace root {}", filename.display(), target.root.display()));
    };
    let filter = target.config.path_filter();
    let mut inputs = workspace::CheckInputs::read(&target.root, &filter);
    if filter.admits(&relative) {
        if let Some(kind) = FileKind::from_path(&relative) {
            inputs.put_text(&relative, kind, bytes);
        }
    }
    // The streaming path of `--no-cache`: the other files give their facts, and no tree is held.
    let (workspace, findings) =
        workspace::check_inputs_without_cache(inputs, target.config, |path: &str| path == relative);
    let color = resolve_args.format == super::Format::Human && super::render::human::use_color();
    let exit = report(&resolve_args, &workspace, &findings, color).exit;
    std::mem::forget((workspace, findings)); // the process exits next (see `check::run`)
    exit
}

/// The absolute form of PATH: its deepest existing folder resolved (symlinks too, as for every
/// other path), the rest appended. `..` in the part that does not exist is refused.
fn lenient_absolute(path: &Path) -> Result<PathBuf, String> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?.join(path)
    };
    if let Ok(resolved) = std::fs::canonicalize(&joined) {
        if resolved.is_dir() {
            return Err(format!("--stdin-filename {} is a folder; name the file stdin stands for", path.display()));
        }
        return Ok(resolved);
    }
    let mut existing = joined.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        let Some(name) = existing.file_name() else { break };
        rest.push(name.to_os_string());
        existing = existing.parent().unwrap_or(Path::new("/"));
    }
    if joined.components().any(|c| c == Component::ParentDir) && rest.len() > 1 {
        return Err(format!("--stdin-filename {}: `..` through a folder that does not exist", path.display()));
    }
    let mut resolved =
        std::fs::canonicalize(existing).map_err(|e| format!("--stdin-filename {}: {e}", path.display()))?;
    for name in rest.into_iter().rev() {
        resolved.push(name);
    }
    Ok(resolved)
}
