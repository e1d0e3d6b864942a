# The GoogleTest binaries built into <build>/test/unit, one lit test per case.
import os
import lit.formats

config.name = "nnc-unit"
config.test_format = lit.formats.GoogleTest(".", "unittests")
config.test_source_root = os.path.join(config.nnc_obj_root, "test", "unit")
config.test_exec_root = config.test_source_root
