// Copyright 2026 The llmds Authors.
//
// RetrievalPipeline search latency on Cranfield (1400 abstracts, 225 queries): lexical (BM25
// only), dense (HNSW only, fusion weight 1), hybrid (min-max weighted fusion and RRF) and cached
// (hot queries answered from the result cache). Dense vectors are 128-dimensional LSI vectors
// (llmds/embedding/lsi.h) over the default analyzer's terms.
//
//   bazel run -c opt //retrieval:retrieval_pipeline_benchmark --
//     --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The collection is read from $LLMDS_CRANFIELD_DIR, else <workspace>/data/cranfield.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "llmds/datasets/ir_collection.h"
#include "llmds/embedding/lsi.h"
#include "llmds/retrieval/analyzer.h"
#include "llmds/retrieval/retrieval_pipeline.h"

namespace llmds {
namespace {

constexpr int kDim = 128;

struct Fixture {
  std::unique_ptr<RetrievalPipeline> pipeline;
  std::vector<PipelineQuery> queries;  // every query has an LSI embedding
};

std::string CranfieldDir() {
  if (const char* dir = std::getenv("LLMDS_CRANFIELD_DIR")) return dir;
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    return std::string(ws) + "/data/cranfield";
  }
  return "/work/main/data/cranfield";
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "retrieval_pipeline_benchmark: %s\n", what.c_str());
  std::exit(1);
}

Fixture& GetFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    const std::string dir = CranfieldDir();
    auto docs = ReadSmartFile(dir + "/cran.all.1400");
    auto queries = ReadSmartFile(dir + "/cran.qry");
    if (!docs.ok()) Die(std::string(docs.status().message()));
    if (!queries.ok()) Die(std::string(queries.status().message()));
    auto analyzer = Analyzer::Create(AnalyzerOptions{});
    if (!analyzer.ok()) Die("analyzer");
    std::vector<std::vector<std::string>> terms;
    for (const SmartRecord& d : *docs) terms.push_back(analyzer->Analyze(d.Text("TW")));
    LsiOptions lsi_options;
    lsi_options.dimensions = kDim;
    auto lsi = LsiModel::Fit(terms, lsi_options);
    if (!lsi.ok()) Die(std::string(lsi.status().message()));
    RetrievalPipelineOptions options;
    options.embedding_dim = lsi->dimensions();
    options.metric = Metric::kCosine;
    options.seed = 1;
    auto pipeline = RetrievalPipeline::Create(options);
    if (!pipeline.ok()) Die(std::string(pipeline.status().message()));
    f->pipeline = std::move(*pipeline);
    for (size_t i = 0; i < docs->size(); ++i) {
      std::vector<float> v = lsi->DocumentVector(static_cast<int64_t>(i));
      bool zero = true;
      for (float x : v) zero = zero && x == 0.0f;
      const int64_t id = std::stoll((*docs)[i].id);
      const std::string text = (*docs)[i].Text("TW");
      absl::Status s = zero ? f->pipeline->AddDocument(id, text)
                            : f->pipeline->AddDocument(id, text, v);
      if (!s.ok()) Die(std::string(s.message()));
    }
    f->pipeline->Compact();
    for (const SmartRecord& q : *queries) {
      const std::string text = q.Text("W");
      std::vector<float> v = lsi->Embed(analyzer->Analyze(text));
      bool zero = true;
      for (float x : v) zero = zero && x == 0.0f;
      if (!zero) f->queries.push_back({text, std::move(v)});
    }
    return f;
  }();
  return *fixture;
}

enum Mode { kLexical, kDense, kHybrid, kHybridRrf, kCached };

void BM_Search(benchmark::State& state) {
  const Mode mode = static_cast<Mode>(state.range(0));
  Fixture& f = GetFixture();
  SearchOptions options;
  options.top_k = 10;
  options.use_cache = mode == kCached;
  options.fusion_weight = mode == kDense ? 1.0 : 0.5;
  options.fusion = mode == kHybridRrf ? FusionMethod::kRrf : FusionMethod::kWeighted;
  const bool with_embedding = mode != kLexical;
  if (mode == kCached) {
    // Make every query hot and cached (threshold 2; the budget holds all 225 answers).
    for (int rep = 0; rep < 2; ++rep) {
      for (const PipelineQuery& q : f.queries) {
        if (!f.pipeline->Search(q.text, q.embedding, options).ok()) Die("search");
      }
    }
  }
  const PipelineStats before = f.pipeline->Stats();
  size_t i = 0;
  int64_t results = 0;
  for (auto _ : state) {
    const PipelineQuery& q = f.queries[i];
    auto r = f.pipeline->Search(q.text,
                                with_embedding ? absl::Span<const float>(q.embedding)
                                               : absl::Span<const float>(),
                                options);
    benchmark::DoNotOptimize(r);
    results += static_cast<int64_t>(r->size());
    if (++i == f.queries.size()) i = 0;
  }
  const PipelineStats after = f.pipeline->Stats();
  state.SetItemsProcessed(state.iterations());
  state.counters["results"] = benchmark::Counter(static_cast<double>(results) /
                                                 static_cast<double>(state.iterations()));
  if (mode == kCached) {
    const double searches = static_cast<double>(after.num_searches - before.num_searches);
    state.counters["hit_rate"] =
        static_cast<double>(after.cache_hits - before.cache_hits) / searches;
  }
  state.counters["index_MiB"] = static_cast<double>(after.index_memory_bytes) / (1 << 20);
}
BENCHMARK(BM_Search)
    ->ArgName("mode")
    ->Arg(kLexical)
    ->Arg(kDense)
    ->Arg(kHybrid)
    ->Arg(kHybridRrf)
    ->Arg(kCached)
    ->Unit(benchmark::kMicrosecond);

// All 225 queries (hybrid, uncached) per iteration over `threads` threads.
void BM_BatchSearchHybrid(benchmark::State& state) {
  Fixture& f = GetFixture();
  SearchOptions options;
  options.use_cache = false;
  for (auto _ : state) {
    auto r = f.pipeline->BatchSearch(f.queries, options, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.queries.size()));
}
BENCHMARK(BM_BatchSearchHybrid)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace llmds
