// Copyright 2026 The llmds Authors.

#include "llmds/datasets/serving_trace.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "llmds/datasets/internal/json_cursor.h"
#include "llmds/datasets/internal/lines.h"
#include "llmds/utils/file.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

using datasets_internal::ForEachLine;
using datasets_internal::IsBlank;
using datasets_internal::LineError;

absl::Status ParseMooncakeLine(std::string_view line, std::string_view source, int64_t number,
                               TraceRequest* request, int64_t* timestamp_ms) {
  datasets_internal::JsonCursor cursor(line);
  if (!cursor.Consume('{')) return LineError(source, number, "expected a JSON object");
  bool has_timestamp = false, has_input = false, has_output = false;
  if (!cursor.Consume('}')) {
    while (true) {
      std::string key;
      if (!cursor.ReadString(&key) || !cursor.Consume(':')) {
        return LineError(source, number, "expected \"key\": value");
      }
      bool ok;
      if (key == "timestamp") {
        ok = cursor.ReadInt(timestamp_ms);
        has_timestamp = true;
      } else if (key == "input_length") {
        ok = cursor.ReadInt(&request->input_tokens);
        has_input = true;
      } else if (key == "output_length") {
        ok = cursor.ReadInt(&request->output_tokens);
        has_output = true;
      } else if (key == "hash_ids") {
        ok = cursor.ReadIntArray(&request->block_hashes);
      } else {
        ok = cursor.SkipValue();
      }
      if (!ok) {
        return LineError(source, number,
                         absl::StrCat("malformed value for key \"", std::string(key), "\""));
      }
      if (cursor.Consume('}')) break;
      if (!cursor.Consume(',')) return LineError(source, number, "expected ',' or '}'");
    }
  }
  if (!cursor.AtEnd()) return LineError(source, number, "trailing characters after the object");
  if (!has_timestamp || !has_input || !has_output) {
    return LineError(source, number,
                     "missing one of \"timestamp\", \"input_length\", \"output_length\"");
  }
  if (request->input_tokens < 0 || request->output_tokens < 0) {
    return LineError(source, number, "negative token count");
  }
  constexpr int64_t kMaxMs = std::numeric_limits<int64_t>::max() / 1000 / 2;
  if (*timestamp_ms < -kMaxMs || *timestamp_ms > kMaxMs) {
    return LineError(source, number, "timestamp out of range");
  }
  for (int64_t id : request->block_hashes) {
    if (id < 0) return LineError(source, number, "negative hash id");
  }
  return absl::OkStatus();
}

// Rebases arrival times (given in microseconds) on the earliest one.
void RebaseArrivals(std::vector<TraceRequest>* requests) {
  if (requests->empty()) return;
  int64_t earliest = requests->front().arrival_us;
  for (const TraceRequest& r : *requests) earliest = std::min(earliest, r.arrival_us);
  for (TraceRequest& r : *requests) r.arrival_us -= earliest;
}


}  // namespace

std::vector<int32_t> SyntheticPromptTokens(const TraceRequest& request) {
  auto mix = [](uint64_t x) {  // SplitMix64 finalizer
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  };
  std::vector<int32_t> tokens(static_cast<size_t>(std::max<int64_t>(request.input_tokens, 0)));
  for (size_t t = 0; t < tokens.size(); ++t) {
    const uint64_t block = static_cast<uint64_t>(request.block_hashes[t / kMooncakeBlockTokens]);
    tokens[t] = static_cast<int32_t>(mix((block << 20) | (t % kMooncakeBlockTokens)) >> 33);
  }
  return tokens;
}

absl::StatusOr<std::vector<TraceRequest>> ParseMooncakeTrace(std::string_view contents,
                                                             std::string_view source) {
  std::vector<TraceRequest> requests;
  LLMDS_RETURN_IF_ERROR(ForEachLine(contents, [&](std::string_view line, int64_t number) {
    if (IsBlank(line)) return absl::OkStatus();
    TraceRequest request;
    int64_t timestamp_ms = 0;
    LLMDS_RETURN_IF_ERROR(ParseMooncakeLine(line, source, number, &request, &timestamp_ms));
    request.arrival_us = timestamp_ms * 1000;
    requests.push_back(std::move(request));
    return absl::OkStatus();
  }));
  RebaseArrivals(&requests);
  return requests;
}

absl::StatusOr<std::vector<TraceRequest>> ReadMooncakeTrace(std::string_view path) {
  LLMDS_ASSIGN_OR_RETURN(const std::string contents, ReadFile(path));
  return ParseMooncakeTrace(contents, path);
}

absl::StatusOr<std::vector<TraceRequest>> ParseAzureTrace(std::string_view contents,
                                                          std::string_view source) {
  std::vector<TraceRequest> requests;
  bool seen_header = false;
  LLMDS_RETURN_IF_ERROR(ForEachLine(contents, [&](std::string_view line, int64_t number) {
    if (IsBlank(line)) return absl::OkStatus();
    if (!seen_header) {
      seen_header = true;
      if (line != "TIMESTAMP,ContextTokens,GeneratedTokens") {
        return LineError(source, number,
                         "expected the header TIMESTAMP,ContextTokens,GeneratedTokens");
      }
      return absl::OkStatus();
    }
    const size_t first = line.find(',');
    const size_t second = first == std::string_view::npos ? first : line.find(',', first + 1);
    if (second == std::string_view::npos || line.find(',', second + 1) != std::string_view::npos) {
      return LineError(source, number, "expected three comma-separated fields");
    }
    const std::string timestamp(line.substr(0, first));
    const absl::string_view context(line.data() + first + 1, second - first - 1);
    const absl::string_view generated(line.data() + second + 1, line.size() - second - 1);
    TraceRequest request;
    if (!absl::SimpleAtoi(context, &request.input_tokens) || request.input_tokens < 0 ||
        !absl::SimpleAtoi(generated, &request.output_tokens) || request.output_tokens < 0) {
      return LineError(source, number, "token counts must be non-negative integers");
    }
    // "YYYY-MM-DD HH:MM:SS[.fraction]" in UTC; absl's %E*S takes any number of fraction digits.
    absl::Time time;
    std::string error;
    if (!absl::ParseTime("%Y-%m-%d %H:%M:%E*S", timestamp, absl::UTCTimeZone(), &time, &error)) {
      return LineError(source, number, absl::StrCat("bad timestamp '", timestamp, "': ", error));
    }
    const int64_t micros = absl::ToUnixMicros(time);
    if (micros < 0 || micros > std::numeric_limits<int64_t>::max() / 4) {
      return LineError(source, number, "timestamp out of range");
    }
    request.arrival_us = micros;
    requests.push_back(std::move(request));
    return absl::OkStatus();
  }));
  if (!seen_header) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source), ": empty file, expected a CSV header"));
  }
  RebaseArrivals(&requests);
  return requests;
}

absl::StatusOr<std::vector<TraceRequest>> ReadAzureTrace(std::string_view path) {
  LLMDS_ASSIGN_OR_RETURN(const std::string contents, ReadFile(path));
  return ParseAzureTrace(contents, path);
}

}  // namespace llmds
