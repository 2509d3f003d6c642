// Copyright 2026 The llmds Authors.
//
// The subcommands of the `llmds` tool, one factory per command (each in its own .cc file).

#ifndef LLMDS_TOOLS_COMMANDS_H_
#define LLMDS_TOOLS_COMMANDS_H_

#include <string>

#include "llmds/tools/cli.h"

namespace llmds {

// `llmds demo`: the main job on bundled data. `argv0` locates the bundled data beside the binary.
cli::Command DemoCommand(const std::string& argv0);
// `llmds eval`: trec_eval-compatible metrics of a run file against qrels.
cli::Command EvalCommand();
// `llmds simulate`: replay a serving trace through the request path (serving_simulation.h).
cli::Command SimulateCommand();
// `llmds index` / `llmds search`: build and query a saved RetrievalPipeline.
cli::Command IndexCommand();
cli::Command SearchCommand();
// `llmds retrieval`: the demo's retrieval report on cran, med or cacm.
cli::Command RetrievalCommand();
// `llmds ann-bench`: HNSW recall and speed on the user's vectors.
cli::Command AnnBenchCommand();

}  // namespace llmds

#endif  // LLMDS_TOOLS_COMMANDS_H_
