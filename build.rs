//! Build script: decides whether this build has the JIT.
//!
//! The JIT needs Linux on x86-64. This sets `cfg(jitbf_jit)` there, and the code says
//! `#[cfg(jitbf_jit)]` instead of repeating the platform test. Setting `JITBF_NO_JIT=1` leaves
//! it unset on Linux too, so that the interpreter-only build other platforms get can be
//! compiled and tested here: `JITBF_NO_JIT=1 cargo test --lib`.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(jitbf_jit)");
    println!("cargo::rerun-if-env-changed=JITBF_NO_JIT");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let disabled = std::env::var_os("JITBF_NO_JIT").is_some_and(|v| !v.is_empty() && v != "0");
    if arch == "x86_64" && os == "linux" && !disabled {
        println!("cargo::rustc-cfg=jitbf_jit");
    }
}
