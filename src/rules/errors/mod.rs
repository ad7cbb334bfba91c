//! `errors/` — error-handling mistakes.

pub mod floating_promise;
