//! Handing freed memory back to the operating system after large jobs.

/// After a job that allocated and freed a lot (a workspace scan, an analysis of every file),
/// glibc keeps the freed pages in its per-thread arenas, so the server's resident size would
/// report what it once used rather than what it holds. This returns them (a no-op elsewhere).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}
