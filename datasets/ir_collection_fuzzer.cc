// Copyright 2026 The llmds Authors.
//
// Fuzz target: the SMART and qrels parsers must return a value or an error on any bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmds/datasets/ir_collection.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)llmds::ParseSmartFile(bytes, "fuzz");
  (void)llmds::ParseQrels(bytes, llmds::QrelsLayout::kTrec, "fuzz");
  (void)llmds::ParseQrels(bytes, llmds::QrelsLayout::kQueryDocGrade, "fuzz");
  (void)llmds::ParseQrels(bytes, llmds::QrelsLayout::kQueryDoc, "fuzz");
  return 0;
}

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  return {".I 1\r\n.T\r\ntitle\r\n.W\r\ntext\r\n.I 2\n.W\nmore\n", "1 0 13 1\n2 0 5 0\n",
          "01 1410  0 0\n225 1188 -1"};
}
