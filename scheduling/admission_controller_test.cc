// Copyright 2026 The llmds Authors.

#include "llmds/scheduling/admission_controller.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "llmds/utils/clock.h"

namespace llmds {
namespace {

using Limit = AdmissionDecision::Limit;

std::unique_ptr<AdmissionController> Make(FakeClock& clock, double qps, int64_t token_rate,
                                          double window_seconds) {
  AdmissionOptions options;
  options.qps_target = qps;
  options.token_rate_limit = token_rate;
  options.window_seconds = window_seconds;
  options.clock = &clock;
  auto controller = AdmissionController::Create(options);
  EXPECT_TRUE(controller.ok()) << controller.status();
  return std::move(controller).value();
}

TEST(AdmissionControllerTest, CreateValidatesOptions) {
  auto code = [](double qps, int64_t tokens, double window) {
    AdmissionOptions options;
    options.qps_target = qps;
    options.token_rate_limit = tokens;
    options.window_seconds = window;
    return AdmissionController::Create(options).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(0, 10, 1), kInvalid);
  EXPECT_EQ(code(-1, 10, 1), kInvalid);
  EXPECT_EQ(code(std::nan(""), 10, 1), kInvalid);
  EXPECT_EQ(code(HUGE_VAL, 10, 1), kInvalid);
  EXPECT_EQ(code(10, 0, 1), kInvalid);
  EXPECT_EQ(code(10, -5, 1), kInvalid);
  EXPECT_EQ(code(10, 10, 0), kInvalid);
  EXPECT_EQ(code(10, 10, -1), kInvalid);
  EXPECT_EQ(code(10, 10, std::nan("")), kInvalid);
  EXPECT_EQ(code(10, 10, 1e12), kInvalid);
  EXPECT_EQ(code(0.5, 10, 1.5), kInvalid);  // R = floor(0.75) = 0: nothing could ever pass
  EXPECT_EQ(code(10, 1, 0.5), kInvalid);    // T = floor(0.5) = 0
  EXPECT_TRUE(AdmissionController::Create(AdmissionOptions{}).ok());
}

TEST(AdmissionControllerTest, RequestLimitIsExactAtTheWindowEdge) {
  FakeClock clock;
  auto c = Make(clock, /*qps=*/3, /*token_rate=*/1000, /*window=*/1.0);  // R = 3
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(c->ShouldAdmit().admitted);
    clock.Advance(absl::Milliseconds(100));
  }
  // Admitted at 0, 100, 200 ms; now 300 ms.
  AdmissionDecision refused = c->ShouldAdmit();
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.limit, Limit::kRequests);
  EXPECT_EQ(refused.retry_after, absl::Milliseconds(700));  // the one at 0 leaves at 1000 ms
  EXPECT_NE(refused.reason.find("request limit"), std::string::npos);
  clock.Advance(absl::Milliseconds(700) - absl::Nanoseconds(1));
  EXPECT_FALSE(c->ShouldAdmit().admitted);
  clock.Advance(absl::Nanoseconds(1));  // exactly 0 + W: the first admission stops counting
  EXPECT_TRUE(c->ShouldAdmit().admitted);
  EXPECT_FALSE(c->ShouldAdmit().admitted);
  AdmissionStats stats = c->Stats();
  EXPECT_EQ(stats.admitted_requests, 4);
  EXPECT_EQ(stats.rejected_requests, 3);
  EXPECT_DOUBLE_EQ(stats.rejection_rate, 3.0 / 7.0);
  EXPECT_EQ(stats.requests_in_window, 3);
  EXPECT_DOUBLE_EQ(stats.current_qps, 3.0);
  EXPECT_EQ(stats.max_requests_per_window, 3);
}

TEST(AdmissionControllerTest, TokenLimitSaysWhenEnoughTokensExpire) {
  FakeClock clock;
  auto c = Make(clock, /*qps=*/100, /*token_rate=*/50, /*window=*/2.0);  // T = 100
  EXPECT_TRUE(c->ShouldAdmit(40).admitted);  // t = 0
  clock.Advance(absl::Milliseconds(500));
  EXPECT_TRUE(c->ShouldAdmit(30).admitted);  // t = 0.5 s
  clock.Advance(absl::Milliseconds(500));
  c->RecordRequest(20);                      // t = 1 s: 90 in the window
  AdmissionDecision fits = c->ShouldAdmit(10);  // 100 <= 100
  EXPECT_TRUE(fits.admitted);
  EXPECT_TRUE(fits.reason.empty());
  AdmissionDecision refused = c->ShouldAdmit(65);  // needs 65 free: 40 and 30 must leave
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.limit, Limit::kTokens);
  EXPECT_EQ(refused.retry_after, absl::Milliseconds(1500));  // 0.5 s + 2 s - 1 s
  EXPECT_NE(refused.reason.find("token limit"), std::string::npos);
  EXPECT_EQ(c->Stats().tokens_in_window, 100);
  EXPECT_EQ(c->Stats().max_tokens_per_window, 100);
  clock.Advance(absl::Milliseconds(1000));  // t = 2 s: the 40 left
  EXPECT_FALSE(c->ShouldAdmit(65).admitted);
  clock.Advance(absl::Milliseconds(500));   // t = 2.5 s: the 30 left too
  EXPECT_TRUE(c->ShouldAdmit(65).admitted);
}

TEST(AdmissionControllerTest, EstimateLargerThanTheWindowIsNeverAdmissible) {
  FakeClock clock;
  auto c = Make(clock, 10, 10, 10.0);  // T = 100
  AdmissionDecision d = c->ShouldAdmit(101);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after, absl::InfiniteDuration());
  EXPECT_TRUE(c->ShouldAdmit(100).admitted);
}

TEST(AdmissionControllerTest, NegativeEstimateIsRefusedAndNotCounted) {
  FakeClock clock;
  auto c = Make(clock, 10, 10, 10.0);
  AdmissionDecision d = c->ShouldAdmit(-1);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.limit, Limit::kInvalidArgument);
  EXPECT_NE(d.reason.find("-1"), std::string::npos);
  EXPECT_EQ(c->Stats().rejected_requests, 0);
  EXPECT_EQ(c->Stats().requests_in_window, 0);
}

TEST(AdmissionControllerTest, BothLimitsAtOnceWaitForTheLaterOne) {
  FakeClock clock;
  auto c = Make(clock, 2, 10, 1.0);  // R = 2, T = 10
  EXPECT_TRUE(c->ShouldAdmit(2).admitted);   // t = 0
  clock.Advance(absl::Milliseconds(300));
  EXPECT_TRUE(c->ShouldAdmit(8).admitted);   // t = 0.3
  AdmissionDecision d = c->ShouldAdmit(5);   // requests free at 1.0, tokens (8 must go) at 1.3
  EXPECT_EQ(d.limit, Limit::kRequestsAndTokens);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(1000));
}

TEST(AdmissionControllerTest, RecordedTokensCanFillTheWindow) {
  FakeClock clock;
  auto c = Make(clock, 10, 10, 1.0);  // T = 10
  c->RecordRequest(0);
  c->RecordRequest(-3);  // ignored
  c->RecordRequest(25);
  EXPECT_EQ(c->Stats().tokens_in_window, 25);
  EXPECT_EQ(c->Stats().requests_in_window, 0);  // records are not requests
  AdmissionDecision d = c->ShouldAdmit(0);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after, absl::Seconds(1));
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(c->ShouldAdmit(0).admitted);
}

TEST(AdmissionControllerTest, ResetForgetsEverything) {
  FakeClock clock;
  auto c = Make(clock, 1, 10, 1.0);
  EXPECT_TRUE(c->ShouldAdmit(5).admitted);
  EXPECT_FALSE(c->ShouldAdmit(5).admitted);
  c->Reset();
  AdmissionStats stats = c->Stats();
  EXPECT_EQ(stats.admitted_requests, 0);
  EXPECT_EQ(stats.rejected_requests, 0);
  EXPECT_EQ(stats.tokens_in_window, 0);
  EXPECT_TRUE(c->ShouldAdmit(10).admitted);
}

TEST(AdmissionControllerTest, ClockGoingBackwardsExpiresNothing) {
  FakeClock clock(absl::FromUnixSeconds(100));
  auto c = Make(clock, 1, 10, 1.0);  // R = 1
  EXPECT_TRUE(c->ShouldAdmit().admitted);
  clock.Advance(absl::Seconds(-50));
  AdmissionDecision d = c->ShouldAdmit();
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after, absl::Seconds(1));  // measured in the controller's own time
  clock.Set(absl::FromUnixSeconds(101));
  EXPECT_TRUE(c->ShouldAdmit().admitted);
}

TEST(AdmissionControllerTest, HugeTokenCountsDoNotOverflow) {
  FakeClock clock;
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  auto c = Make(clock, 10, kMax, 10.0);  // T saturates at INT64_MAX
  EXPECT_EQ(c->Stats().max_tokens_per_window, kMax);
  EXPECT_TRUE(c->ShouldAdmit(kMax).admitted);
  c->RecordRequest(kMax);
  c->RecordRequest(kMax);
  EXPECT_EQ(c->Stats().tokens_in_window, kMax);  // saturated report
  EXPECT_FALSE(c->ShouldAdmit(0).admitted);
  clock.Advance(absl::Seconds(10));
  EXPECT_TRUE(c->ShouldAdmit(1).admitted);
}

// ---------------------------------------------------------------------------------------------
// Exactness against a brute-force window: all events kept, windows recounted from scratch.

class ModelWindow {
 public:
  ModelWindow(int64_t max_requests, int64_t max_tokens, int64_t window_ns)
      : max_requests_(max_requests), max_tokens_(max_tokens), window_ns_(window_ns) {}

  int64_t Requests(int64_t t) const {
    int64_t n = 0;
    for (const Event& e : events_) n += e.request && InWindow(e.time, t);
    return n;
  }
  int64_t Tokens(int64_t t) const {
    int64_t n = 0;
    for (const Event& e : events_) n += InWindow(e.time, t) ? e.tokens : 0;
    return n;
  }
  bool Admissible(int64_t t, int64_t estimate) const {
    return Requests(t) + 1 <= max_requests_ && Tokens(t) + estimate <= max_tokens_;
  }
  // Drops events that cannot count at any time >= t.
  void Prune(int64_t t) {
    events_.erase(std::remove_if(events_.begin(), events_.end(),
                                 [&](const Event& e) { return e.time + window_ns_ <= t; }),
                  events_.end());
  }
  void Admit(int64_t t, int64_t estimate) { events_.push_back({t, estimate, true}); }
  void Record(int64_t t, int64_t tokens) { events_.push_back({t, tokens, false}); }

 private:
  struct Event {
    int64_t time;
    int64_t tokens;
    bool request;
  };
  bool InWindow(int64_t a, int64_t t) const { return a <= t && t < a + window_ns_; }

  int64_t max_requests_, max_tokens_, window_ns_;
  std::vector<Event> events_;
};

void RunAdmissionDifferential(uint64_t seed, double qps, int64_t token_rate, double window_s,
                              bool with_records, int num_ops) {
  std::mt19937_64 rng(seed);
  FakeClock clock;
  auto c = Make(clock, qps, token_rate, window_s);
  const AdmissionStats limits = c->Stats();
  const int64_t window_ns = absl::ToInt64Nanoseconds(c->window());
  ASSERT_EQ(absl::Nanoseconds(window_ns), c->window());
  ModelWindow model(limits.max_requests_per_window, limits.max_tokens_per_window, window_ns);
  const int64_t T = limits.max_tokens_per_window;
  int64_t clock_ns = 0, now = 0;
  std::vector<int64_t> event_times;
  int64_t admitted = 0, rejected = 0;
  for (int op = 0; op < num_ops; ++op) {
    // Move time: small steps, exact window edges of past events (and one ns around them),
    // occasionally backwards.
    const int move = static_cast<int>(rng() % 10);
    if (move < 4) {
      clock_ns += static_cast<int64_t>(rng() % (window_ns / 8 + 1));
    } else if (move < 7 && !event_times.empty()) {
      const int64_t edge = event_times[rng() % event_times.size()] + window_ns +
                           static_cast<int64_t>(rng() % 3) - 1;
      if (edge > clock_ns) clock_ns = edge;
    } else if (move == 7) {
      clock_ns -= static_cast<int64_t>(rng() % window_ns);
    }
    clock.Set(absl::UnixEpoch() + absl::Nanoseconds(clock_ns));
    now = std::max(now, clock_ns);
    model.Prune(now);

    if (with_records && rng() % 4 == 0) {
      const int64_t tokens = static_cast<int64_t>(rng() % (T / 2 + 1));
      c->RecordRequest(tokens);
      if (tokens > 0) {
        model.Record(now, tokens);
        event_times.push_back(now);
      }
    } else {
      int64_t estimate = static_cast<int64_t>(rng() % (T / 3 + 1));
      if (rng() % 30 == 0) estimate = T + 1 + static_cast<int64_t>(rng() % 5);
      if (rng() % 8 == 0) estimate = 0;
      const bool want = model.Admissible(now, estimate);
      AdmissionDecision d = c->ShouldAdmit(estimate);
      ASSERT_EQ(d.admitted, want) << "seed " << seed << " op " << op << " t " << now
                                  << " estimate " << estimate << ": " << d.reason;
      if (d.admitted) {
        ++admitted;
        model.Admit(now, estimate);
        event_times.push_back(now);
        ASSERT_EQ(d.retry_after, absl::ZeroDuration());
      } else {
        ++rejected;
        const bool req_bad = model.Requests(now) + 1 > limits.max_requests_per_window;
        const bool tok_bad = model.Tokens(now) + estimate > T;
        ASSERT_EQ(d.limit, req_bad && tok_bad ? Limit::kRequestsAndTokens
                           : req_bad          ? Limit::kRequests
                                              : Limit::kTokens);
        if (estimate > T) {
          ASSERT_EQ(d.retry_after, absl::InfiniteDuration());
        } else {
          // Exactly the earliest time that would pass, if nothing else happened.
          const int64_t retry_ns = absl::ToInt64Nanoseconds(d.retry_after);
          ASSERT_EQ(absl::Nanoseconds(retry_ns), d.retry_after);
          ASSERT_GT(retry_ns, 0);
          ASSERT_TRUE(model.Admissible(now + retry_ns, estimate)) << "op " << op;
          ASSERT_FALSE(model.Admissible(now + retry_ns - 1, estimate))
              << "op " << op << " now " << now << " retry " << retry_ns << " est " << estimate
              << " req " << model.Requests(now) << " tok " << model.Tokens(now) << " reqlater "
              << model.Requests(now + retry_ns - 1) << " toklater "
              << model.Tokens(now + retry_ns - 1) << " " << d.reason;
        }
      }
    }
    // The guarantee at this instant (events only happen at instants we check, so this is every
    // instant at which a window's contents grow).
    if (!with_records) {
      ASSERT_LE(model.Requests(now), limits.max_requests_per_window);
      ASSERT_LE(model.Tokens(now), T);
    }
    if (op % 5 == 0) {
      AdmissionStats stats = c->Stats();
      ASSERT_EQ(stats.requests_in_window, model.Requests(now));
      ASSERT_EQ(stats.tokens_in_window, model.Tokens(now));
      ASSERT_EQ(stats.admitted_requests, admitted);
      ASSERT_EQ(stats.rejected_requests, rejected);
    }
    if (event_times.size() > 4096) event_times.erase(event_times.begin(), event_times.begin() + 2048);
  }
}

TEST(AdmissionControllerDifferentialTest, ExactBothWaysWithoutRecords) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    RunAdmissionDifferential(seed, /*qps=*/5, /*token_rate=*/100, /*window=*/1.0, false, 3000);
    RunAdmissionDifferential(seed, /*qps=*/2.5, /*token_rate=*/37, /*window=*/2.0, false, 3000);
  }
}

TEST(AdmissionControllerDifferentialTest, ExactBothWaysWithRecords) {
  for (uint64_t seed = 10; seed <= 15; ++seed) {
    RunAdmissionDifferential(seed, /*qps=*/8, /*token_rate=*/60, /*window=*/0.5, true, 3000);
  }
}

}  // namespace
}  // namespace llmds
