// Copyright 2026 The llmds Authors.

#include "llmds/cache/token_lru.h"

#include <list>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

using StringLRU = TokenLRU<std::string, std::string>;
int64_t Len(const std::string& s) { return static_cast<int64_t>(s.size()); }

TEST(TokenLRUTest, PutGetAndTotals) {
  StringLRU lru(10, Len);
  ASSERT_TRUE(lru.Put("a", "xxx").ok());
  ASSERT_TRUE(lru.Put("b", "yy").ok());
  EXPECT_EQ(lru.TotalTokens(), 5);
  EXPECT_EQ(lru.Size(), 2u);
  ASSERT_NE(lru.Get("a"), nullptr);
  EXPECT_EQ(*lru.Get("a"), "xxx");
  EXPECT_EQ(lru.Get("zz"), nullptr);
}

TEST(TokenLRUTest, PutReplacesExistingKey) {
  StringLRU lru(10, Len);
  ASSERT_TRUE(lru.Put("a", "xxx").ok());
  ASSERT_TRUE(lru.Put("a", "yyyyy").ok());
  EXPECT_EQ(lru.Size(), 1u);
  EXPECT_EQ(lru.TotalTokens(), 5);
  EXPECT_EQ(*lru.Get("a"), "yyyyy");
}

TEST(TokenLRUTest, OversizedValueRejectedNothingEvicted) {
  StringLRU lru(4, Len);
  ASSERT_TRUE(lru.Put("a", "xx").ok());
  ASSERT_TRUE(lru.Put("b", "yy").ok());
  absl::Status s = lru.Put("c", "zzzzz");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("5"), std::string::npos);
  EXPECT_EQ(lru.Size(), 2u);
  EXPECT_EQ(lru.TotalTokens(), 4);
  // Replacing an existing key with an oversized value keeps the old value.
  EXPECT_EQ(lru.Put("a", "zzzzz").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*lru.Peek("a"), "xx");
}

TEST(TokenLRUTest, NegativeTokenCountRejected) {
  TokenLRU<int, int> lru(10, [](const int& v) { return static_cast<int64_t>(v); });
  EXPECT_EQ(lru.Put(1, -3).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(lru.Size(), 0u);
  EXPECT_TRUE(lru.Put(1, 0).ok());  // zero-token values are fine
  EXPECT_EQ(lru.TotalTokens(), 0);
}

TEST(TokenLRUTest, PutEvictsLeastRecentlyUsedAndReportsIt) {
  StringLRU lru(6, Len);
  ASSERT_TRUE(lru.Put("a", "11").ok());
  ASSERT_TRUE(lru.Put("b", "22").ok());
  ASSERT_TRUE(lru.Put("c", "33").ok());
  ASSERT_NE(lru.Get("a"), nullptr);  // order now (LRU first): b, c, a
  std::vector<std::pair<std::string, std::string>> evicted;
  ASSERT_TRUE(lru.Put("d", "4444", &evicted).ok());
  ASSERT_EQ(evicted.size(), 2u);
  EXPECT_EQ(evicted[0], (std::pair<std::string, std::string>("b", "22")));
  EXPECT_EQ(evicted[1], (std::pair<std::string, std::string>("c", "33")));
  EXPECT_EQ(lru.TotalTokens(), 6);
  EXPECT_TRUE(lru.Contains("a"));
  EXPECT_TRUE(lru.Contains("d"));
}

TEST(TokenLRUTest, ReplacementThatGrowsNeverEvictsItself) {
  StringLRU lru(5, Len);
  ASSERT_TRUE(lru.Put("a", "1").ok());
  ASSERT_TRUE(lru.Put("b", "2").ok());
  std::vector<std::pair<std::string, std::string>> evicted;
  ASSERT_TRUE(lru.Put("a", "55555", &evicted).ok());
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0].first, "b");
  EXPECT_EQ(*lru.Get("a"), "55555");
}

TEST(TokenLRUTest, EvictUntilBudgetReturnsLruFirst) {
  StringLRU lru(100, Len);
  for (const char* k : {"a", "b", "c", "d"}) ASSERT_TRUE(lru.Put(k, "xx").ok());
  ASSERT_NE(lru.Get("a"), nullptr);  // LRU order: b, c, d, a
  std::vector<std::pair<std::string, std::string>> out = lru.EvictUntilBudget(3);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].first, "b");
  EXPECT_EQ(out[1].first, "c");
  EXPECT_EQ(out[2].first, "d");
  EXPECT_EQ(lru.TotalTokens(), 2);
  EXPECT_TRUE(lru.EvictUntilBudget(2).empty());
  EXPECT_EQ(lru.EvictUntilBudget(-5).size(), 1u);  // negative target means 0
  EXPECT_EQ(lru.Size(), 0u);
  EXPECT_EQ(lru.TokenBudget(), 100);  // the budget itself is unchanged
}

TEST(TokenLRUTest, EraseClearAndPeek) {
  StringLRU lru(10, Len);
  ASSERT_TRUE(lru.Put("a", "1").ok());
  ASSERT_TRUE(lru.Put("b", "22").ok());
  EXPECT_EQ(*lru.Peek("a"), "1");  // Peek does not refresh: a stays LRU
  EXPECT_TRUE(lru.Erase("b"));
  EXPECT_FALSE(lru.Erase("b"));
  EXPECT_EQ(lru.TotalTokens(), 1);
  lru.Clear();
  EXPECT_EQ(lru.Size(), 0u);
  EXPECT_EQ(lru.TotalTokens(), 0);
  EXPECT_EQ(lru.Get("a"), nullptr);
  ASSERT_TRUE(lru.Put("c", "333").ok());  // usable after Clear
  EXPECT_EQ(lru.TotalTokens(), 3);
}

TEST(TokenLRUTest, SetTokenBudgetShrinks) {
  StringLRU lru(10, Len);
  ASSERT_TRUE(lru.Put("a", "1111").ok());
  ASSERT_TRUE(lru.Put("b", "2222").ok());
  std::vector<std::pair<std::string, std::string>> out = lru.SetTokenBudget(5);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, "a");
  EXPECT_EQ(lru.TokenBudget(), 5);
  TokenLRU<int, int> neg(-7, [](const int&) { return int64_t{0}; });
  EXPECT_EQ(neg.TokenBudget(), 0);
}

TEST(TokenLRUTest, MoveOnlyValues) {
  TokenLRU<int, std::unique_ptr<int>> lru(
      3, [](const std::unique_ptr<int>& v) { return static_cast<int64_t>(*v); });
  ASSERT_TRUE(lru.Put(1, std::make_unique<int>(2)).ok());
  std::vector<std::pair<int, std::unique_ptr<int>>> evicted;
  ASSERT_TRUE(lru.Put(2, std::make_unique<int>(2), &evicted).ok());
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(*evicted[0].second, 2);
}

// Reference model: a textbook list + map LRU with the same documented semantics.
class ModelLRU {
 public:
  explicit ModelLRU(int64_t budget) : budget_(budget) {}
  bool Put(int k, int64_t tokens, std::vector<int>* evicted) {
    if (tokens < 0 || tokens > budget_) return false;
    auto it = pos_.find(k);
    if (it != pos_.end()) {
      total_ -= it->second->second;
      order_.erase(it->second);
    }
    order_.emplace_front(k, tokens);
    pos_[k] = order_.begin();
    total_ += tokens;
    while (total_ > budget_) evicted->push_back(PopBack());
    return true;
  }
  bool Get(int k) {
    auto it = pos_.find(k);
    if (it == pos_.end()) return false;
    order_.splice(order_.begin(), order_, it->second);
    return true;
  }
  bool Erase(int k) {
    auto it = pos_.find(k);
    if (it == pos_.end()) return false;
    total_ -= it->second->second;
    order_.erase(it->second);
    pos_.erase(it);
    return true;
  }
  std::vector<int> EvictUntil(int64_t target) {
    std::vector<int> out;
    while (total_ > target) out.push_back(PopBack());
    return out;
  }
  int64_t total() const { return total_; }
  size_t size() const { return pos_.size(); }
  std::vector<int> Order() const {
    std::vector<int> out;
    for (const auto& e : order_) out.push_back(e.first);
    return out;
  }

 private:
  int PopBack() {
    auto [k, t] = order_.back();
    total_ -= t;
    pos_.erase(k);
    order_.pop_back();
    return k;
  }
  int64_t budget_;
  int64_t total_ = 0;
  std::list<std::pair<int, int64_t>> order_;
  std::map<int, std::list<std::pair<int, int64_t>>::iterator> pos_;
};

void RunDifferential(int ops, int check_every, uint32_t seed) {
  const int64_t kBudget = 200;
  // Values are their own token counts (offset so that negatives and oversize appear).
  TokenLRU<int, int64_t> lru(kBudget, [](const int64_t& v) { return v; });
  ModelLRU model(kBudget);
  std::mt19937 rng(seed);
  for (int op = 0; op < ops; ++op) {
    const int kind = static_cast<int>(rng() % 100);
    const int key = static_cast<int>(rng() % 64);
    if (kind < 45) {
      const int64_t tokens = static_cast<int64_t>(rng() % 60) - 2 + (rng() % 50 == 0 ? 200 : 0);
      std::vector<std::pair<int, int64_t>> evicted;
      std::vector<int> model_evicted;
      const bool ok = lru.Put(key, tokens, &evicted).ok();
      ASSERT_EQ(ok, model.Put(key, tokens, &model_evicted));
      ASSERT_EQ(evicted.size(), model_evicted.size());
      for (size_t i = 0; i < evicted.size(); ++i) {
        ASSERT_EQ(evicted[i].first, model_evicted[i]);
      }
    } else if (kind < 85) {
      int64_t* v = lru.Get(key);
      ASSERT_EQ(v != nullptr, model.Get(key));
    } else if (kind < 95) {
      ASSERT_EQ(lru.Erase(key), model.Erase(key));
    } else {
      const int64_t target = static_cast<int64_t>(rng() % 220) - 10;
      std::vector<std::pair<int, int64_t>> out = lru.EvictUntilBudget(target);
      std::vector<int> expect = model.EvictUntil(target < 0 ? 0 : target);
      ASSERT_EQ(out.size(), expect.size());
      for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i].first, expect[i]);
    }
    ASSERT_EQ(lru.TotalTokens(), model.total());
    ASSERT_EQ(lru.Size(), model.size());
    ASSERT_LE(lru.TotalTokens(), kBudget);
    if (op % check_every == 0) {
      std::vector<int> order;
      int64_t sum = 0;
      lru.ForEachMostRecentFirst([&](const int& k, const int64_t& v) {
        order.push_back(k);
        sum += v;
      });
      ASSERT_EQ(order, model.Order()) << "at op " << op;
      ASSERT_EQ(sum, lru.TotalTokens());
    }
  }
}

TEST(TokenLRUTest, DifferentialEveryOp) { RunDifferential(20000, 1, 3); }
TEST(TokenLRUTest, DifferentialLarge) { RunDifferential(300000, 997, 5); }

}  // namespace
}  // namespace llmds
