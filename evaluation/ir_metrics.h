// Copyright 2026 The llmds Authors.
//
// Retrieval quality metrics with trec_eval's semantics, so figures computed by llmds compare
// with published ones: nDCG@k with linear gains, Recall@k, MRR@k, and MAP.
//
//   Qrels qrels = ...;   // query id -> doc id -> grade
//   Rankings run = ...;   // query id -> (doc id, score) pairs, any order
//   LLMDS_ASSIGN_OR_RETURN(IrEvaluation e, EvaluateRun(qrels, run));
//   std::printf("nDCG@10 %.4f  MAP %.4f\n", e.mean.ndcg, e.mean.map);
//
// Semantics (trec_eval 9.x with -c):
// - Each query's results are re-sorted by score descending, ties broken by doc id descending
//   (string order), whatever order the run lists them in. Duplicate doc ids in one query's
//   results are an error.
// - A document is relevant when its grade >= relevance_level (Default: 1). nDCG gains are the
//   raw grades (grades <= 0 gain nothing); the ideal ranking sorts the judged grades.
// - Averages are over every query in the qrels (with -c): a query absent from the run scores 0.
//   A query whose judgements hold no relevant document scores 0 on every metric. Run queries
//   absent from the qrels are ignored.

#ifndef LLMDS_EVALUATION_IR_METRICS_H_
#define LLMDS_EVALUATION_IR_METRICS_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace llmds {

// query id -> doc id -> grade.
using Qrels = std::map<std::string, std::map<std::string, int>>;
// query id -> (doc id, score).
using Rankings = std::map<std::string, std::vector<std::pair<std::string, double>>>;

struct IrMetricsOptions {
  int ndcg_cutoff = 10;     // nDCG@k (trec_eval ndcg_cut_k)
  int recall_cutoff = 100;  // Recall@k (trec_eval recall_k)
  int mrr_cutoff = 10;      // MRR@k: reciprocal rank of the first relevant doc within the top k
  int relevance_level = 1;  // grade >= this is relevant
};

struct QueryMetrics {
  double ndcg = 0;
  double recall = 0;
  double mrr = 0;
  double map = 0;  // average precision over the whole ranked list (trec_eval map)
};

struct IrEvaluation {
  QueryMetrics mean;
  std::map<std::string, QueryMetrics> per_query;  // every query in the qrels
};

// Evaluates `run` against `qrels`.
// Errors: InvalidArgument for a non-positive cutoff, a NaN score, or a doc id listed twice for
// one query (named in the message).
absl::StatusOr<IrEvaluation> EvaluateRun(const Qrels& qrels, const Rankings& run,
                                         const IrMetricsOptions& options = {});

// Returns `run` in TREC run format ("qid Q0 docid rank score tag" per line), each query's
// results in trec_eval's order. Errors: as EvaluateRun for NaN scores and duplicates, and
// InvalidArgument for ids or a tag that contain whitespace or are empty.
absl::StatusOr<std::string> FormatTrecRun(const Rankings& run, const std::string& tag);

// Parses a TREC run ("qid iter docid rank score tag" per line; iter and rank are ignored, as
// trec_eval ignores them). `source` names the input in errors.
// Errors: InvalidArgument naming the line for a wrong column count, a non-numeric or NaN
// score, or a doc id repeated within one query.
absl::StatusOr<Rankings> ParseTrecRun(std::string_view contents, std::string_view source);

// Parses qrels in TREC layout ("qid iter docid grade") into Qrels.
absl::StatusOr<Qrels> ParseTrecQrels(std::string_view contents, std::string_view source);

}  // namespace llmds

#endif  // LLMDS_EVALUATION_IR_METRICS_H_
