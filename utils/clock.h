// Copyright 2026 The llmds Authors.
//
// Clock: the source of time for every time-dependent llmds class (schedulers, admission control,
// caches with expiry). Production code uses `Clock::Real()`; tests and simulations inject a
// `FakeClock` and move time by hand, so nothing in a test sleeps.
//
//   llmds::FakeClock clock;
//   SchedulerOptions options;
//   options.clock = &clock;
//   ...
//   clock.Advance(absl::Milliseconds(60));  // the oldest request is now past max_wait_ms
//
// A class that takes a `Clock*` never owns it; the clock must outlive the class.

#ifndef LLMDS_UTILS_CLOCK_H_
#define LLMDS_UTILS_CLOCK_H_

#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace llmds {

// An interface for reading the current time.
//
// Implementations must be thread-safe: `Now()` may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;

  // Returns the current time.
  virtual absl::Time Now() const = 0;

  // Returns the process-wide real clock. It is monotonic (it never goes backwards, whatever
  // happens to the system's wall clock): it reads the steady clock and reports it as an offset
  // from the wall time at its first use. Never null; never destroyed.
  static Clock* Real();
};

// A clock that moves only when told to. Starts at `start` (Default: the Unix epoch).
//
// `FakeClock` is thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}

  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  absl::Time Now() const override;

  // Moves the clock by `d`. A negative `d` moves it backwards (as `Set` to an earlier time
  // does); classes that read a clock tolerate that, treating time as not having advanced.
  void Advance(absl::Duration d);

  // Sets the clock to `t`.
  void Set(absl::Time t);

 private:
  // mutex_ protects the following state. (A std::mutex rather than absl::Mutex so that
  // ThreadSanitizer, which does not see inside Debian's prebuilt Abseil, understands it.)
  mutable std::mutex mutex_;
  absl::Time now_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace llmds

#endif  // LLMDS_UTILS_CLOCK_H_
