//! Embedding jitbf: run a Brainfuck program on in-memory input, capture its output, and
//! handle its errors.
//!
//! `cargo run --example embed`

use jitbf::{CellBits, Config, Eof, Error, Executor, Io, Program, RuntimeError};

/// ROT13 of its input, until end of input: the bundled `programs/rot13.bf`.
const ROT13: &str = include_str!("../programs/rot13.bf");

fn main() -> Result<(), Error> {
    // 1. The simplest use: default configuration (8-bit cells, EOF leaves the cell alone,
    //    2^20 cells, -O2), the JIT where there is one.
    let program = Program::new(ROT13, &Config::default())?;
    let mut io = Io::memory("Hello, World!");
    program.executor()?.run(&mut io)?;
    println!("rot13: {}", String::from_utf8_lossy(io.output()));

    // 2. The same program, run by the interpreter: the same bytes come out.
    let mut io2 = Io::memory("Hello, World!");
    program.interpreter().run(&mut io2)?;
    assert_eq!(io.output(), io2.output());

    // 3. A compiled program runs as many times as you like; each run gets a fresh tape.
    //    `compile` gives machine code where there is a JIT (Linux x86-64), else the
    //    interpreter, behind the same type.
    let mut compiled = program.compile()?;
    match compiled.code() {
        Some(code) => println!(
            "compiled to {} bytes of x86-64 in {:?}",
            code.len(),
            compiled.compile_time()
        ),
        None => println!("no JIT on this platform: the interpreter runs it"),
    }
    for word in ["jitbf", "uryyb"] {
        let mut io = Io::memory(word);
        compiled.run(&mut io)?;
        println!("{word} -> {}", String::from_utf8_lossy(io.output()));
    }

    // 4. Configuration: the cell width (and `,` at end of input, and the tape size).
    //    256 `+` wrap around to 0 in 8-bit cells but not in 16-bit ones.
    let wraps = format!("{}[>+<[-]]>.", "+".repeat(256));
    for bits in [CellBits::U8, CellBits::U16] {
        let config = Config::default().cell_bits(bits).eof(Eof::Zero);
        let program = Program::new(wraps.as_str(), &config)?;
        let mut io = Io::memory(Vec::new());
        program.executor()?.run(&mut io)?;
        println!("{bits:?}: 256 increments wrap to 0? {}", io.output() == [0]);
    }

    // 5. Errors are typed and carry source positions; `render` formats them like the CLI.
    let source = "++\n>+[<<]";
    let bad = Program::new(source, &Config::default())?;
    let mut io = Io::memory(Vec::new());
    match bad.executor()?.run(&mut io) {
        Err(e @ RuntimeError::PointerOutOfRange { .. }) => {
            print!(
                "{}",
                jitbf::render(&Error::Runtime(e), source.as_bytes(), "bad.bf")
            );
        }
        other => println!("unexpected: {other:?}"),
    }
    match Program::new("[[]", &Config::default()) {
        Err(e) => print!("{}", jitbf::render(&e, b"[[]", "unbalanced.bf")),
        Ok(_) => println!("unexpected: it parsed"),
    }
    Ok(())
}
