// Copyright 2026 The llmds Authors.
//
// Per-search scratch state for HNSW: a visited set cleared in O(1) by epoch tags, and the
// candidate/result heaps, pooled so searches allocate nothing in steady state.

#ifndef LLMDS_RETRIEVAL_INTERNAL_HNSW_SCRATCH_H_
#define LLMDS_RETRIEVAL_INTERNAL_HNSW_SCRATCH_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace llmds {
namespace retrieval_internal {

// A set of slot numbers in [0, n). Reset() is O(1) except once every 65535 resets (or when n
// grows), when the tag array is cleared.
class VisitedSet {
 public:
  void Reset(size_t n) {
    if (tags_.size() < n) {
      tags_.assign(n, 0);
      epoch_ = 0;
    }
    if (++epoch_ == 0) {
      std::fill(tags_.begin(), tags_.end(), 0);
      epoch_ = 1;
    }
  }
  // Marks `slot` visited; returns true if it already was. REQUIRES: slot < n of the last Reset.
  bool TestAndSet(uint32_t slot) {
    if (tags_[slot] == epoch_) return true;
    tags_[slot] = epoch_;
    return false;
  }
  const uint16_t* tag_address(uint32_t slot) const { return &tags_[slot]; }
  size_t bytes() const { return tags_.capacity() * sizeof(uint16_t); }

 private:
  std::vector<uint16_t> tags_;
  uint16_t epoch_ = 0;
};

using DistSlot = std::pair<float, uint32_t>;

// Packs (distance, slot) into a key whose unsigned order is the order of the pair: the float's
// bits are mapped to an order-preserving integer (negative values flipped) in the high half.
// REQUIRES: distance is not NaN.
inline uint64_t EncodeKey(float distance, uint32_t slot) {
  uint32_t bits;
  std::memcpy(&bits, &distance, sizeof(bits));
  bits = (bits & 0x80000000u) != 0 ? ~bits : (bits | 0x80000000u);
  return (uint64_t{bits} << 32) | slot;
}
inline DistSlot DecodeKey(uint64_t key) {
  uint32_t bits = static_cast<uint32_t>(key >> 32);
  bits = (bits & 0x80000000u) != 0 ? (bits & 0x7fffffffu) : ~bits;
  float distance;
  std::memcpy(&distance, &bits, sizeof(distance));
  return DistSlot(distance, static_cast<uint32_t>(key));
}

struct SearchScratch {
  VisitedSet visited;
  std::vector<DistSlot> candidates;  // min-heap by distance
  std::vector<DistSlot> results;     // the last SearchLayer's results, ascending
  std::vector<uint64_t> candidate_keys;  // SearchLayer's heaps of EncodeKey values
  std::vector<uint64_t> result_keys;
  std::vector<DistSlot> entries;
  std::vector<DistSlot> selected;

  // Room for `n` slot numbers (the unvisited neighbours of one node).
  uint32_t* pending(size_t n) {
    if (pending_.size() < n) pending_.resize(n);
    return pending_.data();
  }
  // A 64-byte aligned copy of `query` (n floats), so distance loads never split cache lines.
  const float* AlignedQuery(const float* query, size_t n) {
    if (query_.size() < n + 16) query_.resize(n + 16);
    float* out = query_.data();
    out += (16 - (reinterpret_cast<uintptr_t>(out) / sizeof(float)) % 16) % 16;
    std::copy(query, query + n, out);
    return out;
  }
  size_t bytes() const {
    return sizeof(SearchScratch) + visited.bytes() +
           (candidates.capacity() + results.capacity() + entries.capacity() +
            selected.capacity()) * sizeof(DistSlot) +
           (candidate_keys.capacity() + result_keys.capacity()) * sizeof(uint64_t) +
           pending_.capacity() * sizeof(uint32_t) + query_.capacity() * sizeof(float);
  }

 private:
  std::vector<uint32_t> pending_;
  std::vector<float> query_;
};

// A thread-safe free list of SearchScratch objects.
class ScratchPool {
 public:
  std::unique_ptr<SearchScratch> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        std::unique_ptr<SearchScratch> scratch = std::move(free_.back());
        free_.pop_back();
        return scratch;
      }
    }
    return std::make_unique<SearchScratch>();
  }
  void Release(std::unique_ptr<SearchScratch> scratch) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() < kMaxPooled) free_.push_back(std::move(scratch));
  }
  // Drops every pooled object (returns their memory).
  void Clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.clear();
  }
  size_t bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t total = 0;
    for (const auto& s : free_) total += s->bytes();
    return total;
  }

 private:
  static constexpr size_t kMaxPooled = 64;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<SearchScratch>> free_ ABSL_GUARDED_BY(mutex_);
};

// RAII lease of a pooled scratch.
class ScratchLease {
 public:
  explicit ScratchLease(ScratchPool* pool) : pool_(pool), scratch_(pool->Acquire()) {}
  ~ScratchLease() { pool_->Release(std::move(scratch_)); }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  SearchScratch& operator*() { return *scratch_; }

 private:
  ScratchPool* pool_;
  std::unique_ptr<SearchScratch> scratch_;
};

}  // namespace retrieval_internal
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_INTERNAL_HNSW_SCRATCH_H_
