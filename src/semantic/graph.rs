//! The module graph: which module an import specifier names, resolved over the workspace's own
//! file list and manifests — no disk access and no `node_modules` (CI runs and fresh clones have
//! none; a workspace package is found from its `package.json` in the walked tree).
//!
//! Resolution of `specifier` imported from the file at `from`, first hit wins:
//! 1. relative (`./x`, `../x`): against the importing file's folder;
//! 2. `compilerOptions.paths` of the nearest `tsconfig.json` (else `jsconfig.json`) above the
//!    importing file, `extends` followed (relative paths and workspace packages), then its
//!    `baseUrl`;
//! 3. a workspace package (any `package.json` with a `name` in the walked tree; this covers
//!    pnpm workspaces, npm/yarn `workspaces` and packages outside any glob alike): the subpath
//!    through `exports` (exact, then `*` patterns), else `types`/`module`/`main` for the package
//!    itself, else the subpath as a folder of the package;
//! 4. the conventional aliases `@/x` and `~/x` (`x`, then `src/x` at the root) when no config
//!    matched.
//!
//! A candidate path names a module when a TS/JS file has that path with a known extension, or
//! when it is a folder with an `index` file. Compiled-output targets that are not in the tree
//! (`./dist/index.js`, the norm for a package's `main` before a build) are tried in the source
//! folder too (`dist/`, `build/`, `lib/`, `out/` → `src/` and the package root).

use std::collections::{HashMap, HashSet};

use super::manifest::{CompilerPaths, Manifest, Package};

/// Extensions of modules, longest first (so `.d.ts` wins over `.ts`).
const EXTENSIONS: &[&str] = &[".d.ts", ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/// A module's key: its workspace-relative path without the extension (`lib/db/context` for
/// `lib/db/context.ts`).
pub fn module_key(path: &str) -> &str {
    for ext in EXTENSIONS {
        if let Some(stem) = path.strip_suffix(ext) {
            return stem;
        }
    }
    path
}

/// The module graph of one workspace (see the module documentation for the resolution order).
#[derive(Debug, Default)]
pub struct ModuleGraph {
    /// Module keys of every TS/JS file.
    modules: HashSet<String>,
    /// Workspace packages by name.
    packages: HashMap<String, Package>,
    /// Compiler configs by path.
    configs: HashMap<String, CompilerPaths>,
    /// Folder → the config that applies to files in it (directly), `tsconfig.json` first.
    config_of_dir: HashMap<String, String>,
    /// Effective `(base_url dir, paths with their dir)` per config path, `extends` merged.
    effective: HashMap<String, Effective>,
}

/// A config with its `extends` chain merged: `baseUrl` and `paths` come from the nearest file
/// that sets them, resolved to workspace folders.
#[derive(Clone, Debug, Default)]
struct Effective {
    base_url: Option<String>,
    /// Pattern → targets, each target already joined with its folder.
    paths: Vec<(String, Vec<String>)>,
}

impl ModuleGraph {
    /// Builds the graph from the paths of the workspace's TS/JS files and its manifests.
    pub fn build<'a>(
        module_paths: impl IntoIterator<Item = &'a str>,
        manifests: impl IntoIterator<Item = &'a Manifest>,
    ) -> ModuleGraph {
        let mut graph = ModuleGraph {
            modules: module_paths.into_iter().map(|p| module_key(p).to_string()).collect(),
            ..ModuleGraph::default()
        };
        for manifest in manifests {
            match manifest {
                Manifest::Package(p) => {
                    if let Some(name) = &p.name {
                        // Two packages of one name (fixtures, templates): the shallower wins.
                        let keep = graph.packages.get(name).is_some_and(|old| depth(&old.dir) <= depth(&p.dir));
                        if !keep {
                            graph.packages.insert(name.clone(), p.clone());
                        }
                    }
                }
                Manifest::Config(c) => {
                    graph.configs.insert(c.path.clone(), c.clone());
                }
                Manifest::Nothing => {}
            }
        }
        let mut paths: Vec<&String> = graph.configs.keys().collect();
        paths.sort();
        for path in paths {
            let (dir, name) = split(path);
            let primary = name == "tsconfig.json" || name == "jsconfig.json";
            if !primary {
                continue;
            }
            let prefer = match graph.config_of_dir.get(dir) {
                Some(existing) => name == "tsconfig.json" && !existing.ends_with("tsconfig.json"),
                None => true,
            };
            if prefer {
                graph.config_of_dir.insert(dir.to_string(), path.clone());
            }
        }
        let config_paths: Vec<String> = graph.configs.keys().cloned().collect();
        for path in config_paths {
            let effective = graph.merge(&path, 0);
            graph.effective.insert(path, effective);
        }
        graph
    }

    /// True when a TS/JS file has the module key `key`.
    pub fn has_module(&self, key: &str) -> bool {
        self.modules.contains(key)
    }

    /// The number of workspace packages found.
    pub fn package_count(&self) -> usize {
        self.packages.len()
    }

    /// The folder of the workspace package `name`, if the workspace has one.
    pub fn package_dir(&self, name: &str) -> Option<&str> {
        self.packages.get(name).map(|p| p.dir.as_str())
    }

    /// The bare specifier another package's file at `from` can import module `key` by: the
    /// name of the workspace package that holds it, when that name resolves to `key` (an entry
    /// point) — `None` inside the same package or when the entry is another module.
    pub fn package_specifier(&self, from: &str, key: &str) -> Option<String> {
        let (name, package) = self
            .packages
            .iter()
            .filter(|(_, p)| p.dir.is_empty() || key.starts_with(&format!("{}/", p.dir)))
            .max_by_key(|(_, p)| p.dir.len())?;
        if package.dir.is_empty() || from.starts_with(&format!("{}/", package.dir)) {
            return None;
        }
        (self.resolve(from, name).as_deref() == Some(key)).then(|| name.clone())
    }

    /// The module key that `specifier`, imported from the file at `from`, names in this
    /// workspace; `None` for external packages and unresolvable specifiers.
    pub fn resolve(&self, from: &str, specifier: &str) -> Option<String> {
        let dir = split(from).0;
        if specifier.starts_with("./") || specifier.starts_with("../") || specifier == "." || specifier == ".." {
            return self.module_at(&join(dir, specifier)?);
        }
        let config = self.config_for(dir);
        if let Some(effective) = config.and_then(|c| self.effective.get(c)) {
            if let Some(found) = self.through_paths(effective, specifier) {
                return Some(found);
            }
            if let Some(base) = &effective.base_url {
                if let Some(found) = join(base, specifier).and_then(|p| self.module_at(&p)) {
                    return Some(found);
                }
            }
        }
        if let Some(found) = self.through_package(specifier) {
            return Some(found);
        }
        if config.and_then(|c| self.effective.get(c)).is_none_or(|e| e.paths.is_empty()) {
            if let Some(rest) = specifier.strip_prefix("@/").or_else(|| specifier.strip_prefix("~/")) {
                return self.module_at(rest).or_else(|| self.module_at(&format!("src/{rest}")));
            }
        }
        None
    }

    /// The config that applies to files in `dir`: the nearest folder at or above it with one.
    fn config_for(&self, dir: &str) -> Option<&String> {
        let mut dir = dir;
        loop {
            if let Some(c) = self.config_of_dir.get(dir) {
                return Some(c);
            }
            if dir.is_empty() {
                return None;
            }
            dir = split(dir).0;
        }
    }

    fn through_paths(&self, effective: &Effective, specifier: &str) -> Option<String> {
        // Exact patterns first, then the longest prefix (TypeScript's rule).
        let mut best: Option<(usize, &str, &Vec<String>)> = None;
        for (pattern, targets) in &effective.paths {
            match pattern.split_once('*') {
                None if pattern == specifier => {
                    for target in targets {
                        if let Some(found) = self.module_at(target) {
                            return Some(found);
                        }
                    }
                }
                Some((prefix, suffix))
                    if specifier.starts_with(prefix)
                        && specifier.ends_with(suffix)
                        && specifier.len() >= prefix.len() + suffix.len()
                        && best.is_none_or(|(len, ..)| prefix.len() > len) =>
                {
                    let star = &specifier[prefix.len()..specifier.len() - suffix.len()];
                    best = Some((prefix.len(), star, targets));
                }
                _ => {}
            }
        }
        let (_, star, targets) = best?;
        targets.iter().find_map(|t| self.module_at(&t.replacen('*', star, 1)))
    }

    fn through_package(&self, specifier: &str) -> Option<String> {
        let mut parts = specifier.splitn(3, '/');
        let first = parts.next()?;
        let (name, subpath) = if first.starts_with('@') {
            let second = parts.next()?;
            (format!("{first}/{second}"), parts.next())
        } else {
            let rest: Vec<&str> = parts.collect();
            (first.to_string(), (!rest.is_empty()).then(|| specifier[first.len() + 1..].as_ref()))
        };
        let package = self.packages.get(&name)?;
        let wanted = subpath.map_or(".".to_string(), |s| format!("./{s}"));
        for (key, target) in &package.exports {
            if *key == wanted {
                if let Some(found) = self.target(&package.dir, target) {
                    return Some(found);
                }
            }
        }
        for (key, target) in &package.exports {
            let Some((prefix, suffix)) = key.split_once('*') else { continue };
            if wanted.starts_with(prefix) && wanted.ends_with(suffix) && wanted.len() >= prefix.len() + suffix.len() {
                let star = &wanted[prefix.len()..wanted.len() - suffix.len()];
                if let Some(found) = self.target(&package.dir, &target.replacen('*', star, 1)) {
                    return Some(found);
                }
            }
        }
        match subpath {
            None => {
                for target in &package.main {
                    if let Some(found) = self.target(&package.dir, target) {
                        return Some(found);
                    }
                }
                self.module_at(&join(&package.dir, "src/index")?).or_else(|| self.module_at(&package.dir))
            }
            Some(sub) => {
                let direct = join(&package.dir, sub)?;
                self.module_at(&direct).or_else(|| self.module_at(&join(&package.dir, &format!("src/{sub}"))?))
            }
        }
    }

    /// A package entry point, or its source when the entry is compiled output not in the tree.
    fn target(&self, dir: &str, target: &str) -> Option<String> {
        let path = join(dir, target)?;
        if let Some(found) = self.module_at(&path) {
            return Some(found);
        }
        let relative = target.trim_start_matches("./");
        for out in ["dist/", "build/", "lib/", "out/"] {
            if let Some(rest) = relative.strip_prefix(out) {
                let rest = rest.strip_suffix(".map").unwrap_or(rest);
                for base in [format!("src/{rest}"), rest.to_string()] {
                    if let Some(found) = join(dir, &base).and_then(|p| self.module_at(&p)) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }

    /// The module at a workspace path (with or without an extension), or the folder's `index`.
    fn module_at(&self, path: &str) -> Option<String> {
        let key = module_key(path).trim_end_matches('/');
        if self.modules.contains(key) {
            return Some(key.to_string());
        }
        let index = if key.is_empty() { "index".to_string() } else { format!("{key}/index") };
        if self.modules.contains(&index) {
            return Some(index);
        }
        // `import "./x.json"`-like and extension-ful imports of a folder: nothing else to try.
        None
    }

    /// Merges a config with what it extends (depth-bounded against cycles).
    fn merge(&self, path: &str, depth_left: u32) -> Effective {
        let Some(config) = self.configs.get(path) else { return Effective::default() };
        let dir = split(path).0;
        let mut merged = Effective::default();
        if depth_left < 8 {
            for parent in &config.extends {
                if let Some(parent_path) = self.extended_config(dir, parent) {
                    let inherited = self.merge(&parent_path, depth_left + 1);
                    if inherited.base_url.is_some() {
                        merged.base_url = inherited.base_url;
                    }
                    if !inherited.paths.is_empty() {
                        merged.paths = inherited.paths;
                    }
                }
            }
        }
        if let Some(base) = &config.base_url {
            merged.base_url = join(dir, base);
        }
        if let Some(paths) = &config.paths {
            // `paths` are relative to `baseUrl` when one is set, else to the file that sets them.
            let root = merged.base_url.clone().unwrap_or_else(|| dir.to_string());
            merged.paths = paths
                .iter()
                .map(|(pattern, targets)| {
                    (pattern.clone(), targets.iter().filter_map(|t| join(&root, t)).collect::<Vec<_>>())
                })
                .collect();
        }
        merged
    }

    /// The config file an `extends` entry names: a relative path (with or without `.json`), or a
    /// workspace package's file (`@acme/tsconfig/base.json`, or the package's `tsconfig.json`).
    fn extended_config(&self, dir: &str, entry: &str) -> Option<String> {
        let candidates: Vec<String> = if entry.starts_with('.') {
            let joined = join(dir, entry)?;
            vec![joined.clone(), format!("{joined}.json"), format!("{joined}/tsconfig.json")]
        } else {
            let mut parts = entry.splitn(3, '/');
            let first = parts.next()?;
            let (name, rest) = if first.starts_with('@') {
                (format!("{first}/{}", parts.next()?), parts.next())
            } else {
                (first.to_string(), entry.get(first.len() + 1..))
            };
            let package = self.packages.get(&name)?;
            match rest {
                Some(rest) => {
                    let joined = join(&package.dir, rest)?;
                    vec![joined.clone(), format!("{joined}.json")]
                }
                None => vec![join(&package.dir, "tsconfig.json")?],
            }
        };
        candidates.into_iter().find(|c| self.configs.contains_key(c))
    }
}

/// Folder and file name of a workspace-relative path (`""` for the root folder).
fn split(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some((dir, name)) => (dir, name),
        None => ("", path),
    }
}

fn depth(dir: &str) -> usize {
    if dir.is_empty() {
        0
    } else {
        dir.matches('/').count() + 1
    }
}

/// Joins a relative path onto a workspace folder, resolving `.` and `..`; `None` when it leaves
/// the workspace.
fn join(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> =
        if relative.starts_with('/') { Vec::new() } else { dir.split('/').filter(|p| !p.is_empty()).collect() };
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(files: &[&str], manifests: &[(&str, &str)]) -> ModuleGraph {
        let manifests: Vec<Manifest> = manifests.iter().map(|(p, t)| Manifest::read(p, t)).collect();
        ModuleGraph::build(files.iter().copied(), manifests.iter())
    }

    #[test]
    fn resolves_relative_imports_and_index_files() {
        let g = graph(&["app/api/route.ts", "lib/auth.ts", "lib/db/index.ts"], &[]);
        assert_eq!(g.resolve("app/api/route.ts", "../../lib/auth").as_deref(), Some("lib/auth"));
        assert_eq!(g.resolve("app/api/route.ts", "../../lib/auth.js").as_deref(), Some("lib/auth"));
        assert_eq!(g.resolve("app/api/route.ts", "../../lib/db").as_deref(), Some("lib/db/index"));
        assert_eq!(g.resolve("app/api/route.ts", "../../../outside"), None);
        assert_eq!(g.resolve("app/api/route.ts", "./missing"), None);
    }

    #[test]
    fn resolves_tsconfig_paths_with_extends_and_base_url() {
        let g = graph(
            &["apps/web/src/lib/auth.ts", "apps/web/src/app/api/x/route.ts", "apps/web/utils/env.ts"],
            &[
                ("tsconfig.base.json", r#"{ "compilerOptions": { "paths": { "@/*": ["./nowhere/*"] } } }"#),
                (
                    "apps/web/tsconfig.json",
                    r#"{ "extends": "../../tsconfig.base.json", "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["./src/*"] } } }"#,
                ),
            ],
        );
        let from = "apps/web/src/app/api/x/route.ts";
        assert_eq!(g.resolve(from, "@/lib/auth").as_deref(), Some("apps/web/src/lib/auth"));
        assert_eq!(g.resolve(from, "utils/env").as_deref(), Some("apps/web/utils/env"), "baseUrl");
        assert_eq!(g.resolve(from, "react"), None);
    }

    #[test]
    fn inherits_paths_from_an_extended_config() {
        let g = graph(
            &["packages/ui/src/button.ts", "packages/ui/src/index.ts"],
            &[
                (
                    "tsconfig.base.json",
                    r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "~ui/*": ["packages/ui/src/*"] } } }"#,
                ),
                ("packages/ui/tsconfig.json", r#"{ "extends": "../../tsconfig.base" }"#),
            ],
        );
        assert_eq!(g.resolve("packages/ui/src/index.ts", "~ui/button").as_deref(), Some("packages/ui/src/button"));
    }

    #[test]
    fn resolves_workspace_packages_without_node_modules() {
        let g = graph(
            &[
                "packages/auth/src/index.ts",
                "packages/auth/src/server.ts",
                "packages/db/src/client.ts",
                "apps/web/app/route.ts",
                "packages/email/index.ts",
            ],
            &[
                (
                    "packages/auth/package.json",
                    r#"{ "name": "@acme/auth", "exports": { ".": "./dist/index.js", "./server": { "types": "./src/server.ts" } } }"#,
                ),
                ("packages/db/package.json", r#"{ "name": "@acme/db", "exports": { "./*": "./src/*.ts" } }"#),
                ("packages/email/package.json", r#"{ "name": "@acme/email", "main": "index.ts" }"#),
            ],
        );
        let from = "apps/web/app/route.ts";
        assert_eq!(g.resolve(from, "@acme/auth").as_deref(), Some("packages/auth/src/index"), "dist → src");
        assert_eq!(g.resolve(from, "@acme/auth/server").as_deref(), Some("packages/auth/src/server"));
        assert_eq!(g.resolve(from, "@acme/db/client").as_deref(), Some("packages/db/src/client"));
        assert_eq!(g.resolve(from, "@acme/email").as_deref(), Some("packages/email/index"));
        assert_eq!(g.resolve(from, "@acme/unknown"), None);
        assert_eq!(g.package_dir("@acme/db"), Some("packages/db"));
    }

    #[test]
    fn falls_back_to_the_conventional_aliases_without_a_config() {
        let g = graph(&["src/auth.ts", "lib/db.ts"], &[]);
        assert_eq!(g.resolve("app/route.ts", "@/auth").as_deref(), Some("src/auth"));
        assert_eq!(g.resolve("app/route.ts", "~/lib/db").as_deref(), Some("lib/db"));
    }

    #[test]
    fn extends_cycles_end() {
        let g = graph(
            &["a/x.ts"],
            &[
                ("a/tsconfig.json", r#"{ "extends": "../b/tsconfig.json" }"#),
                ("b/tsconfig.json", r#"{ "extends": "../a/tsconfig.json" }"#),
            ],
        );
        assert_eq!(g.resolve("a/x.ts", "nothing"), None);
    }
}
