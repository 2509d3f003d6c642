// Copyright 2026 The llmds Authors.

#include "llmds/utils/clock.h"

#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

TEST(FakeClockTest, StartsAtTheEpochByDefault) {
  FakeClock clock;
  EXPECT_EQ(clock.Now(), absl::UnixEpoch());
}

TEST(FakeClockTest, StartsWhereTold) {
  const absl::Time start = absl::FromUnixSeconds(1700000000);
  FakeClock clock(start);
  EXPECT_EQ(clock.Now(), start);
}

TEST(FakeClockTest, MovesOnlyWhenAdvancedOrSet) {
  FakeClock clock;
  EXPECT_EQ(clock.Now(), clock.Now());
  clock.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(clock.Now(), absl::UnixEpoch() + absl::Milliseconds(1500));
  clock.Advance(absl::Nanoseconds(1));
  EXPECT_EQ(clock.Now() - absl::UnixEpoch(), absl::Milliseconds(1500) + absl::Nanoseconds(1));
  clock.Set(absl::FromUnixSeconds(10));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(10));
  clock.Advance(-absl::Seconds(3));  // documented: moves backwards
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(7));
}

TEST(FakeClockTest, IsUsableThroughTheInterface) {
  FakeClock fake;
  Clock* clock = &fake;
  fake.Advance(absl::Seconds(2));
  EXPECT_EQ(clock->Now(), absl::UnixEpoch() + absl::Seconds(2));
}

TEST(FakeClockTest, ConcurrentAdvancesAreAllCounted) {
  FakeClock clock;
  constexpr int kThreads = 4;
  constexpr int kSteps = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&clock] {
      for (int i = 0; i < kSteps; ++i) {
        clock.Advance(absl::Microseconds(1));
        (void)clock.Now();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(clock.Now(), absl::UnixEpoch() + absl::Microseconds(kThreads * kSteps));
}

TEST(RealClockTest, IsASingletonNearWallTimeAndMonotonic) {
  Clock* clock = Clock::Real();
  ASSERT_NE(clock, nullptr);
  EXPECT_EQ(clock, Clock::Real());
  EXPECT_LT(absl::AbsDuration(clock->Now() - absl::Now()), absl::Seconds(5));
  absl::Time previous = clock->Now();
  for (int i = 0; i < 100000; ++i) {
    const absl::Time now = clock->Now();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

TEST(RealClockTest, AdvancesWithRealTime) {
  const absl::Time before = Clock::Real()->Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const absl::Duration elapsed = Clock::Real()->Now() - before;
  EXPECT_GE(elapsed, absl::Milliseconds(20));
  EXPECT_LT(elapsed, absl::Seconds(10));
}

}  // namespace
}  // namespace llmds
