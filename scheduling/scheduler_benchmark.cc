// Copyright 2026 The llmds Authors.
//
// Scheduler steady state with 100k requests queued: each iteration submits one batch worth of
// requests (32), takes a batch (a full batch is due at once) and completes it, so the queue
// stays at 100k. Reported per request (items). Arg slo_percent: share of requests with an SLO
// (they go through the deadline heap; with the clock advancing 1 us per iteration some of them
// become urgent and take the urgent path).
//
//   bazel run -c opt //scheduling:scheduler_benchmark -- --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "llmds/scheduling/scheduler.h"
#include "llmds/utils/clock.h"

namespace llmds {
namespace {

constexpr int kQueued = 100000;
constexpr int kBatch = 32;

void BM_SchedulerSubmitBatchComplete(benchmark::State& state) {
  const int slo_percent = static_cast<int>(state.range(0));
  FakeClock clock;
  SchedulerOptions options;
  options.max_batch_size = kBatch;
  options.max_wait_ms = 1e9;  // aging off: the batch is due because it is full
  options.clock = &clock;
  std::unique_ptr<Scheduler> scheduler = std::move(Scheduler::Create(options)).value();
  std::mt19937_64 rng(1);
  std::vector<int64_t> tokens(1 << 16);
  std::vector<std::optional<double>> slos(1 << 16);
  for (size_t i = 0; i < tokens.size(); ++i) {
    tokens[i] = 1 + static_cast<int64_t>(rng() % 4096);
    if (static_cast<int>(rng() % 100) < slo_percent) {
      slos[i] = 50.0 + static_cast<double>(rng() % 1000);
    }
  }
  size_t next = 0;
  auto submit = [&] {
    (void)scheduler->Submit(tokens[next], slos[next]);
    next = (next + 1) & (tokens.size() - 1);
  };
  for (int i = 0; i < kQueued; ++i) submit();
  int64_t requests = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) submit();
    std::optional<std::vector<int64_t>> batch = scheduler->GetBatch();
    (void)scheduler->CompleteBatch(*batch);
    requests += static_cast<int64_t>(batch->size());
    clock.Advance(absl::Microseconds(1));
  }
  state.SetItemsProcessed(requests);
  state.counters["queued"] = static_cast<double>(scheduler->Stats().queue_size);
  state.counters["ns_per_request"] = benchmark::Counter(
      static_cast<double>(requests), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SchedulerSubmitBatchComplete)->ArgName("slo_percent")->Arg(0)->Arg(50);
// Fixed iteration counts, for counting instructions under valgrind (timing-independent): the
// difference between the two runs' totals, divided by 10000 * kBatch, is the steady-state cost
// of one request, setup excluded:
//   valgrind --tool=callgrind ./scheduler_benchmark
//       --benchmark_filter='slo_percent:50/iterations:10000$'   (then 20000)
BENCHMARK(BM_SchedulerSubmitBatchComplete)->ArgName("slo_percent")->Arg(50)->Iterations(10000);
BENCHMARK(BM_SchedulerSubmitBatchComplete)->ArgName("slo_percent")->Arg(50)->Iterations(20000);

}  // namespace
}  // namespace llmds
