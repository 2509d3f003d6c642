// Copyright 2026 The llmds Authors.
//
// Fuzz target: the trace parsers must return a value or an error on any bytes, never crash.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmds/datasets/serving_trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)llmds::ParseMooncakeTrace(bytes, "fuzz");
  (void)llmds::ParseAzureTrace(bytes, "fuzz");
  return 0;
}

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  return {
      "{\"timestamp\": 3, \"input_length\": 1025, \"output_length\": 6, \"hash_ids\": [0, 1, 2]}\n"
      "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 0, \"x\": [{\"a\": null}]}\n",
      "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n",
  };
}
