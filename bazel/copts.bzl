"""Compiler options shared by every llmds target.

Sanitizers and instrumentation are .bazelrc configs (--config=asan|ubsan|tsan), never code edits.
"""

# Our own code compiles warning-free; warnings are errors. Debian's headers come in through
# -isystem, so their warnings do not count.
LLMDS_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
] + select({
    "//bazel:opt": ["-O3"],
    "//conditions:default": [],
})

# Tests and benchmarks: the same, minus the warnings that test macros trip over.
LLMDS_TEST_COPTS = LLMDS_COPTS + [
    "-Wno-sign-compare",
]
