// Copyright 2026 The llmds Authors.
//
// Searches (cached and not, single and batch) concurrent with adds and removes. Run under
// --config=tsan.

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "llmds/retrieval/retrieval_pipeline.h"

namespace llmds {
namespace {

constexpr int kDim = 8;
constexpr int kInitialDocs = 200;
constexpr int kWriters = 2;
constexpr int kAddsPerWriter = 60;
constexpr int kRemovesPerWriter = 30;

std::string Text(std::mt19937_64& rng) {
  static const char* const kWords[] = {"flow", "shock", "wave", "heat", "wing", "drag",
                                       "lift", "mach", "jet", "plate", "panel", "vortex"};
  std::string text;
  for (int i = 0, n = 2 + static_cast<int>(rng() % 8); i < n; ++i) {
    text += kWords[rng() % 12];
    text += ' ';
  }
  return text;
}

std::vector<float> Vector(std::mt19937_64& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(kDim);
  for (float& x : v) x = normal(rng);
  return v;
}

bool WellFormed(const RetrievalPipeline::Result& r, int top_k) {
  if (static_cast<int>(r.size()) > top_k) return false;
  for (size_t i = 1; i < r.size(); ++i) {
    if (r[i - 1].second < r[i].second) return false;
    if (r[i - 1].second == r[i].second && r[i - 1].first >= r[i].first) return false;
  }
  return true;
}

TEST(RetrievalPipelineConcurrencyTest, SearchesRaceWithAddsAndRemoves) {
  RetrievalPipelineOptions options;
  options.embedding_dim = kDim;
  options.hnsw_M = 8;
  options.hnsw_ef_construction = 40;
  options.token_budget = 300;
  auto pipeline = *RetrievalPipeline::Create(options);
  std::mt19937_64 rng(1);
  for (int i = 0; i < kInitialDocs; ++i) {
    ASSERT_TRUE(pipeline->AddDocument(i, Text(rng), Vector(rng)).ok());
  }
  std::vector<PipelineQuery> pool;
  for (int i = 0; i < 6; ++i) {
    pool.push_back({Text(rng), i % 2 == 0 ? Vector(rng) : std::vector<float>{}});
  }

  std::atomic<int> writers_done{0};
  std::atomic<int> bad_answers{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 local(100 + w);
      for (int i = 0; i < kAddsPerWriter; ++i) {
        const int64_t id = 10000 * (w + 1) + i;
        EXPECT_TRUE(pipeline->AddDocument(id, Text(local), i % 3 ? Vector(local)
                                                                 : std::vector<float>{})
                        .ok());
        if (i < kRemovesPerWriter) {
          // Writer w removes the initial documents congruent to w modulo kWriters.
          EXPECT_TRUE(pipeline->RemoveDocument(i * kWriters + w).ok());
        }
      }
      writers_done.fetch_add(1);
    });
  }
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937_64 local(200 + r);
      int n = 0;
      while (writers_done.load() < kWriters || n < 100) {
        const PipelineQuery& q = pool[local() % pool.size()];
        SearchOptions so;
        so.top_k = 1 + static_cast<int>(local() % 10);
        so.fusion_weight = (local() % 3) * 0.5;
        so.fusion = local() % 2 ? FusionMethod::kRrf : FusionMethod::kWeighted;
        auto answer = pipeline->Search(q.text, q.embedding, so);
        if (!answer.ok() || !WellFormed(*answer, so.top_k)) bad_answers.fetch_add(1);
        ++n;
      }
    });
  }
  threads.emplace_back([&] {
    SearchOptions so;
    while (writers_done.load() < kWriters) {
      auto answers = pipeline->BatchSearch(pool, so, 2);
      if (!answers.ok()) bad_answers.fetch_add(1);
      const PipelineStats stats = pipeline->Stats();
      if (stats.num_documents < kInitialDocs - kWriters * kRemovesPerWriter) {
        bad_answers.fetch_add(1);
      }
    }
  });
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(bad_answers.load(), 0);
  EXPECT_TRUE(pipeline->CheckInvariants().ok());
  const PipelineStats stats = pipeline->Stats();
  EXPECT_EQ(stats.num_documents,
            kInitialDocs + kWriters * (kAddsPerWriter - kRemovesPerWriter));
  EXPECT_GT(stats.cache_hits, 0);
  // After the dust settles the cache still agrees with the uncached path.
  for (const PipelineQuery& q : pool) {
    for (int rep = 0; rep < 3; ++rep) {
      SearchOptions so;
      const auto cached = *pipeline->Search(q.text, q.embedding, so);
      so.use_cache = false;
      EXPECT_EQ(cached, *pipeline->Search(q.text, q.embedding, so));
    }
  }
}

}  // namespace
}  // namespace llmds
