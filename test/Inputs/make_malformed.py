#!/usr/bin/env python3
"""Writes malformed .nn inputs for the robustness tests.

    make_malformed.py KIND OUT
KIND: random (random bytes), junk (OUT.0.nn .. OUT.9.nn: random valid UTF-8
made of .nn's own characters), longline (a 10 MB line), parens, unary, pow,
chain (deep nesting)."""
import random
import sys

kind, out = sys.argv[1], sys.argv[2]
rng = random.Random(42)
if kind == "random":
    data = bytes([0x97]) + bytes(rng.randrange(256) for _ in range(20000))
    open(out, "wb").write(data)
elif kind == "junk":
    alphabet = "abcxyz01+-*/()[]{},.:=@ \"#\nletfnmodel"
    for i in range(10):
        text = "".join(rng.choice(alphabet) for _ in range(4000))
        # An undeclared name at the end keeps every file erroneous.
        open(f"{out}.{i}.nn", "w").write(text + "\n)\n")
elif kind == "longline":
    open(out, "w").write("let x = " + "1 + " * 2600000 + "1\n")
elif kind == "parens":
    open(out, "w").write("let x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
elif kind == "unary":
    open(out, "w").write("let x = " + "- " * 5000 + "1\n")
elif kind == "pow":
    open(out, "w").write("let x = " + "2 ** " * 5000 + "1\n")
elif kind == "chain":
    open(out, "w").write("let x = " + "1 + " * 200000 + "1\n")
else:
    sys.exit("unknown kind " + kind)
