//! The statically linked binary lays out first the functions a small program's run needs
//! (`link/hot-text.txt`, placed by `build.rs`), so that the kernel maps them with fewer page
//! faults. A list that no longer matches the code would silently cost those faults again;
//! these tests notice it. (Regenerate the list with `tools/hot-text/hot_text.py`.)
#![cfg(jitbf_static_bin)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// The address range of the binary's `.text.jitbf_hot` section, from `readelf`.
fn hot_section() -> std::ops::Range<u64> {
    let out = Command::new("readelf")
        .args(["-SW", BIN])
        .output()
        .expect("readelf runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains(" .text.jitbf_hot "))
        .unwrap_or_else(|| panic!("no .text.jitbf_hot section:\n{text}"));
    // `[ 8] .text.jitbf_hot PROGBITS 00000000002ccb00 0cbb00 0c2d8a ...`
    let fields: Vec<&str> = line.split(']').nth(1).unwrap().split_whitespace().collect();
    let start = u64::from_str_radix(fields[2], 16).unwrap();
    let size = u64::from_str_radix(fields[4], 16).unwrap();
    start..start + size
}

/// The binary's function symbols: (address, mangled name).
fn functions() -> Vec<(u64, String)> {
    let out = Command::new("nm")
        .args(["--defined-only", BIN])
        .output()
        .expect("nm runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (addr, kind, name) = (f.next()?, f.next()?, f.next()?);
            matches!(kind, "t" | "T")
                .then(|| Some((u64::from_str_radix(addr, 16).ok()?, name.to_string())))
                .flatten()
        })
        .collect()
}

#[test]
fn the_start_up_path_is_laid_out_first() {
    let hot = hot_section();
    let functions = functions();
    for wanted in [
        "_ZN5jitbf3cli7process4main17h",
        "_ZN5jitbf3cli3run3run17h",
        "_ZN5jitbf5parse15parse_into_with17h",
    ] {
        let (addr, name) = functions
            .iter()
            .find(|(_, name)| name.starts_with(wanted))
            .unwrap_or_else(|| panic!("no function {wanted}"));
        assert!(hot.contains(addr), "{name} at {addr:#x}, not in {hot:x?}");
    }
}

#[test]
fn most_of_the_list_still_names_functions() {
    let list =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/link/hot-text.txt")).unwrap();
    let hot = hot_section();
    let functions = functions();
    let placed: Vec<&str> = functions
        .iter()
        .filter(|(addr, _)| hot.contains(addr))
        .map(|(_, name)| name.as_str())
        .collect();
    // The Rust entries: `*(.text.STEM* .text.unlikely.STEM*)`.
    let stems: Vec<&str> = list
        .lines()
        .filter_map(|l| l.strip_prefix("*(.text._"))
        .filter_map(|l| l.split('*').next())
        .collect();
    assert!(stems.len() > 100, "{} Rust entries", stems.len());
    let stale: Vec<&&str> = stems
        .iter()
        .filter(|stem| !placed.iter().any(|name| name[1..].starts_with(**stem)))
        .collect();
    // A few names come and go with inlining; many mean the list is out of date.
    assert!(
        stale.len() * 5 < stems.len(),
        "{} of {} entries of link/hot-text.txt match nothing (run tools/hot-text/hot_text.py): \
         {stale:?}",
        stale.len(),
        stems.len()
    );
}
