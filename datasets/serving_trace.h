// Copyright 2026 The llmds Authors.
//
// Readers for real LLM serving traces, the workloads that llmds' serving structures (block
// manager, scheduler, admission control) are replayed against:
//
// - Mooncake JSONL: one JSON object per line with `timestamp` (ms from trace start),
//   `input_length`, `output_length` and `hash_ids`: ids of the prompt's 512-token blocks,
//   prefix-chained (equal id at equal position means an equal prefix up to that block).
// - Azure LLM inference trace 2023 CSV: `TIMESTAMP,ContextTokens,GeneratedTokens` with
//   timestamps like `2023-11-16 18:15:46.6805900`; no prefix information.
//
//   LLMDS_ASSIGN_OR_RETURN(std::vector<TraceRequest> trace,
//                          ReadMooncakeTrace("data/traces/mooncake_synthetic_trace.jsonl"));
//
// Malformed input is an InvalidArgument error naming the source and the 1-based line; nothing
// is returned partially. Unknown JSON keys are ignored. Cost: one pass over the bytes.

#ifndef LLMDS_DATASETS_SERVING_TRACE_H_
#define LLMDS_DATASETS_SERVING_TRACE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace llmds {

// Tokens per block named by a Mooncake `hash_ids` entry.
inline constexpr int64_t kMooncakeBlockTokens = 512;

struct TraceRequest {
  int64_t arrival_us = 0;     // microseconds since the trace's first request (never negative)
  int64_t input_tokens = 0;   // prompt length
  int64_t output_tokens = 0;  // generated tokens
  std::vector<int64_t> block_hashes;  // Mooncake hash_ids; empty for traces without them
};

// Returns `request.input_tokens` synthetic token ids for a Mooncake request, such that prompts
// share a token prefix exactly when their hash ids do: block i's tokens are a fixed function of
// (block_hashes[i], position in the block). The last block is partial when input_tokens is not a
// multiple of kMooncakeBlockTokens. Tokens are in [0, 2^31).
// REQUIRES: request.block_hashes covers input_tokens (ceil(input_tokens / 512) ids or more).
std::vector<int32_t> SyntheticPromptTokens(const TraceRequest& request);

// Parses Mooncake JSONL `contents`; `source` names it in errors (e.g. the file path). Blank
// lines are skipped. Arrival times are made relative to the earliest request; the order of
// requests is kept.
absl::StatusOr<std::vector<TraceRequest>> ParseMooncakeTrace(std::string_view contents,
                                                             std::string_view source);

// Reads and parses the Mooncake JSONL file at `path`.
absl::StatusOr<std::vector<TraceRequest>> ReadMooncakeTrace(std::string_view path);

// Parses an Azure LLM inference trace CSV (header line first).
absl::StatusOr<std::vector<TraceRequest>> ParseAzureTrace(std::string_view contents,
                                                          std::string_view source);

// Reads and parses the Azure CSV file at `path`.
absl::StatusOr<std::vector<TraceRequest>> ReadAzureTrace(std::string_view path);

}  // namespace llmds

#endif  // LLMDS_DATASETS_SERVING_TRACE_H_
