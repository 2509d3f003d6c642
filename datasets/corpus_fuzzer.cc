// Copyright 2026 The llmds Authors.
//
// Fuzz target: the JSONL corpus reader returns documents or an error on any bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmds/datasets/corpus.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)llmds::ParseJsonlCorpus(std::string_view(reinterpret_cast<const char*>(data), size),
                                "fuzz");
  return 0;
}

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  return {"{\"id\": \"a\", \"title\": \"t\", \"text\": \"x\\n\\u00e9\\ud83d\\ude00\"}\n"
          "{\"id\": 2, \"text\": \"y\", \"m\": [1, {\"k\": null}]}\n"};
}
