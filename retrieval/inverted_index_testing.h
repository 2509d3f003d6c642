// Copyright 2026 The llmds Authors.
//
// Test helpers for InvertedIndex: a brute-force BM25 scorer (the contract formula applied to
// every document) and a comparison of top-k answers.

#ifndef LLMDS_RETRIEVAL_INVERTED_INDEX_TESTING_H_
#define LLMDS_RETRIEVAL_INVERTED_INDEX_TESTING_H_

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"
#include "llmds/retrieval/analyzer.h"
#include "llmds/retrieval/inverted_index.h"

namespace llmds {

class BruteForceBm25 {
 public:
  using Result = std::vector<std::pair<int64_t, double>>;

  BruteForceBm25(const Analyzer* analyzer, Bm25Params params)
      : analyzer_(analyzer), params_(params) {}

  void Add(int64_t id, std::string_view text) {
    Doc& doc = docs_[id];
    for (const std::string& term : analyzer_->Analyze(text)) {
      if (doc.tf[term]++ == 0) ++df_[term];
      ++doc.length;
    }
    total_length_ += doc.length;
  }
  void Remove(int64_t id) {
    auto it = docs_.find(id);
    if (it == docs_.end()) return;
    for (const auto& [term, tf] : it->second.tf) --df_[term];
    total_length_ -= it->second.length;
    docs_.erase(it);
  }
  size_t size() const { return docs_.size(); }

  // Scores of every document containing a query term.
  std::map<int64_t, double> ScoreAll(std::string_view query) const {
    std::vector<std::pair<std::string, int>> slots;
    for (const std::string& term : analyzer_->Analyze(query)) {
      auto it = std::find_if(slots.begin(), slots.end(),
                             [&](const auto& s) { return s.first == term; });
      if (it == slots.end()) {
        slots.emplace_back(term, 1);
      } else {
        ++it->second;
      }
    }
    std::map<int64_t, double> scores;
    if (docs_.empty()) return scores;
    const double n = static_cast<double>(docs_.size());
    const double avgdl = static_cast<double>(total_length_) / n;
    std::vector<double> idf(slots.size());
    for (size_t s = 0; s < slots.size(); ++s) {
      auto it = df_.find(slots[s].first);
      const double df = it == df_.end() ? 0.0 : it->second;
      idf[s] = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    }
    const double k1 = params_.k1;
    const double b = params_.b;
    for (const auto& [id, doc] : docs_) {
      double score = 0;
      bool any = false;
      for (size_t s = 0; s < slots.size(); ++s) {
        auto it = doc.tf.find(slots[s].first);
        if (it == doc.tf.end()) continue;
        any = true;
        const double tf = it->second;
        const double weight = static_cast<double>(slots[s].second) * idf[s];
        score += weight * (tf * (k1 + 1.0) /
                           (tf + k1 * (1.0 - b + b * static_cast<double>(doc.length) / avgdl)));
      }
      if (any) scores[id] = score;
    }
    return scores;
  }

  Result Search(std::string_view query, int k) const { return TopK(ScoreAll(query), k); }

  static Result TopK(const std::map<int64_t, double>& all, int k) {
    Result result(all.begin(), all.end());
    std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
      return a.second > b.second || (a.second == b.second && a.first < b.first);
    });
    if (static_cast<int>(result.size()) > k) result.resize(static_cast<size_t>(std::max(k, 0)));
    return result;
  }

 private:
  struct Doc {
    absl::flat_hash_map<std::string, int> tf;
    int length = 0;
  };
  const Analyzer* analyzer_;
  Bm25Params params_;
  std::map<int64_t, Doc> docs_;
  absl::flat_hash_map<std::string, int> df_;
  int64_t total_length_ = 0;
};

inline bool CloseRel(double a, double b, double rel) {
  return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b));
}

// Expects identical ids and scores within 1e-9 relative; at a position where the ids differ
// the two scores must tie (within 1e-12 relative: a different summation order), and every
// reported score must be the true score of its document.
inline void ExpectSameTopK(const BruteForceBm25::Result& actual,
                           const BruteForceBm25::Result& expected,
                           const std::map<int64_t, double>& truth, const std::string& context) {
  ASSERT_EQ(actual.size(), expected.size()) << context;
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_TRUE(CloseRel(actual[i].second, expected[i].second, 1e-9))
        << context << " rank " << i << ": " << actual[i].second << " vs " << expected[i].second;
    if (actual[i].first != expected[i].first) {
      EXPECT_TRUE(CloseRel(actual[i].second, expected[i].second, 1e-12))
          << context << " rank " << i << ": doc " << actual[i].first << " vs "
          << expected[i].first;
    }
    auto it = truth.find(actual[i].first);
    ASSERT_TRUE(it != truth.end()) << context << " doc " << actual[i].first << " scores 0";
    EXPECT_TRUE(CloseRel(actual[i].second, it->second, 1e-9)) << context;
    if (i > 0) {
      EXPECT_TRUE(actual[i - 1].second > actual[i].second ||
                  (actual[i - 1].second == actual[i].second &&
                   actual[i - 1].first < actual[i].first))
          << context << " not sorted at rank " << i;
    }
  }
}

}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_INVERTED_INDEX_TESTING_H_
