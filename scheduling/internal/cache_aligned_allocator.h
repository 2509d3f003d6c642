// Copyright 2026 The llmds Authors.
//
// CacheAlignedAllocator: a std::allocator replacement whose blocks start on a 64-byte cache-line
// boundary, so that a container can lay out groups of elements one group per cache line (the
// d-ary heap in IndexedHeap keeps each node's four children in one line).

#ifndef LLMDS_SCHEDULING_INTERNAL_CACHE_ALIGNED_ALLOCATOR_H_
#define LLMDS_SCHEDULING_INTERNAL_CACHE_ALIGNED_ALLOCATOR_H_

#include <cstddef>
#include <new>

namespace llmds {
namespace scheduling_internal {

inline constexpr size_t kCacheLineSize = 64;

template <typename T>
class CacheAlignedAllocator {
 public:
  using value_type = T;

  CacheAlignedAllocator() noexcept = default;
  template <typename U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kCacheLineSize}));
  }
  void deallocate(T* p, size_t) noexcept {
    ::operator delete(p, std::align_val_t{kCacheLineSize});
  }

  template <typename U>
  bool operator==(const CacheAlignedAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const CacheAlignedAllocator<U>&) const noexcept {
    return false;
  }
};

}  // namespace scheduling_internal
}  // namespace llmds

#endif  // LLMDS_SCHEDULING_INTERNAL_CACHE_ALIGNED_ALLOCATOR_H_
