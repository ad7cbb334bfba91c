//! Project manifests the module graph reads: `package.json` (a package's name and entry points)
//! and `tsconfig.json` / `jsconfig.json` (`baseUrl`, `paths`, `extends`).
//!
//! Both are JSON with comments and trailing commas in the wild (tsconfig officially so); a
//! manifest that does not parse contributes nothing (the resolver then falls back to folder
//! conventions), it never fails the check.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// True for the file names read as manifests: `package.json`, `tsconfig.json`,
/// `tsconfig.<name>.json`, `jsconfig.json`.
pub fn is_manifest_name(name: &str) -> bool {
    name == "package.json"
        || name == "jsconfig.json"
        || (name.starts_with("tsconfig") && name.ends_with(".json") && !name.contains('/'))
}

/// What one manifest file says about module resolution.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Manifest {
    /// A `package.json`.
    Package(Package),
    /// A `tsconfig.json` / `jsconfig.json` (or a file one of them extends).
    Config(CompilerPaths),
    /// Unreadable or irrelevant.
    #[default]
    Nothing,
}

/// A `package.json`: the package's folder (workspace-relative, `""` for the root), its name and
/// its entry points.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Folder of the `package.json`.
    pub dir: String,
    /// `name`, if any.
    pub name: Option<String>,
    /// `exports` flattened to `(subpath, target)`: `(".", "./src/index.ts")`,
    /// `("./server", "./dist/server.js")`, `("./*", "./src/*.ts")`. Conditions are resolved in
    /// the order `types`, `import`, `module`, `default`, `node`, `require`, then any other.
    pub exports: Vec<(String, String)>,
    /// `types` / `typings`, `module`, `main`, in that order of preference.
    pub main: Vec<String>,
}

/// The module-resolution part of a `tsconfig.json` / `jsconfig.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompilerPaths {
    /// Path of the file.
    pub path: String,
    /// `extends` (one or several), as written.
    pub extends: Vec<String>,
    /// `compilerOptions.baseUrl`, as written.
    pub base_url: Option<String>,
    /// `compilerOptions.paths`, pattern → targets, as written (in file order).
    pub paths: Option<Vec<(String, Vec<String>)>>,
}

impl Manifest {
    /// Reads a manifest at the workspace-relative `path`.
    pub fn read(path: &str, text: &str) -> Manifest {
        let name = path.rsplit('/').next().unwrap_or(path);
        let dir = path.strip_suffix(name).unwrap_or("").trim_end_matches('/').to_string();
        let Some(value) = parse_jsonc(text) else { return Manifest::Nothing };
        if name == "package.json" {
            let mut package = Package { dir, ..Package::default() };
            package.name = value.get("name").and_then(Value::as_str).map(str::to_string);
            if let Some(exports) = value.get("exports") {
                flatten_exports(exports, &mut package.exports);
            }
            for key in ["types", "typings", "module", "main"] {
                if let Some(target) = value.get(key).and_then(Value::as_str) {
                    package.main.push(target.to_string());
                }
            }
            return Manifest::Package(package);
        }
        let mut config = CompilerPaths { path: path.to_string(), ..CompilerPaths::default() };
        match value.get("extends") {
            Some(Value::String(s)) => config.extends.push(s.clone()),
            Some(Value::Array(items)) => {
                config.extends.extend(items.iter().filter_map(Value::as_str).map(str::to_string));
            }
            _ => {}
        }
        if let Some(options) = value.get("compilerOptions") {
            config.base_url = options.get("baseUrl").and_then(Value::as_str).map(str::to_string);
            if let Some(Value::Object(paths)) = options.get("paths") {
                let entries = paths
                    .iter()
                    .map(|(pattern, targets)| {
                        let targets = match targets {
                            Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                            Value::String(s) => vec![s.clone()],
                            _ => Vec::new(),
                        };
                        (pattern.clone(), targets)
                    })
                    .collect();
                config.paths = Some(entries);
            }
        }
        Manifest::Config(config)
    }
}

/// `exports` → `(subpath, target)` pairs. A string or a conditions object at the top stands for
/// `"."`.
fn flatten_exports(exports: &Value, out: &mut Vec<(String, String)>) {
    match exports {
        Value::String(target) => out.push((".".to_string(), target.clone())),
        Value::Object(map) if map.keys().any(|k| k.starts_with('.')) => {
            for (subpath, value) in map {
                if let Some(target) = condition_target(value, 0) {
                    out.push((subpath.clone(), target));
                }
            }
        }
        other => {
            if let Some(target) = condition_target(other, 0) {
                out.push((".".to_string(), target));
            }
        }
    }
}

/// The target a conditions object picks for a type-aware, ESM-first resolver.
fn condition_target(value: &Value, depth: u32) -> Option<String> {
    if depth > 8 {
        return None;
    }
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(|v| condition_target(v, depth + 1)),
        Value::Object(map) => {
            for key in ["types", "import", "module", "default", "node", "require"] {
                if let Some(target) = map.get(key).and_then(|v| condition_target(v, depth + 1)) {
                    return Some(target);
                }
            }
            map.values().find_map(|v| condition_target(v, depth + 1))
        }
        _ => None,
    }
}

/// Parses JSON that may have `//` and `/* */` comments and trailing commas.
pub fn parse_jsonc(text: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                out.push_str(&text[start..i]);
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                start = i;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                out.push_str(&text[start..i]);
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
                start = i;
            }
            b',' => {
                let next = bytes[i + 1..].iter().position(|b| !b.is_ascii_whitespace()).map(|p| bytes[i + 1 + p]);
                if matches!(next, Some(b'}') | Some(b']')) {
                    out.push_str(&text[start..i]);
                    start = i + 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push_str(text.get(start.min(text.len())..).unwrap_or(""));
    serde_json::from_str(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_package_with_conditional_exports() {
        let text = r#"{ "name": "@acme/auth", "main": "./dist/index.js",
            "exports": { ".": { "types": "./src/index.ts", "default": "./dist/index.js" }, "./server": "./src/server.ts" } }"#;
        let Manifest::Package(p) = Manifest::read("packages/auth/package.json", text) else { panic!("not a package") };
        assert_eq!(p.dir, "packages/auth");
        assert_eq!(p.name.as_deref(), Some("@acme/auth"));
        assert!(p.exports.contains(&(".".into(), "./src/index.ts".into())));
        assert!(p.exports.contains(&("./server".into(), "./src/server.ts".into())));
        assert_eq!(p.main, vec!["./dist/index.js".to_string()]);
    }

    #[test]
    fn reads_a_tsconfig_with_comments_and_trailing_commas() {
        let text = "{\n // base\n \"extends\": \"../../tsconfig.base.json\",\n \"compilerOptions\": { /* x */ \"baseUrl\": \".\", \"paths\": { \"@/*\": [\"./src/*\",], }, },\n}";
        let Manifest::Config(c) = Manifest::read("apps/web/tsconfig.json", text) else { panic!("not a config") };
        assert_eq!(c.extends, vec!["../../tsconfig.base.json".to_string()]);
        assert_eq!(c.base_url.as_deref(), Some("."));
        assert_eq!(c.paths, Some(vec![("@/*".to_string(), vec!["./src/*".to_string()])]));
    }

    #[test]
    fn an_unreadable_manifest_is_nothing() {
        assert_eq!(Manifest::read("package.json", "{ not json"), Manifest::Nothing);
        assert!(is_manifest_name("tsconfig.base.json") && !is_manifest_name("tsconfig.ts"));
    }
}
