// Copyright 2026 The llmds Authors.

#include "llmds/utils/clock.h"

#include <chrono>

#include "absl/time/clock.h"

namespace llmds {
namespace {

class RealClock final : public Clock {
 public:
  RealClock()
      : wall_at_start_(absl::Now()), steady_at_start_(std::chrono::steady_clock::now()) {}

  absl::Time Now() const override {
    return wall_at_start_ +
           absl::FromChrono(std::chrono::steady_clock::now() - steady_at_start_);
  }

 private:
  const absl::Time wall_at_start_;
  const std::chrono::steady_clock::time_point steady_at_start_;
};

}  // namespace

Clock* Clock::Real() {
  // Constructed on first use, thread-safely (C++11 static initialization), and never destroyed
  // so that it stays valid during static destruction.
  static RealClock* const clock = new RealClock();
  return clock;
}

absl::Time FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return now_;
}

void FakeClock::Advance(absl::Duration d) {
  std::lock_guard<std::mutex> lock(mutex_);
  now_ += d;
}

void FakeClock::Set(absl::Time t) {
  std::lock_guard<std::mutex> lock(mutex_);
  now_ = t;
}

}  // namespace llmds
