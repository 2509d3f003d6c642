// Copyright 2026 The llmds Authors.

#include "llmds/tools/demo.h"

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "llmds/datasets/ir_collection.h"
#include "llmds/datasets/serving_trace.h"
#include "llmds/tools/cli.h"
#include "llmds/tools/serving_simulation.h"
#include "llmds/utils/memory_profiler.h"
#include "llmds/utils/statistics.h"
#include "llmds/utils/status_macros.h"
#include "llmds/utils/timer.h"

namespace llmds {
namespace {

struct TraceSummary {
  ServingSimulationResult cached, uncached;  // the replay with and without prefix caching
  int64_t requests = 0;
  double duration_s = 0;
  Statistics input_tokens, output_tokens, interarrival_ms;
  int64_t blocks = 0;
  int64_t repeated_blocks = 0;  // blocks whose id was seen in an earlier request
  double parse_seconds = 0;
};

absl::StatusOr<TraceSummary> SummarizeTrace(const std::string& path, int64_t max_requests) {
  TraceSummary summary;
  Timer timer;
  LLMDS_ASSIGN_OR_RETURN(std::vector<TraceRequest> trace, ReadMooncakeTrace(path));
  if (max_requests > 0 && static_cast<int64_t>(trace.size()) > max_requests) {
    trace.resize(static_cast<size_t>(max_requests));
  }
  summary.parse_seconds = timer.elapsed();
  if (trace.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": fewer than two requests"));
  }
  std::vector<double> inputs, outputs, gaps;
  // Mooncake ids are prefix-chained: a block id seen before means its whole prefix was seen.
  absl::flat_hash_set<int64_t> seen;
  for (size_t i = 0; i < trace.size(); ++i) {
    const TraceRequest& r = trace[i];
    inputs.push_back(static_cast<double>(r.input_tokens));
    outputs.push_back(static_cast<double>(r.output_tokens));
    if (i > 0) gaps.push_back(static_cast<double>(r.arrival_us - trace[i - 1].arrival_us) / 1e3);
    for (int64_t id : r.block_hashes) {
      ++summary.blocks;
      if (!seen.insert(id).second) ++summary.repeated_blocks;
    }
    summary.duration_s = std::max(summary.duration_s, static_cast<double>(r.arrival_us) / 1e6);
  }
  summary.requests = static_cast<int64_t>(trace.size());
  ServingSimulationOptions options;
  LLMDS_ASSIGN_OR_RETURN(summary.cached, SimulateServing(trace, options));
  options.enable_prefix_caching = false;
  LLMDS_ASSIGN_OR_RETURN(summary.uncached, SimulateServing(trace, options));
  LLMDS_ASSIGN_OR_RETURN(summary.input_tokens, CalculateStatistics(inputs));
  LLMDS_ASSIGN_OR_RETURN(summary.output_tokens, CalculateStatistics(outputs));
  LLMDS_ASSIGN_OR_RETURN(summary.interarrival_ms, CalculateStatistics(gaps));
  return summary;
}

struct CorpusSummary {
  int64_t documents = 0, queries = 0, judgements = 0, judged_queries = 0;
  int64_t words = 0, vocabulary = 0;
  Statistics doc_words;
  double parse_seconds = 0;
};

// Splits on anything that is not an ASCII letter or digit; a first look at the corpus (the
// retrieval stage uses llmds' own analyzer).
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

absl::StatusOr<CorpusSummary> SummarizeCorpus(const std::string& dir) {
  CorpusSummary summary;
  Timer timer;
  LLMDS_ASSIGN_OR_RETURN(const std::vector<SmartRecord> docs,
                         ReadSmartFile(dir + "/cran.all.1400"));
  LLMDS_ASSIGN_OR_RETURN(const std::vector<SmartRecord> queries, ReadSmartFile(dir + "/cran.qry"));
  LLMDS_ASSIGN_OR_RETURN(const std::vector<Judgement> qrels,
                         ReadQrels(dir + "/cranqrel", QrelsLayout::kQueryDocGrade));
  summary.parse_seconds = timer.elapsed();
  if (docs.empty()) return absl::InvalidArgumentError(dir + "/cran.all.1400: no documents");
  absl::flat_hash_set<std::string> vocabulary, judged;
  std::vector<double> lengths;
  for (const SmartRecord& doc : docs) {
    const std::vector<std::string> words = Words(doc.Text("TW"));
    lengths.push_back(static_cast<double>(words.size()));
    summary.words += static_cast<int64_t>(words.size());
    vocabulary.insert(words.begin(), words.end());
  }
  for (const Judgement& j : qrels) {
    if (j.grade > 0) {
      ++summary.judgements;
      judged.insert(j.query_id);
    }
  }
  summary.documents = static_cast<int64_t>(docs.size());
  summary.queries = static_cast<int64_t>(queries.size());
  summary.judged_queries = static_cast<int64_t>(judged.size());
  summary.vocabulary = static_cast<int64_t>(vocabulary.size());
  LLMDS_ASSIGN_OR_RETURN(summary.doc_words, CalculateStatistics(lengths));
  return summary;
}

std::string Fixed(double value, int digits = 1) { return absl::StrFormat("%.*f", digits, value); }

std::vector<std::string> StatsRow(const std::string& name, const Statistics& s, int digits) {
  return {name,
          Fixed(s.mean, digits),
          absl::StrFormat("[%.*f, %.*f]", digits, s.ci_lower, digits, s.ci_upper),
          Fixed(s.p50, digits),
          Fixed(s.p95, digits),
          Fixed(s.p99, digits),
          Fixed(s.max, digits)};
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

std::string JsonStats(const Statistics& s) {
  return absl::StrFormat(
      "{\"mean\": %.6g, \"ci95\": [%.6g, %.6g], \"p50\": %.6g, \"p95\": %.6g, \"p99\": %.6g, "
      "\"max\": %.6g}",
      s.mean, s.ci_lower, s.ci_upper, s.p50, s.p95, s.p99, s.max);
}

}  // namespace

absl::Status RunDemo(const DemoOptions& options, std::ostream& out) {
  Timer total;
  const std::string trace_path = options.data_dir + "/traces/mooncake_synthetic_trace.jsonl";
  LLMDS_ASSIGN_OR_RETURN(const TraceSummary trace, SummarizeTrace(trace_path, options.max_requests));
  LLMDS_ASSIGN_OR_RETURN(const CorpusSummary corpus,
                         SummarizeCorpus(options.data_dir + "/cranfield"));
  total.Stop();
  // The process's high-water mark: the replays free their memory before returning.
  const double peak_rss_mib =
      static_cast<double>(MemoryProfiler::ProcessPeakRssBytes()) / (1024.0 * 1024.0);
  const double reuse = 100.0 * static_cast<double>(trace.repeated_blocks) /
                       static_cast<double>(std::max<int64_t>(trace.blocks, 1));

  if (options.json) {
    out << "{\"serving_trace\": {\"source\": " << cli::JsonString(trace_path)
        << ", \"requests\": " << trace.requests
        << absl::StrFormat(", \"duration_s\": %.3f", trace.duration_s)
        << ", \"input_tokens\": " << JsonStats(trace.input_tokens)
        << ", \"output_tokens\": " << JsonStats(trace.output_tokens)
        << ", \"interarrival_ms\": " << JsonStats(trace.interarrival_ms)
        << ", \"blocks\": " << trace.blocks << ", \"repeated_blocks\": " << trace.repeated_blocks
        << absl::StrFormat(", \"prefix_reuse_percent\": %.2f", reuse)
        << ", \"replay_prefix_cache\": " << JsonServing(trace.cached)
        << ", \"replay_no_prefix_cache\": " << JsonServing(trace.uncached) << "}"
        << ", \"retrieval_corpus\": {\"documents\": " << corpus.documents
        << ", \"queries\": " << corpus.queries << ", \"judged_queries\": " << corpus.judged_queries
        << ", \"relevant_pairs\": " << corpus.judgements << ", \"words\": " << corpus.words
        << ", \"vocabulary\": " << corpus.vocabulary
        << ", \"document_words\": " << JsonStats(corpus.doc_words) << "}"
        << absl::StrFormat(", \"seconds\": %.3f, \"peak_rss_mib\": %.1f}\n", total.elapsed(),
                           peak_rss_mib);
    return absl::OkStatus();
  }

  out << "llmds demo: bundled data in " << options.data_dir << "\n\n";
  out << absl::StrFormat(
      "1. Serving workload: Mooncake trace, %d requests over %.0f s (%.1f requests/s)\n",
      trace.requests, trace.duration_s, static_cast<double>(trace.requests) / trace.duration_s);
  cli::Table requests({"per request", "mean", "95% CI of mean", "p50", "p95", "p99", "max"});
  requests.AddRow(StatsRow("input tokens", trace.input_tokens, 0));
  requests.AddRow(StatsRow("output tokens", trace.output_tokens, 1));
  requests.AddRow(StatsRow("inter-arrival ms", trace.interarrival_ms, 1));
  requests.Print(out);
  out << absl::StrFormat(
      "  Prefix reuse: %d of %d 512-token blocks (%.1f%%) repeat an earlier request's prefix:\n"
      "  the hit rate an unbounded prefix cache would reach on this trace.\n\n",
      trace.repeated_blocks, trace.blocks, reuse);
  const ServingSimulationOptions defaults;
  out << absl::StrFormat(
      "  Replay: AdmissionController (%.0f req/s, %d tokens/s over %.0f s) -> Scheduler (batches\n"
      "  of <= %d, <= %.0f ms wait) -> KVBlockManager (%d-token blocks, %.1fM tokens) -> engine\n"
      "  model (prefill %.0f ms + %.3f ms per uncached prompt token; decode %.0f ms per token):\n",
      defaults.admission_qps, defaults.admission_tokens_per_second,
      defaults.admission_window_seconds, defaults.max_batch_size, defaults.max_wait_ms,
      defaults.block_size, defaults.kv_capacity_tokens / 1e6, defaults.prefill_fixed_ms,
      defaults.prefill_ms_per_token, defaults.decode_ms_per_token);
  cli::Table serving({"KV prefix cache", "completed", "req/s", "TTFT p50 ms", "TTFT p99 ms",
                      "prefix hits", "rejected", "evictions", "replay s"});
  serving.AddRow(ServingRow("on", trace.cached));
  serving.AddRow(ServingRow("off", trace.uncached));
  serving.Print(out);
  out << "\n";

  out << absl::StrFormat(
      "2. Retrieval corpus: Cranfield, %d documents, %d queries (%d judged, %d relevant "
      "pairs)\n",
      corpus.documents, corpus.queries, corpus.judged_queries, corpus.judgements);
  cli::Table docs({"per document", "mean", "95% CI of mean", "p50", "p95", "p99", "max"});
  docs.AddRow(StatsRow("words", corpus.doc_words, 1));
  docs.Print(out);
  out << absl::StrFormat("  %d words, %d distinct (lowercased ASCII words)\n\n", corpus.words,
                         corpus.vocabulary);
  out << absl::StrFormat("Done in %.2f s (parsing %.0f ms), peak RSS %.1f MiB.\n",
                         total.elapsed(), 1e3 * (trace.parse_seconds + corpus.parse_seconds),
                         peak_rss_mib);
  return absl::OkStatus();
}

}  // namespace llmds
