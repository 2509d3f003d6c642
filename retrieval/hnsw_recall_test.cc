// Copyright 2026 The llmds Authors.
//
// Recall of HNSW against brute force. Floors: recall@10 >= 0.95 at ef = 128 on clustered data
// (the floor; sized 6k x 64 so the unoptimized test build stays within seconds), a
// monotone curve over ef, and >= 0.9 at ef = 64 on uniform random 32-d data, which is much
// harder for any graph index (no cluster structure, high intrinsic dimension).

#include <vector>

#include "gtest/gtest.h"
#include "llmds/retrieval/hnsw.h"
#include "llmds/retrieval/hnsw_testing.h"

namespace llmds {
namespace {

using hnsw_testing::BruteForce;
using hnsw_testing::ClusteredVectors;
using hnsw_testing::RandomVectors;
using hnsw_testing::Recall;

double MeanRecall(const HNSW& index, const std::vector<float>& data,
                  const std::vector<float>& queries, int dim, int ef, Metric metric) {
  HnswSearchParams params;
  params.ef_search = ef;
  const int nq = static_cast<int>(queries.size() / dim);
  double total = 0;
  for (int q = 0; q < nq; ++q) {
    const float* query = &queries[q * dim];
    auto r = index.SearchWithParams(absl::MakeConstSpan(query, dim), 10, params);
    EXPECT_TRUE(r.ok());
    total += Recall(*r, BruteForce(data, dim, query, 10, metric));
  }
  return total / nq;
}

std::unique_ptr<HNSW> Build(const std::vector<float>& data, int dim, Metric metric, int threads) {
  HnswOptions options;
  options.dim = dim;
  options.M = 16;
  options.ef_construction = 100;
  options.metric = metric;
  auto index = *HNSW::Create(options);
  std::vector<int64_t> ids(data.size() / dim);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  EXPECT_TRUE(index->AddBatch(data, ids, threads).ok());
  EXPECT_TRUE(index->CheckInvariants().ok());
  return index;
}

TEST(HnswRecallTest, ClusteredL2) {
  const int dim = 64;
  const std::vector<float> data = ClusteredVectors(6000, dim, 50, 0.25f, 1);
  const std::vector<float> queries = ClusteredVectors(100, dim, 50, 0.25f, 2);
  auto index = Build(data, dim, Metric::kL2, 2);
  const double r16 = MeanRecall(*index, data, queries, dim, 16, Metric::kL2);
  const double r64 = MeanRecall(*index, data, queries, dim, 64, Metric::kL2);
  const double r128 = MeanRecall(*index, data, queries, dim, 128, Metric::kL2);
  EXPECT_GE(r128, 0.95);
  EXPECT_GE(r64, 0.9);
  EXPECT_GE(r16, 0.6);
  EXPECT_GE(r128 + 1e-9, r16);
  std::printf("clustered recall@10: ef16 %.3f ef64 %.3f ef128 %.3f\n", r16, r64, r128);
}

TEST(HnswRecallTest, RandomL2AndCosine) {
  const int dim = 32;
  const std::vector<float> data = RandomVectors(2000, dim, 3);
  const std::vector<float> queries = RandomVectors(50, dim, 4);
  for (Metric metric : {Metric::kL2, Metric::kCosine, Metric::kInnerProduct}) {
    auto index = Build(data, dim, metric, 1);
    const double r64 = MeanRecall(*index, data, queries, dim, 64, metric);
    const double r200 = MeanRecall(*index, data, queries, dim, 200, metric);
    std::printf("random metric %d recall@10: ef64 %.3f ef200 %.3f\n", static_cast<int>(metric),
                r64, r200);
    EXPECT_GE(r200, 0.95);
    if (metric != Metric::kInnerProduct) {
      EXPECT_GE(r64, 0.9);
    }
  }
}

}  // namespace
}  // namespace llmds
