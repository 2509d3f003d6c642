// Copyright 2026 The llmds Authors.
//
// `llmds demo`: the tool's main job, run on data bundled with llmds (data/). It reports, as
// readable tables or JSON:
//   1. retrieval: BM25, dense (LSI vectors in HNSW) and hybrid search over Cranfield through
//      RetrievalPipeline: nDCG@10, Recall@100, latency percentiles, queries/s, index memory,
//      and the hot-query result cache (tools/retrieval_report.h);
//   2. serving: the Mooncake trace replayed through AdmissionController -> Scheduler ->
//      KVBlockManager with a documented cost model, with and without prefix caching:
//      throughput, time to first token, prefix-cache hit rate (tools/serving_simulation.h).

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
  int32_t max_queries = 0;        // evaluate only the first N queries; 0: all (tests)
  int32_t lsi_dimensions = 128;   // dense vector size
};

// Runs the demo and writes its report to `out`.
// Errors: NotFound / InvalidArgument naming the data file that is missing or malformed.
absl::Status RunDemo(const DemoOptions& options, std::ostream& out);

}  // namespace llmds

#endif  // LLMDS_TOOLS_DEMO_H_
