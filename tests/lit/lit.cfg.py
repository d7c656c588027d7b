import os

import lit.formats
from lit.llvm import llvm_config

config.name = "SINTER"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.sinter_obj_root, "tests", "lit")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["sinter-opt", "sinterc"], [os.path.join(config.sinter_obj_root, "bin")])
config.substitutions.append(("%examples", os.path.join(config.sinter_src_root, "examples")))
# The numerical reference and test-data helpers use Debian's Python (numpy,
# torch); a pyenv python3 on PATH does not see them.
config.substitutions.append(("%refpython", "/usr/bin/python3"))
