// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/internal/distance.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace llmds {
namespace retrieval_internal {
namespace {

TEST(DistanceTest, EverySupportedKernelMatchesTheScalarReference) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  int checked = 0;
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (!SimdLevelSupported(level)) continue;
    const DistanceKernels& k = KernelsFor(level);
    EXPECT_EQ(k.level, level);
    for (size_t n : {0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 384,
                     784, 1001}) {
      // Offset by one float so unaligned loads are exercised.
      std::vector<float> a(n + 1), b(n + 1);
      for (float& x : a) x = u(rng);
      for (float& x : b) x = u(rng);
      double l2 = 0, dot = 0;
      for (size_t i = 0; i < n; ++i) {
        l2 += (double{a[i + 1]} - b[i + 1]) * (double{a[i + 1]} - b[i + 1]);
        dot += double{a[i + 1]} * b[i + 1];
      }
      EXPECT_NEAR(k.l2_squared(a.data() + 1, b.data() + 1, n), l2, 1e-3 * (1 + l2)) << k.name << n;
      EXPECT_NEAR(k.dot(a.data() + 1, b.data() + 1, n), dot, 1e-3 * (1 + std::fabs(dot)))
          << k.name << n;
      EXPECT_NEAR(k.one_minus_dot(a.data() + 1, b.data() + 1, n), 1 - dot,
                  1e-3 * (1 + std::fabs(dot)))
          << k.name << n;
      ++checked;
    }
  }
  EXPECT_GE(checked, 16);
}

TEST(DistanceTest, BestKernelsAreSupported) {
  EXPECT_TRUE(SimdLevelSupported(DetectSimdLevel()));
  EXPECT_EQ(BestKernels().level, DetectSimdLevel());
  EXPECT_TRUE(SimdLevelSupported(SimdLevel::kScalar));
}

}  // namespace
}  // namespace retrieval_internal
}  // namespace llmds
