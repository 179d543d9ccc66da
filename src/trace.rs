//! `jitbf --trace`: the interpreter's account of every step, and its profile counting.
//!
//! Tracing is done by the interpreter only (the JIT's code has no per-instruction hooks; a
//! trace of machine code would be a trace of the IR anyway). Each IR instruction executed is
//! one line on the run's diagnostics stream (standard error, or `--trace-file`):
//!
//! ```text
//!        1  1:1      p[0] += 8                    p=0  p[0]=8
//!        2  1:9      while p[0] {                 p=0  p[0]=8
//!        3  1:10     check p[0..=1]               p=0
//!        4  1:10     p += 1                       p=1  p[0]=0
//! ```
//!
//! The columns are the step number, the source position, the instruction (as `--emit ir`
//! writes it), the pointer register `p` after it, and the value of the cell the instruction
//! is about after it (`p[off]`; for a pointer move, the new current cell). At `-O0`, the
//! default with `--trace`, instructions are runs of one source command and `p` is the
//! program's pointer; at `-O2`, `p` is the base the offsets are relative to.
//!
//! A trace stops after a step limit (a trace grows fast: a second of interpretation is tens
//! of millions of lines); the program then goes on untraced. Lines are buffered and written
//! in blocks, and before every `#` dump so that the two stay in order.

use crate::Program;
use crate::interp::Observer;
use crate::io::Port;
use crate::ir::{Ir, Op};
use crate::profile::Counts;
use crate::source::LineMap;

/// Bytes of trace buffered before they are written.
const BLOCK: usize = 1 << 16;

/// Traces and counts for the interpreter (see [`Observer`]).
pub(crate) struct Watch<'p> {
    trace: Option<Trace<'p>>,
    /// With `--profile`: each instruction's construct number, and the counts.
    counting: Option<(Vec<u32>, Counts)>,
}

struct Trace<'p> {
    ir: &'p Ir,
    lines: LineMap<'p>,
    limit: u64,
    steps: u64,
    buf: String,
}

impl<'p> Watch<'p> {
    /// Traces at most `trace` steps (if given) and counts (if `profile`).
    pub(crate) fn new(program: &'p Program, trace: Option<u64>, profile: bool) -> Watch<'p> {
        let ir = program.ir();
        Watch {
            trace: trace.map(|limit| Trace {
                ir,
                lines: LineMap::new(program.source()),
                limit,
                steps: 0,
                buf: String::new(),
            }),
            counting: profile.then(|| {
                let of = crate::profile::construct_of(ir);
                let n = crate::profile::constructs(ir).len();
                (of, Counts::zero(n))
            }),
        }
    }

    /// The counts, if counting.
    pub(crate) fn counts(self, _ir: &Ir) -> Option<Counts> {
        self.counting.map(|(_, c)| c)
    }
}

impl Observer for Watch<'_> {
    fn ran(&mut self, pc: usize, p: usize, cell: impl Fn(i32) -> Option<u32>, port: &mut Port) {
        let Some(t) = &mut self.trace else {
            return;
        };
        if t.steps >= t.limit {
            if t.steps == t.limit {
                t.buf.push_str(&format!(
                    "#trace: stopped after {} steps (--trace-limit); the program goes on \
                     untraced\n",
                    t.limit
                ));
                t.steps += 1;
                t.write(port);
            }
            return;
        }
        t.steps += 1;
        let ins = &t.ir.code[pc];
        let about = match ins.op {
            Op::Add { off, .. }
            | Op::Set { off, .. }
            | Op::Out { off }
            | Op::In { off }
            | Op::Loop { off }
            | Op::EndLoop { off }
            | Op::If { off }
            | Op::Scan { off, .. }
            | Op::Debug { off } => Some(off),
            Op::MulAdd { dst, .. } | Op::MulSet { dst, .. } | Op::MulAddMin { dst, .. } => {
                Some(dst)
            }
            Op::Move { .. } => Some(0),
            Op::Check(_) | Op::Print { .. } | Op::EndIf => None,
        };
        let op = t.ir.display(&ins.op).to_string();
        let at = t.lines.line_col(ins.span.start).to_string();
        let mut line = format!("{:>8}  {at:<8} {op:<28} p={p}", t.steps);
        if let Some(off) = about
            && let Some(v) = cell(off)
        {
            line.push_str(&format!("  p[{off}]={v}"));
        }
        line.push('\n');
        t.buf.push_str(&line);
        if t.buf.len() >= BLOCK {
            t.write(port);
        }
    }

    fn exit(&mut self, pc: usize) {
        if let Some((of, counts)) = &mut self.counting {
            counts.entries[of[pc] as usize] += 1;
        }
    }

    fn body(&mut self, pc: usize) {
        if let Some((of, counts)) = &mut self.counting {
            counts.bodies[of[pc] as usize] += 1;
        }
    }

    fn flush(&mut self, port: &mut Port) {
        if let Some(t) = &mut self.trace {
            t.write(port);
        }
    }
}

impl Trace<'_> {
    fn write(&mut self, port: &mut Port) {
        // A trace that cannot be written does not stop the program.
        let _ = port.diagnostics().write(self.buf.as_bytes());
        self.buf.clear();
    }
}
