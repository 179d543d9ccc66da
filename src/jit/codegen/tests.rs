//! The code generator's beliefs, tested per IR instruction.
//!
//! For every kind of IR instruction, small hand-built programs put a belief in place (a
//! register holds a cell, the flags reflect a cell), run the instruction, and then use a
//! cell in a way that would exploit a stale belief (a test, an output, a multiply). They run
//! with [`Options::verify`], so the generated code checks every belief at run time before
//! each instruction, and their output must match the interpreter's, at every cell width and
//! with the cache on and off.

use crate::ir::{Instr, Ir, Op, Reach, Span};
use crate::jit::{Jit, Options};
use crate::{CellBits, Config, Eof, Executor, Io, OptLevel, Program, RuntimeError, Stats};

/// A program made of `ops` (no source: spans are empty).
fn program(ops: &[Op], mut ir: Ir, config: Config) -> Program {
    ir.code = ops
        .iter()
        .map(|&op| Instr {
            op,
            span: Span::default(),
        })
        .collect();
    Program {
        source: Vec::new(),
        ir,
        config,
        stats: Stats::default(),
    }
}

fn run(program: &Program, input: &[u8], options: Option<Options>) -> (Vec<u8>, String) {
    let mut io = Io::memory(input);
    let r = match options {
        None => program.interpreter().run(&mut io),
        Some(options) => Jit::with_options(program, options).unwrap().run(&mut io),
    };
    (io.take_output(), format!("{r:?}"))
}

/// Runs `ops` on `input` with the interpreter and with the verifying JIT (cache on and off)
/// and requires the same output and result.
fn agree(ops: &[Op], ir: &Ir, input: &[u8], cell_bits: CellBits, eof: Eof) {
    let config = Config {
        cell_bits,
        eof,
        tape_cells: 64,
        opt_level: OptLevel::O2,
        debug: false,
        profile: false,
    };
    let p = program(ops, ir.clone(), config);
    let want = run(&p, input, None);
    for cache in [true, false] {
        let options = Options::default().cache(cache).verify(true);
        let got = run(&p, input, Some(options));
        assert_eq!(
            got, want,
            "{ops:?} on {input:?}, {cell_bits:?} {eof:?}, cache {cache}"
        );
    }
}

/// Instructions that leave a belief about cell `c` behind.
fn producers(c: i32) -> Vec<Vec<Op>> {
    vec![
        vec![Op::Add { off: c, val: 1 }],
        vec![Op::Add {
            off: c,
            val: u32::MAX,
        }],
        vec![Op::Out { off: c }],
        vec![Op::MulAdd {
            src: c,
            dst: 5,
            k: 3,
        }],
        vec![Op::If { off: c }, Op::EndIf],
    ]
}

/// Instructions that use cell `c` in a way a stale belief would get wrong.
fn consumers(c: i32) -> Vec<Vec<Op>> {
    vec![
        vec![Op::If { off: c }, Op::Print { start: 0, len: 1 }, Op::EndIf],
        vec![Op::Out { off: c }],
        vec![
            Op::MulAdd {
                src: c,
                dst: 6,
                k: 1,
            },
            Op::Out { off: 6 },
        ],
        vec![
            Op::Loop { off: c },
            Op::Add { off: 7, val: 1 },
            Op::Set { off: c, val: 0 },
            Op::EndLoop { off: c },
            Op::Out { off: 7 },
        ],
    ]
}

/// Every kind of IR instruction (with its partners, for the bracketing ones), acting on
/// cells among 0..=3. `check` is a bounds check of one step right, for the scans.
fn subjects(check: crate::ir::CheckId) -> Vec<Vec<Op>> {
    let mut all = Vec::new();
    for c in 0..=2 {
        all.extend([
            vec![Op::Add { off: c, val: 1 }],
            vec![Op::Add { off: c, val: 0xff }],
            vec![Op::Add { off: c, val: 0x100 }],
            vec![Op::Set { off: c, val: 0 }],
            vec![Op::Set { off: c, val: 9 }],
            vec![Op::Out { off: c }],
            vec![Op::In { off: c }],
            vec![Op::Print { start: 0, len: 2 }],
            vec![Op::If { off: c }, Op::Add { off: 3, val: 1 }, Op::EndIf],
            vec![
                Op::Loop { off: c },
                Op::Set { off: c, val: 0 },
                Op::EndLoop { off: c },
            ],
            vec![
                Op::Check(check),
                Op::Move { delta: 1 },
                Op::Move { delta: -1 },
            ],
            vec![
                Op::Loop { off: c },
                Op::Check(check),
                Op::Move { delta: 1 },
                Op::EndLoop { off: c },
            ],
            vec![
                Op::Scan {
                    off: c,
                    step: 1,
                    check,
                },
                Op::Set { off: 0, val: 0 },
            ],
            vec![Op::Check(check)],
        ]);
        for src in 0..=2 {
            for k in [1, 2, 0xff, 0x8000, 0x1_0001] {
                all.push(vec![Op::MulAdd { src, dst: c, k }]);
                all.push(vec![Op::MulSet { src, dst: c, k }]);
            }
            for (k, max) in [(1, 3), (u32::MAX, 3), (5, 1), (u32::MAX, 200)] {
                all.push(vec![Op::MulAddMin {
                    src,
                    dst: c,
                    k,
                    max,
                }]);
            }
        }
    }
    all
}

#[test]
fn every_ir_instruction_keeps_the_beliefs_true() {
    let mut ir = Ir {
        bytes: b"ab".to_vec(),
        ..Ir::default()
    };
    let check = ir.add_excursion(0, [Reach::new(1, 0, 1, 1)]);
    // Inputs that make cells zero, small, 0x80 and 0xff (and end of input half-way).
    let inputs: [&[u8]; 4] = [b"\0\0\0", b"\x01\x00\xff", b"\x80\x01", b"\xff\xff\x00\x05"];
    let mut runs = 0;
    for subject in subjects(check) {
        for c in 0..=2 {
            for producer in producers(c) {
                for consumer in consumers(c) {
                    let mut ops = vec![Op::In { off: 0 }, Op::In { off: 1 }, Op::In { off: 2 }];
                    ops.extend(&producer);
                    ops.extend(&subject);
                    ops.extend(&consumer);
                    // Rotate through inputs, cell widths and EOF modes (coprime cycles).
                    let widths = [CellBits::U8, CellBits::U16, CellBits::U32];
                    let eofs = [Eof::Unchanged, Eof::Zero, Eof::Max];
                    let (w, e) = (widths[runs % 3], eofs[(runs / 3) % 3]);
                    agree(&ops, &ir, inputs[runs % inputs.len()], w, e);
                    runs += 1;
                }
            }
        }
    }
    assert!(runs > 1000, "{runs}");
}

#[test]
fn a_wrong_belief_is_caught_at_run_time() {
    // `in p[0]` leaves the byte in eax; the sabotage makes the generator believe eax holds
    // p[1] (which is 0), so `out p[1]` would print 5 instead of 0.
    let ops = [Op::In { off: 0 }, Op::Out { off: 1 }];
    let p = program(&ops, Ir::default(), Config::default());
    let mut options = Options::default().verify(true);
    options.sabotage = Some(1);
    let mut io = Io::memory(*b"\x05");
    let err = Jit::with_options(&p, options)
        .unwrap()
        .run(&mut io)
        .unwrap_err();
    match err {
        RuntimeError::Internal(msg) => {
            assert!(msg.contains("before IR instruction 1 (out p[1])"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
    // Without verification the lie goes unnoticed: this is what the check is for.
    options.verify = false;
    let mut io = Io::memory(*b"\x05");
    Jit::with_options(&p, options)
        .unwrap()
        .run(&mut io)
        .unwrap();
    assert_eq!(io.take_output(), [5]);
}

/// Compiles `src` at -O2 with `options` and returns the machine code and the JIT's output.
fn code_and_output(src: &str, options: Options) -> (Vec<u8>, Vec<u8>) {
    let program = Program::new(src.as_bytes(), &Config::default()).unwrap();
    let mut jit = Jit::with_options(&program, options).unwrap();
    let mut io = Io::memory(b"");
    jit.run(&mut io).unwrap();
    (jit.code().to_vec(), io.take_output())
}

#[test]
fn a_jump_over_a_short_if_takes_two_bytes() {
    // `,[>+.<[-]]`-like shapes: the `je` over a few instructions is `74 xx`, not
    // `0f 84 xx xx xx xx`.
    let src = ",[>+.<[-]]";
    let program = Program::new(src.as_bytes(), &Config::default()).unwrap();
    let listing = Jit::new(&program).unwrap().disassemble();
    let line = listing
        .lines()
        .find(|l| l.contains(" je "))
        .expect("a je in the listing");
    assert!(line.contains(" 74 "), "{line}");
}

#[test]
fn a_jump_guessed_short_that_is_not_falls_back_to_the_long_form() {
    // An `if` whose body is far longer than 127 bytes, with every forward jump forced to
    // the short form: assembling fails, and the program is compiled again with long jumps.
    let body = ">+".repeat(100) + &"<".repeat(100);
    let src = format!("+[{body}.[-]]>.");
    let (_, out) = code_and_output(&src, Options::default());
    let forced = Options {
        all_short: true,
        ..Options::default()
    };
    let (fallback, out_fallback) = code_and_output(&src, forced);
    assert_eq!(out_fallback, out);
    let program = Program::new(src.as_bytes(), &Config::default()).unwrap();
    let all_long = match super::compile_with(program.ir(), program.config(), false, forced, false) {
        Ok(code) => code.bytes,
        Err(_) => panic!("compiles with long jumps"),
    };
    assert_eq!(
        fallback, all_long,
        "the fallback is the all-long-jumps code"
    );
}

/// A ladder level with a carry, as factor's decimal carries have it: `p[0] -= min(p[0], 9)`
/// leaves ZF telling whether `p[0]` is 0, so the carry `min(p[0], 1)` that follows is one
/// `setnz` of byte cells (no `xor`, no `test`). Right for every value, at every width (the
/// wider cells keep the `xor`/`test`/`setnz` form, which defines the bits above the byte).
#[test]
fn a_carry_after_a_ladder_level_reuses_its_flags() {
    let ops = [
        Op::In { off: 0 },
        Op::In { off: 1 },
        Op::MulAddMin {
            src: 0,
            dst: 1,
            k: 1,
            max: 9,
        },
        Op::MulAddMin {
            src: 0,
            dst: 0,
            k: u32::MAX,
            max: 9,
        },
        Op::MulAddMin {
            src: 0,
            dst: 2,
            k: 0xf6,
            max: 1,
        },
        Op::MulAddMin {
            src: 0,
            dst: 1,
            k: 1,
            max: 1,
        },
        Op::Out { off: 0 },
        Op::Out { off: 1 },
        Op::Out { off: 2 },
    ];
    for cell_bits in [CellBits::U8, CellBits::U16, CellBits::U32] {
        for d in [0u8, 1, 8, 9, 10, 11, 127, 128, 255] {
            agree(&ops, &Ir::default(), &[d, 250], cell_bits, Eof::Unchanged);
        }
    }
    let p = program(&ops, Ir::default(), Config::default());
    let listing = Jit::new(&p).unwrap().disassemble();
    let lines: Vec<&str> = listing.lines().filter(|l| !l.starts_with(';')).collect();
    let at = lines
        .iter()
        .position(|l| l.contains("setne dl"))
        .expect("a setne in the listing");
    // (The `sub` of `p[0] -= min(p[0], 9)` sets ZF; nothing in between touches it.)
    let before = lines[at - 1];
    assert!(
        before.contains(" sub ") && before.ends_with(",dl"),
        "{listing}"
    );
}

#[test]
fn unrolled_scans_stop_at_the_first_zero_whichever_exit_finds_it() {
    // The unrolled scan (strides that do not divide 32 bytes) tests four cells per loop
    // iteration and leaves by one of five ways, each with its own fix-up of the position:
    // the test before the loop, the three inside, and the loop's own. The first zero is put
    // 0 to 9 strides away, so that each way is taken, going right and left; the cells come
    // from the input, so that no pass knows where the scan stops. A marker next to the zero
    // is printed from where the scan stopped.
    for cell_bits in [CellBits::U8, CellBits::U16, CellBits::U32] {
        let config = Config {
            cell_bits,
            ..Config::default()
        };
        for stride in [3usize, 5, 9] {
            let step = |c: char| c.to_string().repeat(stride);
            for n in 0..10usize {
                // Right: p[k * stride] = 1 for k < n, p[n * stride] = 0, marker right of it.
                let mut src = String::new();
                for _ in 0..n {
                    src += ",";
                    src += &step('>');
                }
                src += ">,<";
                src += &step('<').repeat(n);
                src += &format!("[{}]>.", step('>'));
                let mut input = vec![1u8; n];
                input.push(7);
                let program = Program::new(src.as_bytes(), &config).unwrap();
                let want = run(&program, &input, None);
                assert_eq!(want.0, [7], "{src}");
                let got = run(&program, &input, Some(Options::default().verify(true)));
                assert_eq!(got, want, "{src} {cell_bits:?}");
                // Left: marker p[0], zero p[1], p[1 + k * stride] = 1 for 1 <= k <= n.
                let mut src = String::from(",>");
                for _ in 0..n {
                    src += &step('>');
                    src += ",";
                }
                src += &format!("[{}]<.", step('<'));
                let mut input = vec![7u8];
                input.extend(std::iter::repeat_n(1u8, n));
                let program = Program::new(src.as_bytes(), &config).unwrap();
                let want = run(&program, &input, None);
                assert_eq!(want.0, [7], "{src}");
                let got = run(&program, &input, Some(Options::default().verify(true)));
                assert_eq!(got, want, "{src} {cell_bits:?}");
            }
        }
    }
}
