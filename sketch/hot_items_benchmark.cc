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

constexpr size_t kUniverse = 1 << 16;
constexpr size_t kStreamLength = 1 << 20;

// The stream's keys are copied, in stream order, into one contiguous buffer: a request's key is
// normally hot in cache when it is counted, so the benchmark measures the sketch, not misses on
// a scattered key table.
const std::vector<std::string_view>& Stream() {
  static const std::string* bytes = [] {
    const sketch_testing::KeyUniverse keys(kUniverse, 16);
    auto* buffer = new std::string();
    buffer->reserve(kStreamLength * 16);
    for (uint32_t id : sketch_testing::ZipfStream(kUniverse, 1.1, kStreamLength, 1)) {
      buffer->append(keys.key(id));
    }
    return buffer;
  }();
  static const auto* stream = [] {
    auto* items = new std::vector<std::string_view>();
    for (size_t i = 0; i < kStreamLength; ++i) {
      items->push_back(std::string_view(bytes->data() + 16 * i, 16));
    }
    return items;
  }();
  return *stream;
}

HotItemTracker MakeTracker(int64_t capacity, bool decay) {
  HotItemTrackerOptions options;
  options.capacity = static_cast<int32_t>(capacity);
  if (decay) options.half_life = absl::Seconds(60);
  return *HotItemTracker::Create(options);
}

void BM_HotItemTrackerAdd(benchmark::State& state) {
  HotItemTracker tracker = MakeTracker(state.range(0), state.range(1) != 0);
  const std::vector<std::string_view>& stream = Stream();
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
  for (std::string_view item : Stream()) tracker.Add(item);
  for (auto _ : state) benchmark::DoNotOptimize(tracker.TopK(32));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HotItemTrackerTopK)->ArgNames({"capacity"})->Arg(64)->Arg(1024)->Arg(16384);

}  // namespace
}  // namespace llmds
