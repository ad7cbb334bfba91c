//! Syntax helpers and per-file facts for TypeScript and JavaScript trees.

use std::ops::Range;

use tree_sitter::Node;

use crate::syntax::Document;

/// One imported binding: `import { imported as local } from "source"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The name bound in this file.
    pub local: String,
    /// The exported name (`default` for a default import, `*` for a namespace import).
    pub imported: String,
    /// The module specifier, without quotes.
    pub source: String,
    /// Byte range of the whole import statement.
    pub statement: Range<usize>,
    /// Byte range of the `{ … }` named-imports clause, when there is one.
    pub named_clause: Option<Range<usize>>,
}

/// True for a bundler's or minifier's output: Bun marks its bundles `// @bun` in the first
/// lines, webpack starts its runtime with `/******/`, and minified code packs the file into a few
/// very long lines (one of the first three at least [`MINIFIED_LINE`] bytes, and the file's lines
/// [`MINIFIED_AVERAGE`] bytes long on average). (Part of [`FileFacts`], so the editor's memo of
/// a statement's findings does not outlive a change of it.)
pub fn is_bundle(text: &str) -> bool {
    let first = text.lines().take(3);
    let marked = first.clone().any(|line| line.trim_start().starts_with("// @bun") || line.starts_with("/******/"));
    marked
        || (first.into_iter().any(|line| line.len() >= MINIFIED_LINE)
            && text.len() / (memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1) >= MINIFIED_AVERAGE)
}

/// A line at least this long, among a file's first three, may be a minifier's.
const MINIFIED_LINE: usize = 2_000;

/// The average line length, in bytes, past which a file with such a line is minified.
const MINIFIED_AVERAGE: usize = 500;

/// Facts about one file, computed once and shared by every rule match in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileFacts {
    /// Top-level imports.
    pub imports: Vec<Import>,
    /// Where new imports go: after the last import, or after leading directives and comments.
    pub import_insertion_point: usize,
    /// Names declared at the top level (functions, classes, variables).
    pub top_level_declarations: Vec<String>,
    /// Directive prologue strings, e.g. `use client`.
    pub directives: Vec<String>,
    /// Every module specifier the file imports, including side-effect imports
    /// (`import "server-only"`) and top-level `require("…")`.
    pub module_imports: Vec<String>,
    /// Top-level functions that return a promise: declared `async`, or returning `new Promise`.
    pub async_functions: Vec<String>,
    /// Top-level exports.
    pub exports: Vec<Export>,
    /// The file is a bundler's output ([`is_bundle`]).
    pub bundle: bool,
}

/// One exported binding: `export { local as exported }`, `export async function exported`, or a
/// re-export `export { local as exported } from "source"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// The name other modules import (`default` for a default export).
    pub exported: String,
    /// The local name (for a re-export: the name in `source`).
    pub local: String,
    /// The module re-exported from, if any.
    pub source: Option<String>,
}

/// What one top-level statement (other than an import or a directive) contributes to its
/// file's [`FileFacts`]. Byte ranges are relative to the statement's start, so the same
/// statement text contributes the same value wherever it sits in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatementFacts {
    imports: Vec<Import>,
    module_imports: Vec<String>,
    declarations: Vec<String>,
    async_functions: Vec<String>,
    exports: Vec<Export>,
}

impl StatementFacts {
    /// Reads one top-level statement.
    pub fn collect(doc: &Document, statement: Node<'_>) -> StatementFacts {
        let mut file = FileFacts::default();
        collect_declared_names(doc, statement, &mut file.top_level_declarations);
        collect_requires(doc, statement, &mut file);
        collect_async_functions(doc, statement, &mut file.async_functions);
        if statement.kind() == "export_statement" {
            collect_exports(doc, statement, &mut file.exports);
        }
        let start = statement.start_byte();
        for import in &mut file.imports {
            import.statement = import.statement.start - start..import.statement.end - start;
        }
        StatementFacts {
            imports: file.imports,
            module_imports: file.module_imports,
            declarations: file.top_level_declarations,
            async_functions: file.async_functions,
            exports: file.exports,
        }
    }

    /// Adds this statement's facts to `file`, for the statement at byte `start`.
    fn add_to(&self, file: &mut FileFacts, start: usize) {
        file.imports.extend(
            self.imports
                .iter()
                .map(|i| Import { statement: i.statement.start + start..i.statement.end + start, ..i.clone() }),
        );
        file.module_imports.extend(self.module_imports.iter().cloned());
        file.top_level_declarations.extend(self.declarations.iter().cloned());
        file.async_functions.extend(self.async_functions.iter().cloned());
        file.exports.extend(self.exports.iter().cloned());
    }
}

/// Supplies the [`StatementFacts`] of a top-level statement: computed, or remembered from an
/// earlier version of the document.
pub type StatementFactsSource<'a> = &'a mut dyn FnMut(&Document, Node<'_>) -> std::sync::Arc<StatementFacts>;

impl FileFacts {
    /// Reads the top level of an ECMAScript document.
    pub fn collect(doc: &Document) -> FileFacts {
        FileFacts::collect_with(doc, &mut |doc, statement| std::sync::Arc::new(StatementFacts::collect(doc, statement)))
    }

    /// Reads the top level of an ECMAScript document, taking each statement's contribution from
    /// `statement_facts`.
    pub fn collect_with(doc: &Document, statement_facts: StatementFactsSource<'_>) -> FileFacts {
        let mut facts = FileFacts { bundle: is_bundle(&doc.text), ..FileFacts::default() };
        let Some(tree) = doc.tree() else { return facts };
        let root = tree.root_node();
        let mut cursor = root.walk();
        let mut after_prologue = 0;
        let mut prologue = true;
        for child in root.named_children(&mut cursor) {
            match child.kind() {
                "import_statement" => {
                    collect_import(doc, child, &mut facts.imports);
                    if let Some(source) = child.child_by_field_name("source") {
                        facts.module_imports.push(unquote(doc.slice(source.byte_range())).to_string());
                    }
                    facts.import_insertion_point = line_end_after(doc, child.end_byte());
                }
                "comment" => {}
                "expression_statement" if prologue && child.named_child(0).is_some_and(|n| n.kind() == "string") => {
                    let directive = child.named_child(0).map_or("", |n| doc.slice(n.byte_range()));
                    facts.directives.push(unquote(directive).to_string());
                    after_prologue = line_end_after(doc, child.end_byte());
                }
                _ => {
                    prologue = false;
                    statement_facts(doc, child).add_to(&mut facts, child.start_byte());
                }
            }
        }
        if facts.imports.is_empty() {
            facts.import_insertion_point = after_prologue;
        }
        facts
    }

    /// The facts of a new version of the file whose facts are `self`, when consecutive top-level
    /// statements changed: `before` are the facts of the statements before them that
    /// [`FileFacts::collect_with`] took facts from, `old` those of the changed statements, `new`
    /// those of the statements that replace them, `after` those of the statements after them;
    /// `bundle` is the new text's [`is_bundle`]. The caller vouches that no import statement or
    /// directive is among the changed statements or after them (their facts are kept as they
    /// are). `None` when a statement from the changed ones on binds imports (`require`): their
    /// ranges move with the edit.
    pub fn spliced(
        &self,
        before: &[&StatementFacts],
        old: &[&StatementFacts],
        new: &[&StatementFacts],
        after: &[&StatementFacts],
        bundle: bool,
    ) -> Option<FileFacts> {
        let binds_imports = |s: &&&StatementFacts| !s.imports.is_empty() || !s.module_imports.is_empty();
        if old.iter().chain(new).chain(after).any(|s| binds_imports(&s)) {
            return None;
        }
        fn splice<T: Clone>(
            current: &[T],
            field: fn(&StatementFacts) -> &Vec<T>,
            before: &[&StatementFacts],
            old: &[&StatementFacts],
            new: &[&StatementFacts],
        ) -> Option<Vec<T>> {
            let start: usize = before.iter().map(|s| field(s).len()).sum();
            let end = start + old.iter().map(|s| field(s).len()).sum::<usize>();
            let (head, tail) = (current.get(..start)?, current.get(end..)?);
            let mut spliced = Vec::with_capacity(head.len() + tail.len() + new.len());
            spliced.extend_from_slice(head);
            new.iter().for_each(|s| spliced.extend_from_slice(field(s)));
            spliced.extend_from_slice(tail);
            Some(spliced)
        }
        Some(FileFacts {
            imports: self.imports.clone(),
            import_insertion_point: self.import_insertion_point,
            top_level_declarations: splice(&self.top_level_declarations, |s| &s.declarations, before, old, new)?,
            directives: self.directives.clone(),
            module_imports: self.module_imports.clone(),
            async_functions: splice(&self.async_functions, |s| &s.async_functions, before, old, new)?,
            exports: splice(&self.exports, |s| &s.exports, before, old, new)?,
            bundle,
        })
    }

    /// True when the file declares `name` at the top level (recorded as a dependency of the
    /// current match, see [`take_dependencies`]).
    pub fn declares(&self, name: &str) -> bool {
        let found = self.top_level_declarations.iter().any(|d| d == name);
        record(Dependency::Declares(name.to_string(), found));
        found
    }

    /// True when `name` is a top-level function of the file that returns a promise (recorded as
    /// a dependency of the current match).
    pub fn is_async_function(&self, name: &str) -> bool {
        let found = self.async_functions.iter().any(|f| f == name);
        record(Dependency::AsyncFunction(name.to_string(), found));
        found
    }

    /// True when both have the same imports, directives, import insertion point and bundle marker: what rules
    /// read of the file without recording a [`Dependency`].
    pub fn same_imports(&self, other: &FileFacts) -> bool {
        self.imports == other.imports
            && self.import_insertion_point == other.import_insertion_point
            && self.directives == other.directives
            && self.module_imports == other.module_imports
            && self.bundle == other.bundle
    }

    /// The import that binds `local`, if any.
    pub fn import_of(&self, local: &str) -> Option<&Import> {
        self.imports.iter().find(|i| i.local == local)
    }

    /// True when the file starts with the directive `name` (e.g. `use client`).
    pub fn has_directive(&self, name: &str) -> bool {
        self.directives.iter().any(|d| d == name)
    }

    /// True when the file imports `module` in any form.
    pub fn imports_module(&self, module: &str) -> bool {
        self.module_imports.iter().any(|m| m == module)
    }

    /// The module a local name is imported from.
    pub fn source_of(&self, local: &str) -> Option<&str> {
        self.import_of(local).map(|i| i.source.as_str())
    }

    /// The exported name behind a local name: the imported name for an aliased import, else the
    /// name itself.
    pub fn original_name<'s>(&'s self, local: &'s str) -> &'s str {
        match self.import_of(local) {
            Some(import) if import.imported != "default" && import.imported != "*" => &import.imported,
            _ => local,
        }
    }
}

/// The offset just after the line break that ends the line containing `offset`.
fn line_end_after(doc: &Document, offset: usize) -> usize {
    let line = doc.line_index.line_of(offset);
    doc.line_index.line_start(line + 1).map_or(doc.text.len(), |s| s as usize)
}

fn collect_import(doc: &Document, statement: Node<'_>, out: &mut Vec<Import>) {
    let Some(source) = statement.child_by_field_name("source") else { return };
    let source_text = doc.slice(source.byte_range()).trim_matches(|c| c == '"' || c == '\'' || c == '`').to_string();
    let mut cursor = statement.walk();
    let Some(clause) = statement.named_children(&mut cursor).find(|n| n.kind() == "import_clause") else { return };
    let push = |out: &mut Vec<Import>, local: &str, imported: &str, named_clause: Option<Range<usize>>| {
        out.push(Import {
            local: local.to_string(),
            imported: imported.to_string(),
            source: source_text.clone(),
            statement: statement.byte_range(),
            named_clause,
        });
    };
    let mut cursor = clause.walk();
    for part in clause.named_children(&mut cursor) {
        match part.kind() {
            "identifier" => push(out, doc.slice(part.byte_range()), "default", None),
            "namespace_import" => {
                if let Some(name) = first_named_of_kind(part, "identifier") {
                    push(out, doc.slice(name.byte_range()), "*", None);
                }
            }
            "named_imports" => {
                let mut specs = part.walk();
                for spec in part.named_children(&mut specs).filter(|n| n.kind() == "import_specifier") {
                    let Some(name) = spec.child_by_field_name("name") else { continue };
                    let imported = doc.slice(name.byte_range());
                    let local = spec.child_by_field_name("alias").map_or(imported, |a| doc.slice(a.byte_range()));
                    push(out, local, imported, Some(part.byte_range()));
                }
            }
            _ => {}
        }
    }
}

/// The text of a string literal without its quotes.
pub fn unquote(text: &str) -> &str {
    text.trim_matches(|c| c == '"' || c == '\'' || c == '`')
}

/// `const x = require("m")`, `const { a, b: c } = require("m")` at the top level, recorded as
/// imports (default and named).
fn collect_requires(doc: &Document, statement: Node<'_>, facts: &mut FileFacts) {
    if !matches!(statement.kind(), "lexical_declaration" | "variable_declaration") {
        return;
    }
    let mut cursor = statement.walk();
    for declarator in statement.named_children(&mut cursor).filter(|n| n.kind() == "variable_declarator") {
        let (Some(name), Some(value)) =
            (declarator.child_by_field_name("name"), declarator.child_by_field_name("value"))
        else {
            continue;
        };
        let Some(source) = require_source(doc, value) else { continue };
        facts.module_imports.push(source.clone());
        let import = |local: &str, imported: &str| Import {
            local: local.to_string(),
            imported: imported.to_string(),
            source: source.clone(),
            statement: statement.byte_range(),
            named_clause: None,
        };
        match name.kind() {
            "identifier" => facts.imports.push(import(doc.slice(name.byte_range()), "default")),
            "object_pattern" => {
                let mut props = name.walk();
                for prop in name.named_children(&mut props) {
                    match prop.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let n = doc.slice(prop.byte_range());
                            facts.imports.push(import(n, n));
                        }
                        "pair_pattern" => {
                            let (Some(key), Some(value)) =
                                (prop.child_by_field_name("key"), prop.child_by_field_name("value"))
                            else {
                                continue;
                            };
                            if value.kind() == "identifier" {
                                facts.imports.push(import(doc.slice(value.byte_range()), doc.slice(key.byte_range())));
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// `"m"` for `require("m")`.
pub fn require_source(doc: &Document, value: Node<'_>) -> Option<String> {
    if value.kind() != "call_expression" {
        return None;
    }
    let function = value.child_by_field_name("function")?;
    if function.kind() != "identifier" || doc.slice(function.byte_range()) != "require" {
        return None;
    }
    let first = value.child_by_field_name("arguments")?.named_child(0)?;
    (first.kind() == "string").then(|| unquote(doc.slice(first.byte_range())).to_string())
}

/// The declaration a top-level statement makes: the statement itself, or what an
/// `export_statement` exports (`None` for `export { … }` and other exports without one).
pub fn declaration_of(statement: Node<'_>) -> Option<Node<'_>> {
    match statement.kind() {
        "export_statement" => statement.child_by_field_name("declaration"),
        _ => Some(statement),
    }
}

fn collect_async_functions(doc: &Document, statement: Node<'_>, out: &mut Vec<String>) {
    let Some(declaration) = declaration_of(statement) else { return };
    match declaration.kind() {
        "function_declaration" if returns_promise(doc, declaration) => {
            out.extend(declaration.child_by_field_name("name").map(|n| doc.slice(n.byte_range()).to_string()));
        }
        "lexical_declaration" | "variable_declaration" => {
            let mut cursor = declaration.walk();
            for declarator in declaration.named_children(&mut cursor).filter(|n| n.kind() == "variable_declarator") {
                let (Some(name), Some(value)) =
                    (declarator.child_by_field_name("name"), declarator.child_by_field_name("value"))
                else {
                    continue;
                };
                if name.kind() == "identifier" && is_function(value) && returns_promise(doc, value) {
                    out.push(doc.slice(name.byte_range()).to_string());
                }
            }
        }
        _ => {}
    }
}

fn collect_exports(doc: &Document, statement: Node<'_>, out: &mut Vec<Export>) {
    let source = statement.child_by_field_name("source").map(|s| unquote(doc.slice(s.byte_range())).to_string());
    let is_default = {
        let mut cursor = statement.walk();
        let found = statement.children(&mut cursor).any(|c| c.kind() == "default");
        found
    };
    if let Some(declaration) = statement.child_by_field_name("declaration") {
        let mut names = Vec::new();
        collect_declared_names(doc, statement, &mut names);
        if is_default {
            let local = declaration.child_by_field_name("name").map_or("default", |n| doc.slice(n.byte_range()));
            out.push(Export { exported: "default".into(), local: local.into(), source: None });
        } else {
            out.extend(names.into_iter().map(|n| Export { exported: n.clone(), local: n, source: None }));
        }
        return;
    }
    if let Some(value) = statement.child_by_field_name("value") {
        let local = if value.kind() == "identifier" { doc.slice(value.byte_range()) } else { "default" };
        out.push(Export { exported: "default".into(), local: local.into(), source: None });
        return;
    }
    let mut cursor = statement.walk();
    let Some(clause) = statement.named_children(&mut cursor).find(|n| n.kind() == "export_clause") else {
        // `export * from "./x"`: every name of `x`.
        if source.is_some() {
            out.push(Export { exported: "*".into(), local: "*".into(), source });
        }
        return;
    };
    let mut specs = clause.walk();
    for spec in clause.named_children(&mut specs).filter(|n| n.kind() == "export_specifier") {
        let Some(name) = spec.child_by_field_name("name") else { continue };
        let local = unquote(doc.slice(name.byte_range()));
        let exported = spec.child_by_field_name("alias").map_or(local, |a| unquote(doc.slice(a.byte_range())));
        out.push(Export { exported: exported.into(), local: local.into(), source: source.clone() });
    }
}

/// True for an `async` function, or one whose body returns `new Promise(…)` directly.
pub fn returns_promise(doc: &Document, function: Node<'_>) -> bool {
    if is_async(function) {
        return true;
    }
    let Some(body) = function.child_by_field_name("body") else { return false };
    if body.kind() != "statement_block" {
        return is_new_promise(doc, body);
    }
    let mut cursor = body.walk();
    let found = body
        .named_children(&mut cursor)
        .filter(|s| s.kind() == "return_statement")
        .any(|s| s.named_child(0).is_some_and(|v| is_new_promise(doc, v)));
    found
}

fn is_new_promise(doc: &Document, node: Node<'_>) -> bool {
    node.kind() == "new_expression"
        && node.child_by_field_name("constructor").is_some_and(|c| doc.slice(c.byte_range()) == "Promise")
}

/// True for a function node marked `async`.
pub fn is_async(function: Node<'_>) -> bool {
    let mut cursor = function.walk();
    let found = function
        .children(&mut cursor)
        .take_while(|c| {
            !c.is_named() || matches!(c.kind(), "decorator" | "accessibility_modifier" | "override_modifier")
        })
        .any(|c| c.kind() == "async");
    found
}

/// The innermost function that contains `node` (not `node` itself).
pub fn enclosing_function(node: Node<'_>) -> Option<Node<'_>> {
    let mut current = node.parent();
    while let Some(n) = current {
        if is_function(n) {
            return Some(n);
        }
        current = n.parent();
    }
    None
}

/// A string literal's contents, or a template literal's when it has no substitutions.
pub fn literal_string<'d>(doc: &'d Document, node: Node<'_>) -> Option<&'d str> {
    match node.kind() {
        "string" => Some(unquote(doc.slice(node.byte_range()))),
        "template_string" => {
            let mut cursor = node.walk();
            let substituted = node.named_children(&mut cursor).any(|c| c.kind() == "template_substitution");
            (!substituted).then(|| unquote(doc.slice(node.byte_range())))
        }
        _ => None,
    }
}

/// The initializer of the first `name = …` variable declarator in the document, found with a
/// bounded cursor walk (no recursion).
pub fn declarator_value<'t>(doc: &'t Document, name: &str) -> Option<Node<'t>> {
    mark_file_wide();
    declarator_value_unrecorded(doc, name)
}

/// The top-level function named `name`: `function name() {}` or `const name = () => {}` /
/// `function () {}` (exported or not).
pub fn top_level_function<'t>(doc: &'t Document, name: &str) -> Option<Node<'t>> {
    top_level_value(doc, name, false)
}

/// What `name` is bound to at the top level (exported or not): a function declaration, or the
/// initializer of a `const`/`let`/`var` declarator (`const` only with `const_only`). Reads the
/// whole file, so it marks the current match as file-wide ([`mark_file_wide`]).
pub fn top_level_value<'t>(doc: &'t Document, name: &str, const_only: bool) -> Option<Node<'t>> {
    mark_file_wide();
    top_level_value_unrecorded(doc, name, const_only)
}

/// [`top_level_function`] without marking the current match file-wide (for facts collected
/// outside a rule match).
pub fn top_level_function_unrecorded<'t>(doc: &'t Document, name: &str) -> Option<Node<'t>> {
    top_level_value_unrecorded(doc, name, false)
}

/// What [`top_level_function_unrecorded`] finds for every name at once, in one pass over the
/// top-level statements (looking names up one by one costs a pass each: quadratic in a file
/// with many functions).
pub fn top_level_functions_unrecorded(doc: &Document) -> std::collections::HashMap<&str, Node<'_>> {
    let mut found = std::collections::HashMap::new();
    let Some(tree) = doc.tree() else { return found };
    let root = tree.root_node();
    let mut cursor = root.walk();
    for statement in root.named_children(&mut cursor) {
        top_level_values_of(doc, statement, &mut |name, value| {
            found.entry(name).or_insert(value);
        });
    }
    found
}

/// The file's top-level class declarations by name (the first of each name, exported or not),
/// in one pass over the top-level statements. Not recorded as a dependency: a rule calling it
/// reads beyond its match and marks itself file-wide.
pub fn top_level_classes(doc: &Document) -> std::collections::HashMap<&str, Node<'_>> {
    let mut found = std::collections::HashMap::new();
    let Some(tree) = doc.tree() else { return found };
    let root = tree.root_node();
    let mut cursor = root.walk();
    for statement in root.named_children(&mut cursor) {
        let Some(class) = declaration_of(statement).filter(|d| is_class_declaration(*d)) else { continue };
        if let Some(name) = class.child_by_field_name("name") {
            found.entry(doc.slice(name.byte_range())).or_insert(class);
        }
    }
    found
}

/// True for a class declaration (`class A {}`, `abstract class A {}`).
pub fn is_class_declaration(node: Node<'_>) -> bool {
    matches!(node.kind(), "class_declaration" | "abstract_class_declaration")
}

/// The named values one top-level statement declares, in order, as
/// [`top_level_functions_unrecorded`] sees them: a function declaration, or each declarator's
/// value.
pub fn top_level_values_of<'t>(doc: &'t Document, statement: Node<'t>, found: &mut dyn FnMut(&'t str, Node<'t>)) {
    let Some(declaration) = declaration_of(statement) else { return };
    match declaration.kind() {
        "function_declaration" | "generator_function_declaration" => {
            if let Some(name) = declaration.child_by_field_name("name") {
                found(doc.slice(name.byte_range()), declaration);
            }
        }
        "lexical_declaration" | "variable_declaration" => {
            let mut inner = declaration.walk();
            for declarator in declaration.named_children(&mut inner) {
                let (Some(name), Some(value)) =
                    (declarator.child_by_field_name("name"), declarator.child_by_field_name("value"))
                else {
                    continue;
                };
                found(doc.slice(name.byte_range()), value);
            }
        }
        _ => {}
    }
}

fn top_level_value_unrecorded<'t>(doc: &'t Document, name: &str, const_only: bool) -> Option<Node<'t>> {
    let root = doc.tree()?.root_node();
    let mut cursor = root.walk();
    for statement in root.named_children(&mut cursor) {
        let Some(declaration) = declaration_of(statement) else { continue };
        match declaration.kind() {
            "function_declaration" | "generator_function_declaration"
                if declaration.child_by_field_name("name").is_some_and(|n| doc.slice(n.byte_range()) == name) =>
            {
                return Some(declaration);
            }
            "lexical_declaration" | "variable_declaration"
                if !const_only || doc.slice(declaration.byte_range()).starts_with("const") =>
            {
                let mut inner = declaration.walk();
                for declarator in declaration.named_children(&mut inner) {
                    let named =
                        declarator.child_by_field_name("name").is_some_and(|n| doc.slice(n.byte_range()) == name);
                    if let Some(value) = declarator.child_by_field_name("value").filter(|_| named) {
                        return Some(value);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Something a rule match read beyond its own top-level statement, with what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dependency {
    /// Anything not captured below (another declaration's body, an absolute line number): the
    /// match must be evaluated again after every edit.
    FileWide,
    /// Whether the file declares `name` at the top level.
    Declares(String, bool),
    /// Whether `name` is a promise-returning top-level function of the file.
    AsyncFunction(String, bool),
    /// Whether the module `specifier` (imported by this file) exports `name` as async
    /// ([`crate::engine::WorkspaceFacts::exports_async`]).
    ExportsAsync(String, String, bool),
    /// Whether the module `specifier` exports `name` as an async function that never rejects
    /// ([`crate::engine::WorkspaceFacts::never_rejects`]).
    NeverRejects(String, String, bool),
    /// Whether the module `specifier` exports `name` as a function that builds a privileged
    /// Supabase client ([`crate::engine::WorkspaceFacts::exports_service_client`]).
    ServiceClient(String, String, bool),
    /// Whether some file defines or imports the RLS wrapper `name`
    /// ([`crate::engine::WorkspaceFacts::wrapper_in_use`]).
    WrapperInUse(String, bool),
    /// Whether some module re-exports a configured RLS wrapper as `name`
    /// ([`crate::engine::WorkspaceFacts::is_wrapper_alias`]).
    WrapperAlias(String, bool),
    /// Whether any file defines or imports a configured RLS wrapper
    /// ([`crate::engine::WorkspaceFacts::wrappers_in_use`]).
    WrappersInUse(bool),
    /// The resolved summary of `name` as the module `specifier` exports it, or (empty
    /// specifier) of this file's top-level `name`
    /// ([`crate::engine::WorkspaceFacts::imported_summary`], `local_summary`).
    Summary(String, String, crate::semantic::summary::Resolved),
    /// Where the guard `name` can be imported from, given the configured module
    /// ([`crate::engine::WorkspaceFacts::guard_import_source`]).
    GuardImport(String, String, Option<String>),
}

impl Dependency {
    /// True when `file` (of the document at `path`) and the workspace `facts` still give the
    /// answer recorded.
    pub fn holds(&self, file: &FileFacts, facts: &crate::engine::WorkspaceFacts, path: &str) -> bool {
        match self {
            Dependency::FileWide => false,
            Dependency::ExportsAsync(..)
            | Dependency::NeverRejects(..)
            | Dependency::ServiceClient(..)
            | Dependency::WrapperAlias(..)
            | Dependency::WrapperInUse(..)
            | Dependency::WrappersInUse(_)
            | Dependency::Summary(..)
            | Dependency::GuardImport(..) => self.holds_across_files(facts, path),
            Dependency::Declares(name, found) => file.top_level_declarations.iter().any(|d| d == name) == *found,
            Dependency::AsyncFunction(name, found) => file.async_functions.iter().any(|f| f == name) == *found,
        }
    }

    /// True when the workspace `facts` still give the answer recorded (for the document at
    /// `path`); answers about the file itself are not checked: they hold while its text does.
    pub fn holds_across_files(&self, facts: &crate::engine::WorkspaceFacts, path: &str) -> bool {
        match self {
            Dependency::ExportsAsync(specifier, name, found) => {
                facts.exports_async_unrecorded(path, specifier, name) == *found
            }
            Dependency::NeverRejects(specifier, name, found) => {
                facts.never_rejects_unrecorded(path, specifier, name) == *found
            }
            Dependency::ServiceClient(specifier, name, found) => {
                facts.exports_service_client_unrecorded(path, specifier, name) == *found
            }
            Dependency::WrapperAlias(name, found) => facts.rls_wrapper_aliases.contains(name) == *found,
            Dependency::WrapperInUse(name, found) => facts.rls_wrappers_in_use.contains(name) == *found,
            Dependency::WrappersInUse(in_use) => facts.rls_wrappers_in_use.is_empty() != *in_use,
            Dependency::Summary(specifier, name, found) if specifier.is_empty() => {
                facts.local_summary_unrecorded(path, name) == *found
            }
            Dependency::Summary(specifier, name, found) => {
                facts.imported_summary_unrecorded(path, specifier, name) == *found
            }
            Dependency::GuardImport(name, configured, found) => {
                facts.guard_import_source_unrecorded(path, name, configured) == *found
            }
            Dependency::FileWide | Dependency::Declares(..) | Dependency::AsyncFunction(..) => true,
        }
    }
}

thread_local! {
    static DEPENDENCIES: std::cell::RefCell<Vec<Dependency>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Records a dependency of the current rule match (see [`take_dependencies`]).
pub fn record(dependency: Dependency) {
    DEPENDENCIES.with(|d| d.borrow_mut().push(dependency));
}

/// Records that the rule match being evaluated read beyond the top-level statement that contains
/// it (another declaration of the file, an absolute line number). Every helper that looks at
/// the whole file calls it; [`crate::engine::incremental`] then re-evaluates that statement after
/// every edit instead of reusing its findings.
pub fn mark_file_wide() {
    record(Dependency::FileWide);
}

/// Returns and clears what the current match read beyond its statement ([`mark_file_wide`],
/// [`FileFacts::declares`], [`FileFacts::is_async_function`]).
pub fn take_dependencies() -> Vec<Dependency> {
    DEPENDENCIES.with(|d| std::mem::take(&mut *d.borrow_mut()))
}

/// An edit that makes `name` importable from `module`: added to an existing named import from
/// it, or a new import statement after the last import.
pub fn add_named_import(doc: &Document, file: &FileFacts, name: &str, module: &str) -> (Range<usize>, String) {
    let existing = file.imports.iter().find(|i| i.source == module).and_then(|i| i.named_clause.clone());
    if let Some(clause) = existing {
        let clause_text = doc.slice(clause.clone());
        let before_brace = clause_text.trim_end_matches('}').trim_end();
        let at = clause.start + before_brace.len();
        let separator = if before_brace.ends_with(',') { " " } else { ", " };
        return (at..at, format!("{separator}{name}"));
    }
    let at = file.import_insertion_point;
    (at..at, format!("import {{ {name} }} from \"{module}\";\n"))
}

/// True when `path` is a test file: `*.test.*`, `*.spec.*`, or under `__tests__/`, `tests/`,
/// `test/`.
pub fn is_test_path(path: &str) -> bool {
    let mut segments = path.split('/');
    let name = segments.next_back().unwrap_or(path);
    name.contains(".test.")
        || name.contains(".spec.")
        || path.split('/').rev().skip(1).any(|s| matches!(s, "__tests__" | "tests" | "test"))
}

/// The nodes enclosing `node` in `doc`'s tree, innermost first (its parent, that one's parent,
/// … the root), found in one descent from the root: each call of [`Node::parent`] descends from
/// the root again, so walking up with it costs the depth squared.
pub fn ancestors<'t>(doc: &'t Document, node: Node<'t>) -> Vec<Node<'t>> {
    let mut chain = Vec::new();
    if let Some(tree) = doc.tree() {
        let mut at = tree.root_node();
        while at != node {
            chain.push(at);
            // The child of `at` that holds `node` (or is `node`): what `Node::parent` follows.
            match at.child_with_descendant(node) {
                Some(child) => at = child,
                None => break,
            }
        }
        if at == node {
            chain.reverse();
            return chain;
        }
    }
    // Not a node of `doc`'s tree: walked up one parent at a time.
    chain.clear();
    let mut at = node;
    while let Some(parent) = at.parent() {
        chain.push(parent);
        at = parent;
    }
    chain
}

/// Matches a workspace-relative path against a pattern: `dir/` matches a folder of that name
/// anywhere in the path; otherwise a glob (`*` within a segment, `**` any number of segments,
/// `{a,b}` alternatives) matched from any folder boundary.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    // Called for every candidate match of some rules: no allocation in the common cases.
    if let Some(dir) = pattern.strip_suffix('/') {
        // `/{path}` contains `/{dir}/`: `dir` at a folder boundary, followed by a `/`.
        return (0..path.len()).any(|at| {
            (at == 0 || path.as_bytes()[at - 1] == b'/')
                && path.as_bytes().get(at + dir.len()) == Some(&b'/')
                && path.get(at..at + dir.len()) == Some(dir)
        });
    }
    let segments: Vec<&str> = path.split('/').collect();
    let matches = |p: &str| {
        let parts: Vec<&str> = p.split('/').collect();
        (0..segments.len()).any(|start| glob_segments(&parts, &segments[start..]))
    };
    if !pattern.contains('{') {
        return matches(pattern);
    }
    expand_braces(pattern).iter().any(|p| matches(p))
}

fn expand_braces(pattern: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (pattern.find('{'), pattern.find('}')) else { return vec![pattern.to_string()] };
    if close < open {
        return vec![pattern.to_string()];
    }
    let (head, rest) = (&pattern[..open], &pattern[close + 1..]);
    pattern[open + 1..close].split(',').flat_map(|alt| expand_braces(&format!("{head}{alt}{rest}"))).collect()
}

/// Matches glob segments; patterns have a handful of segments, so the recursion is shallow.
fn glob_segments(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| glob_segments(rest, &path[skip..])),
        Some((first, rest)) => {
            path.split_first().is_some_and(|(seg, tail)| glob_segment(first, seg) && glob_segments(rest, tail))
        }
    }
}

/// One glob segment: `*` matches any run of characters (no `/` handling: `text` is one name).
pub fn glob_segment(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, suffix)) => {
            text.len() >= prefix.len() + suffix.len()
                && text.starts_with(prefix)
                && glob_segment_tail(suffix, &text[prefix.len()..])
        }
    }
}

fn glob_segment_tail(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return text.ends_with(pattern);
    }
    (0..=text.len()).filter(|i| text.is_char_boundary(*i)).any(|i| glob_segment(pattern, &text[i..]))
}

/// A module's key for cross-file lookups: its workspace-relative path without the extension
/// (`lib/db/context` for `lib/db/context.ts`).
pub fn module_key(path: &str) -> &str {
    crate::semantic::module_key(path)
}

/// The module keys an import specifier in the file at `from` may refer to, most likely first.
/// Relative specifiers resolve against the importing file's folder; `@/x` and `~/x` (the usual
/// `tsconfig` path aliases) try `x` and `src/x` at the workspace root; each candidate also tries
/// its `index` file. Bare package names resolve to nothing.
pub fn resolve_module(from: &str, specifier: &str) -> Vec<String> {
    let specifier = module_key(specifier);
    let bases: Vec<String> = if specifier.starts_with("./") || specifier.starts_with("../") {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        for part in specifier.split('/') {
            match part {
                "." | "" => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Vec::new();
                    }
                }
                p => parts.push(p),
            }
        }
        vec![parts.join("/")]
    } else if let Some(rest) = specifier.strip_prefix("@/").or_else(|| specifier.strip_prefix("~/")) {
        vec![rest.to_string(), format!("src/{rest}")]
    } else {
        Vec::new()
    };
    bases.into_iter().flat_map(|b| [b.clone(), format!("{b}/index")]).collect()
}

fn collect_declared_names(doc: &Document, statement: Node<'_>, out: &mut Vec<String>) {
    let declaration = if statement.kind() == "export_statement" {
        match statement.child_by_field_name("declaration") {
            Some(d) => d,
            None => return,
        }
    } else {
        statement
    };
    match declaration.kind() {
        "function_declaration" | "generator_function_declaration" | "class_declaration" => {
            if let Some(name) = declaration.child_by_field_name("name") {
                out.push(doc.slice(name.byte_range()).to_string());
            }
        }
        "lexical_declaration" | "variable_declaration" => {
            let mut cursor = declaration.walk();
            for declarator in declaration.named_children(&mut cursor).filter(|n| n.kind() == "variable_declarator") {
                match declarator.child_by_field_name("name") {
                    Some(name) if name.kind() == "identifier" => out.push(doc.slice(name.byte_range()).to_string()),
                    // `export const { auth, handlers } = NextAuth(…)`
                    Some(pattern) if matches!(pattern.kind(), "object_pattern" | "array_pattern") => {
                        out.extend(crate::semantic::summary::pattern_names(doc, pattern));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn first_named_of_kind<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    let found = node.named_children(&mut cursor).find(|n| n.kind() == kind);
    found
}

/// True when code sets a PostgreSQL setting for row level security in a Prisma transaction or
/// client extension: it calls `set_config(` (or runs `SET LOCAL`) and uses `$transaction`,
/// `$extends` or `defineExtension`.
pub fn sets_rls_context(code: &str) -> bool {
    // The cheap, usually failing test first; no lower-cased copy of the code.
    let in_transaction = code.contains("$transaction") || code.contains("$extends") || code.contains("defineExtension");
    in_transaction
        && (code.contains("set_config(")
            || code.as_bytes().windows(b"set local ".len()).any(|w| w.eq_ignore_ascii_case(b"set local ")))
}

/// Prisma model operations (all return promises).
pub const PRISMA_OPERATIONS: &[&str] = &[
    "findMany",
    "findFirst",
    "findFirstOrThrow",
    "findUnique",
    "findUniqueOrThrow",
    "create",
    "createMany",
    "createManyAndReturn",
    "update",
    "updateMany",
    "updateManyAndReturn",
    "upsert",
    "delete",
    "deleteMany",
    "count",
    "aggregate",
    "groupBy",
];

/// True for nodes that introduce a function body.
pub fn is_function(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "arrow_function"
            | "function_expression"
            | "function"
            | "function_declaration"
            | "generator_function"
            | "generator_function_declaration"
            | "method_definition"
    )
}

/// The simple name of what a call calls: `f` for `f()`, `g` for `a.b.g()`.
pub fn callee_name<'d>(doc: &'d Document, call: Node<'_>) -> Option<&'d str> {
    let function = call.child_by_field_name("function")?;
    match function.kind() {
        "identifier" => Some(doc.slice(function.byte_range())),
        "member_expression" => function.child_by_field_name("property").map(|p| doc.slice(p.byte_range())),
        _ => None,
    }
}

/// The method call a property name is called through: for the `name` of `receiver.name(…)` (or
/// `receiver.name`…``), the call and its `receiver.name` member expression. `None` when the
/// property is not called (`a.name`, `{ name: 1 }`, `a.name.b()`).
pub fn method_call_of(property: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
    let member = property.parent().filter(|m| m.kind() == "member_expression")?;
    let call = member.parent().filter(|c| c.kind() == "call_expression")?;
    let is_property = member.child_by_field_name("property") == Some(property);
    (is_property && call.child_by_field_name("function") == Some(member)).then_some((call, member))
}

/// The arguments in a call's argument list, in order, comments left out.
pub fn argument_list(arguments: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = arguments.walk();
    let list = arguments.named_children(&mut cursor).filter(|a| a.kind() != "comment").collect();
    list
}

/// The names a function binds as parameters (simple identifiers, including destructured ones).
pub fn parameter_names<'d>(doc: &'d Document, function: Node<'_>) -> Vec<&'d str> {
    let mut names = Vec::new();
    if let Some(single) = function.child_by_field_name("parameter") {
        names.push(doc.slice(single.byte_range()));
        return names;
    }
    let Some(params) = function.child_by_field_name("parameters") else { return names };
    let mut stack = vec![params];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => names.push(doc.slice(node.byte_range())),
            // Type annotations, default values and property keys bind no names.
            "type_annotation" => {}
            "required_parameter" | "optional_parameter" => stack.extend(node.child_by_field_name("pattern")),
            "assignment_pattern" | "object_assignment_pattern" => stack.extend(node.child_by_field_name("left")),
            "pair_pattern" => stack.extend(node.child_by_field_name("value")),
            _ => {
                let mut cursor = node.walk();
                stack.extend(node.named_children(&mut cursor));
            }
        }
    }
    names
}

/// The number of parameters a function declares.
pub fn parameter_count(function: Node<'_>) -> usize {
    if function.child_by_field_name("parameter").is_some() {
        return 1;
    }
    function.child_by_field_name("parameters").map_or(0, |p| p.named_child_count())
}

/// The name a function is declared under: `function f() {}`, `const f = () => {}`,
/// `const f = async function () {}`.
pub fn declared_name<'d>(doc: &'d Document, function: Node<'_>) -> Option<&'d str> {
    if let Some(name) = function.child_by_field_name("name") {
        return Some(doc.slice(name.byte_range()));
    }
    let parent = function.parent()?;
    if parent.kind() == "variable_declarator" {
        let name = parent.child_by_field_name("name")?;
        return (name.kind() == "identifier").then(|| doc.slice(name.byte_range()));
    }
    None
}

/// When `function` is passed directly as an argument to a call, that call.
pub fn call_receiving_callback(function: Node<'_>) -> Option<Node<'_>> {
    let arguments = function.parent().filter(|p| p.kind() == "arguments")?;
    arguments.parent().filter(|c| c.kind() == "call_expression")
}

/// Supabase's client factories (`createClient` and the `@supabase/ssr` pair).
pub const SUPABASE_FACTORIES: &[&str] = &["createClient", "createServerClient", "createBrowserClient"];

/// The packages whose client factories build Supabase clients.
pub const SUPABASE_MODULES: &[&str] = &["@supabase/supabase-js", "@supabase/ssr"];

/// Modules only server code imports: a file that imports one is server code, whatever its path.
pub const SERVER_ONLY_MODULES: &[&str] = &["server-only", "next/headers", "next/server"];

/// True when a name mentions one of `patterns` (case-insensitive, `_` and `-` ignored): how a
/// service-role secret is recognised by name.
pub fn names_secret(name: &str, patterns: &[String]) -> bool {
    let normalize = |text: &str| -> String {
        text.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
    };
    let normalized = normalize(name);
    patterns.iter().map(|p| normalize(p)).any(|p| !p.is_empty() && normalized.contains(&p))
}

/// True when `function` (a function node of `doc`) builds a Supabase client with a key whose
/// name matches `patterns` (a service-role or secret key): it calls a Supabase factory, imported
/// from a Supabase package under any name or through a namespace, whose second argument names
/// such a key directly or through a variable initialised from one. Nested functions count: a
/// factory's body is where the client is built, whatever shape it has.
pub fn builds_privileged_supabase_client(
    doc: &Document,
    function: Node<'_>,
    file: &FileFacts,
    patterns: &[String],
) -> bool {
    let text = doc.slice(function.byte_range());
    if !SUPABASE_FACTORIES.iter().any(|f| text.contains(f)) {
        return false;
    }
    let mut stack = vec![function];
    let mut budget = 100_000u32;
    while let Some(node) = stack.pop() {
        budget = budget.saturating_sub(1);
        if budget == 0 {
            return false;
        }
        if node.kind() == "call_expression" && is_privileged_factory_call(doc, node, file, patterns) {
            return true;
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    false
}

fn is_privileged_factory_call(doc: &Document, call: Node<'_>, file: &FileFacts, patterns: &[String]) -> bool {
    let (Some(function), Some(arguments)) =
        (call.child_by_field_name("function"), call.child_by_field_name("arguments"))
    else {
        return false;
    };
    let is_factory = match function.kind() {
        "identifier" => file.import_of(doc.slice(function.byte_range())).is_some_and(|import| {
            SUPABASE_MODULES.contains(&import.source.as_str()) && SUPABASE_FACTORIES.contains(&import.imported.as_str())
        }),
        "member_expression" => {
            let object = function.child_by_field_name("object");
            let property = function.child_by_field_name("property");
            match (object, property) {
                (Some(object), Some(property)) if object.kind() == "identifier" => {
                    SUPABASE_FACTORIES.contains(&doc.slice(property.byte_range()))
                        && file.import_of(doc.slice(object.byte_range())).is_some_and(|import| {
                            import.imported == "*" && SUPABASE_MODULES.contains(&import.source.as_str())
                        })
                }
                _ => false,
            }
        }
        _ => false,
    };
    if !is_factory {
        return false;
    }
    let Some(key) = argument_list(arguments).get(1).copied() else { return false };
    let text = doc.slice(key.byte_range());
    if names_secret(text, patterns) {
        return true;
    }
    key.kind() == "identifier"
        && declarator_value_unrecorded(doc, text).is_some_and(|v| names_secret(doc.slice(v.byte_range()), patterns))
}

/// [`declarator_value`] without marking the current match file-wide (for facts).
fn declarator_value_unrecorded<'t>(doc: &'t Document, name: &str) -> Option<Node<'t>> {
    let tree = doc.tree()?;
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.kind() == "variable_declarator"
            && node.child_by_field_name("name").is_some_and(|n| doc.slice(n.byte_range()) == name)
        {
            if let Some(value) = node.child_by_field_name("value") {
                return Some(value);
            }
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    #[test]
    fn minified_files_are_bundles_and_long_lines_alone_are_not() {
        let statement = "var a=function(){return this.send(1)};";
        let minified = format!("\"use strict\";{}", statement.repeat(100));
        assert!(is_bundle(&minified));
        assert!(is_bundle(&format!("/*! v1 */\n{minified}\n")));
        // A long line in hand-written code (a data table, an inline SVG) among short ones.
        let handwritten = format!("const icon = \"{}\";\n{}", "M0 0".repeat(600), "export const x = 1;\n".repeat(200));
        assert!(!is_bundle(&handwritten));
        // Long lines past the first three: not a minifier's layout.
        assert!(!is_bundle(&format!("a;\nb;\nc;\n{minified}")));
        assert!(is_bundle("// @bun\nconst x = 1;\n"));
        assert!(!is_bundle("const x = 1;\n"));
    }

    #[test]
    fn collects_imports_with_aliases_defaults_and_namespaces() {
        let text = "'use server';\nimport { db as prisma, other } from \"@/lib/db\";\nimport React from 'react';\nimport * as ctx from './ctx';\nexport async function f() {}\nconst g = 1;\n";
        let doc = Document::parse("a.ts", FileKind::TypeScript, text);
        let facts = FileFacts::collect(&doc);
        let locals: Vec<_> =
            facts.imports.iter().map(|i| (i.local.as_str(), i.imported.as_str(), i.source.as_str())).collect();
        assert_eq!(
            locals,
            [
                ("prisma", "db", "@/lib/db"),
                ("other", "other", "@/lib/db"),
                ("React", "default", "react"),
                ("ctx", "*", "./ctx")
            ]
        );
        assert_eq!(facts.original_name("prisma"), "db");
        assert_eq!(facts.original_name("React"), "React");
        assert_eq!(&text[facts.import_insertion_point..facts.import_insertion_point + 6], "export");
        assert_eq!(facts.top_level_declarations, ["f", "g"]);
    }

    #[test]
    fn top_level_functions_at_once_are_those_found_one_by_one() {
        let text = "import { x } from './x';\nfunction a() {}\nexport const b = () => 1, c = 2;\nlet d;\nvar d = function () {};\nexport function b() {}\nconst { e } = x;\nexport default function f() {}\nfunction* g() {}\nconst a = 3;\n";
        let doc = Document::parse("a.ts", FileKind::TypeScript, text);
        let all = top_level_functions_unrecorded(&doc);
        for name in ["a", "b", "c", "d", "e", "f", "g", "x", "{ e }", "missing"] {
            assert_eq!(all.get(name).copied(), top_level_function_unrecorded(&doc, name), "{name}");
        }
        assert_eq!(all["a"].kind(), "function_declaration", "the first binding of a name");
        assert_eq!(all["b"].kind(), "arrow_function");
        assert_eq!(all["d"].kind(), "function_expression", "a declarator without a value is skipped");
    }

    #[test]
    fn ancestors_are_the_parent_chain() {
        let text = "export async function f(a) {\n  if (a) {\n    const g = () => { h(a.b[0]); };\n  }\n}\n";
        let doc = Document::parse("a.ts", FileKind::TypeScript, text);
        let root = doc.tree().unwrap().root_node();
        let mut checked = 0;
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            let mut parents = Vec::new();
            let mut at = node;
            while let Some(parent) = at.parent() {
                parents.push(parent);
                at = parent;
            }
            assert_eq!(ancestors(&doc, node), parents, "at {:?}", node.kind());
            checked += 1;
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        assert!(checked > 30, "every node of the file, anonymous ones too");
        assert!(ancestors(&doc, root).is_empty());
        let other = Document::parse("b.ts", FileKind::TypeScript, text);
        let deep = other.tree().unwrap().root_node().descendant_for_byte_range(60, 61).unwrap();
        assert!(!ancestors(&doc, deep).is_empty(), "a node of another tree: its own parents");
    }

    #[test]
    fn rls_context_needs_a_transaction_that_sets_a_setting() {
        assert!(sets_rls_context(
            "prisma.$transaction(async (tx) => { await tx.$executeRaw`SET LOCAL app.user = ${id}` })"
        ));
        assert!(sets_rls_context("db.$extends({ query: { $allOperations() { set_config('a', b, TRUE) } } })"));
        assert!(sets_rls_context("$transaction(`Set Local role`)"), "any case");
        assert!(!sets_rls_context("await tx.$executeRaw`SET LOCAL app.user = 1`"), "no transaction");
        assert!(!sets_rls_context("prisma.$transaction([a, b]); // settle local"), "no setting");
    }

    #[test]
    fn paths_match_folders_and_globs() {
        assert!(path_matches("components/", "src/components/ui/Button.tsx"));
        assert!(!path_matches("components/", "src/mycomponents/a.tsx"));
        assert!(path_matches("components/", "components/a.tsx"));
        assert!(!path_matches("components/", "src/components"), "a file, not a folder");
        assert!(path_matches("src/client/", "apps/web/src/client/a.ts"));
        assert!(!path_matches("src/client/", "apps/websrc/client/a.ts"));
        assert!(path_matches("a/", "x/aa/a/b.ts"), "a later occurrence at a boundary");
        assert!(path_matches("pages/**", "pages/x.ts") && !path_matches("pages/**", "mypages/x.ts"));
        assert!(path_matches("app/**/page.{tsx,jsx}", "app/page.tsx"));
        assert!(path_matches("app/**/page.{tsx,jsx}", "src/app/(dash)/settings/page.jsx"));
        assert!(!path_matches("app/**/page.{tsx,jsx}", "app/api/x/route.ts"));
        assert!(path_matches("pages/**", "pages/api/x.ts"));
        assert!(path_matches("pages/api/**", "src/pages/api/x.ts"));
        assert!(path_matches("*.test.ts", "a/b.test.ts"));
        assert!(is_test_path("src/__tests__/a.ts") && is_test_path("a.spec.tsx") && !is_test_path("src/testing.ts"));
    }

    #[test]
    fn modules_resolve_relative_and_alias_specifiers() {
        assert_eq!(resolve_module("app/api/x/route.ts", "../../../lib/db"), ["lib/db", "lib/db/index"]);
        assert_eq!(resolve_module("a.ts", "@/lib/x"), ["lib/x", "lib/x/index", "src/lib/x", "src/lib/x/index"]);
        assert!(resolve_module("a.ts", "../../x").is_empty());
        assert!(resolve_module("a.ts", "react").is_empty());
        assert_eq!(module_key("lib/x.tsx"), "lib/x");
    }

    #[test]
    fn collects_directives_requires_async_functions_and_exports() {
        let text = "'use client';\nimport 'server-only';\nconst jwt = require('jsonwebtoken');\nconst { verify: v } = require('jsonwebtoken');\nexport async function a() {}\nconst b = () => new Promise((r) => r(1));\nfunction c() { return 1; }\nexport { b as bee, c };\nexport default a;\nexport { x } from './y';\n";
        let doc = Document::parse("a.ts", FileKind::TypeScript, text);
        let facts = FileFacts::collect(&doc);
        assert!(facts.has_directive("use client"));
        assert!(facts.imports_module("server-only") && facts.imports_module("jsonwebtoken"));
        assert_eq!(facts.source_of("jwt"), Some("jsonwebtoken"));
        assert_eq!(facts.original_name("v"), "verify");
        assert_eq!(facts.async_functions, ["a", "b"]);
        let exports: Vec<_> =
            facts.exports.iter().map(|e| (e.exported.as_str(), e.local.as_str(), e.source.is_some())).collect();
        assert_eq!(
            exports,
            [("a", "a", false), ("bee", "b", false), ("c", "c", false), ("default", "a", false), ("x", "x", true)]
        );
    }

    #[test]
    fn insertion_point_skips_directives_when_there_are_no_imports() {
        let text = "'use client';\n\nexport const A = 1;\n";
        let doc = Document::parse("a.tsx", FileKind::Tsx, text);
        assert_eq!(FileFacts::collect(&doc).import_insertion_point, "'use client';\n".len());
    }

    #[test]
    fn parameter_names_include_destructuring_but_not_defaults_or_types() {
        let text = "function f(a: Tx, { b, c: d }, [e], g = h, ...rest) {}";
        let doc = Document::parse("a.ts", FileKind::TypeScript, text);
        let function = doc.tree().unwrap().root_node().named_child(0).unwrap();
        let mut names = parameter_names(&doc, function);
        names.sort();
        assert_eq!(names, ["a", "b", "d", "e", "g", "rest"]);
        assert_eq!(parameter_count(function), 5);
    }
}
