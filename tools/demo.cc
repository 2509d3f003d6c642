// Copyright 2026 The llmds Authors.

#include "llmds/tools/demo.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "llmds/datasets/serving_trace.h"
#include "llmds/tools/cli.h"
#include "llmds/tools/retrieval_report.h"
#include "llmds/tools/serving_simulation.h"
#include "llmds/utils/memory_profiler.h"
#include "llmds/utils/statistics.h"
#include "llmds/utils/status_macros.h"
#include "llmds/utils/timer.h"

namespace llmds {
namespace {

struct TraceSummary {
  int64_t requests = 0;
  double duration_s = 0;
  Statistics input_tokens, output_tokens;
  int64_t blocks = 0;
  int64_t repeated_blocks = 0;  // blocks whose id was seen in an earlier request
  ServingSimulationResult cached, uncached;  // the replay with and without prefix caching
};

absl::StatusOr<TraceSummary> SummarizeTrace(const std::string& path, int64_t max_requests) {
  TraceSummary summary;
  LLMDS_ASSIGN_OR_RETURN(std::vector<TraceRequest> trace, ReadMooncakeTrace(path));
  if (max_requests > 0 && static_cast<int64_t>(trace.size()) > max_requests) {
    trace.resize(static_cast<size_t>(max_requests));
  }
  if (trace.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": fewer than two requests"));
  }
  std::vector<double> inputs, outputs;
  // Mooncake ids are prefix-chained: a block id seen before means its whole prefix was seen.
  absl::flat_hash_set<int64_t> seen;
  for (const TraceRequest& r : trace) {
    inputs.push_back(static_cast<double>(r.input_tokens));
    outputs.push_back(static_cast<double>(r.output_tokens));
    for (int64_t id : r.block_hashes) {
      ++summary.blocks;
      if (!seen.insert(id).second) ++summary.repeated_blocks;
    }
    summary.duration_s = std::max(summary.duration_s, static_cast<double>(r.arrival_us) / 1e6);
  }
  summary.requests = static_cast<int64_t>(trace.size());
  LLMDS_ASSIGN_OR_RETURN(summary.input_tokens, CalculateStatistics(inputs));
  LLMDS_ASSIGN_OR_RETURN(summary.output_tokens, CalculateStatistics(outputs));
  ServingSimulationOptions options;
  LLMDS_ASSIGN_OR_RETURN(summary.cached, SimulateServing(trace, options));
  options.enable_prefix_caching = false;
  LLMDS_ASSIGN_OR_RETURN(summary.uncached, SimulateServing(trace, options));
  return summary;
}

std::vector<std::string> ServingRow(const std::string& name, const ServingSimulationResult& r) {
  return {name,
          absl::StrFormat("%d/%d", r.completed, r.requests),
          absl::StrFormat("%.2f", r.throughput_rps),
          absl::StrFormat("%.0f", r.ttft_p50_ms),
          absl::StrFormat("%.0f", r.ttft_p99_ms),
          absl::StrFormat("%.1f%%", 100 * r.prefix_hit_rate),
          absl::StrCat(r.rejected),
          absl::StrCat(r.kv_evictions),
          absl::StrFormat("%.2f", r.wall_seconds)};
}

std::string JsonServing(const ServingSimulationResult& r) {
  return absl::StrFormat(
      "{\"completed\": %d, \"rejected\": %d, \"dropped\": %d, \"throughput_rps\": %.4f, "
      "\"ttft_p50_ms\": %.3f, \"ttft_p99_ms\": %.3f, \"prefix_hit_rate\": %.4f, "
      "\"kv_evictions\": %d, \"replay_seconds\": %.3f}",
      r.completed, r.rejected, r.dropped, r.throughput_rps, r.ttft_p50_ms, r.ttft_p99_ms,
      r.prefix_hit_rate, r.kv_evictions, r.wall_seconds);
}

double Mib(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace

absl::Status RunDemo(const DemoOptions& options, std::ostream& out) {
  Timer total;
  RetrievalReportOptions retrieval_options;
  LLMDS_ASSIGN_OR_RETURN(retrieval_options.collection,
                         KnownIrCollection("cran", options.data_dir + "/cranfield"));
  retrieval_options.max_queries = options.max_queries;
  retrieval_options.lsi_dimensions = options.lsi_dimensions;
  LLMDS_ASSIGN_OR_RETURN(const RetrievalReport retrieval, RunRetrievalReport(retrieval_options));
  const std::string trace_path = options.data_dir + "/traces/mooncake_synthetic_trace.jsonl";
  LLMDS_ASSIGN_OR_RETURN(const TraceSummary trace, SummarizeTrace(trace_path, options.max_requests));
  total.Stop();
  // The process's high-water mark: the stages free their memory before returning.
  const double peak_rss_mib = Mib(MemoryProfiler::ProcessPeakRssBytes());
  const double reuse = 100.0 * static_cast<double>(trace.repeated_blocks) /
                       static_cast<double>(std::max<int64_t>(trace.blocks, 1));

  if (options.json) {
    out << "{\"retrieval\": " << RetrievalReportJson(retrieval, "cranfield");
    out << ", \"serving\": {\"source\": " << cli::JsonString(trace_path)
        << ", \"requests\": " << trace.requests
        << absl::StrFormat(", \"duration_s\": %.3f, \"prefix_reuse_percent\": %.2f", trace.duration_s,
                           reuse)
        << ", \"prefix_cache_on\": " << JsonServing(trace.cached)
        << ", \"prefix_cache_off\": " << JsonServing(trace.uncached) << "}"
        << absl::StrFormat(", \"seconds\": %.3f, \"peak_rss_mib\": %.1f}\n", total.elapsed(),
                           peak_rss_mib);
    return absl::OkStatus();
  }

  out << "llmds demo: bundled data in " << options.data_dir << "\n\n";
  out << absl::StrFormat(
      "1. Retrieval: Cranfield, %d documents, %d queries, through RetrievalPipeline\n"
      "   (BM25 k1=1.2 b=0.75 with Snowball stemming; dense = %d-d LSI vectors in HNSW, cosine)\n",
      retrieval.documents, retrieval.queries, retrieval_options.lsi_dimensions);
  PrintRetrievalReport(retrieval, out, "  ");
  out << "\n";
  out << absl::StrFormat(
      "2. Serving: Mooncake trace, %d requests over %.0f s; prompts of %.0f tokens on average\n"
      "   (p99 %.0f), %.0f output tokens; %.1f%% of 512-token prompt blocks repeat a prefix.\n",
      trace.requests, trace.duration_s, trace.input_tokens.mean, trace.input_tokens.p99,
      trace.output_tokens.mean, reuse);
  const ServingSimulationOptions defaults;
  out << absl::StrFormat(
      "   Replay: AdmissionController (%.0f req/s, %d tokens/s over %.0f s) -> Scheduler\n"
      "   (batches <= %d, wait <= %.0f ms) -> KVBlockManager (%d-token blocks, %.0fM tokens) ->\n"
      "   engine model (prefill %.0f ms + %.3f ms per uncached prompt token; decode %.0f ms per\n"
      "   token):\n",
      defaults.admission_qps, defaults.admission_tokens_per_second,
      defaults.admission_window_seconds, defaults.max_batch_size, defaults.max_wait_ms,
      defaults.block_size, defaults.kv_capacity_tokens / 1e6, defaults.prefill_fixed_ms,
      defaults.prefill_ms_per_token, defaults.decode_ms_per_token);
  cli::Table serving({"prefix cache", "completed", "req/s", "TTFT p50 ms", "TTFT p99 ms",
                      "cache hits", "rejected", "evictions", "replay s"});
  serving.AddRow(ServingRow("on", trace.cached));
  serving.AddRow(ServingRow("off", trace.uncached));
  serving.Print(out);
  out << absl::StrFormat("\nDone in %.1f s, peak RSS %.0f MiB.\n", total.elapsed(), peak_rss_mib);
  return absl::OkStatus();
}

}  // namespace llmds
