// Copyright 2026 The llmds Authors.
//
// Concurrency contract of HNSW: searches while adding, concurrent adds, deletes and compaction
// racing with searches. Run under --config=tsan.

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "llmds/retrieval/hnsw.h"
#include "llmds/retrieval/hnsw_testing.h"

namespace llmds {
namespace {

using hnsw_testing::BruteForce;
using hnsw_testing::ClusteredVectors;
using hnsw_testing::Recall;

constexpr int kDim = 8;

std::unique_ptr<HNSW> MakeIndex() {
  HnswOptions options;
  options.dim = kDim;
  options.M = 8;
  options.ef_construction = 40;
  return *HNSW::Create(options);
}

TEST(HnswConcurrencyTest, SearchWhileAdding) {
  const int n = 1200;
  const std::vector<float> data = ClusteredVectors(n, kDim, 10, 0.2f, 1);
  auto index = MakeIndex();
  std::atomic<int> added{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < n; i += 2) {
        EXPECT_TRUE(index->Add(absl::MakeConstSpan(&data[i * kDim], kDim), i).ok());
        added.fetch_add(1);
      }
    });
  }
  std::vector<std::thread> readers;
  std::atomic<int64_t> searches{0};
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      int q = r;
      while (!done.load()) {
        const float* query = &data[(q++ % n) * kDim];
        auto result = index->Search(absl::MakeConstSpan(query, kDim), 5);
        for (size_t i = 0; i < result.size(); ++i) {
          EXPECT_GE(result[i].first, 0);
          EXPECT_LT(result[i].first, n);
          if (i > 0) {
            EXPECT_LE(result[i - 1].second, result[i].second);
          }
        }
        (void)index->Stats();
        searches.fetch_add(1);
      }
    });
  }
  for (auto& t : writers) t.join();
  done.store(true);
  for (auto& t : readers) t.join();
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(index->size(), n);
  ASSERT_TRUE(index->CheckInvariants().ok());
  index->set_ef_search(64);
  double recall = 0;
  for (int q = 0; q < 50; ++q) {
    const float* query = &data[q * 7 * kDim];
    recall += Recall(index->Search(absl::MakeConstSpan(query, kDim), 10),
                     BruteForce(data, kDim, query, 10, Metric::kL2));
  }
  EXPECT_GE(recall / 50, 0.95);
}

TEST(HnswConcurrencyTest, ParallelBatchAddWithSearchesDeletesAndCompaction) {
  const int n = 1000;
  const std::vector<float> data = ClusteredVectors(n, kDim, 10, 0.2f, 2);
  auto index = MakeIndex();
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = i;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    int q = 0;
    while (!done.load()) {
      HnswSearchParams params;
      params.predicate = [](int64_t id) { return id % 3 != 0; };
      auto r = index->SearchWithParams(absl::MakeConstSpan(&data[(q++ % n) * kDim], kDim), 5,
                                       params);
      EXPECT_TRUE(r.ok());
      for (const auto& [id, d] : *r) EXPECT_NE(id % 3, 0);
    }
  });
  ASSERT_TRUE(index->AddBatch(absl::MakeConstSpan(data).subspan(0, 500 * kDim),
                              absl::MakeConstSpan(ids).subspan(0, 500), 2)
                  .ok());
  std::thread deleter([&] {
    for (int i = 0; i < 500; i += 5) EXPECT_TRUE(index->Delete(i).ok());
    index->Compact();
  });
  ASSERT_TRUE(index->AddBatch(absl::MakeConstSpan(data).subspan(500 * kDim),
                              absl::MakeConstSpan(ids).subspan(500), 2)
                  .ok());
  deleter.join();
  done.store(true);
  reader.join();
  EXPECT_EQ(index->size(), n - 100);
  ASSERT_TRUE(index->CheckInvariants().ok());
}

}  // namespace
}  // namespace llmds
