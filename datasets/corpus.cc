// Copyright 2026 The llmds Authors.

#include "llmds/datasets/corpus.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "llmds/datasets/internal/json_cursor.h"
#include "llmds/datasets/internal/lines.h"
#include "llmds/utils/file.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

using datasets_internal::ForEachLine;
using datasets_internal::IsBlank;
using datasets_internal::LineError;

absl::Status ParseLine(std::string_view line, std::string_view source, int64_t number,
                       CorpusDocument* document) {
  datasets_internal::JsonCursor cursor(line);
  if (!cursor.Consume('{')) return LineError(source, number, "expected a JSON object");
  bool has_id = false, has_text = false;
  std::string title;
  if (!cursor.Consume('}')) {
    while (true) {
      std::string key;
      if (!cursor.ReadString(&key) || !cursor.Consume(':')) {
        return LineError(source, number, "expected \"key\": value");
      }
      bool ok;
      if (key == "id" || key == "_id") {
        if (cursor.Peek() == '"') {
          ok = cursor.ReadString(&document->id);
        } else {
          int64_t id;
          ok = cursor.ReadInt(&id);
          if (ok) document->id = absl::StrCat(id);
        }
        has_id = true;
      } else if (key == "text" || key == "contents") {
        ok = cursor.ReadString(&document->text);
        has_text = true;
      } else if (key == "title") {
        ok = cursor.Peek() == 'n' ? cursor.SkipValue() : cursor.ReadString(&title);
      } else {
        ok = cursor.SkipValue();
      }
      if (!ok) {
        return LineError(source, number, absl::StrCat("malformed value for key \"", key, "\""));
      }
      if (cursor.Consume('}')) break;
      if (!cursor.Consume(',')) return LineError(source, number, "expected ',' or '}'");
    }
  }
  if (!cursor.AtEnd()) return LineError(source, number, "trailing characters after the object");
  if (!has_id || document->id.empty()) return LineError(source, number, "missing \"id\"");
  if (!has_text) return LineError(source, number, "missing \"text\"");
  if (!title.empty()) document->text = absl::StrCat(title, "\n", document->text);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<CorpusDocument>> ParseJsonlCorpus(std::string_view contents,
                                                             std::string_view source) {
  std::vector<CorpusDocument> documents;
  absl::flat_hash_set<std::string> ids;
  LLMDS_RETURN_IF_ERROR(ForEachLine(contents, [&](std::string_view line, int64_t number) {
    if (IsBlank(line)) return absl::OkStatus();
    CorpusDocument document;
    LLMDS_RETURN_IF_ERROR(ParseLine(line, source, number, &document));
    if (!ids.insert(document.id).second) {
      return LineError(source, number, absl::StrCat("duplicate id \"", document.id, "\""));
    }
    documents.push_back(std::move(document));
    return absl::OkStatus();
  }));
  return documents;
}

absl::StatusOr<std::vector<CorpusDocument>> ReadJsonlCorpus(std::string_view path) {
  LLMDS_ASSIGN_OR_RETURN(const std::string contents, ReadFile(path));
  return ParseJsonlCorpus(contents, path);
}

}  // namespace llmds
