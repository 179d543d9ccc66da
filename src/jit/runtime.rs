//! The JIT runtime: the tape and its guard pages, the context block shared with generated
//! code, in-memory files for [`crate::Io::memory`], and the call into generated code.
//!
//! # Memory layout of a run
//!
//! ```text
//!   guard (PROT_NONE) | cell 0 ... cell N-1 [slack to a page boundary] | guard (PROT_NONE)
//!                     ^ page aligned: cell -1 is the last byte of the left guard
//! ```
//!
//! The whole region is one anonymous mapping reserved with `MAP_NORESERVE`, so a large tape
//! costs address space, not memory, until it is touched. It is mapped inaccessible and the
//! cells are then made readable and writable: two system calls, where mapping it readable
//! and protecting each guard would take three. A load or store through
//! a pointer that left the tape lands in a guard and raises `SIGSEGV`, which
//! [`super::fault`] turns into an error report. The right guard starts exactly at the end of
//! the tape when the tape is a whole number of pages (the default, 2^20 cells, is); otherwise
//! the generated code checks the right end explicitly (see `src/jit/codegen/`).

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::FromRawFd;

/// Size of each guard region. Accesses further than this from the tape are checked
/// explicitly by the generated code instead.
pub(crate) const GUARD: usize = 1 << 24;

/// The context block: everything generated code needs besides its registers, at fixed
/// offsets (the codegen uses `offset_of!`). The generated code gets a pointer to it in `r14`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Ctx {
    // The fields the generated code uses most come first: within 128 bytes of `r14`, an
    // access takes a one-byte displacement (`mov [r14+0x40], rcx` is four bytes, not seven).
    /// Where the subroutines save the registers they preserve (they never push: no
    /// subroutine moves `rsp`, so a debugger's call frame information stays simple).
    /// `puts` uses slot 0, `flush` slots 1-6, and `getc` slots 1-5 after it has called
    /// `flush`.
    pub save: [u64; 7],
    /// Address of cell 0 (for explicit checks).
    pub tape_start: u64,
    /// Address one past the last cell (for explicit checks).
    pub tape_end: u64,
    /// Start of the output buffer ([`crate::io::OUT_BUF`] bytes).
    pub out_buf: *mut u8,
    /// File descriptor written by `.`.
    pub out_fd: i32,
    /// Nonzero: flush the output buffer after every `\n`.
    pub line_flush: u32,
    /// Start of the input buffer.
    pub in_buf: *mut u8,
    /// Next unread byte in the input buffer.
    pub in_pos: u64,
    /// Bytes in the input buffer.
    pub in_len: u64,
    /// Capacity of the input buffer.
    pub in_cap: u64,
    /// File descriptor read by `,`.
    pub in_fd: i32,
    /// Nonzero once `read` has reported end of input: later `,` do not read again.
    pub in_eof: u32,
    /// `errno` of a failed read or write (0: `write` returned 0).
    pub errno: i32,
    /// `rsp` after the prologue, restored by every exit path.
    pub saved_rsp: u64,
    /// Address of the instruction that faulted (or just after a failed explicit check).
    pub fault_rip: u64,
    /// Nonzero if the fault was not in a guard page: a bug, reported as such.
    pub fault_unexpected: u64,
    /// The address whose access faulted.
    pub fault_addr: u64,
    /// The tape pointer register at exit.
    pub final_p: u64,
    /// The output cursor register at exit.
    pub final_out: u64,
    /// Code range, for the signal handler to recognise faults of ours.
    pub code_start: u64,
    /// End of the code range.
    pub code_end: u64,
    /// Where the signal handler sends a fault.
    pub fault_stub: u64,
    /// The guard regions, `[start, end)` each.
    pub guards: [[u64; 2]; 2],
    /// `--debug`: the function the code for `#` calls (`jit::hook::debug_hook`), or 0.
    pub debug_hook: u64,
    /// Its data (a `jit::hook::HookData`), or null.
    pub debug_data: *mut std::ffi::c_void,
    /// `--profile`: the counters the code increments, or null.
    pub counters: *mut u64,
}

/// Exit statuses returned by the generated code.
pub(crate) mod status {
    /// The program ended.
    pub const OK: u64 = 0;
    /// A tape access faulted or an explicit check failed: see `Ctx::fault_rip`.
    pub const FAULT: u64 = 1;
    /// `write` failed: see `Ctx::errno`.
    pub const OUTPUT: u64 = 2;
    /// `read` failed: see `Ctx::errno`.
    pub const INPUT: u64 = 3;
    /// Run-time verification ([`crate::jit::Options::verify`]) found that the code
    /// generator's record of a register or the flags was wrong: see `Ctx::fault_rip`.
    pub const VERIFY: u64 = 4;
}

/// The system page size.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 { n as usize } else { 4096 }
}

/// The tape of one run, between two guard regions.
pub(crate) struct Tape {
    /// Start of the mapping (the left guard), `2 * GUARD + data` bytes long.
    base: *mut u8,
    /// Bytes of cells, rounded up to whole pages.
    data: usize,
    /// Bytes of cells actually on the tape.
    used: usize,
}

impl Tape {
    /// Maps a zeroed tape of `cells` cells of `cell_bytes` bytes each.
    pub(crate) fn new(cells: usize, cell_bytes: usize) -> io::Result<Tape> {
        let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "tape too large");
        let used = cells.checked_mul(cell_bytes).ok_or_else(too_big)?;
        let data = used
            .checked_next_multiple_of(page_size())
            .ok_or_else(too_big)?;
        let total = data.checked_add(2 * GUARD).ok_or_else(too_big)?;
        // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing; it
        // overlaps nothing of ours.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                total,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // From here on `Drop` unmaps it, also when the next call fails.
        let tape = Tape {
            base: base.cast(),
            data,
            used,
        };
        // SAFETY: the cells, page aligned, inside the mapping just made (`data` may be 0,
        // which `mprotect` accepts).
        let r = unsafe {
            libc::mprotect(
                tape.cell0().cast(),
                data,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(tape)
    }

    /// Zeroes every cell, for another run on the same tape: the kernel drops the pages
    /// (`MADV_DONTNEED`) and hands out zeroed ones as they are touched again.
    pub(crate) fn clear(&self) -> io::Result<()> {
        // SAFETY: the cells, page aligned, inside our mapping; generated code is not
        // running, and no Rust reference covers them.
        let r = unsafe { libc::madvise(self.cell0().cast(), self.data, libc::MADV_DONTNEED) };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Address of cell 0.
    pub(crate) fn cell0(&self) -> *mut u8 {
        // In bounds: the mapping is 2 * GUARD + data bytes long.
        self.base.wrapping_add(GUARD)
    }

    /// Address of cell 0, as a number.
    pub(crate) fn cell0_addr(&self) -> usize {
        self.base as usize + GUARD
    }

    /// The value of cell `index` (cells of `cell_bytes` bytes), if it is on the tape.
    pub(crate) fn cell(&self, index: usize, cell_bytes: usize) -> Option<u32> {
        let at = index.checked_mul(cell_bytes)?;
        if at >= self.used {
            return None;
        }
        let mut bytes = [0u8; 4];
        // SAFETY: `at + cell_bytes <= used`, so the read is inside the tape's readable
        // pages; generated code is not running (it runs only inside `Jit::run`'s call).
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base.add(GUARD + at),
                bytes.as_mut_ptr(),
                cell_bytes,
            );
        }
        Some(u32::from_le_bytes(bytes))
    }

    /// Address one past the last cell.
    pub(crate) fn end(&self) -> usize {
        self.base as usize + GUARD + self.used
    }

    /// The two guard regions as `[start, end)` addresses.
    pub(crate) fn guards(&self) -> [[usize; 2]; 2] {
        let base = self.base as usize;
        [
            [base, base + GUARD],
            [base + GUARD + self.data, base + 2 * GUARD + self.data],
        ]
    }
}

// SAFETY: a `Tape` owns its mapping alone (the pointer is never shared or copied out but
// for a run, which ends before `Jit::run` returns), like the `memmap2` mapping it replaced:
// moving it to another thread moves the only handle to that memory.
unsafe impl Send for Tape {}

impl Drop for Tape {
    fn drop(&mut self) {
        // SAFETY: the whole mapping made in `new`, unmapped once; generated code has
        // returned, and nothing else points into it.
        unsafe { libc::munmap(self.base.cast(), self.data + 2 * GUARD) };
    }
}

/// An anonymous in-memory file (`memfd_create`), closed on exec.
pub(crate) fn memfd(name: &CStr) -> io::Result<File> {
    // SAFETY: `name` is a valid NUL-terminated string.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and is owned by nobody else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// The signature of generated code: `entry(ctx, cell0) -> status`.
pub(crate) type Entry = unsafe extern "sysv64" fn(ctx: *mut Ctx, cell0: *mut u8) -> u64;
