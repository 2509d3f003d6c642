// Copyright 2026 The llmds Authors.
//
// IndexedHeap: a priority queue of (key_id, score) pairs that can find, re-score and remove any
// key by its id. It is the building block for schedulers (shortest-job-first queues, deadline
// queues) and for anything that needs a top element plus "change this one's priority".
//
//   llmds::IndexedHeap heap;                 // a min-heap: the smallest score is on top
//   LLMDS_RETURN_IF_ERROR(heap.Push(/*key_id=*/7, /*score=*/3.0));
//   LLMDS_RETURN_IF_ERROR(heap.Push(9, 1.0));
//   LLMDS_RETURN_IF_ERROR(heap.DecreaseKey(7, 0.5));   // 7 is now on top
//   LLMDS_ASSIGN_OR_RETURN(auto top, heap.Pop());      // top == {0.5, 7}
//
// Ordering. In a min-heap (the default) a smaller score comes first; in a max-heap a larger one
// does. Among equal scores keys come out in the order they were pushed, and a key keeps its
// place in that order when its score changes (DecreaseKey, IncreaseKey, Update), so the order of
// every operation sequence is fully deterministic. +0.0 and -0.0 count as equal; infinities are
// allowed; NaN is refused.
//
// Cost: Push, Pop, DecreaseKey, IncreaseKey, Update and Delete are O(log n) expected (a 4-ary
// heap: about log4 n levels, each level's four children next to one another in memory; plus one
// hash probe sequence); Peek, Size and IsEmpty are O(1); Contains and GetScore O(1) expected.
// Memory: 16 bytes per key in the heap plus 26-51 bytes per key in the index (load factor 5/16 to
// 5/8); the index keeps the size of the largest heap seen until Clear().
//
// Layout. The heap array holds 16-byte entries (score, 32-bit push sequence number, slot),
// cache-line aligned so that each node's four children share one 64-byte line. The key index is
// an open-addressing hash table whose slots store (key_id, heap position); each heap entry knows
// its slot. A lookup by key therefore costs one probe and lands on the position directly, and a
// sift updates the moved entries' positions through their slot indices without hashing.
//
// Errors: every mutating call validates its arguments first and, on error, leaves the heap
// exactly as it was.
//
// `IndexedHeap` is thread-compatible: const methods may run concurrently; anything else needs
// external synchronization.

#ifndef LLMDS_SCHEDULING_INDEXED_HEAP_H_
#define LLMDS_SCHEDULING_INDEXED_HEAP_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "llmds/scheduling/internal/cache_aligned_allocator.h"

namespace llmds {

class IndexedHeap {
 public:
  // Largest number of keys a heap can hold (handles are 32-bit).
  static constexpr size_t kMaxSize = (size_t{1} << 32) - 2;

  // Creates an empty min-heap, or a max-heap when `max_heap` is true.
  explicit IndexedHeap(bool max_heap = false);

  IndexedHeap(const IndexedHeap&) = default;
  IndexedHeap& operator=(const IndexedHeap&) = default;
  IndexedHeap(IndexedHeap&&) = default;
  IndexedHeap& operator=(IndexedHeap&&) = default;

  // Inserts `key_id` with `score`.
  //
  // Errors: AlreadyExists if `key_id` is in the heap; InvalidArgument if `score` is NaN;
  // ResourceExhausted if the heap already holds kMaxSize keys.
  absl::Status Push(int64_t key_id, double score);

  // Removes and returns the top entry as (score, key_id).
  //
  // Errors: FailedPrecondition if the heap is empty.
  absl::StatusOr<std::pair<double, int64_t>> Pop();

  // Lowers the score of `key_id` to `new_score` (equal is allowed and changes nothing). In a
  // min-heap the key moves toward the top; in a max-heap, toward the bottom.
  //
  // Errors: NotFound if `key_id` is absent; InvalidArgument if `new_score` is NaN or greater
  // than the current score.
  absl::Status DecreaseKey(int64_t key_id, double new_score);

  // Raises the score of `key_id` to `new_score` (equal is allowed and changes nothing). In a
  // max-heap the key moves toward the top; in a min-heap, toward the bottom.
  //
  // Errors: NotFound if `key_id` is absent; InvalidArgument if `new_score` is NaN or less than
  // the current score.
  absl::Status IncreaseKey(int64_t key_id, double new_score);

  // Sets the score of `key_id` to `new_score`, in either direction.
  //
  // Errors: NotFound if `key_id` is absent; InvalidArgument if `new_score` is NaN.
  absl::Status Update(int64_t key_id, double new_score);

  // Removes `key_id` and returns its (score, key_id).
  //
  // Errors: NotFound if `key_id` is absent.
  absl::StatusOr<std::pair<double, int64_t>> Delete(int64_t key_id);

  // Returns the score of `key_id`, or nullopt if it is absent.
  std::optional<double> GetScore(int64_t key_id) const;

  // Returns the top entry as (score, key_id) without removing it, or nullopt if empty.
  std::optional<std::pair<double, int64_t>> Peek() const;

  size_t Size() const { return heap_.size() - kPadding; }
  bool IsEmpty() const { return heap_.size() == kPadding; }
  bool Contains(int64_t key_id) const { return FindSlot(key_id) != kNotFound; }
  bool is_max_heap() const { return max_heap_; }

  // Removes every key. The push order restarts (ties are then broken by the new pushes' order).
  void Clear();

  // Pre-allocates room for `n` keys.
  void Reserve(size_t n);

  // Verifies every invariant listed below from scratch, in O(n). Returns Internal naming the
  // first violation. For tests.
  absl::Status CheckInvariants() const;

 private:
  static constexpr size_t kArity = 4;
  // heap_ starts with kPadding unused entries so that, with heap_ 64-byte aligned, the children
  // of every node (logical positions 4p+1 .. 4p+4, physical 4(p+1) .. 4(p+1)+3) fill exactly one
  // cache line.
  static constexpr size_t kPadding = kArity - 1;
  static constexpr uint32_t kEmpty = ~uint32_t{0};
  static constexpr size_t kNotFound = ~size_t{0};

  // One heap entry, 16 bytes. `rank` is the score for a min-heap and its negation for a
  // max-heap, so a single comparison rule (smaller rank, then smaller seq, comes first) serves
  // both modes.
  struct Entry {
    double rank;
    uint32_t seq;   // push sequence number: breaks ties in push order (renumbered on overflow)
    uint32_t slot;  // index of this key's slot in table_
  };
  static_assert(sizeof(Entry) * kArity == scheduling_internal::kCacheLineSize,
                "four children per cache line");

  // One slot of the key index: an open-addressing (linear probing) hash table whose slots hold
  // the key and its current heap position, so a key lookup lands directly on its position and
  // a sift updates positions without hashing. Slots move only on growth and on backward-shift
  // deletion, and both fix the `slot` field of the heap entry concerned.
  struct Slot {
    int64_t key_id;
    uint32_t position;  // logical heap position, or kEmpty
  };

  static bool Before(const Entry& a, const Entry& b) {
    return a.rank < b.rank || (a.rank == b.rank && a.seq < b.seq);
  }
  double ToRank(double score) const { return max_heap_ ? -score : score; }
  double ToScore(double rank) const { return max_heap_ ? -rank : rank; }

  // Logical position p lives at heap_[p + kPadding].
  Entry& At(size_t position) { return heap_[position + kPadding]; }
  const Entry& At(size_t position) const { return heap_[position + kPadding]; }

  // Key index.
  size_t HomeSlot(int64_t key_id) const;
  // Returns the slot holding `key_id`, or kNotFound.
  size_t FindSlot(int64_t key_id) const;
  // Returns the slot holding `key_id` if present (sets `found`), else the empty slot where it
  // would go. REQUIRES: table_ is not full.
  size_t ProbeSlot(int64_t key_id, bool& found) const;
  // Empties slot `slot`, shifting later slots of its probe run back (fixing their heap entries).
  void EraseSlot(size_t slot);
  // Doubles the table (or creates it) and reinserts every key.
  void GrowTable();

  // Places `entry` at `position` after moving it up (SiftUp) or down (SiftDown) past every
  // entry that must come after (before) it, updating the positions of the entries moved.
  void SiftUp(size_t position, Entry entry);
  void SiftDown(size_t position, Entry entry);
  // Removes the entry at `position` and empties its slot.
  void RemoveAt(size_t position);
  absl::Status ChangeScore(int64_t key_id, double new_score, int direction);
  // Renumbers the seqs of the live entries 0..n-1 in their current order (which leaves the heap
  // order unchanged); called when the 32-bit counter runs out.
  void RenumberSeqs();

  // Invariants (checked by CheckInvariants()):
  //  1. heap_.size() - kPadding == Size() == the number of non-empty slots; table_.size() is 0
  //     or a power of two, and Size() * 8 <= table_.size() * 5 (load at most 5/8).
  //  2. For every position p: table_[At(p).slot].position == p; every non-empty slot's
  //     position points to an entry whose slot is that slot (a bijection).
  //  3. Heap order: no entry comes Before() its parent (parent of p is (p - 1) / kArity).
  //  4. Every rank is a number (not NaN); every seq is < next_seq_ and they are distinct.
  //  5. Linear probing: no empty slot lies between a key's home slot and its slot; keys are
  //     distinct.
  //  6. heap_.data() is 64-byte aligned.
  bool max_heap_;
  uint32_t next_seq_ = 0;
  uint32_t seq_limit_ = ~uint32_t{0};  // lowered by tests to exercise RenumberSeqs()
  std::vector<Entry, scheduling_internal::CacheAlignedAllocator<Entry>> heap_;
  std::vector<Slot> table_;
  size_t table_mask_ = 0;

  friend class IndexedHeapTestPeer;
};

}  // namespace llmds

#endif  // LLMDS_SCHEDULING_INDEXED_HEAP_H_
