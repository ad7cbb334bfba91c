//! The pure analysis engine: documents + configuration + workspace facts in, findings out.
//!
//! No file-system or process IO happens here. Cross-file knowledge (which RLS wrappers the
//! workspace defines, the replayed migrations) is computed once by [`WorkspaceFacts::collect`]
//! and passed in; rules never read other files themselves.

pub mod ecma;
pub mod embedded;
pub mod facts;
pub mod finding;
pub mod incremental;
pub mod notices;
pub mod prefilter;
pub mod rejects;
pub mod suppression;

use std::cell::OnceCell;
use std::ops::Range;
use std::sync::Arc;

use tree_sitter::{Node, QueryMatch};

pub use facts::WorkspaceFacts;
pub use finding::{apply_edits, Finding, Fix, TextEdit};

use crate::config::Config;
use crate::rules::{self, Matcher, Rule};
use crate::sql::MigrationModel;
use crate::syntax::Document;

/// What a query predicate sees: the document, the match and the facts around it.
pub struct QueryMatchContext<'a, 'tree> {
    /// The document being analyzed.
    pub doc: &'a Document,
    /// The configuration.
    pub config: &'a Config,
    /// Workspace-level facts.
    pub facts: &'a WorkspaceFacts,
    /// The rule whose pattern matched.
    pub rule: &'static Rule,
    /// The `@match` node.
    pub node: Node<'tree>,
    /// Every capture of the match, by name.
    captures: Vec<(&'a str, Node<'tree>)>,
    /// Per-file facts, computed on first use and shared by every match of the file.
    file: &'a OnceCell<Arc<ecma::FileFacts>>,
}

impl<'a, 'tree> QueryMatchContext<'a, 'tree> {
    /// The first node captured as `@name`.
    pub fn capture(&self, name: &str) -> Option<Node<'tree>> {
        self.captures.iter().find(|(n, _)| *n == name).map(|(_, node)| *node)
    }

    /// The source text of `node`.
    pub fn text(&self, node: Node<'_>) -> &'a str {
        self.doc.slice(node.byte_range())
    }

    /// Imports and other per-file facts.
    pub fn file_facts(&self) -> &'a ecma::FileFacts {
        self.file.get_or_init(|| Arc::new(ecma::FileFacts::collect(self.doc)))
    }

    /// True when `node` is a configured raw client (`[rls] clients`), an imported alias of one,
    /// or `this.<client>`.
    pub fn is_raw_client(&self, node: Node<'_>) -> bool {
        let clients = &self.config.rls.clients;
        match node.kind() {
            "identifier" => {
                let name = self.text(node);
                let original = self.file_facts().original_name(name);
                clients.iter().any(|c| c == name || c == original)
            }
            "member_expression" => {
                node.child_by_field_name("object").is_some_and(|o| o.kind() == "this")
                    && node.child_by_field_name("property").is_some_and(|p| clients.iter().any(|c| c == self.text(p)))
            }
            _ => false,
        }
    }

    /// A finding of this rule at `range`.
    pub fn finding(&self, range: std::ops::Range<usize>, message: impl Into<String>) -> Finding {
        Finding::new(self.rule.id, range, message)
    }
}

/// What a plan or handoff rule sees: the plan and handoffs read from the whole workspace.
pub struct PlanRuleContext<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// Every Markdown, JSON and signal document of the workspace.
    pub documents: &'a [&'a Document],
    /// The plan (work streams, phases, gates, specs).
    pub plan: &'a crate::plan::Plan,
    /// The handoffs (signals, snapshots, agents).
    pub handoffs: &'a crate::handoff::Handoffs,
    /// Workflow evidence and the tree's git state, loaded by the workspace layer.
    pub evidence: &'a crate::stage::EvidenceSet,
}

impl PlanRuleContext<'_> {
    /// The document at `path`, when it is one of the plan's documents.
    pub fn document(&self, path: &str) -> Option<&Document> {
        self.documents.iter().copied().find(|d| d.path == path)
    }
}

/// What a SQL rule sees: the model replayed from one ordered sequence of migrations.
pub struct SqlRuleContext<'a> {
    /// The replayed model.
    pub model: &'a MigrationModel,
    /// The configuration.
    pub config: &'a Config,
    /// The documents of the sequence, in replay order.
    pub documents: &'a [&'a Document],
}

impl SqlRuleContext<'_> {
    /// The document at `path`, when it is part of this sequence.
    pub fn document(&self, path: &str) -> Option<&Document> {
        self.documents.iter().copied().find(|d| d.path == path)
    }
}

/// Analyzes one document: runs every applicable rule, applies severity overrides and
/// suppressions, and returns the findings sorted by position then rule id.
pub fn analyze_document(doc: &Document, config: &Config, facts: &WorkspaceFacts) -> Vec<Finding> {
    let mut findings = Vec::new();
    if doc.kind.is_ecmascript() {
        let file = OnceCell::new();
        run_queries(doc, config, facts, &file, None, &mut |m| findings.extend(m.finding));
    }
    finish_document(doc, config, facts, findings)
}

/// [`analyze_document`] for a document whose per-file facts are already known, also returning
/// what its rules read of the workspace `facts` (every [`ecma::Dependency`] recorded, without
/// duplicates). `baton check` analyses a file right after parsing it, before the workspace
/// facts are complete, under facts it guessed; the findings stand if every recorded answer is
/// the same under the real facts ([`ecma::Dependency::holds_across_files`]).
pub fn analyze_document_recording(
    doc: &Document,
    config: &Config,
    facts: &WorkspaceFacts,
    file_facts: Arc<ecma::FileFacts>,
) -> (Vec<Finding>, Vec<ecma::Dependency>) {
    let mut findings = Vec::new();
    let mut dependencies: Vec<ecma::Dependency> = Vec::new();
    if doc.kind.is_ecmascript() {
        let file = OnceCell::from(file_facts);
        run_queries(doc, config, facts, &file, None, &mut |m| {
            findings.extend(m.finding);
            for dependency in m.dependencies {
                if !dependencies.contains(&dependency) {
                    dependencies.push(dependency);
                }
            }
        });
    }
    (finish_document(doc, config, facts, findings), dependencies)
}

/// Adds the document's cross-file findings (SQL, plan) to its query findings, then applies
/// severities and suppressions and sorts.
fn finish_document(
    doc: &Document,
    config: &Config,
    facts: &WorkspaceFacts,
    mut findings: Vec<Finding>,
) -> Vec<Finding> {
    if let Some(reason) = &doc.not_parsed {
        let first_line = doc.text.find('\n').unwrap_or(doc.text.len());
        findings.push(Finding::new("meta/file-too-large", 0..first_line, reason.clone()));
    }
    if let Some(sql) = facts.sql_findings.get(&doc.path) {
        findings.extend(sql.iter().cloned());
    }
    if let Some(plan) = facts.plan_findings.get(&doc.path) {
        findings.extend(plan.iter().cloned());
    }
    // Code in a Markdown handoff is a report of what was done, not a proposal: not analysed.
    if doc.kind == crate::syntax::FileKind::Markdown && !crate::handoff::markdown::is_markdown_handoff(&doc.path) {
        findings.extend(embedded::analyze(doc, config, facts));
    }
    finish(doc, config, &mut findings);
    findings
}

/// Applies configuration severities, drops switched-off rules, applies suppressions, sorts and
/// removes duplicates.
fn finish(doc: &Document, config: &Config, findings: &mut Vec<Finding>) {
    findings.retain_mut(|finding| match rules::find(finding.rule).map(|r| config.severity_of(r)) {
        Some(Some(severity)) => {
            // A rule that lowered a finding below its default (`workflow/budget`'s alert) keeps it
            // lowered; the configuration can lower it further.
            let lowered = rules::find(finding.rule).is_some_and(|r| finding.severity < r.default_severity);
            finding.severity = if lowered { severity.min(finding.severity) } else { severity };
            true
        }
        Some(None) => false,
        None => true,
    });
    let enabled = |id: &str| rules::find(id).is_none_or(|r| config.severity_of(r).is_some());
    suppression::apply(doc, findings, enabled);
    if let Some(rule) = rules::find(suppression::UNUSED_SUPPRESSION) {
        match config.severity_of(rule) {
            Some(severity) => findings.iter_mut().filter(|f| f.rule == rule.id).for_each(|f| f.severity = severity),
            None => findings.retain(|f| f.rule != rule.id),
        }
    }
    findings.sort_by(|a, b| (a.range.start, a.rule, a.range.end).cmp(&(b.range.start, b.rule, b.range.end)));
    findings.dedup_by(|a, b| a.rule == b.rule && a.range == b.range);
}

/// One evaluated query match.
struct EvaluatedMatch<'tree> {
    /// The `@match` node.
    node: tree_sitter::Node<'tree>,
    /// The byte extent of all its captures and of its finding.
    extent: Range<usize>,
    /// The predicate's verdict.
    finding: Option<Finding>,
    /// What the predicate read beyond the match's top-level statement.
    dependencies: Vec<ecma::Dependency>,
}

/// Runs the grammar's combined query once (over `range`, or the whole tree) and dispatches each
/// match to its rule's predicate.
fn run_queries<'t>(
    doc: &'t Document,
    config: &Config,
    facts: &WorkspaceFacts,
    file: &OnceCell<Arc<ecma::FileFacts>>,
    range: Option<Range<usize>>,
    emit: &mut dyn FnMut(EvaluatedMatch<'t>),
) {
    let (Some(tree), Some(set)) = (doc.tree(), config.user_rules.query_set(doc.kind)) else { return };
    let Some(match_capture) = set.match_capture else { return };
    let names = set.query.capture_names();
    let text = doc.text.as_bytes();
    // One rule's verdict on a match; `shared`: the predicates of a user rule whose pattern is
    // shared with others of its shape (else they are the pattern's own, in the query).
    let mut evaluate = |rule: &'static Rule, shared: Option<&[tree_sitter::QueryPredicate]>, m: &QueryMatch<'_, 't>| {
        if config.severity_of(rule).is_none() {
            return;
        }
        let Some(node) = m.captures.iter().find(|c| c.index == match_capture).map(|c| c.node) else { return };
        let predicate = match rule.matcher {
            Matcher::Query { predicate, .. } => predicate,
            Matcher::UserQuery(_) => None,
            _ => return,
        };
        let mut extent = m
            .captures
            .iter()
            .fold(node.byte_range(), |acc, c| acc.start.min(c.node.start_byte())..acc.end.max(c.node.end_byte()));
        let ctx = QueryMatchContext {
            doc,
            config,
            facts,
            rule,
            node,
            captures: m.captures.iter().map(|c| (names[c.index as usize], c.node)).collect(),
            file,
        };
        ecma::take_dependencies();
        let finding = match (predicate, &rule.matcher) {
            (Some(predicate), _) => predicate(&ctx),
            (None, Matcher::UserQuery(user)) => {
                let nodes = |index: u32| m.captures.iter().find(|c| c.index == index).map(|c| c.node);
                let predicates = shared.unwrap_or_else(|| set.query.general_predicates(m.pattern_index));
                user_finding(&ctx, user, predicates, &nodes)
            }
            (None, _) => Some(ctx.finding(node.byte_range(), rule.summary)),
        };
        // A predicate may report the expression around what was matched (a property's member
        // expression): the extent covers that too.
        if let Some(found) = &finding {
            extent = extent.start.min(found.range.start)..extent.end.max(found.range.end);
        }
        emit(EvaluatedMatch { node, extent, finding, dependencies: ecma::take_dependencies() });
    };
    set.for_each_match(tree, text, range, &mut |m| {
        let members = set.members_of_pattern(m.pattern_index);
        if members.is_empty() {
            return evaluate(set.rule_of_pattern(m.pattern_index), None, m);
        }
        for member in members {
            if member.text_holds(m, text) {
                evaluate(member.rule, Some(&member.general), m);
            }
        }
    });
}

/// A user query rule's finding for one match: its file filters and predicates, its message and
/// fix with the captures' texts substituted.
fn user_finding<'t>(
    ctx: &QueryMatchContext<'_, 't>,
    user: &rules::user::QueryRule,
    predicates: &[tree_sitter::QueryPredicate],
    nodes: &dyn Fn(u32) -> Option<Node<'t>>,
) -> Option<Finding> {
    let path = ctx.doc.path.as_str();
    if !user.applies_to_path(path) || !rules::user::predicates::holds(ctx, predicates, nodes) {
        return None;
    }
    let text_of = |name: &str| ctx.capture(name).map(|n| ctx.text(n).to_string());
    let message = rules::user::substitute(&user.message, text_of);
    let mut finding = Finding::new(ctx.rule.id, ctx.node.byte_range(), message);
    finding.severity = ctx.rule.default_severity;
    if let Some(fix) = &user.fix {
        if let Some(target) = ctx.capture(&fix.capture) {
            let new_text = rules::user::substitute(&fix.replace, text_of);
            finding = finding.with_fix(Fix::in_file(fix.title.clone(), path, [(target.byte_range(), new_text)]));
        }
    }
    Some(finding)
}
