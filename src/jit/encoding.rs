//! One x86-64 instruction taken apart byte by byte: prefixes, REX, opcode, ModRM, SIB,
//! displacement and immediate, each with what it means.
//!
//! `add byte ptr [rbx+1],3` is `80 43 01 03`:
//!
//! * `80`, the **opcode**: "an 8-bit operation on r/m8 with an 8-bit immediate"; it stands for
//!   eight operations (add, or, adc, sbb, and, sub, xor, cmp), and the ModRM byte's `reg`
//!   field picks one: `/0` is add;
//! * `43`, the **ModRM** byte, `01 000 011` in binary: `mod = 01` says the operand is in
//!   memory at a register plus an 8-bit displacement, `reg = 000` is the `/0` above, `rm =
//!   011` is the register `rbx`;
//! * `01`, the **displacement**, a signed byte: `+1`;
//! * `03`, the **immediate**: the 3 to add.
//!
//! This is what the explorer page (`jitbf explore`) shows for a clicked instruction, and what
//! the crate docs' walk-through prints. Only the legacy encodings the code generator emits
//! are explained in detail (no VEX or EVEX); the decoding itself is iced-x86's.

use iced_x86::{Decoder, DecoderOptions, Instruction, OpKind, Register};

/// One field of an instruction's encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Where the field's bytes are in the instruction.
    pub bytes: std::ops::Range<usize>,
    /// What kind of field: `prefix`, `REX`, `opcode`, `ModRM`, `SIB`, `displacement`,
    /// `immediate`.
    pub kind: &'static str,
    /// What it means here.
    pub meaning: String,
}

/// Opcodes whose ModRM `reg` field selects the operation (`/digit` in the manuals) instead
/// of naming a register: one-byte opcodes, then the ones after `0F`.
const GROUPS: &[u8] = &[
    0x80, 0x81, 0x83, 0x8f, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff,
];
const GROUPS_0F: &[u8] = &[0x00, 0x01, 0x18, 0x1f, 0xae, 0xba, 0xc7];

/// The number (0-15) of a general-purpose register, as ModRM, SIB and REX encode it.
fn gpr_number(r: Register) -> Option<usize> {
    const NAMES: [[&str; 16]; 4] = [
        [
            "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8l", "r9l", "r10l", "r11l",
            "r12l", "r13l", "r14l", "r15l",
        ],
        [
            "ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w",
            "r13w", "r14w", "r15w",
        ],
        [
            "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d",
            "r12d", "r13d", "r14d", "r15d",
        ],
        [
            "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11",
            "r12", "r13", "r14", "r15",
        ],
    ];
    let name = reg_name(r);
    NAMES
        .iter()
        .find_map(|names| names.iter().position(|n| *n == name))
}

/// Lower-case name of a register.
fn reg_name(r: Register) -> String {
    format!("{r:?}").to_lowercase()
}

/// `0b011` as `011`.
fn bits3(v: u8) -> String {
    format!("{:03b}", v & 7)
}

/// The fields of the first instruction in `bytes` (decoded as 64-bit code), or `None` if
/// it does not decode.
pub fn fields(bytes: &[u8]) -> Option<Vec<Field>> {
    let mut decoder = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
    let ins: Instruction = decoder.decode();
    if ins.is_invalid() {
        return None;
    }
    let len = ins.len();
    let consts = decoder.get_constant_offsets(&ins);
    let mut out = Vec::new();
    let mut i = 0;

    // Legacy prefixes.
    while i < len {
        let meaning = match bytes[i] {
            0x66 => "operand-size prefix: 16-bit operands (or part of a multi-byte nop)",
            0x67 => "address-size prefix: 32-bit addresses",
            0xf0 => "lock prefix",
            0xf2 => "repne prefix (or part of the opcode)",
            0xf3 => "rep prefix (or part of the opcode)",
            0x2e | 0x36 | 0x3e | 0x26 | 0x64 | 0x65 => "segment prefix",
            _ => break,
        };
        out.push(Field {
            bytes: i..i + 1,
            kind: "prefix",
            meaning: meaning.to_string(),
        });
        i += 1;
    }
    // REX: 0100WRXB.
    let mut rex = 0u8;
    if i < len && bytes[i] & 0xf0 == 0x40 {
        rex = bytes[i];
        let bit = |n: u8| (rex >> n) & 1;
        out.push(Field {
            bytes: i..i + 1,
            kind: "REX",
            meaning: format!(
                "REX prefix 0100 {}{}{}{}: W={}{}, R={} (high bit of ModRM.reg), X={} (of \
                 SIB.index), B={} (of ModRM.rm or SIB.base)",
                bit(3),
                bit(2),
                bit(1),
                bit(0),
                bit(3),
                if bit(3) == 1 {
                    " (64-bit operands)"
                } else {
                    ""
                },
                bit(2),
                bit(1),
                bit(0)
            ),
        });
        i += 1;
    }
    // Opcode: one byte, or 0F and one byte, or 0F 38/3A and one byte.
    let op_start = i;
    let escaped = i < len && bytes[i] == 0x0f;
    let op_len = if !escaped {
        1
    } else if i + 1 < len && matches!(bytes[i + 1], 0x38 | 0x3a) {
        3
    } else {
        2
    };
    let op_end = (op_start + op_len).min(len);
    let last_op = bytes[op_end - 1];
    let group = if escaped && op_len == 2 {
        GROUPS_0F.contains(&last_op)
    } else {
        !escaped && GROUPS.contains(&last_op)
    };
    let mnemonic = format!("{:?}", ins.mnemonic()).to_lowercase();
    let const_start = [
        (consts.has_displacement(), consts.displacement_offset()),
        (consts.has_immediate(), consts.immediate_offset()),
    ]
    .iter()
    .filter(|c| c.0)
    .map(|c| c.1)
    .min()
    .unwrap_or(len);
    let has_modrm = const_start > op_end;
    out.push(Field {
        bytes: op_start..op_end,
        kind: "opcode",
        meaning: if group && has_modrm {
            let digit = (bytes[op_end] >> 3) & 7;
            format!("one of a group of operations; ModRM.reg picks which: /{digit} is {mnemonic}")
        } else if !has_modrm && (0x50..0x60).contains(&last_op) && !escaped {
            format!("{mnemonic}, with the register in the opcode's low 3 bits")
        } else {
            mnemonic.clone()
        },
    });
    i = op_end;

    // ModRM (and SIB): between the opcode and the first constant.
    if has_modrm {
        let modrm = bytes[i];
        let (md, reg, rm) = (modrm >> 6, (modrm >> 3) & 7, modrm & 7);
        let reg_num = usize::from(reg | ((rex >> 2) & 1) << 3);
        let rm_num = usize::from(rm | (rex & 1) << 3);
        let registers: Vec<Register> = (0..ins.op_count())
            .filter(|&k| ins.op_kind(k) == OpKind::Register)
            .map(|k| ins.op_register(k))
            .collect();
        let named = |num: usize, skip: Option<Register>| {
            registers
                .iter()
                .find(|r| gpr_number(**r) == Some(num) && Some(**r) != skip)
                .map(|&r| reg_name(r))
        };
        let reg_text = if group {
            format!("/{reg}: {mnemonic}")
        } else {
            named(reg_num, None).unwrap_or_else(|| format!("register {reg_num}"))
        };
        let mem =
            ins.op_count() > 0 && (0..ins.op_count()).any(|k| ins.op_kind(k) == OpKind::Memory);
        let (mod_text, rm_text) = match md {
            3 => {
                let reg_op = if group {
                    None
                } else {
                    registers
                        .iter()
                        .copied()
                        .find(|r| gpr_number(*r) == Some(reg_num))
                };
                (
                    "register operand".to_string(),
                    named(rm_num, reg_op).unwrap_or_else(|| format!("register {rm_num}")),
                )
            }
            _ if rm == 4 => (memory_mod(md), "100: a SIB byte follows".to_string()),
            0 if rm == 5 => (
                "memory at rip + a 32-bit displacement".to_string(),
                "101: rip-relative".to_string(),
            ),
            _ => (
                memory_mod(md),
                if mem {
                    reg_name(ins.memory_base())
                } else {
                    format!("register {rm_num}")
                },
            ),
        };
        out.push(Field {
            bytes: i..i + 1,
            kind: "ModRM",
            meaning: format!(
                "ModRM {:02b} {} {}: mod={:02b} ({mod_text}), reg={} ({reg_text}), rm={} ({rm_text})",
                md,
                bits3(reg),
                bits3(rm),
                md,
                bits3(reg),
                bits3(rm),
            ),
        });
        i += 1;
        if md != 3 && rm == 4 && i < const_start {
            let sib = bytes[i];
            let index = ins.memory_index();
            out.push(Field {
                bytes: i..i + 1,
                kind: "SIB",
                meaning: format!(
                    "SIB {:02b} {} {}: scale={}, index={}, base={}",
                    sib >> 6,
                    bits3(sib >> 3),
                    bits3(sib),
                    1 << (sib >> 6),
                    if index == Register::None {
                        "none".to_string()
                    } else {
                        reg_name(index)
                    },
                    reg_name(ins.memory_base())
                ),
            });
        }
    }
    let value = |at: usize, size: usize| -> i64 {
        let mut le = [0u8; 8];
        le[..size].copy_from_slice(&bytes[at..at + size]);
        let v = i64::from_le_bytes(le);
        let shift = 64 - 8 * size as u32;
        (v << shift) >> shift
    };
    if consts.has_displacement() {
        let (at, size) = (consts.displacement_offset(), consts.displacement_size());
        let v = value(at, size);
        out.push(Field {
            bytes: at..at + size,
            kind: "displacement",
            meaning: if ins.is_ip_rel_memory_operand() {
                format!(
                    "{}-bit displacement from the next instruction: {v:+}",
                    size * 8
                )
            } else {
                format!("{}-bit displacement, signed: {v:+}", size * 8)
            },
        });
    }
    if consts.has_immediate() {
        let (at, size) = (consts.immediate_offset(), consts.immediate_size());
        let v = value(at, size);
        let branch = matches!(
            ins.op0_kind(),
            OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
        );
        out.push(Field {
            bytes: at..at + size,
            kind: if branch { "displacement" } else { "immediate" },
            meaning: if branch {
                format!(
                    "{}-bit branch displacement: {v:+} from the end of this instruction",
                    size * 8
                )
            } else {
                format!("{}-bit immediate: {v}", size * 8)
            },
        });
    }
    out.sort_by_key(|f| f.bytes.start);
    Some(out)
}

fn memory_mod(md: u8) -> String {
    match md {
        0 => "memory, no displacement",
        1 => "memory, 8-bit displacement",
        _ => "memory, 32-bit displacement",
    }
    .to_string()
}

/// The fields as text, one per line: `80           opcode  ...`.
pub fn explain(bytes: &[u8]) -> Option<String> {
    let fields = fields(bytes)?;
    let mut out = String::new();
    for f in fields {
        let hex: Vec<String> = bytes[f.bytes.clone()]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        out.push_str(&format!(
            "{:<12} {:<12} {}\n",
            hex.join(" "),
            f.kind,
            f.meaning
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(bytes: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
        fields(bytes)
            .unwrap()
            .into_iter()
            .map(|f| (f.kind, bytes[f.bytes].to_vec()))
            .collect()
    }

    #[test]
    fn add_to_a_cell() {
        let f = fields(&[0x80, 0x43, 0x01, 0x03]).unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].kind, "opcode");
        assert!(f[0].meaning.ends_with("/0 is add"), "{}", f[0].meaning);
        assert_eq!(
            f[1].meaning,
            "ModRM 01 000 011: mod=01 (memory, 8-bit displacement), reg=000 (/0: add), rm=011 (rbx)"
        );
        assert_eq!(f[2].meaning, "8-bit displacement, signed: +1");
        assert_eq!(f[3].meaning, "8-bit immediate: 3");
    }

    #[test]
    fn fields_cover_every_byte_in_order() {
        let samples: [&[u8]; 8] = [
            &[0x55],                                     // push rbp
            &[0x48, 0x83, 0xc3, 0x01],                   // add rbx,1
            &[0x88, 0x43, 0xff],                         // mov [rbx-1],al
            &[0x0f, 0xb6, 0x43, 0x01],                   // movzx eax,byte [rbx+1]
            &[0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0],    // nop word [rax+rax]
            &[0xe8, 0x07, 0x01, 0x00, 0x00],             // call rel32
            &[0x41, 0x88, 0x04, 0x24],                   // mov [r12],al
            &[0x4c, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00], // lea r8,[rip+0x10]
        ];
        for bytes in samples {
            let f = fields(bytes).unwrap();
            let mut next = 0;
            for field in &f {
                assert_eq!(field.bytes.start, next, "{bytes:02x?}: {f:?}");
                next = field.bytes.end;
            }
            assert_eq!(next, bytes.len(), "{bytes:02x?}: {f:?}");
        }
        assert_eq!(
            kinds(&[0x41, 0x88, 0x04, 0x24]),
            [
                ("REX", vec![0x41]),
                ("opcode", vec![0x88]),
                ("ModRM", vec![0x04]),
                ("SIB", vec![0x24])
            ]
        );
        let call = fields(&[0xe8, 0x07, 0x01, 0x00, 0x00]).unwrap();
        assert_eq!(call[1].kind, "displacement");
        assert!(call[1].meaning.contains("+263"), "{call:?}");
        let mov = fields(&[0x88, 0x43, 0xff]).unwrap();
        assert!(mov[1].meaning.contains("reg=000 (al)"), "{mov:?}");
        assert_eq!(mov[2].meaning, "8-bit displacement, signed: -1");
    }

    #[test]
    fn undecodable_bytes_have_no_fields() {
        assert_eq!(fields(&[0x06]), None);
    }
}
