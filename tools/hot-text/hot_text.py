#!/usr/bin/env python3
"""Writes link/hot-text.txt: the functions a run of small programs executes, in the order
they first run, as linker input-section patterns (see build.rs, which puts them at the start
of the binary's code).

    tools/hot-text/hot_text.py target/release/jitbf [PROGRAM.b[:INPUT]] ...

It runs `-e +.`, then the programs given (`:INPUT` names a file for standard input), then
every program in programs/ (with its `.in`, if any).
Each run goes through callgrind (valgrind), which lists every function that ran; a function
enters the list at its first run, so the code every program needs (start-up, the parser, the
optimizer's and the code generator's common paths) comes first, and a program's own rarer
paths after it. Run it again when start-up code changes a lot (a new dependency on the run
path, a renamed module): a name that no longer matches is harmless (that function is laid
out as the linker would anyway), it only costs page faults again.
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def runs(args):
    """(command-line arguments, stdin path) for each run."""
    yield ["-e", "+."], None
    for a in args:
        prog, _, inp = a.partition(":")
        yield [prog], inp or None
    progs = os.path.join(ROOT, "programs")
    for name in sorted(os.listdir(progs)):
        if name.endswith((".b", ".bf")):
            path = os.path.join(progs, name)
            inp = os.path.splitext(path)[0] + ".in"
            yield [path], inp if os.path.exists(inp) else None


def functions(binary, argv, stdin):
    """The (mangled) names of the functions one run executed, in callgrind's order."""
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        with open(stdin or os.devnull, "rb") as inp:
            subprocess.run(
                ["valgrind", "--tool=callgrind", "--demangle=no",
                 f"--callgrind-out-file={out.name}", binary, *argv],
                stdin=inp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=600, check=False)
        text = open(out.name, encoding="utf-8", errors="replace").read()
    # `fn=(id) name` and `cfn=(id) name` name a function the first time it is mentioned.
    return re.findall(r"^c?fn=\(\d+\) (\S+)$", text, re.M)


def archive_members(archive):
    """Symbol -> member object of a static archive (for the C library's functions), and the
    set of member names."""
    path = subprocess.run(["cc", f"-print-file-name={archive}"], capture_output=True,
                          text=True).stdout.strip()
    if not os.path.isabs(path):
        return {}, set()
    # `libm.a` may be a linker script naming the real archives: read the first.
    head = open(path, "rb").read(200)
    if head.startswith(b"/* GNU ld script"):
        found = re.search(rb"GROUP\s*\(\s*(\S+)", open(path, "rb").read())
        path = found.group(1).decode() if found else path
    out = subprocess.run(["nm", "-A", "--defined-only", path], capture_output=True,
                         text=True).stdout
    members, names = {}, set()
    for line in out.splitlines():
        fields = line.split()
        member = fields[0].split(":")[1] if fields and fields[0].count(":") >= 2 else None
        if member:
            names.add(member)
        if member and len(fields) == 3 and fields[1] in "TtWi":
            members.setdefault(fields[2], member)
    return members, names


def patterns(name, libc, libm):
    """The input-section patterns that hold function `name` (none if it is not ours)."""
    if name.startswith(("_ZN", "_R")):
        # A legacy name ends in a hash of the crate's build (`17h<16 hex digits>E`, maybe
        # `.llvm.<digits>`): match it up to the hash, so the list outlives a rebuild.
        m = re.match(r"(_ZN.*17h)[0-9a-f]{16}E", name)
        stem = m.group(1) if m else name
        # Cold functions (`#[cold]`, or found cold by LLVM) live in `.text.unlikely.NAME`.
        return [f"*(.text.{stem}* .text.unlikely.{stem}*)"]
    if name == "_start":
        return ["*crt1.o(.text .text.*)"]
    for archive, (members, names) in (("libc", libc), ("libm", libm)):
        member = members.get(name)
        if not member:
            continue
        # valgrind's CPU picks, say, the AVX2 variant of memcpy, or the default one in
        # `strcmp.o`; a newer one picks the EVEX or AVX-512 variant of the same family
        # (`memmove-evex-unaligned-erms.o`, `strcmp-evex.o`), and a libm function its FMA
        # variant: take those too (not every variant: they would spread the code again).
        family = re.match(r"([a-z_0-9]+?)(-[a-z0-9_-]+)?\.o$", member).group(1)
        found = [member] + sorted(
            n for n in names
            if n != member and re.match(re.escape(family) + r"-(avx2|evex|avx512|fma)", n))
        # (`*libm*.a`: the archive may be `libm-2.36.a`, named by a `libm.a` script.)
        return [f"*{archive}*.a:{m}(.text .text.*)" for m in found]
    return []


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    libc, libm = archive_members("libc.a"), archive_members("libm.a")
    # The C start-up code (`_start`, which callgrind does not name) runs first of all.
    seen, lines = set(), ["*crt1.o(.text .text.*)"]
    for argv, stdin in runs(sys.argv[2:]):
        for name in functions(binary, argv, stdin):
            for p in patterns(name, libc, libm):
                if p not in seen:
                    seen.add(p)
                    lines.append(p)
    head = ("# Functions that run when jitbf starts and compiles a small program, in the order\n"
            "# they first run: linker input-section patterns, which build.rs places at the\n"
            "# start of the binary's code. Written by tools/hot-text/hot_text.py.\n")
    with open(os.path.join(ROOT, "link", "hot-text.txt"), "w") as f:
        f.write(head + "\n".join(lines) + "\n")
    print(f"{len(lines)} patterns", file=sys.stderr)


if __name__ == "__main__":
    main()
