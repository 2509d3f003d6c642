// Copyright 2026 The llmds Authors.
//
// `llmds`: the command-line tool. `llmds --help` lists the commands.

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "llmds/tools/cli.h"
#include "llmds/tools/commands.h"

int main(int argc, char** argv) {
  const std::string argv0 = argc > 0 ? argv[0] : "llmds";
  // `bazel run` starts the tool inside its runfiles tree; resolve the user's relative paths from
  // the directory `bazel run` was called in instead (the bundled data is still found through
  // the runfiles tree beside the binary).
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir != nullptr && *dir != '\0') {
    if (::chdir(dir) != 0) {
      std::cerr << "llmds: cannot enter " << dir << "\n";
      return 1;
    }
  }
  const std::vector<llmds::cli::Command> commands = {
      llmds::DemoCommand(argv0),   llmds::IndexCommand(),    llmds::SearchCommand(),
      llmds::EvalCommand(),        llmds::RetrievalCommand(), llmds::AnnBenchCommand(),
      llmds::SimulateCommand(),
  };
  return llmds::cli::Main("llmds",
                          "llmds: data structures for LLM serving and retrieval backends.",
                          commands, argc, argv, std::cout, std::cerr);
}
