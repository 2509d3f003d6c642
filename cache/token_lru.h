// Copyright 2026 The llmds Authors.
//
// TokenLRU: a least-recently-used cache whose capacity is a token budget instead of an entry
// count. Each value's cost is `token_of(value)` tokens (a cached completion, a prompt's KV
// handle, a retrieved chunk); the cache keeps the sum of costs at or below the budget.
//
//   llmds::TokenLRU<std::string, std::string> lru(
//       /*token_budget=*/4096, [](const std::string& v) { return int64_t(v.size()); });
//   std::vector<std::pair<std::string, std::string>> evicted;
//   LLMDS_RETURN_IF_ERROR(lru.Put("q1", answer, &evicted));  // evicted: what made room
//   if (std::string* hit = lru.Get("q1")) Use(*hit);
//
// Put keeps TotalTokens() <= budget: when the new value does not fit, it evicts least recently
// used entries first until it does, and the three-argument overload reports them (the
// two-argument one drops them; they are gone from the cache either way). A value larger than
// the whole budget is refused with InvalidArgument and nothing is evicted.
//
// Cost: Put, Get, Erase are O(1) expected (a flat hash map from key to a slot in a node pool,
// with an intrusive doubly linked recency list of 32-bit slot indices); EvictUntilBudget is
// O(evicted). Entries are stored in a contiguous pool, so there is no allocation per Put once
// the pool has grown.
//
// The token count of a value is taken once, at Put. Changing a value through the pointer
// from Get does not change its recorded count; Put it again to re-count.

#ifndef LLMDS_CACHE_TOKEN_LRU_H_
#define LLMDS_CACHE_TOKEN_LRU_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace llmds {

// `TokenLRU` is thread-compatible: it must be externally synchronized, and even Get mutates
// (it updates recency).
template <typename K, typename V, typename TokenOf = std::function<int64_t(const V&)>,
          typename Hash = absl::Hash<K>, typename Eq = std::equal_to<K>>
class TokenLRU {
 public:
  // Creates an empty cache holding at most `token_budget` tokens. A negative budget is
  // treated as 0 (such a cache only holds zero-token values).
  TokenLRU(int64_t token_budget, TokenOf token_of)
      : budget_(token_budget < 0 ? 0 : token_budget), token_of_(std::move(token_of)) {}

  TokenLRU(TokenLRU&&) = default;
  TokenLRU& operator=(TokenLRU&&) = default;
  TokenLRU(const TokenLRU&) = delete;
  TokenLRU& operator=(const TokenLRU&) = delete;

  // Inserts or replaces `key` -> `value` and makes it the most recently used entry. If the
  // total then exceeds the budget, evicts least recently used entries (never `key` itself)
  // until it fits, appending them to `*evicted` when it is non-null (in eviction order).
  // Replacing an existing key's value is not an eviction; the old value is destroyed.
  // Errors (nothing changes, nothing is evicted): InvalidArgument if token_of(value) is
  // negative or larger than the budget.
  absl::Status Put(K key, V value, std::vector<std::pair<K, V>>* evicted) {
    const int64_t tokens = token_of_(value);
    if (tokens < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("TokenLRU::Put: token count must be >= 0, got ", tokens));
    }
    if (tokens > budget_) {
      return absl::InvalidArgumentError(absl::StrCat("TokenLRU::Put: value of ", tokens,
                                                     " tokens exceeds the budget of ", budget_));
    }
    auto [it, inserted] = index_.try_emplace(key, kNil);
    uint32_t slot;
    if (inserted) {
      slot = NewSlot(std::move(key), std::move(value), tokens);
      it->second = slot;
      PushFront(slot);
    } else {
      slot = it->second;
      Node& node = nodes_[slot];
      total_ -= node.tokens;
      node.value = std::move(value);
      node.tokens = tokens;
      Unlink(slot);
      PushFront(slot);
    }
    total_ += tokens;
    // The fresh entry is at the front and fits on its own, so this stops before reaching it.
    while (total_ > budget_) {
      EvictTail(evicted);
    }
    return absl::OkStatus();
  }

  // As above, dropping the evicted entries.
  absl::Status Put(K key, V value) { return Put(std::move(key), std::move(value), nullptr); }

  // Returns the value of `key` and marks it most recently used, or nullptr if absent. The
  // pointer is valid until the next non-const call.
  V* Get(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    const uint32_t slot = it->second;
    if (head_ != slot) {
      Unlink(slot);
      PushFront(slot);
    }
    return &nodes_[slot].value;
  }

  // Returns the value of `key` without touching recency, or nullptr if absent.
  const V* Peek(const K& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &nodes_[it->second].value;
  }

  bool Contains(const K& key) const { return index_.contains(key); }

  // Evicts least recently used entries until TotalTokens() <= target_budget (a negative
  // target is treated as 0) and returns them, least recently used first. Does not change the
  // budget itself. O(number evicted).
  std::vector<std::pair<K, V>> EvictUntilBudget(int64_t target_budget) {
    if (target_budget < 0) target_budget = 0;
    std::vector<std::pair<K, V>> evicted;
    while (total_ > target_budget) EvictTail(&evicted);
    return evicted;
  }

  // Sets a new budget; if the total exceeds it, evicts LRU first and returns what it evicted.
  // A negative budget is treated as 0.
  std::vector<std::pair<K, V>> SetTokenBudget(int64_t token_budget) {
    budget_ = token_budget < 0 ? 0 : token_budget;
    return EvictUntilBudget(budget_);
  }

  int64_t TokenBudget() const { return budget_; }
  int64_t TotalTokens() const { return total_; }
  size_t Size() const { return index_.size(); }
  bool Empty() const { return index_.empty(); }

  // Removes `key`; returns false if it was absent.
  bool Erase(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    const uint32_t slot = it->second;
    index_.erase(it);
    Unlink(slot);
    total_ -= nodes_[slot].tokens;
    ReleaseSlot(slot);
    return true;
  }

  // Removes every entry. Keeps the pool's memory for reuse.
  void Clear() {
    index_.clear();
    nodes_.clear();
    free_slots_.clear();
    head_ = tail_ = kNil;
    total_ = 0;
  }

  // Visits entries from most to least recently used.
  template <typename F>
  void ForEachMostRecentFirst(F&& f) const {
    for (uint32_t s = head_; s != kNil; s = nodes_[s].next) f(nodes_[s].key, nodes_[s].value);
  }

 private:
  static constexpr uint32_t kNil = std::numeric_limits<uint32_t>::max();

  struct Node {
    K key;
    V value;
    int64_t tokens;
    uint32_t prev;  // towards the most recently used end
    uint32_t next;  // towards the least recently used end
  };

  uint32_t NewSlot(K key, V value, int64_t tokens) {
    if (!free_slots_.empty()) {
      const uint32_t slot = free_slots_.back();
      free_slots_.pop_back();
      Node& n = nodes_[slot];
      n.key = std::move(key);
      n.value = std::move(value);
      n.tokens = tokens;
      return slot;
    }
    nodes_.push_back(Node{std::move(key), std::move(value), tokens, kNil, kNil});
    return static_cast<uint32_t>(nodes_.size() - 1);
  }

  // Resets a freed slot's key and value so they release their resources now.
  void ReleaseSlot(uint32_t slot) {
    nodes_[slot].key = K();
    nodes_[slot].value = V();
    free_slots_.push_back(slot);
  }

  void PushFront(uint32_t slot) {
    Node& n = nodes_[slot];
    n.prev = kNil;
    n.next = head_;
    if (head_ != kNil) nodes_[head_].prev = slot;
    head_ = slot;
    if (tail_ == kNil) tail_ = slot;
  }

  void Unlink(uint32_t slot) {
    Node& n = nodes_[slot];
    if (n.prev != kNil) nodes_[n.prev].next = n.next; else head_ = n.next;
    if (n.next != kNil) nodes_[n.next].prev = n.prev; else tail_ = n.prev;
    n.prev = n.next = kNil;
  }

  void EvictTail(std::vector<std::pair<K, V>>* evicted) {
    const uint32_t slot = tail_;
    Node& n = nodes_[slot];
    index_.erase(n.key);
    Unlink(slot);
    total_ -= n.tokens;
    if (evicted != nullptr) evicted->emplace_back(std::move(n.key), std::move(n.value));
    ReleaseSlot(slot);
  }

  // Invariants:
  //  1. index_ maps each key to the slot holding it; the recency list from head_ visits
  //     exactly the slots in index_, and free_slots_ holds every other slot of nodes_.
  //  2. total_ == sum of tokens over listed slots, and total_ <= budget_ after every call.
  int64_t budget_;
  TokenOf token_of_;
  int64_t total_ = 0;
  absl::flat_hash_map<K, uint32_t, Hash, Eq> index_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> free_slots_;
  uint32_t head_ = kNil;
  uint32_t tail_ = kNil;
};

}  // namespace llmds

#endif  // LLMDS_CACHE_TOKEN_LRU_H_
