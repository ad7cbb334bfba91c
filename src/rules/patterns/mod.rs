//! `patterns/` — project conventions for data transfer objects.

pub mod dto_interface;
pub mod dto_type_assertion;

use crate::config::PatternsConfig;

/// True when `name` ends with a configured DTO suffix and is longer than it.
pub fn is_dto_name(name: &str, config: &PatternsConfig) -> bool {
    config.dto_suffixes.iter().any(|s| !s.is_empty() && name.len() > s.len() && name.ends_with(s.as_str()))
}
