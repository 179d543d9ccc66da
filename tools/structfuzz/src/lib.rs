//! jitbf-structfuzz: a structured differential fuzzer for jitbf.
//!
//! It generates Brainfuck programs (with a configuration and an input) from *shapes* that
//! exercise what the optimizer and the code generator do, runs each through every jitbf
//! executor, and compares every byte of output and the ending (success, or leaving the
//! tape at the same side and source byte; any other error is a failure) with its own
//! reference semantics. Nothing of jitbf is used to decide what is right.
//!
//! * [`generate`] makes the cases: configurations (every cell width and EOF mode; tapes from 1
//!   cell to just past the size where jitbf compares moves explicitly), inputs, and programs
//!   built from shapes ([`generate::shapes`] has the list and their weights);
//! * [`model`] is the reference: a step-bounded interpreter of the source text;
//! * [`check`] runs the targets (interpreter and JIT at `-O0`/`-O1`/`-O2`, and the JIT with
//!   its `eax`/flags cache off, and with its run-time self-checks on) and compares;
//! * [`shrink`] reduces a failing case to a minimal one, and [`report`] prints it as a
//!   regression test;
//! * [`driver`] runs cases in worker processes with a watchdog, [`child`] runs single cases
//!   in child processes with a time limit, and [`repro`] turns a failure into a report.
//!
//! `cargo run --release -p jitbf-structfuzz -- --count 1000000` checks a million programs;
//! see `--help`, and the "Fuzzing" part of the README.

pub mod case;
pub mod check;
pub mod child;
pub mod driver;
pub mod generate;
pub mod model;
pub mod report;
pub mod repro;
pub mod shrink;
