// Copyright 2026 The llmds Authors.

#include "llmds/evaluation/ir_metrics.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

// The test vector every trec_eval-compatible evaluator must reproduce.
TEST(EvaluateRunTest, ReproducesTheTrecEvalTestVector) {
  const Qrels qrels = {{"Q0", {{"D0", 0}, {"D1", 1}}}, {"Q1", {{"D0", 0}, {"D3", 2}}}};
  const Rankings run = {{"Q0", {{"D0", 1.2}, {"D1", 1.0}}}, {"Q1", {{"D0", 2.4}, {"D3", 3.6}}}};
  const IrEvaluation e = EvaluateRun(qrels, run).value();
  EXPECT_NEAR(e.mean.map, 0.75, 1e-12);
  EXPECT_NEAR(e.mean.ndcg, 0.8155, 5e-5);
  EXPECT_NEAR(e.mean.ndcg, (1.0 / std::log2(3.0) + 1.0) / 2, 1e-12);
  EXPECT_NEAR(e.mean.mrr, 0.75, 1e-12);
  EXPECT_NEAR(e.mean.recall, 1.0, 1e-12);
  EXPECT_NEAR(e.per_query.at("Q0").map, 0.5, 1e-12);
  EXPECT_NEAR(e.per_query.at("Q1").ndcg, 1.0, 1e-12);
}

TEST(EvaluateRunTest, TiesAreBrokenByDocIdDescending) {
  const Qrels qrels = {{"q", {{"a", 1}}}};
  // Equal scores: trec_eval ranks "b" before "a", so the relevant "a" is second.
  const Rankings run = {{"q", {{"a", 1.0}, {"b", 1.0}}}};
  const IrEvaluation e = EvaluateRun(qrels, run).value();
  EXPECT_NEAR(e.mean.mrr, 0.5, 1e-12);
  EXPECT_NEAR(e.mean.map, 0.5, 1e-12);
}

TEST(EvaluateRunTest, MissingQueriesScoreZeroAndExtraQueriesAreIgnored) {
  const Qrels qrels = {{"1", {{"d", 1}}}, {"2", {{"d", 1}}}};
  const Rankings run = {{"1", {{"d", 5.0}}}, {"99", {{"d", 1.0}}}};
  const IrEvaluation e = EvaluateRun(qrels, run).value();
  EXPECT_EQ(e.per_query.size(), 2u);
  EXPECT_NEAR(e.mean.map, 0.5, 1e-12);
  EXPECT_EQ(e.per_query.at("2").ndcg, 0.0);
}

TEST(EvaluateRunTest, QueriesWithoutRelevantDocumentsScoreZero) {
  const Qrels qrels = {{"q", {{"d", 0}, {"e", -1}}}};
  const Rankings run = {{"q", {{"d", 1.0}}}};
  const IrEvaluation e = EvaluateRun(qrels, run).value();
  EXPECT_EQ(e.mean.map, 0.0);
  EXPECT_EQ(e.mean.ndcg, 0.0);
}

TEST(EvaluateRunTest, CutoffsApply) {
  const Qrels qrels = {{"q", {{"r1", 1}, {"r2", 3}}}};
  Rankings run;
  for (int i = 0; i < 20; ++i) run["q"].push_back({absl::StrCat("n", i), 100.0 - i});
  run["q"].push_back({"r2", 50.0});  // rank 21
  run["q"].push_back({"r1", 49.0});  // rank 22
  IrMetricsOptions options;
  options.ndcg_cutoff = 10;
  options.recall_cutoff = 21;
  options.mrr_cutoff = 10;
  const IrEvaluation e = EvaluateRun(qrels, run, options).value();
  EXPECT_EQ(e.mean.ndcg, 0.0);
  EXPECT_EQ(e.mean.mrr, 0.0);
  EXPECT_NEAR(e.mean.recall, 0.5, 1e-12);
  EXPECT_NEAR(e.mean.map, (1.0 / 21 + 2.0 / 22) / 2, 1e-12);
}

TEST(EvaluateRunTest, GradedGainsAreLinear) {
  const Qrels qrels = {{"q", {{"a", 3}, {"b", 1}}}};
  const Rankings run = {{"q", {{"b", 2.0}, {"a", 1.0}}}};
  const IrEvaluation e = EvaluateRun(qrels, run).value();
  const double dcg = 1.0 / std::log2(2.0) + 3.0 / std::log2(3.0);
  const double ideal = 3.0 / std::log2(2.0) + 1.0 / std::log2(3.0);
  EXPECT_NEAR(e.mean.ndcg, dcg / ideal, 1e-12);
}

// Differential: random qrels and runs against a direct transcription of the definitions.
TEST(EvaluateRunTest, MatchesABruteForceModel) {
  std::mt19937 rng(17);
  for (int trial = 0; trial < 200; ++trial) {
    Qrels qrels;
    Rankings run;
    const int docs = 1 + static_cast<int>(rng() % 30);
    for (int d = 0; d < docs; ++d) {
      const std::string doc = absl::StrCat("d", d);
      if (rng() % 2) qrels["q"][doc] = static_cast<int>(rng() % 4) - 1;
      if (rng() % 3) run["q"].push_back({doc, static_cast<double>(rng() % 5)});
    }
    if (qrels.empty()) continue;
    IrMetricsOptions options;
    options.ndcg_cutoff = 1 + static_cast<int>(rng() % 10);
    options.recall_cutoff = 1 + static_cast<int>(rng() % 10);
    options.mrr_cutoff = 1 + static_cast<int>(rng() % 10);
    const QueryMetrics got = EvaluateRun(qrels, run, options).value().per_query.at("q");

    auto ranked = run["q"];
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.second > b.second || (a.second == b.second && a.first > b.first);
    });
    const auto& judged = qrels["q"];
    auto grade = [&](const std::string& doc) {
      return judged.count(doc) ? judged.at(doc) : 0;
    };
    int relevant = 0;
    for (const auto& [doc, g] : judged) relevant += g >= 1;
    QueryMetrics want;
    if (relevant > 0) {
      double hits = 0, ap = 0, dcg = 0;
      for (size_t i = 0; i < ranked.size(); ++i) {
        const int g = grade(ranked[i].first);
        if (g >= 1) {
          hits += 1;
          ap += hits / (i + 1);
          if (static_cast<int>(i) < options.recall_cutoff) want.recall += 1.0 / relevant;
          if (want.mrr == 0 && static_cast<int>(i) < options.mrr_cutoff) want.mrr = 1.0 / (i + 1);
        }
        if (static_cast<int>(i) < options.ndcg_cutoff && g > 0) dcg += g / std::log2(i + 2.0);
      }
      want.map = ap / relevant;
      std::vector<int> ideal;
      for (const auto& [doc, g] : judged) {
        if (g > 0) ideal.push_back(g);
      }
      std::sort(ideal.rbegin(), ideal.rend());
      double idcg = 0;
      for (size_t i = 0; i < ideal.size() && static_cast<int>(i) < options.ndcg_cutoff; ++i) {
        idcg += ideal[i] / std::log2(i + 2.0);
      }
      want.ndcg = idcg > 0 ? dcg / idcg : 0;
    }
    EXPECT_NEAR(got.map, want.map, 1e-12) << trial;
    EXPECT_NEAR(got.ndcg, want.ndcg, 1e-12) << trial;
    EXPECT_NEAR(got.recall, want.recall, 1e-12) << trial;
    EXPECT_NEAR(got.mrr, want.mrr, 1e-12) << trial;
  }
}

TEST(EvaluateRunTest, RejectsBadInput) {
  const Qrels qrels = {{"q", {{"a", 1}}}};
  IrMetricsOptions options;
  options.ndcg_cutoff = 0;
  EXPECT_EQ(EvaluateRun(qrels, {}, options).status().code(), absl::StatusCode::kInvalidArgument);
  const Rankings duplicate = {{"q", {{"a", 1.0}, {"a", 2.0}}}};
  const absl::Status status = EvaluateRun(qrels, duplicate).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("listed twice"), std::string::npos);
  const Rankings nan = {{"other", {{"a", std::numeric_limits<double>::quiet_NaN()}}}};
  EXPECT_EQ(EvaluateRun(qrels, nan).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FormatTrecRunTest, WritesRankedLines) {
  const Rankings run = {{"1", {{"d2", 0.5}, {"d9", 1.5}, {"d1", 0.5}}}};
  EXPECT_EQ(FormatTrecRun(run, "llmds").value(),
            "1 Q0 d9 1 1.5 llmds\n"
            "1 Q0 d2 2 0.5 llmds\n"
            "1 Q0 d1 3 0.5 llmds\n");
  EXPECT_FALSE(FormatTrecRun(run, "bad tag").ok());
  EXPECT_FALSE(FormatTrecRun({{"q 1", {{"d", 1.0}}}}, "t").ok());
}

TEST(ParseTrecRunTest, RoundTripsFormatTrecRun) {
  const Rankings run = {{"1", {{"d2", 0.5}, {"d9", 1.5}}}, {"2", {{"x", -3.25}}}};
  const std::string text = FormatTrecRun(run, "tag").value();
  const Rankings parsed = ParseTrecRun(text, "run.txt").value();
  EXPECT_EQ(parsed.at("1").size(), 2u);
  const Qrels qrels = {{"1", {{"d9", 1}}}, {"2", {{"x", 2}}}};
  EXPECT_NEAR(EvaluateRun(qrels, parsed).value().mean.map,
              EvaluateRun(qrels, run).value().mean.map, 1e-12);
}

TEST(ParseTrecRunTest, ErrorsNameTheLine) {
  for (const std::string bad : {"1 Q0 d 1 x tag", "1 Q0 d 1 nan tag", "1 Q0 d 1 2.0",
                                "1 Q0 d 1 2.0 t\n1 Q0 d 2 1.0 t"}) {
    const absl::Status status = ParseTrecRun("1 Q0 z 1 9 t\n" + bad, "run.txt").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("run.txt:"), std::string::npos) << status;
  }
}

TEST(ParseTrecQrelsTest, ReadsTheTrecLayout) {
  const Qrels qrels = ParseTrecQrels("Q0 0 D0 0\nQ0 0 D1 1\n", "q").value();
  EXPECT_EQ(qrels.at("Q0").at("D1"), 1);
  EXPECT_FALSE(ParseTrecQrels("Q0 0 D0\n", "q").ok());
}

}  // namespace
}  // namespace llmds
