// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/testing/ir_collection.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "llmds/datasets/ir_collection.h"
#include "llmds/evaluation/ir_metrics.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace retrieval_testing {
namespace {

bool IsDir(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Scores one query's run with llmds' trec_eval-compatible evaluator.
QueryMetrics ScoreOne(const std::vector<std::pair<int64_t, double>>& run,
                      const absl::flat_hash_map<int64_t, int>& judged, int ndcg_k, int recall_k) {
  Qrels qrels;
  std::map<std::string, int>& grades = qrels["q"];
  for (const auto& [doc, grade] : judged) grades[absl::StrCat(doc)] = grade;
  Rankings rankings;
  auto& results = rankings["q"];
  for (const auto& [doc, score] : run) results.emplace_back(absl::StrCat(doc), score);
  IrMetricsOptions options;
  options.ndcg_cutoff = ndcg_k;
  options.recall_cutoff = recall_k;
  absl::StatusOr<IrEvaluation> evaluation = EvaluateRun(qrels, rankings, options);
  return evaluation.ok() ? evaluation->per_query.at("q") : QueryMetrics{};
}

}  // namespace

std::string FindSharedDataDir() {
  if (const char* env = getenv("LLMDS_SHARED_DATA"); env != nullptr && IsDir(env)) return env;
  if (IsDir("/work/shared/data")) return "/work/shared/data";
  const std::string marker = "retrieval/testing/ir_collection.h";
  std::vector<std::string> candidates = {marker};
  if (const char* srcdir = getenv("TEST_SRCDIR"); srcdir != nullptr) {
    candidates.push_back(absl::StrCat(srcdir, "/llmds/", marker));
  }
  for (const std::string& candidate : candidates) {
    char resolved[PATH_MAX];
    if (realpath(candidate.c_str(), resolved) == nullptr) continue;
    std::string path = resolved;
    if (path.size() > marker.size() &&
        path.compare(path.size() - marker.size(), marker.size(), marker) == 0) {
      const std::string dir = path.substr(0, path.size() - marker.size()) + "../shared/data";
      if (IsDir(dir)) return dir;
    }
  }
  return "";
}

absl::StatusOr<IrCollection> LoadIrCollection(const std::string& data_dir,
                                              const std::string& name) {
  std::string docs_file, queries_file, qrels_file, doc_fields = "TW";
  QrelsLayout layout;
  if (name == "cran") {
    docs_file = "cran.all.1400";
    queries_file = "cran.qry";
    qrels_file = "cranqrel";
    layout = QrelsLayout::kQueryDocGrade;
  } else if (name == "med") {
    docs_file = "MED.ALL";
    queries_file = "MED.QRY";
    qrels_file = "MED.REL";
    layout = QrelsLayout::kTrec;
  } else if (name == "cacm") {
    docs_file = "cacm.all";
    queries_file = "query.text";
    qrels_file = "qrels.text";
    doc_fields = "TWK";
    layout = QrelsLayout::kQueryDoc;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown or reserved collection ", name));
  }
  const std::string dir = absl::StrCat(data_dir, "/ir/", name, "/");
  IrCollection c;
  c.name = name;
  LLMDS_ASSIGN_OR_RETURN(const std::vector<SmartRecord> docs, ReadSmartFile(dir + docs_file));
  for (const SmartRecord& r : docs) {
    IrDocument d;
    if (!absl::SimpleAtoi(r.id, &d.id)) {
      return absl::DataLossError(absl::StrCat(name, ": bad document id ", r.id));
    }
    d.text = r.Text(doc_fields);
    c.documents.push_back(std::move(d));
  }
  LLMDS_ASSIGN_OR_RETURN(const std::vector<SmartRecord> queries,
                         ReadSmartFile(dir + queries_file));
  int position = 0;
  for (const SmartRecord& r : queries) {
    ++position;
    // Cranfield's qrels number queries by position, not by their .I label.
    c.queries.push_back({name == "cran" ? absl::StrCat(position) : r.id, r.Text("W")});
  }
  LLMDS_ASSIGN_OR_RETURN(const std::vector<Judgement> judgements,
                         ReadQrels(dir + qrels_file, layout));
  for (const Judgement& j : judgements) {
    int64_t doc;
    if (!absl::SimpleAtoi(j.doc_id, &doc)) {
      return absl::DataLossError(absl::StrCat(name, ": bad judged document id ", j.doc_id));
    }
    c.qrels[j.query_id][doc] = j.grade;
  }
  return c;
}

double NdcgAt(const std::vector<std::pair<int64_t, double>>& run,
              const absl::flat_hash_map<int64_t, int>& judged, int k) {
  return ScoreOne(run, judged, k, k).ndcg;
}

double RecallAt(const std::vector<std::pair<int64_t, double>>& run,
                const absl::flat_hash_map<int64_t, int>& judged, int k) {
  return ScoreOne(run, judged, k, k).recall;
}

}  // namespace retrieval_testing
}  // namespace llmds
