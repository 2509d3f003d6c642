// Copyright 2026 The llmds Authors.

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "llmds/datasets/serving_trace.h"
#include "llmds/tools/commands.h"
#include "llmds/tools/serving_simulation.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

absl::Status RunSimulate(const cli::ParsedFlags& flags, std::ostream& out) {
  const std::string& path = flags.Get("trace");
  if (path.empty()) return absl::InvalidArgumentError("--trace is required");
  std::vector<TraceRequest> trace;
  const std::string& format = flags.Get("format");
  if (format == "mooncake") {
    LLMDS_ASSIGN_OR_RETURN(trace, ReadMooncakeTrace(path));
  } else if (format == "azure") {
    LLMDS_ASSIGN_OR_RETURN(trace, ReadAzureTrace(path));
    // No prefix information: every request gets blocks of its own.
    int64_t next_block = 0;
    for (TraceRequest& r : trace) {
      const int64_t blocks = (r.input_tokens + kMooncakeBlockTokens - 1) / kMooncakeBlockTokens;
      for (int64_t b = 0; b < blocks; ++b) r.block_hashes.push_back(next_block++);
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--format must be mooncake or azure, got '", format, "'"));
  }
  ServingSimulationOptions options;
  LLMDS_ASSIGN_OR_RETURN(options.admission_qps, flags.GetDouble("admission_qps"));
  LLMDS_ASSIGN_OR_RETURN(options.admission_tokens_per_second,
                         flags.GetInt("admission_tokens_per_second"));
  LLMDS_ASSIGN_OR_RETURN(options.kv_capacity_tokens, flags.GetInt("kv_capacity_tokens"));
  LLMDS_ASSIGN_OR_RETURN(options.prefill_ms_per_token, flags.GetDouble("prefill_ms_per_token"));
  LLMDS_ASSIGN_OR_RETURN(options.decode_ms_per_token, flags.GetDouble("decode_ms_per_token"));
  LLMDS_ASSIGN_OR_RETURN(const int64_t max_batch_size,
                         flags.GetIntInRange("max_batch_size", 1, 1 << 20));
  options.max_batch_size = static_cast<int32_t>(max_batch_size);
  options.enable_prefix_caching = !flags.IsSet("no_prefix_cache");
  LLMDS_ASSIGN_OR_RETURN(const ServingSimulationResult r, SimulateServing(trace, options));
  if (flags.IsSet("json")) {
    out << absl::StrFormat(
        "{\"requests\": %d, \"admitted\": %d, \"rejected\": %d, \"dropped\": %d, "
        "\"completed\": %d, \"duration_s\": %.3f, \"throughput_rps\": %.4f, "
        "\"output_tokens_per_s\": %.1f, \"ttft_p50_ms\": %.3f, \"ttft_p99_ms\": %.3f, "
        "\"prefix_hit_rate\": %.4f, \"batches\": %d, \"avg_batch_size\": %.3f, "
        "\"slo_misses\": %d, \"kv_evictions\": %d, \"kv_peak_used_blocks\": %d, "
        "\"kv_blocks\": %d, \"wall_seconds\": %.3f}\n",
        r.requests, r.admitted, r.rejected, r.dropped, r.completed, r.duration_s,
        r.throughput_rps, r.output_tokens_per_s, r.ttft_p50_ms, r.ttft_p99_ms,
        r.prefix_hit_rate, r.batches, r.avg_batch_size, r.slo_misses, r.kv_evictions,
        r.kv_peak_used_blocks, r.kv_blocks, r.wall_seconds);
    return absl::OkStatus();
  }
  cli::Table table({"metric", "value"});
  table.AddRow({"requests (admitted / rejected / dropped)",
                absl::StrFormat("%d (%d / %d / %d)", r.requests, r.admitted, r.rejected,
                                r.dropped)});
  table.AddRow({"throughput (requests/s)", absl::StrFormat("%.2f", r.throughput_rps)});
  table.AddRow({"output tokens/s", absl::StrFormat("%.0f", r.output_tokens_per_s)});
  table.AddRow({"TTFT p50 / p99 (ms)", absl::StrFormat("%.1f / %.1f", r.ttft_p50_ms, r.ttft_p99_ms)});
  table.AddRow({"prefix-cache hit rate", absl::StrFormat("%.1f%%", 100 * r.prefix_hit_rate)});
  table.AddRow({"batches (mean size)", absl::StrFormat("%d (%.2f)", r.batches, r.avg_batch_size)});
  table.AddRow({"SLO misses", absl::StrCat(r.slo_misses)});
  table.AddRow({"KV evictions / peak used blocks",
                absl::StrFormat("%d / %d of %d", r.kv_evictions, r.kv_peak_used_blocks, r.kv_blocks)});
  table.AddRow({"replay wall time (s)", absl::StrFormat("%.2f", r.wall_seconds)});
  table.Print(out, "");
  return absl::OkStatus();
}

}  // namespace

cli::Command SimulateCommand() {
  const ServingSimulationOptions defaults;
  cli::Command command;
  command.name = "simulate";
  command.summary =
      "Replay a serving trace through admission control, the scheduler and the KV block manager";
  command.usage = "llmds simulate --trace=FILE [--format=mooncake|azure] [--json] [flags]";
  command.flags = {
      {"trace", "Mooncake JSONL or Azure CSV trace", false, ""},
      {"format", "mooncake | azure (azure traces carry no prefix information)", false,
       "mooncake"},
      {"admission_qps", "admitted requests per second over the window", false,
       absl::StrCat(defaults.admission_qps)},
      {"admission_tokens_per_second", "admitted tokens per second over the window", false,
       absl::StrCat(defaults.admission_tokens_per_second)},
      {"kv_capacity_tokens", "KV cache capacity in tokens", false,
       absl::StrCat(defaults.kv_capacity_tokens)},
      {"max_batch_size", "requests per prefill batch", false,
       absl::StrCat(defaults.max_batch_size)},
      {"prefill_ms_per_token", "engine cost of one uncached prompt token", false,
       absl::StrCat(defaults.prefill_ms_per_token)},
      {"decode_ms_per_token", "engine time per generated token", false,
       absl::StrCat(defaults.decode_ms_per_token)},
      {"no_prefix_cache", "disable prefix caching", true, ""},
      {"json", "print one JSON object", true, ""},
  };
  command.run = RunSimulate;
  return command;
}

}  // namespace llmds
