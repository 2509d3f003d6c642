// Copyright 2026 The llmds Authors.
//
// Multi-threaded stress tests for the thread-safe classes of scheduling/ (Scheduler and
// AdmissionController). Run them under ThreadSanitizer:
//   bazel test --config=tsan //scheduling:concurrency_test

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "llmds/scheduling/admission_controller.h"
#include "llmds/scheduling/scheduler.h"
#include "llmds/utils/clock.h"

namespace llmds {
namespace {

constexpr int kThreads = 4;

TEST(AdmissionControllerConcurrencyTest, TotalsAreExactUnderContention) {
  FakeClock clock;
  AdmissionOptions options;
  options.qps_target = 300;  // R = 300 per 1 s window
  options.token_rate_limit = 1000000;
  options.window_seconds = 1.0;
  options.clock = &clock;
  auto controller = AdmissionController::Create(options);
  ASSERT_TRUE(controller.ok());
  AdmissionController& c = **controller;

  constexpr int kRounds = 5;
  constexpr int kCallsPerThread = 250;  // 1000 calls per round for R = 300 slots
  std::atomic<int64_t> admitted{0}, refused{0}, recorded_tokens{0};
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<int64_t> round_admitted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kCallsPerThread; ++i) {
          if ((i + t) % 10 == 0) {
            c.RecordRequest(1);
            recorded_tokens.fetch_add(1);
            continue;
          }
          AdmissionDecision d = c.ShouldAdmit(2);
          if (d.admitted) {
            admitted.fetch_add(1);
            round_admitted.fetch_add(1);
          } else {
            refused.fetch_add(1);
            EXPECT_EQ(d.limit, AdmissionDecision::Limit::kRequests);
            EXPECT_GT(d.retry_after, absl::ZeroDuration());
          }
          if (i % 64 == 0) (void)c.Stats();
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    // Time stood still during the round: exactly R admissions fit in it.
    EXPECT_EQ(round_admitted.load(), 300) << "round " << round;
    AdmissionStats stats = c.Stats();
    EXPECT_EQ(stats.requests_in_window, 300);
    EXPECT_EQ(stats.tokens_in_window, 600 + kThreads * kCallsPerThread / 10);
    clock.Advance(absl::Seconds(1));  // the whole window expires
  }
  AdmissionStats stats = c.Stats();
  EXPECT_EQ(stats.admitted_requests, admitted.load());
  EXPECT_EQ(stats.rejected_requests, refused.load());
  EXPECT_EQ(admitted.load() + refused.load() + recorded_tokens.load(),
            int64_t{kRounds} * kThreads * kCallsPerThread);
  EXPECT_EQ(admitted.load(), int64_t{kRounds} * 300);
}

TEST(SchedulerConcurrencyTest, NothingIsLostOrDuplicated) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_batch_size = 8;
  options.max_wait_ms = 1;
  options.max_batch_tokens = 400;
  options.max_queue_size = 500;
  options.clock = &clock;
  auto created = Scheduler::Create(options);
  ASSERT_TRUE(created.ok());
  Scheduler& s = **created;

  constexpr int kPerProducer = 1500;
  std::atomic<int> producers_done{0};
  std::vector<std::vector<int64_t>> submitted(kThreads - 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads - 1; ++t) {
    threads.emplace_back([&, t] {
      int accepted = 0;
      for (int i = 0; accepted < kPerProducer; ++i) {
        std::optional<double> slo;
        if (i % 3 == 0) slo = 2.0;
        auto id = s.Submit(1 + (i * 37 + t) % 120, slo);
        if (id.ok()) {
          submitted[t].push_back(*id);
          ++accepted;
          if (i % 50 == 0) (void)s.UpdatePriority(*id, 1 + i % 7);
        } else {
          EXPECT_EQ(id.status().code(), absl::StatusCode::kResourceExhausted);
          std::this_thread::yield();
        }
      }
      producers_done.fetch_add(1);
    });
  }
  std::vector<int64_t> completed;
  threads.emplace_back([&] {  // the serving loop
    int64_t step = 0;
    for (;;) {
      const bool last = producers_done.load() == kThreads - 1;
      std::optional<std::vector<int64_t>> batch = s.GetBatch(/*force=*/last);
      if (!batch) {
        if (last && s.Stats().queue_size == 0) break;
        clock.Advance(absl::Microseconds(100));
        continue;
      }
      EXPECT_LE(batch->size(), 8u);
      // Every 5th batch: its first request is preempted with some tokens left (chunked).
      if (++step % 5 == 0 && batch->size() > 1) {
        EXPECT_TRUE(s.UpdatePriority(batch->front(), 3).ok());
        batch->erase(batch->begin());
      }
      EXPECT_TRUE(s.CompleteBatch(*batch).ok());
      completed.insert(completed.end(), batch->begin(), batch->end());
    }
  });
  for (std::thread& thread : threads) thread.join();

  std::set<int64_t> all_submitted;
  for (const auto& ids : submitted) all_submitted.insert(ids.begin(), ids.end());
  EXPECT_EQ(all_submitted.size(), size_t{(kThreads - 1) * kPerProducer});
  std::set<int64_t> all_completed(completed.begin(), completed.end());
  EXPECT_EQ(all_completed.size(), completed.size()) << "a request completed twice";
  EXPECT_EQ(all_completed, all_submitted);
  SchedulerStats stats = s.Stats();
  EXPECT_EQ(stats.queue_size, 0);
  EXPECT_EQ(stats.in_flight, 0);
  EXPECT_EQ(stats.total_processed, static_cast<int64_t>(completed.size()));
  EXPECT_TRUE(s.CheckInvariants().ok());
}

}  // namespace
}  // namespace llmds
