//! Agent definitions (`.claude/agents/*.md`): YAML front matter `name`, `description`, `tools`
//! (a string or a list), `model`.

use std::ops::Range;

use crate::syntax::Document;

/// An agent definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Agent {
    /// The agent's name: front matter `name`, else the file stem.
    pub name: String,
    /// Workspace-relative path of the definition.
    pub path: String,
    /// The range to show for the agent (its `name:` line, else the start of the file).
    pub range: Range<usize>,
    /// `description`.
    pub description: Option<String>,
    /// `tools`, split when written as one comma-separated string.
    pub tools: Vec<String>,
    /// `model`.
    pub model: Option<String>,
}

impl Agent {
    /// True for a path of an agent definition.
    pub fn is_definition(path: &str) -> bool {
        path.ends_with(".md") && (path.starts_with(".claude/agents/") || path.contains("/.claude/agents/"))
    }

    /// Reads an agent definition; front matter that is missing or not YAML leaves the fields
    /// empty (the file stem is still the name).
    pub fn read(doc: &Document) -> Agent {
        let file_name = doc.path.rsplit('/').next().unwrap_or(&doc.path);
        let stem = file_name.strip_suffix(".md").unwrap_or(file_name).to_string();
        let mut agent = Agent {
            name: stem,
            path: doc.path.clone(),
            range: 0..0,
            description: None,
            tools: Vec::new(),
            model: None,
        };
        let Some((yaml, yaml_start)) = front_matter(&doc.text) else { return agent };
        let Ok(serde_yaml_ng::Value::Mapping(map)) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(yaml) else {
            return agent;
        };
        let text = |key: &str| map.get(key).and_then(|v| v.as_str()).map(str::to_string);
        if let Some(name) = text("name").filter(|n| !n.trim().is_empty()) {
            agent.name = name.trim().to_string();
            if let Some(line) = yaml
                .lines()
                .scan(0, |at, l| {
                    let start = *at;
                    *at += l.len() + 1;
                    Some((start, l))
                })
                .find(|(_, l)| l.starts_with("name:"))
            {
                agent.range = yaml_start + line.0..yaml_start + line.0 + line.1.len();
            }
        }
        agent.description = text("description");
        agent.model = text("model");
        agent.tools = match map.get("tools") {
            Some(serde_yaml_ng::Value::String(s)) => {
                s.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()
            }
            Some(serde_yaml_ng::Value::Sequence(items)) => {
                items.iter().filter_map(|i| i.as_str()).map(str::to_string).collect()
            }
            _ => Vec::new(),
        };
        agent
    }

    /// The folder of the project the agent belongs to (the one holding `.claude/`), `""` for the
    /// workspace root.
    pub fn project(&self) -> &str {
        super::project_of(&self.path)
    }
}

/// The YAML between a leading `---` line and the next `---` line, and its byte offset.
fn front_matter(text: &str) -> Option<(&str, usize)> {
    let rest = text.strip_prefix("---")?;
    let newline = rest.find('\n')?;
    if !rest[..newline].trim().is_empty() {
        return None;
    }
    let start = 3 + newline + 1;
    let body = &text[start..];
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&body[..at], start));
        }
        at += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::FileKind;

    #[test]
    fn front_matter_is_read_with_tools_as_string_or_list() {
        let text = "---\nname: tdd-typescript-implementer\ndescription: Implements with TDD\ntools: Read, Edit, Bash\nmodel: sonnet\n---\n# Body\n";
        let doc = Document::parse(".claude/agents/tdd.md", FileKind::Markdown, text);
        let agent = Agent::read(&doc);
        assert_eq!(agent.name, "tdd-typescript-implementer");
        assert_eq!(agent.tools, ["Read", "Edit", "Bash"]);
        assert_eq!(agent.model.as_deref(), Some("sonnet"));
        assert_eq!(&text[agent.range.clone()], "name: tdd-typescript-implementer");
        let doc = Document::parse(".claude/agents/qa.md", FileKind::Markdown, "---\ntools:\n  - Read\n---\n");
        let agent = Agent::read(&doc);
        assert_eq!((agent.name.as_str(), agent.tools.len()), ("qa", 1));
    }

    #[test]
    fn broken_front_matter_falls_back_to_the_file_stem() {
        let doc = Document::parse("x/.claude/agents/ops.md", FileKind::Markdown, "---\nname: [unclosed\n---\n");
        let agent = Agent::read(&doc);
        assert_eq!(agent.name, "ops");
        assert_eq!(agent.project(), "x");
        assert!(Agent::is_definition("x/.claude/agents/ops.md"));
        assert!(!Agent::is_definition("docs/agents/ops.md"));
    }
}
