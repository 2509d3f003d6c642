// Copyright 2026 The llmds Authors.

#include "llmds/tools/serving_simulation.h"

#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "llmds/datasets/serving_trace.h"

namespace llmds {
namespace {

std::vector<TraceRequest> BundledTrace(size_t limit) {
  std::vector<TraceRequest> trace =
      ReadMooncakeTrace("data/traces/mooncake_synthetic_trace.jsonl").value();
  if (trace.size() > limit) trace.resize(limit);
  return trace;
}

void ExpectConsistent(const ServingSimulationResult& r) {
  EXPECT_EQ(r.admitted + r.rejected, r.requests);
  EXPECT_EQ(r.completed + r.dropped, r.admitted);
  EXPECT_GE(r.prefix_hit_rate, 0.0);
  EXPECT_LE(r.prefix_hit_rate, 1.0);
  EXPECT_LE(r.kv_peak_used_blocks, r.kv_blocks);
  EXPECT_LE(r.ttft_p50_ms, r.ttft_p99_ms);
}

TEST(ServingSimulationTest, OneRequestFollowsTheCostModelExactly) {
  TraceRequest request;
  request.input_tokens = 1000;
  request.output_tokens = 10;
  request.block_hashes = {1, 2};
  ServingSimulationOptions options;
  options.max_batch_size = 1;  // a full batch at once: no batching delay
  const ServingSimulationResult r = SimulateServing({request}, options).value();
  ExpectConsistent(r);
  EXPECT_EQ(r.completed, 1);
  // TTFT = 2 ms fixed + 1000 uncached tokens * 0.01 ms.
  EXPECT_DOUBLE_EQ(r.ttft_p50_ms, 12.0);
  // Finished after prefill plus 10 decode steps of 20 ms.
  EXPECT_NEAR(r.duration_s, 0.212, 1e-9);
  EXPECT_EQ(r.prefix_hit_rate, 0.0);
}

TEST(ServingSimulationTest, ARepeatedPromptHitsThePrefixCache) {
  TraceRequest first;
  first.input_tokens = 1024;
  first.output_tokens = 1;
  first.block_hashes = {5, 6};
  TraceRequest second = first;
  second.arrival_us = 1000000;  // after the first has finished
  ServingSimulationOptions options;
  options.max_batch_size = 1;
  const ServingSimulationResult r = SimulateServing({first, second}, options).value();
  ExpectConsistent(r);
  EXPECT_DOUBLE_EQ(r.prefix_hit_rate, 0.5);  // all 1024 tokens of the second are cached
  // TTFTs: 2 + 0.01 * 1024 = 12.24 ms uncached, then 2 ms fully cached; p50 interpolates.
  EXPECT_NEAR(r.ttft_p50_ms, (12.24 + 2.0) / 2, 1e-9);
}

TEST(ServingSimulationTest, BundledTraceAccountsForEveryRequestAndIsDeterministic) {
  const std::vector<TraceRequest> trace = BundledTrace(400);
  ServingSimulationOptions options;
  const ServingSimulationResult a = SimulateServing(trace, options).value();
  ExpectConsistent(a);
  EXPECT_GT(a.completed, 0);
  EXPECT_GT(a.prefix_hit_rate, 0.05);  // early in the trace, reuse is still building up
  const ServingSimulationResult b = SimulateServing(trace, options).value();
  EXPECT_EQ(a.completed, b.completed);
  EXPECT_EQ(a.ttft_p99_ms, b.ttft_p99_ms);
  EXPECT_EQ(a.kv_evictions, b.kv_evictions);

  options.enable_prefix_caching = false;
  const ServingSimulationResult uncached = SimulateServing(trace, options).value();
  ExpectConsistent(uncached);
  EXPECT_EQ(uncached.prefix_hit_rate, 0.0);
  EXPECT_GT(uncached.ttft_p50_ms, a.ttft_p50_ms);
}

TEST(ServingSimulationTest, TightAdmissionRejectsAndSmallCachesEvict) {
  const std::vector<TraceRequest> trace = BundledTrace(400);
  ServingSimulationOptions options;
  options.admission_qps = 1.0;
  options.kv_capacity_tokens = 400000;
  const ServingSimulationResult r = SimulateServing(trace, options).value();
  ExpectConsistent(r);
  EXPECT_GT(r.rejected, 0);
  EXPECT_GT(r.kv_evictions, 0);
}

TEST(ServingSimulationTest, RejectsInvalidInput) {
  TraceRequest uncovered;
  uncovered.input_tokens = 600;
  uncovered.block_hashes = {1};
  EXPECT_EQ(SimulateServing({uncovered}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  ServingSimulationOptions options;
  options.kv_capacity_tokens = 1;
  EXPECT_FALSE(SimulateServing({}, options).ok());
  options = {};
  options.max_batch_size = 0;
  EXPECT_FALSE(SimulateServing({}, options).ok());
  options = {};
  options.decode_ms_per_token = -1;
  EXPECT_FALSE(SimulateServing({}, options).ok());
}

}  // namespace
}  // namespace llmds
