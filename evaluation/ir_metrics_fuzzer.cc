// Copyright 2026 The llmds Authors.
//
// Fuzz target: run and qrels parsers (and the evaluator on what they accept) never crash.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmds/evaluation/ir_metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto run = llmds::ParseTrecRun(bytes, "fuzz");
  const auto qrels = llmds::ParseTrecQrels(bytes, "fuzz");
  if (run.ok() && qrels.ok()) (void)llmds::EvaluateRun(*qrels, *run);
  return 0;
}

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  return {"1 Q0 d1 1 2.5 tag\n1 Q0 d2 2 1.5 tag\n2 Q0 d1 1 -1e3 tag\n", "1 0 d1 2\n1 0 d2 0\n"};
}
