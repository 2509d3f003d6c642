// Copyright 2026 The llmds Authors.

#include "llmds/tools/serving_simulation.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>
#include <queue>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "llmds/cache/kv_block_manager.h"
#include "llmds/scheduling/admission_controller.h"
#include "llmds/scheduling/scheduler.h"
#include "llmds/utils/clock.h"
#include "llmds/utils/statistics.h"
#include "llmds/utils/status_macros.h"
#include "llmds/utils/timer.h"

namespace llmds {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int64_t kPollUs = 1000;  // how often an idle engine asks the scheduler for a batch

int64_t MsToUs(double ms) { return static_cast<int64_t>(ms * 1000.0 + 0.5); }

// Token ids of a request's generated tokens: distinct per request and position, so decode
// blocks are never shared.
std::vector<int32_t> OutputTokens(int64_t request, int64_t count) {
  std::vector<int32_t> tokens(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    tokens[i] = static_cast<int32_t>((static_cast<uint64_t>(request) * 1000003u + i) & 0x7fffffff);
  }
  return tokens;
}

}  // namespace

absl::StatusOr<ServingSimulationResult> SimulateServing(const std::vector<TraceRequest>& trace,
                                                        const ServingSimulationOptions& options) {
  for (size_t i = 0; i < trace.size(); ++i) {
    const TraceRequest& r = trace[i];
    if (static_cast<int64_t>(r.block_hashes.size()) * kMooncakeBlockTokens < r.input_tokens) {
      return absl::InvalidArgumentError(
          absl::StrCat("request ", i, ": ", r.block_hashes.size(), " hash ids cannot cover ",
                       r.input_tokens, " prompt tokens"));
    }
  }
  if (options.block_size <= 0 || options.kv_capacity_tokens < options.block_size ||
      options.kv_capacity_tokens / options.block_size > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("kv_capacity_tokens ",
                                                   options.kv_capacity_tokens, " / block_size ",
                                                   options.block_size, " is out of range"));
  }
  if (!(options.prefill_fixed_ms >= 0 && options.prefill_ms_per_token >= 0 &&
        options.decode_ms_per_token >= 0)) {
    return absl::InvalidArgumentError("engine costs must be non-negative");
  }

  Timer wall;
  FakeClock clock;
  const absl::Time epoch = clock.Now();
  AdmissionOptions admission_options;
  admission_options.qps_target = options.admission_qps;
  admission_options.token_rate_limit = options.admission_tokens_per_second;
  admission_options.window_seconds = options.admission_window_seconds;
  admission_options.clock = &clock;
  LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<AdmissionController> admission,
                         AdmissionController::Create(admission_options));
  SchedulerOptions scheduler_options;
  scheduler_options.max_batch_size = options.max_batch_size;
  scheduler_options.max_batch_tokens = options.max_batch_tokens;
  scheduler_options.max_wait_ms = options.max_wait_ms;
  scheduler_options.clock = &clock;
  LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<Scheduler> scheduler,
                         Scheduler::Create(scheduler_options));
  KVBlockManagerOptions kv_options;
  kv_options.block_size = options.block_size;
  kv_options.num_blocks = static_cast<int32_t>(options.kv_capacity_tokens / options.block_size);
  kv_options.enable_prefix_caching = options.enable_prefix_caching;
  LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<KVBlockManager> kv, KVBlockManager::Create(kv_options));

  // Requests in arrival order (stable for equal times).
  std::vector<size_t> order(trace.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return trace[a].arrival_us < trace[b].arrival_us; });

  ServingSimulationResult result;
  result.requests = static_cast<int64_t>(trace.size());
  result.kv_blocks = kv_options.num_blocks;
  absl::flat_hash_map<int64_t, size_t> request_of;  // scheduler id -> trace index
  std::vector<int64_t> batch;                         // scheduler ids in the running prefill
  std::vector<size_t> batch_ok;                       // trace indices whose KV was allocated
  int64_t engine_done_us = kNever;
  using Decode = std::pair<int64_t, size_t>;          // (finish time, trace index)
  std::priority_queue<Decode, std::vector<Decode>, std::greater<Decode>> decodes;
  std::vector<double> ttft_ms;
  int64_t prompt_tokens = 0, cached_tokens = 0, output_tokens = 0, last_completion_us = 0;
  size_t next_arrival = 0;
  int64_t queued = 0;  // submitted to the scheduler and not yet dispatched
  int64_t now = order.empty() ? 0 : trace[order[0]].arrival_us;
  const int64_t first_arrival = now;

  while (true) {
    const bool idle = engine_done_us == kNever;
    int64_t next = kNever;
    if (next_arrival < order.size()) next = std::min(next, trace[order[next_arrival]].arrival_us);
    if (!idle) next = std::min(next, engine_done_us);
    if (!decodes.empty()) next = std::min(next, decodes.top().first);
    if (idle && queued > 0) next = std::min(next, now + kPollUs);
    if (next == kNever) break;
    now = std::max(now, next);
    clock.Set(epoch + absl::Microseconds(now));

    // Decodes that end now release their KV blocks (which stay cached for reuse).
    while (!decodes.empty() && decodes.top().first <= now) {
      const size_t index = decodes.top().second;
      decodes.pop();
      LLMDS_RETURN_IF_ERROR(kv->FreeSequence(static_cast<int64_t>(index)));
      ++result.completed;
      last_completion_us = std::max(last_completion_us, now);
    }
    // The running prefill ends: first tokens are out, decoding starts.
    if (!idle && engine_done_us <= now) {
      LLMDS_RETURN_IF_ERROR(scheduler->CompleteBatch(batch));
      for (size_t index : batch_ok) {
        const TraceRequest& r = trace[index];
        ttft_ms.push_back(static_cast<double>(now - r.arrival_us) / 1000.0);
        const absl::Status appended = kv->AppendTokens(
            static_cast<int64_t>(index), OutputTokens(static_cast<int64_t>(index), r.output_tokens));
        if (!appended.ok()) {  // out of blocks for the generated tokens
          LLMDS_RETURN_IF_ERROR(kv->FreeSequence(static_cast<int64_t>(index)));
          ++result.dropped;
          continue;
        }
        output_tokens += r.output_tokens;
        decodes.push({now + MsToUs(options.decode_ms_per_token * r.output_tokens), index});
      }
      batch.clear();
      batch_ok.clear();
      engine_done_us = kNever;
    }
    // Arrivals pass admission control and queue in the scheduler.
    while (next_arrival < order.size() && trace[order[next_arrival]].arrival_us <= now) {
      const size_t index = order[next_arrival++];
      const TraceRequest& r = trace[index];
      const AdmissionDecision decision = admission->ShouldAdmit(r.input_tokens + r.output_tokens);
      if (!decision.admitted) {
        ++result.rejected;
        continue;
      }
      ++result.admitted;
      LLMDS_ASSIGN_OR_RETURN(const int64_t id,
                             scheduler->Submit(std::max<int64_t>(r.input_tokens, 1),
                                               options.ttft_slo_ms));
      request_of[id] = index;
      ++queued;
    }
    // An idle engine takes the next batch the scheduler releases.
    if (engine_done_us == kNever) {
      std::optional<std::vector<int64_t>> next_batch = scheduler->GetBatch();
      if (next_batch.has_value()) {
        batch = std::move(*next_batch);
        queued -= static_cast<int64_t>(batch.size());
        int64_t uncached = 0;
        for (int64_t id : batch) {
          const size_t index = request_of.at(id);
          request_of.erase(id);
          const TraceRequest& r = trace[index];
          const std::vector<int32_t> prompt = SyntheticPromptTokens(r);
          absl::StatusOr<int64_t> cached = kv->AddSequence(static_cast<int64_t>(index), prompt);
          if (!cached.ok()) {
            ++result.dropped;
            continue;
          }
          prompt_tokens += r.input_tokens;
          cached_tokens += *cached;
          uncached += r.input_tokens - *cached;
          batch_ok.push_back(index);
        }
        ++result.batches;
        engine_done_us = now + MsToUs(options.prefill_fixed_ms +
                                      options.prefill_ms_per_token * static_cast<double>(uncached));
      }
    }
  }

  const SchedulerStats scheduler_stats = scheduler->Stats();
  const KVBlockManagerStats kv_stats = kv->Stats();
  result.duration_s = static_cast<double>(std::max<int64_t>(last_completion_us - first_arrival, 1)) / 1e6;
  result.throughput_rps = static_cast<double>(result.completed) / result.duration_s;
  result.output_tokens_per_s = static_cast<double>(output_tokens) / result.duration_s;
  if (!ttft_ms.empty()) {
    LLMDS_ASSIGN_OR_RETURN(const Percentiles p, ComputePercentiles(ttft_ms));
    result.ttft_p50_ms = p.p50;
    result.ttft_p99_ms = p.p99;
  }
  result.prefix_hit_rate =
      prompt_tokens > 0 ? static_cast<double>(cached_tokens) / static_cast<double>(prompt_tokens)
                        : 0.0;
  result.avg_batch_size = scheduler_stats.avg_batch_size;
  result.slo_misses = scheduler_stats.slo_misses;
  result.kv_evictions = kv_stats.evictions;
  result.kv_peak_used_blocks = kv_stats.peak_used_blocks;
  result.wall_seconds = wall.elapsed();
  return result;
}

}  // namespace llmds
