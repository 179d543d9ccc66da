//! Error messages of an executable, in machine code: the same text `jitbf` prints.
//!
//! After the program returns a failure status, the start-up code builds the message in the
//! (no longer needed) input buffer and writes it to stderr, then exits with status 1:
//!
//! * an I/O error: `error: cannot write output: Broken pipe (os error 32)`, the description
//!   coming from the table of Rust's `errno` texts ([`super::table`]);
//! * a move off the tape: the code offset of the fault picks the unit (binary search in the
//!   unit table), the unit's reaches give the move that left the tape for the pointer at the
//!   time (the arithmetic of [`crate::ir::Ir::check_failure`]; for a scan, replaying the scan
//!   over the tape as the JIT's driver does), and the message is rendered as
//!   [`crate::render`] does: the line cut to a window of 72 characters around the column,
//!   `...` where it was cut, trailing white space trimmed, the caret under the move.
//!
//! Register use: `r14` is the context block throughout; `rdi` is the cursor in the message
//! buffer, which `rep movsb` and `rep stosb` advance.

use dynasmrt::{DynasmApi, DynasmLabelApi, dynasm};

use super::start::ctx;
use super::table::{FLAG, LINE, REACH, Str, UNIT};
use super::{Asm, bss};

/// Widest excerpt of a source line, as in [`crate::render`].
const WINDOW: i32 = 72;

impl Asm {
    /// Appends the table string `s` at `rdi`.
    fn app(&mut self, s: Str) {
        let label = self.table_label(s.off);
        dynasm!(self.ops
            ; .arch x64
            ; lea rsi, [=>label]
            ; mov ecx, s.len as i32
            ; rep movsb
        );
    }

    /// `rdi` = start of the message buffer.
    fn message_start(&mut self) {
        dynasm!(self.ops; .arch x64; lea rdi, [r14 + bss::IN_BUF as i32]);
    }

    /// All the error paths and the helpers they share.
    pub(super) fn reports(&mut self) {
        let l = self.labels;
        let s = self.strings;
        // Helpers. dec: append rax in decimal (clobbers rax, rcx, rdx, rsi, r8).
        self.symbol("jitbf.decimal");
        dynasm!(self.ops
            ; .arch x64
            ; =>l.dec
            ; lea r8, [rsp - 8]
            ; mov ecx, 10
            ; digit:
            ; xor edx, edx
            ; div rcx
            ; add dl, b'0' as i8
            ; sub r8, 1
            ; mov [r8], dl
            ; test rax, rax
            ; jnz <digit
            ; lea rcx, [rsp - 8]
            ; sub rcx, r8
            ; mov rsi, r8
            ; rep movsb
            ; ret
        );
        // errno: append the description of errno eax and " (os error N)\n".
        let errnos = self.table_label(self.table.errnos);
        self.symbol("jitbf.errno");
        dynasm!(self.ops
            ; .arch x64
            ; =>l.errno
            ; mov ebx, eax
            ; cmp eax, super::table::MAX_ERRNO as i32
            ; ja >unknown
            ; lea rsi, [=>errnos]
            ; mov ecx, eax
            ; skip:                                     // past the descriptions before it
            ; test ecx, ecx
            ; jz >at
            ; movzx edx, BYTE [rsi]
            ; lea rsi, [rsi + rdx + 1]
            ; sub ecx, 1
            ; jmp <skip
            ; at:
            ; movzx ecx, BYTE [rsi]
            ; test ecx, ecx
            ; jz >unknown
            ; add rsi, 1
            ; rep movsb
            ; jmp >number
            ; unknown:
        );
        self.app(s.unknown_error);
        dynasm!(self.ops; .arch x64; mov eax, ebx; call =>l.dec; number:);
        self.app(s.os_error);
        dynasm!(self.ops; .arch x64; mov eax, ebx; call =>l.dec);
        self.app(s.close);
        dynasm!(self.ops; .arch x64; ret);

        // Writes the message buffer up to rdi to stderr (errors ignored, as jitbf does)
        // and exits with status 1.
        self.symbol("jitbf.fail");
        dynasm!(self.ops
            ; .arch x64
            ; =>l.fail
            ; lea rsi, [r14 + bss::IN_BUF as i32]
            ; mov r8, rdi
            ; sub r8, rsi
            ; again:
            ; test r8, r8
            ; jz >done
            ; mov rdx, r8
            ; mov edi, 2
            ; mov eax, libc::SYS_write as i32
            ; syscall
            ; cmp rax, -libc::EINTR
            ; je <again
            ; test rax, rax
            ; jle >done
            ; add rsi, rax
            ; sub r8, rax
            ; jmp <again
            ; done:
            ; mov edi, 1
            ; jmp =>l.exit
        );

        self.io_errors();
        if self.table.can_fault {
            self.fault_report();
        } else {
            // No check left in the program: a fault can only be a bug.
            dynasm!(self.ops; .arch x64; =>l.fault; jmp =>l.internal);
        }
    }

    /// `cannot write output`, `cannot read input`, `cannot set up the run`.
    fn io_errors(&mut self) {
        let l = self.labels;
        let s = self.strings;
        // A write in the program failed: errno in the context block (0: wrote nothing).
        self.symbol("jitbf.output_failed");
        dynasm!(self.ops; .arch x64; =>l.output_failed);
        self.message_start();
        self.app(s.cannot_write);
        dynasm!(self.ops
            ; .arch x64
            ; mov eax, [r14 + ctx!(errno)]
            ; test eax, eax
            ; jz >nothing
            ; call =>l.errno
            ; jmp =>l.fail
            ; nothing:
        );
        self.app(s.wrote_nothing);
        dynasm!(self.ops; .arch x64; jmp =>l.fail);

        // The final flush failed: errno in eax, or -1 when write returned 0.
        dynasm!(self.ops; .arch x64; =>l.final_flush_failed; mov r12d, eax);
        self.message_start();
        self.app(s.cannot_write);
        dynasm!(self.ops
            ; .arch x64
            ; mov eax, r12d
            ; cmp eax, -1
            ; je >zero
            ; call =>l.errno
            ; jmp =>l.fail
            ; zero:
        );
        self.app(s.whole_buffer);
        dynasm!(self.ops; .arch x64; jmp =>l.fail);

        self.symbol("jitbf.input_failed");
        dynasm!(self.ops; .arch x64; =>l.input_failed);
        self.message_start();
        self.app(s.cannot_read);
        dynasm!(self.ops
            ; .arch x64
            ; mov eax, [r14 + ctx!(errno)]
            ; call =>l.errno
            ; jmp =>l.fail
        );

        // A system call of the start-up failed: -errno in rax.
        self.symbol("jitbf.setup_failed");
        dynasm!(self.ops; .arch x64; =>l.setup_failed; neg eax; mov r12d, eax);
        self.message_start();
        self.app(s.cannot_set_up);
        dynasm!(self.ops
            ; .arch x64
            ; mov eax, r12d
            ; call =>l.errno
            ; jmp =>l.fail
        );

        // A bug: a fault outside the guards, or one the tables do not explain.
        self.symbol("jitbf.internal");
        dynasm!(self.ops; .arch x64; =>l.internal);
        self.message_start();
        self.app(s.internal);
        dynasm!(self.ops
            ; .arch x64
            ; mov rdx, [r14 + ctx!(fault_rip)]
            ; sub rdx, [r14 + ctx!(code_start)]
            ; mov ecx, 60
            ; hex:
            ; mov rax, rdx
            ; shr rax, cl
            ; and eax, 15
            ; add eax, b'0' as i32
            ; cmp eax, b'9' as i32
            ; jbe >put
            ; add eax, (b'a' - b'9' - 1) as i32
            ; put:
            ; stosb
            ; sub ecx, 4
            ; jns <hex
        );
        self.app(s.newline);
        dynasm!(self.ops; .arch x64; jmp =>l.fail);
    }

    /// A move left the tape: find which, and render the message.
    fn fault_report(&mut self) {
        let l = self.labels;
        let t = &self.table;
        let offsets = [t.units, t.reaches, t.lines, t.pool];
        let unit_count = t.unit_count as i32;
        let [units, reaches, lines, pool] = offsets.map(|off| self.table_label(off));
        let cells = self.tape.cells as i64;
        let shift = self.tape.cell_bytes.trailing_zeros() as i8;
        let bias = self.bias;
        let cs = self.tape.cell_bytes;
        self.symbol("jitbf.fault");
        dynasm!(self.ops
            ; .arch x64
            ; =>l.fault
            ; cmp QWORD [r14 + ctx!(fault_unexpected)], 0
            ; jne =>l.internal
            // r15 = p, the pointer the unit's code started from (a cell index, signed).
            ; mov r15, [r14 + ctx!(final_p)]
            ; sub r15, [r14 + ctx!(tape_start)]
            ; sar r15, shift
            ; sub r15, bias
            // The unit: the last entry starting at or before the fault's code offset.
            ; mov rax, [r14 + ctx!(fault_rip)]
            ; sub rax, [r14 + ctx!(code_start)]
            ; lea rsi, [=>units]
            ; xor ecx, ecx
            ; mov edx, unit_count
            ; search:
            ; cmp ecx, edx
            ; jae >found
            ; lea r8d, [rcx + rdx]
            ; shr r8d, 1
            ; mov r9d, r8d
            ; shl r9, 4
            ; cmp [rsi + r9], eax
            ; ja >lower
            ; lea ecx, [r8 + 1]
            ; jmp <search
            ; lower:
            ; mov edx, r8d
            ; jmp <search
            ; found:
            ; test ecx, ecx
            ; jz =>l.internal
            ; shl rcx, 4
            ; lea rsi, [rsi + rcx - UNIT as i32]      // the unit entry
            ; cmp [rsi + 4], eax                       // the fault is before its end
            ; jbe =>l.internal
            ; mov r12d, [rsi + 8]                      // first reach
            ; mov r13d, [rsi + 12]                     // number of reaches, FLAG for a scan
            ; xor r10d, r10d                           // a scan's step (0: a check)
            ; test r13d, FLAG as i32
            ; jz >reached
            ; and r13d, !FLAG as i32
            ; mov eax, r12d
            ; shl rax, 4
            ; lea rdx, [=>reaches]
            ; movsxd r9, DWORD [rdx + rax]             // a scan's cell offset
            ; movsxd r10, DWORD [rdx + rax + 4]        // and step
            ; add r12d, 1
            ; reached:
            ; test r10, r10
            ; jnz >scan
            ; call >check
            ; test rdx, rdx
            ; jz =>l.internal
            ; jmp >render
            // Replay the scan as the interpreter would run it, from where it started.
            ; scan:
            ; lea rax, [r15 + r9]
            ; test rax, rax
            ; js =>l.internal
            ; mov rcx, QWORD cells
            ; cmp rax, rcx
            ; jae =>l.internal
            ; mov rdx, [r14 + ctx!(tape_start)]
        );
        match cs {
            1 => dynasm!(self.ops; .arch x64; movzx ecx, BYTE [rdx + rax]),
            2 => dynasm!(self.ops; .arch x64; movzx ecx, WORD [rdx + rax * 2]),
            _ => dynasm!(self.ops; .arch x64; mov ecx, DWORD [rdx + rax * 4]),
        }
        dynasm!(self.ops
            ; .arch x64
            ; test ecx, ecx
            ; jz =>l.internal
            ; call >check
            ; test rdx, rdx
            ; jnz >render
            ; add r15, r10
            ; jmp <scan

            // check: the first reach (r12 first, r13 many) that leaves the tape for the
            // pointer r15: rdx = its entry and rax = which of its moves, or rdx = 0.
            ; check:
            ; lea rdx, [=>reaches]
            ; mov eax, r12d
            ; imul rax, rax, REACH as i32
            ; add rdx, rax
            ; mov ecx, r13d
            ; next:
            ; test ecx, ecx
            ; jz >none
            ; movsxd rax, DWORD [rdx]                  // offset reached by the first move
            ; movsxd r8, DWORD [rdx + 4]               // count, negative going left
            ; test r8, r8
            ; js >left
            ; mov r11, QWORD cells                     // right: k = cells - p - off
            ; sub r11, r15
            ; sub r11, rax
            ; mov rax, r11
            ; jmp >clamp
            ; left:                                    // left: k = p + off + 1
            ; add rax, r15
            ; add rax, 1
            ; neg r8
            ; clamp:
            ; test rax, rax
            ; jns >fits
            ; xor eax, eax
            ; fits:
            ; cmp rax, r8
            ; jl >hit
            ; add rdx, REACH as i32
            ; sub ecx, 1
            ; jmp <next
            ; none:
            ; xor edx, edx
            ; hit:
            ; ret
        );
        self.render(lines, pool);
    }

    /// Renders the message for move `rax` of reach `rdx`, writes it and exits.
    fn render(&mut self, lines: dynasmrt::DynamicLabel, pool: dynasmrt::DynamicLabel) {
        let l = self.labels;
        let s = self.strings;
        dynasm!(self.ops
            ; .arch x64
            ; render:
            ; mov ebx, [rdx + 12]
            ; add rbx, rax                             // rbx: column (1-based)
            ; mov r12d, [rdx + 8]
            ; imul r12, r12, LINE as i32
            ; lea r13, [=>lines]
            ; add r13, r12                             // r13: the line entry
            ; mov r11d, [rdx + 4]                      // r11: the count, negative going left
            // r15: width of the line number
            ; mov eax, [r13]
            ; mov ecx, 10
            ; xor r15d, r15d
            ; width:
            ; add r15d, 1
            ; xor edx, edx
            ; div ecx
            ; test eax, eax
            ; jnz <width
            ; lea rdi, [r14 + bss::IN_BUF as i32]
            ; test r11d, r11d
            ; js >left
        );
        self.app(s.right);
        dynasm!(self.ops; .arch x64; jmp >located; left:);
        self.app(s.left);
        // ` --> name:line:col`
        dynasm!(self.ops; .arch x64; located:; mov ecx, r15d; mov al, b' ' as i8; rep stosb);
        self.app(s.arrow);
        self.app(s.name_colon);
        dynasm!(self.ops; .arch x64; mov eax, [r13]; call =>l.dec);
        self.app(s.colon);
        dynasm!(self.ops; .arch x64; mov rax, rbx; call =>l.dec);
        self.app(s.newline);
        // `  |`
        dynasm!(self.ops; .arch x64; mov ecx, r15d; mov al, b' ' as i8; rep stosb);
        self.app(s.bar_newline);
        // `3 | text`
        dynasm!(self.ops; .arch x64; mov eax, [r13]; call =>l.dec);
        self.app(s.bar);
        dynasm!(self.ops
            ; .arch x64
            ; lea r8, [rbx - 1]                        // r8: column, 0-based
            ; mov r9d, [r13 + 8]                       // r9: characters in the line
            ; and r9d, !FLAG as i32
            ; mov r10d, [r13 + 12]                     // r10: characters before trailing blanks
            // first = min(max(c - 36, 0), max(len - 72, 0))
            ; lea r11, [r8 - WINDOW / 2]
            ; test r11, r11
            ; jns >a
            ; xor r11d, r11d
            ; a:
            ; lea rax, [r9 - WINDOW]
            ; test rax, rax
            ; jns >b
            ; xor eax, eax
            ; b:
            ; cmp r11, rax
            ; jbe >c
            ; mov r11, rax
            ; c:
            // last = min(first + 72, len), in r12
            ; lea r12, [r11 + WINDOW]
            ; cmp r12, r9
            ; jbe >d
            ; mov r12, r9
            ; d:
            ; mov rbx, r8
            ; sub rbx, r11                             // rbx: caret column
            ; test r11, r11
            ; jz >e
        );
        self.app(s.dots);
        dynasm!(self.ops
            ; .arch x64
            ; add rbx, 3
            ; e:
            // end = last < len ? last : max(first, trimmed), in rax
            ; mov rax, r12
            ; cmp r12, r9
            ; jb >f
            ; mov rax, r10
            ; cmp rax, r11
            ; jae >f
            ; mov rax, r11
            ; f:
            // Characters [first, end) of the shown text: byte offsets from the table of a
            // line that is not ASCII.
            ; mov esi, [r13 + 4]
            ; lea rcx, [=>pool]
            ; add rsi, rcx
            ; test DWORD [r13 + 8], FLAG as i32
            ; jz >ascii
            ; mov ecx, [rsi + rax * 4]                 // byte offset of end
            ; mov edx, [rsi + r11 * 4]                 // byte offset of first
            ; lea rsi, [rsi + r9 * 4 + 4]              // the text after the offsets
            ; jmp >copy
            ; ascii:
            ; mov rcx, rax
            ; mov rdx, r11
            ; copy:
            ; sub rcx, rdx
            ; add rsi, rdx
            ; rep movsb
            ; cmp r12, r9
            ; jae >g
        );
        self.app(s.dots);
        dynasm!(self.ops; .arch x64; g:);
        self.app(s.newline);
        // `  |   ^ this move left the tape`
        dynasm!(self.ops; .arch x64; mov ecx, r15d; mov al, b' ' as i8; rep stosb);
        self.app(s.bar);
        dynasm!(self.ops; .arch x64; mov rcx, rbx; mov al, b' ' as i8; rep stosb);
        self.app(s.caret);
        dynasm!(self.ops; .arch x64; jmp =>l.fail);
    }
}
