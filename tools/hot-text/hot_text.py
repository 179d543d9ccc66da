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
    """Symbol -> member object of a static archive (for the C library's functions)."""
    path = subprocess.run(["cc", f"-print-file-name={archive}"], capture_output=True,
                          text=True).stdout.strip()
    if not os.path.isabs(path):
        return {}
    out = subprocess.run(["nm", "-A", "--defined-only", path], capture_output=True,
                         text=True).stdout
    members = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "TtWi":
            members.setdefault(fields[2], fields[0].split(":")[1])
    return members


def pattern(name, libc, libm):
    """The input-section pattern that holds function `name`, or None."""
    if name.startswith(("_ZN", "_R")):
        # A legacy name ends in a hash of the crate's build (`17h<16 hex digits>E`, maybe
        # `.llvm.<digits>`): match it up to the hash, so the list outlives a rebuild.
        m = re.match(r"(_ZN.*17h)[0-9a-f]{16}E", name)
        stem = m.group(1) if m else name
        # Cold functions (`#[cold]`, or found cold by LLVM) live in `.text.unlikely.NAME`.
        return f"*(.text.{stem}* .text.unlikely.{stem}*)"
    for archive, members in (("libc.a", libc), ("libm.a", libm)):
        member = members.get(name)
        if member:
            # valgrind's CPU picks the AVX2 variant of memcpy & co.; a real one may pick
            # another of the same family (`memmove-evex-unaligned-erms.o`): take them all.
            family = re.match(r"([a-z]+)-(avx|avx2|avx512|evex|sse2|sse4|ssse3)\b", member)
            member = f"{family.group(1)}-*.o" if family else member
            return f"*{archive}:{member}(.text .text.*)"
    return None


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    libc, libm = archive_members("libc.a"), archive_members("libm.a")
    seen, lines = set(), []
    for argv, stdin in runs(sys.argv[2:]):
        for name in functions(binary, argv, stdin):
            p = pattern(name, libc, libm)
            if p and p not in seen:
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
