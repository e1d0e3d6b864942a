#!/usr/bin/env python3
"""check_deletions.py NNC SCRIPT TMP: deletes each token of SCRIPT in turn
(a rough .nn tokenizer is enough) and runs `NNC check` on the result; fails
if any run crashes or exits with anything but 0 or 1, or exits 1 without a
diagnostic."""
import re
import subprocess
import sys

nnc, script, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(script).read()
token = re.compile(r'"[^"\n]*"|[A-Za-z_][A-Za-z_0-9]*|[0-9][0-9._eE+-]*|\.\.<|\.\.|->|\*\*|[-+*/=<>!]=|\S')
spans = [m.span() for m in token.finditer(text)
         if not text[:m.start()].rsplit("\n", 1)[-1].lstrip().startswith("#")]
bad = 0
for i, (b, e) in enumerate(spans):
    path = f"{tmp}.{i}.nn"
    open(path, "w").write(text[:b] + text[e:])
    r = subprocess.run([nnc, "check", path], capture_output=True)
    err = r.stderr.decode(errors="replace")
    if r.returncode not in (0, 1) or "internal error" in err:
        bad += 1
        sys.stderr.write(f"without token {i} {text[b:e]!r}: exit {r.returncode}\n{err}")
    elif r.returncode == 1 and "error:" not in err:
        bad += 1
        sys.stderr.write(f"without token {i}: exit 1 without a diagnostic\n")
print(f"{len(spans)} deletions checked, {bad} bad")
sys.exit(1 if bad else 0)
