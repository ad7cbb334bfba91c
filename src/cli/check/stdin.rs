//! `baton check - --stdin-filename PATH`: one file read from stdin, checked as if it were at
//! PATH. The workspace around PATH is loaded as usual (configuration, migration order, context
//! wrappers, handoffs), with stdin in place of the file on disk — which need not exist. Only that
//! file's findings are reported, in any `--format`, with the usual exit status. A PATH Baton does
//! not read (its kind, or `exclude` in `baton.toml`) gives an empty report. The analysis cache is
//! not used.

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::{error, report, resolve, CheckArgs};
use crate::engine::Finding;
use crate::syntax::{Document, FileKind, MAX_FILE_SIZE};
use crate::workspace::{self, relative_path, FileFinding, Workspace};

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
    crate::rules::query_set::QuerySet::prepare_all();
    let admitted = target.config.path_filter().admits(&relative);
    let mut workspace = Workspace::load(&target.root, target.config);
    if admitted {
        if let Some(kind) = FileKind::from_path(&relative) {
            put_stdin(&mut workspace, &relative, kind, bytes);
        }
    }
    let findings: Vec<FileFinding> = workspace.check(|path| path == relative);
    let color = resolve_args.format == super::Format::Human && super::render::human::use_color();
    let exit = report(&resolve_args, &workspace, &findings, color).exit;
    std::mem::forget((workspace, findings)); // the process exits next (see `check::run`)
    exit
}

/// Puts the text read from stdin at `relative`, in place of the file on disk if there is one.
fn put_stdin(workspace: &mut Workspace, relative: &str, kind: FileKind, bytes: Vec<u8>) {
    workspace.notices.retain(|n| n.path != relative);
    workspace.unreadable.retain(|(path, _)| path != relative);
    if let Ok(i) = workspace.documents.binary_search_by(|d| d.path.as_str().cmp(relative)) {
        workspace.documents.remove(i);
    }
    workspace.files.insert(relative.to_string());
    if bytes.len() as u64 > MAX_FILE_SIZE {
        let message = crate::syntax::too_large_message(relative, bytes.len() as u64);
        let finding = Finding::new("meta/file-too-large", 0..0, message);
        workspace.notices.push(FileFinding { path: relative.to_string(), finding });
        return;
    }
    let (text, notice) = workspace::decode(bytes, relative);
    if text.as_bytes()[..text.len().min(8192)].contains(&0) {
        return; // binary, as on disk
    }
    if let Some(finding) = notice {
        workspace.notices.push(FileFinding { path: relative.to_string(), finding });
    }
    let document = Arc::new(Document::parse(relative.to_string(), kind, text));
    let at = workspace.documents.binary_search_by(|d| d.path.as_str().cmp(relative)).unwrap_or_else(|i| i);
    workspace.documents.insert(at, document);
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
