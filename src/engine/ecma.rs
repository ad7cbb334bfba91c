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

/// Facts about one file, computed once and shared by every rule match in it.
#[derive(Clone, Debug, Default)]
pub struct FileFacts {
    /// Top-level imports.
    pub imports: Vec<Import>,
    /// Where new imports go: after the last import, or after leading directives and comments.
    pub import_insertion_point: usize,
    /// Names declared at the top level (functions, classes, variables).
    pub top_level_declarations: Vec<String>,
}

impl FileFacts {
    /// Reads the top level of an ECMAScript document.
    pub fn collect(doc: &Document) -> FileFacts {
        let mut facts = FileFacts::default();
        let Some(tree) = doc.tree() else { return facts };
        let root = tree.root_node();
        let mut cursor = root.walk();
        let mut after_prologue = 0;
        let mut prologue = true;
        for child in root.named_children(&mut cursor) {
            match child.kind() {
                "import_statement" => {
                    collect_import(doc, child, &mut facts.imports);
                    facts.import_insertion_point = line_end_after(doc, child.end_byte());
                }
                "comment" => {}
                "expression_statement" if prologue && child.named_child(0).is_some_and(|n| n.kind() == "string") => {
                    after_prologue = line_end_after(doc, child.end_byte());
                }
                _ => {
                    prologue = false;
                    collect_declared_names(doc, child, &mut facts.top_level_declarations);
                }
            }
        }
        if facts.imports.is_empty() {
            facts.import_insertion_point = after_prologue;
        }
        facts
    }

    /// The import that binds `local`, if any.
    pub fn import_of(&self, local: &str) -> Option<&Import> {
        self.imports.iter().find(|i| i.local == local)
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
                if let Some(name) = declarator.child_by_field_name("name").filter(|n| n.kind() == "identifier") {
                    out.push(doc.slice(name.byte_range()).to_string());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

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
