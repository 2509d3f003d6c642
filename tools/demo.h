// Copyright 2026 The llmds Authors.
//
// `llmds demo`: the tool's main job, run on data bundled with llmds (data/). It reports, as
// readable tables or JSON:
//   1. the serving workload: the bundled Mooncake trace's request sizes, arrival process and
//      the prefix reuse its 512-token blocks offer to a prefix cache;
//   2. the retrieval corpus: the bundled Cranfield collection's size, queries and judgements.
// It grows with the library: later stages replay the trace through admission control, the
// scheduler and the KV block manager, and search Cranfield with BM25, HNSW and hybrid fusion.

#ifndef LLMDS_TOOLS_DEMO_H_
#define LLMDS_TOOLS_DEMO_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace llmds {

struct DemoOptions {
  std::string data_dir = "data";  // directory holding cranfield/ and traces/
  bool json = false;              // one JSON object instead of tables
  int64_t max_requests = 0;       // replay only the first N trace requests; 0: all (tests)
};

// Runs the demo and writes its report to `out`.
// Errors: NotFound / InvalidArgument naming the data file that is missing or malformed.
absl::Status RunDemo(const DemoOptions& options, std::ostream& out);

}  // namespace llmds

#endif  // LLMDS_TOOLS_DEMO_H_
