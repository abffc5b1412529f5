//! The C allocator's settings, made before any thread starts.

/// One malloc arena for the whole process instead of glibc's default of up to eight per core.
///
/// A thread that meets a locked arena moves to another (making one, up to the limit), and what is
/// freed in an arena is reused only by the threads allocating from it, so a replica holding 1,000
/// requests in flight kept more memory resident across its arenas: one arena lowered the peak RSS
/// under `bench/run --only memory` by about 6 MB (docs/perf/README.md, `p5_rss_mb`), as
/// `MALLOC_ARENA_MAX=1` does. Small allocations still go through each thread's own cache (tcache)
/// without the arena's lock.
///
/// On MariaDB only (the caller decides): on SQLite, sqlx runs each connection on a thread of its
/// own, and SQLite allocates there as it builds rows, so one arena's lock is taken by those
/// threads and the runtime's at once. Measured on a 100k-book SQLite file (16 connections, the
/// catalogue's front page, two rounds): one arena 10.5–13.2 context switches a request (glibc's
/// futex of the arena lock, `__lll_lock_wait_private`, in the profile) and the front page at
/// 0.50–0.64 of a book by id, against 6.8 and 0.59–0.70 with glibc's default; the one arena's
/// gain under 1,000 connections on MariaDB is 55.1 → 51.0 MB (`bench/run --only memory`, two
/// runs each, with the reads gate of `serve.rs`).
///
/// Linux with glibc only; elsewhere nothing is changed. glibc's own `MALLOC_ARENA_MAX`, when
/// set, is left to decide (glibc reads it as the process starts).
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        /// `M_ARENA_MAX` of glibc's `<malloc.h>`.
        const M_ARENA_MAX: std::ffi::c_int = -8;
        extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        // SAFETY: mallopt only sets a parameter of glibc's allocator; it is called before the
        // runtime starts any thread, and M_ARENA_MAX with a positive value is always valid.
        unsafe {
            mallopt(M_ARENA_MAX, 1);
        }
    }
}
