// Copyright 2026 The llmds Authors.
//
// InvertedIndex against Xapian 1.4 (BM25Weight) on the dev IR collections, in one binary on the
// same documents and queries:
//   bazel run -c opt //retrieval:inverted_index_benchmark --
//     --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Fairness (see shared/notes/peers.md): Xapian's TermGenerator uses the same Snowball English
// stemmer with STEM_ALL (one term per word, no unstemmed copies) and the same stopword list;
// queries are analyzed by the same TermGenerator and OR-ed with OP_SCALE_WEIGHT by query
// frequency; BM25Weight(k1 = 1.2, k2 = 0, k3 = 1, b = 0.75, min_normlen = 0.5). Index sizes:
// llmds' serialized file vs Xapian's compacted, position-free glass database. Counters ndcg10 and
// recall100 use trec_eval semantics (llmds/retrieval/testing/ir_collection.h).

#include <xapian.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "llmds/retrieval/inverted_index.h"
#include "llmds/retrieval/testing/ir_collection.h"

namespace llmds {
namespace {

namespace fs = std::filesystem;
using retrieval_testing::IrCollection;

const char* const kCollections[] = {"cran", "med", "cacm"};

const IrCollection& Collection(int i) {
  static std::vector<std::unique_ptr<IrCollection>>* cache =
      new std::vector<std::unique_ptr<IrCollection>>(3);
  if ((*cache)[i] == nullptr) {
    const std::string dir = retrieval_testing::FindSharedDataDir();
    auto c = retrieval_testing::LoadIrCollection(dir.empty() ? "/work/shared/data" : dir,
                                                 kCollections[i]);
    if (!c.ok()) {
      fprintf(stderr, "cannot load %s: %s\n", kCollections[i], c.status().ToString().c_str());
      std::exit(1);
    }
    (*cache)[i] = std::make_unique<IrCollection>(std::move(*c));
  }
  return *(*cache)[i];
}

std::unique_ptr<InvertedIndex> BuildLlmds(const IrCollection& c) {
  auto index = std::make_unique<InvertedIndex>();
  for (const auto& d : c.documents) {
    if (!index->AddDocument(d.id, d.text).ok()) std::abort();
  }
  index->Compact();
  return index;
}

// ---- Xapian side ----
struct XapianIndex {
  std::string dir;
  std::unique_ptr<Xapian::Database> db;
  std::vector<int64_t> ids;  // Xapian docid - 1 -> collection doc id
};

void ConfigureGenerator(Xapian::TermGenerator* tg, Xapian::SimpleStopper* stopper) {
  for (const std::string& w : DefaultEnglishStopwords()) stopper->add(w);
  tg->set_stemmer(Xapian::Stem("english"));
  tg->set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
  tg->set_stopper(stopper);
  tg->set_stopper_strategy(Xapian::TermGenerator::STOP_ALL);
}

std::unique_ptr<XapianIndex> BuildXapian(const IrCollection& c, const std::string& dir) {
  auto x = std::make_unique<XapianIndex>();
  x->dir = dir;
  {
    Xapian::WritableDatabase db(dir, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
    Xapian::TermGenerator tg;
    Xapian::SimpleStopper stopper;
    ConfigureGenerator(&tg, &stopper);
    for (const auto& d : c.documents) {
      Xapian::Document doc;
      tg.set_document(doc);
      tg.index_text_without_positions(d.text);
      db.add_document(doc);
      x->ids.push_back(d.id);
    }
    db.commit();
  }
  x->db = std::make_unique<Xapian::Database>(dir);
  return x;
}

int64_t DirBytes(const std::string& dir) {
  int64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += static_cast<int64_t>(e.file_size());
  }
  return total;
}

std::vector<std::pair<int64_t, double>> XapianSearch(const XapianIndex& x, const std::string& q,
                                                     int k, Xapian::TermGenerator* tg) {
  Xapian::Document qdoc;
  tg->set_document(qdoc);
  tg->index_text_without_positions(q);
  std::vector<Xapian::Query> parts;
  for (auto it = qdoc.termlist_begin(); it != qdoc.termlist_end(); ++it) {
    parts.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(*it),
                       static_cast<double>(it.get_wdf()));
  }
  std::vector<std::pair<int64_t, double>> out;
  if (parts.empty()) return out;
  Xapian::Enquire enquire(*x.db);
  enquire.set_query(Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end()));
  enquire.set_weighting_scheme(Xapian::BM25Weight(1.2, 0, 1, 0.75, 0.5));
  Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(k));
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    out.emplace_back(x.ids[*it - 1], it.get_weight());
  }
  return out;
}

template <typename SearchFn>
void QualityCounters(benchmark::State& state, const IrCollection& c, SearchFn search) {
  double ndcg = 0, recall = 0;
  int judged = 0;
  for (const auto& q : c.queries) {
    auto it = c.qrels.find(q.id);
    if (it == c.qrels.end()) continue;
    ++judged;
    auto run = search(q.text, 100);
    ndcg += retrieval_testing::NdcgAt(run, it->second, 10);
    recall += retrieval_testing::RecallAt(run, it->second, 100);
  }
  state.counters["ndcg10"] = judged ? ndcg / judged : 0;
  state.counters["recall100"] = judged ? recall / judged : 0;
}

void BM_LlmdsBuild(benchmark::State& state) {
  const IrCollection& c = Collection(static_cast<int>(state.range(0)));
  int64_t bytes = 0;
  for (auto _ : state) {
    auto index = BuildLlmds(c);
    benchmark::DoNotOptimize(index.get());
    state.PauseTiming();
    bytes = static_cast<int64_t>(index->Serialize().size());
    index.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.documents.size()));
  state.counters["index_bytes"] = static_cast<double>(bytes);
  state.SetLabel(kCollections[state.range(0)]);
}

void BM_XapianBuild(benchmark::State& state) {
  const IrCollection& c = Collection(static_cast<int>(state.range(0)));
  const std::string dir = fs::temp_directory_path() / ("llmds_xapian_build_" + std::to_string(getpid()));
  const std::string compact = dir + "_compact";
  int64_t bytes = 0, raw = 0;
  for (auto _ : state) {
    auto x = BuildXapian(c, dir);
    benchmark::DoNotOptimize(x.get());
    state.PauseTiming();
    fs::remove_all(compact);
    x->db->compact(compact);
    bytes = DirBytes(compact);
    raw = DirBytes(dir);
    x.reset();
    fs::remove_all(dir);
    fs::remove_all(compact);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.documents.size()));
  state.counters["index_bytes"] = static_cast<double>(bytes);
  state.counters["uncompacted_bytes"] = static_cast<double>(raw);
  state.SetLabel(kCollections[state.range(0)]);
}

void BM_LlmdsSearch(benchmark::State& state) {
  const IrCollection& c = Collection(static_cast<int>(state.range(0)));
  const int k = static_cast<int>(state.range(1));
  const bool exhaustive = state.range(2) != 0;
  auto index = BuildLlmds(c);
  for (auto _ : state) {
    for (const auto& q : c.queries) {
      auto r = exhaustive ? index->SearchExhaustive(q.text, k) : index->Search(q.text, k);
      benchmark::DoNotOptimize(r.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.queries.size()));
  QualityCounters(state, c, [&](const std::string& q, int kk) { return index->Search(q, kk); });
  state.SetLabel(kCollections[state.range(0)]);
}

void BM_XapianSearch(benchmark::State& state) {
  const IrCollection& c = Collection(static_cast<int>(state.range(0)));
  const int k = static_cast<int>(state.range(1));
  const std::string dir = fs::temp_directory_path() / ("llmds_xapian_search_" + std::to_string(getpid()));
  auto x = BuildXapian(c, dir);
  Xapian::TermGenerator tg;
  Xapian::SimpleStopper stopper;
  ConfigureGenerator(&tg, &stopper);
  for (auto _ : state) {
    for (const auto& q : c.queries) {
      auto r = XapianSearch(*x, q.text, k, &tg);
      benchmark::DoNotOptimize(r.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.queries.size()));
  QualityCounters(state, c,
                  [&](const std::string& q, int kk) { return XapianSearch(*x, q, kk, &tg); });
  state.SetLabel(kCollections[state.range(0)]);
  x.reset();
  fs::remove_all(dir);
}

BENCHMARK(BM_LlmdsBuild)->ArgName("collection")->DenseRange(0, 2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_XapianBuild)->ArgName("collection")->DenseRange(0, 2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LlmdsSearch)
    ->ArgNames({"collection", "k", "exhaustive"})
    ->ArgsProduct({{0, 1, 2}, {10, 1000}, {0, 1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_XapianSearch)
    ->ArgNames({"collection", "k"})
    ->ArgsProduct({{0, 1, 2}, {10, 1000}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace llmds
