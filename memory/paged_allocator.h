// Copyright 2026 The llmds Authors.
//
// PagedAllocator: hands out fixed-size page ids in [0, max_pages) for a paged KV cache or any
// other pool of equally sized buffers. It tracks ids only; the owner keeps the page memory and
// indexes it by id.
//
//   LLMDS_ASSIGN_OR_RETURN(llmds::PagedAllocator alloc,
//                          llmds::PagedAllocator::Create(/*page_size=*/16, /*max_pages=*/4096));
//   LLMDS_ASSIGN_OR_RETURN(std::vector<int32_t> pages, alloc.Alloc(3));
//   ...
//   LLMDS_RETURN_IF_ERROR(alloc.Free(pages));
//   LLMDS_ASSIGN_OR_RETURN(int32_t page, alloc.AllocOne());   // single-page fast path
//   LLMDS_RETURN_IF_ERROR(alloc.FreeOne(page));
//   for (const llmds::PageMove& m : alloc.Defragment()) MovePageData(m.from, m.to);
//
// Cost: Alloc and Free are O(1) per page (an intrusive free list threaded through the page
// metadata; never-used ids come from a high-water mark). Defragment is O(high-water mark).
// AllocOne/FreeOne (inline, no heap allocation, no error text built on success) and the
// appending Alloc(n, out) overload are the allocation-free paths for hot loops.
// Memory: metadata is one int32 per page, reserved in slabs of kSlabPages as ids are first
// handed out, so it grows with the pages actually used, not with max_pages.
//
// Ids: freed ids are reused last-in first-out (warm pages first); fresh ids are handed out in
// increasing order.

#ifndef LLMDS_MEMORY_PAGED_ALLOCATOR_H_
#define LLMDS_MEMORY_PAGED_ALLOCATOR_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace llmds {

struct PageStats {
  int32_t page_size = 0;             // as given to Create
  int32_t total_pages = 0;           // max_pages
  int32_t allocated_pages = 0;       // currently handed out
  int32_t free_pages = 0;            // total_pages - allocated_pages
  int32_t peak_allocated_pages = 0;  // maximum of allocated_pages over the allocator's life
};

// One relocation computed by `Defragment()`: the data of page `from` must move to page `to`.
struct PageMove {
  int32_t from = 0;
  int32_t to = 0;
};

// `PagedAllocator` is thread-compatible: const methods may run concurrently; anything else
// needs external synchronization. It is movable, not copyable.
class PagedAllocator {
 public:
  // Metadata slab granularity, in pages.
  static constexpr int32_t kSlabPages = 1024;

  // Returns an allocator of `max_pages` pages of `page_size` units each (the unit is the
  // owner's: bytes, tokens). InvalidArgument unless page_size > 0 and max_pages > 0.
  static absl::StatusOr<PagedAllocator> Create(int32_t page_size, int32_t max_pages);

  PagedAllocator(PagedAllocator&&) noexcept = default;
  PagedAllocator& operator=(PagedAllocator&&) noexcept = default;
  PagedAllocator(const PagedAllocator&) = delete;
  PagedAllocator& operator=(const PagedAllocator&) = delete;

  // Allocates `num_pages` distinct pages and returns their ids. All or nothing:
  // InvalidArgument if num_pages < 0; ResourceExhausted (and no change) if fewer than num_pages
  // are free. Alloc(0) returns an empty vector.
  absl::StatusOr<std::vector<int32_t>> Alloc(int32_t num_pages);

  // As Alloc(num_pages), but appends the ids to `*out` (existing elements are kept), so a
  // caller that reuses `out` allocates nothing. Same errors; on error `*out` is unchanged.
  // REQUIRES: out != nullptr.
  absl::Status Alloc(int32_t num_pages, std::vector<int32_t>* out);

  // Allocates one page and returns its id: Alloc(1) without building a vector.
  // ResourceExhausted (and no change) if no page is free.
  absl::StatusOr<int32_t> AllocOne() {
    if (free_head_ != kEndOfList) {
      const int32_t page = free_head_;
      int32_t& state = State(page);
      free_head_ = state;
      state = kAllocated;
      NoteAllocated(1);
      return page;
    }
    if (high_water_ < max_pages_ && high_water_ < SlabCapacity()) {
      const int32_t page = high_water_++;
      State(page) = kAllocated;
      NoteAllocated(1);
      return page;
    }
    return AllocOneSlow();
  }

  // Frees every id in `page_ids`. All or nothing: InvalidArgument (and no change) if an id is
  // outside [0, max_pages) or repeated in the list, FailedPrecondition if an id is not
  // currently allocated (never allocated, or already freed).
  absl::Status Free(absl::Span<const int32_t> page_ids);

  // Frees one page: Free({page_id}). InvalidArgument if page_id is outside [0, max_pages),
  // FailedPrecondition if it is not currently allocated; no change on error.
  absl::Status FreeOne(int32_t page_id) {
    if (ABSL_PREDICT_FALSE(page_id < 0 || page_id >= high_water_ ||
                           State(page_id) != kAllocated)) {
      return FreeOneError(page_id);
    }
    State(page_id) = free_head_;
    free_head_ = page_id;
    --allocated_;
    return absl::OkStatus();
  }

  // Returns true if `page_id` is currently allocated.
  bool IsAllocated(int32_t page_id) const;

  PageStats Stats() const;

  // Renumbers allocated pages so that afterwards the allocated ids are exactly
  // [0, allocated_pages). Returns the moves the owner of the page data must apply, in any order:
  // every `to` is a previously free id below allocated_pages and every `from` a previously
  // allocated id at or above it, so no move overwrites the source of another. Also releases
  // the free list, so later Allocs hand out ids from allocated_pages upwards. O(high water).
  std::vector<PageMove> Defragment();

  // Recomputes allocated/free counts from the metadata and checks the free list (no cycle, no
  // repeats, only free ids below the high-water mark). Returns Internal on a violation.
  absl::Status CheckInvariants() const;

 private:
  // Per-page state stored in the metadata slabs: a free page holds the id of the next free
  // page (or kEndOfList); allocated pages hold kAllocated.
  static constexpr int32_t kEndOfList = -1;
  static constexpr int32_t kAllocated = -2;
  static constexpr int32_t kMarked = -3;  // transient, inside Free's validation pass

  static constexpr int kSlabShift = 10;
  static_assert(kSlabPages == (1 << kSlabShift), "kSlabPages must be 2^kSlabShift");

  PagedAllocator(int32_t page_size, int32_t max_pages);

  // REQUIRES: 0 <= page < SlabCapacity().
  int32_t& State(int32_t page) {
    const uint32_t p = static_cast<uint32_t>(page);
    return slabs_[p >> kSlabShift][p & (kSlabPages - 1)];
  }
  int32_t State(int32_t page) const {
    const uint32_t p = static_cast<uint32_t>(page);
    return slabs_[p >> kSlabShift][p & (kSlabPages - 1)];
  }
  // Ids with metadata reserved.
  int32_t SlabCapacity() const { return static_cast<int32_t>(slabs_.size()) * kSlabPages; }
  void NoteAllocated(int32_t n) {
    allocated_ += n;
    if (allocated_ > peak_allocated_) peak_allocated_ = allocated_;
  }
  // AllocOne when the free list is empty and the next fresh id needs a new slab, or no page
  // is free.
  absl::StatusOr<int32_t> AllocOneSlow();
  absl::Status FreeOneError(int32_t page_id) const;

  // Invariants:
  //  1. Ids in [0, high_water_) have metadata; ids >= high_water_ were never handed out (since
  //     the last Defragment) and are free.
  //  2. The free list starting at free_head_ holds exactly the free ids below high_water_.
  //  3. allocated_ == number of ids below high_water_ whose state is kAllocated.
  //  4. allocated_ <= peak_allocated_ <= max_pages_.
  int32_t page_size_;
  int32_t max_pages_;
  int32_t high_water_ = 0;
  int32_t free_head_ = kEndOfList;
  int32_t allocated_ = 0;
  int32_t peak_allocated_ = 0;
  std::vector<std::unique_ptr<int32_t[]>> slabs_;
};

}  // namespace llmds

#endif  // LLMDS_MEMORY_PAGED_ALLOCATOR_H_
