// Copyright 2026 The llmds Authors.

#include "llmds/scheduling/scheduler.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "llmds/utils/clock.h"

namespace llmds {
namespace {

using Batch = std::vector<int64_t>;

std::unique_ptr<Scheduler> MakeScheduler(FakeClock& clock, SchedulerOptions options = {}) {
  options.clock = &clock;
  auto scheduler = Scheduler::Create(options);
  EXPECT_TRUE(scheduler.ok()) << scheduler.status();
  return std::move(scheduler).value();
}

// Ids are opaque; the tests name requests by submission order (1, 2, 3, ...) through this
// wrapper, which translates in both directions.
class Ordinals {
 public:
  explicit Ordinals(Scheduler& s) : s_(s) {}

  // Submits and returns the request's ordinal.
  int64_t Submit(int64_t tokens, std::optional<double> slo_ms = std::nullopt) {
    auto id = s_.Submit(tokens, slo_ms);
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return -1;
    EXPECT_TRUE(ordinal_of_.emplace(*id, static_cast<int64_t>(ids_.size()) + 1).second)
        << "id " << *id << " issued twice";
    EXPECT_GT(*id, 0);
    ids_.push_back(*id);
    return static_cast<int64_t>(ids_.size());
  }
  std::optional<Batch> GetBatch(bool force = false) {
    std::optional<Batch> batch = s_.GetBatch(force);
    if (batch) {
      for (int64_t& id : *batch) id = ordinal_of_.at(id);
    }
    return batch;
  }
  // Unknown ordinals become ids that were never issued.
  int64_t Id(int64_t ordinal) const {
    return ordinal >= 1 && ordinal <= static_cast<int64_t>(ids_.size()) ? ids_[ordinal - 1]
                                                                        : -ordinal;
  }
  absl::Status Complete(std::vector<int64_t> ordinals) {
    for (int64_t& o : ordinals) o = Id(o);
    return s_.CompleteBatch(ordinals);
  }
  absl::Status Update(int64_t ordinal, int64_t tokens) {
    return s_.UpdatePriority(Id(ordinal), tokens);
  }

 private:
  Scheduler& s_;
  std::vector<int64_t> ids_;
  std::map<int64_t, int64_t> ordinal_of_;
};

TEST(SchedulerTest, CreateValidatesOptions) {
  auto bad = [](auto mutate) {
    SchedulerOptions options;
    mutate(options);
    return Scheduler::Create(options).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(bad([](SchedulerOptions& o) { o.max_batch_size = 0; }), kInvalid);
  EXPECT_EQ(bad([](SchedulerOptions& o) { o.max_wait_ms = -1; }), kInvalid);
  EXPECT_EQ(bad([](SchedulerOptions& o) { o.max_wait_ms = std::nan(""); }), kInvalid);
  EXPECT_EQ(bad([](SchedulerOptions& o) { o.max_wait_ms = HUGE_VAL; }), kInvalid);
  EXPECT_EQ(bad([](SchedulerOptions& o) { o.max_batch_tokens = -1; }), kInvalid);
  EXPECT_EQ(bad([](SchedulerOptions& o) { o.max_queue_size = -1; }), kInvalid);
  EXPECT_EQ(bad([](SchedulerOptions& o) { o.slo_headroom_ms = -0.5; }), kInvalid);
  EXPECT_TRUE(Scheduler::Create(SchedulerOptions{}).ok());  // real clock by default
}

TEST(SchedulerTest, SubmitValidates) {
  FakeClock clock;
  auto s = MakeScheduler(clock);
  Ordinals o(*s);
  EXPECT_EQ(s->Submit(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s->Submit(-4).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s->Submit(10, -1.0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s->Submit(10, std::nan("")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s->Stats().queue_size, 0);
  EXPECT_EQ(o.Submit(10), 1);
  EXPECT_EQ(o.Submit(10, 5.0), 2);
  EXPECT_EQ(s->Stats().queue_size, 2);
  EXPECT_EQ(s->Stats().queued_tokens, 20);
  EXPECT_TRUE(s->CheckInvariants().ok());
}

TEST(SchedulerTest, IdsAreUniqueAndStaleIdsAreRejectedAfterReuse) {
  FakeClock clock;
  auto s = MakeScheduler(clock);
  std::set<int64_t> seen;
  int64_t first = 0;
  for (int round = 0; round < 50; ++round) {
    auto id = s->Submit(5);
    ASSERT_TRUE(id.ok());
    EXPECT_GT(*id, 0);
    EXPECT_TRUE(seen.insert(*id).second) << "id " << *id << " reused";
    if (round == 0) first = *id;
    ASSERT_EQ(s->GetBatch(true), Batch({*id}));
    ASSERT_TRUE(s->CompleteBatch({*id}).ok());
  }
  // The storage of the first request has been reused many times; its id stays dead.
  EXPECT_EQ(s->CompleteBatch({first}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s->UpdatePriority(first, 3).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s->CompleteBatch({0}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s->CompleteBatch({-7}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s->CompleteBatch({int64_t{1} << 40}).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(s->CheckInvariants().ok());
}

TEST(SchedulerTest, WaitsUntilSomethingIsDue) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_batch_size = 4;
  options.max_wait_ms = 50;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  EXPECT_FALSE(o.GetBatch().has_value());  // empty
  EXPECT_FALSE(o.GetBatch(/*force=*/true).has_value());  // empty even when forced
  o.Submit(10);
  EXPECT_FALSE(o.GetBatch().has_value());
  clock.Advance(absl::Milliseconds(49));
  EXPECT_FALSE(o.GetBatch().has_value());
  clock.Advance(absl::Milliseconds(1));  // the oldest has waited max_wait_ms
  EXPECT_EQ(o.GetBatch(), Batch({1}));
}

TEST(SchedulerTest, ForceFlushes) {
  FakeClock clock;
  auto s = MakeScheduler(clock);
  Ordinals o(*s);
  o.Submit(10);
  EXPECT_FALSE(o.GetBatch().has_value());
  EXPECT_EQ(o.GetBatch(true), Batch({1}));
  EXPECT_EQ(s->Stats().in_flight, 1);
}

TEST(SchedulerTest, FullBatchFlushesAndRespectsMaxBatchSize) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_batch_size = 3;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  o.Submit(10);
  o.Submit(10);
  EXPECT_FALSE(o.GetBatch().has_value());
  o.Submit(10);
  o.Submit(10);
  EXPECT_EQ(o.GetBatch(), Batch({1, 2, 3}));
  EXPECT_FALSE(o.GetBatch().has_value());
}

TEST(SchedulerTest, QueuedTokensReachingTheBudgetFlush) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_batch_tokens = 100;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  o.Submit(60);
  EXPECT_FALSE(o.GetBatch().has_value());
  o.Submit(40);
  EXPECT_EQ(o.GetBatch(), Batch({2, 1}));
}

TEST(SchedulerTest, ShorterFirstTiesByArrival) {
  FakeClock clock;
  auto s = MakeScheduler(clock);
  Ordinals o(*s);
  for (int64_t tokens : {30, 10, 20, 10, 30}) o.Submit(tokens);
  EXPECT_EQ(o.GetBatch(true), Batch({2, 4, 3, 1, 5}));
}

TEST(SchedulerTest, DeadlineThatWaitingWouldMissFlushesAndGoesFirst) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_wait_ms = 100;
  options.max_batch_size = 3;
  options.slo_headroom_ms = 2;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  clock.Advance(absl::Milliseconds(1));
  o.Submit(5);                  // 1
  o.Submit(500, /*slo_ms=*/10);  // 2: deadline at 11 ms, urgent from 9 ms
  o.Submit(1);                  // 3
  o.Submit(7);                  // 4
  // A full batch is due now; nothing is urgent yet, so shortest first.
  EXPECT_EQ(o.GetBatch(), Batch({3, 1, 4}));
  o.Submit(1);  // 5
  EXPECT_FALSE(o.GetBatch().has_value());
  clock.Advance(absl::Milliseconds(7));
  EXPECT_FALSE(o.GetBatch().has_value());
  clock.Advance(absl::Milliseconds(1));  // 9 ms = deadline - headroom: waiting would miss it
  EXPECT_EQ(o.GetBatch(), Batch({2, 5}));
  EXPECT_EQ(s->Stats().slo_misses, 0);
}

TEST(SchedulerTest, UrgentRequestsAreNeverBehindOthers) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_wait_ms = 10;
  options.max_batch_size = 3;
  options.max_batch_tokens = 100;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  o.Submit(90);                 // 1: becomes urgent at 10 ms
  clock.Advance(absl::Milliseconds(5));
  o.Submit(1);                  // 2
  o.Submit(2);                  // 3
  clock.Advance(absl::Milliseconds(5));
  // 1 is urgent: it goes first although it is the longest; then 2 (91 tokens) and 3 (93).
  EXPECT_EQ(o.GetBatch(), Batch({1, 2, 3}));
  o.Submit(50);  // 4
  o.Submit(10);  // 5
  clock.Advance(absl::Milliseconds(10));
  o.Submit(60);  // 6, urgent only at 20 ms from now
  o.Submit(1);   // 7
  // 4 and 5 are urgent (due at 20 ms): 4 then 5 by due time/arrival; then 7 (1 token) fits.
  EXPECT_EQ(o.GetBatch(), Batch({4, 5, 7}));
}

TEST(SchedulerTest, AnUrgentRequestThatDoesNotFitEndsTheBatch) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_wait_ms = 10;
  options.max_batch_tokens = 100;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  o.Submit(60);  // 1
  o.Submit(60);  // 2
  clock.Advance(absl::Milliseconds(1));
  o.Submit(5);   // 3: not urgent yet
  clock.Advance(absl::Milliseconds(9));
  EXPECT_EQ(o.GetBatch(), Batch({1}));  // 2 is urgent and does not fit: 3 may not overtake it
  EXPECT_EQ(o.GetBatch(), Batch({2, 3}));
}

TEST(SchedulerTest, OversizedRequestGoesAlone) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_batch_tokens = 100;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  o.Submit(500);
  o.Submit(10);
  EXPECT_EQ(o.GetBatch(), Batch({2}));  // 510 >= 100 queued: flush; shortest first
  EXPECT_EQ(o.GetBatch(), Batch({1}));  // 500 alone
  EXPECT_EQ(s->Stats().batch_count, 2);
}

TEST(SchedulerTest, BoundedQueueRefusesWhenFull) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_queue_size = 2;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  o.Submit(1);
  o.Submit(1);
  auto refused = s->Submit(1);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("max_queue_size 2"), absl::string_view::npos);
  EXPECT_EQ(s->Stats().queue_size, 2);
  EXPECT_EQ(s->Stats().total_rejected, 1);
  ASSERT_TRUE(o.GetBatch(true).has_value());
  EXPECT_EQ(o.Submit(1), 3);  // room again
  EXPECT_TRUE(s->CheckInvariants().ok());
}

TEST(SchedulerTest, CompleteBatchIsAllOrNothing) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_batch_size = 2;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  o.Submit(1);
  o.Submit(1);
  o.Submit(1);
  ASSERT_EQ(o.GetBatch(), Batch({1, 2}));
  EXPECT_EQ(o.Complete({1, 99}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(o.Complete({1, 3}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(o.Complete({1, 2, 1}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s->Stats().in_flight, 2);
  EXPECT_EQ(s->Stats().total_processed, 0);
  EXPECT_TRUE(o.Complete({2, 1}).ok());
  EXPECT_TRUE(o.Complete({}).ok());
  EXPECT_EQ(o.Complete({1}).code(), absl::StatusCode::kNotFound);  // already completed
  SchedulerStats stats = s->Stats();
  EXPECT_EQ(stats.in_flight, 0);
  EXPECT_EQ(stats.total_processed, 2);
  EXPECT_EQ(stats.queue_size, 1);
  EXPECT_TRUE(s->CheckInvariants().ok());
}

TEST(SchedulerTest, UpdatePriorityMovesAQueuedRequest) {
  FakeClock clock;
  auto s = MakeScheduler(clock);
  Ordinals o(*s);
  o.Submit(10);  // 1
  o.Submit(20);  // 2
  o.Submit(20);  // 3
  EXPECT_TRUE(o.Update(3, 5).ok());
  EXPECT_TRUE(o.Update(1, 20).ok());  // ties with 2: keeps its earlier arrival place
  EXPECT_EQ(s->Stats().queued_tokens, 45);
  EXPECT_EQ(o.Update(1, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(o.Update(42, 1).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(s->CheckInvariants().ok());
  EXPECT_EQ(o.GetBatch(true), Batch({3, 1, 2}));
}

TEST(SchedulerTest, UpdatePriorityRequeuesAnInFlightRequest) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_wait_ms = 100;
  options.max_queue_size = 1;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  const int64_t id = o.Submit(1000, /*slo_ms=*/30);
  ASSERT_EQ(o.GetBatch(true), Batch({id}));
  o.Submit(7);  // the queue is full now
  // A chunk of 256 tokens was prefilled; 744 remain. Re-queueing is not refused by the bound.
  EXPECT_TRUE(o.Update(id, 744).ok());
  SchedulerStats stats = s->Stats();
  EXPECT_EQ(stats.in_flight, 0);
  EXPECT_EQ(stats.queue_size, 2);
  EXPECT_EQ(stats.queued_tokens, 751);
  EXPECT_TRUE(s->CheckInvariants().ok());
  // It keeps its original deadline (30 ms after submission), not 100 ms of max wait.
  clock.Advance(absl::Milliseconds(29));
  EXPECT_FALSE(o.GetBatch().has_value());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(o.GetBatch(), Batch({id, 2}));
  EXPECT_EQ(o.Complete({id, 2}).code(), absl::StatusCode::kOk);
}

TEST(SchedulerTest, StatsReportWaitsAndSloMisses) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_wait_ms = 1000;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  SchedulerStats empty = s->Stats();
  EXPECT_EQ(empty.avg_batch_size, 0);
  EXPECT_EQ(empty.queue_wait_p50_ms, 0);
  for (int i = 0; i < 100; ++i) {
    o.Submit(1, /*slo_ms=*/50);
    clock.Advance(absl::Milliseconds(1));
  }
  // Request i (0-based) arrived at i ms and is dispatched at 100 ms: waits 100, 99, ..., 1 ms;
  // the deadlines (i + 50 ms) of i = 0..49 are missed.
  ASSERT_TRUE(o.GetBatch(true).has_value());  // 32 requests
  ASSERT_TRUE(o.GetBatch(true).has_value());
  ASSERT_TRUE(o.GetBatch(true).has_value());
  ASSERT_TRUE(o.GetBatch(true).has_value());  // the last 4
  EXPECT_FALSE(o.GetBatch(true).has_value());
  SchedulerStats stats = s->Stats();
  EXPECT_EQ(stats.batch_count, 4);
  EXPECT_EQ(stats.total_dispatched, 100);
  EXPECT_DOUBLE_EQ(stats.avg_batch_size, 25.0);
  EXPECT_EQ(stats.slo_misses, 50);
  EXPECT_DOUBLE_EQ(stats.queue_wait_p50_ms, 50.5);
  EXPECT_DOUBLE_EQ(stats.queue_wait_max_ms, 100.0);
  EXPECT_NEAR(stats.queue_wait_p99_ms, 99.01, 1e-9);
}

TEST(SchedulerTest, ClockGoingBackwardsIsTreatedAsStandingStill) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  SchedulerOptions options;
  options.max_wait_ms = 10;
  auto s = MakeScheduler(clock, options);
  Ordinals o(*s);
  clock.Advance(absl::Milliseconds(5));
  o.Submit(1);
  clock.Advance(absl::Seconds(-100));  // before the scheduler even existed
  o.Submit(1);
  EXPECT_FALSE(o.GetBatch().has_value());
  EXPECT_TRUE(s->CheckInvariants().ok());
  clock.Set(absl::FromUnixSeconds(1000) + absl::Milliseconds(15));
  EXPECT_EQ(o.GetBatch(), Batch({1, 2}));  // both arrived at 5 ms in the scheduler's time
}

// ---------------------------------------------------------------------------------------------
// Differential and property test: random arrivals, polls, completions, priority updates and
// clock moves, against a brute-force model that sorts the whole queue for every batch.

struct ModelRequest {
  int64_t tokens;
  int64_t arrival;   // ms
  std::optional<int64_t> deadline;
  int64_t due;
  int64_t seq;
  bool in_flight;
};

class ModelScheduler {
 public:
  explicit ModelScheduler(const SchedulerOptions& o) : o_(o) {}

  void Enqueue(int64_t id, ModelRequest r, int64_t now) {
    r.arrival = now;
    r.seq = next_seq_++;
    r.in_flight = false;
    r.due = now + static_cast<int64_t>(o_.max_wait_ms);
    if (r.deadline) r.due = std::min(r.due, *r.deadline - static_cast<int64_t>(o_.slo_headroom_ms));
    requests[id] = r;
  }

  // The urgency order: urgent by (due, seq), then the others by (tokens, seq).
  std::vector<int64_t> Order(int64_t now) const {
    std::vector<std::tuple<int, int64_t, int64_t, int64_t>> keys;
    for (const auto& [id, r] : requests) {
      if (r.in_flight) continue;
      if (r.due <= now) keys.emplace_back(0, r.due, r.seq, id);
      else keys.emplace_back(1, r.tokens, r.seq, id);
    }
    std::sort(keys.begin(), keys.end());
    std::vector<int64_t> order;
    for (const auto& k : keys) order.push_back(std::get<3>(k));
    return order;
  }

  std::optional<Batch> GetBatch(int64_t now, bool force) {
    std::vector<int64_t> order = Order(now);
    if (order.empty()) return std::nullopt;
    int64_t queued_tokens = 0;
    bool any_urgent = false;
    for (int64_t id : order) {
      queued_tokens += requests[id].tokens;
      any_urgent |= requests[id].due <= now;
    }
    const bool flush = force || static_cast<int64_t>(order.size()) >= o_.max_batch_size ||
                       (o_.max_batch_tokens > 0 && queued_tokens >= o_.max_batch_tokens) ||
                       any_urgent;
    if (!flush) return std::nullopt;
    Batch batch;
    int64_t tokens = 0;
    for (int64_t id : order) {
      if (static_cast<int64_t>(batch.size()) == o_.max_batch_size) break;
      const int64_t t = requests[id].tokens;
      if (o_.max_batch_tokens > 0 && tokens + t > o_.max_batch_tokens) {
        if (batch.empty()) batch.push_back(id);
        break;
      }
      batch.push_back(id);
      tokens += t;
    }
    for (int64_t id : batch) requests[id].in_flight = true;
    return batch;
  }

  std::map<int64_t, ModelRequest> requests;  // queued and in flight

 private:
  SchedulerOptions o_;
  int64_t next_seq_ = 0;
};

void RunSchedulerDifferential(uint64_t seed, int num_steps) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::initializer_list<int64_t> values) {
    return *(values.begin() + rng() % values.size());
  };
  SchedulerOptions options;
  options.max_batch_size = static_cast<int32_t>(pick({1, 2, 4, 8}));
  options.max_wait_ms = static_cast<double>(pick({0, 3, 10, 25}));
  options.max_batch_tokens = pick({0, 50, 200});
  options.slo_headroom_ms = static_cast<double>(pick({0, 2}));
  options.max_queue_size = pick({0, 0, 12});
  FakeClock clock;
  options.clock = &clock;
  auto created = Scheduler::Create(options);
  ASSERT_TRUE(created.ok());
  Scheduler& s = **created;
  ModelScheduler model(options);

  int64_t now = 0;       // the scheduler's (never decreasing) time, in ms
  int64_t clock_ms = 0;  // the fake clock, which may go back
  std::set<int64_t> completed, issued;
  int64_t submitted = 0, rejected = 0, misses = 0;
  std::set<int64_t> missed;

  auto check_batch = [&](const std::optional<Batch>& got, const std::optional<Batch>& want,
                         int step) {
    ASSERT_EQ(got, want) << "seed " << seed << " step " << step;
    if (!got) return;
    // Properties, independent of the model's order.
    ASSERT_FALSE(got->empty());
    ASSERT_LE(static_cast<int64_t>(got->size()), options.max_batch_size);
    int64_t tokens = 0;
    bool seen_non_urgent = false;
    for (int64_t id : *got) {
      const ModelRequest& r = model.requests.at(id);
      tokens += r.tokens;
      const bool urgent = r.due <= now;
      ASSERT_FALSE(urgent && seen_non_urgent) << "urgent request behind a non-urgent one";
      seen_non_urgent |= !urgent;
      if (r.deadline && now > *r.deadline && missed.insert(id).second) ++misses;
    }
    if (options.max_batch_tokens > 0 && got->size() > 1) {
      ASSERT_LE(tokens, options.max_batch_tokens);
    }
    if (seen_non_urgent) {  // nothing urgent may stay queued behind this batch
      for (const auto& [id, r] : model.requests) {
        ASSERT_FALSE(!r.in_flight && r.due <= now) << "urgent request " << id << " left queued";
      }
    }
  };

  for (int step = 0; step < num_steps; ++step) {
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 35) {  // Submit
      const int64_t tokens = rng() % 20 == 0 ? 300 : 1 + static_cast<int64_t>(rng() % 100);
      std::optional<double> slo;
      if (rng() % 2 == 0) slo = static_cast<double>(pick({0, 3, 10, 50}));
      int64_t queued = 0;
      for (const auto& [id, r] : model.requests) queued += !r.in_flight;
      auto id = s.Submit(tokens, slo);
      if (options.max_queue_size > 0 && queued >= options.max_queue_size) {
        ASSERT_EQ(id.status().code(), absl::StatusCode::kResourceExhausted);
        ++rejected;
      } else {
        ASSERT_TRUE(id.ok());
        ASSERT_TRUE(issued.insert(*id).second) << "id " << *id << " issued twice";
        ModelRequest r{tokens, 0, std::nullopt, 0, 0, false};
        if (slo) r.deadline = now + static_cast<int64_t>(*slo);
        model.Enqueue(*id, r, now);
        ++submitted;
      }
    } else if (kind < 55) {  // Poll once
      const bool force = rng() % 5 == 0;
      auto want = model.GetBatch(now, force);
      auto got = s.GetBatch(force);
      check_batch(got, want, step);
    } else if (kind < 70) {  // Complete an in-flight batch or part of it
      std::vector<int64_t> ids;
      for (const auto& [id, r] : model.requests) {
        if (r.in_flight && rng() % 2 == 0) ids.push_back(id);
      }
      std::shuffle(ids.begin(), ids.end(), rng);
      ASSERT_TRUE(s.CompleteBatch(ids).ok());
      for (int64_t id : ids) {
        model.requests.erase(id);
        ASSERT_TRUE(completed.insert(id).second);
      }
    } else if (kind < 76) {  // Complete with a bad id: nothing changes
      std::vector<int64_t> ids;
      for (const auto& [id, r] : model.requests) if (r.in_flight) ids.push_back(id);
      ids.push_back(completed.empty() ? 1000000 : *completed.begin());
      ASSERT_FALSE(s.CompleteBatch(ids).ok());
    } else if (kind < 84) {  // UpdatePriority
      if (model.requests.empty()) continue;
      auto it = model.requests.begin();
      std::advance(it, rng() % model.requests.size());
      const int64_t tokens = 1 + static_cast<int64_t>(rng() % 100);
      ASSERT_TRUE(s.UpdatePriority(it->first, tokens).ok());
      if (it->second.in_flight) {
        ModelRequest r = it->second;
        r.tokens = tokens;
        model.Enqueue(it->first, r, now);
      } else {
        it->second.tokens = tokens;
      }
    } else {  // Time moves (sometimes backwards), then the serving loop drains what is due
      const int64_t delta = rng() % 10 == 0 ? -static_cast<int64_t>(rng() % 20)
                                            : static_cast<int64_t>(rng() % 8);
      clock_ms += delta;
      clock.Set(absl::UnixEpoch() + absl::Milliseconds(clock_ms));
      now = std::max(now, clock_ms);
      for (;;) {
        auto want = model.GetBatch(now, false);
        auto got = s.GetBatch(false);
        check_batch(got, want, step);
        if (!got) break;
      }
      // Bounded wait: after a drain, no queued request is due.
      for (const auto& [id, r] : model.requests) {
        ASSERT_FALSE(!r.in_flight && r.due <= now) << "request " << id << " waits past due";
      }
    }
    if (step % 7 == 0) {
      absl::Status inv = s.CheckInvariants();
      ASSERT_TRUE(inv.ok()) << inv;
    }
    // Conservation: every accepted id is in exactly one of queued, in flight, completed.
    int64_t queued = 0, in_flight = 0;
    for (const auto& [id, r] : model.requests) {
      ASSERT_EQ(completed.count(id), 0u);
      (r.in_flight ? in_flight : queued) += 1;
    }
    ASSERT_EQ(queued + in_flight + static_cast<int64_t>(completed.size()), submitted);
    SchedulerStats stats = s.Stats();
    ASSERT_EQ(stats.queue_size, queued);
    ASSERT_EQ(stats.in_flight, in_flight);
    ASSERT_EQ(stats.total_processed, static_cast<int64_t>(completed.size()));
    ASSERT_EQ(stats.total_submitted, submitted);
    ASSERT_EQ(stats.total_rejected, rejected);
    ASSERT_EQ(stats.slo_misses, misses);
  }
}

TEST(SchedulerDifferentialTest, RandomSequencesMatchTheModelAndKeepTheProperties) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    RunSchedulerDifferential(seed, 1000);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace llmds
