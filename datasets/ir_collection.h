// Copyright 2026 The llmds Authors.
//
// Readers for classic information-retrieval test collections: documents and queries in the
// SMART format shared by Cranfield, MED, CACM, CISI, ADI, LISA and TIME, and relevance
// judgements (qrels) in the two layouts those collections use.
//
// SMART format: a record starts at a line `.I <id>`; a line `.X` (a dot and one letter, e.g.
// `.T` title, `.A` authors, `.W` text) starts field X; other lines belong to the current field.
// CRLF line endings are accepted.
//
//   LLMDS_ASSIGN_OR_RETURN(std::vector<SmartRecord> docs,
//                          ReadSmartFile("data/cranfield/cran.all.1400"));
//   std::string text = docs[0].Text("TW");   // title + abstract
//
// Malformed input is an InvalidArgument error naming the source and 1-based line.

#ifndef LLMDS_DATASETS_IR_COLLECTION_H_
#define LLMDS_DATASETS_IR_COLLECTION_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace llmds {

struct SmartRecord {
  std::string id;  // as written after `.I`, trimmed
  std::vector<std::pair<char, std::string>> fields;  // in file order; text joined by '\n'

  // Returns the text of the fields whose letters are in `letters`, in file order, separated by
  // newlines (e.g. Text("TW") is title then abstract).
  std::string Text(std::string_view letters = "TW") const;
};

// Parses SMART-format `contents`; `source` names it in errors.
absl::StatusOr<std::vector<SmartRecord>> ParseSmartFile(std::string_view contents,
                                                        std::string_view source);
absl::StatusOr<std::vector<SmartRecord>> ReadSmartFile(std::string_view path);

struct Judgement {
  std::string query_id;
  std::string doc_id;
  int grade = 0;
};

enum class QrelsLayout {
  kTrec,           // "qid iteration docid grade" (TREC; MED.REL)
  kQueryDocGrade,  // "qid docid grade [ignored...]" (Cranfield's cranqrel)
  kQueryDoc,       // "qid docid [ignored...]": every listed pair is relevant, grade 1 (CACM's
                   // qrels.text, whose two trailing columns are always 0)
};

// Parses qrels `contents` in `layout`. Blank lines are skipped; ids are kept as written except
// that leading zeros of numeric ids are removed ("01" -> "1"), so they match `.I` numbers.
absl::StatusOr<std::vector<Judgement>> ParseQrels(std::string_view contents, QrelsLayout layout,
                                                  std::string_view source);
absl::StatusOr<std::vector<Judgement>> ReadQrels(std::string_view path, QrelsLayout layout);

}  // namespace llmds

#endif  // LLMDS_DATASETS_IR_COLLECTION_H_
