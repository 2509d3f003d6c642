// Copyright 2026 The llmds Authors.

#include "llmds/sketch/hot_items.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace llmds {
namespace {

// The landmark moves forward once an arrival would weigh more than 2^kMaxExponent.
constexpr double kMaxExponent = 32;

}  // namespace

HotItemTracker::HotItemTracker(const HotItemTrackerOptions& options) : options_(options) {
  if (options_.clock == nullptr) options_.clock = Clock::Real();
  slots_.reserve(static_cast<size_t>(std::min(options_.capacity, int32_t{1} << 16)));
  heap_.reserve(slots_.capacity());
  if (decays()) {
    landmark_ = options_.clock->Now();
    last_time_ = landmark_;
  }
}

absl::StatusOr<HotItemTracker> HotItemTracker::Create(const HotItemTrackerOptions& options) {
  if (options.capacity < 1 || options.capacity > kMaxCapacity) {
    return absl::InvalidArgumentError(absl::StrCat("HotItemTracker: capacity ", options.capacity,
                                                   " is outside [1, ", kMaxCapacity, "]"));
  }
  if (options.half_life <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HotItemTracker: half_life ", absl::FormatDuration(options.half_life),
        " must be positive (absl::InfiniteDuration() disables decay)"));
  }
  return HotItemTracker(options);
}

absl::Time HotItemTracker::Now() const {
  if (!decays()) return last_time_;
  return std::max(last_time_, options_.clock->Now());
}

double HotItemTracker::QueryFactor(absl::Time now) const {
  if (!decays()) return 1;
  return std::exp2(-absl::FDivDuration(now - landmark_, options_.half_life));
}

double HotItemTracker::ArrivalWeight(absl::Time now) {
  if (!decays()) return 1;
  last_time_ = now;
  double exponent = absl::FDivDuration(now - landmark_, options_.half_life);
  if (exponent > kMaxExponent) {
    // Rescale everything to a landmark at `now`. A uniform scale keeps the heap order.
    const double scale = std::exp2(-exponent);
    for (Slot& slot : slots_) {
      slot.count *= scale;
      slot.error = std::min(slot.error * scale, slot.count);
    }
    total_ *= scale;
    landmark_ = now;
    exponent = 0;
  }
  return std::exp2(exponent);
}

void HotItemTracker::Add(std::string_view item, uint64_t count) {
  if (count == 0) return;
  const double weight = static_cast<double>(count) * ArrivalWeight(Now());
  total_ += weight;
  auto it = index_.find(absl::string_view(item.data(), item.size()));
  if (it != index_.end()) {
    Slot& slot = slots_[it->second];
    slot.count += weight;
    SiftDown(slot.heap_position);
    return;
  }
  if (heap_.size() < static_cast<size_t>(options_.capacity)) {
    const uint32_t id = static_cast<uint32_t>(slots_.size());
    Slot slot;
    slot.item = std::string(item);
    slot.count = weight;
    slot.heap_position = static_cast<uint32_t>(heap_.size());
    slots_.push_back(std::move(slot));
    heap_.push_back(id);
    index_.emplace(slots_.back().item, id);
    SiftUp(slots_[id].heap_position);
    return;
  }
  // Full: the item takes over the slot with the smallest count, inheriting it as its error.
  const uint32_t id = heap_[0];
  Slot& slot = slots_[id];
  index_.erase(slot.item);
  slot.item.assign(item.data(), item.size());
  slot.error = slot.count;
  slot.count += weight;
  index_.emplace(slot.item, id);
  SiftDown(0);
}

void HotItemTracker::SwapHeap(uint32_t a, uint32_t b) {
  std::swap(heap_[a], heap_[b]);
  slots_[heap_[a]].heap_position = a;
  slots_[heap_[b]].heap_position = b;
}

void HotItemTracker::SiftUp(uint32_t position) {
  while (position > 0) {
    const uint32_t parent = (position - 1) / 2;
    if (slots_[heap_[parent]].count <= slots_[heap_[position]].count) break;
    SwapHeap(parent, position);
    position = parent;
  }
}

void HotItemTracker::SiftDown(uint32_t position) {
  const size_t n = heap_.size();
  while (true) {
    const size_t left = 2 * static_cast<size_t>(position) + 1;
    if (left >= n) break;
    size_t smallest = left;
    if (left + 1 < n && slots_[heap_[left + 1]].count < slots_[heap_[left]].count) {
      smallest = left + 1;
    }
    if (slots_[heap_[position]].count <= slots_[heap_[smallest]].count) break;
    SwapHeap(position, static_cast<uint32_t>(smallest));
    position = static_cast<uint32_t>(smallest);
  }
}

HotItem HotItemTracker::MakeHotItem(const Slot& slot, double factor) const {
  HotItem hot;
  hot.item = slot.item;
  hot.upper_bound = slot.count * factor;
  hot.lower_bound = std::max(0.0, (slot.count - slot.error) * factor);
  return hot;
}

std::vector<HotItem> HotItemTracker::Sorted(std::vector<uint32_t> ids, size_t k) const {
  // Ranks slot ids, then copies out only the k winners' strings. Upper and lower bounds scale
  // by the same factor, so ranking the stored values ranks the decayed ones.
  auto hotter = [this](uint32_t a, uint32_t b) {
    const Slot& x = slots_[a];
    const Slot& y = slots_[b];
    if (x.count != y.count) return x.count > y.count;
    const double x_lower = x.count - x.error, y_lower = y.count - y.error;
    if (x_lower != y_lower) return x_lower > y_lower;
    return x.item < y.item;
  };
  k = std::min(k, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(), hotter);
  const double factor = QueryFactor(Now());
  std::vector<HotItem> items;
  items.reserve(k);
  for (size_t i = 0; i < k; ++i) items.push_back(MakeHotItem(slots_[ids[i]], factor));
  return items;
}

std::vector<HotItem> HotItemTracker::TopK(size_t k) const {
  std::vector<uint32_t> ids(slots_.size());
  for (size_t id = 0; id < ids.size(); ++id) ids[id] = static_cast<uint32_t>(id);
  return Sorted(std::move(ids), k);
}

std::vector<HotItem> HotItemTracker::ItemsAbove(double threshold) const {
  const double factor = QueryFactor(Now());
  std::vector<uint32_t> ids;
  for (size_t id = 0; id < slots_.size(); ++id) {
    if (slots_[id].count * factor >= threshold) ids.push_back(static_cast<uint32_t>(id));
  }
  const size_t n = ids.size();
  return Sorted(std::move(ids), n);
}

HotItemBounds HotItemTracker::Bounds(std::string_view item) const {
  HotItemBounds bounds;
  auto it = index_.find(absl::string_view(item.data(), item.size()));
  if (it == index_.end()) {
    bounds.upper_bound = MinCount();
    return bounds;
  }
  const HotItem hot = MakeHotItem(slots_[it->second], QueryFactor(Now()));
  bounds.lower_bound = hot.lower_bound;
  bounds.upper_bound = hot.upper_bound;
  bounds.monitored = true;
  return bounds;
}

double HotItemTracker::MinCount() const {
  if (heap_.size() < static_cast<size_t>(options_.capacity)) return 0;
  return slots_[heap_[0]].count * QueryFactor(Now());
}

double HotItemTracker::TotalCount() const { return total_ * QueryFactor(Now()); }

void HotItemTracker::Clear() {
  slots_.clear();
  heap_.clear();
  index_.clear();
  total_ = 0;
  if (decays()) {
    landmark_ = Now();
    last_time_ = landmark_;
  }
}

size_t HotItemTracker::MemoryUsage() const {
  size_t bytes = sizeof(*this) + slots_.capacity() * sizeof(Slot) +
                 heap_.capacity() * sizeof(uint32_t) +
                 index_.capacity() * (sizeof(std::pair<std::string, uint32_t>) + 1);
  for (const Slot& slot : slots_) {
    // Strings past the small-string buffer own a heap block, once in the slot, once as a key.
    if (slot.item.capacity() > sizeof(std::string) - 1) bytes += 2 * (slot.item.capacity() + 1);
  }
  return bytes;
}

absl::Status HotItemTracker::CheckInvariants() const {
  const size_t n = slots_.size();
  if (heap_.size() != n || index_.size() != n || n > static_cast<size_t>(options_.capacity)) {
    return absl::InternalError(absl::StrCat("invariant 1: ", n, " slots, ", heap_.size(),
                                            " heap entries, ", index_.size(),
                                            " index entries, capacity ", options_.capacity));
  }
  for (size_t id = 0; id < n; ++id) {
    auto it = index_.find(slots_[id].item);
    if (it == index_.end() || it->second != id) {
      return absl::InternalError(
          absl::StrCat("invariant 1: slot ", id, " (", slots_[id].item, ") is not indexed"));
    }
  }
  const double minimum = n == 0 ? 0 : slots_[heap_[0]].count;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const Slot& slot = slots_[heap_[i]];
    if (slot.heap_position != i) {
      return absl::InternalError(absl::StrCat("invariant 2: heap entry ", i,
                                              " records position ", slot.heap_position));
    }
    if (i > 0 && slots_[heap_[(i - 1) / 2]].count > slot.count) {
      return absl::InternalError(absl::StrCat("invariant 2: heap entry ", i,
                                              " is below its parent"));
    }
    if (!(slot.error >= 0 && slot.error <= slot.count && slot.error <= minimum)) {
      return absl::InternalError(absl::StrFormat(
          "invariant 3: item %s has error %g, count %g, minimum count %g", slot.item, slot.error,
          slot.count, minimum));
    }
    sum += slot.count;
  }
  const double tolerance = decays() ? 1e-9 * std::max(1.0, total_) : 0;
  if (std::abs(sum - total_) > tolerance) {
    return absl::InternalError(
        absl::StrFormat("invariant 4: counts sum to %.17g, total is %.17g", sum, total_));
  }
  if (landmark_ > last_time_) return absl::InternalError("invariant 5: landmark after last time");
  return absl::OkStatus();
}

}  // namespace llmds
