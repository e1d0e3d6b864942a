"""Drives `nnc repl` in a pseudo-terminal, as a person would type: each
argument after the nnc path is one keystroke string sent after the REPL's
prompt shows (\\r is Enter, \\x1b[A the up arrow). Prints what the terminal
showed, without escape sequences, then the history file.

usage: pty_session.py [--results] NNC HOME_DIR KEYS...
  --results: print only what the inputs printed (no banner, prompts or
  history), to compare with the same session piped through stdin.
"""
import os
import pty
import re
import select
import sys
import time

args = sys.argv[1:]
results = args[0] == "--results"
if results:
    args = args[1:]
nnc, home = args[0], args[1]
keys = [k.encode().decode("unicode_escape") for k in args[2:]]

pid, fd = pty.fork()
if pid == 0:
    env = dict(os.environ, HOME=home, TERM="xterm", NO_COLOR="1")
    os.execve(nnc, [nnc, "repl"], env)

out = b""


def read_until_prompt(timeout=30.0):
    """Reads until the terminal shows a prompt ('>>> ' or '... ') after the
    last thing typed, or the REPL ends."""
    global out
    start = len(out)
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if fd in r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
            tail = out[start:]
            if tail.endswith(b">>> ") or tail.endswith(b"... "):
                # Let libedit set the terminal up before the next keys.
                time.sleep(0.15)
                return True
    return True


read_until_prompt()
for k in keys:
    os.write(fd, k.encode())
    if k.endswith("\r") or k.endswith("\x04"):
        read_until_prompt()
    else:
        time.sleep(0.2)
os.write(fd, b"\x04")
read_until_prompt(5)
os.waitpid(pid, 0)

text = out.decode(errors="replace")
text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x07", "")
if results:
    for line in text.split("\n")[1:]:
        if line.startswith(">>> ") or line.startswith("... ") or line in (
                ">>>", "^D", ""):
            continue
        sys.stdout.write(line + "\n")
    sys.exit(0)
sys.stdout.write(text)
sys.stdout.write("\n--- history ---\n")
with open(os.path.join(home, ".nnc_history")) as f:
    sys.stdout.write(f.read())
