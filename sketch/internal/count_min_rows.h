// Copyright 2026 The llmds Authors.
//
// The per-item hot path of CountMinSketch (hashing an item to one counter per row, and updating
// or reading those counters), in a header so that CountMinSketch::Add() and Estimate() inline
// into their callers at the default depth. Not part of the public API.
//
// Thread safety: free functions over caller-owned memory; no state of their own.

#ifndef LLMDS_SKETCH_INTERNAL_COUNT_MIN_ROWS_H_
#define LLMDS_SKETCH_INTERNAL_COUNT_MIN_ROWS_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/base/attributes.h"

// Optimized builds inline XXH3 (same algorithm, same digests) so the per-item hash costs no call;
// unoptimized builds call the shared library instead of running it at -O0. xxhash.h supports
// inlined and linked copies side by side in one program (the inlined names are prefixed).
#if defined(__OPTIMIZE__) && !defined(XXH_INLINE_ALL)
#define XXH_INLINE_ALL
#define LLMDS_SKETCH_INTERNAL_DEFINED_XXH_INLINE_ALL
#endif
#include <xxhash.h>
#if defined(LLMDS_SKETCH_INTERNAL_DEFINED_XXH_INLINE_ALL)
#undef XXH_INLINE_ALL
#undef LLMDS_SKETCH_INTERNAL_DEFINED_XXH_INLINE_ALL
#endif

namespace llmds {
namespace sketch_internal {

inline constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

// The depth whose path is compiled with the depth as a constant and inlined (the default).
inline constexpr int32_t kFastDepth = 4;

ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  uint64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? kSaturated : sum;
}

// Maps a well-mixed 32-bit h to [0, n) without a division (Lemire's multiply-shift reduction).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint32_t Reduce(uint32_t h, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(h) * n) >> 32);
}

// Fills index[0..depth) with the absolute counter index of `item` in each row. Row r hashes the
// item's XXH3-64 digest (seeded with `seed`) by multiply-shift with its odd multiplier
// row_seeds[r], then reduces the 32-bit result to [0, width). `Depth` is an int32_t or a
// std::integral_constant (then the loop unrolls).
template <typename Depth>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void LocateRows(std::string_view item, uint64_t seed,
                                                    const uint64_t* row_seeds, uint32_t width,
                                                    Depth depth, uint32_t* index) {
  const uint64_t digest = XXH3_64bits_withSeed(item.data(), item.size(), seed);
  for (int32_t r = 0; r < depth; ++r) {
    const uint32_t h = static_cast<uint32_t>((row_seeds[r] * digest) >> 32);
    index[r] = static_cast<uint32_t>(r) * width + Reduce(h, width);
  }
}

// Adds `count` at the counters index[0..depth): to each (plain), or raising each to at least
// min + count (conservative). Saturating. `count` == 0 leaves every counter as it is.
template <typename Depth>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ApplyRows(uint64_t* counters, const uint32_t* index,
                                                   Depth depth, bool conservative,
                                                   uint64_t count) {
  if (conservative) {
    uint64_t value[64];
    uint64_t minimum = kSaturated;
    for (int32_t r = 0; r < depth; ++r) {
      value[r] = counters[index[r]];
      minimum = std::min(minimum, value[r]);
    }
    const uint64_t target = SaturatingAdd(minimum, count);
    for (int32_t r = 0; r < depth; ++r) counters[index[r]] = std::max(value[r], target);
  } else {
    for (int32_t r = 0; r < depth; ++r) {
      counters[index[r]] = SaturatingAdd(counters[index[r]], count);
    }
  }
}

// Hashes `item` and updates its counters (see ApplyRows).
template <typename Depth>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void AddRows(std::string_view item, uint64_t count,
                                                 uint64_t seed, const uint64_t* row_seeds,
                                                 uint32_t width, Depth depth, bool conservative,
                                                 uint64_t* counters) {
  uint32_t index[64];
  LocateRows(item, seed, row_seeds, width, depth, index);
  ApplyRows(counters, index, depth, conservative, count);
}

// Returns the minimum of `item`'s counters.
template <typename Depth>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t EstimateRows(std::string_view item, uint64_t seed,
                                                          const uint64_t* row_seeds,
                                                          uint32_t width, Depth depth,
                                                          const uint64_t* counters) {
  uint32_t index[64];
  LocateRows(item, seed, row_seeds, width, depth, index);
  uint64_t minimum = kSaturated;
  for (int32_t r = 0; r < depth; ++r) minimum = std::min(minimum, counters[index[r]]);
  return minimum;
}

}  // namespace sketch_internal
}  // namespace llmds

#endif  // LLMDS_SKETCH_INTERNAL_COUNT_MIN_ROWS_H_
