#!/usr/bin/env python3
"""Mutation testing of jitbf's code generator and optimizer: a measured net.

Each mutant in mutants.toml (beside this script) is one single-point bug: in one file, one
exact piece of text (which must occur exactly once) is replaced by another. A mutant known
to change nothing observable says why in `equivalent`; if it survives it is reported as
equivalent, and the exit status is 0 when every other mutant is killed. For each
mutant the script applies it to the working tree, rebuilds, runs the fast tests in stages
(cheapest first) and restores the file, whatever happens. A mutant is *killed* when a
stage fails or times out, *survives* when every stage passes, and is *unviable* when it
does not build (not counted; fix its text).

Stages, with the external corpus left out (JITBF_CORPUS points at a directory that does
not exist, and CI is unset, so corpus tests skip with a note):

  lib      cargo test --lib                      (unit tests, including the codegen's
                                                  declared-effect checks against iced-x86)
  tests    cargo test --test miscompiles --test golden --test differential
  fuzz     jitbf-structfuzz --seed 1 --count 20000 (the structured differential fuzzer)

Usage (from anywhere in the repository; it takes ~1 minute per mutant on 2 cores):

  python3 tools/mutants/run.py                  # every mutant; summary in mutants.out/
  python3 tools/mutants/run.py NAME...          # only these
  python3 tools/mutants/run.py --check          # only check that every mutant applies
  python3 tools/mutants/run.py --all-stages     # run every stage even after a kill

Do not edit the source while it runs: the mutated file is rewritten in place (and put
back in a `finally`; an interrupted run restores it too). mutants.out/ is not in git.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "mutants.out"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))

BUILD = [
    ["cargo", "build", "-q", "--tests", "-p", "jitbf", "--lib", "--test", "miscompiles",
     "--test", "golden", "--test", "differential"],
    ["cargo", "build", "-q", "-p", "jitbf-structfuzz", "--bin", "jitbf-structfuzz"],
]
STAGES = [
    ("lib", ["cargo", "test", "-q", "-p", "jitbf", "--lib"], 600),
    ("tests", ["cargo", "test", "-q", "-p", "jitbf", "--test", "miscompiles", "--test",
               "golden", "--test", "differential"], 600),
    ("fuzz", [str(TARGET / "debug/jitbf-structfuzz"), "--seed", "1", "--count",
              "20000", "--jobs", "2", "--no-shrink", "--reports", "1", "--stop-after", "1",
              "--timeout", "10"], 600),
]


def load():
    with open(HERE / "mutants.toml", "rb") as f:
        mutants = tomllib.load(f)["mutant"]
    names = [m["name"] for m in mutants]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"duplicate mutant names: {sorted(dup)}")
    return mutants


def applies(m):
    """The file's text and the mutated text, or an error message."""
    path = ROOT / m["file"]
    text = path.read_text()
    n = text.count(m["old"])
    if n != 1:
        return None, f"{m['name']}: the old text occurs {n} times in {m['file']}"
    return text, text.replace(m["old"], m["new"], 1)


def run(cmd, env, timeout, log):
    """(passed, timed_out) for `cmd`, appending its output to `log`."""
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    try:
        return p.wait(timeout=timeout) == 0, False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        log.write(f"\n(timed out after {timeout} s)\n")
        return False, True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help="only these mutants")
    ap.add_argument("--check", action="store_true", help="only check that each applies")
    ap.add_argument("--all-stages", action="store_true",
                    help="run every stage, not only up to the first that fails")
    args = ap.parse_args()

    mutants = load()
    if args.names:
        unknown = set(args.names) - {m["name"] for m in mutants}
        if unknown:
            sys.exit(f"unknown mutants: {sorted(unknown)}")
        mutants = [m for m in mutants if m["name"] in args.names]
    errors = [e for m in mutants for _, e in [applies(m)] if _ is None]
    if errors:
        sys.exit("\n".join(errors))
    if args.check:
        print(f"{len(mutants)} mutants, each applies exactly once")
        return

    env = dict(os.environ)
    env.pop("CI", None)
    env.pop("JITBF_REQUIRE_CORPUS", None)
    env["JITBF_CORPUS"] = str(OUT / "no-corpus")  # never created
    OUT.mkdir(exist_ok=True)
    # SIGTERM as an exception, so that the `finally` below restores the file.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    results = []
    summary = OUT / "summary.txt"
    for k, m in enumerate(mutants, 1):
        path = ROOT / m["file"]
        original, mutated = applies(m)
        start = time.monotonic()
        with open(OUT / f"{m['name']}.log", "w") as log:
            try:
                path.write_text(mutated)
                built = all(run(c, env, 1200, log)[0] for c in BUILD)
                killed_by = []
                if built:
                    for name, cmd, limit in STAGES:
                        ok, timed_out = run(cmd, env, limit, log)
                        if not ok:
                            killed_by.append(name + (" (timeout)" if timed_out else ""))
                            if not args.all_stages:
                                break
            finally:
                path.write_text(original)
        verdict = ("unviable" if not built else
                   "killed" if killed_by else
                   "equivalent" if "equivalent" in m else "SURVIVED")
        secs = time.monotonic() - start
        line = f"{verdict:10} {m['name']:40} {', '.join(killed_by):24} {secs:5.0f} s"
        print(f"[{k}/{len(mutants)}] {line}", flush=True)
        results.append((verdict, line))
        with open(summary, "w") as f:
            f.write("\n".join(l for _, l in results) + "\n")

    viable = [v for v, _ in results if v != "unviable"]
    killed = viable.count("killed")
    equivalent = viable.count("equivalent")
    tail = (f"{killed}/{len(viable)} viable mutants killed "
            f"({100 * killed / max(1, len(viable)):.1f}%), "
            f"{equivalent} known equivalent survived, "
            f"{len(results) - len(viable)} unviable")
    print(tail)
    with open(summary, "a") as f:
        f.write(tail + "\n")
    sys.exit(0 if killed + equivalent == len(viable) else 1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted (the mutated file was restored)")
