// Copyright 2026 The llmds Authors.

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "llmds/datasets/ir_collection.h"
#include "llmds/evaluation/ir_metrics.h"
#include "llmds/tools/commands.h"
#include "llmds/utils/file.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

absl::StatusOr<Qrels> LoadQrels(const std::string& path, const std::string& format) {
  if (format == "trec") {
    LLMDS_ASSIGN_OR_RETURN(const std::string contents, ReadFile(path));
    return ParseTrecQrels(contents, path);
  }
  QrelsLayout layout;
  if (format == "query-doc-grade") {
    layout = QrelsLayout::kQueryDocGrade;
  } else if (format == "query-doc") {
    layout = QrelsLayout::kQueryDoc;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--qrels_format must be trec, query-doc-grade or query-doc, got '", format, "'"));
  }
  LLMDS_ASSIGN_OR_RETURN(const std::vector<Judgement> judgements, ReadQrels(path, layout));
  Qrels qrels;
  for (const Judgement& j : judgements) qrels[j.query_id][j.doc_id] = j.grade;
  return qrels;
}

absl::Status RunEval(const cli::ParsedFlags& flags, std::ostream& out) {
  if (flags.Get("run").empty() || flags.Get("qrels").empty()) {
    return absl::InvalidArgumentError("--run and --qrels are required");
  }
  IrMetricsOptions options;
  LLMDS_ASSIGN_OR_RETURN(const int64_t ndcg_k, flags.GetIntInRange("ndcg_k", 1, 1 << 30));
  LLMDS_ASSIGN_OR_RETURN(const int64_t recall_k, flags.GetIntInRange("recall_k", 1, 1 << 30));
  LLMDS_ASSIGN_OR_RETURN(const int64_t mrr_k, flags.GetIntInRange("mrr_k", 1, 1 << 30));
  options.ndcg_cutoff = static_cast<int>(ndcg_k);
  options.recall_cutoff = static_cast<int>(recall_k);
  options.mrr_cutoff = static_cast<int>(mrr_k);
  LLMDS_ASSIGN_OR_RETURN(const Qrels qrels,
                         LoadQrels(flags.Get("qrels"), flags.Get("qrels_format")));
  LLMDS_ASSIGN_OR_RETURN(const std::string run_text, ReadFile(flags.Get("run")));
  LLMDS_ASSIGN_OR_RETURN(const Rankings run, ParseTrecRun(run_text, flags.Get("run")));
  LLMDS_ASSIGN_OR_RETURN(const IrEvaluation e, EvaluateRun(qrels, run, options));
  if (flags.IsSet("json")) {
    out << absl::StrFormat(
        "{\"queries\": %d, \"ndcg@%d\": %.6f, \"recall@%d\": %.6f, \"mrr@%d\": %.6f, "
        "\"map\": %.6f}\n",
        e.per_query.size(), options.ndcg_cutoff, e.mean.ndcg, options.recall_cutoff,
        e.mean.recall, options.mrr_cutoff, e.mean.mrr, e.mean.map);
    return absl::OkStatus();
  }
  cli::Table table({"metric", "value"});
  table.AddRow({"queries", absl::StrCat(e.per_query.size())});
  table.AddRow({absl::StrCat("nDCG@", options.ndcg_cutoff), absl::StrFormat("%.4f", e.mean.ndcg)});
  table.AddRow(
      {absl::StrCat("Recall@", options.recall_cutoff), absl::StrFormat("%.4f", e.mean.recall)});
  table.AddRow({absl::StrCat("MRR@", options.mrr_cutoff), absl::StrFormat("%.4f", e.mean.mrr)});
  table.AddRow({"MAP", absl::StrFormat("%.4f", e.mean.map)});
  table.Print(out, "");
  return absl::OkStatus();
}

}  // namespace

cli::Command EvalCommand() {
  cli::Command command;
  command.name = "eval";
  command.summary = "Score a TREC run file against qrels (trec_eval -c semantics)";
  command.usage = "llmds eval --run=FILE --qrels=FILE [--qrels_format=trec] [--json]";
  command.flags = {
      {"run", "TREC run file: qid iter docid rank score tag", false, ""},
      {"qrels", "relevance judgements", false, ""},
      {"qrels_format", "trec | query-doc-grade (Cranfield) | query-doc (CACM)", false, "trec"},
      {"ndcg_k", "cutoff of nDCG", false, "10"},
      {"recall_k", "cutoff of Recall", false, "100"},
      {"mrr_k", "cutoff of MRR", false, "10"},
      {"json", "print one JSON object", true, ""},
  };
  command.run = RunEval;
  return command;
}

}  // namespace llmds
