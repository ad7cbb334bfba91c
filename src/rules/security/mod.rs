//! `security/` — injection-prone APIs.

pub mod prisma_raw_unsafe;
