// Copyright 2026 The llmds Authors.
//
// Differential test on the real dev collections (cran, med, cacm): every query's top-k from
// Search equals brute-force BM25 (ids identical, scores within 1e-9 relative).

#include <string>

#include "gtest/gtest.h"
#include "llmds/retrieval/analyzer.h"
#include "llmds/retrieval/inverted_index.h"
#include "llmds/retrieval/inverted_index_testing.h"
#include "llmds/retrieval/testing/ir_collection.h"

namespace llmds {
namespace {

using retrieval_testing::FindSharedDataDir;
using retrieval_testing::IrCollection;
using retrieval_testing::LoadIrCollection;
using retrieval_testing::NdcgAt;

TEST(IrEvalTest, TrecEvalTestVector) {
  // peers.md: qrels Q0:{D0:0, D1:1}, Q1:{D0:0, D3:2}; run Q0:{D0:1.2, D1:1.0},
  // Q1:{D0:2.4, D3:3.6} -> nDCG 0.8155 (mean).
  const double q0 = NdcgAt({{0, 1.2}, {1, 1.0}}, {{0, 0}, {1, 1}}, 1000);
  const double q1 = NdcgAt({{0, 2.4}, {3, 3.6}}, {{0, 0}, {3, 2}}, 1000);
  EXPECT_NEAR((q0 + q1) / 2, 0.8155, 5e-5);
}

class IrDifferentialTest : public ::testing::TestWithParam<const char*> {};

TEST_P(IrDifferentialTest, SearchEqualsBruteForce) {
  const std::string data = FindSharedDataDir();
  if (data.empty()) {
    GTEST_SKIP() << "shared data not found: set LLMDS_SHARED_DATA or provide /work/shared/data";
  }
  absl::StatusOr<IrCollection> c = LoadIrCollection(data, GetParam());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_GT(c->documents.size(), 1000u);
  ASSERT_GT(c->queries.size(), 20u);
  InvertedIndexOptions options;  // the default English analyzer
  options.mutable_segment_max_postings = 20000;
  InvertedIndex index(options);
  absl::StatusOr<Analyzer> analyzer = Analyzer::Create(options.analyzer);
  ASSERT_TRUE(analyzer.ok());
  BruteForceBm25 oracle(&*analyzer, options.bm25);
  for (const auto& doc : c->documents) {
    ASSERT_TRUE(index.AddDocument(doc.id, doc.text).ok()) << doc.id;
    oracle.Add(doc.id, doc.text);
  }
  ASSERT_TRUE(index.CheckInvariants().ok());
  int checked = 0;
  for (size_t q = 0; q < c->queries.size(); ++q) {
    const std::string& text = c->queries[q].text;
    const auto truth = oracle.ScoreAll(text);
    for (int k : {10, 100}) {
      if (k == 100 && q % 4 != 0) continue;
      ExpectSameTopK(index.Search(text, k), BruteForceBm25::TopK(truth, k), truth,
                     std::string(GetParam()) + " query " + c->queries[q].id);
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

INSTANTIATE_TEST_SUITE_P(DevCollections, IrDifferentialTest,
                         ::testing::Values("cran", "med", "cacm"));

}  // namespace
}  // namespace llmds
