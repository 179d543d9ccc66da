//! Code that only `--debug` and `--profile` add: `#` dumps and profile counters.
//!
//! Without those options none of this emits a byte: a program without [`Op::Debug`]
//! instructions has no dump calls, and without [`crate::Config::profile`] the counting
//! methods return at once. The tests compare the code with and without the options.
//!
//! ```text
//! # (with --debug)     call flush                      ; output so far goes first
//!                      mov rdi, r14                    ; the context block
//!                      lea rsi, [rbx + off]            ; the program's pointer cell
//!                      mov edx, index                  ; which `#` (an IR index)
//!                      call [r14 + debug_hook]         ; into Rust: jit::hook
//!
//! while p[0] {         cmp byte [rbx], 0
//! (with --profile)     je end
//!                    body:
//!                      mov rdx, [r14 + counters]       ; iterations of construct k
//!                      add qword [rdx + 16*k + 8], 1
//!   ...                ...
//! } while p[0]         cmp byte [rbx], 0
//!                      jne body
//!                    end:
//!                      mov rdx, [r14 + counters]       ; entries of construct k
//!                      add qword [rdx + 16*k], 1
//! ```
//!
//! Entries are counted where the construct is left, not where it is reached: the compare
//! at the top may be the access that faults for a bounds check of moves before the loop,
//! and the interpreter, which checks bounds eagerly, never reaches the loop then. Counted at
//! the exit, both agree even on runs that fail (a construct the error happens inside is not
//! counted as entered).
//!
//! A scan's iterations are counted without a loop to hook into: its counter gets `rbx`
//! subtracted when the scan starts and added when it ends, so it gains the bytes the scan
//! moved, which the driver divides by the stride. Counter increments change the flags and
//! `rdx`; like every instruction of program code they are [`Inst`]s with a declared effect,
//! so the tracker forgets what the flags held and the verifier checks the declaration.

use super::Gen;
use super::effect::Regs;
use super::inst::Inst;
use crate::ir::Op;

impl Gen<'_> {
    /// Construct `i`'s counter slots `(entries, body)`, when profiling.
    fn slots(&self, i: usize) -> Option<(u32, u32)> {
        let k = self.constructs.as_ref()?[i];
        debug_assert_ne!(k, u32::MAX, "instruction {i} is a construct");
        Some((2 * k, 2 * k + 1))
    }

    /// `--profile`: counts a finished run of the scan at instruction `i` (emitted after it).
    pub(super) fn count_exit(&mut self, i: usize) {
        if let Some((entries, _)) = self.slots(i) {
            self.emit(Inst::Count { slot: entries });
        }
    }

    /// `--profile`: the loop or `if` at instruction `i` opens (its end will count an exit).
    pub(super) fn count_open(&mut self, i: usize) {
        if self.constructs.is_some() {
            self.open_constructs.push(i);
        }
    }

    /// `--profile`: the innermost open loop or `if` closes: counts a finished run (emitted
    /// at its end label, where both ways out join).
    pub(super) fn count_close(&mut self) {
        if let Some(i) = self.open_constructs.pop() {
            self.count_exit(i);
        }
    }

    /// `--profile`: counts a run of the body of the loop or `if` at instruction `i` (emitted
    /// where its body starts).
    pub(super) fn count_body(&mut self, i: usize) {
        if let Some((_, body)) = self.slots(i) {
            self.emit(Inst::Count { slot: body });
        }
    }

    /// `--profile`: subtracts the pointer register from the scan's counter where the scan
    /// starts (`end == false`) and adds it where it ends.
    pub(super) fn count_scan(&mut self, i: usize, end: bool) {
        if let Some((_, body)) = self.slots(i) {
            self.emit(Inst::CountPointer {
                slot: body,
                add: end,
            });
        }
    }

    /// `#` at instruction `i`: flush the output, then call the dump hook.
    pub(super) fn debug_dump(&mut self, i: usize, off: i32) {
        debug_assert!(matches!(self.ir.code[i].op, Op::Debug { .. }));
        // The dump reads the tape: every cell's memory must be current, and a bounds check
        // before it must have faulted already.
        self.write_back_all();
        self.end_window();
        self.emit(Inst::Call {
            target: self.sub.flush,
            clobbers: Regs::NONE,
            needs: None,
        });
        self.emit(Inst::DebugHook {
            off,
            index: i as u32,
        });
    }
}

#[cfg(test)]
mod tests {
    use iced_x86::{Decoder, DecoderOptions, Mnemonic, OpKind, Register};

    use crate::jit::runtime::Ctx;
    use crate::{Config, OptLevel, Program};

    /// `(references to Ctx::counters, indirect calls through Ctx::debug_hook)` in the code
    /// compiled for `src`.
    fn uses(src: &[u8], config: Config) -> (usize, usize) {
        let program = Program::new(src, &config).unwrap();
        let code = super::super::compile(program.ir(), &config, false, Default::default()).unwrap();
        let counters = std::mem::offset_of!(Ctx, counters) as u64;
        let hook = std::mem::offset_of!(Ctx, debug_hook) as u64;
        let mut found = (0, 0);
        let program_code = &code.bytes[..code.fault_stub];
        for ins in Decoder::with_ip(64, program_code, 0, DecoderOptions::NONE) {
            let on_ctx = |disp: u64| {
                (0..ins.op_count()).any(|k| ins.op_kind(k) == OpKind::Memory)
                    && ins.memory_base() == Register::R14
                    && ins.memory_displacement64() == disp
            };
            if on_ctx(counters) {
                found.0 += 1;
            }
            if on_ctx(hook) && ins.mnemonic() == Mnemonic::Call {
                found.1 += 1;
            }
        }
        found
    }

    #[test]
    fn without_the_options_no_code_touches_the_hook_or_the_counters() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
        for name in ["primes.bf", "sierpinski.bf", "rot13.bf", "wc.bf"] {
            let src = std::fs::read(dir.join(name)).unwrap();
            let mut with_hash = src.clone();
            with_hash.extend_from_slice(b"#>#");
            for level in [OptLevel::O0, OptLevel::O2] {
                let config = Config::default().opt_level(level);
                assert_eq!(uses(&with_hash, config), (0, 0), "{name} {level:?}");
                // With the options: one call per `#`, two increments per construct.
                let (_, calls) = uses(&with_hash, config.debug(true));
                assert_eq!(calls, 2, "{name} {level:?}");
                let profiled = config.profile(true);
                let program = Program::new(src.as_slice(), &profiled).unwrap();
                let constructs = crate::profile::constructs(program.ir());
                let scans = constructs
                    .iter()
                    .filter(|&&i| {
                        matches!(program.ir().code[i as usize].op, crate::ir::Op::Scan { .. })
                    })
                    .count();
                // A loop or if: entries and body; a scan: entries, and its pointer twice.
                let (increments, _) = uses(&src, profiled);
                assert_eq!(increments, 2 * constructs.len() + scans, "{name} {level:?}");
            }
        }
    }
}
