// Copyright 2026 The llmds Authors.
//
// Line-oriented parsing shared by the dataset readers: iteration over lines (LF or CRLF) with
// 1-based numbers, and errors that name the source and line.

#ifndef LLMDS_DATASETS_INTERNAL_LINES_H_
#define LLMDS_DATASETS_INTERNAL_LINES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace llmds {
namespace datasets_internal {

// Returns InvalidArgument "<source>:<line>: <what>".
inline absl::Status LineError(std::string_view source, int64_t line, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(source), ":", line, ": ", std::string(what)));
}

// Calls `parse_line(line, number)` for every line of `contents` (without its "\n" or "\r\n";
// a final line without a newline counts) and stops at the first error, which it returns.
template <typename LineParser>
absl::Status ForEachLine(std::string_view contents, LineParser parse_line) {
  int64_t number = 0;
  size_t start = 0;
  while (start < contents.size()) {
    size_t end = contents.find('\n', start);
    if (end == std::string_view::npos) end = contents.size();
    std::string_view line = contents.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number;
    absl::Status status = parse_line(line, number);
    if (!status.ok()) return status;
    start = end + 1;
  }
  return absl::OkStatus();
}

// Returns whether `line` holds only spaces and tabs.
inline bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace datasets_internal
}  // namespace llmds

#endif  // LLMDS_DATASETS_INTERNAL_LINES_H_
