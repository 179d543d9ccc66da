//! Build script: decides whether this build has the JIT, and how the `jitbf` binary is linked.
//!
//! The JIT needs Linux on x86-64. This sets `cfg(jitbf_jit)` there, and the code says
//! `#[cfg(jitbf_jit)]` instead of repeating the platform test. Setting `JITBF_NO_JIT=1` leaves
//! it unset on Linux too, so that the interpreter-only build other platforms get can be
//! compiled and tested here: `JITBF_NO_JIT=1 cargo test --lib`.
//!
//! On Linux with glibc it links the `jitbf` binary (not the library, tests or examples)
//! statically and position-dependent, because for a small program start-up is most of
//! jitbf's time:
//!
//! - **Position-dependent** (`-no-pie`): a position-independent binary is relocated by the
//!   dynamic loader at every start, about 5,000 pointers in clap's and the standard library's
//!   tables rewritten, which touches (copies) some 25 pages. The price is that the binary's
//!   own code and tables sit at a fixed address (the tape, the generated code, the stack and
//!   the heap are still placed at random); the generated code has no way to reach them except
//!   through the bounds the compiler checks. Go makes the same choice by default.
//! - **Static** (`-static`): linked dynamically, the loader maps `libc`, `libm` and
//!   `libgcc_s` and resolves their symbols before `main`: 221,000 of the 262,000 instructions
//!   `jitbf -e '+.'` ran. Static, `jitbf -e '+.'` starts about as fast as a C program that
//!   writes one byte (the README has the numbers). The usual way, `-C
//!   target-feature=+crt-static`, applies to every crate of a build without `--target`, and
//!   proc-macro crates cannot be built with it (rust-lang/rust#78210). So this asks the C
//!   compiler where `libc.a`, `libm.a`, `libgcc.a` and `libgcc_eh.a` are, writes linker
//!   scripts named `libc.so`, `libm.so` and `libgcc_s.so` that name those archives into a
//!   directory of its own, and gives that directory and `-static` to the binary's link only.
//!   rustc asks for those libraries by name (`-lc -lm -lgcc_s`), and `ld` takes the first
//!   `libNAME.so` on its search path, which is then the script. If an archive is missing
//!   (no `libc6-dev` static libraries, say) or `JITBF_DYNAMIC=1` is set, the binary is linked
//!   dynamically as Rust normally does.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(jitbf_jit)");
    println!("cargo::rustc-check-cfg=cfg(jitbf_static_bin)");
    println!("cargo::rerun-if-env-changed=JITBF_NO_JIT");
    println!("cargo::rerun-if-env-changed=JITBF_DYNAMIC");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if arch == "x86_64" && os == "linux" && !set("JITBF_NO_JIT") {
        println!("cargo::rustc-cfg=jitbf_jit");
    }
    if os == "linux" && env == "gnu" {
        println!("cargo::rustc-link-arg-bins=-no-pie");
        if !set("JITBF_DYNAMIC") {
            if let Some(dir) = static_link_scripts() {
                println!("cargo::rustc-link-arg-bins=-L{}", dir.display());
                println!("cargo::rustc-link-arg-bins=-static");
                // Tells the tests to check that the binary really came out static.
                println!("cargo::rustc-cfg=jitbf_static_bin");
            } else {
                println!(
                    "cargo::warning=static C libraries not found; jitbf is linked dynamically"
                );
            }
        }
    }
}

/// Whether the environment variable `name` is set to something other than empty or `0`.
fn set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Writes the linker scripts that turn `-lc`, `-lm` and `-lgcc_s` into the static archives,
/// and returns their directory; `None` if the C compiler does not know one of the archives.
fn static_link_scripts() -> Option<PathBuf> {
    let libc = archive("libc.a")?;
    let libm = archive("libm.a")?;
    let libgcc = archive("libgcc.a")?;
    let libgcc_eh = archive("libgcc_eh.a")?;
    let dir = PathBuf::from(std::env::var_os("OUT_DIR")?).join("static-libs");
    std::fs::create_dir_all(&dir).ok()?;
    let scripts = [
        // libc needs libgcc's helpers and libgcc_eh's unwinder, and they need libc: a group.
        (
            "libc.so",
            format!("GROUP({} {} {})", libc, libgcc, libgcc_eh),
        ),
        ("libm.so", format!("INPUT({libm})")),
        // The standard library's unwinder: libgcc_s.so's code, as an archive.
        ("libgcc_s.so", format!("INPUT({libgcc_eh})")),
    ];
    for (name, text) in scripts {
        std::fs::write(
            dir.join(name),
            format!("/* written by jitbf's build.rs */\n{text}\n"),
        )
        .ok()?;
    }
    Some(dir)
}

/// The path of the static archive `name` as `cc`, which rustc links with, finds it.
fn archive(name: &str) -> Option<String> {
    let out = Command::new("cc")
        .arg(format!("-print-file-name={name}"))
        .output()
        .ok()?;
    let path = String::from_utf8(out.stdout).ok()?.trim().to_string();
    // An unknown name is printed back as it was given.
    (out.status.success() && Path::new(&path).is_absolute() && Path::new(&path).is_file())
        .then_some(path)
}
