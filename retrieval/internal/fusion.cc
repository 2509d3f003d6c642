// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/internal/fusion.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace llmds {
namespace retrieval_internal {

ScoredDocs MinMaxNormalize(const ScoredDocs& candidates) {
  ScoredDocs out = candidates;
  if (out.empty()) return out;
  double lo = out[0].second;
  double hi = out[0].second;
  for (const auto& [id, score] : out) {
    lo = std::min(lo, score);
    hi = std::max(hi, score);
  }
  const double range = hi - lo;
  for (auto& [id, score] : out) score = range > 0 ? (score - lo) / range : 1.0;
  return out;
}

void SortAndTruncate(ScoredDocs* docs, int top_k) {
  auto better = [](const std::pair<int64_t, double>& a, const std::pair<int64_t, double>& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  };
  const size_t keep = std::min(docs->size(), static_cast<size_t>(std::max(top_k, 0)));
  if (keep < docs->size()) {
    std::partial_sort(docs->begin(), docs->begin() + keep, docs->end(), better);
    docs->resize(keep);
  } else {
    std::sort(docs->begin(), docs->end(), better);
  }
}

namespace {

// Accumulates weight * value(position, score) of each side into one score per document.
template <typename Contribution>
ScoredDocs Combine(const ScoredDocs& lexical, const ScoredDocs& dense, double lexical_weight,
                   double dense_weight, const Contribution& contribution, int top_k) {
  absl::flat_hash_map<int64_t, size_t> slot;
  slot.reserve(lexical.size() + dense.size());
  ScoredDocs fused;
  fused.reserve(lexical.size() + dense.size());
  // The lexical side is added first and the dense side second for every document, so the
  // floating-point sum is evaluated in one fixed order.
  for (size_t i = 0; i < lexical.size(); ++i) {
    auto [it, inserted] = slot.try_emplace(lexical[i].first, fused.size());
    if (inserted) fused.emplace_back(lexical[i].first, 0.0);
    fused[it->second].second += lexical_weight * contribution(i, lexical[i].second);
  }
  for (size_t i = 0; i < dense.size(); ++i) {
    auto [it, inserted] = slot.try_emplace(dense[i].first, fused.size());
    if (inserted) fused.emplace_back(dense[i].first, 0.0);
    fused[it->second].second += dense_weight * contribution(i, dense[i].second);
  }
  SortAndTruncate(&fused, top_k);
  return fused;
}

}  // namespace

ScoredDocs FuseWeighted(const ScoredDocs& lexical, const ScoredDocs& dense, double dense_weight,
                        int top_k) {
  return Combine(MinMaxNormalize(lexical), MinMaxNormalize(dense), 1.0 - dense_weight,
                 dense_weight, [](size_t, double normalized) { return normalized; }, top_k);
}

ScoredDocs FuseReciprocalRank(const ScoredDocs& lexical, const ScoredDocs& dense,
                              double dense_weight, int k, int top_k) {
  const double kd = static_cast<double>(k);
  return Combine(
      lexical, dense, 2.0 * (1.0 - dense_weight), 2.0 * dense_weight,
      [kd](size_t position, double) { return 1.0 / (kd + static_cast<double>(position + 1)); },
      top_k);
}

}  // namespace retrieval_internal
}  // namespace llmds
