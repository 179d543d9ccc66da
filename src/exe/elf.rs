//! The ELF file of an executable, written with the `object` crate's ELF writer.
//!
//! ```text
//!   file offset                         address             segment
//!   0      ELF header, program headers  0x400000            PT_LOAD  R+X
//!   0x140  .text                        0x400140
//!          .rodata                      offset + 0x401000   PT_LOAD  R
//!          .bss (not in the file)       next page           PT_LOAD  RW
//!          .debug_* (with -g), .symtab, .strtab, .shstrtab, section headers
//! ```
//!
//! Segments need not start on a page boundary in the file, only at an address congruent to
//! their offset modulo the page size; adding a page to `.rodata`'s address (and the next page
//! boundary for `.bss`) keeps the three segments on different pages, so the file has no
//! padding. There is no `PT_INTERP` and no `PT_DYNAMIC`: the kernel jumps straight to
//! `_start`. `PT_GNU_STACK` asks for a stack that is not executable.

use object::elf;
use object::write::elf::{FileHeader, ProgramHeader, SectionHeader, Sym, Writer};

/// Address of the first byte of the file.
const BASE: u64 = 0x40_0000;
/// File offset of `.text`: after the ELF header and four program headers.
const TEXT_OFF: u64 = 0x140;
const PAGE: u64 = 0x1000;

/// Where the sections go, in the file and in memory.
#[derive(Clone, Copy, Debug)]
pub(super) struct Layout {
    pub text_addr: u64,
    pub text_len: u64,
    pub rodata_off: u64,
    pub rodata_addr: u64,
    pub rodata_len: u64,
    pub bss_addr: u64,
}

impl Layout {
    pub(super) fn new(text_len: u64, rodata_len: u64) -> Layout {
        let rodata_off = (TEXT_OFF + text_len).next_multiple_of(16);
        let rodata_addr = BASE + PAGE + rodata_off;
        Layout {
            text_addr: BASE + TEXT_OFF,
            text_len,
            rodata_off,
            rodata_addr,
            rodata_len,
            bss_addr: (rodata_addr + rodata_len).next_multiple_of(PAGE),
        }
    }
}

/// A symbol, at an offset in `.text`.
#[derive(Clone, Debug)]
pub(super) struct Symbol {
    pub name: String,
    pub offset: u64,
    pub size: u64,
    pub function: bool,
    pub global: bool,
}

impl Symbol {
    /// A local label.
    pub(super) fn local(name: &str, offset: u64) -> Symbol {
        Symbol {
            name: name.to_string(),
            offset,
            size: 0,
            function: false,
            global: false,
        }
    }
}

/// Everything that goes in the file.
pub(super) struct File<'a> {
    pub layout: &'a Layout,
    pub text: &'a [u8],
    pub rodata: &'a [u8],
    pub symbols: Vec<Symbol>,
    /// DWARF sections, by name.
    pub debug: Option<Vec<(&'static str, Vec<u8>)>>,
}

impl File<'_> {
    pub(super) fn write(mut self) -> object::write::Result<Vec<u8>> {
        let l = *self.layout;
        // Locals first, as ELF requires, each group by address.
        self.symbols.sort_by_key(|s| (s.global, s.offset));
        let debug = self.debug.take().unwrap_or_default();
        let mut out = Vec::new();
        let mut w = Writer::new(object::Endianness::Little, true, &mut out);

        // Phase 1: reserve everything, in file order.
        w.reserve_file_header();
        w.reserve_program_headers(4);
        w.reserve_until(TEXT_OFF);
        let text_off = w.reserve(l.text_len, 1);
        let rodata_off = w.reserve(l.rodata_len, 16);
        debug_assert_eq!((text_off, rodata_off), (TEXT_OFF, l.rodata_off));
        let text_name = w.add_section_name(b".text");
        let text_index = w.reserve_section_index();
        let rodata_name = w.add_section_name(b".rodata");
        w.reserve_section_index();
        let bss_name = w.add_section_name(b".bss");
        w.reserve_section_index();
        let mut debug_sections = Vec::new();
        for (name, data) in &debug {
            let name = w.add_section_name(name.as_bytes());
            w.reserve_section_index();
            let off = w.reserve(data.len() as u64, 1);
            debug_sections.push((name, off, data));
        }
        let names: Vec<_> = self
            .symbols
            .iter()
            .map(|s| w.add_string(s.name.as_bytes()))
            .collect();
        if !self.symbols.is_empty() {
            w.reserve_null_symbol_index();
            for _ in &self.symbols {
                w.reserve_symbol_index(Some(text_index));
            }
            w.reserve_symtab_section_index();
            w.reserve_symtab();
            w.reserve_strtab_section_index();
            w.reserve_strtab()?;
        }
        w.reserve_shstrtab_section_index();
        w.reserve_shstrtab()?;
        w.reserve_section_headers();

        // Phase 2: write it all out in the same order.
        w.write_file_header(&FileHeader {
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            e_type: elf::ET_EXEC,
            e_machine: elf::EM_X86_64,
            e_entry: l.text_addr,
            e_flags: Default::default(),
        })?;
        w.write_align_program_headers();
        let rx_len = TEXT_OFF + l.text_len;
        let segments = [
            (elf::PT_LOAD, elf::PF_R | elf::PF_X, 0, BASE, rx_len, rx_len),
            (
                elf::PT_LOAD,
                elf::PF_R,
                l.rodata_off,
                l.rodata_addr,
                l.rodata_len,
                l.rodata_len,
            ),
            (
                elf::PT_LOAD,
                elf::PF_R | elf::PF_W,
                0,
                l.bss_addr,
                0,
                super::bss::SIZE as u64,
            ),
            (elf::PT_GNU_STACK, elf::PF_R | elf::PF_W, 0, 0, 0, 0),
        ];
        for (p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz) in segments {
            w.write_program_header(&ProgramHeader {
                p_type,
                p_flags,
                p_offset,
                p_vaddr,
                p_paddr: p_vaddr,
                p_filesz,
                p_memsz,
                p_align: if p_type == elf::PT_LOAD { PAGE } else { 16 },
            });
        }
        w.pad_until(TEXT_OFF);
        w.write(self.text);
        w.write_align(16);
        w.write(self.rodata);
        for (_, off, data) in &debug_sections {
            w.pad_until(*off);
            w.write(data);
        }
        if !self.symbols.is_empty() {
            w.write_null_symbol();
            for (s, &name) in self.symbols.iter().zip(&names) {
                let bind = if s.global {
                    elf::STB_GLOBAL
                } else {
                    elf::STB_LOCAL
                };
                let kind = if s.function {
                    elf::STT_FUNC
                } else {
                    elf::STT_NOTYPE
                };
                w.write_symbol(&Sym {
                    section: Some(text_index.0),
                    st_name: w.string_offset(Some(name)),
                    st_info: elf::SymbolInfo::new(bind, kind),
                    st_other: elf::STV_DEFAULT.into(),
                    st_shndx: Default::default(),
                    st_value: l.text_addr + s.offset,
                    st_size: s.size,
                });
            }
            w.write_strtab();
        }
        w.write_shstrtab();

        w.write_null_section_header();
        let alloc = elf::SHF_ALLOC;
        let sections = [
            (
                text_name,
                elf::SHT_PROGBITS,
                alloc | elf::SHF_EXECINSTR,
                l.text_addr,
                TEXT_OFF,
                l.text_len,
                64,
            ),
            (
                rodata_name,
                elf::SHT_PROGBITS,
                alloc,
                l.rodata_addr,
                l.rodata_off,
                l.rodata_len,
                16,
            ),
            (
                bss_name,
                elf::SHT_NOBITS,
                alloc | elf::SHF_WRITE,
                l.bss_addr,
                l.rodata_off + l.rodata_len,
                super::bss::SIZE as u64,
                64,
            ),
        ];
        for (name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_addralign) in sections {
            w.write_section_header(&SectionHeader {
                sh_name: w.section_name_offset(Some(name)),
                sh_type,
                sh_flags,
                sh_addr,
                sh_offset,
                sh_size,
                sh_link: 0,
                sh_info: 0,
                sh_addralign,
                sh_entsize: 0,
            });
        }
        for (name, off, data) in &debug_sections {
            w.write_section_header(&SectionHeader {
                sh_name: w.section_name_offset(Some(*name)),
                sh_type: elf::SHT_PROGBITS,
                sh_flags: Default::default(),
                sh_addr: 0,
                sh_offset: *off,
                sh_size: data.len() as u64,
                sh_link: 0,
                sh_info: 0,
                sh_addralign: 1,
                sh_entsize: 0,
            });
        }
        if !self.symbols.is_empty() {
            let locals = self.symbols.iter().filter(|s| !s.global).count() as u32;
            w.write_symtab_section_header(locals + 1);
            w.write_strtab_section_header();
        }
        w.write_shstrtab_section_header();
        drop(w);
        Ok(out)
    }
}
