//! The pipeline stage by stage for one small program: the source, the literal IR, the
//! optimized IR, and the x86-64 code the JIT generates for it, annotated with the source.
//!
//! `cargo run --example emit_asm` (or pass your own program: `cargo run --example emit_asm -- ',[.,]'`)

use jitbf::{Config, OptLevel, Program};

fn main() -> Result<(), jitbf::Error> {
    let source = std::env::args()
        .nth(1)
        .unwrap_or_else(|| ",[>+++<-]>.".to_string());
    println!("source: {source}\n");

    // The parser's literal translation: one IR op per run of identical commands.
    let literal = Program::parse(source.as_bytes())?;
    println!(
        "IR straight from the parser (-O0):\n{}",
        literal.ir().listing(literal.source())
    );

    // The optimizer's result at -O1 (moves folded into offsets) and -O2 (everything).
    for level in [OptLevel::O1, OptLevel::O2] {
        let program = Program::new(source.as_bytes(), &Config::default().opt_level(level))?;
        println!(
            "IR at {level:?}:\n{}",
            program.ir().listing(program.source())
        );
    }

    // The machine code for the -O1 program, which still has its loop (where there is a JIT).
    let program = Program::new(
        source.as_bytes(),
        &Config::default().opt_level(OptLevel::O1),
    )?;
    let compiled = program.compile()?;
    match (compiled.code(), compiled.disassemble()) {
        (Some(code), Some(listing)) => {
            println!("x86-64 at O1 ({} bytes):\n{listing}", code.len())
        }
        _ => println!("(no JIT on this platform, so no machine code to show)"),
    }
    Ok(())
}
