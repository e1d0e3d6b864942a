#!/usr/bin/env python3
"""Runs a command with stdin, stdout and stderr on a pseudo-terminal, as in
an interactive shell, and writes what the terminal received to OUT with the
control sequences made visible: carriage return as <CR>, erase to the end of
the line (ESC [ K) as <EL>, any other escape as <ESC>. Exits with the
command's exit status.

  pty_run.py COLUMNS OUT COMMAND [ARG]...
"""
import fcntl
import os
import pty
import struct
import sys
import termios

columns, out_path, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:  # EIO: the command closed the terminal
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
text = data.decode("utf-8", "replace")
# The terminal turns "\n" into "\r\n"; keep only the "\r"s the program wrote.
text = text.replace("\r\n", "\n")
text = text.replace("\r", "<CR>").replace("\x1b[K", "<EL>")
text = text.replace("\x1b", "<ESC>")
with open(out_path, "w", encoding="utf-8") as f:
    f.write(text)
sys.exit(os.waitstatus_to_exitcode(status))
