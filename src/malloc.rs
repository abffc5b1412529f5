//! The C allocator's settings, made before any thread starts.

/// One malloc arena for the whole process instead of glibc's default of up to eight per core.
///
/// A thread that meets a locked arena moves to another (making one, up to the limit), and what is
/// freed in an arena is reused only by the threads allocating from it, so a replica holding 1,000
/// requests in flight kept more memory resident across its arenas: one arena lowered the peak RSS
/// under `bench/run --only memory` by about 6 MB (docs/perf/README.md, `p5_rss_mb`), as
/// `MALLOC_ARENA_MAX=1` does. Small allocations still go through each thread's own cache (tcache)
/// without the arena's lock. Linux with glibc only; elsewhere nothing is changed.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
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
