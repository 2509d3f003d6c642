// Copyright 2026 The llmds Authors.

#include "llmds/cache/internal/id_map.h"

#include <map>
#include <memory>
#include <random>

#include "gtest/gtest.h"

namespace llmds {
namespace cache_internal {
namespace {

TEST(IdMapTest, InsertFindErase) {
  IdMap<int> m;
  EXPECT_EQ(m.Find(3), nullptr);
  m.Insert(3, std::make_unique<int>(30));
  m.Insert(-4, std::make_unique<int>(-40));
  ASSERT_NE(m.Find(3), nullptr);
  EXPECT_EQ(*m.Find(3), 30);
  EXPECT_EQ(*m.Find(-4), -40);
  int* stable = m.Find(3);
  for (int64_t i = 100; i < 1000; ++i) m.Insert(i, std::make_unique<int>(0));  // rehashes
  EXPECT_EQ(m.Find(3), stable);  // objects never move
  EXPECT_TRUE(m.Erase(3));
  EXPECT_FALSE(m.Erase(3));
  EXPECT_EQ(m.Find(3), nullptr);
  EXPECT_EQ(m.size(), 901u);
}

// Differential test against std::map, with ids chosen to collide in the low and high bits.
TEST(IdMapTest, DifferentialAgainstStdMap) {
  IdMap<int64_t> m;
  std::map<int64_t, int64_t> model;
  std::mt19937_64 rng(9);
  for (int op = 0; op < 200000; ++op) {
    const int64_t id = static_cast<int64_t>(rng() % 512) * ((op % 3 == 0) ? (int64_t{1} << 40) : 1);
    const int kind = static_cast<int>(rng() % 3);
    if (kind == 0) {
      if (model.count(id) == 0) {
        m.Insert(id, std::make_unique<int64_t>(op));
        model[id] = op;
      }
    } else if (kind == 1) {
      ASSERT_EQ(m.Erase(id), model.erase(id) == 1);
    } else {
      const int64_t* v = m.Find(id);
      auto it = model.find(id);
      ASSERT_EQ(v != nullptr, it != model.end());
      if (v != nullptr) {
        ASSERT_EQ(*v, it->second);
      }
    }
    ASSERT_EQ(m.size(), model.size());
    if (op % 1000 == 0) {
      size_t seen = 0;
      m.ForEach([&](int64_t key, const int64_t& value) {
        ++seen;
        ASSERT_EQ(model.at(key), value);
      });
      ASSERT_EQ(seen, model.size());
      for (const auto& [key, value] : model) ASSERT_NE(m.Find(key), nullptr);
    }
  }
}

}  // namespace
}  // namespace cache_internal
}  // namespace llmds
