// Copyright 2026 The llmds Authors.
//
// AdmissionController::ShouldAdmit cost. "Counting" uses a clock that advances 100 ns per read
// (so the window slides and old entries expire at the rate they arrive: the amortized steady
// state, ~10k entries in a 1 ms window); "Real" uses Clock::Real(). Admitted: limits high
// enough that every call is admitted; Refused: every call refused (the reason string and
// retry_after are built). Threads(2): two threads share one controller (throughput =
// items_per_second).
//
//   bazel run -c opt //scheduling:admission_controller_benchmark -- --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "llmds/scheduling/admission_controller.h"
#include "llmds/utils/clock.h"

namespace llmds {
namespace {

// A clock that moves 100 ns forward at every read; thread-safe and cheap.
class CountingClock final : public Clock {
 public:
  absl::Time Now() const override {
    // Relaxed is enough: each reader only needs some value; ordering comes from the controller.
    return absl::UnixEpoch() + absl::Nanoseconds(100 * ticks_.fetch_add(1, std::memory_order_relaxed));
  }

 private:
  mutable std::atomic<int64_t> ticks_{0};
};

AdmissionController* SharedController(bool real_clock) {
  static CountingClock* counting = new CountingClock;
  auto make = [](Clock* clock) {
    AdmissionOptions options;
    options.qps_target = 1e9;  // 1e6 requests per 1 ms window: never the limit
    options.token_rate_limit = int64_t{1} << 50;
    options.window_seconds = 1e-3;
    options.clock = clock;
    return std::move(AdmissionController::Create(options)).value().release();
  };
  static AdmissionController* counting_controller = make(counting);
  static AdmissionController* real_controller = make(Clock::Real());
  return real_clock ? real_controller : counting_controller;
}

void BM_ShouldAdmitAdmitted(benchmark::State& state) {
  AdmissionController* controller = SharedController(state.range(0) != 0);
  int64_t admitted = 0;
  for (auto _ : state) {
    AdmissionDecision d = controller->ShouldAdmit(100);
    admitted += d.admitted;
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["admit_rate"] =
      static_cast<double>(admitted) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ShouldAdmitAdmitted)->ArgName("real_clock")->Arg(0)->Arg(1);
BENCHMARK(BM_ShouldAdmitAdmitted)->ArgName("real_clock")->Arg(0)->Arg(1)->Threads(2)->UseRealTime();

void BM_ShouldAdmitRefused(benchmark::State& state) {
  FakeClock clock;
  AdmissionOptions options;
  options.qps_target = 10;
  options.window_seconds = 1;
  options.clock = &clock;
  auto controller = std::move(AdmissionController::Create(options)).value();
  for (int i = 0; i < 10; ++i) (void)controller->ShouldAdmit(1);
  for (auto _ : state) {
    AdmissionDecision d = controller->ShouldAdmit(1);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ShouldAdmitRefused);

}  // namespace
}  // namespace llmds
