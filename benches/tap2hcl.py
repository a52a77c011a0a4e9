#!/usr/bin/env python3
"""Rewrites a generated .tap platform (tapc::gen) as HCL of the same shape, for
comparing `tapc fmt` with `terraform fmt` (BENCHMARKS.md): the same blocks,
attributes, comments and lines; item headers become block labels, and literals
HCL has no syntax for (durations, sizes, CIDR blocks) become strings.

    python3 benches/tap2hcl.py < gen-10000.tap > gen-10000.tf
"""
import re
import sys

BARE = re.compile(r"^(?:\d[\d_]*(?:ms|s|m|h|d|KiB|MiB|GiB|TiB)+|\d+\.\d+\.\d+\.\d+/\d+)$")


def value(v):
    """A .tap literal as an HCL expression (symbols stay bare: references)."""
    return f'"{v}"' if BARE.match(v) else v


def attr(line):
    m = re.match(r"^(\s*)([\w-]+)(\s*=\s*)(.*?)(\s*#.*)?$", line)
    if not m or m.group(4).startswith(("[", "{", '"')):
        return line
    indent, key, eq, v, comment = m.groups()
    return f"{indent}{key}{eq}{value(v)}{comment or ''}"


def body(text):
    """`{ key = value }` on one line."""
    m = re.match(r"^\{\s*([\w-]+)\s*=\s*(\S+)\s*\}$", text)
    return "{ %s = %s }" % (m.group(1), value(m.group(2))) if m else text


def convert(line):
    m = re.match(r"^param (\w+): (\w+) = (.*)$", line)
    if m:
        return 'variable "%s" { default = %s }' % (m.group(1), value(m.group(3)))
    m = re.match(r"^(platform|region|endpoint) ([\w-]+) \{$", line)
    if m:
        return f'{m.group(1)} "{m.group(2)}" {{'
    m = re.match(r"^service ([\w-]+): (\w+) \{$", line)
    if m:
        return f'service "{m.group(1)}" "{m.group(2)}" {{'
    m = re.match(r"^replicate ([\w-]+) -> ([\w, -]+?)\s*(\{.*\})?$", line)
    if m:
        labels = " ".join(f'"{r.strip()}"' for r in [m.group(1)] + m.group(2).split(","))
        return f"replicate {labels} {body(m.group(3) or '{}')}"
    return attr(line)


for line in sys.stdin:
    print(convert(line.rstrip("\n")))
