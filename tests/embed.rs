//! Embedding jitbf through its public API only: in-memory and file I/O, configuration,
//! typed errors with positions, running a compiled program repeatedly and from several
//! threads at once, and system calls interrupted by signals.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use jitbf::{
    CellBits, Config, Eof, Error, Executor, Input, Io, OptLevel, Output, Program, RuntimeError,
    Side,
};

/// Runs `src` with every executor available and checks they agree; returns the output and
/// the result.
fn run_all(src: &str, config: &Config, input: &[u8]) -> (Vec<u8>, Result<(), String>) {
    let program = Program::new(src, config).unwrap();
    let mut io = Io::memory(input);
    let interp = program
        .interpreter()
        .run(&mut io)
        .map_err(|e| e.to_string());
    let interp_out = io.take_output();
    let mut io = Io::memory(input);
    let best = program
        .executor()
        .unwrap()
        .run(&mut io)
        .map_err(|e| e.to_string());
    assert_eq!(io.output(), interp_out, "{src}: outputs differ");
    assert_eq!(best, interp, "{src}: results differ");
    (interp_out, interp)
}

#[test]
fn in_memory_input_and_output() {
    let (out, r) = run_all(",[.,]", &Config::default().eof(Eof::Zero), b"hello");
    r.unwrap();
    assert_eq!(out, b"hello");
}

#[test]
fn output_before_an_error_is_kept_and_the_error_names_the_move() {
    let program = Program::new("+++.\n>>.<<<", &Config::default()).unwrap();
    let mut io = Io::memory(Vec::new());
    let err = program.executor().unwrap().run(&mut io).unwrap_err();
    assert_eq!(io.output(), [3, 0]);
    match err {
        RuntimeError::PointerOutOfRange { side, pos, at } => {
            assert_eq!(side, Side::Left);
            assert_eq!(pos, 10);
            assert_eq!((at.line, at.col), (2, 6));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn parse_errors_are_typed_with_positions() {
    match Program::new("+\n+]", &Config::default()) {
        Err(Error::Parse { error, at }) => {
            assert_eq!(error.kind, jitbf::parse::ParseErrorKind::UnmatchedClose);
            assert_eq!((at.line, at.col), (2, 2));
        }
        other => panic!("{other:?}"),
    }
    let shown = jitbf::render(&Program::parse("[").unwrap_err(), b"[", "x.bf");
    assert!(shown.starts_with("error: unmatched '['"), "{shown}");
    assert!(shown.contains("--> x.bf:1:1"), "{shown}");
}

#[test]
fn parse_then_optimize_is_new() {
    let src = "++[>+++<-]>[-]<,.>.";
    for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2] {
        let config = Config::default().opt_level(level);
        let staged = Program::parse(src).unwrap().optimize(&config);
        let direct = Program::new(src, &config).unwrap();
        assert_eq!(staged.ir(), direct.ir(), "{level:?}");
        assert_eq!(staged.config(), direct.config());
    }
}

#[test]
fn configuration_cell_bits_eof_and_tape() {
    // 256 increments wrap to zero only in 8-bit cells.
    let wraps = format!("{}[>+<[-]]>.", "+".repeat(256));
    for (bits, want) in [(CellBits::U8, 0), (CellBits::U16, 1), (CellBits::U32, 1)] {
        let (out, r) = run_all(&wraps, &Config::default().cell_bits(bits), b"");
        r.unwrap();
        assert_eq!(out, [want], "{bits:?}");
    }
    for (eof, want) in [(Eof::Unchanged, 9u8), (Eof::Zero, 0), (Eof::Max, 255)] {
        let (out, _) = run_all("+++++++++,.", &Config::default().eof(eof), b"");
        assert_eq!(out, [want], "{eof:?}");
    }
    // Right at the end of a 5-cell tape.
    let small = Config::default().tape_cells(5);
    run_all(">>>>+.", &small, b"").1.unwrap();
    let (_, r) = run_all(">>>>>+", &small, b"");
    assert!(r.unwrap_err().contains("past the end of the tape at 1:5"));
}

#[cfg(jitbf_jit)]
#[test]
fn a_compiled_program_runs_again_from_a_fresh_tape() {
    let program = Program::new(",[->+<]>.", &Config::default()).unwrap();
    let mut jit = program.compile().unwrap();
    assert!(jit.is_jit() && !jit.code().unwrap().is_empty());
    for byte in [5u8, 7, 0, 200] {
        let mut io = Io::memory([byte]);
        jit.run(&mut io).unwrap();
        assert_eq!(io.output(), [byte]);
    }
}

#[cfg(jitbf_jit)]
#[test]
fn every_run_starts_from_a_zero_tape_even_after_a_failed_one() {
    // A compiled program keeps its tape between runs and zeroes it for the next: cells on
    // later pages too, and after a run that ended with an error. (At -O0 the `+` adds to
    // what the cell holds; the optimizer, which knows the tape starts zeroed, makes it a
    // store.)
    let src = format!("{}+.{},[<]", ">".repeat(70_000), "<".repeat(70_000));
    for level in [OptLevel::O0, OptLevel::O2] {
        let program = Program::new(src.as_str(), &Config::default().opt_level(level)).unwrap();
        let mut jit = program.compile().unwrap();
        for (input, fails) in [(1u8, true), (0, false), (1, true), (1, true), (0, false)] {
            let mut io = Io::memory([input]);
            let result = jit.run(&mut io);
            assert_eq!(io.output(), [1], "{level:?}, input {input}");
            assert_eq!(
                result.is_err(),
                fails,
                "{level:?}, input {input}: {result:?}"
            );
        }
    }
}

#[test]
fn files_as_input_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let (inp, outp) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::write(&inp, b"abc").unwrap();
    let program = Program::new(",.,.,.", &Config::default()).unwrap();
    let mut io = Io {
        input: Input::File(std::fs::File::open(&inp).unwrap()),
        output: Output::File(std::fs::File::create(&outp).unwrap()),
        diagnostics: Default::default(),
    };
    program.executor().unwrap().run(&mut io).unwrap();
    drop(io);
    assert_eq!(std::fs::read(&outp).unwrap(), b"abc");
}

#[test]
fn programs_run_in_parallel_threads_with_their_own_errors() {
    // Each thread runs a program that fails at a different position; faults are per thread.
    let handles: Vec<_> = (1..=8)
        .map(|n| {
            thread::spawn(move || {
                let src = format!("{}.{}", ">".repeat(n), "<".repeat(n + 1));
                let program = Program::new(src.as_str(), &Config::default()).unwrap();
                let mut io = Io::memory(Vec::new());
                let err = program.executor().unwrap().run(&mut io).unwrap_err();
                match err {
                    RuntimeError::PointerOutOfRange { pos, .. } => (n, pos as usize),
                    other => panic!("{other:?}"),
                }
            })
        })
        .collect();
    for h in handles {
        let (n, pos) = h.join().unwrap();
        // `n` moves right, the `.`, then n+1 moves left: the last one leaves the tape.
        assert_eq!(pos, 2 * n + 1, "thread {n}");
    }
}

#[test]
fn an_executor_moves_to_another_thread_between_runs() {
    // The executor keeps its tape for the next run; it must stay `Send` so an embedder can
    // compile on one thread and run on another (a compile error here, not a panic).
    fn moved<T: Send + 'static>(t: T) -> T {
        thread::spawn(move || t).join().unwrap()
    }
    let program: &'static Program = Box::leak(Box::new(
        Program::new("+++++[>+++++++++++++<-]>.", &Config::default()).unwrap(),
    ));
    let mut jit = program.compile().unwrap();
    let mut io = Io::memory(Vec::new());
    jit.run(&mut io).unwrap();
    let mut jit = moved(jit);
    let mut io = Io::memory(Vec::new());
    jit.run(&mut io).unwrap();
    assert_eq!(io.output(), b"A");
}

#[test]
fn the_executor_trait_makes_them_interchangeable() {
    let program = Program::new("++++++++[>++++++++<-]>+.", &Config::default()).unwrap();
    let mut executors: Vec<Box<dyn Executor + '_>> = vec![Box::new(program.interpreter())];
    executors.push(program.executor().unwrap());
    for e in &mut executors {
        let mut io = Io::memory(Vec::new());
        e.run(&mut io).unwrap();
        assert_eq!(io.output(), b"A");
    }
}

/// Interrupted system calls: a thread runs a program that copies a pipe to a pipe while
/// another thread keeps interrupting it with a signal whose handler does not restart system
/// calls. `read` and `write` then fail with `EINTR` or come back short; nothing may be lost,
/// duplicated or reported as an error.
#[cfg(jitbf_jit)]
#[test]
fn interrupted_and_short_reads_and_writes_lose_nothing() {
    extern "C" fn ignore(_: libc::c_int) {}
    // SAFETY: installs a handler that does nothing (async-signal-safe), without SA_RESTART,
    // for a signal nothing else in this test process uses.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore as *const () as usize;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
    let data: Vec<u8> = (0..400_000u32).map(|i| (i % 251) as u8 + 1).collect();
    let (in_reader, mut in_writer) = std::io::pipe().unwrap();
    let (mut out_reader, out_writer) = std::io::pipe().unwrap();

    // Writer: feeds the input in small pieces, so reads often wait.
    let feed = data.clone();
    let writer = thread::spawn(move || {
        for chunk in feed.chunks(997) {
            in_writer.write_all(chunk).unwrap();
            thread::sleep(Duration::from_micros(200));
        }
    });
    // Reader: drains the output slowly, so writes often block and come back short.
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match out_reader.read(&mut buf).unwrap() {
                0 => break got,
                n => got.extend_from_slice(&buf[..n]),
            }
            thread::sleep(Duration::from_micros(100));
        }
    });
    // The program thread, and its id for pthread_kill.
    let (tid_tx, tid_rx) = mpsc::channel();
    let runner = thread::spawn(move || {
        // SAFETY: pthread_self has no preconditions.
        tid_tx.send(unsafe { libc::pthread_self() }).unwrap();
        let program = Program::new(",[.[-],]", &Config::default()).unwrap();
        let mut jit = program.compile().unwrap();
        let mut io = Io {
            input: Input::File(OwnedFd::from(in_reader).into()),
            output: Output::File(OwnedFd::from(out_writer).into()),
            diagnostics: Default::default(),
        };
        jit.run(&mut io)
    });
    let tid = tid_rx.recv().unwrap();
    let mut signals = 0;
    while !runner.is_finished() {
        // SAFETY: the thread is alive (not finished) and has a handler for SIGUSR1.
        unsafe { libc::pthread_kill(tid, libc::SIGUSR1) };
        signals += 1;
        thread::sleep(Duration::from_micros(50));
    }
    runner.join().unwrap().unwrap();
    writer.join().unwrap();
    let got = reader.join().unwrap();
    assert!(
        signals > 10,
        "the program should have been interrupted many times"
    );
    assert_eq!(got.len(), data.len());
    assert!(got == data, "output differs from input");
}
