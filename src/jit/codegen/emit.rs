//! Emitting program code in step with what the generator believes about the machine.
//!
//! Every instruction of program code goes through [`Gen::emit`], which checks that what the
//! instruction needs is so ([`State::check`]), encodes it, and applies its declared effect
//! ([`super::inst::Inst::effect`]) to the [`State`]. Where paths of the generated code meet
//! (the end of an `if`, the exit of a loop, a loop head), the states of the paths are merged
//! or checked against each other ([`Gen::join`], [`Gen::place_head`]): a disagreement is a
//! code generator bug, reported as a compile error rather than turned into wrong code.
//!
//! `emit` is inlined into each call site: there the instruction is mostly known, so its
//! requirement and declared effect fold down to the few updates they make.

use super::effect::Effect;
use super::inst::Inst;
use super::jumps::Target;
use super::state::State;
use super::{Gen, verify};

impl Gen<'_> {
    /// Emits one instruction of program code: checks its requirement, encodes it, and
    /// applies its declared effect.
    #[inline(always)]
    pub(super) fn emit(&mut self, inst: Inst) {
        // (The declaration is worked out first, while the instruction is known at this
        // call site, so that it folds to constants. Worked out after the call of the
        // encoder, it was not: the compiler merged the tails of the inlined copies and
        // rebuilt the effect through a jump table on the instruction's kind, some 20
        // instructions per instruction emitted, and applied it without shortcuts. This
        // line took lostkng's code generation from 37.2 to 33.1 million instructions.)
        let effect = inst.effect();
        if let Err(e) = self.state.check(&inst.requires()) {
            self.fail(format!("{inst:?} needs what is not so: {e}"));
        }
        let start = self.here();
        inst.encode(&mut self.ops, self.enc);
        match inst {
            Inst::Jump { target, short, .. } => {
                self.jumps.record(target, self.here(), short);
                self.arrive(target)
            }
            Inst::Call { target, .. }
            | Inst::CallNoReturn { target }
            | Inst::LeaLabel { label: target, .. } => self.label_refs.push((self.here(), target)),
            Inst::JumpBack { head, .. } => {
                let head = self.head_state(head).unwrap_or_default();
                if let Err(e) = self.state.compatible(&head) {
                    self.fail(format!("jump back to a loop head: {e}"));
                }
            }
            _ => {}
        }
        self.record(start, effect);
    }

    /// Emits a sequence of instructions written with dynasm directly (never with
    /// [`Gen::emit`]), declaring what it does as a whole.
    pub(super) fn sequence(&mut self, effect: Effect, code: impl FnOnce(&mut Self)) {
        let start = self.here();
        code(self);
        self.record(start, effect);
    }

    #[inline(always)]
    fn record(&mut self, start: u32, effect: Effect) {
        if let Err(e) = self.state.apply(&effect) {
            self.fail(e);
        }
        if let Some(off) = effect.touches
            && !self.pending.is_empty()
        {
            self.pending.retain(|&p| p != off);
        }
        let end = self.here();
        if let Some(pieces) = &mut self.pieces {
            pieces.push(verify::Piece { start, end, effect });
        }
    }

    /// Records the first bug found in the code generator's bookkeeping.
    pub(super) fn fail(&mut self, e: String) {
        if self.error.is_none() {
            self.error = Some(match self.ir.code.get(self.at) {
                Some(ins) => format!(
                    "at IR instruction {} ({}): {e}",
                    self.at,
                    self.ir.display(&ins.op)
                ),
                None => e,
            });
        }
    }

    /// A jump to `label` (placed later) carries the current state there.
    pub(super) fn arrive(&mut self, label: Target) {
        // (A map from target to state. Targets nest like the code they come from: every
        // target made after `label` is placed before it, so the state of `label`, if there
        // is one yet, is the last one: found at once even a million loops deep. Code that
        // broke the nesting would leave a jump unplaced, which `compile` reports.)
        match self.arrivals.last_mut() {
            Some((t, s)) if *t == label => match s.merge_in(&self.state, false) {
                Ok(()) => {}
                Err(e) => {
                    self.arrivals.pop();
                    self.fail(format!("paths to one label disagree: {e}"));
                }
            },
            _ => self.arrivals.push((label, self.state)),
        }
    }

    /// The merged state of the jumps to `label` so far, if any jumps to it (see
    /// [`Gen::arrive`]).
    pub(super) fn arrival(&self, label: Target) -> Option<&State> {
        self.arrivals
            .last()
            .filter(|(t, _)| *t == label)
            .map(|(_, s)| s)
    }

    /// The state of the open loop head at code offset `at` (loops nest: the one jumped back
    /// to is the innermost open one, the last).
    fn head_state(&self, at: u32) -> Option<State> {
        self.heads.last().filter(|(h, _)| *h == at).map(|&(_, s)| s)
    }

    /// Forgets the loop head at code offset `at` (its loop, the innermost, is closed).
    pub(super) fn drop_head(&mut self, at: u32) {
        if self.heads.last().is_some_and(|&(h, _)| h == at) {
            self.heads.pop();
        }
    }

    /// Places `label` where paths join: the state is what the paths agree on. The forward
    /// jumps to it get their displacement.
    pub(super) fn join(&mut self, label: Target) {
        let here = self.here();
        self.jumps.place(label, here, &mut self.ops);
        // (Merged into the current state where the arrivals keep it, then dropped: no copy
        // of a state out of the map.)
        if let Some((t, other)) = self.arrivals.last()
            && *t == label
        {
            let merged = self.state.merge_in(other, true);
            self.arrivals.pop();
            if let Err(e) = merged {
                self.fail(format!("paths disagree where they join: {e}"));
            }
        }
    }

    /// Places a loop head here with the state `head`, which the code falling into it must be
    /// compatible with (so must every jump back to it); returns its code offset.
    pub(super) fn place_head(&mut self, head: State) -> u32 {
        if let Err(e) = self.state.compatible(&head) {
            self.fail(format!("entering a loop: {e}"));
        }
        let at = self.here();
        self.state = head;
        // (A map from offset to state; loops nest, so it is a stack. A loop's head comes
        // after the jump that skips it, so each head is further than the open ones: never
        // one already there, and no search for it, which nests a million deep.)
        debug_assert!(self.heads.last().is_none_or(|&(h, _)| h < at));
        self.heads.push((at, head));
        at
    }

    /// Forgets every register and flag (the pointer is not where the paths' offsets assume),
    /// which needs every cell's memory to be current.
    pub(super) fn forget(&mut self) {
        if !self.state.stale().is_empty() {
            self.fail(format!(
                "forgetting cells {:?} held only in registers",
                self.state.stale()
            ));
        }
        self.state = State::new();
    }

    /// True if ZF already tells whether `p[off]` is 0 (and the generator may rely on it).
    pub(super) fn flags_hold(&self, off: i32) -> bool {
        self.options.cache && self.state.flags() == Some(off)
    }
}
