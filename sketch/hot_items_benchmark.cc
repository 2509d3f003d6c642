// Copyright 2026 The llmds Authors.
//
// HotItemTracker throughput on a Zipf(1.1) stream of 16-byte keys over 2^16 distinct items:
// Add without decay, Add with decay (the real clock, read on every Add), and TopK.
//
//   bazel run -c opt //sketch:hot_items_benchmark --
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "llmds/sketch/hot_items.h"
#include "llmds/sketch/sketch_testing.h"
#include "llmds/utils/clock.h"

namespace llmds {
namespace {

using sketch_testing::BenchmarkStream;
constexpr size_t kStreamLength = sketch_testing::kBenchmarkStreamLength;

HotItemTracker MakeTracker(int64_t capacity, bool decay) {
  HotItemTrackerOptions options;
  options.capacity = static_cast<int32_t>(capacity);
  if (decay) options.half_life = absl::Seconds(60);
  return *HotItemTracker::Create(options);
}

void BM_HotItemTrackerAdd(benchmark::State& state) {
  HotItemTracker tracker = MakeTracker(state.range(0), state.range(1) != 0);
  const std::vector<std::string_view>& stream = BenchmarkStream();
  size_t i = 0;
  for (auto _ : state) tracker.Add(stream[i++ & (kStreamLength - 1)]);
  benchmark::DoNotOptimize(tracker.size());
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(tracker.MemoryUsage());
}
BENCHMARK(BM_HotItemTrackerAdd)
    ->ArgNames({"capacity", "decay"})
    ->Args({64, 0})
    ->Args({1024, 0})
    ->Args({16384, 0})
    ->Args({1024, 1});

void BM_HotItemTrackerTopK(benchmark::State& state) {
  HotItemTracker tracker = MakeTracker(state.range(0), false);
  for (std::string_view item : BenchmarkStream()) tracker.Add(item);
  for (auto _ : state) benchmark::DoNotOptimize(tracker.TopK(32));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HotItemTrackerTopK)->ArgNames({"capacity"})->Arg(64)->Arg(1024)->Arg(16384);

}  // namespace
}  // namespace llmds
