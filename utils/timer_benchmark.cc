// Copyright 2026 The llmds Authors.

#include "benchmark/benchmark.h"
#include "llmds/utils/timer.h"

namespace llmds {
namespace {

void BM_TimerStartStop(benchmark::State& state) {
  for (auto _ : state) {
    Timer timer;
    timer.Stop();
    benchmark::DoNotOptimize(timer.elapsed());
  }
}
BENCHMARK(BM_TimerStartStop);

void BM_TimerElapsedWhileRunning(benchmark::State& state) {
  Timer timer;
  for (auto _ : state) benchmark::DoNotOptimize(timer.elapsed());
}
BENCHMARK(BM_TimerElapsedWhileRunning);

}  // namespace
}  // namespace llmds
