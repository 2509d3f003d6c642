// Copyright 2026 The llmds Authors.
//
// Test-only readers for the classic IR test collections in the shared data directory
// (cran, med, cacm; SMART `.I`/`.T`/`.W` records, CRLF tolerated) and a trec_eval-compatible
// evaluator (nDCG@k, Recall@k). Never use the reserved sets (cisi, vaswani, lisa).

#ifndef LLMDS_RETRIEVAL_TESTING_IR_COLLECTION_H_
#define LLMDS_RETRIEVAL_TESTING_IR_COLLECTION_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace llmds {
namespace retrieval_testing {

struct IrDocument {
  int64_t id = 0;
  std::string text;
};

struct IrQuery {
  std::string id;  // as used by the collection's qrels (Cranfield: position 1..225)
  std::string text;
};

struct IrCollection {
  std::string name;
  std::vector<IrDocument> documents;
  std::vector<IrQuery> queries;
  // qrels[query id][doc id] = grade as written in the file.
  absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, int>> qrels;
};

// Returns the shared data directory: $LLMDS_SHARED_DATA, else /work/shared/data, else
// <workspace>/../shared/data where <workspace> is found by resolving the runfile
// `retrieval/testing/ir_collection.h` (tests list it in `data`). Empty if none exists.
std::string FindSharedDataDir();

// Loads "cran", "med" or "cacm" from <data_dir>/ir/<name>/. Documents keep the title and
// abstract fields (.T, .W; CACM also .K keywords).
absl::StatusOr<IrCollection> LoadIrCollection(const std::string& data_dir,
                                              const std::string& name);

// trec_eval semantics: the run is re-sorted by score descending, ties by doc id descending
// (string order); gains are the qrels grades (negative grades count as 0); queries without any
// result still count (score 0).
double NdcgAt(const std::vector<std::pair<int64_t, double>>& run,
              const absl::flat_hash_map<int64_t, int>& judged, int k);
double RecallAt(const std::vector<std::pair<int64_t, double>>& run,
                const absl::flat_hash_map<int64_t, int>& judged, int k);

}  // namespace retrieval_testing
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_TESTING_IR_COLLECTION_H_
