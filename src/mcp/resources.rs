//! The MCP resources: each rule's documentation (`baton://rules/<id>`, Markdown) and each work
//! item's status (`baton://items/<id>`, JSON as the `stage_status` tool gives it).

use serde_json::{json, Value};

use super::tools;
use super::Server;

/// Every resource: uri, name, description, mime type.
pub fn list(server: &Server) -> Vec<Value> {
    let mut out: Vec<Value> = crate::rules::all()
        .iter()
        .map(|rule| {
            json!({
                "uri": format!("baton://rules/{}", rule.id),
                "name": rule.id,
                "description": rule.summary,
                "mimeType": "text/markdown",
            })
        })
        .collect();
    if let Ok(l) = tools::load(&server.start) {
        for doc in l.facts.plan.documents.iter().filter(|d| d.is_work_item()) {
            out.push(json!({
                "uri": format!("baton://items/{}", doc.id),
                "name": doc.id,
                "description": format!("Stage, unmet requirements, evidence and guardrails of {} ({})", doc.id, doc.path),
                "mimeType": "application/json",
            }));
        }
    }
    out
}

/// Reads resource `uri`: (uri, mime type, text), or `None` when there is no such resource.
pub fn read(server: &Server, uri: &str) -> Option<(String, &'static str, String)> {
    if let Some(id) = uri.strip_prefix("baton://rules/") {
        let rule = crate::rules::find(id)?;
        return Some((uri.to_string(), "text/markdown", rule.doc.to_string()));
    }
    let id = uri.strip_prefix("baton://items/")?;
    let l = tools::load(&server.start).ok()?;
    let doc = l.facts.plan.documents.iter().find(|d| d.is_work_item() && d.id == id)?;
    let status = tools::item_status(&l, doc);
    Some((uri.to_string(), "application/json", serde_json::to_string_pretty(&status).unwrap_or_default()))
}
