// Copyright 2026 The llmds Authors.
//
// A discrete-event replay of an LLM serving trace through llmds' request path:
//
//   arrival -> AdmissionController -> Scheduler (micro-batching) -> KVBlockManager (prefix
//   cache) -> simulated engine (prefill, then decode) -> FreeSequence
//
// Time is a FakeClock moved from event to event, so a replay is deterministic and takes well
// under a second for thousands of requests.
//
// Cost model (simple, and documented so figures can be read against it):
// - The engine runs one prefill batch at a time. A batch takes
//     prefill_fixed_ms + prefill_ms_per_token * (prompt tokens not served from the prefix cache).
//   Cached tokens cost nothing: their KV blocks already exist.
// - A request's first token is out when its prefill batch ends (time to first token, TTFT,
//   counts from arrival). Decoding then runs beside later prefills (as disaggregated or chunked
//   engines do) for output_tokens * decode_ms_per_token, holding the request's KV blocks; they are
//   freed, and stay cached for reuse, when it ends.
// - A request whose KV blocks cannot be allocated (every block held by running requests) is
//   dropped and counted.

#ifndef LLMDS_TOOLS_SERVING_SIMULATION_H_
#define LLMDS_TOOLS_SERVING_SIMULATION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "llmds/datasets/serving_trace.h"

namespace llmds {

struct ServingSimulationOptions {
  // Admission: requests and tokens (prompt + output estimate) per trailing window.
  double admission_qps = 8.0;
  int64_t admission_tokens_per_second = 150000;
  double admission_window_seconds = 10.0;
  // Scheduler.
  int32_t max_batch_size = 8;
  int64_t max_batch_tokens = 65536;
  double max_wait_ms = 20.0;
  double ttft_slo_ms = 3000.0;  // deadline handed to the scheduler for every request
  // KV cache: vLLM-style 16-token blocks; capacity in tokens. The default, 8M tokens, is a
  // pooled cache in the style of Mooncake's (host memory across a cluster), not one GPU's HBM.
  int32_t block_size = 16;
  int64_t kv_capacity_tokens = 8000000;
  bool enable_prefix_caching = true;
  // Engine cost model.
  double prefill_fixed_ms = 2.0;
  double prefill_ms_per_token = 0.01;  // 100k prompt tokens/s
  double decode_ms_per_token = 20.0;
};

struct ServingSimulationResult {
  int64_t requests = 0;
  int64_t admitted = 0;
  int64_t rejected = 0;  // by admission control
  int64_t dropped = 0;   // no KV blocks available
  int64_t completed = 0;
  double duration_s = 0;             // first arrival to last completion
  double throughput_rps = 0;         // completed / duration
  double output_tokens_per_s = 0;    // generated tokens / duration
  double ttft_p50_ms = 0, ttft_p99_ms = 0;
  double prefix_hit_rate = 0;        // prompt tokens served from the prefix cache / prompt tokens
  int64_t batches = 0;
  double avg_batch_size = 0;
  int64_t slo_misses = 0;
  int64_t kv_evictions = 0;
  int32_t kv_peak_used_blocks = 0;
  int32_t kv_blocks = 0;
  double wall_seconds = 0;           // real time the replay took
};

// Replays `trace` (requests in arrival order with Mooncake hash ids) under `options`.
// Errors: InvalidArgument for options the components reject, or a request whose hash ids do not
// cover its prompt.
absl::StatusOr<ServingSimulationResult> SimulateServing(const std::vector<TraceRequest>& trace,
                                                        const ServingSimulationOptions& options);

}  // namespace llmds

#endif  // LLMDS_TOOLS_SERVING_SIMULATION_H_
