// Copyright 2026 The llmds Authors.

#include "benchmark/benchmark.h"
#include "llmds/utils/memory_profiler.h"

namespace llmds {
namespace {

void BM_MemoryProfilerSample(benchmark::State& state) {
  MemoryProfiler profiler;
  profiler.Start();
  for (auto _ : state) benchmark::DoNotOptimize(profiler.Sample());
}
BENCHMARK(BM_MemoryProfilerSample);

void BM_ScopedMemoryProfile(benchmark::State& state) {
  MemoryProfiler profiler;
  for (auto _ : state) {
    ScopedMemoryProfile scope(&profiler);
  }
  benchmark::DoNotOptimize(profiler.GetPeakRssBytes());
}
BENCHMARK(BM_ScopedMemoryProfile);

}  // namespace
}  // namespace llmds
