#!/usr/bin/env python3
"""Judges the Windows-only clippy pass (scripts/windows-test.sh) by the host's lints.

The cross chroot's clippy is Debian's from trixie-backports, which keeps only its
newest release: one day it is newer than the host's pinned toolchain and brings lints
the host has never heard of (clippy 1.98's `chunks_exact_to_as_chunks` once failed
every fresh machine). So the pass runs without `-D warnings`, its JSON messages come
here, and:
  - an error, or a warning from a lint the host's clippy or rustc knows, fails the
    pass (the same rule `cargo clippy -- -D warnings` applies on the host);
  - a warning from a lint the host does not know is printed and tolerated: fix it
    when the host's toolchain catches up.

Usage: cargo clippy --message-format=json ... | windows-clippy.py
"""

import json
import re
import subprocess
import sys


def host_lints():
    """Every lint and lint group the host's clippy-driver and rustc know."""
    names = set()
    for command in (["clippy-driver", "rustc", "-W", "help"], ["rustc", "-W", "help"]):
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        for match in re.finditer(r"^\s+([a-z0-9_:-]+)\s+(allow|warn|deny|forbid|)\s", output, re.M):
            names.add(match.group(1).replace("-", "_"))
        # Groups are listed as "name  sub-lints..." without a level.
        for match in re.finditer(r"^\s+([a-z0-9_:-]+)\s+[a-z0-9_:-]+(, [a-z0-9_:-]+)*$", output, re.M):
            names.add(match.group(1).replace("-", "_"))
    if not any(name.startswith("clippy::") for name in names):
        sys.exit("windows-clippy: the host's clippy-driver listed no clippy lints")
    return names


def main():
    known = host_lints()
    failures = tolerated = 0
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("reason") != "compiler-message":
            continue
        diagnostic = message["message"]
        level = diagnostic.get("level")
        if level not in ("warning", "error"):
            continue
        code = (diagnostic.get("code") or {}).get("code")
        rendered = diagnostic.get("rendered") or diagnostic.get("message", "")
        if level == "warning" and code is None and "warning emitted" in rendered:
            continue  # the "N warnings emitted" summary
        if level == "warning" and code and code not in known:
            tolerated += 1
            print(f"tolerated (lint unknown to the host's clippy): {code}\n{rendered}")
            continue
        failures += 1
        print(rendered)
    print(f"windows clippy: {failures} finding(s) the host's lints reject, {tolerated} tolerated")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
