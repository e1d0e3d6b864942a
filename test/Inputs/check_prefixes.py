#!/usr/bin/env python3
"""check_prefixes.py NNC SCRIPT TMP N: runs `NNC check` on N prefixes of
SCRIPT (cut at evenly spaced byte offsets) and fails if any run crashes or
exits with anything but 0 or 1."""
import subprocess
import sys

nnc, script, tmp, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = open(script, "rb").read()
bad = 0
for i in range(1, n + 1):
    cut = len(text) * i // (n + 1)
    path = f"{tmp}.{i}.nn"
    open(path, "wb").write(text[:cut])
    r = subprocess.run([nnc, "check", path], capture_output=True)
    if r.returncode not in (0, 1) or b"internal error" in r.stderr:
        bad += 1
        sys.stderr.write(f"prefix of {cut} bytes: exit {r.returncode}\n"
                         + r.stderr.decode(errors="replace"))
    if r.returncode == 1 and b"error:" not in r.stderr:
        bad += 1
        sys.stderr.write(f"prefix of {cut} bytes: exit 1 without a diagnostic\n")
sys.exit(1 if bad else 0)
