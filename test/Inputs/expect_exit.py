#!/usr/bin/env python3
"""expect_exit.py CODE CMD ARGS...: runs CMD and succeeds only if it exits
with exactly CODE (and was not killed by a signal). Its output passes
through, so it can be piped into FileCheck."""
import subprocess
import sys

want = int(sys.argv[1])
proc = subprocess.run(sys.argv[2:])
if proc.returncode != want:
    sys.stderr.write(f"expect_exit: exit code {proc.returncode}, expected {want}\n")
    sys.exit(1)
