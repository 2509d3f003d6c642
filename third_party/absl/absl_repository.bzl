"""A repository rule that exposes Debian's Abseil (libabsl-dev) under upstream target names.

Debian installs Abseil as shared libraries with one pkg-config file per upstream target
(`absl_flat_hash_map.pc`, ...). This rule reads those files, so the dependency graph and link
flags always match the installed version, and writes one BUILD file per upstream package:
`@com_google_absl//absl/container:flat_hash_map`, `@com_google_absl//absl/status:statusor`, ...
Headers live in /usr/include, which the C++ toolchain already searches.
"""

# Upstream package of each pkg-config module (module name without its "absl_" prefix).
_PACKAGES = {
    "algorithm": ["algorithm", "algorithm_container"],
    "base": [
        "atomic_hook",
        "base",
        "base_internal",
        "config",
        "core_headers",
        "dynamic_annotations",
        "endian",
        "errno_saver",
        "fast_type_id",
        "log_severity",
        "malloc_internal",
        "prefetch",
        "pretty_function",
        "raw_logging_internal",
        "scoped_set_env",
        "spinlock_wait",
        "strerror",
        "throw_delegate",
    ],
    "cleanup": ["cleanup", "cleanup_internal"],
    "container": [
        "btree",
        "compressed_tuple",
        "container_common",
        "container_memory",
        "counting_allocator",
        "fixed_array",
        "flat_hash_map",
        "flat_hash_set",
        "hash_function_defaults",
        "hash_policy_traits",
        "hashtable_debug",
        "hashtable_debug_hooks",
        "hashtablez_sampler",
        "inlined_vector",
        "inlined_vector_internal",
        "layout",
        "node_hash_map",
        "node_hash_set",
        "node_slot_policy",
        "raw_hash_map",
        "raw_hash_set",
    ],
    "debugging": [
        "debugging",
        "debugging_internal",
        "demangle_internal",
        "examine_stack",
        "failure_signal_handler",
        "leak_check",
        "stacktrace",
        "symbolize",
    ],
    "functional": ["any_invocable", "bind_front", "function_ref"],
    "hash": ["city", "hash", "low_level_hash"],
    "memory": ["memory"],
    "meta": ["type_traits"],
    "numeric": ["bits", "int128", "numeric", "numeric_representation"],
    "profiling": ["exponential_biased", "periodic_sampler", "sample_recorder"],
    "status": ["status", "statusor"],
    "strings": [
        "cord",
        "cord_internal",
        "cordz_functions",
        "cordz_handle",
        "cordz_info",
        "cordz_sample_token",
        "cordz_statistics",
        "cordz_update_scope",
        "cordz_update_tracker",
        "str_format",
        "str_format_internal",
        "strings",
        "strings_internal",
    ],
    "synchronization": ["graphcycles_internal", "kernel_timeout_internal", "synchronization"],
    "time": ["civil_time", "time", "time_zone"],
    "types": [
        "any",
        "bad_any_cast",
        "bad_any_cast_impl",
        "bad_optional_access",
        "bad_variant_access",
        "compare",
        "optional",
        "span",
        "variant",
    ],
    "utility": ["utility"],
}

# Upstream target names that differ from the module name.
_RENAMES = {
    "algorithm_container": "container",
    "flags": "flag",
    "strings_internal": "internal",
}

# Module-name prefixes that upstream drops inside their package.
_PREFIXES = {"flags": "flags_", "random": "random_"}

def _locate(module):
    """Returns (package, target name) of a pkg-config module."""
    for package, modules in _PACKAGES.items():
        if module in modules:
            return package, _RENAMES.get(module, module)
    for package, prefix in _PREFIXES.items():
        if module == package or module.startswith(prefix):
            name = _RENAMES.get(module, module[len(prefix):] if module != package else module)
            return package, name
    return "misc", module

def _field(text, key):
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return line[len(key) + 1:].strip()
    return ""

def _find_pkgconfig_dir(ctx):
    for candidate in ctx.path("/usr/lib").readdir():
        pc = candidate.get_child("pkgconfig").get_child("absl_base.pc")
        if pc.exists:
            return pc.dirname
    pc = ctx.path("/usr/lib/pkgconfig/absl_base.pc")
    if pc.exists:
        return pc.dirname
    return None

def _absl_repository_impl(ctx):
    pc_dir = _find_pkgconfig_dir(ctx)
    if pc_dir == None or not ctx.path("/usr/include/absl/base/config.h").exists:
        fail("llmds: Abseil was not found (no /usr/lib/*/pkgconfig/absl_base.pc). " +
             "Install Debian's libabsl-dev, e.g. by running tools/bootstrap.sh.")

    rules = {}  # package -> list of rule texts
    for entry in pc_dir.readdir():
        filename = entry.basename
        if not (filename.startswith("absl_") and filename.endswith(".pc")):
            continue
        module = filename[len("absl_"):-len(".pc")]
        text = ctx.read(entry)
        deps = []
        for requirement in _field(text, "Requires").split(","):
            words = requirement.strip().split(" ")
            if words and words[0].startswith("absl_"):
                dep_package, dep_name = _locate(words[0][len("absl_"):])
                deps.append("//absl/%s:%s" % (dep_package, dep_name))
        linkopts = [w for w in _field(text, "Libs").split(" ") if w and not w.startswith("-L")]
        package, name = _locate(module)
        rules.setdefault(package, []).append(
            "cc_library(\n    name = %r,\n    linkopts = %r,\n    deps = %r,\n)\n" %
            (name, linkopts, sorted(deps)),
        )

    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD", "")
    header = ("# Generated by llmds from Debian's Abseil pkg-config files.\n" +
              'package(default_visibility = ["//visibility:public"])\n\n')
    for package, texts in rules.items():
        ctx.file("absl/%s/BUILD" % package, header + "\n".join(sorted(texts)))

absl_repository = repository_rule(
    implementation = _absl_repository_impl,
    local = True,
    doc = "Debian's libabsl-dev as @com_google_absl, with upstream target names.",
)
