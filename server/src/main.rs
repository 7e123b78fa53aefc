//! `gridline`: the city server and its command-line tools in one binary.
//!
//! `gridline serve` (or `gridline` alone) runs the HTTP server; the other subcommands (`geo`,
//! `code`, `taxonomy`, `deadline`, `grid`, `photo`, ...) expose the shared core's rules on the
//! command line, each printing plain lines and exiting non-zero with a clear message on bad input.

use std::process::ExitCode;

fn main() -> ExitCode {
    keep_large_blocks_out_of_the_heap();
    gridline_server::cli::run()
}

/// Every password check hashes with argon2id in one 19 MiB block. glibc's malloc serves the
/// first such block with a mapping of its own, but freeing it raises the allocator's mmap and
/// trim thresholds above that size, so every later block comes from a per-thread arena that
/// keeps the memory after the free: a server that seeded the demo city (five accounts) or
/// served a few sign-ins idled with about 40 MB of freed argon2 memory still resident. Setting
/// the threshold explicitly (to glibc's own default) turns that adjustment off: large blocks
/// stay mappings of their own and go back to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn keep_large_blocks_out_of_the_heap() {
    const MMAP_THRESHOLD_BYTES: libc::c_int = 128 * 1024;
    // SAFETY: mallopt only sets an allocator parameter; it runs first thing in main, before any
    // other thread exists, and its failure (a zero return) leaves glibc's default behaviour.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_blocks_out_of_the_heap() {}
