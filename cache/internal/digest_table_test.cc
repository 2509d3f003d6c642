// Copyright 2026 The llmds Authors.

#include "llmds/cache/internal/digest_table.h"

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <utility>

#include "gtest/gtest.h"

namespace llmds {
namespace cache_internal {
namespace {

TEST(DigestTableTest, EmptyFindsNothing) {
  DigestTable t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.FindIf(42, [](int32_t) { return true; }), -1);
  EXPECT_FALSE(t.Erase(42, 0));
}

TEST(DigestTableTest, EqualDigestsKeepEveryValueAndPredicateSelects) {
  DigestTable t;
  for (int32_t v = 0; v < 5; ++v) t.Insert(7, v);
  EXPECT_EQ(t.size(), 5u);
  for (int32_t v = 0; v < 5; ++v) {
    EXPECT_EQ(t.FindIf(7, [v](int32_t x) { return x == v; }), v);
  }
  EXPECT_EQ(t.FindIf(7, [](int32_t x) { return x == 9; }), -1);
  EXPECT_TRUE(t.Erase(7, 2));
  EXPECT_FALSE(t.Contains(7, 2));
  EXPECT_TRUE(t.Contains(7, 4));
  EXPECT_EQ(t.size(), 4u);
}

// Differential test against std::multiset with few distinct digests (long probe runs and
// many backward shifts), 200k operations.
TEST(DigestTableTest, MatchesReferenceModel) {
  std::mt19937_64 rng(11);
  DigestTable t;
  std::set<std::pair<uint64_t, int32_t>> model;
  for (int op = 0; op < 200000; ++op) {
    const uint64_t d = rng() % 64 == 0 ? rng() : rng() % 40;
    const int32_t v = static_cast<int32_t>(rng() % 300);
    const bool present = model.count({d, v}) > 0;
    if (rng() % 2 == 0) {
      if (!present) {
        t.Insert(d, v);
        model.insert({d, v});
      }
    } else {
      ASSERT_EQ(t.Erase(d, v), present);
      model.erase({d, v});
    }
    ASSERT_EQ(t.Contains(d, v), model.count({d, v}) > 0);
    ASSERT_EQ(t.size(), model.size());
    if (op % 5000 == 0) {
      size_t seen = 0;
      t.ForEach([&](uint64_t dd, int32_t vv) {
        ++seen;
        EXPECT_TRUE(model.count({dd, vv}));
        EXPECT_TRUE(t.Contains(dd, vv));
      });
      ASSERT_EQ(seen, model.size());
    }
  }
}

TEST(DigestTableTest, ReserveKeepsEntries) {
  DigestTable t;
  for (int32_t v = 0; v < 100; ++v) t.Insert(static_cast<uint64_t>(v) * 1000003u, v);
  t.Reserve(10000);
  for (int32_t v = 0; v < 100; ++v) EXPECT_TRUE(t.Contains(static_cast<uint64_t>(v) * 1000003u, v));
  EXPECT_EQ(t.size(), 100u);
}

}  // namespace
}  // namespace cache_internal
}  // namespace llmds
