// Copyright 2026 The llmds Authors.
//
// Summary statistics for latency and throughput measurements: percentiles (NumPy's default
// linear interpolation), mean, sample standard deviation, and a Student-t confidence interval
// for the mean. Pure C++; no Python or external statistics library.
//
//   std::vector<double> latencies_ms = ...;
//   LLMDS_ASSIGN_OR_RETURN(llmds::Statistics s, llmds::CalculateStatistics(latencies_ms));
//   std::printf("p99 %.2f ms, mean %.2f ms [%.2f, %.2f] 95%% CI\n", s.p99, s.mean,
//               s.ci_lower, s.ci_upper);
//
// Cost: O(n) on average (percentiles by selection, not a full sort); one copy of the input.

#ifndef LLMDS_UTILS_STATISTICS_H_
#define LLMDS_UTILS_STATISTICS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace llmds {

struct Percentiles {
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
};

struct Statistics {
  double mean = 0;
  double std = 0;  // sample standard deviation (n - 1 in the denominator); 0 for one value
  double min = 0;
  double max = 0;
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
  double ci_lower = 0;  // mean -/+ t(1 - (1 - level) / 2, n - 1) * std / sqrt(n)
  double ci_upper = 0;
  double cv = 0;  // std / mean in percent; 0 when every value is 0; NaN when the mean is 0
                  // but the values are not all 0 (the ratio is undefined)
  int64_t count = 0;
};

// Returns the value below which `q` (in [0, 1]) of `values` lies, interpolating linearly between
// the two nearest order statistics: NumPy's default (`method="linear"`), so
// Percentile({1, 2, 3, 4}, 0.5) == 2.5.
//
// Errors: InvalidArgument for an empty input, a non-finite value (NaN or infinity, named with
// its index), or `q` outside [0, 1].
absl::StatusOr<double> Percentile(absl::Span<const double> values, double q);

// Returns the 50th, 95th and 99th percentiles of `values` (see Percentile()).
//
// Errors: InvalidArgument for an empty input or a non-finite value.
absl::StatusOr<Percentiles> ComputePercentiles(absl::Span<const double> values);

// Returns the summary statistics of `values` with a `confidence_level` confidence interval for
// the mean (Student t with n - 1 degrees of freedom). With one value, std is 0 and the interval
// collapses to that value.
//
// Errors: InvalidArgument for an empty input, a non-finite value, or a `confidence_level`
// outside the open interval (0, 1).
absl::StatusOr<Statistics> CalculateStatistics(absl::Span<const double> values,
                                               double confidence_level = 0.95);

// Returns t such that P(T <= t) = `probability` for Student's t distribution with
// `degrees_of_freedom` degrees of freedom (any real value > 0). Accurate to ~1e-12 relative.
//
// Errors: InvalidArgument for `probability` outside (0, 1) or `degrees_of_freedom` not a
// positive finite number.
absl::StatusOr<double> StudentTQuantile(double probability, double degrees_of_freedom);

// Returns P(T <= t) for Student's t distribution with `degrees_of_freedom` degrees of freedom.
//
// Errors: InvalidArgument for a NaN `t` or `degrees_of_freedom` not a positive finite number.
absl::StatusOr<double> StudentTCdf(double t, double degrees_of_freedom);

}  // namespace llmds

#endif  // LLMDS_UTILS_STATISTICS_H_
