// Copyright 2026 The llmds Authors.
//
// The only translation unit that includes hnswlib.h (see hnsw_benchmark_peers.h). Compiled with
// -march=native so hnswlib gets its widest compile-time SIMD path (it has no run-time dispatch).

#include "llmds/retrieval/hnsw_benchmark_peers.h"

#include <omp.h>

#include <faiss/IndexHNSW.h>
#include <hnswlib/hnswlib.h>

namespace llmds {
namespace hnsw_peers {
namespace {

class Hnswlib : public PeerIndex {
 public:
  Hnswlib(int dim, int m, int ef_construction)
      : dim_(dim), m_(m), ef_construction_(ef_construction), space_(dim) {}
  void Build(const float* data, size_t n) override {
    index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(&space_, n, m_, ef_construction_,
                                                               100);
    for (size_t i = 0; i < n; ++i) index_->addPoint(data + i * dim_, i);
  }
  void Search(const float* queries, size_t nq, int k, int ef, int64_t* out) override {
    index_->setEf(ef);
    for (size_t q = 0; q < nq; ++q) {
      auto heap = index_->searchKnn(queries + q * dim_, k);
      int64_t* row = out + q * k;
      for (int i = 0; i < k; ++i) row[i] = -1;
      int i = static_cast<int>(heap.size()) - 1;
      while (!heap.empty()) {
        row[i--] = static_cast<int64_t>(heap.top().second);
        heap.pop();
      }
    }
  }
  std::string name() const override { return "hnswlib"; }

 private:
  int dim_, m_, ef_construction_;
  hnswlib::L2Space space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index_;
};

class Faiss : public PeerIndex {
 public:
  Faiss(int dim, int m, int ef_construction) : index_(dim, m) {
    omp_set_num_threads(1);
    index_.hnsw.efConstruction = ef_construction;
  }
  void Build(const float* data, size_t n) override {
    omp_set_num_threads(1);
    index_.add(static_cast<faiss::Index::idx_t>(n), data);
  }
  void Search(const float* queries, size_t nq, int k, int ef, int64_t* out) override {
    omp_set_num_threads(1);
    index_.hnsw.efSearch = ef;
    std::vector<float> distances(nq * k);
    std::vector<faiss::Index::idx_t> labels(nq * k);
    index_.search(static_cast<faiss::Index::idx_t>(nq), queries, k, distances.data(), labels.data());
    for (size_t i = 0; i < nq * k; ++i) out[i] = labels[i];
  }
  std::string name() const override { return "faiss"; }

 private:
  faiss::IndexHNSWFlat index_;
};

}  // namespace

std::unique_ptr<PeerIndex> MakeHnswlib(int dim, int m, int ef_construction) {
  return std::make_unique<Hnswlib>(dim, m, ef_construction);
}
std::unique_ptr<PeerIndex> MakeFaiss(int dim, int m, int ef_construction) {
  return std::make_unique<Faiss>(dim, m, ef_construction);
}

}  // namespace hnsw_peers
}  // namespace llmds
