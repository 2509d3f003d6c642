// Copyright 2026 The llmds Authors.
//
// Reader for JSONL document corpora, the common interchange format of retrieval toolkits: one
// JSON object per line with an `id` (string or integer) and a `text` string; an optional
// `title` string is prepended to the text. Other keys are ignored.
//
//   {"id": "doc-17", "title": "Wing flutter", "text": "An experimental study of ..."}
//
//   LLMDS_ASSIGN_OR_RETURN(std::vector<CorpusDocument> docs, ReadJsonlCorpus("corpus.jsonl"));
//
// Malformed input (bad JSON, a missing id or text, a duplicate id) is an InvalidArgument error
// naming the source and 1-based line. Blank lines are skipped.

#ifndef LLMDS_DATASETS_CORPUS_H_
#define LLMDS_DATASETS_CORPUS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace llmds {

struct CorpusDocument {
  std::string id;    // integers are kept in their decimal form
  std::string text;  // title + "\n" + text when a title is present
};

absl::StatusOr<std::vector<CorpusDocument>> ParseJsonlCorpus(std::string_view contents,
                                                             std::string_view source);
absl::StatusOr<std::vector<CorpusDocument>> ReadJsonlCorpus(std::string_view path);

}  // namespace llmds

#endif  // LLMDS_DATASETS_CORPUS_H_
