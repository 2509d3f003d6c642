// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/inverted_index.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "llmds/retrieval/analyzer.h"
#include "llmds/retrieval/inverted_index_testing.h"

namespace llmds {
namespace {

InvertedIndexOptions PlainOptions() {
  InvertedIndexOptions options;
  options.analyzer.stem = false;
  options.analyzer.remove_stopwords = false;
  return options;
}

TEST(InvertedIndexTest, SingleDocumentScoreMatchesFormula) {
  InvertedIndex index(PlainOptions());
  ASSERT_TRUE(index.status().ok());
  ASSERT_TRUE(index.AddDocument(1, "apple").ok());
  auto result = index.Search("apple", 10);
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].first, 1);
  // N = df = 1, tf = 1, dl = avgdl: idf = ln(1 + 0.5/1.5), tf part = 2.2/2.2 = 1.
  EXPECT_NEAR(result[0].second, std::log(4.0 / 3.0), 1e-15);
}

TEST(InvertedIndexTest, HandComputedTwoDocuments) {
  InvertedIndexOptions options = PlainOptions();
  options.bm25 = {2.0, 0.5};
  InvertedIndex index(options);
  ASSERT_TRUE(index.AddDocument(10, "a a b").ok());
  ASSERT_TRUE(index.AddDocument(20, "b c").ok());
  // N = 2, avgdl = 2.5. Term a: df 1, doc 10 tf 2 dl 3.
  const double idf_a = std::log(1.0 + 1.5 / 1.5);
  const double idf_b = std::log(1.0 + 0.5 / 2.5);
  auto part = [](double tf, double dl) { return tf * 3.0 / (tf + 2.0 * (0.5 + 0.5 * dl / 2.5)); };
  auto result = index.Search("a b", 10);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0].first, 10);
  EXPECT_NEAR(result[0].second, idf_a * part(2, 3) + idf_b * part(1, 3), 1e-12);
  EXPECT_EQ(result[1].first, 20);
  EXPECT_NEAR(result[1].second, idf_b * part(1, 2), 1e-12);
}

TEST(InvertedIndexTest, QueryTermMultiplicityCounts) {
  InvertedIndex index(PlainOptions());
  ASSERT_TRUE(index.AddDocument(1, "apple pie").ok());
  ASSERT_TRUE(index.AddDocument(2, "banana split").ok());
  const double once = index.Search("apple", 1)[0].second;
  const double thrice = index.Search("apple apple apple", 1)[0].second;
  EXPECT_NEAR(thrice, 3 * once, 1e-12);
}

TEST(InvertedIndexTest, TiesBreakByAscendingDocId) {
  InvertedIndex index(PlainOptions());
  for (int64_t id : {9, 3, 5, 7}) ASSERT_TRUE(index.AddDocument(id, "same words here").ok());
  auto result = index.Search("words", 3);
  ASSERT_EQ(result.size(), 3u);
  EXPECT_EQ(result[0].first, 3);
  EXPECT_EQ(result[1].first, 5);
  EXPECT_EQ(result[2].first, 7);
  EXPECT_EQ(result[0].second, result[2].second);
}

TEST(InvertedIndexTest, AddDocumentErrorsLeaveIndexUnchanged) {
  InvertedIndex index;
  ASSERT_TRUE(index.AddDocument(1, "compressed postings").ok());
  const InvertedIndexStats before = index.Stats();
  absl::Status dup = index.AddDocument(1, "other text");
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("1"), absl::string_view::npos);
  absl::Status neg = index.AddDocument(-4, "text");
  EXPECT_EQ(neg.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(neg.message().find("-4"), absl::string_view::npos);
  const InvertedIndexStats after = index.Stats();
  EXPECT_EQ(before.num_documents, after.num_documents);
  EXPECT_EQ(before.num_terms, after.num_terms);
  EXPECT_EQ(before.num_postings, after.num_postings);
  EXPECT_EQ(index.GetDocumentFrequency("other"), 0);
  EXPECT_TRUE(index.CheckInvariants().ok());
}

TEST(InvertedIndexTest, InvalidOptions) {
  InvertedIndexOptions bad;
  bad.bm25.b = 1.5;
  InvertedIndex index(bad);
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index.AddDocument(1, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(index.Search("x").empty());
  EXPECT_FALSE(InvertedIndex::Create(bad).ok());
  bad = {};
  bad.bm25.k1 = -1;
  EXPECT_FALSE(InvertedIndex::Create(bad).ok());
  bad = {};
  bad.bm25.k1 = NAN;
  EXPECT_FALSE(InvertedIndex::Create(bad).ok());
  bad = {};
  bad.mutable_segment_max_postings = 0;
  EXPECT_FALSE(InvertedIndex::Create(bad).ok());
  bad = {};
  bad.analyzer.max_token_bytes = 0;
  EXPECT_FALSE(InvertedIndex::Create(bad).ok());
  EXPECT_TRUE(InvertedIndex::Create({}).ok());
}

TEST(InvertedIndexTest, TermStatisticsAnalyzeTheTerm) {
  InvertedIndex index;  // default analyzer: stemming and stopwords on
  ASSERT_TRUE(index.AddDocument(1, "Running runners run; the runner's run").ok());
  ASSERT_TRUE(index.AddDocument(2, "nothing about it").ok());
  EXPECT_EQ(index.GetTermFrequency("RUNNING", 1), 3);  // running, run, run -> "run"
  EXPECT_EQ(index.GetTermFrequency("runner", 1), 2);
  EXPECT_EQ(index.GetTermFrequency("run", 2), 0);
  EXPECT_EQ(index.GetTermFrequency("run", 99), 0);
  EXPECT_EQ(index.GetTermFrequency("the", 1), 0);        // stopword
  EXPECT_EQ(index.GetTermFrequency("run runner", 1), 0);  // not one term
  EXPECT_EQ(index.GetDocumentFrequency("Runs"), 1);
  EXPECT_EQ(index.GetDocumentFrequency("nothing"), 1);
  EXPECT_EQ(index.GetDocumentFrequency("absent"), 0);
}

TEST(InvertedIndexTest, RemoveDocument) {
  InvertedIndex index(PlainOptions());
  ASSERT_TRUE(index.AddDocument(1, "red apple").ok());
  ASSERT_TRUE(index.AddDocument(2, "green apple").ok());
  ASSERT_TRUE(index.AddDocument(3, "red car").ok());
  EXPECT_EQ(index.RemoveDocument(7).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(index.RemoveDocument(1).ok());
  EXPECT_EQ(index.RemoveDocument(1).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(index.Contains(1));
  EXPECT_EQ(index.GetDocumentFrequency("red"), 1);
  EXPECT_EQ(index.GetTermFrequency("red", 1), 0);
  auto result = index.Search("red apple", 10);
  ASSERT_EQ(result.size(), 2u);
  for (const auto& [id, score] : result) EXPECT_NE(id, 1);
  InvertedIndexStats stats = index.Stats();
  EXPECT_EQ(stats.num_documents, 2);
  EXPECT_EQ(stats.num_removed_documents, 1);
  EXPECT_EQ(stats.total_document_length, 4);
  ASSERT_TRUE(index.AddDocument(1, "apple again").ok());  // ids can be reused
  EXPECT_TRUE(index.Contains(1));
  EXPECT_TRUE(index.CheckInvariants().ok());
}

TEST(InvertedIndexTest, EmptyQueriesAndTopK) {
  InvertedIndex index;
  ASSERT_TRUE(index.AddDocument(1, "alpha beta").ok());
  ASSERT_TRUE(index.AddDocument(2, "").ok());  // empty documents count in N
  EXPECT_TRUE(index.Search("alpha", 0).empty());
  EXPECT_TRUE(index.Search("alpha", -3).empty());
  EXPECT_TRUE(index.Search("", 10).empty());
  EXPECT_TRUE(index.Search("the of", 10).empty());
  EXPECT_TRUE(index.Search("missing", 10).empty());
  EXPECT_EQ(index.Search("alpha", 100).size(), 1u);
  EXPECT_EQ(index.Stats().num_documents, 2);
  EXPECT_NEAR(index.Search("alpha", 1)[0].second,
              std::log(1 + 1.5 / 1.5) * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 2 / 1.0)), 1e-12);
}

TEST(InvertedIndexTest, StatsCountDocsTermsAndBytes) {
  InvertedIndexOptions options = PlainOptions();
  options.mutable_segment_max_postings = 3;
  InvertedIndex index(options);
  ASSERT_TRUE(index.AddDocument(1, "a b").ok());
  InvertedIndexStats stats = index.Stats();
  EXPECT_EQ(stats.num_documents, 1);
  EXPECT_EQ(stats.num_terms, 2);
  EXPECT_EQ(stats.num_postings, 2);
  EXPECT_EQ(stats.mutable_postings, 2);
  EXPECT_GT(stats.postings_bytes, 0);
  ASSERT_TRUE(index.AddDocument(2, "b c").ok());  // reaches 4 >= 3: folded
  stats = index.Stats();
  EXPECT_EQ(stats.num_terms, 3);
  EXPECT_EQ(stats.num_postings, 4);
  EXPECT_EQ(stats.mutable_postings, 0);
  EXPECT_DOUBLE_EQ(stats.average_document_length, 2.0);
  EXPECT_TRUE(index.CheckInvariants().ok());
}

TEST(InvertedIndexTest, BatchSearchMatchesSearch) {
  InvertedIndex index(PlainOptions());
  std::mt19937_64 rng(5);
  for (int d = 0; d < 300; ++d) {
    std::string text;
    for (int w = 0; w < 12; ++w) text += "w" + std::to_string(rng() % 50) + " ";
    ASSERT_TRUE(index.AddDocument(d, text).ok());
  }
  std::vector<std::string> queries;
  for (int q = 0; q < 40; ++q) {
    queries.push_back("w" + std::to_string(q % 50) + " w" + std::to_string((q * 7) % 50));
  }
  for (int threads : {1, 3}) {
    auto batch = index.BatchSearch(queries, 7, threads);
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ(batch->size(), queries.size());
    for (size_t i = 0; i < queries.size(); ++i) {
      EXPECT_EQ((*batch)[i], index.Search(queries[i], 7));
    }
  }
  EXPECT_EQ(index.BatchSearch(queries, 7, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index.BatchSearch(queries, 0, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(index.BatchSearch({}, 3, 4).ok());
}

// Random corpora with Zipf-like word frequencies, adds and removes interleaved, compared with
// the brute-force scorer and with exhaustive scoring.
void RunRandomDifferential(uint64_t seed, int num_docs, int vocabulary, int64_t mutable_limit,
                           Bm25Params params) {
  InvertedIndexOptions options = PlainOptions();
  options.bm25 = params;
  options.mutable_segment_max_postings = mutable_limit;
  InvertedIndex index(options);
  absl::StatusOr<Analyzer> analyzer = Analyzer::Create(options.analyzer);
  ASSERT_TRUE(analyzer.ok());
  BruteForceBm25 oracle(&*analyzer, params);
  std::mt19937_64 rng(seed);
  std::vector<double> cdf(vocabulary);
  double total = 0;
  for (int w = 0; w < vocabulary; ++w) cdf[w] = (total += 1.0 / (w + 1));
  auto word = [&]() {
    const double x = std::uniform_real_distribution<double>(0, total)(rng);
    return "t" + std::to_string(std::lower_bound(cdf.begin(), cdf.end(), x) - cdf.begin());
  };
  std::vector<int64_t> live;
  int queries_run = 0;
  for (int step = 0; step < num_docs; ++step) {
    if (!live.empty() && rng() % 8 == 0) {
      const size_t pick = rng() % live.size();
      ASSERT_TRUE(index.RemoveDocument(live[pick]).ok());
      oracle.Remove(live[pick]);
      live[pick] = live.back();
      live.pop_back();
    }
    const int64_t id = static_cast<int64_t>(rng() % 1000000);
    std::string text;
    const int length = static_cast<int>(rng() % 60);
    for (int w = 0; w < length; ++w) text += word() + " ";
    // Some documents repeat a word many times (large tf, wide bit widths).
    if (rng() % 50 == 0) {
      const std::string w = word();
      for (int r = 0; r < 200; ++r) text += w + " ";
    }
    absl::Status status = index.AddDocument(id, text);
    if (std::find(live.begin(), live.end(), id) != live.end()) {
      ASSERT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
      continue;
    }
    ASSERT_TRUE(status.ok()) << status;
    oracle.Add(id, text);
    live.push_back(id);
    if (step % 331 == 0) {
      ASSERT_TRUE(index.CheckInvariants().ok()) << index.CheckInvariants();
    }
    if (step % 40 == 0 || step == num_docs - 1) {
      for (int q = 0; q < 4; ++q) {
        std::string query;
        const int terms = 1 + static_cast<int>(rng() % 6);
        for (int t = 0; t < terms; ++t) query += word() + " ";
        if (rng() % 4 == 0) query += "t" + std::to_string(rng() % 3) + " t0 ";  // repeats
        const int k = std::vector<int>{1, 3, 10, 50, 1000}[rng() % 5];
        const std::string context = "seed " + std::to_string(seed) + " step " +
                                    std::to_string(step) + " query '" + query + "' k " +
                                    std::to_string(k);
        const auto truth = oracle.ScoreAll(query);
        const auto expected = BruteForceBm25::TopK(truth, k);
        ExpectSameTopK(index.Search(query, k), expected, truth, context);
        ExpectSameTopK(index.SearchExhaustive(query, k), expected, truth, context + " exh");
        ++queries_run;
      }
    }
  }
  EXPECT_GT(queries_run, 0);
  ASSERT_TRUE(index.CheckInvariants().ok()) << index.CheckInvariants();
}

TEST(InvertedIndexDifferentialTest, SmallVocabularyFrequentFolds) {
  RunRandomDifferential(1, 1200, 40, 64, {});
}
TEST(InvertedIndexDifferentialTest, LargeVocabulary) {
  RunRandomDifferential(2, 1600, 3000, 4096, {});
}
TEST(InvertedIndexDifferentialTest, OtherParameters) {
  RunRandomDifferential(3, 1200, 200, 500, {0.9, 0.4});
  RunRandomDifferential(4, 800, 100, 1, {0.0, 0.0});
  RunRandomDifferential(5, 800, 100, 300, {3.0, 1.0});
}

// Mostly long documents with short, high-scoring ones scattered, some exactly at the first
// posting of a block: whole blocks of long documents are skipped by their block-max bound, and
// the skip must land on the next block's first document, not past it.
TEST(InvertedIndexDifferentialTest, BlockSkippingOverLongDocuments) {
  const InvertedIndexOptions options = PlainOptions();
  InvertedIndex index(options);
  absl::StatusOr<Analyzer> analyzer = Analyzer::Create(options.analyzer);
  ASSERT_TRUE(analyzer.ok());
  BruteForceBm25 oracle(&*analyzer, options.bm25);
  std::mt19937_64 rng(6);
  const std::vector<std::string> queries = {"x", "x y", "y", "x y z", "z x", "y y x f7"};
  auto check = [&](const std::string& when) {
    for (const std::string& query : queries) {
      const auto truth = oracle.ScoreAll(query);
      for (int k : {1, 3, 10, 40}) {
        ExpectSameTopK(index.Search(query, k), BruteForceBm25::TopK(truth, k), truth,
                       when + " query '" + query + "' k " + std::to_string(k));
      }
    }
  };
  for (int d = 0; d < 2400; ++d) {
    const bool block_start = d % 128 == 0 && (d / 128) % 3 == 1;
    std::string text = "x ";
    if (block_start || rng() % 300 == 0) {
      if (rng() % 2 == 0) text += "y ";
      if (rng() % 3 == 0) text += "z ";
    } else {
      if (rng() % 2 == 0) text += "y ";
      if (rng() % 9 == 0) text += "z ";
      for (int w = 0; w < 30; ++w) text += "f" + std::to_string(rng() % 3000) + " ";
    }
    ASSERT_TRUE(index.AddDocument(d, text).ok());
    oracle.Add(d, text);
    if (d == 1500) check("with a mutable segment");
  }
  index.Compact();
  check("compacted");
  ASSERT_TRUE(index.RemoveDocument(128).ok());
  oracle.Remove(128);
  check("after removing a block-start document");
  EXPECT_TRUE(index.CheckInvariants().ok());
}

TEST(InvertedIndexSaveTest, RoundTripAfterRemovalsAndAdds) {
  InvertedIndexOptions options;
  options.analyzer.stopwords = {"zap", "Zop"};
  options.mutable_segment_max_postings = 50;
  InvertedIndex index(options);
  std::mt19937_64 rng(11);
  for (int d = 0; d < 400; ++d) {
    std::string text;
    for (int w = 0; w < 20; ++w) text += "word" + std::to_string(rng() % 120) + " zop ";
    ASSERT_TRUE(index.AddDocument(d * 3, text).ok());
  }
  for (int d = 0; d < 400; d += 7) ASSERT_TRUE(index.RemoveDocument(d * 3).ok());
  const std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                           "/inverted_index_roundtrip.idx";
  ASSERT_TRUE(index.Save(path).ok());
  absl::StatusOr<std::unique_ptr<InvertedIndex>> loaded = InvertedIndex::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE((*loaded)->CheckInvariants().ok());
  EXPECT_EQ((*loaded)->options().analyzer.stopwords, options.analyzer.stopwords);
  EXPECT_EQ((*loaded)->Stats().num_documents, index.Stats().num_documents);
  EXPECT_EQ((*loaded)->Stats().num_removed_documents, 0);
  EXPECT_EQ((*loaded)->Stats().num_terms, index.Stats().num_terms);
  for (int q = 0; q < 120; ++q) {
    const std::string query = "word" + std::to_string(q) + " word" + std::to_string(q * 13 % 120);
    EXPECT_EQ((*loaded)->Search(query, 20), index.Search(query, 20)) << query;
  }
  // The loaded index keeps working incrementally.
  ASSERT_TRUE((*loaded)->AddDocument(5000, "word1 word1 fresh").ok());
  EXPECT_EQ((*loaded)->AddDocument(3, "dup").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*loaded)->Search("fresh", 1)[0].first, 5000);
  EXPECT_TRUE((*loaded)->CheckInvariants().ok());
  // Serialization is deterministic: saving the loaded index again gives the same bytes.
  auto reloaded = InvertedIndex::Deserialize(index.Serialize());
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ((*reloaded)->Serialize(), index.Serialize());
  std::remove(path.c_str());
}

TEST(InvertedIndexSaveTest, CorruptionIsAnErrorNeverACrash) {
  InvertedIndex index;
  ASSERT_TRUE(index.AddDocument(1, "block max wand").ok());
  ASSERT_TRUE(index.AddDocument(2, "maxscore pruning block").ok());
  const std::string bytes = index.Serialize();
  ASSERT_TRUE(InvertedIndex::Deserialize(bytes).ok());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] ^= 0x5A;
    EXPECT_EQ(InvertedIndex::Deserialize(bad).status().code(), absl::StatusCode::kDataLoss) << i;
  }
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(InvertedIndex::Deserialize(bytes.substr(0, n)).status().code(),
              absl::StatusCode::kDataLoss)
        << n;
  }
  EXPECT_FALSE(InvertedIndex::Deserialize(bytes + "x").ok());
  std::string wrong_version = bytes;
  wrong_version[8] = 2;
  EXPECT_NE(InvertedIndex::Deserialize(wrong_version).status().message().find("version"),
            absl::string_view::npos);
  EXPECT_EQ(InvertedIndex::Load("/nonexistent/dir/index.idx").status().code(),
            absl::StatusCode::kNotFound);
  InvertedIndex unusable(InvertedIndexOptions{{}, {-1.0, 0.5}, 1});
  EXPECT_FALSE(unusable.Save("/tmp/never_written.idx").ok());
}

}  // namespace
}  // namespace llmds
