// Copyright 2026 The llmds Authors.

#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "llmds/utils/statistics.h"

namespace llmds {
namespace {

std::vector<double> Latencies(int n) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency_ms(2.0, 0.5);
  std::vector<double> values(n);
  for (double& v : values) v = latency_ms(rng);
  return values;
}

void BM_ComputePercentiles(benchmark::State& state) {
  const std::vector<double> values = Latencies(state.range(0));
  for (auto _ : state) {
    auto percentiles = ComputePercentiles(values);
    benchmark::DoNotOptimize(percentiles);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ComputePercentiles)->ArgName("n")->Range(16, 1 << 20);

void BM_CalculateStatistics(benchmark::State& state) {
  const std::vector<double> values = Latencies(state.range(0));
  for (auto _ : state) {
    auto stats = CalculateStatistics(values, 0.95);
    benchmark::DoNotOptimize(stats);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CalculateStatistics)->ArgName("n")->Range(16, 1 << 20);

void BM_StudentTQuantile(benchmark::State& state) {
  const double df = static_cast<double>(state.range(0));
  double p = 0.975;
  for (auto _ : state) {
    auto t = StudentTQuantile(p, df);
    benchmark::DoNotOptimize(t);
    p = p == 0.975 ? 0.995 : 0.975;  // defeat caching of a constant argument
  }
}
BENCHMARK(BM_StudentTQuantile)->ArgName("df")->Arg(1)->Arg(9)->Arg(99)->Arg(999);

}  // namespace
}  // namespace llmds
