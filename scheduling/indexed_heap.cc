// Copyright 2026 The llmds Authors.

#include "llmds/scheduling/indexed_heap.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "llmds/scheduling/internal/dary_heap.h"
#include "llmds/utils/check.h"

namespace llmds {

IndexedHeap::IndexedHeap(bool max_heap) : max_heap_(max_heap), heap_(kPadding) {}

// ----- Key index ------------------------------------------------------------------------------

size_t IndexedHeap::HomeSlot(int64_t key_id) const {
  // A full 64-bit mix (MurmurHash3's finalizer), so that sequential or strided ids spread over
  // the table and linear probing stays short. (Keeping consecutive ids in consecutive slots was
  // tried for locality: at load 5/8 the runs merge into long probe clusters.)
  uint64_t x = static_cast<uint64_t>(key_id);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return static_cast<size_t>(x) & table_mask_;
}

size_t IndexedHeap::FindSlot(int64_t key_id) const {
  if (table_.empty()) return kNotFound;
  for (size_t i = HomeSlot(key_id);; i = (i + 1) & table_mask_) {
    const Slot& slot = table_[i];
    if (slot.position == kEmpty) return kNotFound;
    if (slot.key_id == key_id) return i;
  }
}

size_t IndexedHeap::ProbeSlot(int64_t key_id, bool& found) const {
  for (size_t i = HomeSlot(key_id);; i = (i + 1) & table_mask_) {
    const Slot& slot = table_[i];
    if (slot.position == kEmpty) {
      found = false;
      return i;
    }
    if (slot.key_id == key_id) {
      found = true;
      return i;
    }
  }
}

void IndexedHeap::EraseSlot(size_t hole) {
  // Backward-shift deletion: walk the probe run after the hole and move back every key whose
  // home slot does not lie cyclically in (hole, next], so no lookup ever meets a false empty.
  for (size_t next = (hole + 1) & table_mask_;; next = (next + 1) & table_mask_) {
    Slot& candidate = table_[next];
    if (candidate.position == kEmpty) break;
    const size_t home = HomeSlot(candidate.key_id);
    const bool stays = hole <= next ? (hole < home && home <= next)
                                    : (hole < home || home <= next);
    if (stays) continue;
    table_[hole] = candidate;
    At(candidate.position).slot = static_cast<uint32_t>(hole);
    hole = next;
  }
  table_[hole].position = kEmpty;
}

void IndexedHeap::GrowTable() {
  std::vector<Slot> old_table = std::move(table_);
  const size_t capacity = old_table.empty() ? 16 : old_table.size() * 2;
  table_.assign(capacity, Slot{0, kEmpty});
  table_mask_ = capacity - 1;
  for (size_t p = 0; p < Size(); ++p) {
    Entry& entry = At(p);
    const int64_t key_id = old_table[entry.slot].key_id;
    bool found = false;
    const size_t slot = ProbeSlot(key_id, found);
    table_[slot] = Slot{key_id, static_cast<uint32_t>(p)};
    entry.slot = static_cast<uint32_t>(slot);
  }
}

// ----- Heap -----------------------------------------------------------------------------------

void IndexedHeap::SiftUp(size_t position, Entry entry) {
  while (position > 0) {
    const size_t parent = (position - 1) / kArity;
    const Entry& above = At(parent);
    if (!Before(entry, above)) break;
    At(position) = above;
    table_[above.slot].position = static_cast<uint32_t>(position);
    position = parent;
  }
  At(position) = entry;
  table_[entry.slot].position = static_cast<uint32_t>(position);
}

void IndexedHeap::SiftDown(size_t position, Entry entry) {
  const size_t size = Size();
  Entry* const base = heap_.data() + kPadding;
  for (;;) {
    const size_t first_child = position * kArity + 1;
    if (first_child >= size) break;
    const size_t best = scheduling_internal::FirstOfChildren(base, size, first_child, &Before);
    if (!Before(base[best], entry)) break;
    base[position] = base[best];
    table_[base[position].slot].position = static_cast<uint32_t>(position);
    position = best;
  }
  base[position] = entry;
  table_[entry.slot].position = static_cast<uint32_t>(position);
}

void IndexedHeap::RemoveAt(size_t position) {
  const uint32_t slot = At(position).slot;
  const Entry last = heap_.back();
  heap_.pop_back();
  if (position < Size()) {
    if (position > 0 && Before(last, At((position - 1) / kArity))) {
      SiftUp(position, last);
    } else {
      SiftDown(position, last);
    }
  }
  EraseSlot(slot);
}

void IndexedHeap::RenumberSeqs() {
  std::vector<std::pair<uint32_t, size_t>> order;  // (seq, position)
  order.reserve(Size());
  for (size_t p = 0; p < Size(); ++p) order.emplace_back(At(p).seq, p);
  std::sort(order.begin(), order.end());
  for (size_t i = 0; i < order.size(); ++i) At(order[i].second).seq = static_cast<uint32_t>(i);
  next_seq_ = static_cast<uint32_t>(order.size());
}

absl::Status IndexedHeap::Push(int64_t key_id, double score) {
  if (std::isnan(score)) {
    return absl::InvalidArgumentError(
        absl::StrCat("IndexedHeap::Push: score is NaN for key_id ", key_id));
  }
  if (FindSlot(key_id) != kNotFound) {
    return absl::AlreadyExistsError(
        absl::StrCat("IndexedHeap::Push: key_id ", key_id, " is already in the heap"));
  }
  if (Size() >= kMaxSize) {
    return absl::ResourceExhaustedError(
        absl::StrCat("IndexedHeap::Push: the heap is full (", kMaxSize, " keys)"));
  }
  if ((Size() + 1) * 8 > table_.size() * 5) GrowTable();
  bool found = false;
  const size_t slot = ProbeSlot(key_id, found);
  LLMDS_DCHECK(!found);
  if (next_seq_ >= seq_limit_) RenumberSeqs();
  const size_t position = Size();
  table_[slot] = Slot{key_id, static_cast<uint32_t>(position)};
  heap_.push_back(Entry{ToRank(score), next_seq_++, static_cast<uint32_t>(slot)});
  SiftUp(position, heap_.back());
  return absl::OkStatus();
}

absl::StatusOr<std::pair<double, int64_t>> IndexedHeap::Pop() {
  if (IsEmpty()) {
    return absl::FailedPreconditionError("IndexedHeap::Pop: the heap is empty");
  }
  const Entry top = At(0);
  const int64_t key_id = table_[top.slot].key_id;
  RemoveAt(0);
  return std::make_pair(ToScore(top.rank), key_id);
}

absl::Status IndexedHeap::ChangeScore(int64_t key_id, double new_score, int direction) {
  static constexpr const char* kNames[] = {"DecreaseKey", "Update", "IncreaseKey"};
  const char* name = kNames[direction + 1];
  if (std::isnan(new_score)) {
    return absl::InvalidArgumentError(
        absl::StrCat("IndexedHeap::", name, ": new score is NaN for key_id ", key_id));
  }
  const size_t slot = FindSlot(key_id);
  if (slot == kNotFound) {
    return absl::NotFoundError(
        absl::StrCat("IndexedHeap::", name, ": key_id ", key_id, " is not in the heap"));
  }
  const size_t position = table_[slot].position;
  Entry entry = At(position);
  const double old_score = ToScore(entry.rank);
  if (direction < 0 && new_score > old_score) {
    return absl::InvalidArgumentError(absl::StrCat(
        "IndexedHeap::DecreaseKey: new score ", new_score, " for key_id ", key_id,
        " is greater than its current score ", old_score, " (use IncreaseKey or Update)"));
  }
  if (direction > 0 && new_score < old_score) {
    return absl::InvalidArgumentError(absl::StrCat(
        "IndexedHeap::IncreaseKey: new score ", new_score, " for key_id ", key_id,
        " is less than its current score ", old_score, " (use DecreaseKey or Update)"));
  }
  const double new_rank = ToRank(new_score);
  const bool moves_up = new_rank < entry.rank;
  entry.rank = new_rank;
  if (moves_up) {
    SiftUp(position, entry);
  } else {
    SiftDown(position, entry);
  }
  return absl::OkStatus();
}

absl::Status IndexedHeap::DecreaseKey(int64_t key_id, double new_score) {
  return ChangeScore(key_id, new_score, -1);
}

absl::Status IndexedHeap::IncreaseKey(int64_t key_id, double new_score) {
  return ChangeScore(key_id, new_score, +1);
}

absl::Status IndexedHeap::Update(int64_t key_id, double new_score) {
  return ChangeScore(key_id, new_score, 0);
}

absl::StatusOr<std::pair<double, int64_t>> IndexedHeap::Delete(int64_t key_id) {
  const size_t slot = FindSlot(key_id);
  if (slot == kNotFound) {
    return absl::NotFoundError(
        absl::StrCat("IndexedHeap::Delete: key_id ", key_id, " is not in the heap"));
  }
  const size_t position = table_[slot].position;
  const double score = ToScore(At(position).rank);
  RemoveAt(position);
  return std::make_pair(score, key_id);
}

std::optional<double> IndexedHeap::GetScore(int64_t key_id) const {
  const size_t slot = FindSlot(key_id);
  if (slot == kNotFound) return std::nullopt;
  return ToScore(At(table_[slot].position).rank);
}

std::optional<std::pair<double, int64_t>> IndexedHeap::Peek() const {
  if (IsEmpty()) return std::nullopt;
  const Entry& top = At(0);
  return std::make_pair(ToScore(top.rank), table_[top.slot].key_id);
}

void IndexedHeap::Clear() {
  heap_.resize(kPadding);
  table_.clear();
  table_mask_ = 0;
  next_seq_ = 0;
}

void IndexedHeap::Reserve(size_t n) {
  heap_.reserve(n + kPadding);
  while (n * 8 > table_.size() * 5) GrowTable();
}

absl::Status IndexedHeap::CheckInvariants() const {
  auto fail = [](auto&&... parts) {
    return absl::InternalError(absl::StrCat("IndexedHeap invariant: ", parts...));
  };
  if (heap_.size() < kPadding) return fail("1: heap storage lost its padding");
  if (!table_.empty() && (table_.size() & (table_.size() - 1)) != 0) {
    return fail("1: table size ", table_.size(), " is not a power of two");
  }
  if (Size() * 8 > table_.size() * 5) {
    return fail("1: ", Size(), " keys overload a table of ", table_.size());
  }
  size_t occupied = 0;
  absl::flat_hash_set<int64_t> keys;
  for (size_t i = 0; i < table_.size(); ++i) {
    const Slot& slot = table_[i];
    if (slot.position == kEmpty) continue;
    ++occupied;
    if (!keys.insert(slot.key_id).second) return fail("5: key ", slot.key_id, " twice");
    if (slot.position >= Size() || At(slot.position).slot != i) {
      return fail("2: slot ", i, " (key ", slot.key_id, ") points to position ", slot.position,
                  " which does not point back");
    }
    for (size_t j = HomeSlot(slot.key_id); j != i; j = (j + 1) & table_mask_) {
      if (table_[j].position == kEmpty) {
        return fail("5: key ", slot.key_id, " is unreachable past empty slot ", j);
      }
    }
  }
  if (occupied != Size()) return fail("1: ", occupied, " slots in use for ", Size(), " keys");
  absl::flat_hash_set<uint32_t> seqs;
  seqs.reserve(Size());
  for (size_t p = 0; p < Size(); ++p) {
    const Entry& e = At(p);
    if (e.slot >= table_.size() || table_[e.slot].position != p) {
      return fail("2: entry at ", p, " points to slot ", e.slot, " which does not point back");
    }
    if (p > 0 && Before(e, At((p - 1) / kArity))) {
      return fail("3: entry at ", p, " comes before its parent");
    }
    if (std::isnan(e.rank)) return fail("4: NaN rank at ", p);
    if (e.seq >= next_seq_) return fail("4: seq ", e.seq, " >= next_seq ", next_seq_);
    if (!seqs.insert(e.seq).second) return fail("4: duplicate seq ", e.seq);
  }
  if (reinterpret_cast<uintptr_t>(heap_.data()) % scheduling_internal::kCacheLineSize != 0) {
    return fail("6: heap storage is not cache-line aligned");
  }
  return absl::OkStatus();
}

}  // namespace llmds
