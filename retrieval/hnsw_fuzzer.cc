// Copyright 2026 The llmds Authors.
//
// Fuzz target for HNSW::Deserialize. The first input byte picks a mode: even bytes feed the rest
// to Deserialize as is (exercising the checksum and framing); odd bytes first rewrite the
// trailing checksum to match, so mutations reach the structural validation behind it.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <xxhash.h>

#include "llmds/retrieval/hnsw.h"
#include "llmds/retrieval/hnsw_testing.h"
#include "llmds/utils/check.h"

namespace {

std::string SmallIndex(llmds::Metric metric, int n, int dim, int deletes) {
  llmds::HnswOptions options;
  options.dim = dim;
  options.M = 3;
  options.ef_construction = 8;
  options.metric = metric;
  options.ml = 1.0;
  auto index = *llmds::HNSW::Create(options);
  const std::vector<float> data = llmds::hnsw_testing::RandomVectors(n, dim, 5);
  for (int i = 0; i < n; ++i) {
    LLMDS_CHECK(index->Add(absl::MakeConstSpan(&data[i * dim], dim), i * 3).ok());
  }
  for (int i = 0; i < deletes; ++i) LLMDS_CHECK(index->Delete(i * 3).ok());
  return index->Serialize();
}

}  // namespace

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  std::vector<std::string> seeds;
  for (char mode : {'\0', '\1'}) {
    seeds.push_back(mode + SmallIndex(llmds::Metric::kL2, 12, 2, 2));
    seeds.push_back(mode + SmallIndex(llmds::Metric::kCosine, 6, 3, 0));
    seeds.push_back(mode + SmallIndex(llmds::Metric::kInnerProduct, 1, 2, 0));
    seeds.push_back(mode + SmallIndex(llmds::Metric::kL2, 0, 1, 0));
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) != 0 && bytes.size() >= 8) {
    const uint64_t checksum = XXH3_64bits(bytes.data(), bytes.size() - 8);
    std::memcpy(&bytes[bytes.size() - 8], &checksum, 8);
  }
  auto loaded = llmds::HNSW::Deserialize(bytes);
  if (!loaded.ok()) return 0;
  llmds::HNSW& index = **loaded;
  LLMDS_CHECK(index.CheckInvariants().ok());
  const int dim = index.options().dim;
  std::vector<float> query(static_cast<size_t>(dim), 0.5f);
  auto result = index.Search(query, 4);
  LLMDS_CHECK(result.size() <= 4);
  // A loaded index accepts inserts and round-trips.
  (void)index.Add(query, -12345);
  LLMDS_CHECK(index.CheckInvariants().ok());
  auto again = llmds::HNSW::Deserialize(index.Serialize());
  LLMDS_CHECK(again.ok());
  return 0;
}
