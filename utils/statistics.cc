// Copyright 2026 The llmds Authors.

#include "llmds/utils/statistics.h"

#include <math.h>  // lgamma_r: std::lgamma writes the global `signgam`, a data race.

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

constexpr double kPi = 3.14159265358979323846;

double LogGamma(double x) {
  int sign;
  return lgamma_r(x, &sign);
}

absl::Status ValidateValues(absl::Span<const double> values) {
  if (values.empty()) {
    return absl::InvalidArgumentError("statistics of an empty set of values are undefined");
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("value at index ", i, " is not finite: ", values[i]));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDegreesOfFreedom(double degrees_of_freedom) {
  if (!(degrees_of_freedom > 0) || !std::isfinite(degrees_of_freedom)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "degrees_of_freedom must be a positive finite number, got ", degrees_of_freedom));
  }
  return absl::OkStatus();
}

// Quantiles by selection instead of a full sort: O(n) on average. `values` is reordered so that
// every order statistic the requested quantiles need sits at its sorted position.
class OrderStatistics {
 public:
  OrderStatistics(std::vector<double>* values, std::initializer_list<double> quantiles)
      : values_(*values) {
    if (values_.size() <= 64) {  // a full sort is cheaper than several selections
      std::sort(values_.begin(), values_.end());
      return;
    }
    std::vector<size_t> ranks;
    for (double q : quantiles) {
      const size_t below = Below(q);
      ranks.push_back(below);
      if (below + 1 < values_.size()) ranks.push_back(below + 1);
    }
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    auto first = values_.begin();
    for (size_t rank : ranks) {
      std::nth_element(first, values_.begin() + rank, values_.end());
      first = values_.begin() + rank + 1;
    }
  }

  // Linear interpolation between order statistics, as NumPy's `method="linear"` computes it
  // (including its choice of formula on each side of t = 0.5, so results agree to the last bit
  // in the common cases). REQUIRES: q was among the constructor's quantiles.
  double Quantile(double q) const {
    const size_t below = Below(q);
    if (below + 1 >= values_.size()) return values_[below];
    const double t = Position(q) - static_cast<double>(below);
    const double a = values_[below];
    const double b = values_[below + 1];
    const double difference = b - a;
    return t >= 0.5 ? b - difference * (1.0 - t) : a + difference * t;
  }

 private:
  double Position(double q) const { return q * static_cast<double>(values_.size() - 1); }
  size_t Below(double q) const { return static_cast<size_t>(std::floor(Position(q))); }

  std::vector<double>& values_;
};

// Continued fraction of the regularized incomplete beta function (modified Lentz).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = 1e-16;
  const double qab = a + b;
  const double qap = a + 1.0;
  const double qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1.0) < kEpsilon) break;
  }
  return h;
}

// Returns the Stirling series remainder lgamma(x) - [(x - 1/2) ln x - x + ln(2 pi) / 2], for
// x >= 16 (truncation error below 2e-14).
double StirlingRemainder(double x) {
  const double inverse = 1.0 / x;
  const double inverse2 = inverse * inverse;
  return inverse * (1.0 / 12 - inverse2 * (1.0 / 360 - inverse2 * (1.0 / 1260 -
                                                                   inverse2 / 1680)));
}

// Returns ln B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b). When one argument is large,
// lgamma(a + b) - lgamma(a) is computed from Stirling's series as a difference of small terms:
// subtracting two huge lgamma values would lose most digits.
double LogBeta(double a, double b) {
  const double large = std::max(a, b);
  const double small = std::min(a, b);
  if (large < 16) return LogGamma(a) + LogGamma(b) - LogGamma(a + b);
  const double log_gamma_ratio = (large - 0.5) * std::log1p(small / large) +
                                 small * std::log(large + small) - small +
                                 StirlingRemainder(large + small) - StirlingRemainder(large);
  return LogGamma(small) - log_gamma_ratio;
}

// Regularized incomplete beta I_x(a, b), given x and y = 1 - x separately (the caller often
// knows y more precisely than 1 - x).
double IncompleteBeta(double a, double b, double x, double y) {
  if (x <= 0) return 0.0;
  if (y <= 0) return 1.0;
  const double front = std::exp(a * std::log(x) + b * std::log(y) - LogBeta(a, b));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1.0 - front * BetaContinuedFraction(b, a, y) / b;
}

// P(T > t) for t >= 0.
double UpperTail(double t, double nu) {
  const double t2 = t * t;
  const double x = nu / (nu + t2);
  const double y = t2 / (nu + t2);
  return 0.5 * IncompleteBeta(0.5 * nu, 0.5, x, y);
}

double Density(double t, double nu) {
  // 1 / (sqrt(nu) B(nu/2, 1/2)) (1 + t^2/nu)^(-(nu+1)/2)
  const double log_density = -0.5 * std::log(nu) - LogBeta(0.5 * nu, 0.5) -
                             0.5 * (nu + 1.0) * std::log1p(t * t / nu);
  return std::exp(log_density);
}

// Standard normal quantile, Acklam's rational approximation (~1e-9 relative).
double RoughNormalQuantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - kLow) return -RoughNormalQuantile(1 - p);
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Standard normal quantile to full double precision: Acklam's approximation refined by one
// Halley step on erfc.
double NormalQuantile(double p) {
  const double x = RoughNormalQuantile(p);
  const double error = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = error * std::sqrt(2 * kPi) * std::exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

// Returns t > 0 with P(T > t) = tail, for 0 < tail < 0.5.
double UpperTailQuantile(double tail, double nu) {
  if (nu == 1.0) return 1.0 / std::tan(kPi * tail);
  if (nu == 2.0) return (1.0 - 2.0 * tail) / std::sqrt(2.0 * tail * (1.0 - tail));

  // The Cornish-Fisher expansion around the normal quantile (Abramowitz & Stegun 26.7.5). For
  // nu >= 1e6 its truncation error, O(nu^-5), is far below double precision; otherwise it is
  // the starting point of the Newton iteration below.
  const double z = -NormalQuantile(tail);
  const double z2 = z * z;
  const double g1 = z * (z2 + 1) / 4;
  const double g2 = z * ((5 * z2 + 16) * z2 + 3) / 96;
  const double g3 = z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / 384;
  const double g4 = z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / 92160;
  const double expansion = z + (g1 + (g2 + (g3 + g4 / nu) / nu) / nu) / nu;
  if (nu >= 1e6) return expansion;

  // Bracket the root, then refine with Newton steps that fall back to bisection whenever they
  // leave the bracket.
  double t = expansion;
  if (!(t > 0) || !std::isfinite(t)) t = 1.0;
  double low = 0.0;
  double high = t;
  while (UpperTail(high, nu) > tail && high < 1e300) high *= 2.0;
  if (t > high) t = high;
  for (int iteration = 0; iteration < 300; ++iteration) {
    const double difference = UpperTail(t, nu) - tail;
    if (difference > 0) {
      low = t;
    } else {
      high = t;
    }
    double next = t + difference / Density(t, nu);
    if (!(next > low && next < high)) next = 0.5 * (low + high);
    const bool converged = std::fabs(next - t) <= 1e-15 * std::fabs(next);
    t = next;
    if (converged || high - low <= 1e-15 * high) break;
  }
  return t;
}

}  // namespace

absl::StatusOr<double> Percentile(absl::Span<const double> values, double q) {
  LLMDS_RETURN_IF_ERROR(ValidateValues(values));
  if (!(q >= 0.0 && q <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat("percentile q must be in [0, 1], got ", q));
  }
  std::vector<double> copy(values.begin(), values.end());
  return OrderStatistics(&copy, {q}).Quantile(q);
}

absl::StatusOr<Percentiles> ComputePercentiles(absl::Span<const double> values) {
  LLMDS_RETURN_IF_ERROR(ValidateValues(values));
  std::vector<double> copy(values.begin(), values.end());
  const OrderStatistics order(&copy, {0.50, 0.95, 0.99});
  Percentiles result;
  result.p50 = order.Quantile(0.50);
  result.p95 = order.Quantile(0.95);
  result.p99 = order.Quantile(0.99);
  return result;
}

absl::StatusOr<Statistics> CalculateStatistics(absl::Span<const double> values,
                                               double confidence_level) {
  LLMDS_RETURN_IF_ERROR(ValidateValues(values));
  if (!(confidence_level > 0.0 && confidence_level < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("confidence_level must be in (0, 1), got ", confidence_level));
  }
  std::vector<double> copy(values.begin(), values.end());
  const size_t n = copy.size();

  Statistics stats;
  stats.count = static_cast<int64_t>(n);
  const auto [min, max] = std::minmax_element(values.begin(), values.end());
  stats.min = *min;
  stats.max = *max;
  const OrderStatistics order(&copy, {0.50, 0.95, 0.99});
  stats.p50 = order.Quantile(0.50);
  stats.p95 = order.Quantile(0.95);
  stats.p99 = order.Quantile(0.99);

  // Two passes (mean, then squared deviations), each with Neumaier-compensated sums, so large
  // offsets (timestamps, say) do not cancel the variance away.
  auto compensated_sum = [&](auto term) {
    double sum = 0.0;
    double compensation = 0.0;
    for (double value : values) {
      const double x = term(value);
      const double total = sum + x;
      compensation += std::fabs(sum) >= std::fabs(x) ? (sum - total) + x : (x - total) + sum;
      sum = total;
    }
    return sum + compensation;
  };
  // Sums of finite values can overflow; scale by a power of two (exact) near the largest
  // magnitude so they cannot.
  const double largest = std::max(std::fabs(stats.min), std::fabs(stats.max));
  const int exponent = largest > 0 ? std::ilogb(largest) : 0;
  const double down = std::ldexp(1.0, -exponent);
  const double up = std::ldexp(1.0, exponent);
  stats.mean = compensated_sum([&](double v) { return v * down; }) / static_cast<double>(n) * up;
  stats.mean = std::clamp(stats.mean, stats.min, stats.max);
  if (n > 1) {
    const double squares = compensated_sum([&](double v) {
      const double deviation = v * down - stats.mean * down;
      return deviation * deviation;
    });
    stats.std = std::sqrt(squares / static_cast<double>(n - 1)) * up;
  }

  stats.ci_lower = stats.mean;
  stats.ci_upper = stats.mean;
  if (n > 1 && stats.std > 0) {
    LLMDS_ASSIGN_OR_RETURN(
        const double t,
        StudentTQuantile(1.0 - (1.0 - confidence_level) / 2.0, static_cast<double>(n - 1)));
    const double half_width = t * stats.std / std::sqrt(static_cast<double>(n));
    stats.ci_lower = stats.mean - half_width;
    stats.ci_upper = stats.mean + half_width;
  }

  if (stats.std == 0) {
    stats.cv = 0.0;
  } else if (stats.mean == 0) {
    stats.cv = std::numeric_limits<double>::quiet_NaN();
  } else {
    stats.cv = stats.std / stats.mean * 100.0;
  }
  return stats;
}

absl::StatusOr<double> StudentTCdf(double t, double degrees_of_freedom) {
  LLMDS_RETURN_IF_ERROR(ValidateDegreesOfFreedom(degrees_of_freedom));
  if (std::isnan(t)) return absl::InvalidArgumentError("t must not be NaN");
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  const double tail = UpperTail(std::fabs(t), degrees_of_freedom);
  return t >= 0 ? 1.0 - tail : tail;
}

absl::StatusOr<double> StudentTQuantile(double probability, double degrees_of_freedom) {
  LLMDS_RETURN_IF_ERROR(ValidateDegreesOfFreedom(degrees_of_freedom));
  if (!(probability > 0.0 && probability < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("probability must be in (0, 1), got ", probability));
  }
  if (probability == 0.5) return 0.0;
  const double tail = probability < 0.5 ? probability : 1.0 - probability;
  const double t = UpperTailQuantile(tail, degrees_of_freedom);
  return probability < 0.5 ? -t : t;
}

}  // namespace llmds
