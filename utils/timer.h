// Copyright 2026 The llmds Authors.
//
// Timer: a stopwatch on the steady clock, for measuring how long a piece of work takes.
//
//   llmds::Timer timer;          // starts now
//   index.Build();
//   timer.Stop();
//   std::printf("built in %.3f s\n", timer.elapsed());
//
// Cost: one steady-clock read per construction, Stop() and running elapsed() (~20 ns).

#ifndef LLMDS_UTILS_TIMER_H_
#define LLMDS_UTILS_TIMER_H_

#include <chrono>

namespace llmds {

// `Timer` is thread-compatible: concurrent const calls are safe; Stop()/Restart() need external
// synchronization against other calls.
class Timer {
 public:
  // Starts the timer.
  Timer() : start_(Now()), stop_(start_) {}

  // Freezes elapsed() at the time of the first call. Idempotent: later calls change nothing.
  void Stop() {
    if (running_) {
      stop_ = Now();
      running_ = false;
    }
  }

  // Starts the timer again from zero (running).
  void Restart() {
    start_ = Now();
    stop_ = start_;
    running_ = true;
  }

  // Returns the seconds since construction or Restart(): live while running, frozen after
  // Stop(). Never negative.
  double elapsed() const {
    const Instant end = running_ ? Now() : stop_;
    return std::chrono::duration<double>(end - start_).count();
  }

  // Returns whether the timer is running (not stopped).
  bool running() const { return running_; }

 private:
  using Instant = std::chrono::steady_clock::time_point;
  static Instant Now() { return std::chrono::steady_clock::now(); }

  Instant start_;
  Instant stop_;
  bool running_ = true;
};

}  // namespace llmds

#endif  // LLMDS_UTILS_TIMER_H_
