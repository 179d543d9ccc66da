//! `jitbf build`: the file.
//!
//! * `file` says statically linked, no program header is both writable and executable,
//!   hello world stays under 8 KB.
//! * Debugging (`-g`): `addr2line` and `objdump -dl`/`-S` name source lines, gdb stops at a
//!   breakpoint set on a source line and its backtrace ends at `_start`.
//! * `--emit obj`: linked with `ld`, the object behaves the same.
//! * Bad input: unbalanced brackets, an output that is a directory or in a missing
//!   directory: exit 2 with a message, and no file left behind.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

mod build_support;

use std::fs;
use std::process::{Command, Stdio};

use build_support::*;

/// The program headers of an ELF file: `(type, flags)`.
fn program_headers(elf: &[u8]) -> Vec<(u32, u32)> {
    let u = |at: usize, n: usize| {
        let mut v = 0u64;
        for i in (0..n).rev() {
            v = v << 8 | u64::from(elf[at + i]);
        }
        v as usize
    };
    let (phoff, phentsize, phnum) = (u(0x20, 8), u(0x36, 2), u(0x38, 2));
    (0..phnum)
        .map(|i| {
            let at = phoff + i * phentsize;
            (u(at, 4) as u32, u(at + 4, 4) as u32)
        })
        .collect()
}

#[test]
fn executables_are_static_small_and_never_writable_and_executable() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(programs_dir().join("hello.bf"), dir.path().join("hello.bf")).unwrap();
    build(dir.path(), &["hello.bf"]);
    build(dir.path(), &["hello.bf", "-g", "-o", "hello-g"]);
    build(dir.path(), &["hello.bf", "--strip", "-o", "hello-s"]);
    let size = |name: &str| fs::metadata(dir.path().join(name)).unwrap().len();
    assert!(
        size("hello") < 8192,
        "hello world is {} bytes",
        size("hello")
    );
    assert!(size("hello-s") < size("hello"));
    assert!(size("hello-g") > size("hello"));
    for name in ["hello", "hello-g", "hello-s"] {
        let path = dir.path().join(name);
        let out = Command::new(&path).output().unwrap();
        assert_eq!(
            out.stdout,
            fs::read(programs_dir().join("hello.out")).unwrap()
        );
        let elf = fs::read(&path).unwrap();
        let headers = program_headers(&elf);
        const PT_LOAD: u32 = 1;
        const PT_INTERP: u32 = 3;
        const PT_DYNAMIC: u32 = 2;
        const PT_GNU_STACK: u32 = 0x6474_e551;
        const W_AND_X: u32 = 2 | 1;
        assert!(
            headers.iter().all(|&(_, f)| f & W_AND_X != W_AND_X),
            "{headers:?}"
        );
        assert!(
            headers
                .iter()
                .any(|&(t, f)| t == PT_GNU_STACK && f & 1 == 0)
        );
        assert!(
            headers
                .iter()
                .all(|&(t, _)| t != PT_INTERP && t != PT_DYNAMIC)
        );
        assert_eq!(headers.iter().filter(|&&(t, _)| t == PT_LOAD).count(), 3);
        let file = tool("file", &[path.to_str().unwrap()]);
        assert!(
            file.contains("ELF 64-bit") && file.contains("x86-64"),
            "{file}"
        );
        assert!(file.contains("statically linked"), "{file}");
        let readelf = tool("readelf", &["-lW", path.to_str().unwrap()]);
        let loads: Vec<&str> = readelf
            .lines()
            .filter(|l| l.trim_start().starts_with("LOAD"))
            .collect();
        assert_eq!(loads.len(), 3, "{readelf}");
        assert!(
            loads
                .iter()
                .all(|l| !(l.contains(" RWE ") || l.contains(" RW E"))),
            "{readelf}"
        );
    }
}

/// A program with a loop on line 3 at column 3 and a multiply on line 4.
const LINES: &str = ",\n>++++\n  [<+>-\n   <.>]\n";

#[test]
fn addr2line_and_objdump_name_source_lines() {
    let dir = with_source(LINES);
    build(dir.path(), &["-g", "-O0", "prog.bf", "-o", "prog"]);
    let exe = dir.path().join("prog");
    let exe = exe.to_str().unwrap();
    let nm = tool("nm", &[exe]);
    let loop_at = nm
        .lines()
        .find(|l| l.ends_with(" bf.loop_3_3"))
        .unwrap_or_else(|| panic!("no symbol for the loop:\n{nm}"));
    let addr = loop_at.split(' ').next().unwrap();
    let line = tool("addr2line", &["-e", exe, addr]);
    assert!(line.trim_end().ends_with("prog.bf:3"), "{line}");
    let listing = tool("objdump", &["-dl", exe]);
    for n in 1..=4 {
        assert!(
            listing.contains(&format!("prog.bf:{n}\n")),
            "line {n}:\n{listing}"
        );
    }
    assert!(listing.contains("<bf.loop_3_3>:"), "{listing}");
    // With the source beside it, objdump -S shows the source lines.
    let source = tool("objdump", &["-S", exe]);
    assert!(source.contains("   <.>]"), "{source}");
}

#[test]
fn gdb_stops_at_a_breakpoint_on_a_source_line() {
    let dir = with_source(LINES);
    build(dir.path(), &["-g", "prog.bf", "-o", "prog"]);
    let gdb = Command::new("gdb")
        .current_dir(dir.path())
        .args([
            "-batch",
            "-nx",
            "-ex",
            "break prog.bf:4",
            "-ex",
            "run < /dev/null",
            "-ex",
            "info line *$pc",
            "-ex",
            "list 4,4",
            "-ex",
            "bt",
            "./prog",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("gdb is needed for this test (.ci/run installs it)");
    let text = String::from_utf8_lossy(&gdb.stdout);
    assert!(
        text.contains("Breakpoint 1, bf.main () at prog.bf:4"),
        "{text}\n{}",
        String::from_utf8_lossy(&gdb.stderr)
    );
    assert!(text.contains("Line 4 of \"prog.bf\""), "{text}");
    assert!(text.contains("4\t   <.>]"), "{text}");
    // The call frame information leads from the program back to _start, where it ends.
    assert!(text.contains("#0  bf.main () at prog.bf:4"), "{text}");
    assert!(text.contains(" in _start ()"), "{text}");
}

#[test]
fn bad_input_exits_2_and_leaves_no_file() {
    let dir = with_source("+[>+<-");
    let out = run(jitbf(dir.path(), &["build", "prog.bf"]), Stdio::null());
    let jit = run(jitbf(dir.path(), &["prog.bf"]), Stdio::null());
    assert_eq!(out.code, Some(2));
    assert_eq!(out.stderr, jit.stderr);
    assert!(
        out.stderr.starts_with("error: unmatched '['"),
        "{}",
        out.stderr
    );

    fs::write(dir.path().join("prog.bf"), "+.").unwrap();
    fs::create_dir(dir.path().join("prog")).unwrap();
    let out = run(jitbf(dir.path(), &["build", "prog.bf"]), Stdio::null());
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.stderr,
        "error: cannot write prog: Is a directory (os error 21)\n"
    );
    assert!(dir.path().join("prog").is_dir());

    let out = run(
        jitbf(dir.path(), &["build", "prog.bf", "-o", "missing/prog"]),
        Stdio::null(),
    );
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.starts_with("error: cannot write missing/prog: "),
        "{}",
        out.stderr
    );

    let out = run(jitbf(dir.path(), &["build", "nothing.bf"]), Stdio::null());
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.starts_with("error: cannot read nothing.bf"));

    // Only the source and the directory: no executable, no temporary file.
    let mut left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["prog", "prog.bf"]);
}

#[test]
fn an_object_file_links_into_the_same_executable() {
    // `--emit obj` and `ld`: the same behaviour, error message included.
    for source in [LINES, "+[<]"] {
        let dir = with_source(source);
        let emit = run(
            jitbf(dir.path(), &["--emit", "obj", "prog.bf", "-o", "prog.o"]),
            Stdio::null(),
        );
        assert_eq!((emit.code, emit.stderr.as_str()), (Some(0), ""));
        let header = tool(
            "readelf",
            &["-h", dir.path().join("prog.o").to_str().unwrap()],
        );
        assert!(header.contains("REL (Relocatable file)"), "{header}");
        let ld = Command::new("ld")
            .current_dir(dir.path())
            .args(["prog.o", "-o", "linked"])
            .output()
            .expect("ld is needed for this test (.ci/run installs binutils)");
        assert!(ld.status.success() && ld.stderr.is_empty(), "{ld:?}");
        let [linked, jit] = [
            Command::new(dir.path().join("linked")),
            jitbf(dir.path(), &["prog.bf"]),
        ]
        .map(|mut cmd| {
            cmd.current_dir(dir.path());
            run(
                cmd,
                Stdio::from(fs::File::open(programs_dir().join("greet.in")).unwrap()),
            )
        });
        assert_eq!(linked, jit, "{source}");
    }
}
