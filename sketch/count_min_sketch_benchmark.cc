// Copyright 2026 The llmds Authors.
//
// CountMinSketch throughput: single Add and Estimate, batch Add, and memory per configuration.
// Keys are 16 bytes; the stream is Zipf(1.1) over 2^16 distinct keys (a skewed query log).
//
//   bazel run -c opt //sketch:count_min_sketch_benchmark --
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "benchmark/benchmark.h"
#include "llmds/sketch/count_min_sketch.h"
#include "llmds/sketch/sketch_testing.h"

namespace llmds {
namespace {

using sketch_testing::BenchmarkStream;
constexpr size_t kStreamLength = sketch_testing::kBenchmarkStreamLength;

CountMinSketch MakeSketch(const benchmark::State& state) {
  CountMinSketchOptions options;
  options.width = static_cast<int32_t>(state.range(0));
  options.depth = static_cast<int32_t>(state.range(1));
  options.conservative_update = state.range(2) != 0;
  return *CountMinSketch::Create(options);
}

void ShapeArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"width", "depth", "conservative"});
  for (int conservative : {1, 0}) b->Args({2048, 4, conservative});
  b->Args({1 << 16, 4, 1});  // 2 MiB: beyond L2
  b->Args({1 << 20, 5, 1});  // 40 MiB: beyond the last-level cache
}

void BM_Add(benchmark::State& state) {
  CountMinSketch sketch = MakeSketch(state);
  const std::vector<std::string_view>& stream = BenchmarkStream();
  size_t i = 0;
  for (auto _ : state) {
    sketch.Add(stream[i++ & (kStreamLength - 1)]);
  }
  benchmark::DoNotOptimize(sketch.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Add)->Apply(ShapeArgs);

void BM_Estimate(benchmark::State& state) {
  CountMinSketch sketch = MakeSketch(state);
  const std::vector<std::string_view>& stream = BenchmarkStream();
  sketch.AddBatch(stream);
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    sum += sketch.Estimate(stream[i++ & (kStreamLength - 1)]);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Estimate)->Apply(ShapeArgs);

// Updates per second through AddBatch, 4096 items per call.
void BM_AddBatch(benchmark::State& state) {
  CountMinSketch sketch = MakeSketch(state);
  const absl::Span<const std::string_view> stream(BenchmarkStream());
  constexpr size_t kBatch = 4096;
  size_t offset = 0;
  for (auto _ : state) {
    sketch.AddBatch(stream.subspan(offset, kBatch));
    offset = (offset + kBatch) & (kStreamLength - 1);
  }
  benchmark::DoNotOptimize(sketch.TotalCount());
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_AddBatch)->Apply(ShapeArgs);

// Reports the bytes of a sketch per configuration (counters only; the loop does nothing).
void BM_MemoryPerConfiguration(benchmark::State& state) {
  CountMinSketch sketch = MakeSketch(state);
  for (auto _ : state) benchmark::DoNotOptimize(sketch.width());
  state.counters["bytes"] = static_cast<double>(sketch.MemoryUsage());
  state.counters["epsilon"] = sketch.epsilon();
  state.counters["delta"] = sketch.delta();
}
BENCHMARK(BM_MemoryPerConfiguration)
    ->ArgNames({"width", "depth", "conservative"})
    ->Args({272, 3, 1})      // epsilon 0.01,  delta 0.05
    ->Args({2048, 4, 1})     // the default
    ->Args({2719, 5, 1})     // epsilon 0.001, delta 0.01
    ->Args({27183, 7, 1})    // epsilon 1e-4,  delta 0.001
    ->Args({1 << 20, 5, 1})
    ->Iterations(1);

}  // namespace
}  // namespace llmds
