// Copyright 2026 The llmds Authors.
//
// Fuzz target for CountMinSketch::Deserialize: any input either fails cleanly or yields a sketch
// that satisfies its invariants, re-serializes to the same bytes, and keeps working.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmds/sketch/count_min_sketch.h"
#include "llmds/utils/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<llmds::CountMinSketch> sketch = llmds::CountMinSketch::Deserialize(bytes);
  if (!sketch.ok()) return 0;
  LLMDS_CHECK(sketch->CheckInvariants().ok());
  LLMDS_CHECK(sketch->Serialize() == bytes);
  const uint64_t before = sketch->Estimate("fuzz");
  LLMDS_CHECK(before <= sketch->TotalCount());
  sketch->Add("fuzz", 3);
  LLMDS_CHECK(sketch->Estimate("fuzz") >= before);
  llmds::CountMinSketch copy = *sketch;
  LLMDS_CHECK(sketch->Merge(copy).ok());
  LLMDS_CHECK(sketch->CheckInvariants().ok());
  return 0;
}

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  std::vector<std::string> seeds;
  for (bool conservative : {false, true}) {
    for (int32_t width : {1, 7, 32}) {
      llmds::CountMinSketchOptions options;
      options.width = width;
      options.depth = width == 32 ? 3 : 2;
      options.conservative_update = conservative;
      options.seed = static_cast<uint64_t>(width) * 1000 + conservative;
      absl::StatusOr<llmds::CountMinSketch> sketch = llmds::CountMinSketch::Create(options);
      LLMDS_CHECK(sketch.ok());
      for (int i = 0; i < 100; ++i) sketch->Add(std::to_string(i % 13), 1 + i % 4);
      seeds.push_back(sketch->Serialize());
    }
  }
  // A saturated sketch.
  absl::StatusOr<llmds::CountMinSketch> saturated =
      llmds::CountMinSketch::Create(llmds::CountMinSketchOptions{4, 2, false, 1});
  LLMDS_CHECK(saturated.ok());
  saturated->Add("a", ~uint64_t{0});
  saturated->Add("b", 10);
  seeds.push_back(saturated->Serialize());
  return seeds;
}
