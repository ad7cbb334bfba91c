//! `baton.toml`: the workspace configuration (contract §6 and §7).
//!
//! Every key has a default that serves the seed scenarios, so a missing file is fine. Unknown
//! keys, wrong types and unknown rule ids are errors that name their line and column: a typo in a
//! security tool's configuration must never be ignored silently.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::line_index::{ColumnEncoding, LineIndex};
use crate::rules::{self, Severity};

/// The file name Baton looks for.
pub const CONFIG_FILE_NAME: &str = "baton.toml";

/// The largest configuration Baton reads: a real `baton.toml` is a few kilobytes; anything near
/// this is a mistake (or an attack) that should not stall the editor.
pub const MAX_CONFIG_SIZE: usize = 1024 * 1024;

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Top-level `include`: globs of the files analysed (empty: every discovered file). See
    /// [`crate::path_filter`] for the pattern syntax.
    pub include: Vec<Spanned<String>>,
    /// Top-level `exclude`: globs of files never analysed (they still exist for handoff checks).
    pub exclude: Vec<Spanned<String>>,
    /// `[rls]`: raw database clients and the wrappers that set the RLS context.
    pub rls: RlsConfig,
    /// `[auth]`: calls and higher-order handlers that authenticate.
    pub auth: AuthConfig,
    /// `[supabase]`: service-role secrets and client-reachable paths.
    pub supabase: SupabaseConfig,
    /// `[jwt]`: the algorithms JWT verification quick fixes allow.
    pub jwt: JwtConfig,
    /// `[patterns]`: naming patterns (DTO suffixes).
    pub patterns: PatternsConfig,
    /// `[sql]`: exposed schemas and migration folders.
    pub sql: SqlConfig,
    /// `[handoff]`: handoff checks.
    pub handoff: HandoffConfig,
    /// `[spec]`: what specs and workflow documents must contain.
    pub spec: SpecConfig,
    /// `[plan]`: which Markdown documents are plans.
    pub plan: PlanConfig,
    /// `[rules]`: severity overrides by rule id, or by family glob (`"sql/*"`); a rule's own id
    /// wins over its family's glob.
    pub rules: BTreeMap<String, Spanned<RuleLevel>>,
    /// `[workflow]`: ordered stages and what each requires.
    pub workflow: WorkflowConfig,
    /// `[gates.<name>]`: quality gate commands.
    pub gates: BTreeMap<String, GateConfig>,
    /// `[agents]`: how an agent is dispatched.
    pub agents: AgentsConfig,
    /// `[limits]`: the orchestration guardrails (retries, escalation loops, cost).
    pub limits: LimitsConfig,
    /// `[user_rules]`: where the workspace's rule files live.
    #[serde(rename = "user_rules")]
    pub user_rules_config: UserRulesConfig,
    /// The workspace's user rules, read by [`crate::workspace::user_rules::attach`] (not a
    /// `baton.toml` key).
    #[serde(skip)]
    pub user_rules: std::sync::Arc<rules::user::UserRules>,
}

/// `[user_rules]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserRulesConfig {
    /// Folders (relative to the workspace root) searched for `**/*.toml` rule files.
    pub folders: Vec<String>,
}

impl Default for UserRulesConfig {
    fn default() -> Self {
        UserRulesConfig { folders: vec![rules::user::DEFAULT_FOLDER.into()] }
    }
}

/// `[rls]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RlsConfig {
    /// Identifiers of raw (unscoped) database clients.
    pub clients: Vec<String>,
    /// Functions that run a callback inside an RLS context.
    pub wrappers: Vec<String>,
    /// Module the quick fix imports a wrapper from.
    pub wrapper_import: String,
    /// The wrapper the quick fix inserts.
    pub fix_wrapper: String,
    /// Check even where the workspace neither defines nor imports a wrapper.
    pub enforce: bool,
}

impl Default for RlsConfig {
    fn default() -> Self {
        RlsConfig {
            clients: vec!["prisma".into(), "db".into()],
            wrappers: vec!["withUserContext".into(), "withSystemContext".into()],
            wrapper_import: "@/lib/db/context".into(),
            fix_wrapper: "withSystemContext".into(),
            enforce: false,
        }
    }
}

/// `[auth]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Calls that authenticate a request.
    pub guards: Vec<String>,
    /// Higher-order handlers that authenticate, e.g. `withWorkspace`.
    pub wrappers: Vec<String>,
    /// Statements the `auth/route-missing-auth` quick fix inserts at the top of a handler.
    pub fix_guard: String,
    /// The function the inserted guard calls; imported from `fix_import` when missing.
    pub fix_guard_function: String,
    /// Module the quick fix imports `fix_guard_function` from when no file of the workspace
    /// imports it yet (empty: only where the project already imports it).
    pub fix_import: String,
    /// Endpoints public by design (`auth/route-missing-auth` skips them): globs over
    /// workspace-relative paths, as in `[rules]` paths (`app/api/og/**`, `**/.well-known/**`).
    pub public_routes: Vec<String>,
    /// Tables and models anyone may read (`auth/route-missing-auth` does not count reads of
    /// them as data): names compared case-insensitively, `*` matching any run of characters.
    pub public_tables: Vec<String>,
}

/// Tables public by design in the apps Baton was measured on: a shop's product catalogue.
/// Setting `public_tables` replaces this list (docs/configuration.md).
pub const DEFAULT_PUBLIC_TABLES: [&str; 2] = ["product", "products"];

/// Endpoints public by design in any Next.js app, by their path: the authentication endpoints
/// themselves (sign-in, sign-up, password reset, NextAuth's handlers, SSO/SAML), health checks,
/// `.well-known` documents, Open Graph images and unsubscribe links. Setting `public_routes`
/// replaces this list (docs/configuration.md).
pub const DEFAULT_PUBLIC_ROUTES: [&str; 8] = [
    "api/**/auth/**",
    "api/**/sso/**",
    "api/**/{health,healthz,healthcheck,ping}/**",
    "api/**/{health,healthz,healthcheck,ping}.*",
    ".well-known/**",
    "api/**/og/**",
    "api/**/unsubscribe/**",
    "api/**/unsubscribe.*",
];

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            guards: ["auth", "getServerSession", "currentUser", "requireAuth"].map(String::from).to_vec(),
            wrappers: Vec::new(),
            fix_guard:
                "const session = await auth();\nif (!session) return new Response(\"Unauthorized\", { status: 401 });"
                    .into(),
            fix_guard_function: "auth".into(),
            fix_import: "@/auth".into(),
            public_routes: DEFAULT_PUBLIC_ROUTES.map(String::from).to_vec(),
            public_tables: DEFAULT_PUBLIC_TABLES.map(String::from).to_vec(),
        }
    }
}

/// `[supabase]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupabaseConfig {
    /// Names that mark a service-role secret. Compared case-insensitively with `_` ignored, so
    /// `SERVICE_ROLE` also matches `serviceRoleKey`.
    pub service_role_patterns: Vec<String>,
    /// Client-reachable paths: `dir/` (a folder anywhere in the path), globs with `*`, `**` and
    /// `{a,b}`; a leading `!` excludes.
    pub client_paths: Vec<String>,
}

impl Default for SupabaseConfig {
    fn default() -> Self {
        SupabaseConfig {
            service_role_patterns: ["SERVICE_ROLE", "SUPABASE_SECRET", "sb_secret_"].map(String::from).to_vec(),
            client_paths: ["components/", "app/**/page.{tsx,jsx}", "pages/**", "!pages/api/**", "src/client/"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// `[jwt]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    /// The algorithms the `auth/jwt-verify-no-algorithms` quick fix allows; empty (the default):
    /// inferred from the key, or offered as separate choices.
    pub algorithms: Vec<String>,
}

/// `[patterns]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PatternsConfig {
    /// Type-name suffixes that mark a data transfer object.
    pub dto_suffixes: Vec<String>,
}

impl Default for PatternsConfig {
    fn default() -> Self {
        PatternsConfig { dto_suffixes: vec!["DTO".into(), "Dto".into()] }
    }
}

/// `[sql]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqlConfig {
    /// Schemas reachable through the Data API (PostgREST); RLS matters there. `None` (not set):
    /// `public` when the workspace shows a Data API, none otherwise
    /// (`crate::sql::exposure`); an explicit list, `[]` included, always wins.
    pub exposed_schemas: Option<Vec<String>>,
    /// Migration folders, relative to the workspace root. `prisma/migrations` holds one folder per
    /// migration with a `migration.sql` inside.
    pub migrations: Vec<String>,
}

impl Default for SqlConfig {
    fn default() -> Self {
        SqlConfig {
            exposed_schemas: None,
            migrations: ["supabase/migrations", "prisma/migrations", "migrations", "db/migrations"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl SqlConfig {
    /// The exposed schemas: the configured list, else `public` (before the workspace's evidence
    /// is weighed: see `crate::sql::exposure::resolve`).
    pub fn exposed_schemas(&self) -> &[String] {
        static PUBLIC: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        self.exposed_schemas.as_deref().unwrap_or_else(|| PUBLIC.get_or_init(|| vec!["public".to_string()]))
    }
}

/// `[handoff]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandoffConfig {
    /// Percent; a completed handoff under it is flagged.
    pub min_coverage: f64,
}

/// `[plan]`: globs (matched like the top-level `include` / `exclude`) that decide which Markdown
/// documents are workflow plans or work items. A document `exclude` matches is never a plan; when `include` is
/// set, only the documents it matches can be, and Baton's name checks (archive folders, PRD /
/// ADR / audit names) do not apply to them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanConfig {
    /// Documents that may be plans (empty: every Markdown document, by Baton's classification).
    pub include: Vec<String>,
    /// Documents that are never plans.
    pub exclude: Vec<String>,
}

/// `[spec]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpecConfig {
    /// Gates the workflow as a whole must run — some stream's gate or a final gate names each
    /// (`lint`, `type-check`, `test`, or any other name: matched as a word, or by its
    /// `[gates.<name>] command`).
    pub required_gates: Vec<String>,
    /// Gates every work stream's own validation gate must name (none by default).
    pub required_stream_gates: Vec<String>,
    /// Texts that make a lint gate fail on warnings (`--max-warnings=0` or an equivalent).
    pub lint_strict_flags: Vec<String>,
}

impl Default for SpecConfig {
    fn default() -> Self {
        SpecConfig {
            required_gates: ["lint", "type-check", "test"].map(String::from).to_vec(),
            required_stream_gates: Vec::new(),
            lint_strict_flags: [
                "--max-warnings=0",
                "--max-warnings 0",
                "--deny-warnings",
                "-D warnings",
                "--error-on-warnings",
                "zero warnings",
                "no warnings",
                "0 warnings",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// A severity override in `[rules]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// Report as an error.
    Error,
    /// Report as a warning.
    Warning,
    /// Report as information.
    Info,
    /// Report as a hint.
    Hint,
    /// Do not run the rule.
    Off,
}

impl RuleLevel {
    /// The severity this level reports with, or `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            RuleLevel::Error => Some(Severity::Error),
            RuleLevel::Warning => Some(Severity::Warning),
            RuleLevel::Info => Some(Severity::Info),
            RuleLevel::Hint => Some(Severity::Hint),
            RuleLevel::Off => None,
        }
    }
}

/// `[workflow]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkflowConfig {
    /// Ordered stages.
    pub stages: Vec<String>,
    /// What must hold to enter a stage: `gate:<name>` or `approval:<role>`.
    pub requires: BTreeMap<String, Vec<String>>,
    /// Status texts found in real files, mapped to stages.
    pub labels: BTreeMap<String, String>,
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        let requires = [
            ("implement", vec!["approval:architecture"]),
            ("qa", vec!["approval:architecture", "gate:lint", "gate:type-check", "gate:test"]),
            ("release", vec!["approval:qa"]),
        ]
        .into_iter()
        .map(|(stage, reqs)| (stage.to_string(), reqs.into_iter().map(String::from).collect()))
        .collect();
        WorkflowConfig {
            stages: ["plan", "architecture-review", "implement", "qa", "release"].map(String::from).to_vec(),
            requires,
            labels: BTreeMap::new(),
        }
    }
}

/// `[gates.<name>]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// Shell command, run in the workspace root.
    pub command: String,
    /// Timeout in seconds.
    #[serde(default = "default_gate_timeout")]
    pub timeout_s: u64,
}

fn default_gate_timeout() -> u64 {
    600
}

/// The `timeout_s` a gate may have: one second to one day.
pub const GATE_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 1..=86_400;

/// Whether `name` may name a stage, a gate or an approval role: it becomes part of file names
/// (signals, snapshots, briefs, evidence, logs), so 1–64 ASCII letters, digits, `-`, `_` or `.`,
/// starting with a letter or digit (no path separator, no `..` component, nothing hidden).
pub fn is_valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Why `label` cannot be a status text Baton writes into a document (`None` when it can): it is
/// written as it is after `status:` (YAML front matter) or `**Status:**`, so one line without
/// control characters, no surrounding blanks, no YAML indicator in front, no `: ` or ` #` inside.
pub fn label_problem(label: &str) -> Option<&'static str> {
    if label.trim().is_empty() {
        return Some("is empty");
    }
    if label.chars().any(char::is_control) {
        return Some("contains a line break or another control character");
    }
    if label.trim() != label {
        return Some("starts or ends with blanks");
    }
    if label.chars().count() > 120 {
        return Some("is longer than 120 characters");
    }
    if label.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c)) {
        return Some("starts with a YAML indicator character");
    }
    if label.contains(": ") || label.contains(" #") || label.ends_with(':') {
        return Some("contains `: ` or ` #`, which YAML front matter reads differently");
    }
    None
}

/// Where in the text a validation error points; resolved to a span only when reporting.
enum Spot {
    Stage(usize),
    Label(String),
    Requires(String),
    Gate(String),
    Timeout(String),
}

/// The parts of `baton.toml` validation points at, with their spans (parsed only on error).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Spans {
    workflow: WorkflowSpans,
    gates: BTreeMap<String, GateSpans>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WorkflowSpans {
    stages: Vec<Spanned<String>>,
    labels: BTreeMap<String, Spanned<String>>,
    requires: BTreeMap<String, Spanned<Vec<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GateSpans {
    command: Option<Spanned<String>>,
    timeout_s: Option<Spanned<u64>>,
}

impl Spot {
    fn span(&self, text: &str) -> Option<Range<usize>> {
        let spans: Spans = toml::from_str(text).ok()?;
        match self {
            Spot::Stage(i) => spans.workflow.stages.get(*i).map(Spanned::span),
            Spot::Label(label) => spans.workflow.labels.get(label).map(Spanned::span),
            Spot::Requires(stage) => spans.workflow.requires.get(stage).map(Spanned::span),
            Spot::Gate(name) => spans.gates.get(name).and_then(|g| g.command.as_ref()).map(Spanned::span),
            Spot::Timeout(name) => spans.gates.get(name).and_then(|g| g.timeout_s.as_ref()).map(Spanned::span),
        }
    }
}

/// `[agents]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentsConfig {
    /// Program and arguments; `{brief}` is replaced by the brief's path.
    pub command: Vec<String>,
}

/// `[limits]`: the orchestration guardrails of `workflow/retry-limit`, `workflow/escalation-loop`
/// and `workflow/budget` (docs/agents.md). Amounts are US dollars.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Failed runs of one gate in a row on an item after which an escalation is required.
    pub max_verification_retries: u32,
    /// How often the same question may be escalated for an item before it is a loop.
    pub loop_threshold: u32,
    /// Cost limit per work item.
    pub cost_per_item_usd: f64,
    /// Cost per work item at which Baton warns.
    pub cost_per_item_alert_usd: f64,
    /// Cost limit per day (UTC), over every item and session.
    pub cost_per_day_usd: f64,
    /// Cost per day at which Baton warns.
    pub cost_per_day_alert_usd: f64,
    /// Prices by model id prefix (the longest matching key wins), USD per million tokens; merged
    /// over the built-in table of `guard::usage::DEFAULT_PRICES`.
    pub prices: BTreeMap<String, Price>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_verification_retries: 5,
            loop_threshold: 3,
            cost_per_item_usd: 20.0,
            cost_per_item_alert_usd: 15.0,
            cost_per_day_usd: 100.0,
            cost_per_day_alert_usd: 80.0,
            prices: BTreeMap::new(),
        }
    }
}

/// `[limits.prices.<model>]`: USD per million tokens. Cache prices default to 1.25× (writes)
/// and 0.1× (reads) the input price, Anthropic's published ratios.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Tokens written to the prompt cache.
    #[serde(default)]
    pub cache_write: Option<f64>,
    /// Tokens read from the prompt cache.
    #[serde(default)]
    pub cache_read: Option<f64>,
}

/// A configuration that could not be read or is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, when the configuration came from one.
    pub path: Option<PathBuf>,
    /// What is wrong, without location.
    pub message: String,
    /// Byte range of the offending text, when known.
    pub span: Option<Range<usize>>,
    /// 1-based line and column of the span's start, when known.
    pub line_col: Option<(u32, u32)>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.as_deref().map_or_else(|| CONFIG_FILE_NAME.into(), |p| p.display().to_string());
        match self.line_col {
            Some((line, col)) => write!(f, "{path}:{line}:{col}: {}", self.message),
            None => write!(f, "{path}: {}", self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl PlanConfig {
    /// The compiled `[plan]` globs, as a [`crate::path_filter::PathFilter`]: `admits` is "may be a
    /// plan" (validated when the configuration was parsed).
    pub fn filter(&self) -> crate::path_filter::PathFilter {
        crate::path_filter::PathFilter::new(&self.include, &self.exclude).unwrap_or_default()
    }
}

impl Config {
    /// Parses configuration text. `path` is only used in error messages.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
        let error_at = |message: String, span: Option<Range<usize>>| {
            let line_col = span.as_ref().map(|span| {
                let pos = LineIndex::new(text).position(text, span.start, ColumnEncoding::Utf8);
                (pos.line + 1, pos.character + 1)
            });
            ConfigError { path: path.map(Path::to_path_buf), message, span, line_col }
        };
        if text.len() > MAX_CONFIG_SIZE {
            return Err(too_large(path, text.len() as u64));
        }
        let config: Config = toml::from_str(text).map_err(|e| error_at(e.message().to_string(), e.span()))?;
        config.validate_workflow().map_err(|(message, spot)| error_at(message, spot.span(text)))?;
        config.validate().map_err(|(message, span)| error_at(message, span))?;
        Ok(config)
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        if let Ok(metadata) = std::fs::metadata(path) {
            if metadata.len() > MAX_CONFIG_SIZE as u64 {
                return Err(too_large(Some(path), metadata.len()));
            }
        }
        let bytes = std::fs::read(path).map_err(|e| ConfigError {
            path: Some(path.to_path_buf()),
            message: format!("cannot read: {e}"),
            span: None,
            line_col: None,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ConfigError {
            path: Some(path.to_path_buf()),
            message: "is not valid UTF-8".into(),
            span: Some(e.utf8_error().valid_up_to()..e.utf8_error().valid_up_to() + 1),
            line_col: None,
        })?;
        Config::parse(&text, Some(path))
    }

    /// Finds the nearest `baton.toml` at or above `start` (a file or a folder).
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let start = if start.is_file() { start.parent()? } else { start };
        start.ancestors().map(|dir| dir.join(CONFIG_FILE_NAME)).find(|candidate| candidate.is_file())
    }

    /// The severity `rule` reports with here, or `None` when it is switched off: its own entry
    /// in `[rules]`, else its family's glob (`"sql/*"`), else its default.
    pub fn severity_of(&self, rule: &rules::Rule) -> Option<Severity> {
        if let Some(level) = self.rules.get(rule.id) {
            return level.get_ref().severity();
        }
        let family = rule.id.split_once('/').map_or(rule.id, |(family, _)| family);
        let by_family = self.rules.iter().find(|(key, _)| key.strip_suffix("/*") == Some(family));
        match by_family {
            Some((_, level)) => level.get_ref().severity(),
            None => Some(rule.default_severity),
        }
    }

    /// The compiled top-level `include` / `exclude` globs (validated when the configuration was
    /// parsed, so this does not fail for a parsed configuration).
    pub fn path_filter(&self) -> crate::path_filter::PathFilter {
        let strings = |list: &[Spanned<String>]| list.iter().map(|s| s.get_ref().clone()).collect::<Vec<_>>();
        crate::path_filter::PathFilter::new(&strings(&self.include), &strings(&self.exclude)).unwrap_or_default()
    }

    /// Checks what serde cannot: rule ids exist, workflow stages are consistent.
    fn validate(&self) -> Result<(), (String, Option<Range<usize>>)> {
        for (id, level) in &self.rules {
            // User rules are read after the configuration; an unknown `project/` id is harmless.
            if id.starts_with("project/") {
                continue;
            }
            if let Some(family) = id.strip_suffix("/*") {
                if !rules::all().iter().any(|rule| rule.id.split_once('/').is_some_and(|(f, _)| f == family)) {
                    return Err((format!("[rules] glob `{id}` names no rule family"), Some(level.span())));
                }
                continue;
            }
            if id.contains('*') {
                return Err((
                    format!("[rules] key `{id}`: only whole families can be globbed (`family/*`)"),
                    Some(level.span()),
                ));
            }
            if rules::find(id).is_none() {
                let hint = rules::closest_id(id).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default();
                return Err((format!("unknown rule `{id}` in [rules]{hint}"), Some(level.span())));
            }
        }
        for (key, list) in [("include", &self.include), ("exclude", &self.exclude)] {
            for pattern in list {
                let one = [pattern.get_ref().clone()];
                if let Err(e) = crate::path_filter::PathFilter::new(&one, &[]) {
                    return Err((format!("`{key}` pattern `{}`: {}", e.pattern, e.message), Some(pattern.span())));
                }
            }
        }
        for (key, list) in [("plan.include", &self.plan.include), ("plan.exclude", &self.plan.exclude)] {
            for pattern in list {
                if let Err(e) = crate::path_filter::PathFilter::new(std::slice::from_ref(pattern), &[]) {
                    return Err((format!("`{key}` pattern `{}`: {}", e.pattern, e.message), None));
                }
            }
        }
        let limits = &self.limits;
        let amounts = [
            ("cost_per_item_usd", limits.cost_per_item_usd),
            ("cost_per_item_alert_usd", limits.cost_per_item_alert_usd),
            ("cost_per_day_usd", limits.cost_per_day_usd),
            ("cost_per_day_alert_usd", limits.cost_per_day_alert_usd),
        ];
        for (key, amount) in amounts {
            if !amount.is_finite() || amount < 0.0 {
                return Err((format!("[limits] {key} must be a non-negative amount, not {amount}"), None));
            }
        }
        if limits.max_verification_retries == 0 || limits.loop_threshold == 0 {
            return Err(("[limits] max_verification_retries and loop_threshold must be at least 1".into(), None));
        }
        for (model, price) in &limits.prices {
            let all = [Some(price.input), Some(price.output), price.cache_write, price.cache_read];
            if all.into_iter().flatten().any(|p| !p.is_finite() || p < 0.0) {
                return Err((format!("[limits.prices.\"{model}\"]: prices must be non-negative numbers"), None));
            }
        }
        for stage in self.workflow.requires.keys() {
            if !self.workflow.stages.contains(stage) {
                return Err((
                    format!("[workflow.requires] names stage `{stage}`, which is not in [workflow] stages"),
                    None,
                ));
            }
        }
        for (label, stage) in &self.workflow.labels {
            if !self.workflow.stages.contains(stage) {
                return Err((format!("[workflow.labels] maps `{label}` to unknown stage `{stage}`"), None));
            }
        }
        Ok(())
    }

    /// Checks the names that become file names and the texts written into documents: stage,
    /// gate and role names ([`is_valid_name`]), status labels ([`label_problem`]) and gate
    /// timeouts ([`GATE_TIMEOUT_RANGE`]).
    fn validate_workflow(&self) -> Result<(), (String, Spot)> {
        const NAME_RULE: &str = "1–64 ASCII letters, digits, `-`, `_` or `.`, starting with a letter or digit";
        for (i, stage) in self.workflow.stages.iter().enumerate() {
            if !is_valid_name(stage) {
                return Err((
                    format!("[workflow] stage {stage:?} is not a valid stage name ({NAME_RULE})"),
                    Spot::Stage(i),
                ));
            }
        }
        for (stage, requirements) in &self.workflow.requires {
            for requirement in requirements {
                let name = requirement.strip_prefix("gate:").or_else(|| requirement.strip_prefix("approval:"));
                if !name.is_some_and(is_valid_name) {
                    return Err((
                        format!(
                            "[workflow.requires] {stage}: {requirement:?} is not `gate:<name>` or `approval:<role>` with a valid name ({NAME_RULE})"
                        ),
                        Spot::Requires(stage.clone()),
                    ));
                }
            }
        }
        for label in self.workflow.labels.keys() {
            if let Some(problem) = label_problem(label) {
                return Err((
                    format!("[workflow.labels] the status label {label:?} {problem}"),
                    Spot::Label(label.clone()),
                ));
            }
        }
        for (name, gate) in &self.gates {
            if !is_valid_name(name) {
                return Err((
                    format!("[gates] {name:?} is not a valid gate name ({NAME_RULE})"),
                    Spot::Gate(name.clone()),
                ));
            }
            if !GATE_TIMEOUT_RANGE.contains(&gate.timeout_s) {
                return Err((
                    format!(
                        "[gates.{name}] timeout_s = {} is out of range: a gate's timeout is {} to {} seconds",
                        gate.timeout_s,
                        GATE_TIMEOUT_RANGE.start(),
                        GATE_TIMEOUT_RANGE.end()
                    ),
                    Spot::Timeout(name.clone()),
                ));
            }
        }
        Ok(())
    }
}

/// The error for a configuration file over [`MAX_CONFIG_SIZE`] (not read, not parsed).
fn too_large(path: Option<&Path>, size: u64) -> ConfigError {
    ConfigError {
        path: path.map(Path::to_path_buf),
        message: format!(
            "is {:.1} MB; Baton reads configuration files up to {} MB",
            size as f64 / (1024.0 * 1024.0),
            MAX_CONFIG_SIZE / (1024 * 1024)
        ),
        span: None,
        line_col: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gives_defaults() {
        let config = Config::parse("", None).unwrap();
        assert_eq!(config.rls.clients, ["prisma", "db"]);
        assert_eq!(config.sql.exposed_schemas(), ["public"]);
        assert_eq!(config.sql.exposed_schemas, None);
        assert!(!config.rls.enforce);
    }

    #[test]
    fn contract_example_parses() {
        let text = r#"
[rls]
clients = ["prisma"]
wrappers = ["withUserContext"]
wrapper_import = "@/lib/db/context"
enforce = true
[auth]
guards = ["auth"]
wrappers = ["withWorkspace"]
[sql]
exposed_schemas = ["public", "api"]
migrations = ["supabase/migrations"]
[handoff]
min_coverage = 80
[rules]
"sql/rls-disabled-in-public" = "warning"
"rls/prisma-outside-context" = "off"
[workflow]
stages = ["plan", "qa"]
[workflow.requires]
qa = ["gate:lint"]
[workflow.labels]
"Ready for QA" = "qa"
[gates.lint]
command = "npm run lint"
timeout_s = 60
[agents]
command = ["claude", "-p", "{brief}"]
"#;
        let config = Config::parse(text, None).unwrap();
        assert!(config.rls.enforce);
        assert_eq!(config.handoff.min_coverage, 80.0);
        assert_eq!(config.gates["lint"].timeout_s, 60);
        let rule = rules::find("rls/prisma-outside-context").unwrap();
        assert_eq!(config.severity_of(rule), None);
        let rule = rules::find("sql/rls-disabled-in-public").unwrap();
        assert_eq!(config.severity_of(rule), Some(Severity::Warning));
    }

    #[test]
    fn limits_have_the_seed_defaults_and_bad_amounts_are_errors() {
        let limits = Config::default().limits;
        assert_eq!((limits.max_verification_retries, limits.loop_threshold), (5, 3));
        assert_eq!((limits.cost_per_item_usd, limits.cost_per_item_alert_usd), (20.0, 15.0));
        assert_eq!((limits.cost_per_day_usd, limits.cost_per_day_alert_usd), (100.0, 80.0));
        let config =
            Config::parse("[limits]\nloop_threshold = 4\n[limits.prices.\"gpt-5\"]\ninput = 1.25\noutput = 10\n", None)
                .unwrap();
        assert_eq!(config.limits.loop_threshold, 4);
        assert_eq!(config.limits.prices["gpt-5"].output, 10.0);
        for bad in [
            "[limits]\ncost_per_item_usd = -1\n",
            "[limits]\nmax_verification_retries = 0\n",
            "[limits.prices.x]\ninput = 1\noutput = -2\n",
            "[limits.prices.x]\ninput = 1\n",
            "[limits]\nmax_retries = 3\n",
        ] {
            assert!(Config::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_key_names_its_line() {
        let err =
            Config::parse("[rls]\nclients = [\"prisma\"]\nwraper = []\n", Some(Path::new("baton.toml"))).unwrap_err();
        assert_eq!(err.line_col.map(|(l, _)| l), Some(3), "{err}");
        assert!(err.message.contains("wraper"), "{err}");
        assert!(err.to_string().starts_with("baton.toml:3:"), "{err}");
    }

    #[test]
    fn wrong_type_names_its_line() {
        let err = Config::parse("[sql]\n\nexposed_schemas = \"public\"\n", None).unwrap_err();
        assert_eq!(err.line_col.map(|(l, _)| l), Some(3), "{err}");
    }

    #[test]
    fn unknown_rule_id_is_an_error_with_a_suggestion() {
        let err = Config::parse("[rules]\n\"sql/rls-disabled-in-publik\" = \"off\"\n", None).unwrap_err();
        assert_eq!(err.line_col.map(|(l, _)| l), Some(2), "{err}");
        assert!(err.message.contains("did you mean `sql/rls-disabled-in-public`"), "{err}");
    }

    #[test]
    fn bad_severity_is_an_error() {
        let err = Config::parse("[rules]\n\"sql/rls-disabled-in-public\" = \"loud\"\n", None).unwrap_err();
        assert_eq!(err.line_col.map(|(l, _)| l), Some(2), "{err}");
    }

    /// Issue #26 items 5 and 16: names that become file names, labels written into documents and
    /// gate timeouts are validated at load, with the offending line.
    #[test]
    fn workflow_names_labels_and_timeouts_are_validated_with_their_line() {
        let cases = [
            ("[workflow]\nstages = [\"plan\",\n  \"../../../../../ESC\"]\n", 3, "stage"),
            (
                "[workflow]\nstages = [\"plan\", \"qa\"]\n[workflow.labels]\n\"Done\\nid: X\" = \"qa\"\n",
                4,
                "line break",
            ),
            ("[workflow]\nstages = [\"plan\", \"qa\"]\n[workflow.labels]\n\"QA: ok\" = \"qa\"\n", 4, "YAML"),
            ("[workflow]\nstages = [\"plan\", \"qa\"]\n[workflow.requires]\nqa = [\"gate:../x\"]\n", 4, "gate:<name>"),
            ("[workflow]\nstages = [\"plan\", \"qa\"]\n[workflow.requires]\nqa = [\"lint\"]\n", 4, "gate:<name>"),
            ("[gates.\"../x\"]\ncommand = \"true\"\n", 2, "gate name"),
            ("[gates.lint]\ncommand = \"true\"\ntimeout_s = 9223372036854775807\n", 3, "out of range"),
            ("[gates.lint]\ncommand = \"true\"\ntimeout_s = 0\n", 3, "out of range"),
        ];
        for (text, line, needle) in cases {
            let err = Config::parse(text, None).expect_err(text);
            assert_eq!(err.line_col.map(|(l, _)| l), Some(line), "{text}: {err}");
            assert!(err.message.contains(needle), "{text}: {err}");
        }
        // Near misses: ordinary names, labels and timeouts load.
        let ok = "[workflow]\nstages = [\"plan\", \"architecture-review\", \"qa_2\", \"v1.2\"]\n\
                  [workflow.requires]\nqa_2 = [\"gate:type-check\", \"approval:qa.lead\"]\n\
                  [workflow.labels]\n\"Ready for QA (2)\" = \"qa_2\"\n\"In review — arch\" = \"architecture-review\"\n\
                  [gates.type-check]\ncommand = \"true\"\ntimeout_s = 86400\n[gates.x]\ncommand = \"true\"\ntimeout_s = 1\n";
        Config::parse(ok, None).unwrap();
    }

    #[test]
    fn a_family_glob_sets_every_rule_of_the_family_and_an_id_wins() {
        let text = "[rules]\n\"sql/*\" = \"off\"\n\"sql/rls-bypass\" = \"warning\"\n";
        let config = Config::parse(text, None).unwrap();
        assert_eq!(config.severity_of(rules::find("sql/rls-disabled-in-public").unwrap()), None);
        assert_eq!(config.severity_of(rules::find("sql/rls-bypass").unwrap()), Some(Severity::Warning));
        let other = rules::find("auth/route-missing-auth").unwrap();
        assert_eq!(config.severity_of(other), Some(other.default_severity));
    }

    #[test]
    fn a_glob_of_no_family_or_a_partial_glob_is_an_error() {
        let err = Config::parse("[rules]\n\"sqll/*\" = \"off\"\n", None).unwrap_err();
        assert!(err.message.contains("names no rule family"), "{err}");
        assert_eq!(err.line_col.map(|(l, _)| l), Some(2), "{err}");
        let err = Config::parse("[rules]\n\"sql/rls-*\" = \"off\"\n", None).unwrap_err();
        assert!(err.message.contains("whole families"), "{err}");
    }

    #[test]
    fn include_and_exclude_are_read_and_a_broken_glob_names_its_line() {
        let config = Config::parse("include = [\"apps/web\"]\nexclude = [\"**/archive\"]\n", None).unwrap();
        let filter = config.path_filter();
        assert!(filter.admits("apps/web/app/route.ts"));
        assert!(!filter.admits("apps/web/archive/route.ts"));
        assert!(!filter.admits("apps/admin/route.ts"));
        let err = Config::parse("include = []\nexclude = [\"ok\", \"bad/[x\"]\n", None).unwrap_err();
        assert_eq!(err.line_col.map(|(l, _)| l), Some(2), "{err}");
        assert!(err.message.contains("bad/[x"), "{err}");
    }

    #[test]
    fn syntax_error_is_reported() {
        let err = Config::parse("[rls\n", None).unwrap_err();
        assert_eq!(err.line_col.map(|(l, _)| l), Some(1), "{err}");
    }
}
