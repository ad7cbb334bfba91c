//! `baton mcp`: a Model Context Protocol server on stdio (newline-delimited JSON-RPC) over the
//! official Rust SDK (`rmcp`). A thin adapter like `crate::lsp`: [`tools`] answers each tool
//! from the engine, the stage model and the guardrail records; [`resources`] serves the rule
//! documentation and each work item's status. docs/agents.md describes every tool.
//!
//! Trust is the user's, never the agent's: the tools that run gates or write files
//! (`run_gate`, `advance_stage`, `record_approval`, `new_handoff`, `escalate`) answer only when
//! the server was started with `--trusted` (or `BATON_MCP_TRUSTED=1`) — set in the MCP client's
//! configuration (`.mcp.json`), which no tool call can change.

pub mod resources;
pub mod tools;

use std::path::PathBuf;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ErrorData, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProgressNotificationParam, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Value};

use crate::stage::advance::GateEvent;
use crate::stage::gate::{CancelToken, Outcome};

/// The server: where the workspace is and whether the user trusts it.
#[derive(Clone, Debug)]
pub struct Server {
    /// Where the workspace search starts (the root is the folder of the nearest `baton.toml`).
    pub start: PathBuf,
    /// Set by the user in the client's configuration: gates may run and files be written.
    pub trusted: bool,
}

/// Runs the server on stdin/stdout until the client disconnects.
pub fn run_stdio(root: Option<PathBuf>, trusted: bool) -> Result<(), String> {
    let start = match root {
        Some(r) => r,
        None => std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?,
    };
    let start = std::fs::canonicalize(&start).map_err(|e| format!("{}: {e}", start.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let server = Server { start, trusted };
        let running = server.serve(rmcp::transport::stdio()).await.map_err(|e| e.to_string())?;
        running.waiting().await.map_err(|e| e.to_string())?;
        Ok(())
    })
}

fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    // The values are built here from literals the SDK's types accept; a failure is a bug.
    serde_json::from_value(value).expect("an MCP model value Baton builds")
}

/// A tool's answer: the structured result and its JSON text, or an error the agent reads.
pub(crate) fn tool_result(result: Result<Value, String>) -> CallToolResult {
    match result {
        Ok(value) => {
            let text = serde_json::to_string_pretty(&value).unwrap_or_default();
            from_json(
                json!({"content": [{"type": "text", "text": text}], "structuredContent": value, "isError": false}),
            )
        }
        Err(message) => from_json(json!({"content": [{"type": "text", "text": message}], "isError": true})),
    }
}

impl Server {
    /// Runs `work` on a blocking thread; its gate events become progress notifications when the
    /// client asked for them, and the request's cancellation cancels the gates.
    async fn with_progress<T: Send + 'static>(
        &self,
        context: &RequestContext<RoleServer>,
        work: impl FnOnce(CancelToken, &(dyn Fn(GateEvent) + Sync)) -> T + Send + 'static,
    ) -> Result<T, ErrorData> {
        let cancel = CancelToken::new();
        let for_work = cancel.clone();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<GateEvent>();
        let mut handle = tokio::task::spawn_blocking(move || {
            let send = move |e: GateEvent| {
                let _ = tx.send(e);
            };
            work(for_work, &send)
        });
        let token = context.meta.get_progress_token();
        let mut done = 0u32;
        let joined = loop {
            tokio::select! {
                joined = &mut handle => break joined,
                () = context.ct.cancelled(), if !cancel.is_cancelled() => cancel.cancel(),
                Some(event) = rx.recv() => {
                    if let Some(token) = &token {
                        let message = match event {
                            GateEvent::Started(g) => format!("gate {g}: running"),
                            GateEvent::Finished(g, o) => {
                                done += 1;
                                format!("gate {g}: {}", outcome_word(o))
                            }
                        };
                        let param = ProgressNotificationParam::new(token.clone(), f64::from(done)).with_message(message);
                        let _ = context.peer.notify_progress(param).await;
                    }
                }
            }
        };
        joined.map_err(|e| ErrorData::internal_error(format!("the tool failed: {e}"), None))
    }
}

/// `pass`, `fail`, `timed out`, `cancelled`.
pub(crate) fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "pass",
        Outcome::Failed => "fail",
        Outcome::TimedOut => "timed out",
        Outcome::Cancelled => "cancelled",
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        let instructions = if self.trusted {
            "Baton checks multi-agent delivery: code rules, migrations, specs, handoffs and workflow stages. This workspace is trusted: gates may run and Baton may write evidence, signals and escalations."
        } else {
            "Baton checks multi-agent delivery: code rules, migrations, specs, handoffs and workflow stages. This workspace is NOT trusted: tools that run gates or write files are refused (the user can start `baton mcp --trusted` in the MCP client configuration)."
        };
        from_json(json!({
            "protocolVersion": serde_json::to_value(rmcp::model::ProtocolVersion::default()).unwrap_or_default(),
            "capabilities": {"tools": {"listChanged": false}, "resources": {"listChanged": false, "subscribe": false}},
            "serverInfo": {"name": "baton", "version": env!("CARGO_PKG_VERSION")},
            "instructions": instructions,
        }))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(from_json(json!({"tools": tools::definitions()})))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let arguments = Value::Object(request.arguments.clone().unwrap_or_default());
        if !tools::NAMES.contains(&name.as_str()) {
            return Err(ErrorData::invalid_params(format!("unknown tool `{name}`"), None));
        }
        if tools::WRITES.contains(&name.as_str()) && !self.trusted {
            return Ok(tool_result(Err(format!(
                "refusing to {}: this workspace is not trusted, so Baton runs no gates and writes no files for an agent. \
                 The user can trust it by starting the server with `baton mcp --trusted` (or BATON_MCP_TRUSTED=1) \
                 in the MCP client's configuration; an agent cannot.",
                tools::action(&name)
            )))
            .into());
        }
        let server = Arc::new(self.clone());
        let result = self
            .with_progress(&context, move |cancel, events| tools::call(&server, &name, &arguments, &cancel, events))
            .await?;
        Ok(tool_result(result).into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let server = self.clone();
        let list = tokio::task::spawn_blocking(move || resources::list(&server))
            .await
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(from_json(json!({"resources": list})))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let server = self.clone();
        let uri = request.uri.to_string();
        let read = tokio::task::spawn_blocking(move || resources::read(&server, &uri))
            .await
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        match read {
            Some((uri, mime, text)) => {
                let result: ReadResourceResult =
                    from_json(json!({"contents": [{"uri": uri, "mimeType": mime, "text": text}]}));
                Ok(result.into())
            }
            None => Err(ErrorData::resource_not_found(format!("no resource {}", request.uri), None)),
        }
    }
}
