//! End-to-end run time: the JIT vs the IR interpreter vs a naive interpreter.
//!
//! For every program (the bundled `programs/*.bf`, then the corpus `NAME.b` files in
//! `$JITBF_CORPUS`, else `../shared/corpus`, when that directory exists) there is one criterion
//! group, `programs/NAME` or `corpus/NAME`, with up to three functions:
//!
//! * `jit`: the program compiled to machine code at `-O2` (what `jitbf FILE` does; Linux x86-64
//!   only, left out elsewhere);
//! * `interp`: jitbf's IR interpreter on the same `-O2` IR (what `jitbf --interp FILE` does);
//! * `naive`: the byte-at-a-time interpreter below, the "what does a naive interpreter cost"
//!   baseline.
//!
//! Parsing, optimizing and compiling happen once, outside the timed loop. Each timed iteration
//! is one whole run from a fresh zeroed tape with a fresh [`Io::memory`] holding the program's
//! `.in` input (the naive interpreter reads the input slice directly). Before the first
//! measurement of each function, one run's output is compared with the `.out` file, and a
//! mismatch panics naming the program and executor.
//!
//! The naive and IR interpreters take seconds to minutes on the heavy corpus programs
//! ([`HEAVY`]: mandelbrot, dbfi, awib, factor, long, hanoi, bench, lostkng), so by default
//! those programs are benchmarked with the JIT only. Set `JITBF_BENCH_ALL=1` to include the
//! interpreters there too: about half an hour more on 2 cores, as one naive run of most of
//! them takes 10 to 30 seconds and criterion needs a dozen.
//!
//! Running it:
//!
//! ```text
//! cargo bench --bench run                  # everything (about 4 minutes on 2 cores)
//! cargo bench --bench run -- mandelbrot    # one program, executors side by side
//! cargo bench --bench run -- /jit          # the JIT on every program (a regex filter)
//! cargo bench --bench run -- programs/     # only the bundled programs
//! JITBF_CORPUS=/path/to/corpus cargo bench --bench run
//! JITBF_BENCH_ALL=1 cargo bench --bench run -- corpus/mandelbrot
//! cargo bench --bench run -- --measurement-time 10 hello   # longer, steadier measurements
//! ```
//!
//! Samples are few and short (10 samples, 0.5 s warm-up, 2 s measurement) to keep the whole
//! run to minutes on a small machine; criterion's command-line options override these.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use jitbf::{Config, Executor, Io, Program};

use common::Case;

/// Corpus programs that take seconds to minutes in an interpreter: only the JIT runs them,
/// unless `JITBF_BENCH_ALL=1`.
const HEAVY: &[&str] = &[
    "mandelbrot",
    "dbfi",
    "awib",
    "factor",
    "long",
    "hanoi",
    "bench",
    "lostkng",
];

fn bench_run(c: &mut Criterion) {
    let bench_all = std::env::var_os("JITBF_BENCH_ALL").is_some_and(|v| v == "1");
    if !jitbf::JIT_AVAILABLE {
        eprintln!("note: no JIT on this platform (it needs Linux on x86-64): interpreters only");
    }
    let mut skipped = Vec::new();
    for case in common::all_cases() {
        let group_name = case.group_name();
        let program = Program::new(case.source.clone(), &Config::default())
            .unwrap_or_else(|e| panic!("{group_name}: does not parse: {e}"));
        let mut group = c.benchmark_group(&group_name);

        if jitbf::JIT_AVAILABLE {
            let mut jit = program
                .compile()
                .unwrap_or_else(|e| panic!("{group_name}: JIT compilation failed: {e}"));
            bench_executor(&mut group, "jit", &mut jit, &case);
        }

        let heavy = case.origin == "corpus" && HEAVY.contains(&case.name.as_str());
        if heavy && !bench_all {
            skipped.push(group_name);
        } else {
            bench_executor(&mut group, "interp", &mut program.interpreter(), &case);

            let naive = Naive::new(&case.source);
            let mut verified = false;
            group.bench_function("naive", |b| {
                if !verified {
                    check(&case, "naive", &naive.run(&case.input));
                    verified = true;
                }
                b.iter(|| naive.run(black_box(&case.input)))
            });
        }
        group.finish();
    }
    if !skipped.is_empty() {
        eprintln!(
            "note: interp and naive not benchmarked on {} (slow; set JITBF_BENCH_ALL=1)",
            skipped.join(", ")
        );
    }
}

/// Benchmarks `executor` on `case` as function `id` of `group`, after checking its output once.
fn bench_executor<E: Executor>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    executor: &mut E,
    case: &Case,
) {
    let group_name = case.group_name();
    let mut verified = false;
    // The closure runs only when the benchmark passes the command-line filter, so a filtered
    // run does not pay for checking the other programs.
    group.bench_function(id, |b| {
        if !verified {
            let mut io = Io::memory(case.input.clone());
            executor
                .run(&mut io)
                .unwrap_or_else(|e| panic!("{group_name}: {id} failed: {e}"));
            check(case, id, io.output());
            verified = true;
        }
        b.iter_batched(
            || Io::memory(case.input.clone()),
            |mut io| {
                executor
                    .run(&mut io)
                    .unwrap_or_else(|e| panic!("{group_name}: {id} failed: {e}"));
                io // dropped outside the timed part
            },
            BatchSize::SmallInput,
        )
    });
}

/// Panics unless `output` is the expected output of `case`.
fn check(case: &Case, executor: &str, output: &[u8]) {
    if output == case.expected.as_slice() {
        return;
    }
    let first_difference = output
        .iter()
        .zip(&case.expected)
        .position(|(a, b)| a != b)
        .unwrap_or(output.len().min(case.expected.len()));
    panic!(
        "{}: {executor} output differs from {}.out: {} bytes instead of {}, first difference \
         at byte {first_difference}",
        case.group_name(),
        case.name,
        output.len(),
        case.expected.len(),
    );
}

// ---------------------------------------------------------------------------------------------
// The naive interpreter
// ---------------------------------------------------------------------------------------------

/// Number of cells on the naive interpreter's tape (1 MiB of 8-bit cells, as jitbf's default).
const NAIVE_TAPE_CELLS: usize = 1 << 20;

/// A deliberately naive Brainfuck interpreter: the baseline the JIT and the IR interpreter are
/// measured against.
///
/// It walks the source one byte at a time with a plain `match` (comment bytes included, no
/// folding of `+++` or `>>>`, no loop recognition). Its only preparation is a table giving, for
/// each `[` and `]`, the position of its partner, so jumps are one lookup rather than a scan.
/// Cells are 8-bit and wrap; the tape has [`NAIVE_TAPE_CELLS`] cells, and moving off it panics
/// (through slice bounds checks); at end of input `,` leaves the cell unchanged.
struct Naive {
    code: Vec<u8>,
    /// `jump[i]` is the partner of the bracket at `code[i]` (unused elsewhere).
    jump: Vec<usize>,
}

impl Naive {
    /// Prepares `source`, which must have balanced brackets.
    fn new(source: &[u8]) -> Naive {
        let mut jump = vec![0; source.len()];
        let mut open = Vec::new();
        for (i, &byte) in source.iter().enumerate() {
            match byte {
                b'[' => open.push(i),
                b']' => {
                    let j = open.pop().expect("naive: unmatched ]");
                    jump[i] = j;
                    jump[j] = i;
                }
                _ => {}
            }
        }
        assert!(open.is_empty(), "naive: unmatched [");
        Naive {
            code: source.to_vec(),
            jump,
        }
    }

    /// Runs the program from a fresh tape on `input` and returns its output.
    fn run(&self, input: &[u8]) -> Vec<u8> {
        let mut tape = vec![0u8; NAIVE_TAPE_CELLS];
        let mut ptr = 0usize;
        let mut input = input.iter();
        let mut output = Vec::new();
        let mut pc = 0;
        while pc < self.code.len() {
            match self.code[pc] {
                b'+' => tape[ptr] = tape[ptr].wrapping_add(1),
                b'-' => tape[ptr] = tape[ptr].wrapping_sub(1),
                b'>' => ptr += 1,
                // Left of cell 0 wraps to a huge index, and the next access panics.
                b'<' => ptr = ptr.wrapping_sub(1),
                b'.' => output.push(tape[ptr]),
                b',' => {
                    if let Some(&byte) = input.next() {
                        tape[ptr] = byte;
                    }
                }
                // Jump to the partner; `pc += 1` below then steps past it.
                b'[' if tape[ptr] == 0 => pc = self.jump[pc],
                b']' if tape[ptr] != 0 => pc = self.jump[pc],
                _ => {}
            }
            pc += 1;
        }
        output
    }
}

// ---------------------------------------------------------------------------------------------

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_run
}
criterion_main!(benches);
