//! The command line as a newcomer meets it: subcommands against file names, programs from
//! standard input, usage messages, colour on a terminal (through a pseudo-terminal), shell
//! completions, the man page and `explore`.

mod pty;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use pty::pty;

const BIN: &str = env!("CARGO_BIN_EXE_jitbf");

/// Runs jitbf in `dir` with `args` and `stdin`, without colour-forcing variables.
fn jitbf_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut input, &data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn jitbf(args: &[&str], stdin: &[u8]) -> Output {
    jitbf_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, stdin)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_dash_reads_the_program_from_stdin() {
    let out = jitbf(&["-"], b"++++++++[>++++++++<-]>+.");
    assert_eq!(
        (out.status.code(), &out.stdout[..]),
        (Some(0), &b"A"[..]),
        "{}",
        stderr(&out)
    );
    // Its input then comes from -i.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in"), b"xy").unwrap();
    let out = jitbf_in(dir.path(), &["-", "-i", "in"], b",.,.");
    assert_eq!(out.stdout, b"xy", "{}", stderr(&out));
    // Errors name it.
    let out = jitbf(&["-"], b"+[");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--> <stdin>:1:2"), "{}", stderr(&out));
}

#[test]
fn file_names_are_never_taken_for_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["bench", "a.b", "b.b"] {
        std::fs::write(dir.path().join(name), b"++++++++[>++++++++<-]>+.").unwrap();
    }
    // A second file is an unexpected argument, not a subcommand.
    let out = jitbf_in(dir.path(), &["a.b", "b.b"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unexpected argument 'b.b'"), "{err}");
    assert!(!err.contains("subcommand"), "{err}");
    // A program named like a subcommand runs by path or with `run`...
    for args in [&["./bench"][..], &["run", "bench"], &["-O1", "bench"]] {
        let out = jitbf_in(dir.path(), args, b"");
        assert_eq!(out.stdout, b"A", "{args:?}: {}", stderr(&out));
    }
    // ... and the subcommand's error says how.
    let out = jitbf_in(dir.path(), &["bench"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`jitbf ./bench` or `jitbf run bench`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_lines_say_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.bf"), b"+").unwrap();
    let out = jitbf_in(dir.path(), &["-e", "+", "p.bf"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("cannot be used with"), "{err}");
    assert!(
        err.contains("Usage: jitbf [OPTIONS] <FILE>\n       jitbf [OPTIONS] -e <CODE>"),
        "{err}"
    );
    // bench's -O is its own, not the one of --interp.
    let help = String::from_utf8(jitbf(&["bench", "--help"], b"").stdout).unwrap();
    let opt = help
        .lines()
        .skip_while(|l| !l.contains("-O <LEVEL>"))
        .nth(1)
        .unwrap_or("");
    assert!(
        help.contains("-O <LEVEL>") && !help.contains("--interp"),
        "{help}"
    );
    assert!(opt.contains("JIT"), "{help}");
}

#[test]
fn interp_with_machine_code_listings_is_an_error() {
    for what in ["asm", "bin"] {
        let out = jitbf(
            &["--interp", "--emit", what, "-e", "+", "-o", "/dev/null"],
            b"",
        );
        assert_eq!(out.status.code(), Some(2), "{what}");
        assert!(
            stderr(&out).contains("--interp runs the interpreter"),
            "{}",
            stderr(&out)
        );
    }
    // The IR the interpreter runs: the literal one unless -O says otherwise.
    let interp = jitbf(&["--interp", "--emit", "ir", "-e", "+>+<"], b"").stdout;
    assert_eq!(
        interp,
        jitbf(&["-O0", "--emit", "ir", "-e", "+>+<"], b"").stdout
    );
    assert_ne!(interp, jitbf(&["--emit", "ir", "-e", "+>+<"], b"").stdout);
}

#[test]
fn an_empty_ir_listing_says_so() {
    for source in ["no commands", "+-", "[-]"] {
        let out = jitbf(&["--emit", "ir", "-e", source], b"");
        assert_eq!(out.status.code(), Some(0));
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("; no instructions"),
            "{source}: {:?}",
            out.stdout
        );
    }
}

#[test]
fn completions_and_man_page_cover_every_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = jitbf(&["completions", shell], b"");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for word in ["explore", "bench", "cell-bits", "emit"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    let man = String::from_utf8(jitbf(&["man"], b"").stdout).unwrap();
    assert!(man.contains(".TH jitbf 1"), "{man}");
    for word in [
        "jitbf\\-explore(1)",
        "jitbf\\-bench(1)",
        "\\-\\-tape\\-size",
        "Exit status",
    ] {
        assert!(man.contains(word), "man page lacks {word}:\n{man}");
    }
    let bench = String::from_utf8(jitbf(&["man", "bench"], b"").stdout).unwrap();
    assert!(bench.contains(".TH jitbf-bench 1"), "{bench}");
    assert!(bench.contains("\\fBjitbf bench\\fR"), "{bench}");
    let out = jitbf(&["man", "nonesuch"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("explore"), "{}", stderr(&out));
}

#[test]
fn explore_writes_a_page_named_after_the_program() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prog.bf"), b"+[->+<]").unwrap();
    let out = jitbf_in(dir.path(), &["explore", "prog.bf"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(dir.path().join("prog.html")).unwrap();
    assert!(page.contains("<title>jitbf explore: prog.bf</title>"));
    assert!(stderr(&out).contains("wrote prog.html"), "{}", stderr(&out));
    // To stdout with -o -, and errors as for running.
    let out = jitbf(&["explore", "-e", "+", "-o", "-"], b"");
    assert!(out.stdout.starts_with(b"<!DOCTYPE html>"));
    let out = jitbf(&["explore", "-e", "[", "-o", "-"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: unmatched '['"),
        "{}",
        stderr(&out)
    );
}

/// Runs jitbf with stdout and stderr on a terminal; returns what the terminal showed and the
/// exit status.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> (String, Option<i32>) {
    let (mut controller, terminal) = pty();
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(terminal.try_clone().unwrap())
        .stderr(terminal)
        .spawn()
        .unwrap();
    let status = child.wait().unwrap();
    // The child is gone (and our copy of the terminal side with the Command): read what it
    // wrote until the pty reports that no one holds the terminal side open.
    let mut shown = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match controller.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => shown.extend_from_slice(&buf[..n]),
        }
    }
    (String::from_utf8_lossy(&shown).into_owned(), status.code())
}

#[test]
fn errors_are_coloured_on_a_terminal_only() {
    let (shown, code) = on_a_terminal(&["-e", "+[<]"], &[]);
    assert_eq!(code, Some(1));
    assert!(shown.contains("\x1b[1m\x1b[31merror"), "{shown:?}");
    assert!(shown.contains("this move left the tape"), "{shown:?}");
    // NO_COLOR turns it off.
    let (shown, _) = on_a_terminal(&["-e", "+[<]"], &[("NO_COLOR", "1")]);
    assert!(
        !shown.contains('\x1b') && shown.contains("error: pointer"),
        "{shown:?}"
    );
    // Piped: never (unless forced).
    let out = jitbf(&["-e", "+[<]"], b"");
    assert!(!stderr(&out).contains('\x1b'), "{}", stderr(&out));
    let forced = Command::new(BIN)
        .args(["-e", "+[<]"])
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(stderr(&forced).contains('\x1b'), "{}", stderr(&forced));
}

#[test]
fn machine_code_is_not_written_to_a_terminal() {
    let (shown, code) = on_a_terminal(&["--emit", "bin", "-e", "+"], &[]);
    assert_eq!(code, Some(2), "{shown}");
    assert!(
        shown.contains("refusing to write machine code to a terminal"),
        "{shown}"
    );
    assert!(!shown.contains("code generation failed"), "{shown}");
}
