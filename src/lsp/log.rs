//! Server logging: to stderr (or `BATON_LOG_FILE`), never to stdout, which carries the protocol.
//! `BATON_LOG=error|warn|info|debug` sets the level (default `warn`).

use std::io::Write;
use std::sync::OnceLock;

/// Log levels, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something failed.
    Error,
    /// Something is off.
    Warn,
    /// Lifecycle events.
    Info,
    /// Everything.
    Debug,
}

fn max_level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| match std::env::var("BATON_LOG").unwrap_or_default().to_lowercase().as_str() {
        "error" => Level::Error,
        "info" => Level::Info,
        "debug" | "trace" => Level::Debug,
        _ => Level::Warn,
    })
}

/// Writes one log line when `level` is enabled.
pub fn log(level: Level, message: impl std::fmt::Display) {
    if level > max_level() {
        return;
    }
    let line = format!("[baton {level:?}] {message}\n");
    match std::env::var_os("BATON_LOG_FILE") {
        Some(path) => {
            if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
                let _ = file.write_all(line.as_bytes());
            }
        }
        None => {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }
}
