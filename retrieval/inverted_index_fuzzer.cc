// Copyright 2026 The llmds Authors.
//
// Fuzz target for InvertedIndex::Deserialize (what Load runs). Each input is tried as is and
// with its header repaired (body size and checksum recomputed), so mutations reach the
// structural validation behind the checksum. Whatever loads must pass CheckInvariants, answer
// queries and serialize back to bytes that load again.

#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "llmds/retrieval/inverted_index.h"

namespace {

void Exercise(const std::string& bytes) {
  absl::StatusOr<std::unique_ptr<llmds::InvertedIndex>> index =
      llmds::InvertedIndex::Deserialize(bytes);
  if (!index.ok()) return;
  if (!(*index)->CheckInvariants().ok()) std::abort();
  (*index)->Search("alpha beta gamma", 5);
  (*index)->GetDocumentFrequency("alpha");
  if (!llmds::InvertedIndex::Deserialize((*index)->Serialize()).ok()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  Exercise(bytes);
  if (size >= 32) {
    const uint64_t body_size = size - 32;
    const uint64_t checksum = XXH3_64bits(bytes.data() + 32, body_size);
    std::memcpy(&bytes[16], &body_size, 8);
    std::memcpy(&bytes[24], &checksum, 8);
    Exercise(bytes);
  }
  return 0;
}

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  std::vector<std::string> seeds;
  {
    llmds::InvertedIndex index;
    (void)index.AddDocument(1, "alpha beta");
    (void)index.AddDocument(2, "beta gamma gamma");
    seeds.push_back(index.Serialize());
  }
  {
    llmds::InvertedIndexOptions options;
    options.analyzer.stem = false;
    options.analyzer.stopwords = {"zz"};
    options.mutable_segment_max_postings = 2;
    llmds::InvertedIndex index(options);
    (void)index.AddDocument(7, "alpha alpha alpha zz delta");
    (void)index.AddDocument(3, "");
    (void)index.AddDocument(9, "gamma alpha");
    (void)index.RemoveDocument(3);
    seeds.push_back(index.Serialize());
  }
  seeds.push_back(llmds::InvertedIndex().Serialize());
  return seeds;
}
