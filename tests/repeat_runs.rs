//! A compiled program run again and again keeps its tape and buffers between runs: every run
//! must still behave as a first one. Checked against the interpreter (which starts afresh
//! every time) on a tape of a few cells and one just past a page, at every cell width, with
//! counting and tape dumps on and off, for runs that end normally, fall off either end of
//! the tape, or read more or less input than the one before.

use jitbf::{CellBits, Config, Eof, Executor, Io, OptLevel, Program};

fn interpreted(program: &Program, input: &[u8]) -> (Vec<u8>, Result<(), String>) {
    let mut io = Io::memory(input);
    let r = program
        .interpreter()
        .run(&mut io)
        .map_err(|e| e.to_string());
    (io.take_output(), r)
}

#[cfg(jitbf_jit)]
#[test]
fn every_run_of_a_kept_jit_is_a_first_run() {
    // Each terminates whatever the input and end-of-input mode (with 8-bit cells for `Max`).
    let far = format!(
        ",[{r}+{l}-]{r}.",
        r = ">".repeat(4090),
        l = "<".repeat(4090)
    );
    let programs = [
        ",.,.,.,.,.",
        // Adds the input to a cell on a later page and prints it: a cell left from the
        // run before would show.
        &far,
        ",[>,]<[.<]",
        ",[>+]",
        "+[<+]",
        "-[>-]",
        ">>>>>>>>,.[>.]",
        ",[->+>+<<]>[.>]>.[<]",
        ",[[->+<]>,]>>.<<[-]+[<.]",
        ",[>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>,]",
    ];
    let inputs: [&[u8]; 4] = [
        b"\x03abc",
        b"",
        b"\x05\x01\x02\xff\x00zz",
        b"\x01\x00\x07\x07\x07\x07\x07\x07",
    ];
    for src in programs.iter().copied() {
        for bits in [CellBits::U8, CellBits::U16, CellBits::U32] {
            let eofs: &[Eof] = match bits {
                CellBits::U8 => &[Eof::Unchanged, Eof::Zero, Eof::Max],
                _ => &[Eof::Zero],
            };
            for &eof in eofs {
                for tape in [7usize, 4097] {
                    for level in [OptLevel::O0, OptLevel::O2] {
                        for (profile, debug) in [(false, false), (true, true)] {
                            let config = Config::default()
                                .cell_bits(bits)
                                .tape_cells(tape)
                                .opt_level(level)
                                .profile(profile)
                                .debug(debug)
                                .eof(eof);
                            let program = Program::new(src, &config).unwrap();
                            let mut jit = program.compile().unwrap();
                            for (k, input) in inputs.iter().enumerate() {
                                let want = interpreted(&program, input);
                                let mut io = Io::memory(*input);
                                let result = jit.run(&mut io).map_err(|e| e.to_string());
                                assert_eq!(
                                    (io.take_output(), result),
                                    want,
                                    "{src} {config:?}, run {k}, input {input:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
