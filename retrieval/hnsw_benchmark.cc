// Copyright 2026 The llmds Authors.
//
// HNSW vs hnswlib 0.6.2 and FAISS IndexHNSWFlat on the same data in one binary: recall@10 and
// queries/s (single thread, CPU time of the searching thread) over an ef sweep, build time and
// heap growth. Same M (16) and ef_construction (200) everywhere. For each ef the libraries run
// back to back (alternating), so load changes on the shared machine hit all of them alike.
//
// Data sets (read with //datasets:vectors):
//   sift5k        SIFT 5k from ../shared/data: 4,500 base / last 500 rows as queries
//   mnist10k      MNIST t10k: 9,000 base / last 1,000 as queries
//   fashion60k    Fashion-MNIST (Debian dataset-fashion-mnist): 60,000 train / 1,000 of the
//                 10,000 t10k images (every 10th) as queries
//   clustered20k  synthetic 20,000 x 128 (100 centres, sigma 0.3) + 500 queries
//   clustered100k synthetic 100,000 x 128 + 1,000 queries
//   clustered100k_384  synthetic 100,000 x 384 + 1,000 queries
// The 100k-class sets build slowly on a 2-core machine; FAISS (about 3x slower to build) runs
// on them only when LLMDS_HNSW_BENCH_FAISS_ALL=1.
//
//   bazel run -c opt //retrieval:hnsw_benchmark -- --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true --benchmark_filter=<data set>   (one line)
// Data root: $LLMDS_SHARED_DATA (default /work/shared/data); Fashion-MNIST root:
// $LLMDS_FASHION_MNIST (default /usr/share/datasets/fashion-mnist).

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "llmds/datasets/vectors.h"
#include "llmds/retrieval/hnsw.h"
#include "llmds/retrieval/hnsw_benchmark_peers.h"
#include "llmds/retrieval/hnsw_testing.h"
#include "llmds/retrieval/internal/distance.h"

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

std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

// Exact top-k by squared L2 with the (separately tested) SIMD kernel; ties by row number.
void ComputeTruth(Dataset& d) {
  const auto& kernels = retrieval_internal::BestKernels();
  d.truth.assign(d.nq() * kK, -1);
  std::vector<std::pair<float, int64_t>> all(d.n());
  for (size_t q = 0; q < d.nq(); ++q) {
    for (size_t i = 0; i < d.n(); ++i) {
      all[i] = {kernels.l2_squared(&d.base[i * d.dim], &d.queries[q * d.dim], d.dim),
                static_cast<int64_t>(i)};
    }
    const size_t keep = std::min<size_t>(kK, all.size());
    std::partial_sort(all.begin(), all.begin() + keep, all.end());
    for (size_t i = 0; i < keep; ++i) d.truth[q * kK + i] = all[i].second;
  }
}

std::unique_ptr<Dataset> SplitTail(const std::string& name, const VectorSet& all,
                                   size_t num_queries) {
  if (all.count <= static_cast<int64_t>(num_queries)) return nullptr;
  auto d = std::make_unique<Dataset>();
  d->name = name;
  d->dim = all.dim;
  const size_t n = static_cast<size_t>(all.count) - num_queries;
  d->base.assign(all.values.begin(), all.values.begin() + n * all.dim);
  d->queries.assign(all.values.begin() + n * all.dim, all.values.end());
  ComputeTruth(*d);
  return d;
}

std::unique_ptr<Dataset> LoadSift() {
  absl::StatusOr<VectorSet> all =
      ReadVectors(EnvOr("LLMDS_SHARED_DATA", "/work/shared/data") +
                      "/vectors/sift-ngt-5k/sift-dataset-5k.tsv",
                  /*tsv_last_column_is_id=*/true);
  if (!all.ok()) return nullptr;
  return SplitTail("sift5k", *all, 500);
}

std::unique_ptr<Dataset> LoadMnist() {
  absl::StatusOr<VectorSet> all = ReadVectors(
      EnvOr("LLMDS_SHARED_DATA", "/work/shared/data") + "/vectors/mnist/t10k-images-idx3-ubyte.gz");
  if (!all.ok()) return nullptr;
  return SplitTail("mnist10k", *all, 1000);
}

std::unique_ptr<Dataset> LoadFashion() {
  const std::string root = EnvOr("LLMDS_FASHION_MNIST", "/usr/share/datasets/fashion-mnist");
  absl::StatusOr<VectorSet> train = ReadVectors(root + "/train-images-idx3-ubyte.gz");
  absl::StatusOr<VectorSet> test = ReadVectors(root + "/t10k-images-idx3-ubyte.gz");
  if (!train.ok() || !test.ok() || train->dim != test->dim) return nullptr;
  auto d = std::make_unique<Dataset>();
  d->name = "fashion60k";
  d->dim = train->dim;
  d->base = std::move(train->values);
  for (int64_t i = 0; i < test->count; i += 10) {  // 1,000 of the 10,000 test images
    const auto row = test->row(i);
    d->queries.insert(d->queries.end(), row.begin(), row.end());
  }
  ComputeTruth(*d);
  return d;
}

std::unique_ptr<Dataset> MakeClustered(const std::string& name, size_t n, size_t dim,
                                       size_t num_queries) {
  VectorSet all;
  all.dim = static_cast<int32_t>(dim);
  all.count = static_cast<int64_t>(n + num_queries);
  all.values = hnsw_testing::ClusteredVectors(n + num_queries, dim, 100, 0.3f, 42);
  return SplitTail(name, all, num_queries);
}

const Dataset* GetDataset(const std::string& name) {
  static auto* cache = new std::map<std::string, std::unique_ptr<Dataset>>();
  auto it = cache->find(name);
  if (it != cache->end()) return it->second.get();
  std::unique_ptr<Dataset> d;
  if (name == "sift5k") d = LoadSift();
  if (name == "mnist10k") d = LoadMnist();
  if (name == "fashion60k") d = LoadFashion();
  if (name == "clustered20k") d = MakeClustered(name, 20000, 128, 500);
  if (name == "clustered100k") d = MakeClustered(name, 100000, 128, 1000);
  if (name == "clustered100k_384") d = MakeClustered(name, 100000, 384, 1000);
  return cache->emplace(name, std::move(d)).first->second.get();
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
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
  Built* b = d == nullptr ? nullptr : GetBuilt(dataset, lib);
  if (d == nullptr || b == nullptr) {
    state.SkipWithError("data set not available");
    return;
  }
  std::vector<int64_t> found(d->nq() * kK, -1);
  HnswSearchParams params;
  params.ef_search = ef;
  double cpu_seconds = 0;
  for (auto _ : state) {
    const double start = ThreadCpuSeconds();
    if (b->ours != nullptr) {
      for (size_t q = 0; q < d->nq(); ++q) {
        auto r = b->ours->SearchWithParams(absl::MakeConstSpan(&d->queries[q * d->dim], d->dim),
                                           kK, params);
        for (size_t i = 0; i < r->size(); ++i) found[q * kK + i] = (*r)[i].first;
      }
    } else {
      b->peer->Search(d->queries.data(), d->nq(), kK, ef, found.data());
    }
    cpu_seconds += ThreadCpuSeconds() - start;
    benchmark::DoNotOptimize(found.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d->nq()));
  state.counters["recall"] = RecallOf(*d, found);
  // Queries per CPU second of the searching thread (immune to time slices lost to other load).
  state.counters["qps_cpu"] =
      static_cast<double>(state.iterations() * d->nq()) / std::max(cpu_seconds, 1e-9);
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
  const bool faiss_all = EnvOr("LLMDS_HNSW_BENCH_FAISS_ALL", "0") == "1";
  for (const char* dataset : {"sift5k", "mnist10k", "clustered20k", "fashion60k", "clustered100k",
                              "clustered100k_384"}) {
    const bool small = std::string(dataset) == "sift5k" || std::string(dataset) == "mnist10k" ||
                       std::string(dataset) == "clustered20k";
    std::vector<std::string> libs = {"llmds", "hnswlib"};
    if (small || faiss_all) libs.push_back("faiss");
    for (const std::string& lib : libs) {
      benchmark::RegisterBenchmark((std::string("BM_Build/") + dataset + "/" + lib).c_str(),
                                   [=](benchmark::State& s) { BM_Build(s, dataset, lib, 1); })
          ->Iterations(1)
          ->Unit(benchmark::kSecond);
    }
    benchmark::RegisterBenchmark((std::string("BM_Build/") + dataset + "/llmds_2threads").c_str(),
                                 [=](benchmark::State& s) { BM_Build(s, dataset, "llmds", 2); })
        ->Iterations(1)
        ->Unit(benchmark::kSecond);
    for (int ef : {10, 16, 20, 30, 40, 80, 160}) {
      for (const std::string& lib : libs) {
        benchmark::RegisterBenchmark(
            (std::string("BM_Search/") + dataset + "/ef:" + std::to_string(ef) + "/" + lib)
                .c_str(),
            [=](benchmark::State& s) { BM_Search(s, dataset, lib, ef); })
            ->Unit(benchmark::kMillisecond)
            ->MinTime(0.2);
      }
    }
  }
  return 0;
}

const int registered = RegisterAll();

}  // namespace
}  // namespace llmds
