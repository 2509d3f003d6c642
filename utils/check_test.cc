// Copyright 2026 The llmds Authors.

#include "llmds/utils/check.h"

#include "gtest/gtest.h"

namespace llmds {
namespace {

TEST(CheckTest, PassingChecksDoNothing) {
  int evaluations = 0;
  LLMDS_CHECK(++evaluations == 1);
  LLMDS_CHECK_EQ(evaluations, 1);
  LLMDS_CHECK_LE(1, 2);
  LLMDS_CHECK_NE(1, 2);
  EXPECT_EQ(evaluations, 1);  // evaluated exactly once
}

TEST(CheckDeathTest, FailingCheckAbortsWithTheCondition) {
  EXPECT_DEATH(LLMDS_CHECK(1 + 1 == 3), "llmds check failed: 1 \\+ 1 == 3");
  EXPECT_DEATH(LLMDS_CHECK_LT(5, 4), "5 < 4 \\(5 vs 4\\)");
}

TEST(CheckDeathTest, DcheckFollowsNdebug) {
#ifdef NDEBUG
  int evaluations = 0;
  LLMDS_DCHECK(++evaluations == 100);  // not evaluated
  EXPECT_EQ(evaluations, 0);
#else
  EXPECT_DEATH(LLMDS_DCHECK_EQ(1, 2), "1 == 2 \\(1 vs 2\\)");
#endif
}

}  // namespace
}  // namespace llmds
