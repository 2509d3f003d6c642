// Copyright 2026 The llmds Authors.

#include "llmds/datasets/ir_collection.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "llmds/datasets/internal/lines.h"
#include "llmds/utils/file.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

using datasets_internal::ForEachLine;
using datasets_internal::LineError;

absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string NormalizeId(absl::string_view id) {
  id = absl::StripAsciiWhitespace(id);
  bool numeric = !id.empty();
  for (char c : id) numeric = numeric && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (numeric) {
    while (id.size() > 1 && id.front() == '0') id.remove_prefix(1);
  }
  return std::string(id);
}

}  // namespace

std::string SmartRecord::Text(std::string_view letters) const {
  std::string text;
  for (const auto& [letter, body] : fields) {
    if (letters.find(letter) == std::string_view::npos) continue;
    if (!text.empty()) text.push_back('\n');
    text += body;
  }
  return text;
}

absl::StatusOr<std::vector<SmartRecord>> ParseSmartFile(std::string_view contents,
                                                        std::string_view source) {
  std::vector<SmartRecord> records;
  LLMDS_RETURN_IF_ERROR(ForEachLine(contents, [&](std::string_view line, int64_t number) {
    if (line.size() >= 2 && line[0] == '.' && line[1] == 'I' &&
        (line.size() == 2 || line[2] == ' ' || line[2] == '\t')) {
      const std::string id = NormalizeId(ToAbsl(line.substr(2)));
      if (id.empty()) return LineError(source, number, "record marker .I without an id");
      records.push_back(SmartRecord{id, {}});
      return absl::OkStatus();
    }
    if (line.size() >= 2 && line[0] == '.' && absl::ascii_isalpha(line[1]) &&
        absl::StripAsciiWhitespace(ToAbsl(line.substr(2))).empty()) {
      if (records.empty()) {
        return LineError(source, number, "field marker before the first .I record");
      }
      records.back().fields.emplace_back(line[1], std::string());
      return absl::OkStatus();
    }
    if (records.empty()) {
      if (absl::StripAsciiWhitespace(ToAbsl(line)).empty()) return absl::OkStatus();
      return LineError(source, number, "text before the first .I record");
    }
    SmartRecord& record = records.back();
    if (record.fields.empty()) {
      if (absl::StripAsciiWhitespace(ToAbsl(line)).empty()) return absl::OkStatus();
      return LineError(source, number, "text before the record's first field marker");
    }
    std::string& body = record.fields.back().second;
    if (!body.empty()) body.push_back('\n');
    body.append(line.data(), line.size());
    return absl::OkStatus();
  }));
  return records;
}

absl::StatusOr<std::vector<SmartRecord>> ReadSmartFile(std::string_view path) {
  LLMDS_ASSIGN_OR_RETURN(const std::string contents, ReadFile(path));
  return ParseSmartFile(contents, path);
}

absl::StatusOr<std::vector<Judgement>> ParseQrels(std::string_view contents, QrelsLayout layout,
                                                  std::string_view source) {
  std::vector<Judgement> judgements;
  int64_t number = 0;
  for (absl::string_view line : absl::StrSplit(ToAbsl(contents), '\n')) {
    ++number;
    std::vector<absl::string_view> columns =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (columns.empty()) continue;
    const size_t needed =
        layout == QrelsLayout::kTrec ? 4 : layout == QrelsLayout::kQueryDocGrade ? 3 : 2;
    if (columns.size() < needed || (layout == QrelsLayout::kTrec && columns.size() != 4)) {
      return LineError(source, number,
                       absl::StrCat("expected ", needed, " columns, found ", columns.size()));
    }
    Judgement judgement;
    judgement.query_id = NormalizeId(columns[0]);
    judgement.doc_id = NormalizeId(columns[layout == QrelsLayout::kTrec ? 2 : 1]);
    if (layout == QrelsLayout::kQueryDoc) {
      judgement.grade = 1;
      judgements.push_back(std::move(judgement));
      continue;
    }
    const absl::string_view grade = columns[layout == QrelsLayout::kTrec ? 3 : 2];
    if (!absl::SimpleAtoi(grade, &judgement.grade)) {
      return LineError(source, number, absl::StrCat("grade is not an integer: '",
                                                    std::string(grade), "'"));
    }
    judgements.push_back(std::move(judgement));
  }
  return judgements;
}

absl::StatusOr<std::vector<Judgement>> ReadQrels(std::string_view path, QrelsLayout layout) {
  LLMDS_ASSIGN_OR_RETURN(const std::string contents, ReadFile(path));
  return ParseQrels(contents, layout, path);
}

}  // namespace llmds
