// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/retrieval_pipeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "llmds/retrieval/inverted_index.h"

namespace llmds {

// Reaches into the pipeline to inject a failure between the BM25 and the HNSW insert.
class RetrievalPipelineTestPeer {
 public:
  static void FailNextDenseAdd(RetrievalPipeline& pipeline) {
    std::unique_lock<std::shared_mutex> lock(pipeline.mutex_);
    pipeline.fail_next_dense_add_ = true;
  }
};

namespace {

using Result = RetrievalPipeline::Result;

constexpr int kDim = 8;

const std::vector<std::string>& Vocabulary() {
  static const auto* words = new std::vector<std::string>{
      "boundary", "layer",   "flow",    "shock",     "wave",    "heat",   "transfer",
      "wing",     "airfoil", "pressure", "supersonic", "laminar", "turbulent", "plate",
      "cylinder", "nozzle",  "jet",     "vortex",    "buckling", "shell",  "panel",
      "flutter",  "mach",    "number",  "skin",      "friction", "drag",   "lift"};
  return *words;
}

struct Doc {
  int64_t id;
  std::string text;
  std::vector<float> embedding;  // empty: lexical only
};

std::string RandomText(std::mt19937_64& rng, int min_words, int max_words) {
  const auto& vocab = Vocabulary();
  const int n = min_words + static_cast<int>(rng() % (max_words - min_words + 1));
  std::string text;
  for (int i = 0; i < n; ++i) {
    if (i > 0) text += ' ';
    text += vocab[rng() % vocab.size()];
  }
  return text;
}

std::vector<float> RandomVector(std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(kDim);
  for (float& x : v) x = normal(rng);
  return v;
}

// Random corpus; about one document in five has no embedding.
std::vector<Doc> RandomCorpus(std::mt19937_64& rng, int n) {
  std::vector<Doc> docs;
  for (int i = 0; i < n; ++i) {
    Doc d;
    d.id = 3 * i + static_cast<int64_t>(rng() % 3);  // sparse, increasing ids
    d.text = RandomText(rng, 2, 14);
    if (rng() % 5 != 0) d.embedding = RandomVector(rng);
    docs.push_back(std::move(d));
  }
  return docs;
}

RetrievalPipelineOptions SmallOptions(Metric metric = Metric::kCosine) {
  RetrievalPipelineOptions o;
  o.embedding_dim = kDim;
  o.hnsw_M = 8;
  o.hnsw_ef_construction = 64;
  o.hnsw_ef_search = 1000;  // >= corpus size: HNSW search is exact
  o.metric = metric;
  o.seed = 7;
  return o;
}

std::unique_ptr<RetrievalPipeline> Build(const RetrievalPipelineOptions& o,
                                         const std::vector<Doc>& docs) {
  auto pipeline = RetrievalPipeline::Create(o);
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  for (const Doc& d : docs) {
    EXPECT_TRUE((*pipeline)->AddDocument(d.id, d.text, d.embedding).ok());
  }
  return std::move(*pipeline);
}

// Brute-force dense distance as the HNSW contract defines it, in double precision.
double Distance(Metric metric, const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0, l2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double{a[i]} * b[i];
    na += double{a[i]} * a[i];
    nb += double{b[i]} * b[i];
    l2 += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
  }
  switch (metric) {
    case Metric::kL2:
      return std::sqrt(l2);
    case Metric::kInnerProduct:
      return 1.0 - dot;
    case Metric::kCosine:
      return 1.0 - dot / std::sqrt(na * nb);
  }
  return 0;
}

// Reference implementation of the contract's fusion, written independently of
// internal/fusion.cc: returns fused scores of every candidate of either side.
std::map<int64_t, double> ReferenceFusion(const std::vector<Doc>& docs, const InvertedIndex& bm25,
                                          Metric metric, const std::string& query,
                                          const std::vector<float>& query_vec, double w,
                                          int candidates, bool rrf) {
  std::vector<std::pair<int64_t, double>> lexical;
  std::vector<std::pair<int64_t, double>> dense;
  if (w < 1.0) lexical = bm25.SearchExhaustive(query, candidates);
  if (w > 0.0) {
    for (const Doc& d : docs) {
      if (!d.embedding.empty()) dense.emplace_back(d.id, Distance(metric, d.embedding, query_vec));
    }
    std::sort(dense.begin(), dense.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second < b.second : a.first < b.first;
    });
    if (static_cast<int>(dense.size()) > candidates) dense.resize(candidates);
    for (auto& [id, distance] : dense) distance = -distance;  // similarity
  }
  std::map<int64_t, double> lex_part, dense_part;
  auto fill = [&](const std::vector<std::pair<int64_t, double>>& side,
                  std::map<int64_t, double>* part) {
    if (side.empty()) return;
    double lo = side[0].second, hi = side[0].second;
    for (const auto& [id, s] : side) {
      lo = std::min(lo, s);
      hi = std::max(hi, s);
    }
    for (size_t r = 0; r < side.size(); ++r) {
      const double s = side[r].second;
      (*part)[side[r].first] =
          rrf ? 1.0 / (60.0 + static_cast<double>(r + 1)) : (hi > lo ? (s - lo) / (hi - lo) : 1.0);
    }
  };
  fill(lexical, &lex_part);
  fill(dense, &dense_part);
  const double lw = rrf ? 2 * (1 - w) : 1 - w;
  const double dw = rrf ? 2 * w : w;
  std::map<int64_t, double> fused;
  for (const auto& [id, s] : lex_part) fused[id] += lw * s;
  for (const auto& [id, s] : dense_part) fused[id] += dw * s;
  return fused;
}

// Checks that `actual` is a correct top_k of `reference` up to floating-point noise: every
// returned score matches the reference score of that id, the order is by descending score
// (ties by id), and nothing left out beats the last returned score.
void ExpectTopK(const Result& actual, const std::map<int64_t, double>& reference, int top_k,
                double tolerance) {
  ASSERT_EQ(actual.size(), std::min<size_t>(top_k, reference.size()));
  std::set<int64_t> returned;
  for (size_t i = 0; i < actual.size(); ++i) {
    auto it = reference.find(actual[i].first);
    ASSERT_NE(it, reference.end()) << "doc " << actual[i].first << " is not a candidate";
    EXPECT_NEAR(actual[i].second, it->second, tolerance) << "doc " << actual[i].first;
    EXPECT_TRUE(returned.insert(actual[i].first).second);
    if (i > 0) {
      EXPECT_TRUE(actual[i - 1].second > actual[i].second ||
                  (actual[i - 1].second == actual[i].second &&
                   actual[i - 1].first < actual[i].first));
    }
  }
  if (actual.empty()) return;
  for (const auto& [id, score] : reference) {
    if (!returned.count(id)) {
      EXPECT_LE(score, actual.back().second + tolerance) << "doc " << id;
    }
  }
}

std::vector<std::string> Queries(std::mt19937_64& rng, int n) {
  std::vector<std::string> queries;
  for (int i = 0; i < n; ++i) queries.push_back(RandomText(rng, 1, 4));
  return queries;
}

TEST(RetrievalPipelineTest, CreateRejectsBadOptions) {
  auto expect_invalid = [](RetrievalPipelineOptions o, const char* what) {
    auto p = RetrievalPipeline::Create(o);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << what;
  };
  RetrievalPipelineOptions o = SmallOptions();
  o.embedding_dim = 0;
  expect_invalid(o, "dim");
  o = SmallOptions();
  o.token_budget = -1;
  expect_invalid(o, "budget");
  o = SmallOptions();
  o.hnsw_M = 1;
  expect_invalid(o, "M");
  o = SmallOptions();
  o.rrf_k = 0;
  expect_invalid(o, "rrf_k");
  o = SmallOptions();
  o.cache_sketch_width = 0;
  expect_invalid(o, "sketch");
  o = SmallOptions();
  o.cache_hot_threshold = 0;
  expect_invalid(o, "threshold");
  o = SmallOptions();
  o.inverted_index.bm25.b = 2;
  expect_invalid(o, "bm25");
  o = SmallOptions();
  o.candidate_multiplier = 0;
  expect_invalid(o, "multiplier");
  EXPECT_TRUE(RetrievalPipeline::Create(RetrievalPipelineOptions{}).ok());
}

TEST(RetrievalPipelineTest, AddDocumentValidatesAndChangesNothingOnError) {
  auto pipeline = *RetrievalPipeline::Create(SmallOptions());
  std::mt19937_64 rng(1);
  ASSERT_TRUE(pipeline->AddDocument(1, "boundary layer", RandomVector(rng)).ok());
  const std::vector<float> nan_vec = {1, 2, NAN, 0, 0, 0, 0, 0};
  const std::vector<float> inf_vec = {1, 2, INFINITY, 0, 0, 0, 0, 0};
  const std::vector<float> zero(kDim, 0.0f);
  const std::vector<float> short_vec(kDim - 1, 1.0f);
  EXPECT_EQ(pipeline->AddDocument(-1, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pipeline->AddDocument(2, "shock wave", nan_vec).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pipeline->AddDocument(2, "shock wave", inf_vec).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pipeline->AddDocument(2, "shock wave", zero).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pipeline->AddDocument(2, "shock wave", short_vec).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pipeline->AddDocument(1, "again", RandomVector(rng)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(pipeline->AddDocument(1, "again").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(pipeline->Contains(2));
  const PipelineStats stats = pipeline->Stats();
  EXPECT_EQ(stats.num_documents, 1);
  EXPECT_EQ(stats.num_embedded_documents, 1);
  EXPECT_EQ(stats.index_version, 1u);
  EXPECT_TRUE(pipeline->Search("shock", {}, 10)->empty());
  EXPECT_TRUE(pipeline->CheckInvariants().ok());
  // Under kL2 the zero vector is a valid embedding.
  auto l2 = *RetrievalPipeline::Create(SmallOptions(Metric::kL2));
  EXPECT_TRUE(l2->AddDocument(2, "shock wave", zero).ok());
}

TEST(RetrievalPipelineTest, AddDocumentIsAllOrNothingWhenDenseInsertFails) {
  std::mt19937_64 rng(2);
  const std::vector<Doc> docs = RandomCorpus(rng, 40);
  auto pipeline = Build(SmallOptions(), docs);
  const std::vector<std::string> queries = Queries(rng, 20);
  const std::vector<float> qvec = RandomVector(rng);
  std::vector<Result> before;
  for (const std::string& q : queries) before.push_back(*pipeline->Search(q, qvec, 10, 0.5));
  const PipelineStats stats_before = pipeline->Stats();

  RetrievalPipelineTestPeer::FailNextDenseAdd(*pipeline);
  const std::string text = "boundary layer flow shock wave heat transfer wing";
  EXPECT_EQ(pipeline->AddDocument(1000, text, RandomVector(rng)).code(),
            absl::StatusCode::kInternal);
  EXPECT_FALSE(pipeline->Contains(1000));
  EXPECT_TRUE(pipeline->CheckInvariants().ok());
  const PipelineStats stats_after = pipeline->Stats();
  EXPECT_EQ(stats_after.num_documents, stats_before.num_documents);
  EXPECT_EQ(stats_after.num_embedded_documents, stats_before.num_embedded_documents);
  for (size_t i = 0; i < queries.size(); ++i) {
    EXPECT_EQ(*pipeline->Search(queries[i], qvec, 10, 0.5), before[i]) << queries[i];
  }
  // The id is free again.
  EXPECT_TRUE(pipeline->AddDocument(1000, text, RandomVector(rng)).ok());
  EXPECT_TRUE(pipeline->Contains(1000));
  EXPECT_EQ(pipeline->Stats().num_embedded_documents, stats_before.num_embedded_documents + 1);
  EXPECT_TRUE(pipeline->CheckInvariants().ok());
}

TEST(RetrievalPipelineTest, LexicalOnlyEqualsInvertedIndexSearch) {
  std::mt19937_64 rng(3);
  const std::vector<Doc> docs = RandomCorpus(rng, 120);
  auto pipeline = Build(SmallOptions(), docs);
  InvertedIndex reference;
  for (const Doc& d : docs) ASSERT_TRUE(reference.AddDocument(d.id, d.text).ok());
  for (const std::string& q : Queries(rng, 60)) {
    for (int top_k : {1, 5, 10, 200}) {
      for (double w : {0.0, 0.5, 1.0}) {
        // Repeat so that the cache serves some of them.
        for (int rep = 0; rep < 3; ++rep) {
          auto got = pipeline->Search(q, {}, top_k, w);
          ASSERT_TRUE(got.ok());
          EXPECT_EQ(*got, reference.Search(q, top_k)) << q << " top_k " << top_k;
        }
      }
    }
  }
  EXPECT_GT(pipeline->Stats().cache_hits, 0);
}

TEST(RetrievalPipelineTest, SearchValidatesArguments) {
  std::mt19937_64 rng(4);
  auto pipeline = Build(SmallOptions(), RandomCorpus(rng, 10));
  const std::vector<float> q = RandomVector(rng);
  const std::vector<float> nan_q = {NAN, 1, 1, 1, 1, 1, 1, 1};
  const std::vector<float> zero(kDim, 0.0f);
  const std::vector<float> long_q(kDim + 1, 1.0f);
  auto code = [&](auto&& r) { return r.status().code(); };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(pipeline->Search("flow", q, 0)), kInvalid);
  EXPECT_EQ(code(pipeline->Search("flow", q, -3)), kInvalid);
  EXPECT_EQ(code(pipeline->Search("flow", q, 10, -0.01)), kInvalid);
  EXPECT_EQ(code(pipeline->Search("flow", q, 10, 1.01)), kInvalid);
  EXPECT_EQ(code(pipeline->Search("flow", q, 10, NAN)), kInvalid);
  EXPECT_EQ(code(pipeline->Search("flow", {}, 10, 2.0)), kInvalid);
  EXPECT_EQ(code(pipeline->Search("flow", nan_q)), kInvalid);
  EXPECT_EQ(code(pipeline->Search("flow", zero)), kInvalid);
  EXPECT_EQ(code(pipeline->Search("flow", long_q)), kInvalid);
  SearchOptions o;
  o.top_k = 10;
  o.candidates = 5;
  EXPECT_EQ(code(pipeline->Search("flow", q, o)), kInvalid);
  o.candidates = 0;
  o.ef_search = 0;
  EXPECT_EQ(code(pipeline->Search("flow", q, o)), kInvalid);
  EXPECT_TRUE(pipeline->Search("flow", q, 10, 0.0).ok());
  EXPECT_TRUE(pipeline->Search("flow", q, 10, 1.0).ok());
  EXPECT_EQ(pipeline->Stats().num_searches, 2);
}

// The fusion contract against an independent brute-force implementation.
void RunFusionDifferential(Metric metric, FusionMethod fusion, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::vector<Doc> docs = RandomCorpus(rng, 100);
  RetrievalPipelineOptions options = SmallOptions(metric);
  options.fusion = fusion;
  auto pipeline = Build(options, docs);
  InvertedIndex bm25;
  for (const Doc& d : docs) ASSERT_TRUE(bm25.AddDocument(d.id, d.text).ok());
  int checked = 0;
  for (const std::string& q : Queries(rng, 15)) {
    const std::vector<float> qvec = RandomVector(rng);
    for (double w : {0.0, 0.3, 0.5, 0.8, 1.0}) {
      for (int top_k : {1, 7, 20}) {
        for (int candidates : {0, 20, 60}) {
          if (candidates != 0 && candidates < top_k) continue;
          SearchOptions so;
          so.top_k = top_k;
          so.fusion_weight = w;
          so.candidates = candidates;
          auto got = pipeline->Search(q, qvec, so);
          ASSERT_TRUE(got.ok()) << got.status();
          const int depth = candidates > 0 ? candidates : std::max(4 * top_k, 100);
          const auto reference = ReferenceFusion(docs, bm25, metric, q, qvec, w, depth,
                                                 fusion == FusionMethod::kRrf);
          SCOPED_TRACE(testing::Message() << "q=" << q << " w=" << w << " top_k=" << top_k
                                          << " candidates=" << candidates);
          ExpectTopK(*got, reference, top_k, 1e-5);
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 600);
}

TEST(RetrievalPipelineTest, WeightedFusionMatchesBruteForceCosine) {
  RunFusionDifferential(Metric::kCosine, FusionMethod::kWeighted, 11);
}
TEST(RetrievalPipelineTest, WeightedFusionMatchesBruteForceL2) {
  RunFusionDifferential(Metric::kL2, FusionMethod::kWeighted, 12);
}
TEST(RetrievalPipelineTest, WeightedFusionMatchesBruteForceInnerProduct) {
  RunFusionDifferential(Metric::kInnerProduct, FusionMethod::kWeighted, 13);
}
TEST(RetrievalPipelineTest, RrfMatchesBruteForce) {
  RunFusionDifferential(Metric::kCosine, FusionMethod::kRrf, 14);
  RunFusionDifferential(Metric::kL2, FusionMethod::kRrf, 15);
}

TEST(RetrievalPipelineTest, RrfSelectablePerCall) {
  std::mt19937_64 rng(16);
  const std::vector<Doc> docs = RandomCorpus(rng, 60);
  auto weighted = Build(SmallOptions(), docs);
  RetrievalPipelineOptions rrf_options = SmallOptions();
  rrf_options.fusion = FusionMethod::kRrf;
  auto rrf = Build(rrf_options, docs);
  for (const std::string& q : Queries(rng, 10)) {
    const std::vector<float> qvec = RandomVector(rng);
    SearchOptions so;
    so.fusion = FusionMethod::kRrf;
    EXPECT_EQ(*weighted->Search(q, qvec, so), *rrf->Search(q, qvec, 10, 0.5));
    so.fusion = FusionMethod::kWeighted;
    EXPECT_EQ(*rrf->Search(q, qvec, so), *weighted->Search(q, qvec, 10, 0.5));
  }
}

TEST(RetrievalPipelineTest, TiesBreakByAscendingDocId) {
  auto pipeline = *RetrievalPipeline::Create(SmallOptions(Metric::kL2));
  const std::vector<float> v = {1, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t id : {9, 4, 6, 1}) ASSERT_TRUE(pipeline->AddDocument(id, "same words", v).ok());
  const Result hybrid = *pipeline->Search("same", v, 10, 0.5);
  ASSERT_EQ(hybrid.size(), 4u);
  EXPECT_EQ(hybrid[0].first, 1);
  EXPECT_EQ(hybrid[1].first, 4);
  EXPECT_EQ(hybrid[2].first, 6);
  EXPECT_EQ(hybrid[3].first, 9);
  for (const auto& [id, score] : hybrid) EXPECT_EQ(score, 1.0);  // all equal: normalized to 1
}

TEST(RetrievalPipelineTest, QueryWithoutEmbeddingIsLexicalOnly) {
  auto pipeline = *RetrievalPipeline::Create(SmallOptions());
  std::mt19937_64 rng(5);
  ASSERT_TRUE(pipeline->AddDocument(1, "shock wave", RandomVector(rng)).ok());
  ASSERT_TRUE(pipeline->AddDocument(2, "heat transfer", RandomVector(rng)).ok());
  const Result r = *pipeline->Search("shock", {}, 10, 1.0);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, 1);
  // With an embedding, the dense side adds the other document.
  EXPECT_EQ(pipeline->Search("shock", RandomVector(rng), 10, 0.5)->size(), 2u);
}

TEST(RetrievalPipelineTest, HotQueryIsServedFromCacheAndEqualsUncached) {
  std::mt19937_64 rng(6);
  RetrievalPipelineOptions o = SmallOptions();
  o.cache_hot_threshold = 3;
  auto pipeline = Build(o, RandomCorpus(rng, 80));
  const std::vector<float> qvec = RandomVector(rng);
  SearchOptions uncached;
  uncached.use_cache = false;
  const Result expected = *pipeline->Search("boundary layer", qvec, uncached);
  // Searches 1 and 2 are below the threshold, search 3 reaches it and stores, 4 and 5 hit.
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(*pipeline->Search("boundary layer", qvec), expected) << i;
    const PipelineStats s = pipeline->Stats();
    EXPECT_EQ(s.cache_hits, std::max(0, i - 3)) << i;
    EXPECT_EQ(s.cache_misses, std::min(i, 3)) << i;
    EXPECT_EQ(s.cache_entries, i >= 3 ? 1 : 0) << i;
  }
  EXPECT_EQ(pipeline->Stats().cache_tokens, static_cast<int64_t>(expected.size()) + 1);
  // Anything that changes the answer is a different key: never served the hot entry.
  std::vector<float> other = qvec;
  other[0] += 0.5f;
  for (int rep = 0; rep < 4; ++rep) {
    EXPECT_EQ(*pipeline->Search("boundary layer", qvec, 3), *pipeline->Search(
                                                                 "boundary layer", qvec, [] {
                                                                   SearchOptions s;
                                                                   s.top_k = 3;
                                                                   s.use_cache = false;
                                                                   return s;
                                                                 }()));
    SearchOptions w;
    w.fusion_weight = 0.9;
    const Result a = *pipeline->Search("boundary layer", qvec, w);
    w.use_cache = false;
    EXPECT_EQ(a, *pipeline->Search("boundary layer", qvec, w));
    SearchOptions r;
    r.fusion = FusionMethod::kRrf;
    const Result b = *pipeline->Search("boundary layer", qvec, r);
    r.use_cache = false;
    EXPECT_EQ(b, *pipeline->Search("boundary layer", qvec, r));
    EXPECT_EQ(*pipeline->Search("boundary layer", other),
              *pipeline->Search("boundary layer", other, uncached));
    EXPECT_EQ(*pipeline->Search("boundary layer", {}),
              *pipeline->Search("boundary layer", {}, uncached));
  }
  EXPECT_TRUE(pipeline->CheckInvariants().ok());
}

TEST(RetrievalPipelineTest, CacheDisabledOrZeroBudgetNeverCaches) {
  std::mt19937_64 rng(7);
  const std::vector<Doc> docs = RandomCorpus(rng, 30);
  RetrievalPipelineOptions off = SmallOptions();
  off.enable_cache = false;
  RetrievalPipelineOptions zero = SmallOptions();
  zero.token_budget = 0;
  for (const auto& o : {off, zero}) {
    auto pipeline = Build(o, docs);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(pipeline->Search("flow", {}).ok());
    EXPECT_EQ(pipeline->Stats().cache_hits, 0);
    EXPECT_EQ(pipeline->Stats().cache_entries, 0);
    EXPECT_EQ(pipeline->Stats().num_searches, 5);
  }
}

TEST(RetrievalPipelineTest, IndexChangesInvalidateTheCache) {
  std::mt19937_64 rng(8);
  auto pipeline = Build(SmallOptions(), RandomCorpus(rng, 50));
  const std::vector<float> qvec = RandomVector(rng);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pipeline->Search("vortex drag", qvec, 5).ok());
  ASSERT_EQ(pipeline->Stats().cache_entries, 1);
  const uint64_t version = pipeline->Stats().index_version;
  // A document that wins both sides.
  ASSERT_TRUE(pipeline->AddDocument(5000, "vortex drag vortex drag vortex drag", qvec).ok());
  EXPECT_EQ(pipeline->Stats().cache_entries, 0);
  EXPECT_EQ(pipeline->Stats().index_version, version + 1);
  Result r = *pipeline->Search("vortex drag", qvec, 5);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].first, 5000);
  r = *pipeline->Search("vortex drag", qvec, 5);  // hot again: cached at the new version
  EXPECT_EQ(r[0].first, 5000);
  ASSERT_TRUE(pipeline->RemoveDocument(5000).ok());
  for (int i = 0; i < 3; ++i) {
    r = *pipeline->Search("vortex drag", qvec, 5);
    for (const auto& [id, score] : r) EXPECT_NE(id, 5000);
  }
  EXPECT_TRUE(pipeline->CheckInvariants().ok());
}

// The cache never returns an answer the uncached path would not: random interleavings of
// searches (from a small pool, so many are hot), adds and removes.
TEST(RetrievalPipelineTest, CachedAnswersAlwaysEqualUncachedUnderUpdates) {
  std::mt19937_64 rng(9);
  RetrievalPipelineOptions o = SmallOptions();
  o.token_budget = 200;  // small: evictions happen too
  std::vector<Doc> docs = RandomCorpus(rng, 40);
  auto pipeline = Build(o, docs);
  std::vector<std::pair<std::string, std::vector<float>>> pool;
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back(RandomText(rng, 1, 3), i % 3 == 0 ? std::vector<float>{} : RandomVector(rng));
  }
  std::set<int64_t> live;
  for (const Doc& d : docs) live.insert(d.id);
  int64_t next_id = 100000;
  SearchOptions uncached;
  uncached.use_cache = false;
  for (int op = 0; op < 1500; ++op) {
    const int kind = static_cast<int>(rng() % 10);
    if (kind == 0) {
      Doc d{next_id++, RandomText(rng, 2, 10), rng() % 2 ? RandomVector(rng) : std::vector<float>{}};
      ASSERT_TRUE(pipeline->AddDocument(d.id, d.text, d.embedding).ok());
      live.insert(d.id);
    } else if (kind == 1 && !live.empty()) {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      ASSERT_TRUE(pipeline->RemoveDocument(*it).ok());
      live.erase(it);
    } else {
      const auto& [text, vec] = pool[rng() % pool.size()];
      SearchOptions so;
      so.top_k = 1 + static_cast<int>(rng() % 3) * 5;
      so.fusion_weight = (rng() % 3) * 0.5;
      const Result cached = *pipeline->Search(text, vec, so);
      so.use_cache = false;
      ASSERT_EQ(cached, *pipeline->Search(text, vec, so)) << "op " << op;
    }
    if (op % 50 == 0) {
      ASSERT_TRUE(pipeline->CheckInvariants().ok());
    }
  }
  const PipelineStats s = pipeline->Stats();
  EXPECT_GT(s.cache_hits, 50);
  EXPECT_EQ(s.num_documents, static_cast<int64_t>(live.size()));
  EXPECT_TRUE(pipeline->CheckInvariants().ok());
}

TEST(RetrievalPipelineTest, RemoveDocument) {
  std::mt19937_64 rng(10);
  auto pipeline = *RetrievalPipeline::Create(SmallOptions());
  const std::vector<float> v = RandomVector(rng);
  ASSERT_TRUE(pipeline->AddDocument(1, "jet nozzle", v).ok());
  ASSERT_TRUE(pipeline->AddDocument(2, "jet flow").ok());
  EXPECT_EQ(pipeline->RemoveDocument(3).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(pipeline->RemoveDocument(1).ok());
  EXPECT_EQ(pipeline->RemoveDocument(1).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(pipeline->Contains(1));
  const Result r = *pipeline->Search("jet nozzle", v, 10, 0.5);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, 2);
  EXPECT_EQ(pipeline->Stats().num_documents, 1);
  EXPECT_EQ(pipeline->Stats().num_embedded_documents, 0);
  // The id can be reused, with or without an embedding.
  ASSERT_TRUE(pipeline->AddDocument(1, "jet", v).ok());
  EXPECT_EQ(pipeline->Stats().num_embedded_documents, 1);
  ASSERT_TRUE(pipeline->RemoveDocument(2).ok());
  pipeline->Compact();
  EXPECT_TRUE(pipeline->CheckInvariants().ok());
  EXPECT_EQ(pipeline->Search("jet", v, 10, 0.5)->size(), 1u);
}

TEST(RetrievalPipelineTest, StatsCountDocumentsSearchesAndMemory) {
  std::mt19937_64 rng(11);
  const std::vector<Doc> docs = RandomCorpus(rng, 50);
  auto pipeline = Build(SmallOptions(), docs);
  int64_t embedded = 0;
  for (const Doc& d : docs) embedded += d.embedding.empty() ? 0 : 1;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pipeline->Search("mach number", {}).ok());
  const PipelineStats s = pipeline->Stats();
  EXPECT_EQ(s.num_documents, 50);
  EXPECT_EQ(s.num_embedded_documents, embedded);
  EXPECT_EQ(s.num_searches, 4);
  EXPECT_EQ(s.cache_hits, 2);
  EXPECT_EQ(s.cache_misses, 2);
  EXPECT_EQ(s.cache_entries, 1);
  EXPECT_EQ(s.index_version, 50u);
  EXPECT_GT(s.lexical_index_bytes, 0);
  EXPECT_GT(s.dense_index_bytes, 0);
  EXPECT_EQ(s.index_memory_bytes, s.lexical_index_bytes + s.dense_index_bytes);
  EXPECT_GT(s.sketch_bytes, 4096 * 4 * 8 - 1);
  EXPECT_GT(s.cache_bytes, 0);
}

TEST(RetrievalPipelineTest, BatchSearchEqualsSingleSearches) {
  std::mt19937_64 rng(12);
  auto pipeline = Build(SmallOptions(), RandomCorpus(rng, 100));
  std::vector<PipelineQuery> queries;
  for (int i = 0; i < 40; ++i) {
    queries.push_back({RandomText(rng, 1, 4), i % 4 == 0 ? std::vector<float>{} : RandomVector(rng)});
  }
  SearchOptions so;
  so.top_k = 7;
  so.fusion_weight = 0.4;
  for (int threads : {1, 3, 8}) {
    auto answers = pipeline->BatchSearch(queries, so, threads);
    ASSERT_TRUE(answers.ok());
    ASSERT_EQ(answers->size(), queries.size());
    for (size_t i = 0; i < queries.size(); ++i) {
      EXPECT_EQ((*answers)[i], *pipeline->Search(queries[i].text, queries[i].embedding, so));
    }
  }
  EXPECT_TRUE(pipeline->BatchSearch({}, so, 2)->empty());
  EXPECT_EQ(pipeline->BatchSearch(queries, so, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pipeline->BatchSearch(queries, so, 257).status().code(),
            absl::StatusCode::kInvalidArgument);
  queries[5].embedding = {1.0f};
  auto bad = pipeline->BatchSearch(queries, so, 2);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("query 5"), std::string::npos) << bad.status();
}

std::vector<std::pair<std::string, std::vector<float>>> MixedQueries(std::mt19937_64& rng, int n) {
  std::vector<std::pair<std::string, std::vector<float>>> out;
  for (int i = 0; i < n; ++i) {
    out.emplace_back(RandomText(rng, 1, 4), i % 3 == 0 ? std::vector<float>{} : RandomVector(rng));
  }
  return out;
}

TEST(RetrievalPipelineTest, SerializeDeserializeRoundTripGivesIdenticalResults) {
  std::mt19937_64 rng(13);
  RetrievalPipelineOptions o = SmallOptions(Metric::kL2);
  o.hnsw_ef_search = 20;  // approximate: the graph itself must round-trip
  o.fusion = FusionMethod::kRrf;
  o.rrf_k = 30;
  o.token_budget = 777;
  std::vector<Doc> docs = RandomCorpus(rng, 300);
  auto pipeline = Build(o, docs);
  for (int i = 0; i < 300; i += 7) ASSERT_TRUE(pipeline->RemoveDocument(docs[i].id).ok());
  const std::string bytes = pipeline->Serialize();
  auto loaded = RetrievalPipeline::Deserialize(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE((*loaded)->CheckInvariants().ok());
  EXPECT_EQ((*loaded)->options().fusion, FusionMethod::kRrf);
  EXPECT_EQ((*loaded)->options().rrf_k, 30);
  EXPECT_EQ((*loaded)->options().token_budget, 777);
  EXPECT_EQ((*loaded)->options().hnsw_ef_search, 20);
  EXPECT_EQ((*loaded)->options().seed, std::optional<uint64_t>(7));
  EXPECT_EQ((*loaded)->Stats().num_documents, pipeline->Stats().num_documents);
  EXPECT_EQ((*loaded)->Stats().num_embedded_documents, pipeline->Stats().num_embedded_documents);
  for (const auto& [text, vec] : MixedQueries(rng, 40)) {
    for (double w : {0.0, 0.5, 1.0}) {
      for (FusionMethod f : {FusionMethod::kWeighted, FusionMethod::kRrf}) {
        SearchOptions so;
        so.fusion_weight = w;
        so.fusion = f;
        EXPECT_EQ(*(*loaded)->Search(text, vec, so), *pipeline->Search(text, vec, so)) << text;
      }
    }
  }
  EXPECT_EQ((*loaded)->Serialize(), bytes);

  // Through a file.
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/pipeline.llmds";
  ASSERT_TRUE(pipeline->Save(path).ok());
  auto from_file = RetrievalPipeline::Load(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ((*from_file)->Serialize(), bytes);
  EXPECT_FALSE(RetrievalPipeline::Load(path + ".missing").ok());
  // A loaded pipeline accepts further writes.
  ASSERT_TRUE((*from_file)->AddDocument(999999, "new flutter panel", RandomVector(rng)).ok());
  EXPECT_TRUE((*from_file)->CheckInvariants().ok());
}

TEST(RetrievalPipelineTest, DefaultOptionsRoundTrip) {
  // Unset seed and a lexical-only corpus: the path `llmds index` / `llmds search` takes.
  RetrievalPipelineOptions o;
  auto pipeline = RetrievalPipeline::Create(o).value();
  ASSERT_TRUE(pipeline->AddDocument(1, "wing flutter at transonic speed").ok());
  ASSERT_TRUE(pipeline->AddDocument(2, "boundary layer heat transfer").ok());
  auto loaded = RetrievalPipeline::Deserialize(pipeline->Serialize());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*(*loaded)->Search("heat transfer"), *pipeline->Search("heat transfer"));
  EXPECT_EQ((*loaded)->Serialize(), pipeline->Serialize());
}

TEST(RetrievalPipelineTest, CorruptedInputIsRejected) {
  std::mt19937_64 rng(14);
  auto pipeline = Build(SmallOptions(), RandomCorpus(rng, 20));
  const std::string bytes = pipeline->Serialize();
  ASSERT_TRUE(RetrievalPipeline::Deserialize(bytes).ok());
  EXPECT_EQ(RetrievalPipeline::Deserialize("").status().code(), absl::StatusCode::kDataLoss);
  for (size_t n = 0; n < bytes.size(); n += 1 + n / 16) {
    EXPECT_FALSE(RetrievalPipeline::Deserialize(bytes.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(RetrievalPipeline::Deserialize(bytes + "x").ok());
  for (size_t pos = 0; pos < bytes.size(); pos += 1 + pos / 8) {
    std::string bad = bytes;
    bad[pos] ^= 0x20;
    EXPECT_FALSE(RetrievalPipeline::Deserialize(bad).ok()) << pos;
  }
  std::string bad_version = bytes;
  bad_version[8] = 2;
  auto s = RetrievalPipeline::Deserialize(bad_version);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.status().message().find("version"), std::string::npos) << s.status();
}

}  // namespace
}  // namespace llmds
