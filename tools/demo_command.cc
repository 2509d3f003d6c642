// Copyright 2026 The llmds Authors.

#include <sys/stat.h>

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "llmds/tools/commands.h"
#include "llmds/tools/demo.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// Finds the bundled data: an explicit --data_dir, else `data/` under the current directory
// (`bazel run` starts in the runfiles tree), else the runfiles tree beside the binary.
absl::StatusOr<std::string> LocateData(const cli::ParsedFlags& flags, const std::string& argv0) {
  if (flags.IsSet("data_dir")) {
    const std::string& dir = flags.Get("data_dir");
    if (!IsDirectory(dir)) {
      return absl::NotFoundError(absl::StrCat("--data_dir ", dir, " is not a directory"));
    }
    return dir;
  }
  for (const std::string& candidate : {std::string("data"), argv0 + ".runfiles/llmds/data"}) {
    if (IsDirectory(candidate + "/cranfield")) return candidate;
  }
  return absl::NotFoundError(
      "cannot find the bundled data; run through `bazel run //tools:llmds -- demo` or pass "
      "--data_dir=<llmds checkout>/data");
}

}  // namespace

cli::Command DemoCommand(const std::string& argv0) {
  cli::Command command;
  command.name = "demo";
  command.summary = "Run llmds on its bundled data (Cranfield, a serving trace) and report";
  command.usage = "llmds demo [--json] [--data_dir=DIR]";
  command.flags = {{"json", "print one JSON object instead of tables", true, ""},
                   {"data_dir", "directory with the bundled data (cranfield/, traces/)", false, ""},
                   {"quick", "300 trace requests, 30 queries, 16-d LSI (a smoke test)",
                    true, ""}};
  command.run = [argv0](const cli::ParsedFlags& flags, std::ostream& out) -> absl::Status {
    if (!flags.positional().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", flags.positional()[0], "'"));
    }
    DemoOptions options;
    LLMDS_ASSIGN_OR_RETURN(options.data_dir, LocateData(flags, argv0));
    options.json = flags.IsSet("json");
    if (flags.IsSet("quick")) {
      options.max_requests = 300;
      options.max_queries = 30;
      options.lsi_dimensions = 16;
    }
    return RunDemo(options, out);
  };
  return command;
}

}  // namespace llmds
