// Copyright 2026 The llmds Authors.
//
// HotItemTracker: lists the currently hottest items of a stream (top-k queries, prompt
// prefixes, documents) with a lower and an upper bound on each one's count, in O(capacity)
// memory. A CountMinSketch answers "how hot is this item?"; the tracker answers "which items are
// hot?", so a serving pipeline can prime its cache with them.
//
//   llmds::HotItemTrackerOptions options;
//   options.capacity = 256;
//   options.half_life = absl::Minutes(10);  // optional: recent traffic counts more
//   LLMDS_ASSIGN_OR_RETURN(llmds::HotItemTracker tracker, llmds::HotItemTracker::Create(options));
//   for (std::string_view query : queries) tracker.Add(query);
//   for (const llmds::HotItem& hot : tracker.TopK(32)) PrimeCache(hot.item);
//
// Algorithm: Space-Saving (Metwally, Agrawal, El Abbadi 2005) over weighted updates, with the
// monitored items in an indexed min-heap. With capacity m and total count N:
//  * every item whose true count exceeds MinCount() <= N / m is monitored (so listed by TopK(m)
//    and by ItemsAbove(t) for any t > MinCount());
//  * for a monitored item, lower_bound <= true count <= upper_bound, and
//    upper_bound - lower_bound <= MinCount();
//  * an unmonitored item's true count is <= MinCount().
// Cost: Add is O(|item| + log m) (one hash lookup, one heap sift); memory is O(m) items.
//
// Optional exponential time decay (`half_life` finite): an occurrence at time t weighs
// 2^-((now - t) / half_life) at time `now`, so the counts (and bounds, and N above) are decayed
// counts and all guarantees hold for them. Implemented as forward decay: an arrival is weighed
// up by 2^((t - landmark) / half_life) and queries scale down by the same factor at `now`, so
// no per-item work is needed as time passes; the landmark moves forward (rescaling every entry)
// when the factor grows past 2^32. Time comes from the injected `Clock`; a clock that moves
// backwards is treated as not having moved.
//
// Counts are doubles: without decay they are exact for totals up to 2^53.

#ifndef LLMDS_SKETCH_HOT_ITEMS_H_
#define LLMDS_SKETCH_HOT_ITEMS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "llmds/utils/clock.h"

namespace llmds {

struct HotItemTrackerOptions {
  // Number of monitored items m; every item with (decayed) count above total / m is tracked.
  // Must be in [1, HotItemTracker::kMaxCapacity]. Default: 128.
  int32_t capacity = 128;
  // Half-life of the exponential decay; absl::InfiniteDuration() disables decay. Must be > 0.
  // Default: no decay.
  absl::Duration half_life = absl::InfiniteDuration();
  // Time source for the decay; not owned, must outlive the tracker. Read only when `half_life`
  // is finite. Default (nullptr): Clock::Real().
  Clock* clock = nullptr;
};

// One monitored item with bounds on its (decayed) count: lower_bound <= true <= upper_bound.
struct HotItem {
  std::string item;
  double lower_bound = 0;
  double upper_bound = 0;  // also the Space-Saving estimate
};

// Bounds on one item's (decayed) count.
struct HotItemBounds {
  double lower_bound = 0;
  double upper_bound = 0;
  bool monitored = false;  // whether the item is currently one of the tracked ones
};

// Space-Saving top-k tracker with optional exponential decay (see the file comment).
//
// Invariants (checked by CheckInvariants()):
//  1. slots_.size() == heap_.size() == index_.size() <= capacity, and index_ maps each slot's
//     item to that slot.
//  2. heap_ is a min-heap on slot count and slots_[heap_[i]].heap_position == i.
//  3. For every slot, 0 <= error <= count, and error <= the minimum count.
//  4. The counts sum to total_ (up to floating-point rounding; exactly without decay).
//  5. landmark_ <= last_time_.
//
// `HotItemTracker` is thread-compatible: const methods may run concurrently; anything else needs
// external synchronization. Copyable and movable.
class HotItemTracker {
 public:
  static constexpr int32_t kMaxCapacity = int32_t{1} << 24;

  // Returns an empty tracker.
  //
  // Errors: InvalidArgument if capacity is outside [1, kMaxCapacity] or half_life <= 0.
  static absl::StatusOr<HotItemTracker> Create(const HotItemTrackerOptions& options);

  // Counts `count` more occurrences of `item` at the clock's current time. 0 is a no-op.
  void Add(std::string_view item, uint64_t count = 1);

  // Returns up to `k` monitored items with the highest upper bounds, highest first (ties: higher
  // lower bound first, then by item). TopK(capacity()) lists every monitored item.
  std::vector<HotItem> TopK(size_t k) const;

  // Returns every monitored item whose upper bound is >= `threshold`, highest first. Complete
  // (contains every item whose true count is >= threshold) whenever threshold > MinCount().
  std::vector<HotItem> ItemsAbove(double threshold) const;

  // Returns bounds on `item`'s count. An unmonitored item has bounds [0, MinCount()].
  HotItemBounds Bounds(std::string_view item) const;

  // Returns the smallest monitored count when the tracker is full, else 0: the largest count an
  // unmonitored item can have, and the widest any monitored item's bounds can be.
  double MinCount() const;

  // Returns the (decayed) sum of all counts added.
  double TotalCount() const;

  // Returns the number of monitored items (<= capacity()).
  size_t size() const { return heap_.size(); }
  int32_t capacity() const { return options_.capacity; }
  const HotItemTrackerOptions& options() const { return options_; }

  // Forgets every item; keeps the options.
  void Clear();

  // Returns an estimate of the bytes this object owns (slots, heap, index, item strings).
  size_t MemoryUsage() const;

  // Returns OK if invariants 1-5 hold, else Internal naming the first broken one. O(m).
  absl::Status CheckInvariants() const;

 private:
  struct Slot {
    std::string item;
    double count = 0;  // upper bound, in landmark scale
    double error = 0;  // count - error is the lower bound
    uint32_t heap_position = 0;
  };

  explicit HotItemTracker(const HotItemTrackerOptions& options);

  bool decays() const { return options_.half_life != absl::InfiniteDuration(); }
  // Returns the latest time seen (clock readings never move it backwards); no decay: epoch.
  absl::Time Now() const;
  // Returns 2^(-(now - landmark_) / half_life): landmark-scale values times this are decayed
  // values at `now`. 1 without decay.
  double QueryFactor(absl::Time now) const;
  // Moves time to `now` and returns the weight of one arrival at it in landmark scale,
  // renormalizing first if that weight would exceed 2^32.
  double ArrivalWeight(absl::Time now);
  HotItem MakeHotItem(const Slot& slot, double factor) const;
  // Returns the k hottest of the slots `ids`, hottest first, as HotItems at the current time.
  std::vector<HotItem> Sorted(std::vector<uint32_t> ids, size_t k) const;

  void SiftUp(uint32_t position);
  void SiftDown(uint32_t position);
  void SwapHeap(uint32_t a, uint32_t b);

  HotItemTrackerOptions options_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> heap_;  // slot ids; min-heap on count
  absl::flat_hash_map<std::string, uint32_t> index_;
  double total_ = 0;  // landmark scale
  absl::Time landmark_ = absl::UnixEpoch();
  absl::Time last_time_ = absl::UnixEpoch();
};

}  // namespace llmds

#endif  // LLMDS_SKETCH_HOT_ITEMS_H_
