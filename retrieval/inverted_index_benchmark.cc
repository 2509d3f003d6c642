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
//
// Collection 3 ("wordnet") is the large real-text corpus: one document per WordNet 3.0 synset
// (its lemmas and gloss) from the Debian package wordnet-base, 117,659 documents, with 1,000
// queries of 2-5 non-stopword words drawn deterministically from other synsets' glosses (no
// relevance judgements, so speed and size only). Its benchmarks skip with an error if
// /usr/share/wordnet is missing (`apt-get install wordnet-base`).

#include <xapian.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

const char* const kCollections[] = {"cran", "med", "cacm", "wordnet"};
constexpr int kWordnet = 3;
const char* const kWordnetDir = "/usr/share/wordnet";

// splitmix64: a fixed, platform-independent sequence for sampling the queries.
uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Builds the WordNet corpus (see the file comment); nullptr if the data files are missing.
std::unique_ptr<IrCollection> LoadWordnet() {
  auto c = std::make_unique<IrCollection>();
  c->name = "wordnet";
  std::vector<std::string> glosses;
  for (const char* pos : {"noun", "verb", "adj", "adv"}) {
    std::ifstream in(std::string(kWordnetDir) + "/data." + pos);
    if (!in) return nullptr;
    std::string line;
    while (std::getline(in, line)) {
      if (line.size() < 2 || line[0] == ' ') continue;  // licence header lines start with "  "
      const size_t bar = line.find(" | ");
      if (bar == std::string::npos) continue;
      // "offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id...] ..."
      std::vector<std::string> fields;
      size_t start = 0;
      while (start < bar && fields.size() < 4 + 2 * 256) {
        size_t end = line.find(' ', start);
        if (end == std::string::npos || end > bar) end = bar;
        if (end > start) fields.push_back(line.substr(start, end - start));
        start = end + 1;
      }
      if (fields.size() < 4) continue;
      const size_t num_words = std::strtoul(fields[3].c_str(), nullptr, 16);
      std::string text;
      for (size_t w = 0; w < num_words && 4 + 2 * w < fields.size(); ++w) {
        std::string word = fields[4 + 2 * w];
        for (char& ch : word) {
          if (ch == '_') ch = ' ';
        }
        text += word;
        text += ' ';
      }
      std::string gloss = line.substr(bar + 3);
      while (!gloss.empty() && gloss.back() == ' ') gloss.pop_back();
      text += gloss;
      c->documents.push_back({static_cast<int64_t>(c->documents.size()), std::move(text)});
      glosses.push_back(std::move(gloss));
    }
  }
  if (c->documents.empty()) return nullptr;
  // Queries: 2-5 distinct lowercase words of >= 3 letters, not stopwords, from a random gloss.
  std::vector<std::string> stop = DefaultEnglishStopwords();
  uint64_t rng = 20260101;
  while (c->queries.size() < 1000) {
    const std::string& gloss = glosses[NextRandom(&rng) % glosses.size()];
    std::vector<std::string> words;
    std::string word;
    for (size_t i = 0; i <= gloss.size(); ++i) {
      const char ch = i < gloss.size() ? gloss[i] : ' ';
      if (ch >= 'a' && ch <= 'z') {
        word += ch;
      } else if (ch >= 'A' && ch <= 'Z') {
        word += static_cast<char>(ch - 'A' + 'a');
      } else {
        if (word.size() >= 3 && std::find(stop.begin(), stop.end(), word) == stop.end() &&
            std::find(words.begin(), words.end(), word) == words.end()) {
          words.push_back(word);
        }
        word.clear();
      }
    }
    const size_t want = 2 + NextRandom(&rng) % 4;
    if (words.size() < want) continue;
    std::string query;
    for (size_t j = 0; j < want; ++j) {
      const size_t pick = j + NextRandom(&rng) % (words.size() - j);
      std::swap(words[j], words[pick]);
      query += (j ? " " : "") + words[j];
    }
    c->queries.push_back({std::to_string(c->queries.size() + 1), std::move(query)});
  }
  return c;
}

// nullptr only for the WordNet corpus when it is not installed.
const IrCollection* Collection(int i) {
  static std::vector<std::unique_ptr<IrCollection>>* cache =
      new std::vector<std::unique_ptr<IrCollection>>(4);
  static bool wordnet_tried = false;
  if (i == kWordnet) {
    if (!wordnet_tried) {
      wordnet_tried = true;
      (*cache)[i] = LoadWordnet();
    }
    return (*cache)[i].get();
  }
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
  return (*cache)[i].get();
}

// Returns the collection of state.range(0), or nullptr after marking the benchmark skipped.
const IrCollection* CollectionOrSkip(benchmark::State& state) {
  const IrCollection* c = Collection(static_cast<int>(state.range(0)));
  if (c == nullptr) {
    state.SkipWithError("WordNet corpus not installed (apt-get install wordnet-base)");
  }
  return c;
}

int64_t TextBytes(const IrCollection& c) {
  int64_t bytes = 0;
  for (const auto& d : c.documents) bytes += static_cast<int64_t>(d.text.size());
  return bytes;
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
  if (c.qrels.empty()) return;  // no judgements (WordNet)
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
  const IrCollection* cp = CollectionOrSkip(state);
  if (cp == nullptr) return;
  const IrCollection& c = *cp;
  int64_t bytes = 0, postings_bytes = 0;
  for (auto _ : state) {
    auto index = BuildLlmds(c);
    benchmark::DoNotOptimize(index.get());
    state.PauseTiming();
    bytes = static_cast<int64_t>(index->Serialize().size());
    postings_bytes = index->Stats().postings_bytes;
    index.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.documents.size()));
  state.SetBytesProcessed(state.iterations() * TextBytes(c));
  state.counters["index_bytes"] = static_cast<double>(bytes);
  state.counters["postings_bytes"] = static_cast<double>(postings_bytes);
  state.SetLabel(kCollections[state.range(0)]);
}

void BM_XapianBuild(benchmark::State& state) {
  const IrCollection* cp = CollectionOrSkip(state);
  if (cp == nullptr) return;
  const IrCollection& c = *cp;
  const std::string dir =
      fs::temp_directory_path() / ("llmds_xapian_build_" + std::to_string(getpid()));
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
  state.SetBytesProcessed(state.iterations() * TextBytes(c));
  state.counters["index_bytes"] = static_cast<double>(bytes);
  state.counters["uncompacted_bytes"] = static_cast<double>(raw);
  state.SetLabel(kCollections[state.range(0)]);
}

void BM_LlmdsSearch(benchmark::State& state) {
  const IrCollection* cp = CollectionOrSkip(state);
  if (cp == nullptr) return;
  const IrCollection& c = *cp;
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
  const IrCollection* cp = CollectionOrSkip(state);
  if (cp == nullptr) return;
  const IrCollection& c = *cp;
  const int k = static_cast<int>(state.range(1));
  const std::string dir =
      fs::temp_directory_path() / ("llmds_xapian_search_" + std::to_string(getpid()));
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

// Load of a saved index (read, checksum, full validation, forward index) and Deserialize of
// the same bytes already in memory.
void BM_LlmdsLoad(benchmark::State& state) {
  const IrCollection* cp = CollectionOrSkip(state);
  if (cp == nullptr) return;
  const bool from_file = state.range(1) != 0;
  auto index = BuildLlmds(*cp);
  const std::string bytes = index->Serialize();
  const std::string path =
      fs::temp_directory_path() / ("llmds_ii_load_" + std::to_string(getpid()));
  if (!index->Save(path).ok()) std::abort();
  index.reset();
  for (auto _ : state) {
    auto loaded = from_file ? InvertedIndex::Load(path) : InvertedIndex::Deserialize(bytes);
    if (!loaded.ok()) std::abort();
    benchmark::DoNotOptimize(loaded->get());
  }
  fs::remove(path);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.SetLabel(kCollections[state.range(0)]);
}

// BatchSearch over all queries with 1 or 2 threads; wall time (the machine has 2 cores).
void BM_LlmdsBatchSearch(benchmark::State& state) {
  const IrCollection* cp = CollectionOrSkip(state);
  if (cp == nullptr) return;
  const IrCollection& c = *cp;
  const int k = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  auto index = BuildLlmds(c);
  std::vector<std::string> queries;
  for (const auto& q : c.queries) queries.push_back(q.text);
  for (auto _ : state) {
    auto r = index->BatchSearch(queries, k, threads);
    if (!r.ok()) std::abort();
    benchmark::DoNotOptimize(r->data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.queries.size()));
  state.SetLabel(kCollections[state.range(0)]);
}

BENCHMARK(BM_LlmdsBuild)->ArgName("collection")->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_XapianBuild)->ArgName("collection")->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LlmdsSearch)
    ->ArgNames({"collection", "k", "exhaustive"})
    ->ArgsProduct({{0, 1, 2, kWordnet}, {10, 1000}, {0, 1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_XapianSearch)
    ->ArgNames({"collection", "k"})
    ->ArgsProduct({{0, 1, 2, kWordnet}, {10, 1000}})
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_LlmdsLoad)
    ->ArgNames({"collection", "file"})
    ->ArgsProduct({{2, kWordnet}, {0, 1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LlmdsBatchSearch)
    ->ArgNames({"collection", "k", "threads"})
    ->ArgsProduct({{2, kWordnet}, {10, 1000}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace llmds
