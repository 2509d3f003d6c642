// Copyright 2026 The llmds Authors.

#include <cmath>
#include <cstdint>
#include <list>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "llmds/cache/token_lru.h"

namespace llmds {
namespace {

// A textbook token-budget LRU: std::list + std::unordered_map, the baseline.
class ListLRU {
 public:
  explicit ListLRU(int64_t budget) : budget_(budget) {}
  void Put(uint64_t key, int64_t value) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      total_ -= it->second->second;
      order_.erase(it->second);
    }
    order_.emplace_front(key, value);
    map_[key] = order_.begin();
    total_ += value;
    while (total_ > budget_) {
      total_ -= order_.back().second;
      map_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  int64_t* Get(uint64_t key) {
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

 private:
  int64_t budget_;
  int64_t total_ = 0;
  std::list<std::pair<uint64_t, int64_t>> order_;
  std::unordered_map<uint64_t, std::list<std::pair<uint64_t, int64_t>>::iterator> map_;
};

// Zipf(1.0) keys over 4M ids; value = token count in [1, 8].
std::vector<uint64_t> ZipfKeys(size_t n, uint64_t universe, uint32_t seed) {
  std::vector<double> cdf(universe);
  double sum = 0;
  for (uint64_t i = 0; i < universe; ++i) cdf[i] = (sum += 1.0 / static_cast<double>(i + 1));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, sum);
  std::vector<uint64_t> keys(n);
  for (auto& k : keys) {
    k = static_cast<uint64_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
  }
  return keys;
}

const std::vector<uint64_t>& Keys() {
  static const std::vector<uint64_t>* keys = new std::vector<uint64_t>(ZipfKeys(1 << 22, 4 << 20, 1));
  return *keys;
}

constexpr int64_t kBudget = 1 << 20;  // ~1M entries of 1 token... we use 1 token per entry

// Get-or-Put mix (cache-aside): Get; on miss Put. 1M-token budget, 1-token values.
template <typename Cache, typename GetFn, typename PutFn>
void RunMix(benchmark::State& state, Cache& cache, GetFn get, PutFn put) {
  const std::vector<uint64_t>& keys = Keys();
  for (uint64_t k : keys) put(cache, k);  // warm up to steady state
  size_t i = 0;
  int64_t hits = 0, ops = 0;
  for (auto _ : state) {
    const uint64_t k = keys[i];
    i = (i + 1) & (keys.size() - 1);
    if (get(cache, k)) {
      ++hits;
    } else {
      put(cache, k);
    }
    ++ops;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["hit_rate"] = static_cast<double>(hits) / static_cast<double>(ops);
}

// Arg: the token budget. 1M: the sampled key set fits after warm-up (hits only); 256K: the
// key space is larger than the budget, so the mix has misses, Puts and evictions.
void BM_TokenLRU_ZipfGetOrPut(benchmark::State& state) {
  TokenLRU<uint64_t, int64_t, int64_t (*)(const int64_t&)> lru(
      state.range(0), [](const int64_t&) -> int64_t { return 1; });
  RunMix(state, lru, [](auto& c, uint64_t k) { return c.Get(k) != nullptr; },
         [](auto& c, uint64_t k) { (void)c.Put(k, int64_t{1}); });
}
BENCHMARK(BM_TokenLRU_ZipfGetOrPut)->ArgName("budget")->Arg(kBudget)->Arg(kBudget / 4);

void BM_ListLRU_ZipfGetOrPut(benchmark::State& state) {
  ListLRU lru(state.range(0));
  RunMix(state, lru, [](auto& c, uint64_t k) { return c.Get(k) != nullptr; },
         [](auto& c, uint64_t k) { c.Put(k, 1); });
}
BENCHMARK(BM_ListLRU_ZipfGetOrPut)->ArgName("budget")->Arg(kBudget)->Arg(kBudget / 4);

void BM_TokenLRU_Put(benchmark::State& state) {
  TokenLRU<uint64_t, int64_t, int64_t (*)(const int64_t&)> lru(
      kBudget, [](const int64_t&) -> int64_t { return 1; });
  const std::vector<uint64_t>& keys = Keys();
  size_t i = 0;
  for (auto _ : state) {
    (void)lru.Put(keys[i], 1);
    i = (i + 1) & (keys.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenLRU_Put);

void BM_TokenLRU_GetHit(benchmark::State& state) {
  TokenLRU<uint64_t, int64_t, int64_t (*)(const int64_t&)> lru(
      kBudget, [](const int64_t&) -> int64_t { return 1; });
  for (uint64_t k = 0; k < (1 << 20); ++k) (void)lru.Put(k, 1);
  const std::vector<uint64_t>& keys = Keys();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(lru.Get(keys[i] & ((1 << 20) - 1)));
    i = (i + 1) & (keys.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenLRU_GetHit);

}  // namespace
}  // namespace llmds
