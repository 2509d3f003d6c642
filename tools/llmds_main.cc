// Copyright 2026 The llmds Authors.
//
// `llmds`: the command-line tool. `llmds --help` lists the commands.

#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "llmds/tools/cli.h"
#include "llmds/tools/demo.h"

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
    if (!IsDirectory(dir)) return absl::NotFoundError(absl::StrCat("--data_dir ", dir, " is not a directory"));
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
}  // namespace llmds

int main(int argc, char** argv) {
  const std::string argv0 = argc > 0 ? argv[0] : "llmds";
  std::vector<llmds::cli::Command> commands;

  llmds::cli::Command demo;
  demo.name = "demo";
  demo.summary = "Run llmds on its bundled data (serving trace, Cranfield) and report";
  demo.usage = "llmds demo [--json] [--data_dir=DIR]";
  demo.flags = {{"json", "print one JSON object instead of tables", true, ""},
                {"data_dir", "directory with the bundled data (cranfield/, traces/)", false, ""}};
  demo.run = [&argv0](const llmds::cli::ParsedFlags& flags, std::ostream& out) -> absl::Status {
    if (!flags.positional().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", flags.positional()[0], "'"));
    }
    llmds::DemoOptions options;
    absl::StatusOr<std::string> data_dir = llmds::LocateData(flags, argv0);
    if (!data_dir.ok()) return data_dir.status();
    options.data_dir = *data_dir;
    options.json = flags.IsSet("json");
    return llmds::RunDemo(options, out);
  };
  commands.push_back(demo);

  return llmds::cli::Main("llmds",
                          "llmds: data structures for LLM serving and retrieval backends.",
                          commands, argc, argv, std::cout, std::cerr);
}
