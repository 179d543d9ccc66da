//! Build script: decides whether this build has the JIT.
//!
//! The JIT needs Linux on x86-64. This sets `cfg(jitbf_jit)` there, and the code says
//! `#[cfg(jitbf_jit)]` instead of repeating the platform test. Setting `JITBF_NO_JIT=1` leaves
//! it unset on Linux too, so that the interpreter-only build other platforms get can be
//! compiled and tested here: `JITBF_NO_JIT=1 cargo test --lib`.
//!
//! It also links the `jitbf` binary (not the library, tests or examples) as a position-
//! dependent executable on Linux with glibc. A position-independent one is relocated by the
//! dynamic loader at every start: about 5,000 pointers in clap's and the standard library's
//! tables rewritten, which touches (copies) some 25 pages; that was 7% of `jitbf -e '+.'`.
//! The price is that the binary's own code and tables sit at a fixed address (the tape, the
//! generated code and the heap are still placed at random); the generated code has no way to
//! reach them except through the bounds the compiler checks. Go makes the same choice by
//! default.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(jitbf_jit)");
    println!("cargo::rerun-if-env-changed=JITBF_NO_JIT");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let disabled = std::env::var_os("JITBF_NO_JIT").is_some_and(|v| !v.is_empty() && v != "0");
    if arch == "x86_64" && os == "linux" && !disabled {
        println!("cargo::rustc-cfg=jitbf_jit");
    }
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
}
