// Copyright 2026 The llmds Authors.

#include "llmds/embedding/lsi.h"

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

using Docs = std::vector<std::vector<std::string>>;

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

Docs RandomCorpus(int docs, int vocabulary, int length, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Docs corpus(docs);
  for (auto& doc : corpus) {
    for (int i = 0; i < length; ++i) doc.push_back(absl::StrCat("t", rng() % vocabulary));
  }
  return corpus;
}

// The weighted, column-normalized matrix of the header's definition, built independently.
std::map<std::string, std::vector<double>> WeightedColumns(const Docs& docs) {
  std::map<std::string, int> df;
  for (const auto& doc : docs) {
    std::map<std::string, int> tf;
    for (const auto& t : doc) ++tf[t];
    for (const auto& [t, c] : tf) ++df[t];
  }
  std::map<std::string, std::vector<double>> rows;
  for (const auto& [t, d] : df) rows[t].assign(docs.size(), 0.0);
  for (size_t j = 0; j < docs.size(); ++j) {
    std::map<std::string, int> tf;
    for (const auto& t : docs[j]) ++tf[t];
    double norm = 0;
    for (const auto& [t, c] : tf) {
      const double w = (1 + std::log(c)) * std::log(double(docs.size()) / df[t]);
      rows[t][j] = w;
      norm += w * w;
    }
    for (const auto& [t, c] : tf) rows[t][j] /= norm > 0 ? std::sqrt(norm) : 1;
  }
  return rows;
}

TEST(LsiTest, FullRankModelReproducesTheDocumentsExactly) {
  const Docs docs = RandomCorpus(12, 40, 15, 1);
  LsiOptions options;
  options.dimensions = 12;  // the rank of the 40 x 12 matrix
  options.power_iterations = 2;
  const LsiModel lsi = LsiModel::Fit(docs, options).value();
  EXPECT_EQ(lsi.dimensions(), 12);
  for (int j = 0; j < 12; ++j) {
    // Folding a training document back in lands on its own vector.
    EXPECT_NEAR(Dot(lsi.DocumentVector(j), lsi.Embed(docs[j])), 1.0, 1e-5) << j;
  }
}

TEST(LsiTest, SingularValuesAccountForTheFrobeniusNormAtFullRank) {
  const Docs docs = RandomCorpus(10, 30, 12, 2);
  LsiOptions options;
  options.dimensions = 10;
  const LsiModel lsi = LsiModel::Fit(docs, options).value();
  double frobenius = 0;
  for (const auto& [term, row] : WeightedColumns(docs)) {
    for (double x : row) frobenius += x * x;
  }
  double sum = 0;
  for (double s : lsi.singular_values()) sum += s * s;
  EXPECT_NEAR(sum, frobenius, 1e-8 * frobenius);
  for (size_t i = 1; i < lsi.singular_values().size(); ++i) {
    EXPECT_GE(lsi.singular_values()[i - 1], lsi.singular_values()[i]);
  }
}

TEST(LsiTest, LeadingSingularValueMatchesPowerIterationOnTheExplicitMatrix) {
  const Docs docs = RandomCorpus(60, 200, 30, 3);
  const auto rows = WeightedColumns(docs);
  // sigma_1^2 is the top eigenvalue of A^T A: plain power iteration on the explicit matrix.
  std::vector<double> v(docs.size(), 1.0);
  double lambda = 0;
  for (int it = 0; it < 2000; ++it) {
    std::vector<double> av(docs.size(), 0.0);
    for (const auto& [t, row] : rows) {
      double r = 0;
      for (size_t j = 0; j < v.size(); ++j) r += row[j] * v[j];
      for (size_t j = 0; j < v.size(); ++j) av[j] += row[j] * r;
    }
    double norm = 0;
    for (double x : av) norm += x * x;
    norm = std::sqrt(norm);
    lambda = norm;
    for (size_t j = 0; j < v.size(); ++j) v[j] = av[j] / norm;
  }
  LsiOptions options;
  options.dimensions = 8;
  const LsiModel lsi = LsiModel::Fit(docs, options).value();
  EXPECT_NEAR(lsi.singular_values()[0], std::sqrt(lambda), 1e-6);
}

TEST(LsiTest, SameSeedSameVectors) {
  const Docs docs = RandomCorpus(80, 300, 20, 4);
  LsiOptions options;
  options.dimensions = 16;
  const LsiModel a = LsiModel::Fit(docs, options).value();
  const LsiModel b = LsiModel::Fit(docs, options).value();
  for (int j = 0; j < 80; ++j) EXPECT_EQ(a.DocumentVector(j), b.DocumentVector(j));
  EXPECT_EQ(a.Embed(docs[3]), b.Embed(docs[3]));
}

TEST(LsiTest, RelatedDocumentsAreCloserThanUnrelatedOnes) {
  Docs docs;
  for (int i = 0; i < 20; ++i) {
    docs.push_back({"wing", "lift", "airfoil", absl::StrCat("w", i)});
    docs.push_back({"heat", "boundary", "layer", absl::StrCat("h", i)});
  }
  LsiOptions options;
  options.dimensions = 4;
  const LsiModel lsi = LsiModel::Fit(docs, options).value();
  const std::vector<float> query = lsi.Embed({"lift", "airfoil"});
  EXPECT_GT(Dot(query, lsi.DocumentVector(0)), Dot(query, lsi.DocumentVector(1)) + 0.5);
}

TEST(LsiTest, UnknownTermsAndEmptyDocumentsGiveZeroVectors) {
  const LsiModel lsi = LsiModel::Fit({{"a", "b"}, {}, {"b", "c"}}).value();
  const std::vector<float> unknown = lsi.Embed({"zzz"});
  EXPECT_EQ(Dot(unknown, unknown), 0.0);
  const std::vector<float> empty_doc = lsi.DocumentVector(1);
  EXPECT_EQ(Dot(empty_doc, empty_doc), 0.0);
  EXPECT_LE(lsi.dimensions(), 3);
}

TEST(LsiTest, RejectsBadInput) {
  EXPECT_EQ(LsiModel::Fit({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LsiModel::Fit({{}, {}}).status().code(), absl::StatusCode::kInvalidArgument);
  LsiOptions options;
  options.dimensions = 0;
  EXPECT_FALSE(LsiModel::Fit({{"a"}}, options).ok());
  options.dimensions = 4;
  options.power_iterations = -1;
  EXPECT_FALSE(LsiModel::Fit({{"a"}}, options).ok());
  options.power_iterations = 2;
  options.oversampling = -3;
  EXPECT_FALSE(LsiModel::Fit({{"a"}}, options).ok());
}

}  // namespace
}  // namespace llmds
