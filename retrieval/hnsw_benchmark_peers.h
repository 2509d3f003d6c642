// Copyright 2026 The llmds Authors.
//
// Peer ANN indexes behind one interface, so hnswlib's headers (which define non-inline
// functions) are compiled in exactly one translation unit: hnsw_benchmark_peers.cc.

#ifndef LLMDS_RETRIEVAL_HNSW_BENCHMARK_PEERS_H_
#define LLMDS_RETRIEVAL_HNSW_BENCHMARK_PEERS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llmds {
namespace hnsw_peers {

class PeerIndex {
 public:
  virtual ~PeerIndex() = default;
  // Inserts rows 0..n-1 of `data` (ids = row numbers), single thread.
  virtual void Build(const float* data, size_t n) = 0;
  // Writes the ids of the k nearest rows to `out` (k entries, -1 padded), L2.
  virtual void Search(const float* queries, size_t nq, int k, int ef, int64_t* out) = 0;
  virtual std::string name() const = 0;
};

std::unique_ptr<PeerIndex> MakeHnswlib(int dim, int m, int ef_construction);
std::unique_ptr<PeerIndex> MakeFaiss(int dim, int m, int ef_construction);

}  // namespace hnsw_peers
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_HNSW_BENCHMARK_PEERS_H_
