// Copyright 2026 The llmds Authors.
//
// Searches, statistics and batch searches run while documents are added and removed. Run under
// TSan: `bazel test --config=tsan //retrieval:inverted_index_concurrency_test`.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "llmds/retrieval/inverted_index.h"

namespace llmds {
namespace {

std::string Text(int d) {
  std::string text;
  for (int w = 0; w < 10; ++w) text += "w" + std::to_string((d * 31 + w * 7) % 97) + " ";
  return text;
}

TEST(InvertedIndexConcurrencyTest, ReadsDuringWrites) {
  InvertedIndexOptions options;
  options.mutable_segment_max_postings = 500;  // folds happen while readers run
  InvertedIndex index(options);
  for (int d = 0; d < 200; ++d) ASSERT_TRUE(index.AddDocument(d, Text(d)).ok());
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r]() {
      int q = r;
      while (!done.load(std::memory_order_acquire)) {
        const std::string query = "w" + std::to_string(q % 97) + " w" + std::to_string(q * 3 % 97);
        auto result = index.Search(query, 10);
        for (size_t i = 1; i < result.size(); ++i) {
          if (result[i - 1].second < result[i].second) bad.fetch_add(1);
        }
        if (index.Stats().num_documents < 150) bad.fetch_add(1);
        if (q % 16 == 0) {
          auto batch = index.BatchSearch({query, "w1 w2"}, 5, 2);
          if (!batch.ok() || (*batch)[0].size() > 5) bad.fetch_add(1);
        }
        index.GetDocumentFrequency("w5");
        ++q;
      }
    });
  }
  for (int d = 200; d < 1200; ++d) {
    ASSERT_TRUE(index.AddDocument(d, Text(d)).ok());
    if (d % 5 == 0) {
      ASSERT_TRUE(index.RemoveDocument(d - 100).ok());
    }
  }
  index.Compact();
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(index.Stats().num_documents, 1200 - 200);
  EXPECT_TRUE(index.CheckInvariants().ok());
}

}  // namespace
}  // namespace llmds
