// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/internal/fusion.h"

#include "gtest/gtest.h"

namespace llmds {
namespace retrieval_internal {
namespace {

TEST(MinMaxNormalizeTest, MapsToUnitInterval) {
  const ScoredDocs out = MinMaxNormalize({{7, 3.0}, {8, 2.0}, {9, 1.0}});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], std::make_pair(int64_t{7}, 1.0));
  EXPECT_EQ(out[1], std::make_pair(int64_t{8}, 0.5));
  EXPECT_EQ(out[2], std::make_pair(int64_t{9}, 0.0));
}

TEST(MinMaxNormalizeTest, EqualScoresBecomeOne) {
  EXPECT_EQ(MinMaxNormalize({{4, -2.5}}), (ScoredDocs{{4, 1.0}}));
  EXPECT_EQ(MinMaxNormalize({{1, 2.0}, {2, 2.0}}), (ScoredDocs{{1, 1.0}, {2, 1.0}}));
  EXPECT_TRUE(MinMaxNormalize({}).empty());
}

TEST(FuseWeightedTest, HandComputedCase) {
  // Lexical normalized: 1 -> 1, 2 -> 0.5, 3 -> 0. Dense normalized: 3 -> 1, 4 -> 0.
  const ScoredDocs lexical = {{1, 10.0}, {2, 5.0}, {3, 0.0}};
  const ScoredDocs dense = {{3, -0.1}, {4, -0.5}};
  EXPECT_EQ(FuseWeighted(lexical, dense, 0.5, 10),
            (ScoredDocs{{1, 0.5}, {3, 0.5}, {2, 0.25}, {4, 0.0}}));
  // Weight 0.25: 1 -> 0.75, 2 -> 0.375, 3 -> 0.25, 4 -> 0.
  EXPECT_EQ(FuseWeighted(lexical, dense, 0.25, 2), (ScoredDocs{{1, 0.75}, {2, 0.375}}));
  EXPECT_EQ(FuseWeighted({}, dense, 1.0, 10), (ScoredDocs{{3, 1.0}, {4, 0.0}}));
  EXPECT_TRUE(FuseWeighted({}, {}, 0.5, 10).empty());
}

TEST(FuseReciprocalRankTest, HandComputedCase) {
  const ScoredDocs lexical = {{1, 10.0}, {2, 5.0}, {3, 0.0}};
  const ScoredDocs dense = {{3, -0.1}, {4, -0.5}};
  const ScoredDocs fused = FuseReciprocalRank(lexical, dense, 0.5, 60, 10);
  ASSERT_EQ(fused.size(), 4u);
  EXPECT_EQ(fused[0].first, 3);
  EXPECT_DOUBLE_EQ(fused[0].second, 1.0 / 63 + 1.0 / 61);
  EXPECT_EQ(fused[1].first, 1);
  EXPECT_DOUBLE_EQ(fused[1].second, 1.0 / 61);
  // 2 and 4 tie at 1/62: ascending id.
  EXPECT_EQ(fused[2].first, 2);
  EXPECT_EQ(fused[3].first, 4);
  EXPECT_EQ(fused[2].second, fused[3].second);
  // Weight 1: only dense ranks count (doubled).
  const ScoredDocs dense_only = FuseReciprocalRank(lexical, dense, 1.0, 60, 1);
  ASSERT_EQ(dense_only.size(), 1u);
  EXPECT_EQ(dense_only[0].first, 3);
  EXPECT_DOUBLE_EQ(dense_only[0].second, 2.0 / 61);
}

TEST(SortAndTruncateTest, TiesByAscendingId) {
  ScoredDocs docs = {{5, 1.0}, {2, 1.0}, {9, 3.0}, {1, 0.5}};
  SortAndTruncate(&docs, 3);
  EXPECT_EQ(docs, (ScoredDocs{{9, 3.0}, {2, 1.0}, {5, 1.0}}));
  SortAndTruncate(&docs, 0);
  EXPECT_TRUE(docs.empty());
}

}  // namespace
}  // namespace retrieval_internal
}  // namespace llmds
