// Copyright 2026 The llmds Authors.

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "llmds/utils/clock.h"

namespace llmds {
namespace {

void BM_RealClockNow(benchmark::State& state) {
  Clock* clock = Clock::Real();
  for (auto _ : state) benchmark::DoNotOptimize(clock->Now());
}
BENCHMARK(BM_RealClockNow);

void BM_FakeClockNow(benchmark::State& state) {
  FakeClock fake;
  Clock* clock = &fake;
  for (auto _ : state) benchmark::DoNotOptimize(clock->Now());
}
BENCHMARK(BM_FakeClockNow);

void BM_FakeClockAdvance(benchmark::State& state) {
  FakeClock clock;
  for (auto _ : state) clock.Advance(absl::Microseconds(1));
  benchmark::DoNotOptimize(clock.Now());
}
BENCHMARK(BM_FakeClockAdvance);

}  // namespace
}  // namespace llmds
