// Copyright 2026 The llmds Authors.
//
// Fuzz target: every vector parser returns a value or an error on any bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmds/datasets/vectors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)llmds::ParseFvecs(bytes, "fuzz");
  (void)llmds::ParseNpy(bytes, "fuzz");
  (void)llmds::ParseIdx(bytes, "fuzz");
  (void)llmds::ParseTsvVectors(bytes, "fuzz", size % 2 == 0);
  (void)llmds::Gunzip(bytes, "fuzz", 1 << 20);
  return 0;
}

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  std::string fvecs("\x02\x00\x00\x00", 4);
  fvecs += std::string(8, '\x3f');
  std::string npy = "\x93NUMPY\x01";
  npy.push_back('\0');
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }\n";
  npy.push_back(static_cast<char>(header.size()));
  npy.push_back('\0');
  npy += header + std::string(8, '\0');
  const std::string idx("\x00\x00\x08\x02\x00\x00\x00\x01\x00\x00\x00\x02\x07\x09", 14);
  // gzip of "ab": a valid stream to mutate.
  const std::string gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x4b\x4c\x02\x00\x43\xbe\xb7"
                       "\xe8\x02\x00\x00\x00", 22);
  return {fvecs, npy, idx, "1\t2\t3\n4\t5\t6\n", gz};
}
