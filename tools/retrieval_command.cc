// Copyright 2026 The llmds Authors.
//
// `llmds retrieval`: the retrieval report of `llmds demo` (BM25, dense, hybrid through
// RetrievalPipeline, trec_eval metrics, latency, memory) on any of the classic collections.

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "llmds/tools/commands.h"
#include "llmds/tools/retrieval_report.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

absl::Status RunRetrieval(const cli::ParsedFlags& flags, std::ostream& out) {
  if (flags.Get("dir").empty()) return absl::InvalidArgumentError("--dir is required");
  RetrievalReportOptions options;
  LLMDS_ASSIGN_OR_RETURN(options.collection,
                         KnownIrCollection(flags.Get("collection"), flags.Get("dir")));
  LLMDS_ASSIGN_OR_RETURN(const int64_t dimensions,
                         flags.GetIntInRange("lsi_dimensions", 1, 4096));
  options.lsi_dimensions = static_cast<int32_t>(dimensions);
  LLMDS_ASSIGN_OR_RETURN(const RetrievalReport report, RunRetrievalReport(options));
  if (flags.IsSet("json")) {
    out << RetrievalReportJson(report, flags.Get("collection")) << "\n";
    return absl::OkStatus();
  }
  out << flags.Get("collection") << ": " << report.documents << " documents, " << report.queries
      << " queries\n";
  PrintRetrievalReport(report, out, "");
  return absl::OkStatus();
}

}  // namespace

cli::Command RetrievalCommand() {
  cli::Command command;
  command.name = "retrieval";
  command.summary = "BM25, dense (LSI) and hybrid retrieval quality and speed on an IR collection";
  command.usage = "llmds retrieval --collection=cran|med|cacm --dir=DIR [--json]";
  command.flags = {
      {"collection", "cran | med | cacm", false, "cran"},
      {"dir", "directory with the collection's SMART files (e.g. data/cranfield)", false, ""},
      {"lsi_dimensions", "dimensions of the LSI vectors", false, "128"},
      {"json", "print one JSON object", true, ""},
  };
  command.run = RunRetrieval;
  return command;
}

}  // namespace llmds
