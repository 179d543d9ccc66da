//! What the code generator knows about the machine between instructions.
//!
//! A [`State`] says, at one point of the generated code, which cell each register holds,
//! which cells' memory is out of date (their current value is only in a register), which cell
//! ZF reflects, and which cells are known to be on the tape. It is the single source of
//! truth: it learns only from declared [`Effect`]s (see [`super::inst`]), and it refuses
//! instructions whose requirements do not hold ([`State::check`]). All offsets are relative
//! to the pointer `p` as it is now; a pointer move shifts them.
//!
//! Where paths join, states are merged ([`State::merge_in`]): what all paths agree on is kept.
//! A cell whose memory is out of date must be in the same register on every path, or the
//! code after the join could not know where its value is; the code generator makes the paths
//! agree before they join (see [`super::alloc`]), and if it ever failed to, merging reports
//! an error instead of producing wrong code. A loop head has a state fixed in advance, which
//! every jump back to it must be [`State::compatible`] with.

use super::cellset::CellSet;
use super::effect::{Effect, Flags, Move, Reg, Requires};

/// A register entry of [`State`] that holds no cell. (No cell is this far left of the
/// pointer: offsets stay within a few times 2^24 of it.)
const FREE: i32 = i32::MIN;

/// The entry of [`State::regs`] for each hardware register number. Only the 11 registers of
/// [`Reg::ALL`] ever hold a cell, so the table has 12 entries, not 16 (the last is never used
/// and stays [`FREE`]: it stands for the numbers of the registers with fixed roles, which
/// no effect names). A state is then small enough to copy with a few vector moves, where
/// one of 16 entries was a call of `memcpy`, and passes over the table are three vector
/// compares instead of four.
const SLOT: [u8; 16] = [0, 1, 2, 11, 11, 3, 4, 5, 6, 7, 8, 9, 11, 11, 11, 10];

/// The entry of [`State::regs`] for `reg`.
#[inline(always)]
fn slot(reg: Reg) -> usize {
    usize::from(SLOT[reg.num() as usize])
}

/// What is known at one point of the generated code.
///
/// (At most 128 bytes: see [`SLOT`].)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct State {
    /// `regs[slot(r)]`: the cell whose current value register `r` holds, or [`FREE`] (see
    /// [`SLOT`]). (A plain number rather than an `Option`, so that looking for a cell among
    /// the registers is a few vector compares.)
    regs: [i32; 12],
    /// Cells whose memory is out of date (each is held by a register).
    stale: CellSet,
    /// ZF is set exactly when this cell is 0.
    flags: Option<i32>,
    /// Cells `lo..=hi` are known to be on the tape (their memory was accessed, or a bounds
    /// check of them passed).
    proven: Option<(i32, i32)>,
    /// Control cannot reach this point (after a call that never returns).
    dead: bool,
}

const _: () = assert!(std::mem::size_of::<State>() <= 128);

impl Default for State {
    fn default() -> State {
        State {
            regs: [FREE; 12],
            stale: CellSet::default(),
            flags: None,
            proven: None,
            dead: false,
        }
    }
}

impl State {
    /// Knows nothing; memory holds every cell's value.
    pub(crate) fn new() -> State {
        State::default()
    }

    /// The register holding cell `off`, preferring one of `homes`.
    #[inline]
    pub(crate) fn reg_of(&self, off: i32, homes: &[Reg]) -> Option<Reg> {
        // (A free register holds `FREE`, which is no cell.)
        homes.iter().copied().find(|r| self.regs[slot(*r)] == off)
    }

    /// True if some register holds cell `off`. (Written as a fold over the whole array,
    /// without an early exit, so that it compiles to a few vector compares.)
    #[inline(always)]
    fn in_some_reg(&self, off: i32) -> bool {
        self.regs.iter().fold(false, |any, &r| any | (r == off))
    }

    /// True if `reg` holds cell `off` (a cheaper `holds(reg) == Some(off)`).
    #[inline]
    pub(crate) fn has(&self, reg: Reg, off: i32) -> bool {
        self.regs[slot(reg)] == off
    }

    /// True if `reg` holds no cell.
    #[inline]
    pub(crate) fn is_free(&self, reg: Reg) -> bool {
        self.regs[slot(reg)] == FREE
    }

    /// The cell `reg` holds, if any.
    pub(crate) fn holds(&self, reg: Reg) -> Option<i32> {
        Some(self.regs[slot(reg)]).filter(|&c| c != FREE)
    }

    /// True if the memory of cell `off` is out of date.
    #[inline]
    pub(crate) fn is_stale(&self, off: i32) -> bool {
        self.stale.contains(off)
    }

    /// The cells whose memory is out of date, in increasing order.
    pub(crate) fn stale(&self) -> &[i32] {
        self.stale.as_slice()
    }

    /// A copy of [`State::stale`], to iterate over while the state changes.
    pub(crate) fn stale_set(&self) -> CellSet {
        self.stale
    }

    /// The cell ZF reflects, if known.
    pub(crate) fn flags(&self) -> Option<i32> {
        self.flags
    }

    /// True if cell `off` is known to be on the tape.
    pub(crate) fn proven(&self, off: i32) -> bool {
        self.proven.is_some_and(|(lo, hi)| lo <= off && off <= hi)
    }

    /// Records that cells `lo..=hi` are on the tape (a bounds check of them passed).
    pub(crate) fn prove(&mut self, lo: i32, hi: i32) {
        self.proven = Some(match self.proven {
            Some((a, b)) => (a.min(lo), b.max(hi)),
            None => (lo, hi),
        });
    }

    /// Whether an instruction's requirement holds here.
    #[inline(always)]
    pub(crate) fn check(&self, req: &Requires) -> Result<(), String> {
        if let Some((reg, off)) = req.holds
            && !self.has(reg, off)
        {
            return Err(format!(
                "{reg:?} should hold p[{off}] but holds {:?}",
                self.holds(reg)
            ));
        }
        if let Some(off) = req.current
            && self.is_stale(off)
        {
            return Err(format!("the memory of p[{off}] is out of date"));
        }
        Ok(())
    }

    /// Updates what is known after code with effect `e`. An error means the code would lose
    /// the only copy of a cell's value.
    ///
    /// (Called for every instruction emitted, so written for speed: the common effects touch
    /// one cell and one register, and the loops over registers are plain passes over the
    /// array that the compiler turns into vector compares.)
    #[inline(always)]
    pub(crate) fn apply(&mut self, e: &Effect) -> Result<(), String> {
        match e.moves {
            Move::None => {}
            Move::By(cells) => self.shift(cells),
            Move::Unknown => {
                if !self.stale.is_empty() {
                    return Err(format!(
                        "the pointer moves with cells {:?} only in registers",
                        self.stale()
                    ));
                }
                *self = State::new();
            }
        }
        self.flags = match e.flags {
            // Flags kept across a change of the very cell they reflect no longer reflect it.
            Flags::Kept => self.flags.filter(|&f| Some(f) != e.changes),
            Flags::Lost => None,
            Flags::Cell { off, .. } => Some(off),
        };
        // The cells that may have lost their register here: the one changed (its copies
        // are gone), and those of the registers overwritten. Only they can be out of date
        // and in no register afterwards (every other out-of-date cell keeps its register).
        // Only looked for if some cell is out of date.
        if let Some(off) = e.changes {
            // (A select over the whole array, stored unconditionally: vector compares.)
            for r in &mut self.regs {
                *r = if *r == off { FREE } else { *r };
            }
            // (An instruction that also stores the new value, a read-modify-write of
            // memory, leaves the cell current: the `stores` below takes it out again.)
            if e.stores != Some(off) {
                self.stale.insert(off);
            }
        }
        // (`lost[n]`: what register `n` held, where bit `n` of `lost_regs` is set.)
        let mut lost = [FREE; 16];
        let mut lost_regs = 0u16;
        let mut clobbered = e.regs.0;
        while clobbered != 0 {
            let n = clobbered.trailing_zeros() as usize;
            clobbered &= clobbered - 1;
            let k = usize::from(SLOT[n]);
            if self.regs[k] != FREE {
                lost[n] = self.regs[k];
                lost_regs |= 1 << n;
                self.regs[k] = FREE;
            }
        }
        if let Some((reg, off)) = e.holds {
            let (n, k) = (reg.num() as usize, slot(reg));
            if self.regs[k] != FREE && self.regs[k] != off {
                lost[n] = self.regs[k];
                lost_regs |= 1 << n;
            }
            self.regs[k] = off;
        }
        if let Some(off) = e.stores
            && !self.stale.is_empty()
        {
            self.stale.remove(off);
        }
        if let Some(off) = e.touches {
            self.prove(off, off);
        }
        if e.ends {
            self.dead = true;
        }
        if !self.stale.is_empty() {
            let lost_cell = |c: i32| self.stale.contains(c) && !self.in_some_reg(c);
            // (The changed cell is surely not lost if this very instruction stores it or
            // holds it in a register: for most instructions that is known where they are
            // emitted, and the lookups fold away.)
            let mut any = e.changes.is_some_and(|c| {
                e.stores != Some(c) && e.holds.is_none_or(|(_, h)| h != c) && lost_cell(c)
            });
            while lost_regs != 0 && !any {
                let n = lost_regs.trailing_zeros() as usize;
                lost_regs &= lost_regs - 1;
                any = lost_cell(lost[n]);
            }
            if any {
                self.check_stale_held()?;
            }
        }
        Ok(())
    }

    /// The pointer moves by `cells`: every offset known is that much smaller.
    fn shift(&mut self, cells: i32) {
        for r in &mut self.regs {
            if *r != FREE {
                *r -= cells;
            }
        }
        self.stale.shift(cells);
        if let Some(f) = &mut self.flags {
            *f -= cells;
        }
        if let Some((lo, hi)) = &mut self.proven {
            *lo -= cells;
            *hi -= cells;
        }
    }

    /// Fails if a cell whose memory is out of date is in no register (naming the lowest),
    /// and forgets every such cell, so that every out-of-date cell stays in a register and
    /// the set within its room even after the error.
    fn check_stale_held(&mut self) -> Result<(), String> {
        let stale = self.stale;
        let mut first_lost = None;
        for &off in stale.as_slice() {
            if !self.regs.contains(&off) {
                first_lost.get_or_insert(off);
                self.stale.remove(off);
            }
        }
        match first_lost {
            Some(off) => Err(format!("the value of p[{off}] is lost")),
            None => Ok(()),
        }
    }

    /// The state where paths from `self` and `other` join. Fails if a cell whose memory is
    /// out of date on some path is not in the same register on every path.
    #[cfg(test)]
    pub(crate) fn merge(&self, other: &State) -> Result<State, String> {
        let mut m = *self;
        m.merge_in(other, false)?;
        Ok(m)
    }

    /// Makes `self` the state where paths from `a` and `b` join, with `(a, b)` =
    /// `(other, self)` if `other_first`, else `(self, other)` (the order only matters when
    /// both paths are dead, and for which cell an error names). Fails, leaving `self` as it
    /// was, if a cell whose memory is out of date on some path is not in the same register
    /// on every path. (In place: paths join at every `if` and loop end, and returning a new
    /// state cost copies.)
    pub(crate) fn merge_in(&mut self, other: &State, other_first: bool) -> Result<(), String> {
        // (A dead first path gives the second; a dead second path, or two equal ones, the
        // first. Paths that agree on everything are common.)
        let (first_dead, second_dead) = match other_first {
            true => (other.dead, self.dead),
            false => (self.dead, other.dead),
        };
        if first_dead {
            if !other_first {
                *self = *other;
            }
            return Ok(());
        }
        if second_dead {
            if other_first {
                *self = *other;
            }
            return Ok(());
        }
        if self == other {
            return Ok(());
        }
        let mut regs = [FREE; 12];
        for (n, slot) in regs.iter_mut().enumerate() {
            if self.regs[n] == other.regs[n] {
                *slot = self.regs[n];
            }
        }
        // The union of the out-of-date cells, each checked before it is added (so the set
        // never holds more cells than the registers do).
        let (a, b) = match other_first {
            true => (other, &*self),
            false => (&*self, other),
        };
        for &c in a.stale().iter().chain(b.stale()) {
            if !regs.contains(&c) {
                return Err(format!(
                    "p[{c}] is out of date in memory on one path and not in the same \
                     register on the other"
                ));
            }
        }
        self.stale = self.stale.union(&other.stale);
        self.regs = regs;
        self.proven = match (self.proven, other.proven) {
            (Some((a, b)), Some((c, d))) if a.max(c) <= b.min(d) => Some((a.max(c), b.min(d))),
            _ => None,
        };
        if self.flags != other.flags {
            self.flags = None;
        }
        self.dead = false;
        Ok(())
    }

    /// True if code written for state `head` may be entered from `self`: everything `head`
    /// believes is true here.
    pub(crate) fn compatible(&self, head: &State) -> Result<(), String> {
        if self.dead {
            return Ok(());
        }
        for r in Reg::ALL {
            if head.holds(r).is_some() && head.holds(r) != self.holds(r) {
                return Err(format!(
                    "register {r:?} should hold {:?} but holds {:?}",
                    head.holds(r),
                    self.holds(r)
                ));
            }
        }
        if let Some(&c) = self.stale().iter().find(|c| !head.is_stale(**c)) {
            return Err(format!(
                "p[{c}] is out of date in memory but not at the head"
            ));
        }
        if head.flags.is_some() && head.flags != self.flags {
            return Err("the flags do not hold what the head expects".into());
        }
        if let Some((lo, hi)) = head.proven
            && !(self.proven(lo) && self.proven(hi))
        {
            return Err("cells the head knows on the tape are not known here".into());
        }
        Ok(())
    }

    /// A copy that also believes the memory of every cell in `cells` may be out of date (each
    /// must be held by a register): the state at the head of a loop that may change them.
    pub(crate) fn with_stale(&self, cells: &[i32]) -> State {
        let mut s = *self;
        for &c in cells {
            debug_assert!(s.regs.contains(&c));
            s.stale.insert(c);
        }
        s
    }

    /// A copy in which `reg` holds `off`, out of date in memory (a loop head's forwarded cell).
    pub(crate) fn holding(&self, reg: Reg, off: i32) -> State {
        let mut s = *self;
        s.regs[slot(reg)] = off;
        s.stale.insert(off);
        s
    }

    /// A copy as it would be after the pointer moved by `cells` (every offset that much smaller).
    pub(crate) fn shifted(&self, cells: i32) -> State {
        let mut s = *self;
        s.shift(cells);
        s
    }

    /// A copy without the beliefs about `rax` and `rdx` (which hold values on their way, not
    /// cells to keep): the state to fix at a loop head.
    pub(crate) fn homes_only(&self) -> State {
        let mut s = *self;
        for r in [Reg::Rax, Reg::Rdx] {
            s.regs[slot(r)] = FREE;
        }
        s
    }

    /// The state of a loop head where every cell is in memory: only the flags (and, if the
    /// loop does not move the pointer, what is known to be on the tape) carry over. Every
    /// cell's memory must be current.
    pub(crate) fn in_memory(&self, keep_proven: bool) -> State {
        debug_assert!(self.stale.is_empty());
        State {
            flags: self.flags,
            proven: self.proven.filter(|_| keep_proven),
            ..State::new()
        }
    }

    /// Every belief about a register: `(reg, cell)`.
    pub(crate) fn held(&self) -> impl Iterator<Item = (Reg, i32)> + '_ {
        Reg::ALL
            .into_iter()
            .filter_map(|r| self.holds(r).map(|c| (r, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::codegen::effect::Regs;
    use crate::jit::codegen::encode::Ops;
    use crate::jit::codegen::inst::Inst;

    fn after(insts: &[Inst]) -> Result<State, String> {
        let mut s = State::new();
        for i in insts {
            s.check(&i.requires())?;
            s.apply(&i.effect())?;
        }
        Ok(s)
    }

    fn load(reg: Reg, off: i32) -> Inst {
        Inst::Load { reg, off }
    }

    #[test]
    fn a_load_is_remembered_until_the_cell_or_register_changes() {
        let s = after(&[load(Reg::Rsi, 2)]).unwrap();
        assert_eq!(s.reg_of(2, &Reg::ALL), Some(Reg::Rsi));
        let s = after(&[load(Reg::Rsi, 2), Inst::SetMem { off: 2, val: 7 }]).unwrap();
        assert_eq!(s.reg_of(2, &Reg::ALL), None);
        let s = after(&[load(Reg::Rsi, 2), Inst::SetMem { off: 3, val: 7 }]).unwrap();
        assert_eq!(s.reg_of(2, &Reg::ALL), Some(Reg::Rsi));
        let s = after(&[load(Reg::Rsi, 2), Inst::Zero { reg: Reg::Rsi }]).unwrap();
        assert_eq!(s.reg_of(2, &Reg::ALL), None);
    }

    #[test]
    fn a_cell_changed_in_a_register_is_stale_in_memory_until_written_back() {
        let add = Inst::AddReg {
            reg: Reg::R8,
            off: 1,
            val: 1,
            flags: true,
        };
        let s = after(&[load(Reg::R8, 1), add]).unwrap();
        assert!(s.is_stale(1));
        assert_eq!(s.flags(), Some(1));
        // Reading memory that is out of date is refused.
        let err = after(&[load(Reg::R8, 1), add, Inst::CmpMem { off: 1 }]).unwrap_err();
        assert!(err.contains("out of date"), "{err}");
        // Overwriting the only copy is refused.
        let err = after(&[load(Reg::R8, 1), add, Inst::Zero { reg: Reg::R8 }]).unwrap_err();
        assert!(err.contains("lost"), "{err}");
        let back = Inst::WriteBack {
            off: 1,
            reg: Reg::R8,
        };
        let s = after(&[load(Reg::R8, 1), add, back, Inst::CmpMem { off: 1 }]).unwrap();
        assert!(!s.is_stale(1));
        // An update through a register that does not hold the cell is refused.
        let wrong = Inst::AddReg {
            reg: Reg::R9,
            off: 1,
            val: 1,
            flags: false,
        };
        assert!(after(&[load(Reg::R8, 1), wrong]).is_err());
    }

    #[test]
    fn imul_loses_the_flags_and_lea_keeps_them() {
        let cmp = Inst::CmpMem { off: 0 };
        let mul = Inst::MulImm {
            dst: Reg::Rdx,
            src: Reg::Rax,
            k: 2,
        };
        // The miscompile of issue 8: imul left ZF undefined while the generator still
        // believed it reflected p[0].
        assert_eq!(after(&[cmp, mul]).unwrap().flags(), None);
        let lea = Inst::AddReg {
            reg: Reg::Rcx,
            off: 5,
            val: 1,
            flags: false,
        };
        assert_eq!(
            after(&[load(Reg::Rcx, 5), cmp, lea]).unwrap().flags(),
            Some(0)
        );
        // ... but not when it changes the very cell the flags reflect.
        let lea0 = Inst::AddReg {
            reg: Reg::Rcx,
            off: 0,
            val: 1,
            flags: false,
        };
        assert_eq!(
            after(&[load(Reg::Rcx, 0), cmp, lea0]).unwrap().flags(),
            None
        );
    }

    #[test]
    fn moves_shift_what_is_known() {
        let s = after(&[
            Inst::CmpMem { off: 3 },
            load(Reg::Rcx, 1),
            Inst::MoveP { cells: 2 },
        ])
        .unwrap();
        assert_eq!(s.flags(), Some(1));
        assert_eq!(s.reg_of(-1, &Reg::ALL), Some(Reg::Rcx));
        assert!(s.proven(1) && s.proven(-1) && !s.proven(2));
    }

    #[test]
    fn merging_keeps_what_both_paths_agree_on() {
        let a = after(&[load(Reg::Rcx, 1), load(Reg::Rsi, 2)]).unwrap();
        let b = after(&[load(Reg::Rcx, 1), load(Reg::Rsi, 3)]).unwrap();
        let m = a.merge(&b).unwrap();
        assert_eq!(m.holds(Reg::Rcx), Some(1));
        assert_eq!(m.holds(Reg::Rsi), None);
        // A stale cell in different places on the two paths cannot be merged.
        let set = |reg| Inst::SetReg {
            reg,
            off: 4,
            val: 1,
        };
        let c = after(&[set(Reg::Rcx)]).unwrap();
        let d = after(&[set(Reg::Rsi)]).unwrap();
        assert!(c.merge(&d).is_err());
        assert!(c.merge(&c).is_ok());
    }

    #[test]
    fn a_loop_head_must_be_entered_with_what_it_expects() {
        let head = after(&[load(Reg::R8, 0)]).unwrap().with_stale(&[0]);
        let entry = after(&[load(Reg::R8, 0)]).unwrap();
        entry.compatible(&head).unwrap();
        let other = after(&[load(Reg::R9, 0)]).unwrap();
        assert!(other.compatible(&head).is_err());
        let mut ops = Ops::new(0);
        let call = Inst::Call {
            target: ops.new_dynamic_label(),
            clobbers: Regs::of(&[Reg::Rax]),
            needs: None,
        };
        // Calls keep the cell homes.
        let s = after(&[load(Reg::R8, 0), call]).unwrap();
        s.compatible(&head).unwrap();
    }
}
