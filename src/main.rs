//! The `jitbf` command line. Everything it does is in the library's [`jitbf::cli`] module,
//! where it can be tested and read.
//!
//! The binary has no Rust `fn main`: its `main` is the one C start-up code calls, so that
//! Rust's own start-up work is skipped where jitbf does not need it (see
//! [`jitbf::cli::process`], which does the rest).
#![no_main]

/// The process's entry point, called by the C library's start-up code.
// SAFETY: under `#![no_main]` no other `main` symbol is generated, and this one has the
// signature the C start-up code calls (`argc` and `argv` are read through `std::env`).
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    jitbf::cli::process::main(std::env::args_os())
}
