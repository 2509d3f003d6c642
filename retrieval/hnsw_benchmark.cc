// Copyright 2026 The llmds Authors.
//
// HNSW vs hnswlib 0.6.2 and FAISS IndexHNSWFlat on the same data in one binary: recall@10 and
// queries/s (single thread) over an ef sweep, build time and heap growth. Same M (16) and
// ef_construction (200) everywhere. Data: SIFT 5k (4,500 base / 500 held-out queries), MNIST
// t10k (9,000 / 1,000) and a clustered synthetic 20k x 128 set (plus 500 queries).
//
//   bazel run -c opt //retrieval:hnsw_benchmark -- --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true   (one line)
// Data root: $LLMDS_SHARED_DATA (default /work/shared/data).

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "llmds/retrieval/hnsw.h"
#include "llmds/retrieval/hnsw_benchmark_peers.h"
#include "llmds/retrieval/hnsw_testing.h"

namespace llmds {
namespace {

constexpr int kM = 16;
constexpr int kEfConstruction = 200;
constexpr int kK = 10;

struct Dataset {
  std::string name;
  int dim = 0;
  std::vector<float> base;
  std::vector<float> queries;
  std::vector<int64_t> truth;  // nq x kK
  size_t n() const { return base.size() / dim; }
  size_t nq() const { return queries.size() / dim; }
};

std::string DataRoot() {
  const char* root = std::getenv("LLMDS_SHARED_DATA");
  return root != nullptr ? root : "/work/shared/data";
}

void SplitAndTruth(Dataset& d, std::vector<float> all, size_t num_queries) {
  const size_t n = all.size() / d.dim;
  d.base.assign(all.begin(), all.begin() + (n - num_queries) * d.dim);
  d.queries.assign(all.begin() + (n - num_queries) * d.dim, all.end());
  d.truth.resize(d.nq() * kK, -1);
  for (size_t q = 0; q < d.nq(); ++q) {
    auto exact = hnsw_testing::BruteForce(d.base, d.dim, &d.queries[q * d.dim], kK, Metric::kL2);
    for (size_t i = 0; i < exact.size(); ++i) d.truth[q * kK + i] = exact[i].first;
  }
}

std::unique_ptr<Dataset> LoadSift() {
  auto d = std::make_unique<Dataset>();
  d->name = "sift5k";
  d->dim = 128;
  std::ifstream in(DataRoot() + "/vectors/sift-ngt-5k/sift-dataset-5k.tsv");
  std::vector<float> all;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    float x;
    std::vector<float> row;
    while (fields >> x) row.push_back(x);
    if (row.size() != 129) continue;  // 128 dims + an id column
    all.insert(all.end(), row.begin(), row.begin() + 128);
  }
  if (all.empty()) return nullptr;
  SplitAndTruth(*d, std::move(all), 500);
  return d;
}

std::unique_ptr<Dataset> LoadMnist() {
  const std::string cmd =
      "gzip -dc " + DataRoot() + "/vectors/mnist/t10k-images-idx3-ubyte.gz";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return nullptr;
  std::vector<unsigned char> bytes;
  unsigned char buffer[1 << 16];
  size_t got;
  while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0) bytes.insert(bytes.end(), buffer, buffer + got);
  pclose(pipe);
  auto be32 = [&](size_t at) {
    return (uint32_t{bytes[at]} << 24) | (uint32_t{bytes[at + 1]} << 16) |
           (uint32_t{bytes[at + 2]} << 8) | bytes[at + 3];
  };
  if (bytes.size() < 16 || be32(0) != 2051) return nullptr;
  const size_t n = be32(4), dim = size_t{be32(8)} * be32(12);
  if (bytes.size() < 16 + n * dim) return nullptr;
  auto d = std::make_unique<Dataset>();
  d->name = "mnist10k";
  d->dim = static_cast<int>(dim);
  std::vector<float> all(n * dim);
  for (size_t i = 0; i < n * dim; ++i) all[i] = bytes[16 + i];
  SplitAndTruth(*d, std::move(all), 1000);
  return d;
}

std::unique_ptr<Dataset> MakeClustered() {
  auto d = std::make_unique<Dataset>();
  d->name = "clustered20k";
  d->dim = 128;
  SplitAndTruth(*d, hnsw_testing::ClusteredVectors(20500, 128, 100, 0.3f, 42), 500);
  return d;
}

const Dataset* GetDataset(const std::string& name) {
  static auto* cache = new std::map<std::string, std::unique_ptr<Dataset>>();
  auto it = cache->find(name);
  if (it != cache->end()) return it->second.get();
  std::unique_ptr<Dataset> d =
      name == "sift5k" ? LoadSift() : name == "mnist10k" ? LoadMnist() : MakeClustered();
  return cache->emplace(name, std::move(d)).first->second.get();
}

size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// One built index per (dataset, library), with its build time and heap growth.
struct Built {
  std::unique_ptr<HNSW> ours;
  std::unique_ptr<hnsw_peers::PeerIndex> peer;
  double build_seconds = 0;
  double memory_mb = 0;
};

Built* GetBuilt(const std::string& dataset, const std::string& lib, int threads = 1) {
  static auto* cache = new std::map<std::string, std::unique_ptr<Built>>();
  const std::string key = dataset + "/" + lib + "/" + std::to_string(threads);
  auto it = cache->find(key);
  if (it != cache->end()) return it->second.get();
  const Dataset* d = GetDataset(dataset);
  if (d == nullptr) return nullptr;
  auto b = std::make_unique<Built>();
  const size_t heap_before = HeapInUse();
  const auto start = std::chrono::steady_clock::now();
  if (lib == "llmds") {
    HnswOptions options;
    options.dim = d->dim;
    options.M = kM;
    options.ef_construction = kEfConstruction;
    b->ours = *HNSW::Create(options);
    std::vector<int64_t> ids(d->n());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
    if (!b->ours->AddBatch(d->base, ids, threads).ok()) std::abort();
  } else {
    b->peer = lib == "hnswlib" ? hnsw_peers::MakeHnswlib(d->dim, kM, kEfConstruction)
                               : hnsw_peers::MakeFaiss(d->dim, kM, kEfConstruction);
    b->peer->Build(d->base.data(), d->n());
  }
  b->build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  b->memory_mb = static_cast<double>(HeapInUse() - heap_before) / (1 << 20);
  return cache->emplace(key, std::move(b)).first->second.get();
}

double RecallOf(const Dataset& d, const std::vector<int64_t>& found) {
  size_t hits = 0;
  for (size_t q = 0; q < d.nq(); ++q) {
    for (int i = 0; i < kK; ++i) {
      for (int j = 0; j < kK; ++j) hits += found[q * kK + i] == d.truth[q * kK + j] && found[q * kK + i] >= 0;
    }
  }
  return static_cast<double>(hits) / (d.nq() * kK);
}

void BM_Search(benchmark::State& state, std::string dataset, std::string lib, int ef) {
  const Dataset* d = GetDataset(dataset);
  Built* b = GetBuilt(dataset, lib);
  if (d == nullptr || b == nullptr) {
    state.SkipWithError("data set not available");
    return;
  }
  std::vector<int64_t> found(d->nq() * kK, -1);
  HnswSearchParams params;
  params.ef_search = ef;
  for (auto _ : state) {
    if (b->ours != nullptr) {
      for (size_t q = 0; q < d->nq(); ++q) {
        auto r = b->ours->SearchWithParams(absl::MakeConstSpan(&d->queries[q * d->dim], d->dim),
                                           kK, params);
        for (size_t i = 0; i < r->size(); ++i) found[q * kK + i] = (*r)[i].first;
      }
    } else {
      b->peer->Search(d->queries.data(), d->nq(), kK, ef, found.data());
    }
    benchmark::DoNotOptimize(found.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d->nq()));
  state.counters["recall"] = RecallOf(*d, found);
  state.counters["qps"] =
      benchmark::Counter(static_cast<double>(d->nq()), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Build(benchmark::State& state, std::string dataset, std::string lib, int threads) {
  const Dataset* d = GetDataset(dataset);
  if (d == nullptr) {
    state.SkipWithError("data set not available");
    return;
  }
  Built* b = nullptr;
  for (auto _ : state) b = GetBuilt(dataset, lib, threads);
  state.counters["build_s"] = b->build_seconds;
  state.counters["heap_MB"] = b->memory_mb;
  if (b->ours != nullptr) {
    state.counters["stats_MB"] = b->ours->Stats().memory_bytes / double(1 << 20);
  }
}

int RegisterAll() {
  for (const char* dataset : {"sift5k", "mnist10k", "clustered20k"}) {
    for (const char* lib : {"llmds", "hnswlib", "faiss"}) {
      benchmark::RegisterBenchmark(
          (std::string("BM_Build/") + dataset + "/" + lib).c_str(),
          [=](benchmark::State& s) { BM_Build(s, dataset, lib, 1); })
          ->Iterations(1)
          ->Unit(benchmark::kSecond);
    }
    benchmark::RegisterBenchmark((std::string("BM_Build/") + dataset + "/llmds_2threads").c_str(),
                                 [=](benchmark::State& s) { BM_Build(s, dataset, "llmds", 2); })
        ->Iterations(1)
        ->Unit(benchmark::kSecond);
    for (const char* lib : {"llmds", "hnswlib", "faiss"}) {
      for (int ef : {10, 20, 40, 80, 160}) {
        benchmark::RegisterBenchmark(
            (std::string("BM_Search/") + dataset + "/" + lib + "/ef:" + std::to_string(ef)).c_str(),
            [=](benchmark::State& s) { BM_Search(s, dataset, lib, ef); })
            ->Unit(benchmark::kMillisecond)
            ->MinTime(0.3)
            ->UseRealTime();
      }
    }
  }
  return 0;
}

const int registered = RegisterAll();

}  // namespace
}  // namespace llmds
