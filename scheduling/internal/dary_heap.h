// Copyright 2026 The llmds Authors.
//
// The step shared by every 4-ary heap in //scheduling: choosing which child of a node comes
// first. Four children of 16 bytes share one cache line, so a full group is a fixed-size
// tournament of three comparisons, and the next level's four lines are prefetched while it runs.

#ifndef LLMDS_SCHEDULING_INTERNAL_DARY_HEAP_H_
#define LLMDS_SCHEDULING_INTERNAL_DARY_HEAP_H_

#include <cstddef>

namespace llmds {
namespace scheduling_internal {

inline constexpr size_t kHeapArity = 4;

// Returns the position of the child that comes first under `before` among the children
// first_child .. first_child + 3 (those below `size`) of a 4-ary heap stored in `heap`.
// REQUIRES: first_child < size.
template <typename Entry, typename Before>
inline size_t FirstOfChildren(const Entry* heap, size_t size, size_t first_child,
                              Before before) {
  if (first_child + kHeapArity > size) {  // a partial group at the bottom
    size_t best = first_child;
    for (size_t child = first_child + 1; child < size; ++child) {
      if (before(heap[child], heap[best])) best = child;
    }
    return best;
  }
  const size_t grandchildren = first_child * kHeapArity + 1;
  if (grandchildren < size) {
    for (size_t g = 0; g < kHeapArity; ++g) __builtin_prefetch(heap + grandchildren + g * kHeapArity);
  }
  const size_t left = before(heap[first_child + 1], heap[first_child]) ? first_child + 1
                                                                       : first_child;
  const size_t right =
      before(heap[first_child + 3], heap[first_child + 2]) ? first_child + 3 : first_child + 2;
  return before(heap[right], heap[left]) ? right : left;
}

}  // namespace scheduling_internal
}  // namespace llmds

#endif  // LLMDS_SCHEDULING_INTERNAL_DARY_HEAP_H_
