//! `rls/` — row level security bypasses in application code.

pub mod prisma_outside_context;
pub mod supabase_service_role;
