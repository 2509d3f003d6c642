// Copyright 2026 The llmds Authors.
//
// AdmissionController: exact sliding-window rate limiting on requests and tokens at once, as
// LLM APIs limit "requests per minute" and "tokens per minute" together. Put it in front of a
// scheduler: a request enters only if ShouldAdmit() says so.
//
//   llmds::AdmissionOptions options;
//   options.qps_target = 50;             // 500 requests per 10 s window
//   options.token_rate_limit = 20000;    // 200,000 tokens per 10 s window
//   LLMDS_ASSIGN_OR_RETURN(auto controller, llmds::AdmissionController::Create(options));
//   llmds::AdmissionDecision decision = controller->ShouldAdmit(/*estimated_tokens=*/900);
//   if (!decision.admitted) return RetryLater(decision.reason, decision.retry_after);
//   ...
//   controller->RecordRequest(/*tokens=*/actual_output_tokens);  // usage known afterwards
//
// Guarantee. Let W = window_seconds, R = floor(qps_target * W) and T = floor(token_rate_limit
// * W). For every instant t, the requests admitted in the window (t - W, t] number at most R,
// and the tokens of the requests admitted in it (their estimates) plus the tokens recorded in it
// are at most T -- except that RecordRequest() always records (the usage happened), so recorded
// tokens can fill a window past T; then ShouldAdmit() refuses until enough of them expire. A
// request or record at time a counts in exactly the windows (t - W, t] with a <= t < a + W.
//
// Exactness. ShouldAdmit(e) at time t refuses only if admitting would break the guarantee, i.e.
// only if (requests in (t - W, t]) + 1 > R or (tokens in (t - W, t]) + e > T. When it refuses it
// says which limit and, in `retry_after`, the exact wait after which the same call would be
// admitted if nothing else were admitted or recorded meanwhile (InfiniteDuration if never: e > T).
//
// Cost: amortized O(1) per call: the window is two deques of (time, amount) with running sums,
// expired from the front as time passes; a refusal computes retry_after in O(log n) by binary
// search over running totals. Memory: O(R + records in the last W).
//
// Time. The clock is read on each call; if it moves backwards the controller treats time as
// standing still (so nothing expires early and the guarantee holds in its own time line).
//
// `AdmissionController` is thread-safe: every method takes one internal std::mutex.

#ifndef LLMDS_SCHEDULING_ADMISSION_CONTROLLER_H_
#define LLMDS_SCHEDULING_ADMISSION_CONTROLLER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "llmds/utils/clock.h"

namespace llmds {

struct AdmissionOptions {
  // Requests per second averaged over the window; R = floor(qps_target * window_seconds) must
  // be >= 1. Default: 10.
  double qps_target = 10.0;
  // Tokens per second averaged over the window; T = floor(token_rate_limit * window_seconds).
  // Must be >= 1. Default: 10000.
  int64_t token_rate_limit = 10000;
  // Window length in seconds; finite, > 0, at most ~100 years. Default: 10.
  double window_seconds = 10.0;
  // Time source; not owned, must outlive the controller. nullptr: Clock::Real(). Default: null.
  Clock* clock = nullptr;
};

struct AdmissionDecision {
  // Which limit refused a request.
  enum class Limit {
    kNone,            // admitted
    kRequests,        // R requests were already admitted in the window
    kTokens,          // the estimate does not fit the window's remaining tokens
    kRequestsAndTokens,
    kInvalidArgument, // estimated_tokens < 0
  };

  bool admitted = false;
  // Empty when admitted; otherwise names the limit and the numbers behind the refusal.
  std::string reason;
  // When refused: the shortest wait after which the same call would be admitted if nothing else
  // happened meanwhile; InfiniteDuration if it never would (an estimate larger than T, or an
  // invalid argument). Zero when admitted.
  absl::Duration retry_after = absl::ZeroDuration();
  Limit limit = Limit::kNone;
};

struct AdmissionStats {
  double current_qps = 0;         // requests admitted in the current window / W
  double target_qps = 0;          // qps_target
  double current_token_rate = 0;  // tokens in the current window / W
  int64_t token_rate_limit = 0;
  int64_t admitted_requests = 0;  // since creation or Reset()
  int64_t rejected_requests = 0;  // since creation or Reset()
  double rejection_rate = 0;      // rejected / (admitted + rejected); 0 before any decision
  int64_t requests_in_window = 0;
  int64_t tokens_in_window = 0;   // saturates at INT64_MAX
  int64_t max_requests_per_window = 0;  // R
  int64_t max_tokens_per_window = 0;    // T
};

class AdmissionController {
 public:
  // Creates a controller.
  //
  // Errors: InvalidArgument naming the bad option: qps_target, token_rate_limit or
  // window_seconds not finite or not positive, R < 1, or T < 1.
  static absl::StatusOr<std::unique_ptr<AdmissionController>> Create(
      const AdmissionOptions& options);

  AdmissionController(const AdmissionController&) = delete;
  AdmissionController& operator=(const AdmissionController&) = delete;

  // Decides whether a request estimated at `estimated_tokens` tokens may enter now. Admitting
  // records it: it counts as one request and `estimated_tokens` tokens for the next W. A
  // negative estimate is refused with Limit::kInvalidArgument (and not counted as a rejection).
  AdmissionDecision ShouldAdmit(int64_t estimated_tokens = 0);

  // Records `tokens` tokens used now (e.g. the actual usage of an admitted request, beyond its
  // estimate). Counts toward the token limit only, not the request limit. Values <= 0 are
  // ignored.
  void RecordRequest(int64_t tokens);

  // Returns the current window's usage and the counters.
  AdmissionStats Stats() const;

  // Forgets every admitted request, recorded token and counter.
  void Reset();

  // Returns W as a duration (what "exactly a + W" means: absl's rounding of window_seconds).
  absl::Duration window() const { return window_; }

 private:
  struct TokenEvent {
    absl::Time time;
    int64_t tokens;
    // Total tokens ever added up to and including this event (for retry_after's binary search).
    __int128 cumulative;
  };

  AdmissionController(const AdmissionOptions& options, int64_t max_requests, int64_t max_tokens,
                      Clock* clock);

  // Reads the clock (never going back) and drops what has left the window.
  absl::Time Advance() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  __int128 TokensInWindow() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return tokens_added_ - tokens_expired_;
  }

  const double qps_target_;
  const int64_t token_rate_limit_;
  const absl::Duration window_;
  const int64_t max_requests_;  // R
  const int64_t max_tokens_;    // T
  Clock* const clock_;

  // mutex_ protects the following state.
  //
  // Invariants:
  //  1. admissions_ holds the admission times in the window (now - W, now], oldest first;
  //     admissions_.size() <= max_requests_.
  //  2. token_events_ holds the token events in the window, oldest first, with positive tokens;
  //     tokens_added_ - tokens_expired_ is the sum of their tokens, and each event's
  //     cumulative is tokens_expired_ + the sum of the tokens up to and including it.
  //  3. last_now_ is the latest time read; every stored time is <= last_now_.
  mutable std::mutex mutex_;
  absl::Time last_now_ ABSL_GUARDED_BY(mutex_);
  std::deque<absl::Time> admissions_ ABSL_GUARDED_BY(mutex_);
  std::deque<TokenEvent> token_events_ ABSL_GUARDED_BY(mutex_);
  __int128 tokens_added_ ABSL_GUARDED_BY(mutex_) = 0;
  __int128 tokens_expired_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t admitted_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t rejected_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace llmds

#endif  // LLMDS_SCHEDULING_ADMISSION_CONTROLLER_H_
