// Copyright 2026 The llmds Authors.

#include "llmds/utils/statistics.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Relative closeness for references given to ~16 significant digits.
void ExpectNear(double expected, double actual, double relative, const char* what) {
  EXPECT_NEAR(actual, expected, relative * std::max(1.0, std::fabs(expected))) << what;
}

// ---------------------------------------------------------------------------------------------
// Percentiles: worked examples whose expected values are numpy.percentile(values, q) with NumPy's
// default method ("linear"), NumPy 1.24.2.

struct PercentileCase {
  std::vector<double> values;
  double p50, p95, p99;
};

TEST(ComputePercentilesTest, MatchesNumPyLinearOnWorkedExamples) {
  const std::vector<PercentileCase> cases = {
      {{15, 20, 35, 40, 50}, 35.0, 48.0, 49.6},
      {{10.5, 12.3, 11.1, 15.2, 10.8, 13.7, 9.9, 30.4}, 11.7, 25.07999999999999,
       29.335999999999995},
      {{3.0}, 3.0, 3.0, 3.0},
      {{1, 2, 3, 4}, 2.5, 3.8499999999999996, 3.9699999999999998},
      {{-5.5, 0.25, 7.75, 1000.0, -2.0, 4.0, 4.0, 9.0, 11.5, 12.25, -100.0}, 4.0, 506.125,
       901.2250000000004},
  };
  for (const PercentileCase& c : cases) {
    absl::StatusOr<Percentiles> p = ComputePercentiles(c.values);
    ASSERT_TRUE(p.ok()) << p.status();
    ExpectNear(c.p50, p->p50, 1e-14, "p50");
    ExpectNear(c.p95, p->p95, 1e-14, "p95");
    ExpectNear(c.p99, p->p99, 1e-14, "p99");
  }
}

TEST(ComputePercentilesTest, DoesNotDependOnInputOrder) {
  std::vector<double> values;
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(100.0, 15.0);
  for (int i = 0; i < 1001; ++i) values.push_back(normal(rng));
  const Percentiles a = ComputePercentiles(values).value();
  std::shuffle(values.begin(), values.end(), rng);
  const Percentiles b = ComputePercentiles(values).value();
  EXPECT_EQ(a.p50, b.p50);
  EXPECT_EQ(a.p95, b.p95);
  EXPECT_EQ(a.p99, b.p99);
  // 1001 values: the percentiles at 0.5, 0.95 and 0.99 fall exactly on order statistics.
  std::sort(values.begin(), values.end());
  EXPECT_EQ(a.p50, values[500]);
  EXPECT_EQ(a.p95, values[950]);
  EXPECT_EQ(a.p99, values[990]);
}

TEST(ComputePercentilesTest, RejectsEmptyAndNonFiniteInput) {
  EXPECT_EQ(ComputePercentiles({}).status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<double> with_nan = {1.0, kNaN, 3.0};
  absl::Status status = ComputePercentiles(with_nan).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("index 1"), std::string::npos) << status;
  const std::vector<double> with_inf = {1.0, 2.0, -kInf};
  EXPECT_EQ(ComputePercentiles(with_inf).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PercentileTest, EndpointsAreMinAndMaxAndQIsValidated) {
  const std::vector<double> values = {4, -1, 9, 2};
  EXPECT_EQ(Percentile(values, 0.0).value(), -1);
  EXPECT_EQ(Percentile(values, 1.0).value(), 9);
  EXPECT_DOUBLE_EQ(Percentile(values, 0.25).value(), 1.25);  // numpy: 1.25
  EXPECT_EQ(Percentile(values, -0.01).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Percentile(values, 1.01).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Percentile(values, kNaN).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Student t quantiles for df = 1..30, 100, 1000. References: the root t of
// I_{df/(df+t^2)}(df/2, 1/2) / 2 = 1 - p found by mpmath 1.2 at 50 significant digits (SciPy
// 1.10's t.ppf differs from these by up to ~3e-9 relative, so it is not used as the oracle).

const double kDegreesOfFreedom[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                    12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                    23, 24, 25, 26, 27, 28, 29, 30, 100, 1000};

struct QuantileTable {
  double p;
  double t[32];
};

const QuantileTable kTables[] = {
    {0.975,
     {12.706204736174705, 4.3026527297494639, 3.1824463052837096, 2.7764451051977944,
      2.5705818356363155, 2.44691185114497, 2.3646242515927853, 2.3060041352041667,
      2.2621571627982055, 2.2281388519862747, 2.2009851600916399, 2.1788128296672289,
      2.1603686564627925, 2.1447866879178038, 2.1314495455597757, 2.1199052992212547,
      2.1098155778333171, 2.1009220402410385, 2.0930240544083098, 2.0859634472658648,
      2.0796138447276804, 2.0738730679040262, 2.0686576104190487, 2.0638985616280258,
      2.0595385527532977, 2.0555294386428732, 2.0518305164802856, 2.0484071417952452,
      2.0452296421327043, 2.0422724563012383, 1.9839715185235523, 1.9623390808264085}},
    {0.995,
     {63.656741162871581, 9.9248432009182931, 5.8409093097333573, 4.6040948713499932,
      4.0321429835552281, 3.7074280213247798, 3.4994832973504939, 3.3553873313333955,
      3.2498355415921263, 3.1692726726169512, 3.105806515539281, 3.0545395893929021,
      3.0122758387165784, 2.9768427343708347, 2.9467128834752389, 2.9207816224251,
      2.8982305196774187, 2.8784404727386081, 2.8609346064649792, 2.8453397097861085,
      2.83135955802305, 2.8187560606001435, 2.807335683769999, 2.7969395047744563,
      2.7874358136769705, 2.7787145333296832, 2.770682957122212, 2.7632624554614446,
      2.7563859036706055, 2.7499956535672253, 2.6258905214380179, 2.5807546980659511}},
    {0.95,
     {6.3137515146750431, 2.9199855803537257, 2.3533634348018239, 2.1318467863266503,
      2.0150483733330242, 1.9431802805153032, 1.8945786050900074, 1.8595480375308984,
      1.8331129326562372, 1.8124611228116764, 1.7958848187040441, 1.7822875556493201,
      1.7709333959868729, 1.7613101357748921, 1.7530503556925735, 1.7458836762762499,
      1.739606726075073, 1.7340636066175388, 1.7291328115213695, 1.7247182429207873,
      1.7207429028118785, 1.7171443743802428, 1.7138715277470481, 1.7108820799094284,
      1.7081407612518993, 1.7056179197592732, 1.7032884457221271, 1.7011309342659316,
      1.6991270265334978, 1.6972608865939578, 1.6602343260853396, 1.6463788172854647}},
    {0.9995,
     {636.61924876871962, 31.599054576443621, 12.923978636687483, 8.6103015813792751,
      6.8688266258811102, 5.9588161788187596, 5.4078825208617252, 5.0413054333733674,
      4.7809125859311391, 4.5868938587026359, 4.4369793382344497, 4.3177912836061848,
      4.2208317277071212, 4.1404541127382027, 4.0727651959037917, 4.0149963271840555,
      3.9651262721190314, 3.9216458250851597, 3.8834058525920829, 3.8495162749308272,
      3.8192771642744623, 3.7921306716983909, 3.7676268043117806, 3.7453986192900525,
      3.7251439497286502, 3.7066117434809108, 3.6895917134592363, 3.6739064007012765,
      3.6594050194663329, 3.6459586350420218, 3.3904913111642299, 3.3002826484239129}},
};

TEST(StudentTQuantileTest, MatchesHighPrecisionReferenceTables) {
  for (const QuantileTable& table : kTables) {
    for (int i = 0; i < 32; ++i) {
      const double df = kDegreesOfFreedom[i];
      absl::StatusOr<double> upper = StudentTQuantile(table.p, df);
      ASSERT_TRUE(upper.ok()) << upper.status();
      EXPECT_NEAR(*upper / table.t[i], 1.0, 1e-11) << "p=" << table.p << " df=" << df;
      // Symmetry: the lower quantile is the negated upper one.
      absl::StatusOr<double> lower = StudentTQuantile(1.0 - table.p, df);
      ASSERT_TRUE(lower.ok()) << lower.status();
      EXPECT_NEAR(-*lower / table.t[i], 1.0, 1e-11) << "p=" << 1.0 - table.p << " df=" << df;
    }
  }
}

TEST(StudentTQuantileTest, MatchesClosedFormsForOneTwoAndFourDegrees) {
  constexpr double kPi = 3.14159265358979323846;
  for (double p = 0.01; p < 1.0; p += 0.0137) {
    // df = 1 (Cauchy): tan(pi (p - 1/2)).
    EXPECT_NEAR(StudentTQuantile(p, 1).value(), std::tan(kPi * (p - 0.5)),
                1e-10 * std::max(1.0, std::fabs(std::tan(kPi * (p - 0.5)))));
    // df = 2: (2p - 1) / sqrt(2 p (1 - p)).
    const double t2 = (2 * p - 1) / std::sqrt(2 * p * (1 - p));
    EXPECT_NEAR(StudentTQuantile(p, 2).value(), t2, 1e-10 * std::max(1.0, std::fabs(t2)));
    // df = 4: with a = 4p(1-p), t = sign(p - 1/2) 2 sqrt(q - 1), q = cos(acos(sqrt a)/3)/sqrt a.
    const double alpha = 4 * p * (1 - p);
    const double q = std::cos(std::acos(std::sqrt(alpha)) / 3) / std::sqrt(alpha);
    const double t4 = (p < 0.5 ? -2 : 2) * std::sqrt(q - 1);
    EXPECT_NEAR(StudentTQuantile(p, 4).value(), t4, 1e-9 * std::max(1.0, std::fabs(t4)))
        << "p=" << p;
  }
}

TEST(StudentTQuantileTest, InvertsTheCdf) {
  for (double df : {1.0, 2.5, 3.0, 7.0, 29.0, 300.0, 1e5}) {
    for (double p : {1e-9, 1e-4, 0.01, 0.2, 0.5, 0.77, 0.999, 1 - 1e-9}) {
      const double t = StudentTQuantile(p, df).value();
      const double back = StudentTCdf(t, df).value();
      EXPECT_NEAR(back, p, 1e-12 + 1e-9 * std::min(p, 1 - p)) << "df=" << df << " p=" << p;
    }
  }
}

TEST(StudentTQuantileTest, ApproachesTheNormalForLargeDegrees) {
  EXPECT_NEAR(StudentTQuantile(0.975, 1e9).value(), 1.959963984540054, 1e-8);
}

TEST(StudentTQuantileTest, RejectsInvalidArguments) {
  for (double p : {0.0, 1.0, -0.5, 2.0, kNaN}) {
    EXPECT_EQ(StudentTQuantile(p, 5).status().code(), absl::StatusCode::kInvalidArgument) << p;
  }
  for (double df : {0.0, -1.0, kNaN, kInf}) {
    EXPECT_EQ(StudentTQuantile(0.9, df).status().code(), absl::StatusCode::kInvalidArgument)
        << df;
  }
  EXPECT_EQ(StudentTCdf(kNaN, 3).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StudentTCdf(kInf, 3).value(), 1.0);
  EXPECT_EQ(StudentTCdf(-kInf, 3).value(), 0.0);
}

// ---------------------------------------------------------------------------------------------
// CalculateStatistics: mean, sample std and t intervals computed by mpmath at 50 digits on the
// same worked examples (NumPy's mean and std(ddof=1) agree to the last printed digit).

struct StatisticsCase {
  std::vector<double> values;
  double mean, std;
  double ci95_lower, ci95_upper, ci99_lower, ci99_upper, ci50_lower, ci50_upper;
};

TEST(CalculateStatisticsTest, MatchesNumPyAndSciPyOnWorkedExamples) {
  const std::vector<StatisticsCase> cases = {
      {{15, 20, 35, 40, 50},
       32.0, 14.404860290887933, 14.114003577649445, 49.885996422350555, 2.3401935651589359, 61.659806434841064, 27.228392820847386, 36.771607179152614},
      {{10.5, 12.3, 11.1, 15.2, 10.8, 13.7, 9.9, 30.4},
       14.2375, 6.7679787022630107, 8.5793282077638176, 19.895671792236182, 5.8637900259384945, 22.611209974061505, 12.535850215129239, 15.93914978487076},
      {{1, 2, 3, 4},
       2.5, 1.2909944487358056, 0.44573974323947797, 4.554260256760522, -1.2702907472175253, 6.2702907472175253, 2.0062641250746927, 2.9937358749253073},
      {{-5.5, 0.25, 7.75, 1000.0, -2.0, 4.0, 4.0, 9.0, 11.5, 12.25, -100.0},
       85.568181818181818, 304.95059212332026, -119.3004135749616, 290.43677721132524, -205.83396319540373, 376.97032683176737, 21.223217897979335, 149.9131457383843},
  };

  for (const StatisticsCase& c : cases) {
    const Statistics s95 = CalculateStatistics(c.values).value();
    EXPECT_EQ(s95.count, static_cast<int64_t>(c.values.size()));
    ExpectNear(c.mean, s95.mean, 1e-13, "mean");
    ExpectNear(c.std, s95.std, 1e-12, "std");
    ExpectNear(c.ci95_lower, s95.ci_lower, 1e-12, "ci95 lower");
    ExpectNear(c.ci95_upper, s95.ci_upper, 1e-12, "ci95 upper");
    ExpectNear(c.std / c.mean * 100, s95.cv, 1e-12, "cv");
    EXPECT_EQ(s95.min, *std::min_element(c.values.begin(), c.values.end()));
    EXPECT_EQ(s95.max, *std::max_element(c.values.begin(), c.values.end()));
    const Percentiles p = ComputePercentiles(c.values).value();
    EXPECT_EQ(s95.p50, p.p50);
    EXPECT_EQ(s95.p95, p.p95);
    EXPECT_EQ(s95.p99, p.p99);

    const Statistics s99 = CalculateStatistics(c.values, 0.99).value();
    ExpectNear(c.ci99_lower, s99.ci_lower, 1e-12, "ci99 lower");
    ExpectNear(c.ci99_upper, s99.ci_upper, 1e-12, "ci99 upper");
    const Statistics s50 = CalculateStatistics(c.values, 0.5).value();
    ExpectNear(c.ci50_lower, s50.ci_lower, 1e-12, "ci50 lower");
    ExpectNear(c.ci50_upper, s50.ci_upper, 1e-12, "ci50 upper");
  }
}

TEST(CalculateStatisticsTest, OneValueCollapsesTheInterval) {
  const std::vector<double> one = {7.25};
  const Statistics s = CalculateStatistics(one).value();
  EXPECT_EQ(s.count, 1);
  EXPECT_EQ(s.mean, 7.25);
  EXPECT_EQ(s.std, 0.0);
  EXPECT_EQ(s.min, 7.25);
  EXPECT_EQ(s.max, 7.25);
  EXPECT_EQ(s.p50, 7.25);
  EXPECT_EQ(s.p99, 7.25);
  EXPECT_EQ(s.ci_lower, 7.25);
  EXPECT_EQ(s.ci_upper, 7.25);
  EXPECT_EQ(s.cv, 0.0);
}

TEST(CalculateStatisticsTest, CoefficientOfVariationAtZeroMean) {
  const std::vector<double> zeros = {0, 0, 0};
  EXPECT_EQ(CalculateStatistics(zeros).value().cv, 0.0);
  const std::vector<double> symmetric = {-1, 1};
  EXPECT_TRUE(std::isnan(CalculateStatistics(symmetric).value().cv));
}

TEST(CalculateStatisticsTest, StaysAccurateWithLargeOffsets) {
  // Timestamps around 1.7e9 s with a 1 s spread: a naive sum of squares loses all digits.
  std::vector<double> values;
  for (int i = 0; i < 1000; ++i) values.push_back(1.7e9 + (i % 2 == 0 ? 0.5 : -0.5));
  const Statistics s = CalculateStatistics(values).value();
  EXPECT_DOUBLE_EQ(s.mean, 1.7e9);
  EXPECT_NEAR(s.std, std::sqrt(1000.0 / 999.0) * 0.5, 1e-9);
}

TEST(CalculateStatisticsTest, ExtremeMagnitudesDoNotOverflow) {
  // The naive sum big + big overflows; the mean (big / 3) and std (big / sqrt(3)) do not.
  const double big = std::numeric_limits<double>::max() / 2;
  const std::vector<double> values = {big, big, -big};
  const Statistics s = CalculateStatistics(values).value();
  EXPECT_TRUE(std::isfinite(s.mean));
  EXPECT_NEAR(s.mean / big, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(s.std / big, 2.0 / std::sqrt(3.0), 1e-12);
}

TEST(CalculateStatisticsTest, RejectsInvalidInput) {
  EXPECT_EQ(CalculateStatistics({}).status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<double> values = {1, 2, 3};
  for (double level : {0.0, 1.0, -0.2, 1.5, kNaN}) {
    absl::Status status = CalculateStatistics(values, level).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << level;
    EXPECT_NE(status.message().find("confidence_level"), std::string::npos) << status;
  }
  const std::vector<double> with_nan = {1, kNaN};
  EXPECT_EQ(CalculateStatistics(with_nan).status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<double> with_inf = {kInf, 1};
  EXPECT_EQ(CalculateStatistics(with_inf).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace llmds
