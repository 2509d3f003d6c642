// Copyright 2026 The llmds Authors.
//
// The retrieval half of `llmds demo`: BM25, dense and hybrid search over an IR test collection
// through RetrievalPipeline, scored with trec_eval semantics, with latency and memory.
//
// Dense vectors: llmds has no neural encoder, so documents and queries are embedded with LSI
// (embedding/lsi.h: a truncated SVD of the collection's TF-IDF matrix, over the same analyzed
// terms BM25 indexes). Users with real embeddings feed them to RetrievalPipeline directly.
//
// Collections (SMART format; see IrCollectionSpec): Cranfield, MED and CACM. Cranfield's grades
// are 1 (complete answer) .. 4 (minimum interest), and -1 (no interest); they are read as linear
// gains 4 .. 1 (gain = 5 - grade), -1 as not relevant. MED's and CACM's judgements are binary.

#ifndef LLMDS_TOOLS_RETRIEVAL_REPORT_H_
#define LLMDS_TOOLS_RETRIEVAL_REPORT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "llmds/datasets/ir_collection.h"

namespace llmds {

// Where a collection's files are and how to read them.
struct IrCollectionSpec {
  std::string name;
  std::string documents;   // SMART file
  std::string queries;     // SMART file (.W is the query text)
  std::string qrels;
  QrelsLayout qrels_layout = QrelsLayout::kTrec;
  std::string document_fields = "TW";
  bool query_ids_by_position = false;  // qrels number queries 1, 2, ... (Cranfield)
  bool cranfield_grades = false;       // gain = 5 - grade for grades 1..4
};

// Returns the spec of "cran", "med" or "cacm" with its files under `dir` (the layout of the
// Glasgow/SMART distributions: cran.all.1400, MED.ALL, cacm.all, ...). InvalidArgument otherwise.
absl::StatusOr<IrCollectionSpec> KnownIrCollection(const std::string& name, const std::string& dir);

struct RetrievalReportOptions {
  IrCollectionSpec collection;
  int32_t lsi_dimensions = 128;
  int32_t max_queries = 0;      // 0: all
};

struct RetrievalModeReport {
  std::string name;
  double ndcg_at_10 = 0;
  double recall_at_100 = 0;
  double latency_p50_ms = 0, latency_p95_ms = 0, latency_p99_ms = 0;
  double queries_per_second = 0;
};

struct RetrievalReport {
  int64_t documents = 0;
  int64_t queries = 0;
  double embed_seconds = 0;      // LSI fit + query embedding
  double index_seconds = 0;      // building the pipeline (BM25 + HNSW)
  int64_t lexical_index_bytes = 0;
  int64_t dense_index_bytes = 0;
  std::vector<RetrievalModeReport> modes;
  // The hybrid query set asked a third time with the result cache on: every query is hot.
  double cached_hit_rate = 0;
  double cached_latency_p50_ms = 0;
};

// Runs every mode over the collection. Errors: the readers' errors naming the file.
absl::StatusOr<RetrievalReport> RunRetrievalReport(const RetrievalReportOptions& options);

// Writes the per-mode table and the memory/cache lines, each line prefixed by `indent`.
void PrintRetrievalReport(const RetrievalReport& report, std::ostream& out,
                          const std::string& indent);
// Returns the report as one JSON object.
std::string RetrievalReportJson(const RetrievalReport& report, const std::string& collection);

}  // namespace llmds

#endif  // LLMDS_TOOLS_RETRIEVAL_REPORT_H_
