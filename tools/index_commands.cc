// Copyright 2026 The llmds Authors.
//
// `llmds index` builds a RetrievalPipeline from a corpus and saves it; `llmds search` answers
// queries from a saved one, as a table, JSON or a TREC run file (for `llmds eval`).

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "llmds/datasets/corpus.h"
#include "llmds/datasets/ir_collection.h"
#include "llmds/datasets/vectors.h"
#include "llmds/evaluation/ir_metrics.h"
#include "llmds/retrieval/retrieval_pipeline.h"
#include "llmds/tools/commands.h"
#include "llmds/utils/file.h"
#include "llmds/utils/status_macros.h"
#include "llmds/utils/timer.h"

namespace llmds {
namespace {

struct Document {
  int64_t id;
  std::string text;
};

absl::StatusOr<std::vector<Document>> LoadCorpus(const std::string& path, const std::string& format,
                                                 bool positional_ids) {
  std::vector<std::pair<std::string, std::string>> raw;  // (id, text)
  if (format == "jsonl") {
    LLMDS_ASSIGN_OR_RETURN(const std::vector<CorpusDocument> docs, ReadJsonlCorpus(path));
    for (const CorpusDocument& d : docs) raw.emplace_back(d.id, d.text);
  } else if (format == "smart") {
    LLMDS_ASSIGN_OR_RETURN(const std::vector<SmartRecord> docs, ReadSmartFile(path));
    for (const SmartRecord& d : docs) raw.emplace_back(d.id, d.Text("TW"));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--format must be jsonl or smart, got '", format, "'"));
  }
  std::vector<Document> documents;
  for (size_t i = 0; i < raw.size(); ++i) {
    Document doc{static_cast<int64_t>(i), std::move(raw[i].second)};
    if (!positional_ids && !absl::SimpleAtoi(raw[i].first, &doc.id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": document id '", raw[i].first,
          "' is not an integer; pass --positional_ids to number documents 0, 1, ... instead"));
    }
    documents.push_back(std::move(doc));
  }
  return documents;
}

absl::Status RunIndex(const cli::ParsedFlags& flags, std::ostream& out) {
  if (flags.Get("corpus").empty() || flags.Get("out").empty()) {
    return absl::InvalidArgumentError("--corpus and --out are required");
  }
  Timer timer;
  LLMDS_ASSIGN_OR_RETURN(
      const std::vector<Document> documents,
      LoadCorpus(flags.Get("corpus"), flags.Get("format"), flags.IsSet("positional_ids")));
  VectorSet embeddings;
  RetrievalPipelineOptions options;
  if (!flags.Get("embeddings").empty()) {
    LLMDS_ASSIGN_OR_RETURN(embeddings, ReadVectors(flags.Get("embeddings")));
    if (embeddings.count != static_cast<int64_t>(documents.size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          flags.Get("embeddings"), " has ", embeddings.count, " vectors for ", documents.size(),
          " documents (row i must embed document i)"));
    }
    options.embedding_dim = embeddings.dim;
  }
  LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<RetrievalPipeline> pipeline,
                         RetrievalPipeline::Create(options));
  {
    cli::Progress progress("indexing", static_cast<int64_t>(documents.size()));
    for (size_t i = 0; i < documents.size(); ++i) {
      absl::Span<const float> embedding;
      if (embeddings.count > 0) embedding = embeddings.row(static_cast<int64_t>(i));
      LLMDS_RETURN_IF_ERROR(pipeline->AddDocument(documents[i].id, documents[i].text, embedding));
      progress.Update(static_cast<int64_t>(i + 1));
    }
  }
  LLMDS_RETURN_IF_ERROR(pipeline->Save(flags.Get("out")));
  const PipelineStats stats = pipeline->Stats();
  out << absl::StrFormat(
      "indexed %d documents (%d with embeddings) in %.2f s: %s (BM25 %.2f MiB, HNSW %.2f MiB)\n",
      stats.num_documents, stats.num_embedded_documents, timer.elapsed(), flags.Get("out"),
      stats.lexical_index_bytes / 1048576.0, stats.dense_index_bytes / 1048576.0);
  return absl::OkStatus();
}

absl::Status RunSearch(const cli::ParsedFlags& flags, std::ostream& out) {
  if (flags.Get("index").empty()) return absl::InvalidArgumentError("--index is required");
  const bool single = flags.IsSet("query");
  if (single == flags.IsSet("queries")) {
    return absl::InvalidArgumentError("pass exactly one of --query=TEXT or --queries=FILE");
  }
  LLMDS_ASSIGN_OR_RETURN(const int64_t k, flags.GetIntInRange("k", 1, 1 << 20));
  LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<RetrievalPipeline> pipeline,
                         RetrievalPipeline::Load(flags.Get("index")));
  std::vector<std::pair<std::string, std::string>> queries;  // (id, text)
  if (single) {
    queries.emplace_back("1", flags.Get("query"));
  } else {
    LLMDS_ASSIGN_OR_RETURN(const std::vector<SmartRecord> records,
                           ReadSmartFile(flags.Get("queries")));
    for (size_t i = 0; i < records.size(); ++i) {
      // Numbered by position, as Cranfield's qrels number them; --query_ids=smart keeps .I.
      queries.emplace_back(flags.Get("query_ids") == "smart" ? records[i].id : absl::StrCat(i + 1),
                           records[i].Text("W"));
    }
  }
  Rankings run;
  {
    cli::Progress progress("searching", static_cast<int64_t>(queries.size()));
    for (size_t i = 0; i < queries.size(); ++i) {
      LLMDS_ASSIGN_OR_RETURN(const RetrievalPipeline::Result results,
                             pipeline->Search(queries[i].second, {}, static_cast<int>(k)));
      auto& ranked = run[queries[i].first];
      for (const auto& [doc, score] : results) ranked.emplace_back(absl::StrCat(doc), score);
      progress.Update(static_cast<int64_t>(i + 1));
    }
  }
  if (!flags.Get("run_out").empty()) {
    LLMDS_ASSIGN_OR_RETURN(const std::string text, FormatTrecRun(run, "llmds"));
    LLMDS_RETURN_IF_ERROR(WriteFileAtomically(flags.Get("run_out"), text));
    out << "wrote " << queries.size() << " queries' results to " << flags.Get("run_out") << "\n";
    return absl::OkStatus();
  }
  for (const auto& [query, results] : run) {
    if (flags.IsSet("json")) {
      out << "{\"query\": " << cli::JsonString(query) << ", \"results\": [";
      for (size_t i = 0; i < results.size(); ++i) {
        out << (i ? ", " : "") << "{\"doc\": " << results[i].first
            << absl::StrFormat(", \"score\": %.6f}", results[i].second);
      }
      out << "]}\n";
      continue;
    }
    cli::Table table({"rank", "doc", "score"});
    for (size_t i = 0; i < results.size(); ++i) {
      table.AddRow({absl::StrCat(i + 1), results[i].first, absl::StrFormat("%.4f", results[i].second)});
    }
    table.Print(out, "");
  }
  return absl::OkStatus();
}

}  // namespace

cli::Command IndexCommand() {
  cli::Command command;
  command.name = "index";
  command.summary = "Build a BM25 (+ optional HNSW) retrieval index from a corpus and save it";
  command.usage =
      "llmds index --corpus=FILE --out=FILE [--format=jsonl|smart] [--embeddings=FILE]";
  command.flags = {
      {"corpus", "JSONL ({\"id\", \"text\"}) or SMART-format corpus", false, ""},
      {"format", "jsonl | smart", false, "jsonl"},
      {"out", "where to save the index", false, ""},
      {"embeddings", "document vectors (.fvecs, .npy, IDX, .tsv; row i = document i)", false, ""},
      {"positional_ids", "number documents 0, 1, ... instead of using their ids", true, ""},
  };
  command.run = RunIndex;
  return command;
}

cli::Command SearchCommand() {
  cli::Command command;
  command.name = "search";
  command.summary = "Search a saved index (lexical); print results or write a TREC run";
  command.usage =
      "llmds search --index=FILE (--query=TEXT | --queries=FILE [--run_out=FILE]) [--k=10]";
  command.flags = {
      {"index", "an index written by `llmds index`", false, ""},
      {"query", "one query", false, ""},
      {"queries", "SMART-format query file (.I/.W)", false, ""},
      {"query_ids", "position (1, 2, ...) | smart (the .I numbers)", false, "position"},
      {"k", "results per query", false, "10"},
      {"run_out", "write a TREC run file instead of printing", false, ""},
      {"json", "one JSON object per query", true, ""},
  };
  command.run = RunSearch;
  return command;
}

}  // namespace llmds
