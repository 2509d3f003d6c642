// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/hnsw.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "llmds/retrieval/hnsw_testing.h"
#include "llmds/retrieval/internal/hnsw_scratch.h"

namespace llmds {
namespace {

using hnsw_testing::BruteForce;
using hnsw_testing::ClusteredVectors;
using hnsw_testing::RandomVectors;
using hnsw_testing::Recall;

std::unique_ptr<HNSW> MakeIndex(int dim, Metric metric = Metric::kL2, int m = 8,
                                int ef_construction = 64, uint64_t seed = 7) {
  HnswOptions options;
  options.dim = dim;
  options.metric = metric;
  options.M = m;
  options.ef_construction = ef_construction;
  options.seed = seed;
  auto index = HNSW::Create(options);
  EXPECT_TRUE(index.ok()) << index.status();
  return *std::move(index);
}

std::unique_ptr<HNSW> BuildIndex(const std::vector<float>& data, int dim,
                                 Metric metric = Metric::kL2, int m = 8, uint64_t seed = 7) {
  auto index = MakeIndex(dim, metric, m, 64, seed);
  const size_t n = data.size() / dim;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(index->Add(absl::MakeConstSpan(&data[i * dim], dim), static_cast<int64_t>(i)).ok());
  }
  return index;
}

// The search heaps compare packed (distance, slot) keys; their order must be the pair order,
// including negative distances (inner product) and ties broken by slot.
TEST(HnswScratchTest, PackedKeysOrderLikeDistanceSlotPairs) {
  using retrieval_internal::DecodeKey;
  using retrieval_internal::DistSlot;
  using retrieval_internal::EncodeKey;
  const std::vector<float> distances = {-std::numeric_limits<float>::max(), -3.5f, -1.0f,
                                        -1e-30f, 0.0f, 1e-30f, 0.5f, 1.0f, 2.0f, 1e30f,
                                        std::numeric_limits<float>::infinity()};
  std::vector<DistSlot> pairs;
  for (float d : distances) {
    for (uint32_t slot : {0u, 1u, 7u, 0xfffffffeu}) pairs.emplace_back(d, slot);
  }
  for (const DistSlot& a : pairs) {
    EXPECT_EQ(DecodeKey(EncodeKey(a.first, a.second)), a);
    for (const DistSlot& b : pairs) {
      EXPECT_EQ(EncodeKey(a.first, a.second) < EncodeKey(b.first, b.second), a < b)
          << a.first << "/" << a.second << " vs " << b.first << "/" << b.second;
    }
  }
}

TEST(HnswCreateTest, RejectsBadOptions) {
  HnswOptions ok;
  ok.dim = 4;
  EXPECT_TRUE(HNSW::Create(ok).ok());
  auto expect_bad = [](HnswOptions o, const char* field) {
    auto r = HNSW::Create(o);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status();
  };
  HnswOptions o = ok;
  o.dim = 0;
  expect_bad(o, "dim");
  o = ok;
  o.M = 1;
  expect_bad(o, "M");
  o = ok;
  o.ef_construction = 0;
  expect_bad(o, "ef_construction");
  o = ok;
  o.ef_search = 0;
  expect_bad(o, "ef_search");
  o = ok;
  o.ml = std::nan("");
  expect_bad(o, "ml");
  o = ok;
  o.ml = -1;
  expect_bad(o, "ml");
  o = ok;
  o.exact_filter_threshold = 1.5;
  expect_bad(o, "exact_filter_threshold");
}

TEST(HnswTest, EmptyIndex) {
  auto index = MakeIndex(3);
  const std::vector<float> q = {1, 2, 3};
  EXPECT_TRUE(index->Search(q, 5).empty());
  const HnswStats stats = index->Stats();
  EXPECT_EQ(stats.num_vectors, 0);
  EXPECT_EQ(stats.num_layers, 0);
  EXPECT_EQ(stats.entry_point, -1);
  EXPECT_EQ(stats.max_level, -1);
  EXPECT_EQ(index->size(), 0);
  EXPECT_TRUE(index->CheckInvariants().ok());
  EXPECT_FALSE(stats.simd.empty());
}

TEST(HnswTest, AddRejectsBadInputAndLeavesIndexUnchanged) {
  auto index = MakeIndex(3);
  ASSERT_TRUE(index->Add(std::vector<float>{1, 2, 3}, 1).ok());
  const std::vector<float> nan = {1, std::nanf(""), 3};
  const std::vector<float> inf = {1, std::numeric_limits<float>::infinity(), 3};
  EXPECT_EQ(index->Add(std::vector<float>{1, 2}, 2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Add(std::vector<float>{1, 2, 3, 4}, 2).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Add(nan, 2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Add(inf, 2).code(), absl::StatusCode::kInvalidArgument);
  const absl::Status dup = index->Add(std::vector<float>{4, 5, 6}, 1);
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("1"), std::string::npos);
  EXPECT_EQ(index->size(), 1);
  EXPECT_FALSE(index->Contains(2));
  EXPECT_TRUE(index->CheckInvariants().ok());
  // The original vector is intact.
  auto r = index->Search(std::vector<float>{1, 2, 3}, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, 1);
  EXPECT_FLOAT_EQ(r[0].second, 0.0f);

  auto cosine = MakeIndex(3, Metric::kCosine);
  EXPECT_EQ(cosine->Add(std::vector<float>{0, 0, 0}, 1).code(), absl::StatusCode::kInvalidArgument);
}

TEST(HnswTest, SearchRejectsBadQueries) {
  auto index = BuildIndex(RandomVectors(50, 4, 1), 4);
  EXPECT_TRUE(index->Search(std::vector<float>{1, 2, 3}, 5).empty());
  EXPECT_TRUE(index->Search(std::vector<float>{1, 2, 3, std::nanf("")}, 5).empty());
  EXPECT_TRUE(index->Search(std::vector<float>{1, 2, 3, 4}, 0).empty());
  EXPECT_EQ(index->SearchWithParams(std::vector<float>{1, 2, 3}, 5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->SearchWithParams(std::vector<float>{1, 2, 3, 4}, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  HnswSearchParams params;
  params.ef_search = 0;
  EXPECT_EQ(index->SearchWithParams(std::vector<float>{1, 2, 3, 4}, 5, params).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->SearchBatch(std::vector<float>(4), 5, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->SearchBatch(std::vector<float>(5), 5, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HnswTest, DistancesFollowTheContract) {
  auto l2 = MakeIndex(2);
  ASSERT_TRUE(l2->Add(std::vector<float>{3, 4}, 10).ok());
  auto r = l2->Search(std::vector<float>{0, 0}, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FLOAT_EQ(r[0].second, 5.0f);  // Euclidean, not squared

  auto ip = MakeIndex(2, Metric::kInnerProduct);
  ASSERT_TRUE(ip->Add(std::vector<float>{0.5f, 2}, 10).ok());
  r = ip->Search(std::vector<float>{1, 1}, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FLOAT_EQ(r[0].second, 1.0f - 2.5f);

  auto cos = MakeIndex(2, Metric::kCosine);
  ASSERT_TRUE(cos->Add(std::vector<float>{2, 0}, 10).ok());
  ASSERT_TRUE(cos->Add(std::vector<float>{0, 3}, 11).ok());
  r = cos->Search(std::vector<float>{1, 1}, 2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_NEAR(r[0].second, 1.0f - std::sqrt(0.5f), 1e-6);
  EXPECT_NEAR(r[1].second, 1.0f - std::sqrt(0.5f), 1e-6);
  EXPECT_EQ(r[0].first, 10);  // tie broken by ascending id
  EXPECT_EQ(r[1].first, 11);
}

TEST(HnswTest, KLargerThanSizeReturnsEverythingSorted) {
  const std::vector<float> data = RandomVectors(20, 5, 2);
  auto index = BuildIndex(data, 5);
  const std::vector<float> q = RandomVectors(1, 5, 3);
  auto r = index->Search(q, 100);
  ASSERT_EQ(r.size(), 20u);
  auto exact = BruteForce(data, 5, q.data(), 100, Metric::kL2);
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].first, exact[i].first);
    EXPECT_NEAR(r[i].second, exact[i].second, 1e-4);
    if (i > 0) {
      EXPECT_LE(r[i - 1].second, r[i].second);
    }
  }
}

TEST(HnswTest, ExactWhenEfAtLeastSize) {
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    const std::vector<float> data = RandomVectors(300, 8, 4);
    auto index = BuildIndex(data, 8, metric);
    index->set_ef_search(300);
    const std::vector<float> queries = RandomVectors(20, 8, 5);
    for (int q = 0; q < 20; ++q) {
      auto r = index->Search(absl::MakeConstSpan(&queries[q * 8], 8), 10);
      auto exact = BruteForce(data, 8, &queries[q * 8], 10, metric);
      ASSERT_EQ(r.size(), exact.size());
      for (size_t i = 0; i < r.size(); ++i) {
        EXPECT_EQ(r[i].first, exact[i].first) << "metric " << static_cast<int>(metric);
        EXPECT_NEAR(r[i].second, exact[i].second, 1e-4);
      }
    }
  }
}

TEST(HnswTest, SameSeedAndOrderGiveIdenticalGraph) {
  const std::vector<float> data = ClusteredVectors(600, 8, 10, 0.1f, 6);
  auto a = BuildIndex(data, 8, Metric::kL2, 8, 99);
  auto b = MakeIndex(8, Metric::kL2, 8, 64, 99);
  std::vector<int64_t> ids(600);
  for (int i = 0; i < 600; ++i) ids[i] = i;
  ASSERT_TRUE(b->AddBatch(data, ids, 1).ok());  // batch with one thread == Add in order
  auto c = BuildIndex(data, 8, Metric::kL2, 8, 100);
  EXPECT_EQ(a->Stats().entry_point, b->Stats().entry_point);
  EXPECT_EQ(a->Serialize(), b->Serialize());
  bool differs = a->Serialize() != c->Serialize();
  for (int64_t id = 0; id < 600; ++id) {
    for (int level = 0;; ++level) {
      auto na = a->GetNeighbors(id, level);
      auto nb = b->GetNeighbors(id, level);
      ASSERT_EQ(na.ok(), nb.ok());
      if (!na.ok()) break;
      EXPECT_EQ(*na, *nb);
    }
  }
  const std::vector<float> queries = RandomVectors(20, 8, 8);
  for (int q = 0; q < 20; ++q) {
    EXPECT_EQ(a->Search(absl::MakeConstSpan(&queries[q * 8], 8), 10),
              b->Search(absl::MakeConstSpan(&queries[q * 8], 8), 10));
  }
  EXPECT_TRUE(differs);  // another seed draws other levels
}

int CountAtLevelOne(const HNSW& index, int n) {
  int count = 0;
  for (int id = 0; id < n; ++id) count += index.GetNeighbors(id, 1).ok();
  return count;
}

TEST(HnswTest, DefaultMlIsOneOverLnM) {
  const int n = 3000;
  const std::vector<float> data = RandomVectors(n, 2, 9);
  HnswOptions options;
  options.dim = 2;
  options.M = 16;
  options.ef_construction = 8;
  auto index = *HNSW::Create(options);
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = i;
  ASSERT_TRUE(index->AddBatch(data, ids, 1).ok());
  // P(level >= 1) = exp(-1/ml) = 1/M = 1/16: about 188 of 3000 (sd ~13).
  const int upper = CountAtLevelOne(*index, n);
  EXPECT_GT(upper, 130);
  EXPECT_LT(upper, 250);
  options.ml = 1.0 / std::log(2.0);  // the seed's documented value: half the nodes
  auto half = *HNSW::Create(options);
  ASSERT_TRUE(half->AddBatch(data, ids, 1).ok());
  const int upper_half = CountAtLevelOne(*half, n);
  EXPECT_GT(upper_half, 1350);
  EXPECT_LT(upper_half, 1650);
}

TEST(HnswTest, DuplicateVectorsAreAllFound) {
  auto index = MakeIndex(4);
  const std::vector<float> v = {1, 1, 1, 1};
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(index->Add(v, 100 + i).ok());
  const std::vector<float> other = RandomVectors(50, 4, 10);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(index->Add(absl::MakeConstSpan(&other[i * 4], 4), i).ok());
  auto r = index->Search(v, 30);
  ASSERT_EQ(r.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(r[i].first, 100 + i);
    EXPECT_EQ(r[i].second, 0.0f);
  }
  EXPECT_TRUE(index->CheckInvariants().ok());
}

TEST(HnswTest, DeletedIdsAreNeverReturnedAndRecallHolds) {
  const int n = 1500, dim = 16;
  const std::vector<float> data = ClusteredVectors(n, dim, 20, 0.15f, 11);
  auto index = BuildIndex(data, dim);
  std::vector<int64_t> ids;
  std::vector<float> live;
  absl::flat_hash_set<int64_t> deleted;
  for (int i = 0; i < n; ++i) {
    if (i % 3 == 0) {
      ASSERT_TRUE(index->Delete(i).ok());
      deleted.insert(i);
      if (i % 150 == 0) {
        ASSERT_TRUE(index->CheckInvariants().ok());
      }
    } else {
      ids.push_back(i);
      live.insert(live.end(), &data[i * dim], &data[(i + 1) * dim]);
    }
  }
  EXPECT_EQ(index->Delete(0).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(index->Delete(123456).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(index->size(), static_cast<int64_t>(ids.size()));
  EXPECT_EQ(index->Stats().num_deleted, static_cast<int64_t>(deleted.size()));
  ASSERT_TRUE(index->CheckInvariants().ok());
  index->set_ef_search(64);
  const std::vector<float> queries = ClusteredVectors(100, dim, 20, 0.15f, 11);
  auto measure = [&] {
    double recall = 0;
    for (int q = 0; q < 100; ++q) {
      auto r = index->Search(absl::MakeConstSpan(&queries[q * dim], dim), 10);
      for (const auto& [id, d] : r) EXPECT_FALSE(deleted.contains(id)) << id;
      recall += Recall(r, BruteForce(live, dim, &queries[q * dim], 10, Metric::kL2, ids,
                                     [](int64_t) { return true; }));
    }
    return recall / 100;
  };
  EXPECT_GE(measure(), 0.95);

  const int64_t memory_before = index->Stats().memory_bytes;
  index->Compact();
  ASSERT_TRUE(index->CheckInvariants().ok());
  const HnswStats stats = index->Stats();
  EXPECT_EQ(stats.num_deleted, 0);
  EXPECT_EQ(stats.num_vectors, static_cast<int64_t>(ids.size()));
  EXPECT_EQ(stats.capacity, static_cast<int64_t>(ids.size()));
  EXPECT_LT(stats.memory_bytes, memory_before * 3 / 4);
  EXPECT_GE(measure(), 0.95);

  // A deleted id can be added again, and the index keeps working after compaction.
  ASSERT_TRUE(index->Add(absl::MakeConstSpan(&data[0], dim), 0).ok());
  auto r = index->Search(absl::MakeConstSpan(&data[0], dim), 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, 0);
  ASSERT_TRUE(index->CheckInvariants().ok());
}

TEST(HnswTest, DeletingEverythingThenCompacting) {
  const std::vector<float> data = RandomVectors(100, 4, 12);
  auto index = BuildIndex(data, 4);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(index->Delete(i).ok());
  EXPECT_TRUE(index->Search(absl::MakeConstSpan(&data[0], 4), 5).empty());
  index->Compact();
  EXPECT_TRUE(index->CheckInvariants().ok());
  EXPECT_EQ(index->Stats().entry_point, -1);
  ASSERT_TRUE(index->Add(absl::MakeConstSpan(&data[0], 4), 5).ok());
  EXPECT_EQ(index->Search(absl::MakeConstSpan(&data[0], 4), 5).size(), 1u);
}

TEST(HnswTest, FilteredSearchMatchesFilteredBruteForce) {
  const int n = 2000, dim = 16;
  const std::vector<float> data = ClusteredVectors(n, dim, 20, 0.2f, 13);
  auto index = BuildIndex(data, dim);
  const std::vector<float> queries = ClusteredVectors(50, dim, 20, 0.2f, 14);
  // 50% predicate: graph search with the filter; 0.5% allow-list: exact fallback.
  HnswSearchParams half;
  half.predicate = [](int64_t id) { return id % 2 == 0; };
  half.ef_search = 64;
  std::vector<int64_t> few;
  for (int i = 0; i < n; i += 200) few.push_back(i);
  few.push_back(999999);  // absent ids are ignored
  HnswSearchParams rare;
  rare.allow_list = &few;
  absl::flat_hash_set<int64_t> few_set(few.begin(), few.end());
  double recall_half = 0;
  for (int q = 0; q < 50; ++q) {
    const float* query = &queries[q * dim];
    auto r = index->SearchWithParams(absl::MakeConstSpan(query, dim), 10, half);
    ASSERT_TRUE(r.ok());
    for (const auto& [id, d] : *r) EXPECT_EQ(id % 2, 0);
    recall_half += Recall(*r, BruteForce(data, dim, query, 10, Metric::kL2, {},
                                         [](int64_t id) { return id % 2 == 0; }));
    auto exact = BruteForce(data, dim, query, 10, Metric::kL2, {},
                            [&](int64_t id) { return few_set.contains(id); });
    auto r2 = index->SearchWithParams(absl::MakeConstSpan(query, dim), 10, rare);
    ASSERT_TRUE(r2.ok());
    ASSERT_EQ(r2->size(), exact.size());
    for (size_t i = 0; i < exact.size(); ++i) EXPECT_EQ((*r2)[i].first, exact[i].first);
  }
  EXPECT_GE(recall_half / 50, 0.95);
  HnswSearchParams none;
  none.predicate = [](int64_t) { return false; };
  auto empty = index->SearchWithParams(absl::MakeConstSpan(&queries[0], dim), 10, none);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  // 3% predicate selectivity (above the exact threshold): every allowed result is found.
  HnswSearchParams three;
  three.predicate = [](int64_t id) { return id % 33 == 0; };
  double recall_three = 0;
  for (int q = 0; q < 50; ++q) {
    const float* query = &queries[q * dim];
    auto r = index->SearchWithParams(absl::MakeConstSpan(query, dim), 10, three);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 10u);
    recall_three += Recall(*r, BruteForce(data, dim, query, 10, Metric::kL2, {},
                                          [](int64_t id) { return id % 33 == 0; }));
  }
  EXPECT_GE(recall_three / 50, 0.9);
}

TEST(HnswTest, BatchAddIsAllOrNothing) {
  auto index = MakeIndex(2);
  ASSERT_TRUE(index->Add(std::vector<float>{0, 0}, 5).ok());
  std::vector<float> rows = {1, 1, 2, 2, 3, std::nanf("")};
  EXPECT_EQ(index->AddBatch(rows, std::vector<int64_t>{1, 2, 3}, 2).code(),
            absl::StatusCode::kInvalidArgument);
  rows[5] = 3;
  EXPECT_EQ(index->AddBatch(rows, std::vector<int64_t>{1, 2, 1}, 2).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->AddBatch(rows, std::vector<int64_t>{1, 2, 5}, 2).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(index->AddBatch(rows, std::vector<int64_t>{1, 2}, 2).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->AddBatch(rows, std::vector<int64_t>{1, 2, 3}, 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->size(), 1);
  ASSERT_TRUE(index->AddBatch(rows, std::vector<int64_t>{1, 2, 3}, 2).ok());
  EXPECT_EQ(index->size(), 4);
  EXPECT_TRUE(index->CheckInvariants().ok());
}

TEST(HnswTest, SearchBatchEqualsSearch) {
  const std::vector<float> data = RandomVectors(500, 8, 15);
  auto index = BuildIndex(data, 8);
  const std::vector<float> queries = RandomVectors(40, 8, 16);
  auto batch = index->SearchBatch(queries, 7, 3);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 40u);
  for (int q = 0; q < 40; ++q) {
    EXPECT_EQ((*batch)[q], index->Search(absl::MakeConstSpan(&queries[q * 8], 8), 7));
  }
}

TEST(HnswTest, CapacityGrowsWithoutLimit) {
  auto index = MakeIndex(3, Metric::kL2, 4, 16);
  const std::vector<float> data = RandomVectors(700, 3, 17);
  int64_t last_capacity = 0;
  int grows = 0;
  for (int i = 0; i < 700; ++i) {
    ASSERT_TRUE(index->Add(absl::MakeConstSpan(&data[i * 3], 3), i * 7).ok());
    const int64_t capacity = index->Stats().capacity;
    grows += capacity != last_capacity;
    last_capacity = capacity;
    if (i % 97 == 0) {
      ASSERT_TRUE(index->CheckInvariants().ok());
    }
  }
  EXPECT_GE(grows, 3);
  EXPECT_GE(last_capacity, 700);
  ASSERT_TRUE(index->CheckInvariants().ok());
  auto r = index->Search(absl::MakeConstSpan(&data[699 * 3], 3), 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, 699 * 7);
}

TEST(HnswSaveLoadTest, RoundTrip) {
  const std::vector<float> data = RandomVectors(300, 6, 18);
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine}) {
    auto index = BuildIndex(data, 6, metric);
    ASSERT_TRUE(index->Delete(3).ok());
    const std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                             "/hnsw_roundtrip.bin";
    ASSERT_TRUE(index->Save(path).ok());
    auto loaded = HNSW::Load(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_TRUE((*loaded)->CheckInvariants().ok());
    EXPECT_EQ((*loaded)->Serialize(), index->Serialize());
    EXPECT_EQ((*loaded)->size(), index->size());
    EXPECT_EQ(static_cast<int>((*loaded)->options().metric), static_cast<int>(metric));
    const std::vector<float> queries = RandomVectors(10, 6, 19);
    for (int q = 0; q < 10; ++q) {
      EXPECT_EQ((*loaded)->Search(absl::MakeConstSpan(&queries[q * 6], 6), 5),
                index->Search(absl::MakeConstSpan(&queries[q * 6], 6), 5));
    }
    // Adding after a load continues the same level sequence as adding before saving.
    ASSERT_TRUE((*loaded)->Add(absl::MakeConstSpan(&data[0], 6), 1000).ok());
    ASSERT_TRUE(index->Add(absl::MakeConstSpan(&data[0], 6), 1000).ok());
    EXPECT_EQ((*loaded)->Serialize(), index->Serialize());
  }
  EXPECT_EQ(HNSW::Load("/nonexistent/dir/x.bin").status().code(), absl::StatusCode::kNotFound);
}

TEST(HnswSaveLoadTest, EveryCorruptionAndTruncationIsRejected) {
  const std::vector<float> data = RandomVectors(40, 3, 20);
  auto index = BuildIndex(data, 3, Metric::kL2, 4);
  ASSERT_TRUE(index->Delete(7).ok());
  const std::string bytes = index->Serialize();
  ASSERT_TRUE(HNSW::Deserialize(bytes).ok());
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_FALSE(HNSW::Deserialize(bytes.substr(0, len)).ok()) << len;
  }
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (int delta : {1, 0x80}) {
      std::string changed = bytes;
      changed[at] = static_cast<char>(changed[at] + delta);
      EXPECT_FALSE(HNSW::Deserialize(changed).ok()) << at;
    }
  }
  EXPECT_FALSE(HNSW::Deserialize(bytes + "x").ok());
}

}  // namespace
}  // namespace llmds
