// Copyright 2026 The llmds Authors.

#include "llmds/scheduling/admission_controller.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "llmds/utils/check.h"

namespace llmds {
namespace {

// Longest accepted window: about 100 years, far inside absl::Duration's range.
constexpr double kMaxWindowSeconds = 3.2e9;

// Returns floor(a * b) clamped to [0, INT64_MAX].
int64_t FloorProduct(long double a, long double b) {
  const long double product = std::floor(a * b);
  if (!(product >= 0)) return 0;
  if (product >= static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(product);
}

int64_t SaturateToInt64(__int128 value) {
  if (value > static_cast<__int128>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(value);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdmissionController>> AdmissionController::Create(
    const AdmissionOptions& options) {
  if (!std::isfinite(options.qps_target) || options.qps_target <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AdmissionOptions.qps_target must be finite and > 0, got ", options.qps_target));
  }
  if (options.token_rate_limit <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AdmissionOptions.token_rate_limit must be > 0, got ", options.token_rate_limit));
  }
  if (!std::isfinite(options.window_seconds) || options.window_seconds <= 0 ||
      options.window_seconds > kMaxWindowSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("AdmissionOptions.window_seconds must be in (0, ", kMaxWindowSeconds,
                     "], got ", options.window_seconds));
  }
  const int64_t max_requests = FloorProduct(options.qps_target, options.window_seconds);
  if (max_requests < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AdmissionOptions: qps_target * window_seconds must be >= 1 (at least one request per "
        "window), got ", options.qps_target, " * ", options.window_seconds));
  }
  const int64_t max_tokens = FloorProduct(options.token_rate_limit, options.window_seconds);
  if (max_tokens < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AdmissionOptions: token_rate_limit * window_seconds must be >= 1, got ",
        options.token_rate_limit, " * ", options.window_seconds));
  }
  Clock* clock = options.clock != nullptr ? options.clock : Clock::Real();
  return std::unique_ptr<AdmissionController>(
      new AdmissionController(options, max_requests, max_tokens, clock));
}

AdmissionController::AdmissionController(const AdmissionOptions& options, int64_t max_requests,
                                         int64_t max_tokens, Clock* clock)
    : qps_target_(options.qps_target),
      token_rate_limit_(options.token_rate_limit),
      window_(absl::Seconds(options.window_seconds)),
      max_requests_(max_requests),
      max_tokens_(max_tokens),
      clock_(clock),
      last_now_(clock->Now()) {}

absl::Time AdmissionController::Advance() {
  const absl::Time now = clock_->Now();
  if (now > last_now_) last_now_ = now;
  // An event at time a counts while now < a + W, i.e. it expires once a <= now - W.
  const absl::Time cutoff = last_now_ - window_;
  while (!admissions_.empty() && admissions_.front() <= cutoff) admissions_.pop_front();
  while (!token_events_.empty() && token_events_.front().time <= cutoff) {
    tokens_expired_ += token_events_.front().tokens;
    token_events_.pop_front();
  }
  return last_now_;
}

AdmissionDecision AdmissionController::ShouldAdmit(int64_t estimated_tokens) {
  AdmissionDecision decision;
  std::lock_guard<std::mutex> lock(mutex_);
  const absl::Time now = Advance();
  if (estimated_tokens < 0) {
    decision.reason = absl::StrCat(
        "invalid argument: estimated_tokens must be >= 0, got ", estimated_tokens);
    decision.retry_after = absl::InfiniteDuration();
    decision.limit = AdmissionDecision::Limit::kInvalidArgument;
    return decision;
  }
  const int64_t requests = static_cast<int64_t>(admissions_.size());
  const __int128 tokens = TokensInWindow();
  const bool requests_ok = requests + 1 <= max_requests_;
  const bool tokens_ok = tokens + estimated_tokens <= max_tokens_;
  if (ABSL_PREDICT_TRUE(requests_ok && tokens_ok)) {
    admissions_.push_back(now);
    if (estimated_tokens > 0) {
      tokens_added_ += estimated_tokens;
      token_events_.push_back(TokenEvent{now, estimated_tokens, tokens_added_});
    }
    ++admitted_;
    decision.admitted = true;
    return decision;
  }

  ++rejected_;
  // The earliest time at which each limit would let this request through.
  absl::Time retry_at = now;
  if (!requests_ok) {
    // admissions_.size() <= R, so here it equals R: the oldest admission must expire.
    const size_t must_expire = static_cast<size_t>(requests - max_requests_);
    retry_at = std::max(retry_at, admissions_[must_expire] + window_);
  }
  if (!tokens_ok) {
    if (estimated_tokens > max_tokens_) {
      retry_at = absl::InfiniteFuture();
    } else {
      // Expire the oldest events until `excess` tokens have left: the first event whose
      // cumulative total reaches tokens_expired_ + excess.
      const __int128 target = tokens_expired_ + (tokens + estimated_tokens - max_tokens_);
      auto it = std::partition_point(
          token_events_.begin(), token_events_.end(),
          [target](const TokenEvent& event) { return event.cumulative < target; });
      LLMDS_DCHECK(it != token_events_.end());
      retry_at = std::max(retry_at, it->time + window_);
    }
  }
  decision.retry_after = retry_at - now;
  decision.limit = !requests_ok && !tokens_ok ? AdmissionDecision::Limit::kRequestsAndTokens
                   : !requests_ok             ? AdmissionDecision::Limit::kRequests
                                              : AdmissionDecision::Limit::kTokens;
  std::string reason;
  if (!requests_ok) {
    absl::StrAppend(&reason, "request limit: ", requests, " requests admitted in the last ",
                    absl::FormatDuration(window_), " (max ", max_requests_, ")");
  }
  if (!tokens_ok) {
    absl::StrAppend(&reason, reason.empty() ? "" : "; ", "token limit: ",
                    SaturateToInt64(tokens), " tokens in the last ",
                    absl::FormatDuration(window_), " + ", estimated_tokens,
                    " estimated > max ", max_tokens_);
  }
  if (decision.retry_after == absl::InfiniteDuration()) {
    absl::StrAppend(&reason, "; the estimate exceeds the whole window's budget: never admissible");
  } else {
    absl::StrAppend(&reason, "; retry after ", absl::FormatDuration(decision.retry_after));
  }
  decision.reason = std::move(reason);
  return decision;
}

void AdmissionController::RecordRequest(int64_t tokens) {
  std::lock_guard<std::mutex> lock(mutex_);
  const absl::Time now = Advance();  // even for nothing to record: time seen is never unseen
  if (tokens <= 0) return;
  tokens_added_ += tokens;
  token_events_.push_back(TokenEvent{now, tokens, tokens_added_});
}

AdmissionStats AdmissionController::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  // Counts what is in the window without dropping anything (this method is const): a binary
  // search over the time-ordered deques.
  const absl::Time now = std::max(clock_->Now(), last_now_);
  const absl::Time cutoff = now - window_;
  auto first_request = std::partition_point(admissions_.begin(), admissions_.end(),
                                            [cutoff](absl::Time t) { return t <= cutoff; });
  auto first_tokens = std::partition_point(
      token_events_.begin(), token_events_.end(),
      [cutoff](const TokenEvent& event) { return event.time <= cutoff; });
  const __int128 expired_before =
      first_tokens == token_events_.begin() ? tokens_expired_ : std::prev(first_tokens)->cumulative;
  const __int128 tokens_in_window = tokens_added_ - expired_before;

  AdmissionStats stats;
  const double window_seconds = absl::ToDoubleSeconds(window_);
  stats.requests_in_window = admissions_.end() - first_request;
  stats.tokens_in_window = SaturateToInt64(tokens_in_window);
  stats.current_qps = static_cast<double>(stats.requests_in_window) / window_seconds;
  stats.target_qps = qps_target_;
  stats.current_token_rate = static_cast<double>(tokens_in_window) / window_seconds;
  stats.token_rate_limit = token_rate_limit_;
  stats.admitted_requests = admitted_;
  stats.rejected_requests = rejected_;
  const int64_t decisions = admitted_ + rejected_;
  stats.rejection_rate =
      decisions == 0 ? 0.0 : static_cast<double>(rejected_) / static_cast<double>(decisions);
  stats.max_requests_per_window = max_requests_;
  stats.max_tokens_per_window = max_tokens_;
  return stats;
}

void AdmissionController::Reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  admissions_.clear();
  token_events_.clear();
  tokens_added_ = 0;
  tokens_expired_ = 0;
  admitted_ = 0;
  rejected_ = 0;
}

}  // namespace llmds
