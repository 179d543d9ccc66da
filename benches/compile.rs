//! Compile time alone: parsing + optimizing, and generating machine code, timed separately.
//!
//! For every program (the bundled `programs/*.bf`, then the corpus `NAME.b` files in
//! `$JITBF_CORPUS`, else `../shared/corpus`, when that directory exists) there is one criterion
//! group, `compile/programs/NAME` or `compile/corpus/NAME`, with, at `-O2` and at `-O0`:
//!
//! * `parse+optimize/LEVEL`: `Program::new(source, &config)`, from source bytes to optimized IR;
//! * `codegen/LEVEL`: `program.compile()`, from that IR to executable machine code (Linux
//!   x86-64 only, left out elsewhere).
//!
//! Each group declares its source size as its throughput, so criterion prints bytes of source
//! per second beside each time: the compile speed per source byte that issue 10 tracks
//! (1 GiB/s is about 0.93 ns per byte).
//!
//! Nothing is run. The result of each iteration is dropped outside the timed part. The corpus
//! program `lostkng.b` (2.2 MB of source, 2.1 M commands) is the compile-speed test.
//!
//! Running it:
//!
//! ```text
//! cargo bench --bench compile                  # everything (about 3 minutes on 2 cores)
//! cargo bench --bench compile -- lostkng       # one program
//! cargo bench --bench compile -- codegen/O2    # one phase at one level, every program
//! JITBF_CORPUS=/path/to/corpus cargo bench --bench compile
//! ```
//!
//! Samples are few and short (10 samples, 0.3 s warm-up, 1 s measurement) to keep the whole
//! run to minutes on a small machine; criterion's command-line options override these.

mod common;

use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jitbf::{Config, OptLevel, Program};

fn bench_compile(c: &mut Criterion) {
    if !jitbf::JIT_AVAILABLE {
        eprintln!("note: no JIT on this platform (it needs Linux on x86-64): parse+optimize only");
    }
    for case in common::all_cases() {
        let group_name = case.group_name();
        let mut group = c.benchmark_group(format!("compile/{group_name}"));
        group.throughput(Throughput::Bytes(case.source.len() as u64));
        for (level, opt_level) in [("O2", OptLevel::O2), ("O0", OptLevel::O0)] {
            let config = Config {
                opt_level,
                ..Config::default()
            };
            group.bench_function(BenchmarkId::new("parse+optimize", level), |b| {
                b.iter_batched(
                    || case.source.clone(),
                    |source| {
                        Program::new(source, &config)
                            .unwrap_or_else(|e| panic!("{group_name}: does not parse: {e}"))
                    },
                    BatchSize::SmallInput,
                )
            });

            if jitbf::JIT_AVAILABLE {
                let program = Program::new(case.source.clone(), &config)
                    .unwrap_or_else(|e| panic!("{group_name}: does not parse: {e}"));
                group.bench_function(BenchmarkId::new("codegen", level), |b| {
                    b.iter_batched(
                        || (),
                        |()| {
                            program.compile().unwrap_or_else(|e| {
                                panic!("{group_name}: JIT compilation failed: {e}")
                            })
                        },
                        // Each compiled program holds a mapping of executable memory until it
                        // is dropped after its batch: keep batches small.
                        BatchSize::NumIterations(32),
                    )
                });
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = bench_compile
}
criterion_main!(benches);
