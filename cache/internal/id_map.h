// Copyright 2026 The llmds Authors.
//
// IdMap: an open-addressing hash map from int64 ids to owned objects (std::unique_ptr<T>),
// for lookups on hot paths such as a decode step that touches every running sequence. One
// flat array of {id, pointer} entries, Fibonacci hashing, linear probing and backward-shift
// deletion (no tombstones): a lookup is a multiply, a shift and usually one cache line.
// Load factor stays at or below 1/2. Pointers to the objects stay valid until their Erase
// (the map moves the unique_ptrs, never the objects).
//
// Thread-compatible.

#ifndef LLMDS_CACHE_INTERNAL_ID_MAP_H_
#define LLMDS_CACHE_INTERNAL_ID_MAP_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "llmds/utils/check.h"

namespace llmds {
namespace cache_internal {

template <typename T>
class IdMap {
 public:
  IdMap() { Rehash(kMinCapacity); }

  size_t size() const { return size_; }

  // Returns the object of `id`, or nullptr.
  T* Find(int64_t id) const {
    for (size_t i = Home(id);; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.value == nullptr) return nullptr;
      if (e.id == id) return e.value.get();
    }
  }

  bool Contains(int64_t id) const { return Find(id) != nullptr; }

  // Inserts `id` -> `value`. REQUIRES: id absent, value != nullptr.
  void Insert(int64_t id, std::unique_ptr<T> value) {
    LLMDS_DCHECK(value != nullptr);
    LLMDS_DCHECK(!Contains(id));
    if (2 * (size_ + 1) > entries_.size()) Rehash(2 * entries_.size());
    Place(id, std::move(value));
    ++size_;
  }

  // Removes `id` and destroys its object; returns false if absent.
  bool Erase(int64_t id) {
    size_t i = Home(id);
    for (;; i = (i + 1) & mask_) {
      if (entries_[i].value == nullptr) return false;
      if (entries_[i].id == id) break;
    }
    entries_[i].value.reset();
    // Backward shift: pull later entries of the probe run into the hole when their home
    // position does not lie cyclically in (hole, j].
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; entries_[j].value != nullptr; j = (j + 1) & mask_) {
      const size_t home = Home(entries_[j].id);
      const bool stays = hole < j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        entries_[hole] = std::move(entries_[j]);
        hole = j;
      }
    }
    --size_;
    return true;
  }

  // Calls f(id, const T&) for every entry, in no particular order.
  template <typename F>
  void ForEach(F&& f) const {
    for (const Entry& e : entries_) {
      if (e.value != nullptr) f(e.id, *e.value);
    }
  }

 private:
  static constexpr size_t kMinCapacity = 16;

  struct Entry {
    int64_t id = 0;
    std::unique_ptr<T> value;  // nullptr: empty
  };

  size_t Home(int64_t id) const {
    return static_cast<size_t>((static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  void Place(int64_t id, std::unique_ptr<T> value) {
    size_t i = Home(id);
    while (entries_[i].value != nullptr) i = (i + 1) & mask_;
    entries_[i].id = id;
    entries_[i].value = std::move(value);
  }

  void Rehash(size_t capacity) {
    std::vector<Entry> old;
    old.swap(entries_);
    entries_.resize(capacity);
    mask_ = capacity - 1;
    int bits = 0;
    while ((size_t{1} << bits) < capacity) ++bits;
    shift_ = 64 - bits;
    for (Entry& e : old) {
      if (e.value != nullptr) Place(e.id, std::move(e.value));
    }
  }

  // Invariants: entries_.size() is a power of two >= 2 * size_; every entry sits in the
  // probe run that starts at its home slot (no empty slot between home and it).
  std::vector<Entry> entries_;
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

}  // namespace cache_internal
}  // namespace llmds

#endif  // LLMDS_CACHE_INTERNAL_ID_MAP_H_
