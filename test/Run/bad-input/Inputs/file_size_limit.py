#!/usr/bin/env python3
"""file_size_limit.py BYTES CMD ARGS...: runs CMD with no file it writes
allowed to grow past BYTES (RLIMIT_FSIZE; SIGXFSZ ignored, so a write past
the limit fails with EFBIG as on a full disk). Pipes are not limited, so
the output can go to FileCheck. The exit status is CMD's."""
import os
import resource
import signal
import sys

limit = int(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
os.execvp(sys.argv[2], sys.argv[2:])
