#!/usr/bin/env python3
"""The order of tapc's functions in its binary (`layout/tapc.order`).

A short run of tapc costs more in page faults than in instructions: each
64 KiB of code a run touches is a fault of a few microseconds, and the linker
scatters the functions one command runs over the whole binary. `build.rs`
hands this list to the linker (`--symbol-ordering-file`, lld's and mold's),
which places the functions first and in this order, so that the commands run
from a few blocks of code (BENCHMARKS.md, Start-up).

    python3 layout/order.py [TAPC]          # writes layout/tapc.order
    python3 layout/order.py --check TAPC    # fails if the list has gone stale

The list is what callgrind (valgrind) sees the commands run: the functions of
`--version` (what every run does), then those `check` adds, then `build`'s,
then `fmt --check`'s, on the reference program; by name within each group. A
function missing from the binary is skipped by the linker, and one missing
from the list is placed after the listed ones, so a stale list costs speed,
never a build. Rewrite it after renaming or moving many functions; `--check`
(run by `.ci/run`) fails when more than a tenth of the listed functions of
tapc's own are gone.
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = os.path.join(ROOT, "layout", "tapc.order")
EXAMPLE = os.path.join(ROOT, "examples", "trading.tap")
# A legacy-mangled symbol's hash: it follows the function's path and
# signature and the compiler's version, not its body.
HASH = re.compile(r"17h[0-9a-f]{16}E$")


def functions_run(tapc, args):
    """The binary's functions a run of `tapc ARGS` executes, in the order
    callgrind first records them."""
    tapc = os.path.realpath(tapc)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--demangle=no",
             "--callgrind-out-file=" + out, tapc] + args,
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        objects, names, seen = {}, {}, []
        current = None
        with open(out) as f:
            for line in f:
                m = re.match(r"(c?ob|c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
                if not m:
                    continue
                kind, key, name = m.groups()
                table = objects if kind.endswith("ob") else names
                if name:
                    table[key] = name
                if kind == "ob":
                    current = objects[key]
                elif kind == "fn" and current == tapc:
                    # Callgrind marks recursion levels with a quote.
                    seen.append(names[key].split("'")[0])
        return seen


def write(tapc):
    with tempfile.TemporaryDirectory() as tmp:
        runs = [
            ["--version"],
            ["check", EXAMPLE],
            ["build", EXAMPLE, "-o", os.path.join(tmp, "out")],
            ["fmt", "--check", EXAMPLE],
        ]
        order, listed = [], set()
        for args in runs:
            # Every function callgrind names (not an address, for one it cannot
            # name, nor its "(below main)"), compiler builtins among them
            # (`__modti3`). Each run's new functions are sorted by name, since
            # callgrind's order changes from one run to the next: a list
            # rewritten for the same binary stays the same.
            new = {n for n in functions_run(tapc, args) if not n.startswith(("0x", "("))} - listed
            listed |= new
            order += sorted(new)
    with open(ORDER, "w") as f:
        f.write("".join(name + "\n" for name in order))
    print(f"{ORDER}: {len(order)} functions")


def functions_in(path):
    """The binary's function symbols, by address (its ELF symbol table, read
    here so that the check needs no binutils)."""
    import struct
    with open(path, "rb") as f:
        elf = f.read()
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        sys.exit(f"{path}: not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + k * shentsize) for k in range(shnum)]
    functions = []
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        strings = sections[link][4]
        for at in range(offset, offset + size, entsize):
            name, info, _, _, value, _ = struct.unpack_from("<IBBHQQ", elf, at)
            if info & 0xF == 2 and value:  # STT_FUNC, defined
                end = elf.index(b"\0", strings + name)
                functions.append((value, elf[strings + name:end].decode()))
    return [name for _, name in sorted(functions)]


def check(tapc):
    code = functions_in(tapc)
    present = {HASH.sub("", name) for name in code}
    with open(ORDER) as f:
        listed = [n.strip() for n in f if n.strip()]
    own = [HASH.sub("", n) for n in listed if n.startswith("_ZN") and "tapc" in n]
    gone = [n for n in own if n not in present]
    placed = bool(code) and code[0] in listed
    print(f"layout/tapc.order: {len(own) - len(gone)} of tapc's {len(own)} listed functions "
          f"are in {tapc}, which {'is' if placed else 'is not'} laid out by it")
    if len(gone) * 10 > len(own):
        sys.exit("layout/tapc.order is stale: run `python3 layout/order.py` on a release build")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        check(sys.argv[2])
    else:
        write(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "tapc"))
