// Copyright 2026 The llmds Authors.

#include "llmds/utils/timer.h"

#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace llmds {
namespace {

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

TEST(TimerTest, StartsOnConstructionAndRunsLive) {
  Timer timer;
  EXPECT_TRUE(timer.running());
  const double first = timer.elapsed();
  EXPECT_GE(first, 0.0);
  SleepMs(20);
  const double second = timer.elapsed();
  EXPECT_GE(second, first + 0.020);
  EXPECT_LT(second, 10.0);
}

TEST(TimerTest, StopFreezesElapsedAndIsIdempotent) {
  Timer timer;
  SleepMs(10);
  timer.Stop();
  EXPECT_FALSE(timer.running());
  const double frozen = timer.elapsed();
  EXPECT_GE(frozen, 0.010);
  SleepMs(20);
  EXPECT_EQ(timer.elapsed(), frozen);
  timer.Stop();  // a second Stop() must not move the end point
  EXPECT_EQ(timer.elapsed(), frozen);
}

TEST(TimerTest, RestartStartsFromZero) {
  Timer timer;
  SleepMs(30);
  timer.Stop();
  timer.Restart();
  EXPECT_TRUE(timer.running());
  EXPECT_LT(timer.elapsed(), 0.030);
}

TEST(TimerTest, MeasuresAKnownSleep) {
  Timer timer;
  SleepMs(50);
  timer.Stop();
  EXPECT_GE(timer.elapsed(), 0.050);
  EXPECT_LT(timer.elapsed(), 5.0);  // generous: CI machines are shared and noisy
}

}  // namespace
}  // namespace llmds
