// Copyright 2026 The llmds Authors.
//
// DigestTable: an open-addressing multimap from 64-bit digests to non-negative int32 values
// (block ids), for the prefix index of KVBlockManager. One flat array of {digest, value}
// entries, linear probing from a multiplicative home slot, backward-shift deletion (no
// tombstones). Several values may share a digest (collisions); FindIf walks the probe run and
// returns the first value with that digest that a caller-supplied predicate accepts (the
// verification against the stored tokens). Load factor stays at or below 1/2.
//
// Thread-compatible.

#ifndef LLMDS_CACHE_INTERNAL_DIGEST_TABLE_H_
#define LLMDS_CACHE_INTERNAL_DIGEST_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "llmds/utils/check.h"

namespace llmds {
namespace cache_internal {

class DigestTable {
 public:
  DigestTable() { Rehash(kMinCapacity); }

  size_t size() const { return size_; }

  // Grows the table so that `n` entries fit without rehashing.
  void Reserve(size_t n) {
    size_t capacity = entries_.size();
    while (capacity < 2 * n) capacity *= 2;
    if (capacity != entries_.size()) Rehash(capacity);
  }

  // Adds (digest, value). REQUIRES: value >= 0 and the pair is absent.
  void Insert(uint64_t digest, int32_t value) {
    LLMDS_DCHECK_GE(value, 0);
    if (2 * (size_ + 1) > entries_.size()) Rehash(2 * entries_.size());
    Place(digest, value);
    ++size_;
  }

  // Returns the first value stored under `digest` for which pred(value) is true, or -1.
  template <typename Pred>
  int32_t FindIf(uint64_t digest, Pred&& pred) const {
    for (size_t i = Home(digest);; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.value < 0) return -1;
      if (e.digest == digest && pred(e.value)) return e.value;
    }
  }

  // True iff (digest, value) is stored.
  bool Contains(uint64_t digest, int32_t value) const {
    return FindIf(digest, [value](int32_t v) { return v == value; }) != -1;
  }

  // Removes (digest, value); returns false if absent.
  bool Erase(uint64_t digest, int32_t value) {
    size_t i = Home(digest);
    for (;; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.value < 0) return false;
      if (e.digest == digest && e.value == value) break;
    }
    // Backward shift: pull later entries of the probe run into the hole when their home slot
    // does not lie cyclically in (hole, j].
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; entries_[j].value >= 0; j = (j + 1) & mask_) {
      const size_t home = Home(entries_[j].digest);
      const bool stays = hole < j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        entries_[hole] = entries_[j];
        hole = j;
      }
    }
    entries_[hole] = Entry();
    --size_;
    return true;
  }

  // Calls f(digest, value) for every entry, in no particular order.
  template <typename F>
  void ForEach(F&& f) const {
    for (const Entry& e : entries_) {
      if (e.value >= 0) f(e.digest, e.value);
    }
  }

 private:
  static constexpr size_t kMinCapacity = 16;

  struct Entry {
    uint64_t digest = 0;
    int32_t value = -1;  // -1: empty
  };

  // Digests may come from a weak injected function, so they are mixed before use.
  size_t Home(uint64_t digest) const {
    return static_cast<size_t>(((digest ^ (digest >> 29)) * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  void Place(uint64_t digest, int32_t value) {
    size_t i = Home(digest);
    while (entries_[i].value >= 0) i = (i + 1) & mask_;
    entries_[i].digest = digest;
    entries_[i].value = value;
  }

  void Rehash(size_t capacity) {
    std::vector<Entry> old;
    old.swap(entries_);
    entries_.assign(capacity, Entry());
    mask_ = capacity - 1;
    int bits = 0;
    while ((size_t{1} << bits) < capacity) ++bits;
    shift_ = 64 - bits;
    for (const Entry& e : old) {
      if (e.value >= 0) Place(e.digest, e.value);
    }
  }

  // Invariants: entries_.size() is a power of two >= 2 * size_; every entry sits in the probe
  // run that starts at its home slot (no empty slot between home and it).
  std::vector<Entry> entries_;
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

}  // namespace cache_internal
}  // namespace llmds

#endif  // LLMDS_CACHE_INTERNAL_DIGEST_TABLE_H_
