// Copyright 2026 The llmds Authors.

#include "llmds/evaluation/ir_metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

using Ranked = std::vector<std::pair<std::string, double>>;

// Validates one query's results and returns them in trec_eval's order.
absl::StatusOr<Ranked> RankResults(const std::string& query, const Ranked& results) {
  std::set<std::string> seen;
  for (const auto& [doc, score] : results) {
    if (std::isnan(score)) {
      return absl::InvalidArgumentError(
          absl::StrCat("query ", query, ": NaN score for doc ", doc));
    }
    if (!seen.insert(doc).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("query ", query, ": doc ", doc, " is listed twice"));
    }
  }
  Ranked ranked = results;
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first > b.first;
  });
  return ranked;
}

QueryMetrics Score(const std::map<std::string, int>& judged, const Ranked& ranked,
                   const IrMetricsOptions& options) {
  QueryMetrics m;
  int relevant_total = 0;
  std::vector<int> gains;
  for (const auto& [doc, grade] : judged) {
    if (grade >= options.relevance_level) ++relevant_total;
    if (grade > 0) gains.push_back(grade);
  }
  if (relevant_total == 0) return m;

  auto grade_of = [&judged](const std::string& doc) {
    auto it = judged.find(doc);
    return it == judged.end() ? 0 : it->second;
  };
  double dcg = 0;
  int relevant_seen = 0;
  double precision_sum = 0;
  for (size_t i = 0; i < ranked.size(); ++i) {
    const int rank = static_cast<int>(i) + 1;
    const int grade = grade_of(ranked[i].first);
    if (rank <= options.ndcg_cutoff && grade > 0) dcg += grade / std::log2(rank + 1.0);
    if (grade >= options.relevance_level) {
      ++relevant_seen;
      precision_sum += static_cast<double>(relevant_seen) / rank;
      if (rank <= options.recall_cutoff) m.recall += 1.0;
      if (m.mrr == 0 && rank <= options.mrr_cutoff) m.mrr = 1.0 / rank;
    }
  }
  m.recall /= relevant_total;
  m.map = precision_sum / relevant_total;

  std::sort(gains.begin(), gains.end(), std::greater<int>());
  double ideal = 0;
  for (size_t i = 0; i < gains.size() && static_cast<int>(i) < options.ndcg_cutoff; ++i) {
    ideal += gains[i] / std::log2(static_cast<double>(i) + 2.0);
  }
  m.ndcg = ideal > 0 ? dcg / ideal : 0;
  return m;
}

}  // namespace

absl::StatusOr<IrEvaluation> EvaluateRun(const Qrels& qrels, const Rankings& run,
                                         const IrMetricsOptions& options) {
  for (const auto& [name, value] : {std::pair<const char*, int>{"ndcg_cutoff", options.ndcg_cutoff},
                                    {"recall_cutoff", options.recall_cutoff},
                                    {"mrr_cutoff", options.mrr_cutoff}}) {
    if (value <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be positive, got ", value));
    }
  }
  IrEvaluation evaluation;
  const Ranked empty;
  for (const auto& [query, judged] : qrels) {
    auto it = run.find(query);
    LLMDS_ASSIGN_OR_RETURN(const Ranked ranked,
                           RankResults(query, it == run.end() ? empty : it->second));
    evaluation.per_query[query] = Score(judged, ranked, options);
  }
  // Run queries outside the qrels are ignored, but still validated.
  for (const auto& [query, results] : run) {
    if (qrels.count(query) == 0) LLMDS_RETURN_IF_ERROR(RankResults(query, results).status());
  }
  if (!evaluation.per_query.empty()) {
    const double n = static_cast<double>(evaluation.per_query.size());
    for (const auto& [query, m] : evaluation.per_query) {
      evaluation.mean.ndcg += m.ndcg / n;
      evaluation.mean.recall += m.recall / n;
      evaluation.mean.mrr += m.mrr / n;
      evaluation.mean.map += m.map / n;
    }
  }
  return evaluation;
}

absl::StatusOr<std::string> FormatTrecRun(const Rankings& run, const std::string& tag) {
  auto check_token = [](const std::string& what, const std::string& token) -> absl::Status {
    if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " must be non-empty without whitespace: '", token, "'"));
    }
    return absl::OkStatus();
  };
  LLMDS_RETURN_IF_ERROR(check_token("tag", tag));
  std::string out;
  for (const auto& [query, results] : run) {
    LLMDS_RETURN_IF_ERROR(check_token("query id", query));
    LLMDS_ASSIGN_OR_RETURN(const Ranked ranked, RankResults(query, results));
    for (size_t i = 0; i < ranked.size(); ++i) {
      LLMDS_RETURN_IF_ERROR(check_token("doc id", ranked[i].first));
      absl::StrAppend(&out, query, " Q0 ", ranked[i].first, " ", i + 1, " ",
                      absl::StrFormat("%.9g", ranked[i].second), " ", tag, "\n");
    }
  }
  return out;
}

namespace {

// Calls `parse(columns, error)` for every non-blank line of whitespace-separated columns, where
// `error(what)` makes the InvalidArgument "<source>:<line>: <what>"; stops at the first error.
template <typename ParseColumns>
absl::Status ForEachColumnLine(std::string_view contents, std::string_view source,
                               ParseColumns parse) {
  int64_t number = 0;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(contents.data(), contents.size()), '\n')) {
    ++number;
    const std::vector<absl::string_view> columns =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (columns.empty()) continue;
    auto error = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(source), ":", number, ": ", what));
    };
    LLMDS_RETURN_IF_ERROR(parse(columns, error));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Rankings> ParseTrecRun(std::string_view contents, std::string_view source) {
  Rankings run;
  std::map<std::string, std::set<std::string>> seen;
  LLMDS_RETURN_IF_ERROR(ForEachColumnLine(
      contents, source, [&](const std::vector<absl::string_view>& columns, auto error) {
        if (columns.size() != 6) {
          return error(absl::StrCat("expected 6 columns (qid iter docid rank score tag), found ",
                                    columns.size()));
        }
        double score;
        if (!absl::SimpleAtod(columns[4], &score) || std::isnan(score)) {
          return error(absl::StrCat("bad score '", std::string(columns[4]), "'"));
        }
        const std::string query(columns[0]);
        const std::string doc(columns[2]);
        if (!seen[query].insert(doc).second) {
          return error(absl::StrCat("doc ", doc, " listed twice for query ", query));
        }
        run[query].emplace_back(doc, score);
        return absl::OkStatus();
      }));
  return run;
}

absl::StatusOr<Qrels> ParseTrecQrels(std::string_view contents, std::string_view source) {
  Qrels qrels;
  LLMDS_RETURN_IF_ERROR(ForEachColumnLine(
      contents, source, [&](const std::vector<absl::string_view>& columns, auto error) {
        int grade;
        if (columns.size() != 4 || !absl::SimpleAtoi(columns[3], &grade)) {
          return error("expected \"qid iter docid grade\"");
        }
        qrels[std::string(columns[0])][std::string(columns[2])] = grade;
        return absl::OkStatus();
      }));
  return qrels;
}

}  // namespace llmds
