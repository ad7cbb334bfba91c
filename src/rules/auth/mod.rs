//! `auth/` — authentication mistakes in route handlers and token verification.

mod capability;
pub mod jwt_verify_no_algorithms;
pub mod route_missing_auth;
