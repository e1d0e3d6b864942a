#!/usr/bin/env python3
"""Checks that a program built by `nnc build` resumes exactly.

  resume_check.py every-step PROG DIR
      For every step count N of the whole run: run `PROG --max-steps N
      --state S` (a pause), then `PROG --resume S`. The two runs' standard
      output, one after the other, must be the uninterrupted run's, and the
      resumed run's --save-final, best checkpoint and predictions must be
      its bytes. Also checks a chain of three pieces.

  resume_check.py kill PROG DIR [--times N] [--seed S]
      Runs `PROG --state S` and kills it with SIGKILL at a random moment, N
      times (default 25). Every time a state was written before the kill,
      it must load, and `PROG --resume S` must finish with the uninterrupted
      run's --save-final, best checkpoint and predictions, byte for byte.

DIR is where the program's script writes its files (its `checkpoint` and
`predictions_csv` config entries point there): best.safetensors and
pred.csv. Prints one line per check and exits 1 on the first mismatch.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import time

FILES = ["best.safetensors", "pred.csv"]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run(args, expect=0):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != expect:
        fail("%s exited with %d (expected %d):\n%s%s" %
             (" ".join(args), p.returncode, expect, p.stdout, p.stderr))
    return p.stdout


def read(path):
    with open(path, "rb") as f:
        return f.read()


def clean(work):
    for name in os.listdir(work):
        if name.startswith(("best.safetensors", "pred.csv", "state",
                            "final")):
            os.remove(os.path.join(work, name))


def outputs(work):
    return {name: read(os.path.join(work, name))
            for name in FILES + ["final.safetensors"]}


def same(ref, got, what):
    for name, data in ref.items():
        if got[name] != data:
            fail("%s: %s differs from the uninterrupted run's" % (what, name))


def reference(prog, work):
    clean(work)
    final = os.path.join(work, "final.safetensors")
    start = time.monotonic()
    out = run([prog, "--save-final", final])
    seconds = time.monotonic() - start
    steps = int(out.split()[-1])
    return out, outputs(work), steps, seconds


def every_step(prog, work):
    ref_out, ref_files, steps, _ = reference(prog, work)
    state = os.path.join(work, "state.safetensors")
    final = os.path.join(work, "final.safetensors")
    for n in range(1, steps + 1):
        clean(work)
        first = run([prog, "--max-steps", str(n), "--state", state])
        second = run([prog, "--resume", state, "--save-final", final])
        if first + second != ref_out:
            fail("paused at step %d: the output differs:\n%s---\n%s---\n%s" %
                 (n, first, second, ref_out))
        same(ref_files, outputs(work),
             "paused at step %d" % n)
    print("every-step: %d pauses, each resumed exactly" % steps)
    # Three pieces: a resumed run can pause again.
    clean(work)
    a = run([prog, "--max-steps", "20", "--state", state])
    b = run([prog, "--max-steps", "50", "--resume", state, "--state", state])
    c = run([prog, "--resume", state, "--save-final", final])
    if a + b + c != ref_out:
        fail("three pieces: the output differs")
    same(ref_files, outputs(work), "three pieces")
    print("every-step: 20 + 30 + the rest resumed exactly")


def kill(prog, work, times, seed):
    ref_out, ref_files, steps, seconds = reference(prog, work)
    rng = random.Random(seed)
    state = os.path.join(work, "state.safetensors")
    final = os.path.join(work, "final.safetensors")
    resumed = 0
    attempts = 0
    while resumed < times:
        attempts += 1
        if attempts > 4 * times:
            fail("only %d of %d kills came after a state was written" %
                 (resumed, attempts))
        clean(work)
        p = subprocess.Popen([prog, "--state", state],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, seconds))
        p.send_signal(signal.SIGKILL)
        p.wait()
        if not os.path.exists(state):
            continue
        run([prog, "--resume", state, "--save-final", final])
        same(ref_files, outputs(work),
             "kill %d" % attempts)
        resumed += 1
    print("kill: %d kills after a state was written, each resumed exactly" %
          resumed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["every-step", "kill"])
    ap.add_argument("prog")
    ap.add_argument("dir")
    ap.add_argument("--times", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.mode == "every-step":
        every_step(a.prog, a.dir)
    else:
        kill(a.prog, a.dir, a.times, a.seed)


if __name__ == "__main__":
    main()
