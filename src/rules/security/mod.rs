//! `security/` — injection-prone APIs.

pub mod prisma_raw_unsafe;
pub mod sql_source;
