// Copyright 2026 The llmds Authors.
//
// Test and benchmark helpers for HNSW: synthetic data sets, a brute-force oracle and recall.

#ifndef LLMDS_RETRIEVAL_HNSW_TESTING_H_
#define LLMDS_RETRIEVAL_HNSW_TESTING_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "llmds/retrieval/hnsw.h"

namespace llmds {
namespace hnsw_testing {

// n x dim uniform in [-1, 1), row-major.
inline std::vector<float> RandomVectors(size_t n, size_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> out(n * dim);
  for (float& x : out) x = u(rng);
  return out;
}

// n x dim points around `clusters` random centres (Gaussian noise of stddev `spread`).
inline std::vector<float> ClusteredVectors(size_t n, size_t dim, size_t clusters, float spread,
                                           uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::normal_distribution<float> noise(0.0f, spread);
  std::vector<float> centres(clusters * dim);
  for (float& x : centres) x = u(rng);
  std::vector<float> out(n * dim);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = rng() % clusters;
    for (size_t d = 0; d < dim; ++d) out[i * dim + d] = centres[c * dim + d] + noise(rng);
  }
  return out;
}

inline float ReferenceDistance(const float* a, const float* b, size_t dim, Metric metric) {
  double dot = 0, l2 = 0, na = 0, nb = 0;
  for (size_t i = 0; i < dim; ++i) {
    dot += double{a[i]} * b[i];
    l2 += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
    na += double{a[i]} * a[i];
    nb += double{b[i]} * b[i];
  }
  switch (metric) {
    case Metric::kL2:
      return static_cast<float>(std::sqrt(l2));
    case Metric::kInnerProduct:
      return static_cast<float>(1.0 - dot);
    case Metric::kCosine:
      return static_cast<float>(1.0 - dot / std::sqrt(na * nb));
  }
  return 0;
}

// Exact top-k of `query` over the rows of `data` whose ids (= ids[row], or the row number when
// ids is empty) pass `allow`. Ties by ascending id.
template <typename Allow>
std::vector<std::pair<int64_t, float>> BruteForce(const std::vector<float>& data, size_t dim,
                                                  const float* query, int k, Metric metric,
                                                  const std::vector<int64_t>& ids,
                                                  const Allow& allow) {
  std::vector<std::pair<float, int64_t>> all;
  const size_t n = data.size() / dim;
  for (size_t i = 0; i < n; ++i) {
    const int64_t id = ids.empty() ? static_cast<int64_t>(i) : ids[i];
    if (!allow(id)) continue;
    all.emplace_back(ReferenceDistance(&data[i * dim], query, dim, metric), id);
  }
  const size_t keep = std::min(all.size(), static_cast<size_t>(k));
  std::partial_sort(all.begin(), all.begin() + keep, all.end());
  std::vector<std::pair<int64_t, float>> out;
  for (size_t i = 0; i < keep; ++i) out.emplace_back(all[i].second, all[i].first);
  return out;
}

inline std::vector<std::pair<int64_t, float>> BruteForce(const std::vector<float>& data,
                                                         size_t dim, const float* query, int k,
                                                         Metric metric) {
  return BruteForce(data, dim, query, k, metric, {}, [](int64_t) { return true; });
}

// |approx ∩ exact| / |exact| by id.
inline double Recall(const std::vector<std::pair<int64_t, float>>& approx,
                     const std::vector<std::pair<int64_t, float>>& exact) {
  if (exact.empty()) return 1.0;
  absl::flat_hash_set<int64_t> truth;
  for (const auto& e : exact) truth.insert(e.first);
  size_t hits = 0;
  for (const auto& a : approx) hits += truth.count(a.first);
  return static_cast<double>(hits) / exact.size();
}

}  // namespace hnsw_testing
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_HNSW_TESTING_H_
