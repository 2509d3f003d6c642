// Copyright 2026 The llmds Authors.

#include "llmds/memory/paged_allocator.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace llmds {

absl::StatusOr<PagedAllocator> PagedAllocator::Create(int32_t page_size, int32_t max_pages) {
  if (page_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("PagedAllocator: page_size must be > 0, got ", page_size));
  }
  if (max_pages <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("PagedAllocator: max_pages must be > 0, got ", max_pages));
  }
  return PagedAllocator(page_size, max_pages);
}

PagedAllocator::PagedAllocator(int32_t page_size, int32_t max_pages)
    : page_size_(page_size), max_pages_(max_pages) {}

absl::StatusOr<std::vector<int32_t>> PagedAllocator::Alloc(int32_t num_pages) {
  std::vector<int32_t> pages;
  absl::Status status = Alloc(num_pages, &pages);
  if (!status.ok()) return status;
  return pages;
}

absl::Status PagedAllocator::Alloc(int32_t num_pages, std::vector<int32_t>* out) {
  if (num_pages < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("PagedAllocator::Alloc: num_pages must be >= 0, got ", num_pages));
  }
  const int32_t free_pages = max_pages_ - allocated_;
  if (num_pages > free_pages) {
    return absl::ResourceExhaustedError(absl::StrCat("PagedAllocator::Alloc: asked for ",
                                                     num_pages, " pages, only ", free_pages,
                                                     " of ", max_pages_, " are free"));
  }
  // Reserve first: the only step that may throw (bad_alloc) comes before any change.
  out->reserve(out->size() + static_cast<size_t>(num_pages));
  for (int32_t i = 0; i < num_pages; ++i) {
    int32_t page;
    if (free_head_ != kEndOfList) {
      page = free_head_;
      free_head_ = State(page);
    } else {
      page = high_water_++;
      if (page >= SlabCapacity()) {
        slabs_.push_back(std::make_unique<int32_t[]>(kSlabPages));
      }
    }
    State(page) = kAllocated;
    out->push_back(page);
  }
  NoteAllocated(num_pages);
  return absl::OkStatus();
}

absl::StatusOr<int32_t> PagedAllocator::AllocOneSlow() {
  if (allocated_ >= max_pages_) {
    return absl::ResourceExhaustedError(absl::StrCat("PagedAllocator::AllocOne: all ",
                                                     max_pages_, " pages are allocated"));
  }
  // The free list is empty (AllocOne checked it), so the next id is a fresh one.
  if (high_water_ >= SlabCapacity()) slabs_.push_back(std::make_unique<int32_t[]>(kSlabPages));
  const int32_t page = high_water_++;
  State(page) = kAllocated;
  NoteAllocated(1);
  return page;
}

absl::Status PagedAllocator::FreeOneError(int32_t page_id) const {
  if (page_id < 0 || page_id >= max_pages_) {
    return absl::InvalidArgumentError(absl::StrCat("PagedAllocator::FreeOne: page id ", page_id,
                                                   " is outside [0, ", max_pages_, ")"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("PagedAllocator::FreeOne: page id ", page_id,
                   " is not allocated (never allocated or already freed)"));
}

absl::Status PagedAllocator::Free(absl::Span<const int32_t> page_ids) {
  // Validation pass: mark each id so a repeat is seen in O(1); undo the marks on error.
  absl::Status error;
  size_t marked = 0;
  for (; marked < page_ids.size(); ++marked) {
    const int32_t page = page_ids[marked];
    if (page < 0 || page >= max_pages_) {
      error = absl::InvalidArgumentError(absl::StrCat("PagedAllocator::Free: page id ", page,
                                                      " is outside [0, ", max_pages_, ")"));
      break;
    }
    if (page >= high_water_ || State(page) >= kEndOfList) {
      error = absl::FailedPreconditionError(
          absl::StrCat("PagedAllocator::Free: page id ", page,
                       " is not allocated (never allocated or already freed)"));
      break;
    }
    if (State(page) == kMarked) {
      error = absl::InvalidArgumentError(
          absl::StrCat("PagedAllocator::Free: page id ", page, " appears twice in the list"));
      break;
    }
    State(page) = kMarked;
  }
  if (!error.ok()) {
    for (size_t i = 0; i < marked; ++i) State(page_ids[i]) = kAllocated;
    return error;
  }
  for (const int32_t page : page_ids) {
    State(page) = free_head_;
    free_head_ = page;
  }
  allocated_ -= static_cast<int32_t>(page_ids.size());
  return absl::OkStatus();
}

bool PagedAllocator::IsAllocated(int32_t page_id) const {
  return page_id >= 0 && page_id < high_water_ && State(page_id) == kAllocated;
}

PageStats PagedAllocator::Stats() const {
  PageStats stats;
  stats.page_size = page_size_;
  stats.total_pages = max_pages_;
  stats.allocated_pages = allocated_;
  stats.free_pages = max_pages_ - allocated_;
  stats.peak_allocated_pages = peak_allocated_;
  return stats;
}

std::vector<PageMove> PagedAllocator::Defragment() {
  std::vector<PageMove> moves;
  int32_t hole = 0;  // next free id below allocated_ to fill
  for (int32_t page = allocated_; page < high_water_; ++page) {
    if (State(page) != kAllocated) continue;
    while (State(hole) == kAllocated) ++hole;
    moves.push_back(PageMove{page, hole});
    State(hole) = kAllocated;
    ++hole;
  }
  // Everything below allocated_ is now allocated; everything above is free and forgotten.
  high_water_ = allocated_;
  free_head_ = kEndOfList;
  const size_t slabs_needed =
      static_cast<size_t>((high_water_ + kSlabPages - 1) / kSlabPages);
  if (slabs_.size() > slabs_needed) slabs_.resize(slabs_needed);
  return moves;
}

absl::Status PagedAllocator::CheckInvariants() const {
  if (high_water_ < 0 || high_water_ > max_pages_) {
    return absl::InternalError(absl::StrCat("high water ", high_water_, " out of range"));
  }
  int32_t allocated = 0;
  int32_t free_below = 0;
  for (int32_t page = 0; page < high_water_; ++page) {
    const int32_t s = State(page);
    if (s == kAllocated) {
      ++allocated;
    } else if (s >= kEndOfList) {
      ++free_below;
    } else {
      return absl::InternalError(absl::StrCat("page ", page, " has bad state ", s));
    }
  }
  if (allocated != allocated_) {
    return absl::InternalError(
        absl::StrCat("allocated count ", allocated_, " but metadata says ", allocated));
  }
  int32_t walked = 0;
  for (int32_t page = free_head_; page != kEndOfList; page = State(page)) {
    if (page < 0 || page >= high_water_ || State(page) < kEndOfList) {
      return absl::InternalError(absl::StrCat("free list holds bad page ", page));
    }
    if (++walked > free_below) return absl::InternalError("free list has a cycle or repeat");
  }
  if (walked != free_below) {
    return absl::InternalError(
        absl::StrCat("free list has ", walked, " pages, metadata has ", free_below));
  }
  if (peak_allocated_ < allocated_ || peak_allocated_ > max_pages_) {
    return absl::InternalError(absl::StrCat("peak ", peak_allocated_, " inconsistent"));
  }
  return absl::OkStatus();
}

}  // namespace llmds
