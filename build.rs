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
//! - **Position-dependent** (`-no-pie`): a position-independent binary is relocated at every
//!   start, about 5,000 pointers in clap's and the standard library's tables rewritten, which
//!   touches (copies) some 25 pages. Go makes the same choice by default.
//! - **Static** (`-static`): linked dynamically, the loader maps `libc`, `libm` and
//!   `libgcc_s` and resolves their symbols before `main`: 221,000 of the 263,000 instructions
//!   `jitbf -e '+.'` ran. Static, `jitbf -e '+.'` starts about as fast as a C program that
//!   writes one byte (the README has the numbers). The usual way, `-C
//!   target-feature=+crt-static`, applies to every crate of a build without `--target`, and
//!   proc-macro crates cannot be built with it (rust-lang/rust#78210). So this asks the C
//!   compiler where the static archives are, writes linker scripts named after the shared
//!   libraries rustc asks for (`-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc`, after a
//!   `-Bdynamic` that makes `ld` look for `libNAME.so` first) that name those archives instead,
//!   into a directory of its own, and gives that directory and `-static` to the binary's link
//!   only. `ld` takes the first `libNAME.so` on its search path, which is then the script.
//!
//! It links dynamically, as Rust normally does, when `JITBF_DYNAMIC=1` is set (for tools
//! that need a dynamic binary: valgrind's memory tools, `LD_PRELOAD` profilers), when
//! cross-compiling, when an archive is missing (no `libc6-dev` static libraries), and with a
//! glibc older than 2.34, whose `libpthread`, `libdl`, `librt` and `libutil` are separate
//! libraries whose archives need what `libc.a` then lacks.
//!
//! With both, the binary's own code, glibc's and its tables sit at fixed addresses (the tape,
//! the generated code, the stack and the heap are still placed at random); the generated
//! code has no way to reach them except through the bounds the compiler checks.

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
        let native = std::env::var("TARGET").ok() == std::env::var("HOST").ok();
        if native && !set("JITBF_DYNAMIC") {
            if let Some(dir) = static_link_scripts() {
                println!("cargo::rustc-link-arg-bins=-L{}", dir.display());
                println!("cargo::rustc-link-arg-bins=-static");
                if let Some(script) = hot_text_script() {
                    println!("cargo::rustc-link-arg-bins=-Wl,-T,{}", script.display());
                }
                // Tells the tests to check that the binary really came out static.
                println!("cargo::rustc-cfg=jitbf_static_bin");
            } else {
                println!(
                    "cargo::warning=no static glibc 2.34 or later (libc6-dev): jitbf is linked \
                     dynamically, which starts it slower; JITBF_DYNAMIC=1 says that is meant"
                );
            }
        }
    }
}

/// Whether the environment variable `name` is set to something other than empty or `0`.
fn set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Writes the linker script that puts the functions listed in `link/hot-text.txt` first in
/// the binary's code, and returns its path (`None` without the list).
///
/// The kernel maps a program's code as it is first executed, a page fault at a time, each
/// fault mapping the 64 KiB around it (fault-around); on this kind of machine a fault costs
/// about 1.4 us. Laid out as the linker finds them, the few hundred functions a small
/// program's run needs are spread over 21 of the binary's 46 such windows; put together
/// (`tools/hot-text/hot_text.py` lists them), they take about 12. The script adds an output
/// section in front of `.text` (`INSERT BEFORE`, which keeps the linker's default script for
/// everything else) holding the listed input sections in the list's order: each Rust function
/// has a section of its own (`.text.NAME`), and the C library's code is named by archive
/// member. A name that matches nothing (after a change to the code) is no error; that
/// function is then only laid out where the linker would have put it anyway.
fn hot_text_script() -> Option<PathBuf> {
    let list = Path::new("link/hot-text.txt");
    println!("cargo::rerun-if-changed={}", list.display());
    let text = std::fs::read_to_string(list).ok()?;
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let script = format!(
        "/* written by jitbf's build.rs from link/hot-text.txt */\nSECTIONS\n{{\n  \
         .text.jitbf_hot :\n  {{\n    {}\n  }}\n}}\nINSERT BEFORE .text;\n",
        patterns.join("\n    ")
    );
    let path = PathBuf::from(std::env::var_os("OUT_DIR")?).join("hot-text.ld");
    std::fs::write(&path, script).ok()?;
    Some(path)
}

/// Writes the linker scripts that turn rustc's `-l` libraries into static archives, and
/// returns their directory; `None` if the C library is not glibc 2.34 or later or the C
/// compiler does not know one of the archives.
fn static_link_scripts() -> Option<PathBuf> {
    if glibc_version()? < (2, 34) {
        return None;
    }
    let libc = archive("libc.a")?;
    let libm = archive("libm.a")?;
    let libgcc = archive("libgcc.a")?;
    let libgcc_eh = archive("libgcc_eh.a")?;
    let dir = PathBuf::from(std::env::var_os("OUT_DIR")?).join("static-libs");
    std::fs::create_dir_all(&dir).ok()?;
    let mut scripts = vec![
        // libc needs libgcc's helpers and libgcc_eh's unwinder, and they need libc: a group.
        (
            "libc.so".to_string(),
            format!("GROUP({libc:?} {libgcc:?} {libgcc_eh:?})"),
        ),
        ("libm.so".to_string(), format!("INPUT({libm:?})")),
        // The standard library's unwinder: libgcc_s.so's code, as an archive.
        ("libgcc_s.so".to_string(), format!("INPUT({libgcc_eh:?})")),
    ];
    // Since 2.34 these are in libc; their archives are empty, kept for old link lines.
    for name in ["util", "rt", "pthread", "dl"] {
        let a = archive(&format!("lib{name}.a"))?;
        scripts.push((format!("lib{name}.so"), format!("INPUT({a:?})")));
    }
    for (name, text) in scripts {
        std::fs::write(
            dir.join(name),
            format!("/* written by jitbf's build.rs */\n{text}\n"),
        )
        .ok()?;
    }
    Some(dir)
}

/// The version of glibc that `cc` compiles against, from `<features.h>`.
fn glibc_version() -> Option<(u32, u32)> {
    use std::io::Write;
    let mut child = Command::new("cc")
        .args(["-E", "-dM", "-x", "c", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(b"#include <features.h>\n")
        .ok()?;
    let out = child.wait_with_output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let define = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
            .and_then(|v| v.trim().parse().ok())
    };
    Some((define("__GLIBC__")?, define("__GLIBC_MINOR__")?))
}

/// The path of the static archive `name` as `cc`, which rustc links with, finds it.
fn archive(name: &str) -> Option<String> {
    let out = Command::new("cc")
        .arg(format!("-print-file-name={name}"))
        .output()
        .ok()?;
    let path = String::from_utf8(out.stdout).ok()?.trim().to_string();
    // An unknown name is printed back as it was given.
    let found =
        out.status.success() && Path::new(&path).is_absolute() && Path::new(&path).is_file();
    if found {
        // A toolchain update that moves or replaces it must relink.
        println!("cargo::rerun-if-changed={path}");
    }
    found.then_some(path)
}
