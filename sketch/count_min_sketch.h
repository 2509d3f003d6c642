// Copyright 2026 The llmds Authors.
//
// CountMinSketch: a fixed-size frequency summary of a stream of byte strings (queries, prompt
// prefixes, document ids). It answers "how often has this item been seen?" with an estimate that
// is never below the true count and, with probability at least 1 - delta, at most
// epsilon * TotalCount() above it, where epsilon = e / width and delta = e^-depth.
//
// Use it to detect hot queries cheaply in a retrieval or serving pipeline. It cannot list which
// items are hot (it stores no keys); pair it with `HotItemTracker` (sketch/hot_items.h) for that.
//
//   LLMDS_ASSIGN_OR_RETURN(llmds::CountMinSketch sketch,
//                          llmds::CountMinSketch::FromErrorBounds(/*epsilon=*/0.001,
//                                                                 /*delta=*/0.01));
//   sketch.Add("what is attention");
//   if (sketch.IsHot(query, /*threshold=*/100)) PrimeCache(query);
//   std::string bytes = sketch.Serialize();  // ship to another process, then Merge there
//
// Cost: width * depth 64-bit counters (default 2048 x 4 = 64 KiB). Add and Estimate hash the item
// once (XXH3-64, keyed by `seed`) and touch one counter per row: O(|item| + depth).
//
// Hashing: the item's XXH3-64 digest (seeded with `options.seed`) is hashed once per row by
// multiply-shift with a per-row odd multiplier derived from `options.seed` (SplitMix64): a
// universal family with independent rows, and the cost of hashing a long item does not grow with
// the depth. Sketches built with different seeds are incomparable.
//
// Update rules:
//  * Plain (`conservative_update = false`): every row's counter for the item grows by `count`.
//    Counters are then linear in the stream: sketch(A ++ B) == Merge(sketch(A), sketch(B)).
//  * Conservative (default): the item's counters are raised only as far as needed, to
//    max(counter, min_over_rows + count). Estimates stay upper bounds, are never above the plain
//    sketch's on the same stream, and are usually much tighter on skewed streams. Not linear:
//    merging two conservative sketches adds counters, which still gives an upper bound on every
//    item of the combined stream, but not the conservative sketch of the concatenated stream.
//
// Counters and the total saturate at UINT64_MAX instead of wrapping, so an estimate is never
// below the true count (once saturated, an estimate reads UINT64_MAX).
//
// Serialize() writes a versioned, checksummed, little-endian format (magic, version, options,
// total, counters, XXH64 checksum). Deserialize() rejects any corrupted, truncated or extended
// input with an error; it never crashes and never allocates more than the input's size implies.

#ifndef LLMDS_SKETCH_COUNT_MIN_SKETCH_H_
#define LLMDS_SKETCH_COUNT_MIN_SKETCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "llmds/sketch/internal/count_min_rows.h"

namespace llmds {

struct CountMinSketchOptions {
  // Counters per row; epsilon = e / width. Must be in [1, kMaxWidth]. Default: 2048.
  int32_t width = 2048;
  // Number of rows; delta = e^-depth. Must be in [1, kMaxDepth]. Default: 4.
  int32_t depth = 4;
  // Conservative update (see the file comment). Default: true.
  bool conservative_update = true;
  // Seed of the hash functions. Sketches merge only with sketches of the same seed. Default: 0.
  uint64_t seed = 0;
};

// A Count-Min Sketch over byte strings.
//
// Invariants (checked by CheckInvariants()):
//  1. counters_.size() == width * depth, and 1 <= width, depth within the documented limits.
//  2. Every counter is <= total_ (both saturate at UINT64_MAX).
//  3. Plain update: the saturating sum of every row equals total_.
//     Conservative update: the saturating sum of every row is <= total_.
//  4. row_seeds_ are the seeds derived from options_.seed.
//
// `CountMinSketch` is thread-compatible: const methods may run concurrently; anything else
// needs external synchronization. It is copyable and movable.
class CountMinSketch {
 public:
  static constexpr int32_t kMaxDepth = 64;
  static constexpr int32_t kMaxWidth = int32_t{1} << 27;
  // Upper limit on width * depth (1 GiB of counters).
  static constexpr int64_t kMaxCounters = int64_t{1} << 27;
  // The format version Serialize() writes and Deserialize() accepts.
  static constexpr uint16_t kSerialVersion = 1;

  // Returns an empty sketch with `options`.
  //
  // Errors: InvalidArgument if width or depth is out of range, or width * depth > kMaxCounters.
  static absl::StatusOr<CountMinSketch> Create(const CountMinSketchOptions& options);

  // Returns an empty sketch sized so that an estimate exceeds the true count by more than
  // `epsilon` * TotalCount() with probability at most `delta`: width = ceil(e / epsilon),
  // depth = ceil(ln(1 / delta)). Conservative update on, seed 0 (the overload takes both from
  // `base`, whose width and depth are ignored).
  //
  // Errors: InvalidArgument if epsilon is not in (0, 1], delta is not in (0, 1), or the implied
  // size exceeds the limits of Create().
  static absl::StatusOr<CountMinSketch> FromErrorBounds(double epsilon, double delta);
  static absl::StatusOr<CountMinSketch> FromErrorBounds(double epsilon, double delta,
                                                        const CountMinSketchOptions& base);

  // Counts `count` more occurrences of `item` (saturating). `count` == 0 is a no-op.
  // Inline: at the default depth the whole update compiles into the caller.
  void Add(std::string_view item, uint64_t count = 1) {
    if (ABSL_PREDICT_TRUE(options_.depth == sketch_internal::kFastDepth)) {
      sketch_internal::AddRows(item, count, options_.seed, row_seeds_.data(),
                               static_cast<uint32_t>(options_.width),
                               std::integral_constant<int32_t, sketch_internal::kFastDepth>(),
                               options_.conservative_update, counters_.data());
      total_ = sketch_internal::SaturatingAdd(total_, count);
    } else {
      AddOtherDepth(item, count);
    }
  }

  // Counts one occurrence of every item of `items`, in order. Equivalent to calling Add() on each
  // (the counters end up identical, conservative update included) but faster: items are hashed
  // in groups and their counters prefetched before they are updated.
  void AddBatch(absl::Span<const std::string_view> items);

  // As above with a count per item.
  //
  // Errors: InvalidArgument if counts.size() != items.size(); the sketch is then unchanged.
  absl::Status AddBatch(absl::Span<const std::string_view> items,
                        absl::Span<const uint64_t> counts);

  // Returns the estimated count of `item`: never below its true count; above it by at most
  // GetErrorBound() with probability >= 1 - delta().
  // Inline like Add().
  uint64_t Estimate(std::string_view item) const {
    if (ABSL_PREDICT_TRUE(options_.depth == sketch_internal::kFastDepth)) {
      return sketch_internal::EstimateRows(
          item, options_.seed, row_seeds_.data(), static_cast<uint32_t>(options_.width),
          std::integral_constant<int32_t, sketch_internal::kFastDepth>(), counters_.data());
    }
    return EstimateOtherDepth(item);
  }

  // Returns Estimate(item) >= threshold.
  bool IsHot(std::string_view item, uint64_t threshold) const;

  // Returns epsilon() * TotalCount(): the overestimate bound that holds with probability
  // 1 - delta() per query.
  double GetErrorBound() const;

  // Returns the sum of all counts added (saturating at UINT64_MAX).
  uint64_t TotalCount() const { return total_; }

  // Adds `other`'s counts into this sketch (saturating). `other` may be this sketch.
  // For plain sketches the result equals the sketch of the concatenated streams exactly. For
  // conservative sketches the estimates stay >= the true counts of the combined stream (and <=
  // those of the merged plain sketches), but they are not those of the conservative sketch of
  // the concatenated stream: either may be the higher for a given item.
  //
  // Errors: InvalidArgument if width, depth, seed or update mode differ; the sketch is then
  // unchanged.
  absl::Status Merge(const CountMinSketch& other);

  // Returns the sketch in the versioned, checksummed wire format (see the file comment). The
  // output is deterministic: equal sketches serialize to equal bytes.
  std::string Serialize() const;

  // Parses the output of Serialize().
  //
  // Errors: DataLoss for a bad magic number, checksum, truncated or trailing bytes, or counters
  // inconsistent with the total; InvalidArgument for an unknown version, unknown flags or
  // out-of-range options.
  static absl::StatusOr<CountMinSketch> Deserialize(std::string_view bytes);

  // Resets every counter and the total to zero; keeps the options.
  void Clear();

  const CountMinSketchOptions& options() const { return options_; }
  int32_t width() const { return options_.width; }
  int32_t depth() const { return options_.depth; }
  bool conservative_update() const { return options_.conservative_update; }
  uint64_t seed() const { return options_.seed; }
  // e / width.
  double epsilon() const;
  // e^-depth.
  double delta() const;

  // Returns the counter at (`row`, `column`). REQUIRES: 0 <= row < depth, 0 <= column < width.
  uint64_t counter(int32_t row, int32_t column) const;

  // Returns the bytes this object owns (counters, seeds and the object itself).
  size_t MemoryUsage() const;

  // Returns OK if invariants 1-4 hold, else Internal naming the first broken one. O(width*depth).
  absl::Status CheckInvariants() const;

 private:
  explicit CountMinSketch(const CountMinSketchOptions& options);

  // Add() and Estimate() at depths other than kFastDepth.
  void AddOtherDepth(std::string_view item, uint64_t count);
  uint64_t EstimateOtherDepth(std::string_view item) const;
  // Adds one occurrence of items[i] (counts == nullptr) or counts[i] of it, for every i.
  void AddBatchImpl(absl::Span<const std::string_view> items, const uint64_t* counts);
  // AddBatchImpl() at a given depth (an int32_t or a std::integral_constant); returns the new
  // total.
  template <typename Depth>
  uint64_t AddBatchRows(absl::Span<const std::string_view> items, const uint64_t* counts,
                        Depth depth);

  CountMinSketchOptions options_;
  uint64_t total_ = 0;
  // One odd multiplier per row, derived from options_.seed.
  std::vector<uint64_t> row_seeds_;
  // depth rows of width counters, row-major.
  std::vector<uint64_t> counters_;
};

}  // namespace llmds

#endif  // LLMDS_SKETCH_COUNT_MIN_SKETCH_H_
