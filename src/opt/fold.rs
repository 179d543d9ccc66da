//! Pointer-move and arithmetic folding.
//!
//! `>+>++<<-` moves the pointer four times and touches three cells; folded it is
//! `p[1] += 1; p[2] += 2; p[0] -= 1` plus one bounds check, and no move at all:
//!
//! * **Moves become offsets.** The pass keeps the pointer movement seen so far as a pending
//!   `shift` and adds it to the offset of every later op, so `Move`s disappear from
//!   straight-line code. A loop whose body comes back to where it started (a *balanced* loop,
//!   like `[->>+<<]`) needs no move either: its body just uses offsets. An unbalanced body
//!   (`[>>]`) ends with one `Move` of its net distance. The shift left at the end is dropped.
//! * **Arithmetic combines.** Runs of `Add` and `Set` on the same cell merge (`[-]+++` is
//!   `Set 3`, `+-` is nothing) until something reads the cell or control flow intervenes.
//!   Arithmetic still pending when the program ends is dropped: nobody can see it.
//! * **Clear loops become stores** as they are folded ([`clear::as_clear`]), so `[-]+++`
//!   is one `Set 3`.
//! * **Checks merge.** Every `Check` between two observable events (`.`, `,`, or control
//!   flow) merges into one check placed where the first one was, keeping the reach records
//!   in program order: an error still names the same move, and no output comes before it
//!   that did not come before it originally.
//! * **Tape dumps are barriers.** A `#` dump (`--debug`) shows the whole tape, so all pending
//!   arithmetic is written out before it and check windows end there, like at a loop.

use std::collections::TryReserveError;

use super::{clear, mul, scan};
use crate::Config;
use crate::ir::{CheckId, Excursion, Instr, Ir, Op, Reach, Span};
use crate::parse::Emit;

/// Pending arithmetic on one cell.
#[derive(Clone, Copy)]
enum Effect {
    Add(u32),
    Set(u32),
}

/// Most shift the pass lets build up before it emits a `Move`, so offsets stay small.
const MAX_SHIFT: i32 = 1 << 24;

/// Most cells with pending arithmetic; beyond this it is written out (keeps lookups cheap).
const MAX_EFFECTS: usize = 32;

/// Most instructions one input instruction can make the pass write out: all pending
/// arithmetic, then a `Move` and the instruction itself.
const MAX_STEP: usize = MAX_EFFECTS + 2;

/// Fewest steps [`Folder::grow`] makes room for at a time.
const GROW_STEPS: usize = 64;

/// Which loop rewrites the folder also makes as it closes each loop: the [`mul`] and
/// [`scan`] passes, fused into the fold so that they need no walk over the IR of their own.
/// The result is the same as running those passes after the fold: each looks at one loop
/// whose body the fold has finished, and nothing the fold does later changes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fuse {
    /// Multiply loops become `if`s with multiply-adds ([`mul::rewrite_loop`]).
    pub mul: bool,
    /// Loops that only move become scans ([`scan::as_scan`]).
    pub scan: bool,
}

impl Fuse {
    /// The fold alone.
    pub const NONE: Fuse = Fuse {
        mul: false,
        scan: false,
    };
    /// Fold, then [`mul`].
    pub const MUL: Fuse = Fuse {
        mul: true,
        scan: false,
    };
    /// Fold, then [`mul`], then [`scan`].
    pub const MUL_SCAN: Fuse = Fuse {
        mul: true,
        scan: true,
    };
}

/// Runs the pass.
pub fn run(ir: &mut Ir, config: &Config) {
    run_fused(ir, config, Fuse::NONE);
}

/// The pass, then [`mul`], as one walk.
pub fn run_mul(ir: &mut Ir, config: &Config) {
    run_fused(ir, config, Fuse::MUL);
}

/// The pass, then [`mul`] and [`scan`], as one walk.
pub fn run_mul_scan(ir: &mut Ir, config: &Config) {
    run_fused(ir, config, Fuse::MUL_SCAN);
}

/// Runs the pass with the loop rewrites of `fuse`, in place: every instruction written out
/// accounts for a different instruction already read (a check for the first check of its
/// window, a `Move` for one of the moves it sums, an `Add` for one of the adds it sums), so
/// the write position never passes the read position.
///
/// The checks it makes go to new tables: every check of the input is merged into one of them,
/// so the old tables are dropped at the end instead of being left for [`super::compact`] to
/// squeeze (on a huge program, they and the compaction's map of them were its largest memory
/// peak). The new checks are numbered in the order they are made, as they would be if
/// appended, so the result after [`super::compact`] is the same.
pub fn run_fused(ir: &mut Ir, _config: &Config, fuse: Fuse) {
    let n = ir.code.len();
    let mut input = std::mem::take(ir);
    let read = Tables {
        excursions: std::mem::take(&mut input.excursions),
        reaches: std::mem::take(&mut input.reaches),
    };
    // Every check made merges checks of the input, and keeps at most their records: room
    // for as many as the input has means the tables never grow.
    input.excursions.reserve_exact(read.excursions.len());
    input.reaches.reserve_exact(read.reaches.len());
    let mut f = Folder {
        read,
        ..Folder::new(input).fusing(fuse)
    };
    for r in 0..n {
        let ins = f.out.code[r];
        match ins.op {
            Op::Check(id) => {
                let e = f.read.excursions[id.0 as usize];
                let records = e.first as usize..(e.first + e.len) as usize;
                f.check_reaches(e.origin, records, ins.span);
            }
            op => f.take(op, ins.span),
        }
        debug_assert!(f.len <= r + 1, "folding in place overtook its input");
    }
    *ir = f.finish();
}

/// The check tables of an IR folded in place ([`run_fused`]), which its instructions refer to.
#[derive(Debug, Default)]
struct Tables {
    excursions: Vec<Excursion>,
    reaches: Vec<Reach>,
}

/// A check being built from consecutive `Check`s.
struct Window {
    /// Index in `out.code` of the placeholder the merged check replaces.
    slot: usize,
    /// Offset of the pointer when the window opened.
    origin: i32,
    /// Lowest and highest offsets reached in the window so far.
    lo: i32,
    hi: i32,
    span: Span,
    /// Where its reach records start in `out.reaches` (they are written there as they come,
    /// so closing the window copies nothing).
    first: u32,
}

/// The folding pass as a stream: instructions go in one at a time (from an IR, or straight
/// from the parser through [`Emit`]), folded code comes out.
///
/// Fed by the parser, the folder holds only what it needs: its output never has more
/// instructions than it has taken in, and a window's moves that stay inside the extremes
/// reached so far are dropped as they come (`><><...` keeps two records, not millions). It
/// grows its tables with `try_reserve`, so a source too dense for the memory available is an
/// error, not an abort.
pub struct Folder {
    /// The output: `out.code[..len]` (the rest, if any, is input still to be read).
    out: Ir,
    len: usize,
    /// Pointer movement not yet emitted: the program's pointer is `p + shift`.
    shift: i32,
    /// Pending arithmetic: offset (relative to `p`), effect, source.
    effects: Vec<(i32, Effect, Span)>,
    window: Option<Window>,
    /// `shift` at the start of each open loop or if, and the index of its first instruction
    /// in `out.code`.
    open: Vec<(i32, usize)>,
    /// Instructions taken in so far.
    consumed: usize,
    /// Steps (calls of the [`Emit`] methods) that fit in the memory reserved: see
    /// [`Folder::room`].
    steps: usize,
    /// Loop rewrites made as loops close.
    fuse: Fuse,
    /// The check tables the input refers to, when it is not the parser (whose checks come
    /// through [`Emit::check`]).
    read: Tables,
}

impl Folder {
    /// A folder writing over `out.code`, adding the checks it makes to `out`'s tables.
    pub fn new(out: Ir) -> Folder {
        Folder {
            out,
            len: 0,
            shift: 0,
            // (Never more than this: see `effect`.)
            effects: Vec::with_capacity(MAX_EFFECTS),
            window: None,
            open: Vec::new(),
            consumed: 0,
            steps: 0,
            fuse: Fuse::NONE,
            read: Tables::default(),
        }
    }

    /// The same folder, also making the loop rewrites of `fuse`.
    pub fn fusing(self, fuse: Fuse) -> Folder {
        Folder { fuse, ..self }
    }

    /// How many instructions have been taken in.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The folded program.
    pub fn finish(mut self) -> Ir {
        self.end_window();
        self.out.code.truncate(self.len);
        self.out
    }

    /// Takes a bounds check whose records are `read.reaches[records]`, starting at `origin`.
    fn check_reaches(&mut self, origin: i32, records: std::ops::Range<usize>, span: Span) {
        self.open_window(origin, span);
        let s = self.shift;
        for k in records {
            let r = self.read.reaches[k];
            self.reach(Reach {
                off: r.off + s,
                ..r
            });
        }
    }

    /// Adds a record (relative to `p` now) to the open window, keeping only the part that
    /// goes beyond the extremes reached so far (see [`Reach::beyond`]): the window's records
    /// are always trimmed, so they are written to `out.reaches` as they come, where closing
    /// the window leaves them as they are.
    #[inline]
    fn reach(&mut self, r: Reach) {
        let w = self.window.as_mut().expect("a window is open");
        if let Some(kept) = r.beyond(w.lo, w.hi) {
            if kept.moves > 0 {
                w.hi = kept.last();
            } else {
                w.lo = kept.last();
            }
            self.out.reaches.push(kept);
        }
    }

    #[inline]
    fn open_window(&mut self, origin: i32, span: Span) {
        match &mut self.window {
            Some(w) => w.span = w.span.to(span),
            None => {
                self.emit(Op::Move { delta: 0 }, span);
                let origin = origin + self.shift;
                self.window = Some(Window {
                    slot: self.len - 1,
                    origin,
                    lo: origin,
                    hi: origin,
                    span,
                    first: self.out.reaches.len() as u32,
                });
            }
        }
    }

    #[inline]
    fn emit(&mut self, op: Op, span: Span) {
        put(&mut self.out.code, &mut self.len, Instr { op, span });
    }

    /// Control flow: close the check window and write out all pending arithmetic.
    fn boundary(&mut self) {
        self.end_window();
        self.flush_all();
    }

    #[inline]
    fn effect(&mut self, off: i32, e: Effect, span: Span) {
        if let Some(slot) = self.effects.iter_mut().find(|(o, _, _)| *o == off) {
            slot.1 = match (slot.1, e) {
                (Effect::Add(a), Effect::Add(b)) => Effect::Add(a.wrapping_add(b)),
                (Effect::Set(a), Effect::Add(b)) => Effect::Set(a.wrapping_add(b)),
                (_, Effect::Set(b)) => Effect::Set(b),
            };
            slot.2 = slot.2.to(span);
            return;
        }
        if self.effects.len() == MAX_EFFECTS {
            self.write_effects();
        }
        self.effects.push((off, e, span));
    }

    /// Writes out the pending arithmetic on one cell.
    fn flush(&mut self, off: i32) {
        if let Some(i) = self.effects.iter().position(|(o, _, _)| *o == off) {
            let (off, e, span) = self.effects.swap_remove(i);
            self.emit_effect(off, e, span);
        }
    }

    /// Writes out all pending arithmetic, in source order. (Inlined: at most boundaries
    /// nothing is pending.)
    #[inline]
    fn flush_all(&mut self) {
        if !self.effects.is_empty() {
            self.write_effects();
        }
    }

    /// [`Folder::flush_all`] when something is pending.
    #[inline(never)]
    fn write_effects(&mut self) {
        let Folder {
            out, len, effects, ..
        } = self;
        // (Mostly they are in order already: taken in source order, and reordered only by
        // a `flush` of one of them.)
        if !effects.is_sorted_by_key(|&(off, _, span)| (span.start, off)) {
            effects.sort_unstable_by_key(|&(off, _, span)| (span.start, off));
        }
        for &(off, e, span) in effects.iter() {
            if let Some(op) = effect_op(off, e) {
                put(&mut out.code, len, Instr { op, span });
            }
        }
        effects.clear();
    }

    fn emit_effect(&mut self, off: i32, e: Effect, span: Span) {
        if let Some(op) = effect_op(off, e) {
            self.emit(op, span);
        }
    }

    /// Turns the open window's placeholder into the merged check (or leaves it a no-op
    /// `Move 0` when nothing went beyond the origin).
    #[inline]
    fn end_window(&mut self) {
        if let Some(w) = self.window.take() {
            self.close_window(w);
        }
    }

    /// [`Folder::end_window`] of the open window `w`.
    fn close_window(&mut self, w: Window) {
        let len = self.out.reaches.len() as u32 - w.first;
        if len == 0 {
            return;
        }
        // The records are trimmed already (see `reach`), and in place: what
        // `Ir::add_excursion` would make of them, without going over them again.
        self.out.excursions.push(Excursion {
            origin: w.origin,
            lo: w.lo,
            hi: w.hi,
            first: w.first,
            len,
        });
        let id = CheckId(self.out.excursions.len() as u32 - 1);
        self.out.code[w.slot] = Instr {
            op: Op::Check(id),
            span: w.span,
        };
    }
}

/// The instruction that writes out pending arithmetic on cell `off`, if it does anything.
#[inline]
fn effect_op(off: i32, e: Effect) -> Option<Op> {
    match e {
        Effect::Add(0) => None,
        Effect::Add(val) => Some(Op::Add { off, val }),
        Effect::Set(val) => Some(Op::Set { off, val }),
    }
}

/// Writes `ins` at `code[*len]` (over input already read, when folding in place; else at the
/// end, into room that [`Folder::room`] made) and counts it.
#[inline]
fn put(code: &mut Vec<Instr>, len: &mut usize, ins: Instr) {
    match code.get_mut(*len) {
        Some(slot) => *slot = ins,
        None => {
            debug_assert!(code.len() < code.capacity(), "`room` reserved too little");
            code.push(ins)
        }
    }
    *len += 1;
}

impl Folder {
    /// Makes sure that taking in one more instruction cannot allocate: it writes out at most
    /// [`MAX_STEP`] instructions, one check and one open bracket, and adds at most one reach
    /// record.
    #[inline]
    fn room(&mut self) -> Result<(), TryReserveError> {
        // This runs for every command run of the source: almost always it only counts down
        // the steps that `grow` made room for.
        if self.steps == 0 {
            self.grow()?;
        }
        self.steps -= 1;
        Ok(())
    }

    /// [`Folder::room`] when the room made last time is used up: makes room for at least
    /// [`GROW_STEPS`] more steps (the vectors grow geometrically, so this is rare), and
    /// counts how many steps fit.
    #[cold]
    fn grow(&mut self) -> Result<(), TryReserveError> {
        let code = (self.len + MAX_STEP * GROW_STEPS).saturating_sub(self.out.code.len());
        self.out.code.try_reserve(code)?;
        self.out.excursions.try_reserve(GROW_STEPS)?;
        self.out.reaches.try_reserve(GROW_STEPS)?;
        self.open.try_reserve(GROW_STEPS)?;
        let free = |len: usize, capacity: usize| capacity - len;
        self.steps = [
            free(self.len, self.out.code.capacity()) / MAX_STEP,
            free(self.out.excursions.len(), self.out.excursions.capacity()),
            free(self.out.reaches.len(), self.out.reaches.capacity()),
            free(self.open.len(), self.open.capacity()),
        ]
        .into_iter()
        .min()
        .expect("four counts");
        Ok(())
    }

    /// Takes in one instruction other than a check.
    fn take(&mut self, op: Op, span: Span) {
        self.consumed += 1;
        let s = self.shift;
        match op {
            Op::Add { off, val } => self.effect(off + s, Effect::Add(val), span),
            Op::Set { off, val } => self.effect(off + s, Effect::Set(val), span),
            Op::Move { delta } => self.take_move(delta, span),
            Op::Check(_) => unreachable!("checks arrive through `Emit::check`"),
            Op::MulAdd { src, dst, k }
            | Op::MulSet { src, dst, k }
            | Op::MulAddMin { src, dst, k, .. } => {
                self.flush(src + s);
                self.flush(dst + s);
                let (src, dst) = (src + s, dst + s);
                let op = match op {
                    Op::MulAdd { .. } => Op::MulAdd { src, dst, k },
                    Op::MulAddMin { max, .. } => Op::MulAddMin { src, dst, k, max },
                    _ => Op::MulSet { src, dst, k },
                };
                self.emit(op, span);
            }
            Op::Out { off } => {
                self.end_window();
                self.flush(off + s);
                self.emit(Op::Out { off: off + s }, span);
            }
            Op::In { off } => {
                self.end_window();
                self.flush(off + s);
                self.emit(Op::In { off: off + s }, span);
            }
            Op::Print { .. } => {
                self.end_window();
                self.emit(op, span);
            }
            Op::Debug { off } => {
                // A dump shows the pointer and every cell: the checks of the moves before it
                // are resolved first, and all pending arithmetic is written out.
                self.boundary();
                self.emit(Op::Debug { off: off + s }, span);
            }
            Op::Loop { off } => self.take_loop(off, span),
            Op::If { off } => {
                self.boundary();
                self.open.push((s, self.len));
                self.emit(Op::If { off: off + s }, span);
            }
            Op::EndLoop { off } => self.take_end_loop(off, span),
            Op::EndIf => {
                self.boundary();
                let (entry, _) = self.open.pop().expect("balanced");
                if s != entry {
                    // A body that moves the pointer (the first iteration of a loop, peeled
                    // off) makes its move real before the paths join.
                    self.emit(Op::Move { delta: s - entry }, span);
                    self.shift = entry;
                }
                self.emit(Op::EndIf, span);
            }
            Op::Scan { off, step, check } => {
                self.boundary();
                let e = self.read.excursions[check.0 as usize];
                let records = e.first as usize..(e.first + e.len) as usize;
                let shifted = self.read.reaches[records].iter().map(|r| Reach {
                    off: r.off + s,
                    ..*r
                });
                let check = self.out.add_excursion(e.origin + s, shifted);
                self.emit(
                    Op::Scan {
                        off: off + s,
                        step,
                        check,
                    },
                    span,
                );
            }
        }
    }

    /// Takes in a `Loop`.
    #[inline]
    fn take_loop(&mut self, off: i32, span: Span) {
        self.boundary();
        self.open.push((self.shift, self.len));
        self.emit(
            Op::Loop {
                off: off + self.shift,
            },
            span,
        );
    }

    /// Takes in an `EndLoop`.
    #[inline]
    fn take_end_loop(&mut self, off: i32, span: Span) {
        self.boundary();
        let (entry, start) = self.open.pop().expect("balanced");
        let s = self.shift;
        if s != entry {
            self.emit(Op::Move { delta: s - entry }, span);
            self.shift = entry;
        }
        self.emit(Op::EndLoop { off: off + entry }, span);
        self.close_loop(start);
    }

    /// The loop at `out.code[start..len]` was just closed, its body folded: a clear loop
    /// becomes a pending store; otherwise the rewrites of `self.fuse` apply.
    #[inline]
    fn close_loop(&mut self, start: usize) {
        let code = &mut self.out.code[start..self.len];
        // A clear loop (`[-]`) is a store, pending like any other so that `[-]+++` folds to
        // one store of 3.
        if let Some(set) = clear::as_clear(code)
            && let Op::Set { off, val } = set.op
        {
            self.len -= 3;
            self.effect(off, Effect::Set(val), set.span);
        } else if self.fuse.scan
            && let Some(scan) = scan::as_scan(code)
        {
            self.len -= 3;
            self.out.code[self.len - 1] = scan;
        } else if self.fuse.mul {
            mul::rewrite_loop(code);
        }
    }

    /// Takes in a `Move`: the pointer movement is pending, unless it grows too large.
    #[inline]
    fn take_move(&mut self, delta: i32, span: Span) {
        self.shift += delta;
        if self.shift.abs() > MAX_SHIFT {
            self.boundary();
            let delta = std::mem::take(&mut self.shift);
            self.emit(Op::Move { delta }, span);
        }
    }

    /// Takes in a check of one run of moves.
    #[inline]
    fn take_check(&mut self, reach: Reach, span: Span) {
        self.consumed += 1;
        self.open_window(0, span);
        self.reach(Reach {
            off: reach.off + self.shift,
            ..reach
        });
    }
}

impl Emit for Folder {
    #[inline]
    fn instr(&mut self, op: Op, span: Span) -> Result<(), TryReserveError> {
        self.room()?;
        self.take(op, span);
        Ok(())
    }

    #[inline]
    fn check(&mut self, reach: Reach, span: Span) -> Result<(), TryReserveError> {
        self.room()?;
        self.take_check(reach, span);
        Ok(())
    }

    #[inline]
    fn add(&mut self, val: u32, span: Span) -> Result<(), TryReserveError> {
        self.room()?;
        self.consumed += 1;
        self.effect(self.shift, Effect::Add(val), span);
        Ok(())
    }

    #[inline]
    fn open(&mut self, span: Span) -> Result<(), TryReserveError> {
        self.room()?;
        self.consumed += 1;
        self.take_loop(0, span);
        Ok(())
    }

    #[inline]
    fn close(&mut self, span: Span) -> Result<(), TryReserveError> {
        self.room()?;
        self.consumed += 1;
        self.take_end_loop(0, span);
        Ok(())
    }

    /// What taking `[`, the run and `]` one by one comes to: the loop opens at a boundary,
    /// its body is the one `Add`, and closing it finds a clear loop (`close_loop`),
    /// which becomes a pending store of 0 spanning the brackets. Here without writing the
    /// loop out and taking it back.
    #[inline]
    fn clear(
        &mut self,
        _val: u32,
        open: Span,
        _run: Span,
        close: Span,
    ) -> Result<(), TryReserveError> {
        // One step's room covers it: the boundary writes what one step may write, and
        // nothing else is written.
        self.room()?;
        self.consumed += 3;
        self.boundary();
        self.effect(self.shift, Effect::Set(0), open.to(close));
        Ok(())
    }

    #[inline(always)]
    fn moves(&mut self, reach: Reach, delta: i32, span: Span) -> Result<(), TryReserveError> {
        // One `room` for both: the check writes at most a placeholder and a record, and
        // the move at most what `take` does for it.
        self.room()?;
        self.take_check(reach, span);
        self.consumed += 1;
        self.take_move(delta, span);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
