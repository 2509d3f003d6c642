// Copyright 2026 The llmds Authors.
//
// `llmds`: the command-line tool. `llmds --help` lists the commands.

#include <iostream>
#include <string>
#include <vector>

#include "llmds/tools/cli.h"
#include "llmds/tools/commands.h"

int main(int argc, char** argv) {
  const std::string argv0 = argc > 0 ? argv[0] : "llmds";
  const std::vector<llmds::cli::Command> commands = {
      llmds::DemoCommand(argv0),   llmds::IndexCommand(),    llmds::SearchCommand(),
      llmds::EvalCommand(),        llmds::RetrievalCommand(), llmds::AnnBenchCommand(),
      llmds::SimulateCommand(),
  };
  return llmds::cli::Main("llmds",
                          "llmds: data structures for LLM serving and retrieval backends.",
                          commands, argc, argv, std::cout, std::cerr);
}
