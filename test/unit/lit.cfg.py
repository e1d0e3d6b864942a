# The GoogleTest binaries built into <build>/test/unit, one lit test per case.
import os
import lit.formats

config.name = "nnc-unit"
config.test_format = lit.formats.GoogleTest(".", "unittests")
config.test_source_root = os.path.join(config.nnc_obj_root, "test", "unit")
config.test_exec_root = config.test_source_root
# The units' fixtures, named so that they do not depend on how the compiler
# spelled __FILE__ (a relative path when ccache rewrites it).
config.environment["NNC_TEST_INPUTS"] = os.path.join(
    config.nnc_src_root, "test", "unit", "Inputs")

# A build configured with -DNNC_SANITIZE=ON: the units run under the same
# sanitizer options as the lit tests (test/sanitize_env.py), a finding
# failing the shard that caused it.
if getattr(config, "nnc_sanitize", False):
    import sys
    sys.path.insert(0, os.path.join(config.nnc_src_root, "test"))
    import sanitize_env
    config.test_format = sanitize_env.SanitizedGoogleTest(
        config.nnc_src_root, "/usr/lib/llvm-19/bin", ".", "unittests")
