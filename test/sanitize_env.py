"""The sanitizer options of the lit tests of a -DNNC_SANITIZE=ON build.

Both lit configurations (test/lit.cfg.py, test/unit/lit.cfg.py) import this
module, so the tests and the units run nnc under the same options:
AddressSanitizer with LeakSanitizer (leaks of the known owners in
test/sanitize.supp are suppressed), UndefinedBehaviorSanitizer with stack
traces. Options in the caller's ASAN_OPTIONS, UBSAN_OPTIONS or LSAN_OPTIONS
come last, so they override these.
"""
import glob
import os
import re

import lit.formats
import lit.Test


def environment(src_root, tools_dir, log_path=None):
    """The environment variables to set; with `log_path`, the sanitizers
    write their reports to `log_path`.PID instead of stderr."""
    log = ["log_path=" + log_path] if log_path else []
    asan = ["detect_leaks=1", "check_initialization_order=1",
            "detect_stack_use_after_return=1", "strict_init_order=1"] + log
    ubsan = ["print_stacktrace=1", "halt_on_error=1"] + log
    lsan = ["suppressions=" + os.path.join(src_root, "test", "sanitize.supp"),
            "print_suppressions=0"]

    def join(opts, var):
        extra = os.environ.get(var, "")
        return ":".join(opts + ([extra] if extra else []))

    symbolizer = os.path.join(tools_dir, "llvm-symbolizer")
    env = {
        "ASAN_OPTIONS": join(asan, "ASAN_OPTIONS"),
        "UBSAN_OPTIONS": join(ubsan, "UBSAN_OPTIONS"),
        "LSAN_OPTIONS": join(lsan, "LSAN_OPTIONS"),
    }
    if os.path.exists(symbolizer):
        env["ASAN_SYMBOLIZER_PATH"] = symbolizer
        env["UBSAN_SYMBOLIZER_PATH"] = symbolizer
    return env


# AddressSanitizer's warning when a noreturn function (exit, a throw) is
# called on a stack of over 64 MiB, which it then does not unpoison: nnc
# runs on a thread with a 512 MiB stack (deep recursion on nested input).
# Not a finding; one that follows from it would be reported on its own.
_BIG_STACK_WARNING = re.compile(
    r"==\d+==WARNING: ASan is ignoring requested __asan_handle_no_return: "
    r".*\n(False positive error reports may follow\n)?"
    r"(For details see https://github.com/google/sanitizers/issues/189\n)?")


# LeakSanitizer's warning in a child forked while another thread ran (the
# units' death tests, with a loader's worker thread): that thread does not
# exist in the child. Any leak it then reports is still a finding.
_FORKED_THREAD_WARNING = re.compile(
    r"==\d+==Running thread \d+ was not suspended\. "
    r"False leaks are possible\.\n")


def findings(path):
    """The text of a sanitizer log file, less the warnings that are not
    findings."""
    with open(path, errors="replace") as f:
        text = f.read()
    text = _BIG_STACK_WARNING.sub("", text)
    return _FORKED_THREAD_WARNING.sub("", text).strip()


def _run_logged(fmt, base, test, litConfig, log):
    """Runs \p test with format class \p base, its sanitizer reports going
    to \p log.PID; a finding fails the test and is added to its output."""
    os.makedirs(os.path.dirname(log), exist_ok=True)
    for old in glob.glob(log + ".*"):
        os.remove(old)
    # Each lit worker runs one test at a time, so the environment is this
    # test's while it runs.
    test.config.environment.update(
        environment(fmt.src_root, fmt.tools_dir, log))
    result = base.execute(fmt, test, litConfig)
    text = []
    for r in sorted(glob.glob(log + ".*")):
        found = findings(r)
        if found:
            text.append("--- " + r + "\n" + found)
    if not text:
        return result
    output = result[1] if isinstance(result, tuple) else result.output
    return lit.Test.FAIL, (output + "\n\nsanitizer reports:\n" +
                           "\n".join(text))


class SanitizedShTest(lit.formats.ShTest):
    """lit's ShTest, run under the sanitizers' options, whose processes
    write their reports to Output/<test>.sanitizer.PID: a test that leaves
    one fails with it, even where it expects nnc to fail (`not %nnc ...`,
    which a sanitizer's exit status would satisfy). A class of this module
    rather than of lit.cfg.py, so that lit can hand it to its workers."""

    def __init__(self, src_root, tools_dir):
        super().__init__(execute_external=False)
        self.src_root = src_root
        self.tools_dir = tools_dir

    def execute(self, test, litConfig):
        exec_path = test.getExecPath()
        log = os.path.join(os.path.dirname(exec_path), "Output",
                           os.path.basename(exec_path) + ".sanitizer")
        return _run_logged(self, lit.formats.ShTest, test, litConfig, log)


class SanitizedGoogleTest(lit.formats.GoogleTest):
    """lit's GoogleTest format with the same reports, in
    Output/<shard>.sanitizer.PID beside the unit binaries. Their death
    tests fork while a loader's worker thread runs, and LeakSanitizer in
    the child warns that it cannot suspend that thread: on stderr, the
    warning would break the death tests' checks of the message."""

    def __init__(self, src_root, tools_dir, *args):
        super().__init__(*args)
        self.src_root = src_root
        self.tools_dir = tools_dir

    def execute(self, test, litConfig):
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", "/".join(test.path_in_suite))
        log = os.path.join(test.suite.exec_root, "Output",
                           name + ".sanitizer")
        return _run_logged(self, lit.formats.GoogleTest, test, litConfig, log)
