// Copyright 2026 The llmds Authors.
//
// Fuzz target for RetrievalPipeline::Deserialize. Inputs whose first byte is odd get a valid
// header checksum patched in before parsing, so mutations reach the manifest and section parser
// instead of stopping at the checksum. Whatever parses must pass CheckInvariants and search.

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "llmds/retrieval/retrieval_pipeline.h"
#include "llmds/utils/check.h"

namespace {

constexpr size_t kHeaderBytes = 32;

void PatchChecksum(std::string* bytes) {
  if (bytes->size() < kHeaderBytes) return;
  const uint64_t body_size = bytes->size() - kHeaderBytes;
  const uint64_t checksum = XXH3_64bits(bytes->data() + kHeaderBytes, body_size);
  for (int i = 0; i < 8; ++i) {
    (*bytes)[16 + i] = static_cast<char>(body_size >> (8 * i));
    (*bytes)[24 + i] = static_cast<char>(checksum >> (8 * i));
  }
}

}  // namespace

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  llmds::RetrievalPipelineOptions options;
  options.embedding_dim = 3;
  options.hnsw_M = 4;
  options.cache_sketch_width = 64;
  auto pipeline = *llmds::RetrievalPipeline::Create(options);
  LLMDS_CHECK(pipeline->AddDocument(1, "shock wave", std::vector<float>{1, 0, 0}).ok());
  LLMDS_CHECK(pipeline->AddDocument(2, "boundary layer").ok());
  LLMDS_CHECK(pipeline->AddDocument(5, "wave drag", std::vector<float>{0, 1, 0.5f}).ok());
  std::string odd = pipeline->Serialize();
  std::string even = odd;
  // The first byte is 'L' (even): the patched variant differs only in a byte that is checked.
  odd[0] = static_cast<char>(odd[0] | 1);
  return {even, odd};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (!bytes.empty() && (bytes[0] & 1)) {
    bytes[0] = 'L';
    PatchChecksum(&bytes);
  }
  auto pipeline = llmds::RetrievalPipeline::Deserialize(bytes);
  if (!pipeline.ok()) return 0;
  LLMDS_CHECK((*pipeline)->CheckInvariants().ok());
  const int dim = (*pipeline)->options().embedding_dim;
  std::vector<float> query(dim, 0.5f);
  LLMDS_CHECK((*pipeline)->Search("wave", query, 5, 0.5).ok());
  LLMDS_CHECK((*pipeline)->Search("wave", {}, 5).ok());
  return 0;
}
