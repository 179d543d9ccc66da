//! DWARF debugging information (`jitbf build -g`), written with `gimli`.
//!
//! Debuggers and binutils only need a little to show Brainfuck source:
//!
//! * `.debug_line`: a row at the start of each IR instruction's code with the line and
//!   column of its source (the rows say where a statement starts, so `break PROG.bf:12`
//!   stops at the first instruction of line 12). The prologue maps to the first
//!   instruction's line; the shared subroutines after the program and the start-up code
//!   have no source lines;
//! * `.debug_info`: one compilation unit (the source file's name, the build directory,
//!   the address range and the line table) holding the functions: `bf.main`, the whole
//!   program, and the subroutines it shares (`bf.putc`, `bf.getc`, ...). Brainfuck has no DWARF language code; the unit says assembler, which gdb
//!   shows without trying to parse expressions as C.
//!
//! * `.debug_frame`: how to find the caller's frame, so that `bt` shows `bf.main` called
//!   from `_start` (where the chain ends) and a subroutine called from `bf.main`.
//!
//! With these, `objdump -dl` and `objdump -S` interleave the source with the code,
//! `addr2line -e OUT ADDR` names the line, and gdb can `break PROG.bf:LINE`, `list`, `step`
//! by source line (`stepi` by instruction) and `info line`.

use gimli::write::{
    Address, AttributeValue, CallFrameInstruction, CommonInformationEntry, DwarfUnit, EndianVec,
    FrameDescriptionEntry, FrameTable, LineProgram, LineString,
};
use gimli::{Encoding, Format, LineEncoding, LittleEndian, X86_64, constants};

use super::Options;
use crate::jit::codegen::Code;
use crate::source::LineMap;
use crate::{Error, Program};

/// The DWARF sections for `code`, which is at address `at` and whose program part (before
/// its constant data) is `len` bytes long; the start-up code is at `start`, before it.
pub(super) fn sections(
    program: &Program,
    code: &Code,
    (start, at, len): (u64, u64, u64),
    options: &Options,
) -> Result<Vec<(&'static str, Vec<u8>)>, Error> {
    let err = |e: gimli::write::Error| Error::Compile(format!("cannot write DWARF: {e}"));
    let encoding = Encoding {
        format: Format::Dwarf32,
        version: 4,
        address_size: 8,
    };
    let text = |s: &str| LineString::String(s.as_bytes().to_vec());
    let comp_dir = if options.comp_dir.is_empty() {
        "/"
    } else {
        &options.comp_dir
    };
    let mut lines = LineProgram::new(
        encoding,
        LineEncoding::default(),
        text(comp_dir),
        None,
        text(&options.source_path),
        None,
    );
    let dir = lines.default_directory();
    let file = lines.add_file(text(&options.source_path), dir, None);

    let map = LineMap::new(program.source());
    let ir = program.ir();
    let offsets = &code.instr_offsets;
    lines.begin_sequence(Some(Address::Constant(at)));
    let row = |lines: &mut LineProgram, offset: u32, line: u32, column: u32| {
        let r = lines.row();
        r.address_offset = u64::from(offset);
        r.file = file;
        r.line = u64::from(line);
        r.column = u64::from(column);
        r.is_statement = line != 0;
        lines.generate_row();
    };
    // A row where each instruction's code starts; an instruction without code of its own
    // (a check decided by the accesses after it, a move fused into the loop end after it)
    // leaves the address to the next one. The prologue belongs to the first instruction.
    let mut first = true;
    for (i, ins) in ir.code.iter().enumerate() {
        if offsets[i] == offsets[i + 1] {
            continue;
        }
        let lc = map.line_col(ins.span.start);
        row(
            &mut lines,
            if first { 0 } else { offsets[i] },
            lc.line,
            lc.col,
        );
        first = false;
    }
    let end = offsets[ir.code.len()];
    lines.end_sequence(u64::from(end));

    let mut dwarf = DwarfUnit::new(encoding);
    dwarf.unit.line_program = lines;
    let unit = &mut dwarf.unit;
    let root = unit.root();
    let name = AttributeValue::String(options.source_path.as_bytes().to_vec());
    let cu = unit.get_mut(root);
    cu.set(constants::DW_AT_name, name.clone());
    cu.set(
        constants::DW_AT_comp_dir,
        AttributeValue::String(comp_dir.as_bytes().to_vec()),
    );
    cu.set(
        constants::DW_AT_producer,
        AttributeValue::String(format!("jitbf {}", env!("CARGO_PKG_VERSION")).into_bytes()),
    );
    cu.set(
        constants::DW_AT_language,
        AttributeValue::Language(constants::DW_LANG_Mips_Assembler),
    );
    cu.set(
        constants::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(at)),
    );
    cu.set(constants::DW_AT_high_pc, AttributeValue::Udata(len));
    // bf.main, the program, then each shared subroutine after it, as functions.
    let mut functions = vec![(0, "bf.main".to_string())];
    functions.extend(
        code.symbols
            .iter()
            .filter(|s| s.1 != "end of program")
            .map(|&(off, name)| (off, format!("bf.{}", name.replace(' ', "_")))),
    );
    for (i, (off, name)) in functions.iter().enumerate() {
        let next = functions.get(i + 1).map_or(len, |f| u64::from(f.0));
        let f = unit.add(root, constants::DW_TAG_subprogram);
        let f = unit.get_mut(f);
        f.set(
            constants::DW_AT_name,
            AttributeValue::String(name.as_bytes().to_vec()),
        );
        f.set(
            constants::DW_AT_low_pc,
            AttributeValue::Address(Address::Constant(at + u64::from(*off))),
        );
        f.set(
            constants::DW_AT_high_pc,
            AttributeValue::Udata(next - u64::from(*off)),
        );
        if i == 0 {
            f.set(constants::DW_AT_external, AttributeValue::Flag(true));
            f.set(
                constants::DW_AT_decl_file,
                AttributeValue::FileIndex(Some(file)),
            );
            f.set(constants::DW_AT_decl_line, AttributeValue::Udata(1));
        }
    }

    let mut sections = gimli::write::Sections::new(EndianVec::new(LittleEndian));
    dwarf.write(&mut sections).map_err(err)?;
    frames(code, start, at, len)
        .write_debug_frame(&mut sections.debug_frame)
        .map_err(err)?;
    let mut out = Vec::new();
    sections
        .for_each(|id, data| {
            if !data.slice().is_empty() {
                out.push((id.name(), data.slice().to_vec()));
            }
            Ok::<(), gimli::write::Error>(())
        })
        .map_err(err)?;
    Ok(out)
}

/// Call frame information: the canonical frame address (CFA, the caller's `rsp`) and where
/// the return address and saved registers are, as the stack pointer moves.
fn frames(code: &Code, start: u64, at: u64, len: u64) -> FrameTable {
    let encoding = Encoding {
        format: Format::Dwarf32,
        version: 4,
        address_size: 8,
    };
    // On entry to a function: CFA = rsp + 8, return address at CFA - 8.
    let mut cie = CommonInformationEntry::new(encoding, 1, -8, X86_64::RA);
    cie.add_instruction(CallFrameInstruction::Cfa(X86_64::RSP, 8));
    cie.add_instruction(CallFrameInstruction::Offset(X86_64::RA, -8));
    let mut table = FrameTable::default();
    let cie = table.add_cie(cie);
    // The start-up code is the outermost frame: no return address.
    let mut outermost = FrameDescriptionEntry::new(Address::Constant(start), (at - start) as u32);
    outermost.add_instruction(0, CallFrameInstruction::Undefined(X86_64::RA));
    table.add_fde(cie, outermost);
    // bf.main: the prologue's pushes, as the code generator recorded them, then a fixed
    // frame until the end of the program.
    let end = code
        .symbols
        .iter()
        .find(|s| s.1 == "end of program")
        .map_or(len, |s| u64::from(s.0));
    let mut main = FrameDescriptionEntry::new(Address::Constant(at), end as u32);
    for step in &code.frame {
        let offset = step.at - code.entry as u32;
        main.add_instruction(offset, CallFrameInstruction::CfaOffset(step.cfa));
        if let Some(num) = step.saved {
            // DWARF numbers the x86-64 registers in its own order.
            let reg = match num {
                3 => X86_64::RBX,
                5 => X86_64::RBP,
                12 => X86_64::R12,
                13 => X86_64::R13,
                14 => X86_64::R14,
                _ => X86_64::R15,
            };
            main.add_instruction(offset, CallFrameInstruction::Offset(reg, -step.cfa));
        }
    }
    table.add_fde(cie, main);
    // The shared subroutines, from putc on, are plain functions that push nothing (they save
    // registers in the context block).
    if let Some(&(putc, _)) = code.symbols.iter().find(|s| s.1 == "putc") {
        let putc = u64::from(putc);
        let subroutines =
            FrameDescriptionEntry::new(Address::Constant(at + putc), (len - putc) as u32);
        table.add_fde(cie, subroutines);
    }
    table
}
