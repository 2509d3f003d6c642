// Copyright 2026 The llmds Authors.
//
// Score fusion for hybrid retrieval: combines a lexical candidate list (BM25 scores) and a dense
// candidate list (similarities) into one ranking. Pure functions, no state; used by
// RetrievalPipeline and tested against hand-computed cases.
//
// Both inputs are candidate lists already sorted best first (descending score, ties by
// ascending doc id) with distinct ids. Outputs are sorted by descending fused score, ties by
// ascending doc id, and truncated to top_k.

#ifndef LLMDS_RETRIEVAL_INTERNAL_FUSION_H_
#define LLMDS_RETRIEVAL_INTERNAL_FUSION_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace llmds {
namespace retrieval_internal {

using ScoredDocs = std::vector<std::pair<int64_t, double>>;

// Returns the list with every score mapped to (s - min) / (max - min) over the list; when all
// scores are equal (including a single candidate) every score becomes 1. Order is kept.
ScoredDocs MinMaxNormalize(const ScoredDocs& candidates);

// Weighted sum after min-max normalization of each side over its own candidate list:
//   fused(d) = (1 - dense_weight) * norm_lexical(d) + dense_weight * norm_dense(d),
// where a document absent from a side scores 0 on that side. Every document of either list is
// ranked (also those whose fused score is 0).
ScoredDocs FuseWeighted(const ScoredDocs& lexical, const ScoredDocs& dense, double dense_weight,
                        int top_k);

// Weighted reciprocal-rank fusion with constant k (ranks are 1-based positions in each list):
//   fused(d) = 2 * (1 - dense_weight) / (k + rank_lexical(d)) + 2 * dense_weight / (k + rank_dense(d)),
// a side where d is absent contributing 0. At dense_weight = 0.5 this is classic RRF.
ScoredDocs FuseReciprocalRank(const ScoredDocs& lexical, const ScoredDocs& dense,
                              double dense_weight, int k, int top_k);

// Sorts by descending score, ties by ascending doc id, and keeps the first top_k (top_k >= 0).
void SortAndTruncate(ScoredDocs* docs, int top_k);

}  // namespace retrieval_internal
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_INTERNAL_FUSION_H_
