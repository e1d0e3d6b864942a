# lit configuration for nnc: FileCheck tests of every stage, plus the
# GoogleTest unit tests found under <build>/test/unit.
import os
import lit.formats

config.name = "nnc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".nn", ".test", ".mlir"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in", "CMakeLists.txt", "unit"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nnc_obj_root, "test")

config.environment["NO_COLOR"] = "1"
config.environment["PATH"] = os.pathsep.join(
    [config.nnc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])

config.substitutions.append(("%nnc", os.path.join(config.nnc_tools_dir, "nnc")))
config.substitutions.append(("%stdlib", os.path.join(config.nnc_src_root, "stdlib")))
config.substitutions.append(("%examples", os.path.join(config.nnc_src_root, "examples")))
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(
    ("%expect_exit", "/usr/bin/python3 " + os.path.join(config.nnc_src_root, "test", "Inputs", "expect_exit.py")))

config.substitutions.append(
    ("%jit_steps", os.path.join(config.nnc_obj_root, "test", "tools", "jit-steps")))

# The fuzz targets of the file readers and the front end (test/fuzz/): the
# libFuzzer binaries in a build configured with -DNNC_FUZZ=ON (feature
# `fuzz`), else the same targets built as programs that run each input once.
_fuzz = getattr(config, "nnc_fuzz", False)
if _fuzz:
    config.available_features.add("fuzz")
for _format in ("idx", "csv", "npy", "safetensors", "nn"):
    config.substitutions.append(
        ("%fuzz_" + _format,
         os.path.join(config.nnc_obj_root, "test", "fuzz",
                      "fuzz-" + _format + ("" if _fuzz else "-replay"))))

# A build configured with -DNNC_SANITIZE=ON (scripts/test.sh --sanitize):
# feature `sanitize`, and every test runs under the options of
# sanitize_env.py. A sanitizer's report fails the test that caused it even
# where the test expects nnc to fail (`not %nnc ...`, which a sanitizer's
# exit would satisfy): each test's processes write their reports to
# Output/<test>.sanitizer.PID, and a test that leaves one fails with it.
if getattr(config, "nnc_sanitize", False):
    import sys
    sys.path.insert(0, os.path.dirname(__file__))
    import sanitize_env

    config.available_features.add("sanitize")
    config.test_format = sanitize_env.SanitizedShTest(
        config.nnc_src_root, config.llvm_tools_dir)

import subprocess
if subprocess.run(["/usr/bin/python3", "-c", "import torch"],
                  capture_output=True).returncode == 0:
    config.available_features.add("torch")

if os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
    config.available_features.add("fashion-mnist")

# Execution tests of the CPU lowering: mlir-cpu-runner with the runtime
# libraries that provide printMemref*.
_runner_libs = [os.path.join(os.path.dirname(config.llvm_tools_dir), "lib", lib)
                for lib in ("libmlir_c_runner_utils.so", "libmlir_runner_utils.so")]
# nnc_sgemm, which the pipeline calls for f32 matrix products.
_runner_libs.append(os.path.join(config.nnc_obj_root, "lib", "libnnc_blas.so"))
config.substitutions.append(("%mlir_runner_libs", ",".join(_runner_libs)))
config.substitutions.append(
    ("%mlir_cpu_runner", "mlir-cpu-runner -e main -entry-point-result=void -shared-libs="
     + ",".join(_runner_libs)))
if all(os.path.exists(p) for p in _runner_libs) and os.path.exists(
        os.path.join(config.llvm_tools_dir, "mlir-cpu-runner")):
    config.available_features.add("mlir-cpu-runner")

# Tests gated on a tool or data set run wherever scripts/setup.sh has run;
# in CI a missing one is an error, not a quiet UNSUPPORTED.
if os.environ.get("CI") == "true":
    _missing = [f for f in ("mlir-cpu-runner", "fashion-mnist", "torch")
                if f not in config.available_features]
    if _missing:
        lit_config.fatal("CI run without " + ", ".join(_missing) +
                         ": scripts/setup.sh installs them")

# Tests of a full disk mount a 1 MiB tmpfs (root only; CI runs as root).
def _can_mount_tmpfs():
    import tempfile
    if os.geteuid() != 0:
        return False
    d = tempfile.mkdtemp()
    try:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d],
                          capture_output=True).returncode != 0:
            return False
        subprocess.run(["umount", d], capture_output=True)
        return True
    finally:
        os.rmdir(d)
if _can_mount_tmpfs():
    config.available_features.add("mount-tmpfs")

# The memory of this machine, for tests of programs too big for it.
if 8 * 2**30 < os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") < 37 * 2**30:
    config.available_features.add("memory-8-to-37GiB")
