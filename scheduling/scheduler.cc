// Copyright 2026 The llmds Authors.

#include "llmds/scheduling/scheduler.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "llmds/scheduling/internal/dary_heap.h"
#include "llmds/utils/check.h"
#include "llmds/utils/statistics.h"

namespace llmds {
namespace {

// Largest token count of one request; keeps every sum of tokens far from overflow.
constexpr int64_t kMaxTokens = INT32_MAX;
// Durations are clamped here so that time + duration never overflows int64 nanoseconds.
constexpr int64_t kMaxDurationNs = INT64_MAX / 4;

int64_t MillisToNanos(double ms) {
  const double ns = ms * 1e6;
  if (ns >= static_cast<double>(kMaxDurationNs)) return kMaxDurationNs;
  return static_cast<int64_t>(std::llround(ns));
}

// The heaps of Scheduler::HeapEntry: 4-ary (half the depth of a binary heap; a node's children
// are adjacent), moving a hole instead of swapping.
constexpr size_t kArity = scheduling_internal::kHeapArity;

// The order of by_tokens_ and by_deadline_: (key, enqueue_seq) ascending. A function object,
// so that the heap code inlines it.
constexpr auto kHeapOrder = [](const auto& a, const auto& b) {
  return a.key < b.key || (a.key == b.key && a.enqueue_seq < b.enqueue_seq);
};

template <typename Entry, typename BeforeFn>
void SiftUp(Entry* heap, size_t position, Entry entry, BeforeFn before) {
  while (position > 0) {
    const size_t parent = (position - 1) / kArity;
    if (!before(entry, heap[parent])) break;
    heap[position] = heap[parent];
    position = parent;
  }
  heap[position] = entry;
}

template <typename Entry, typename BeforeFn>
void SiftDown(Entry* heap, size_t size, size_t position, Entry entry, BeforeFn before) {
  for (;;) {
    const size_t first_child = position * kArity + 1;
    if (first_child >= size) break;
    const size_t best = scheduling_internal::FirstOfChildren(heap, size, first_child, before);
    if (!before(heap[best], entry)) break;
    heap[position] = heap[best];
    position = best;
  }
  heap[position] = entry;
}

template <typename Entry, typename BeforeFn>
void HeapPush(std::vector<Entry>& heap, const Entry& entry, BeforeFn before) {
  heap.push_back(entry);
  SiftUp(heap.data(), heap.size() - 1, entry, before);
}

// Removes the top. Bottom-up (as Floyd's heapsort): the hole at the top moves down along the
// smaller children to a leaf without comparing against the last entry, which then fills it by
// sifting up; the last entry usually belongs near the bottom, so this saves a comparison per
// level.
template <typename Entry, typename BeforeFn>
void HeapPop(std::vector<Entry>& heap, BeforeFn before) {
  const Entry last = heap.back();
  heap.pop_back();
  const size_t size = heap.size();
  if (size == 0) return;
  Entry* const base = heap.data();
  size_t position = 0;
  for (;;) {
    const size_t first_child = position * kArity + 1;
    if (first_child >= size) break;
    const size_t best = scheduling_internal::FirstOfChildren(base, size, first_child, before);
    base[position] = base[best];
    position = best;
  }
  SiftUp(base, position, last, before);
}

template <typename Entry, typename BeforeFn>
void MakeHeap(std::vector<Entry>& heap, BeforeFn before) {
  if (heap.size() < 2) return;
  for (size_t p = (heap.size() - 2) / kArity + 1; p-- > 0;) {
    SiftDown(heap.data(), heap.size(), p, heap[p], before);
  }
}

template <typename Entry, typename BeforeFn>
bool IsHeap(const std::vector<Entry>& heap, BeforeFn before) {
  for (size_t p = 1; p < heap.size(); ++p) {
    if (before(heap[p], heap[(p - 1) / kArity])) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(const SchedulerOptions& options) {
  if (options.max_batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("SchedulerOptions.max_batch_size must be >= 1, got ",
                     options.max_batch_size));
  }
  if (!std::isfinite(options.max_wait_ms) || options.max_wait_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SchedulerOptions.max_wait_ms must be finite and >= 0, got ", options.max_wait_ms));
  }
  if (options.max_batch_tokens < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SchedulerOptions.max_batch_tokens must be >= 0 (0: no limit), got ",
                     options.max_batch_tokens));
  }
  if (options.max_queue_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SchedulerOptions.max_queue_size must be >= 0 (0: unbounded), got ",
                     options.max_queue_size));
  }
  if (!std::isfinite(options.slo_headroom_ms) || options.slo_headroom_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SchedulerOptions.slo_headroom_ms must be finite and >= 0, got ",
                     options.slo_headroom_ms));
  }
  Clock* clock = options.clock != nullptr ? options.clock : Clock::Real();
  return std::unique_ptr<Scheduler>(new Scheduler(options, clock));
}

Scheduler::Scheduler(const SchedulerOptions& options, Clock* clock)
    : max_batch_size_(options.max_batch_size),
      max_wait_ns_(MillisToNanos(options.max_wait_ms)),
      max_batch_tokens_(options.max_batch_tokens),
      max_queue_size_(options.max_queue_size),
      slo_headroom_ns_(MillisToNanos(options.slo_headroom_ms)),
      clock_(clock),
      epoch_(clock->Now()) {}

int64_t Scheduler::NowNs() {
  const absl::Duration since_epoch = clock_->Now() - epoch_;
  int64_t now_ns = absl::ToInt64Nanoseconds(since_epoch);
  now_ns = std::min(now_ns, kMaxDurationNs);
  if (now_ns > last_now_ns_) last_now_ns_ = now_ns;
  return last_now_ns_;
}

int64_t Scheduler::FindSlot(int64_t id) const {
  if (id <= 0) return -1;
  const uint64_t u = static_cast<uint64_t>(id);
  const uint64_t slot = u & 0xffffffffu;
  const uint64_t generation = u >> 32;
  if (slot >= slab_.size()) return -1;
  const Request& request = slab_[slot];
  if (request.state == State::kFree || request.generation != generation) return -1;
  return static_cast<int64_t>(slot);
}

void Scheduler::Enqueue(uint32_t slot, int64_t now_ns) {
  Request& request = slab_[slot];
  request.arrival_ns = now_ns;
  request.enqueue_seq = next_enqueue_seq_++;
  request.state = State::kQueued;
  const int64_t wait_due_ns = now_ns + max_wait_ns_;
  request.due_ns = wait_due_ns;
  if (request.deadline_ns != kNoDeadline) {
    const int64_t slo_due_ns = request.deadline_ns - slo_headroom_ns_;
    request.due_ns = std::min(wait_due_ns, slo_due_ns);
    PushEntry(by_deadline_, HeapEntry{slo_due_ns, request.enqueue_seq, slot}, queued_slo_count_,
              /*tokens=*/false);
    ++queued_slo_count_;
  }
  PushEntry(by_tokens_, HeapEntry{request.tokens, request.enqueue_seq, slot}, queued_count_,
            /*tokens=*/true);
  fifo_.push_back(FifoEntry{slot, request.enqueue_seq, wait_due_ns});
  ++queued_count_;
  queued_tokens_ += request.tokens;
}

absl::StatusOr<int64_t> Scheduler::Submit(int64_t tokens, std::optional<double> slo_ms) {
  if (tokens < 1 || tokens > kMaxTokens) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Scheduler::Submit: tokens must be in [1, ", kMaxTokens, "], got ", tokens));
  }
  if (slo_ms.has_value() && (!std::isfinite(*slo_ms) || *slo_ms < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Scheduler::Submit: slo_ms must be finite and >= 0, got ", *slo_ms));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (max_queue_size_ > 0 && queued_count_ >= max_queue_size_) {
    ++total_rejected_;
    return absl::ResourceExhaustedError(absl::StrCat(
        "Scheduler::Submit: the queue is full (", queued_count_,
        " requests queued, max_queue_size ", max_queue_size_, ")"));
  }
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    ++slab_[slot].generation;
  } else {
    if (slab_.size() >= UINT32_MAX) {
      return absl::ResourceExhaustedError(
          "Scheduler::Submit: 2^32 - 1 requests are queued or in flight");
    }
    slot = static_cast<uint32_t>(slab_.size());
    slab_.emplace_back();
    slab_.back().generation = 1;
  }
  const int64_t now_ns = NowNs();
  Request& request = slab_[slot];
  request.tokens = tokens;
  request.deadline_ns = slo_ms.has_value() ? now_ns + MillisToNanos(*slo_ms) : kNoDeadline;
  request.missed_slo = false;
  request.completing = false;
  request.kept = false;
  Enqueue(slot, now_ns);
  ++total_submitted_;
  return IdOf(slot);
}

void Scheduler::PushEntry(std::vector<HeapEntry>& heap, HeapEntry entry, int64_t live,
                          bool tokens) {
  // Compacting only when over half the heap is stale keeps the cost amortized O(1) per entry
  // and the heap within about twice the live entries.
  if (heap.size() >= 64 && heap.size() > 2 * static_cast<size_t>(live)) Compact(heap, tokens);
  HeapPush(heap, entry, kHeapOrder);
}

void Scheduler::Compact(std::vector<HeapEntry>& heap, bool tokens) {
  size_t kept = 0;
  for (const HeapEntry& entry : heap) {
    if (!(tokens ? LiveToken(entry) : LiveDeadline(entry))) continue;
    Request& request = slab_[entry.slot];
    if (request.kept) continue;  // a duplicate left by UpdatePriority (same key)
    request.kept = true;
    heap[kept++] = entry;
  }
  heap.resize(kept);
  for (const HeapEntry& entry : heap) slab_[entry.slot].kept = false;
  MakeHeap(heap, kHeapOrder);
}

void Scheduler::TrimStale() {
  while (!fifo_.empty()) {
    const FifoEntry& front = fifo_.front();
    const Request& request = slab_[front.slot];
    if (request.state == State::kQueued && request.enqueue_seq == front.enqueue_seq) break;
    fifo_.pop_front();
  }
  while (!by_deadline_.empty() && !LiveDeadline(by_deadline_.front())) {
    HeapPop(by_deadline_, kHeapOrder);
  }
  while (!by_tokens_.empty() && !LiveToken(by_tokens_.front())) {
    HeapPop(by_tokens_, kHeapOrder);
  }
}

std::optional<std::pair<uint32_t, int64_t>> Scheduler::MostUrgent() const {
  std::optional<std::pair<uint32_t, int64_t>> best;  // (slot, due_ns)
  uint64_t best_seq = 0;
  if (!fifo_.empty()) {
    best = std::make_pair(fifo_.front().slot, fifo_.front().wait_due_ns);
    best_seq = fifo_.front().enqueue_seq;
  }
  if (!by_deadline_.empty()) {
    const HeapEntry& top = by_deadline_.front();
    if (!best || top.key < best->second ||
        (top.key == best->second && top.enqueue_seq < best_seq)) {
      best = std::make_pair(top.slot, top.key);
    }
  }
  return best;
}

void Scheduler::Dispatch(uint32_t slot, int64_t now_ns, std::vector<int64_t>& batch) {
  Request& request = slab_[slot];
  if (request.deadline_ns != kNoDeadline) {
    --queued_slo_count_;
    if (now_ns > request.deadline_ns && !request.missed_slo) {
      request.missed_slo = true;
      ++slo_misses_;
    }
  }
  request.state = State::kInFlight;
  --queued_count_;
  queued_tokens_ -= request.tokens;
  ++in_flight_count_;
  ++total_dispatched_;
  const double wait_ms = static_cast<double>(now_ns - request.arrival_ns) / 1e6;
  if (wait_samples_ms_.size() < kWaitSamples) {
    wait_samples_ms_.push_back(wait_ms);
  } else {
    wait_samples_ms_[next_wait_sample_] = wait_ms;
    next_wait_sample_ = (next_wait_sample_ + 1) % kWaitSamples;
  }
  batch.push_back(IdOf(slot));
}

std::optional<std::vector<int64_t>> Scheduler::GetBatch(bool force) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t now_ns = NowNs();  // read even when idle: time seen once is never unseen
  if (queued_count_ == 0) return std::nullopt;
  TrimStale();
  std::optional<std::pair<uint32_t, int64_t>> urgent = MostUrgent();
  LLMDS_DCHECK(urgent.has_value());
  const bool flush = force || queued_count_ >= max_batch_size_ ||
                     (max_batch_tokens_ > 0 && queued_tokens_ >= max_batch_tokens_) ||
                     urgent->second <= now_ns;
  if (!flush) return std::nullopt;

  std::vector<int64_t> batch;
  batch.reserve(static_cast<size_t>(std::min<int64_t>(max_batch_size_, queued_count_)));
  int64_t batch_tokens = 0;
  // Returns true if `request` may join the batch; sets `last` when it must be the last one.
  auto fits = [&](const Request& request, bool& last) {
    if (max_batch_tokens_ == 0) return true;
    if (batch_tokens + request.tokens <= max_batch_tokens_) return true;
    last = true;
    // Over the budget: a non-empty batch ends here (nothing may overtake this request); an
    // empty one takes it alone (oversized).
    return batch.empty();
  };
  bool done = false;
  // Urgent requests, earliest due first.
  while (!done && static_cast<int32_t>(batch.size()) < max_batch_size_) {
    TrimStale();
    urgent = MostUrgent();
    if (!urgent || urgent->second > now_ns) break;
    const uint32_t slot = urgent->first;
    const Request& request = slab_[slot];
    if (!fits(request, done)) break;
    if (!fifo_.empty() && fifo_.front().slot == slot &&
        fifo_.front().enqueue_seq == request.enqueue_seq) {
      fifo_.pop_front();
    }
    batch_tokens += request.tokens;
    Dispatch(slot, now_ns, batch);
  }
  // Then the rest, fewest tokens first.
  while (!done && static_cast<int32_t>(batch.size()) < max_batch_size_) {
    TrimStale();
    if (by_tokens_.empty()) break;
    const uint32_t slot = by_tokens_.front().slot;
    const Request& request = slab_[slot];
    if (!fits(request, done)) break;
    batch_tokens += request.tokens;
    HeapPop(by_tokens_, kHeapOrder);  // the top is `slot`
    Dispatch(slot, now_ns, batch);
  }
  LLMDS_DCHECK(!batch.empty());
  ++batch_count_;
  return batch;
}

absl::Status Scheduler::CompleteBatch(absl::Span<const int64_t> request_ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  completing_.clear();
  // Validates every id before changing anything; `completing` marks the ids already seen (to
  // catch duplicates) and is cleared again if validation fails.
  auto unmark = [this] {
    for (uint32_t slot : completing_) slab_[slot].completing = false;
    completing_.clear();
  };
  for (int64_t id : request_ids) {
    const int64_t found = FindSlot(id);
    if (found < 0) {
      unmark();
      return absl::NotFoundError(absl::StrCat("Scheduler::CompleteBatch: request ", id,
                                              " is unknown or already completed"));
    }
    const uint32_t slot = static_cast<uint32_t>(found);
    Request& request = slab_[slot];
    if (request.state != State::kInFlight) {
      unmark();
      return absl::FailedPreconditionError(absl::StrCat(
          "Scheduler::CompleteBatch: request ", id, " is queued, not in flight"));
    }
    if (request.completing) {
      unmark();
      return absl::InvalidArgumentError(absl::StrCat(
          "Scheduler::CompleteBatch: request ", id, " is listed more than once"));
    }
    request.completing = true;
    completing_.push_back(slot);
  }
  for (uint32_t slot : completing_) {
    Request& request = slab_[slot];
    request.completing = false;
    request.state = State::kFree;
    if (request.generation < kMaxGeneration) free_slots_.push_back(slot);  // else retired
  }
  completing_.clear();
  in_flight_count_ -= static_cast<int64_t>(request_ids.size());
  total_processed_ += static_cast<int64_t>(request_ids.size());
  return absl::OkStatus();
}

absl::Status Scheduler::UpdatePriority(int64_t request_id, int64_t new_tokens) {
  if (new_tokens < 1 || new_tokens > kMaxTokens) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Scheduler::UpdatePriority: new_tokens must be in [1, ", kMaxTokens, "], got ",
        new_tokens));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t found = FindSlot(request_id);
  if (found < 0) {
    return absl::NotFoundError(absl::StrCat("Scheduler::UpdatePriority: request ", request_id,
                                            " is unknown or already completed"));
  }
  const uint32_t slot = static_cast<uint32_t>(found);
  Request& request = slab_[slot];
  const int64_t now_ns = NowNs();
  if (request.state == State::kQueued) {
    if (new_tokens == request.tokens) return absl::OkStatus();
    queued_tokens_ += new_tokens - request.tokens;
    request.tokens = new_tokens;  // makes its old by_tokens_ entry stale
    // Same enqueue_seq: among equal token counts it keeps its arrival place.
    PushEntry(by_tokens_, HeapEntry{new_tokens, request.enqueue_seq, slot}, queued_count_,
              /*tokens=*/true);
    return absl::OkStatus();
  }
  --in_flight_count_;
  request.tokens = new_tokens;
  Enqueue(slot, now_ns);
  return absl::OkStatus();
}

SchedulerStats Scheduler::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  SchedulerStats stats;
  stats.queue_size = queued_count_;
  stats.queued_tokens = queued_tokens_;
  stats.in_flight = in_flight_count_;
  stats.batch_count = batch_count_;
  stats.total_submitted = total_submitted_;
  stats.total_rejected = total_rejected_;
  stats.total_dispatched = total_dispatched_;
  stats.total_processed = total_processed_;
  stats.avg_batch_size = batch_count_ == 0 ? 0.0
                                           : static_cast<double>(total_dispatched_) /
                                                 static_cast<double>(batch_count_);
  stats.slo_misses = slo_misses_;
  if (!wait_samples_ms_.empty()) {
    absl::StatusOr<Percentiles> percentiles = ComputePercentiles(wait_samples_ms_);
    if (percentiles.ok()) {  // the samples are finite, so this always holds
      stats.queue_wait_p50_ms = percentiles->p50;
      stats.queue_wait_p95_ms = percentiles->p95;
      stats.queue_wait_p99_ms = percentiles->p99;
    }
    stats.queue_wait_max_ms = *std::max_element(wait_samples_ms_.begin(), wait_samples_ms_.end());
  }
  return stats;
}

absl::Status Scheduler::CheckInvariants() const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto fail = [](auto&&... parts) {
    return absl::InternalError(absl::StrCat("Scheduler invariant: ", parts...));
  };
  // Heap entries: in range, heap-ordered; count the live ones per slot.
  std::vector<int64_t> live_tokens(slab_.size(), 0), live_deadlines(slab_.size(), 0);
  for (const auto* heap : {&by_tokens_, &by_deadline_}) {
    const bool is_tokens = heap == &by_tokens_;
    const char* invariant = is_tokens ? "2: by_tokens" : "3: by_deadline";
    for (const HeapEntry& entry : *heap) {
      if (entry.slot >= slab_.size()) return fail(invariant, " slot out of range");
    }
    if (!IsHeap(*heap, kHeapOrder)) {
      return fail(invariant, " is not heap-ordered");
    }
    for (const HeapEntry& entry : *heap) {
      if (is_tokens ? LiveToken(entry) : LiveDeadline(entry)) {
        ++(is_tokens ? live_tokens : live_deadlines)[entry.slot];
        if (!is_tokens && entry.key != slab_[entry.slot].deadline_ns - slo_headroom_ns_) {
          return fail(invariant, ": slot ", entry.slot, " is keyed by a wrong due time");
        }
      }
    }
  }
  int64_t queued = 0, in_flight = 0, tokens = 0, with_deadline = 0, reusable = 0;
  for (size_t slot = 0; slot < slab_.size(); ++slot) {
    const Request& request = slab_[slot];
    if (request.completing) return fail("1: slot ", slot, " is still marked completing");
    if (request.kept) return fail("2: slot ", slot, " is still marked kept");
    if (request.state == State::kFree) {
      reusable += request.generation < kMaxGeneration;
      continue;
    }
    if (request.state == State::kQueued) {
      ++queued;
      tokens += request.tokens;
      if (live_tokens[slot] < 1) {
        return fail("2: slot ", slot, " is not in by_tokens with its tokens");
      }
      if (request.deadline_ns != kNoDeadline) {
        ++with_deadline;
        if (live_deadlines[slot] != 1) {
          return fail("3: slot ", slot, " has ", live_deadlines[slot],
                      " live entries in by_deadline");
        }
      } else if (live_deadlines[slot] != 0) {
        return fail("3: slot ", slot, " has no SLO but is in by_deadline");
      }
    } else {
      ++in_flight;
    }
    int64_t due = request.arrival_ns + max_wait_ns_;
    if (request.deadline_ns != kNoDeadline) {
      due = std::min(due, request.deadline_ns - slo_headroom_ns_);
    }
    if (request.due_ns != due) return fail("5: slot ", slot, " has a wrong due time");
    if (request.arrival_ns > last_now_ns_) return fail("5: slot ", slot, " arrives later");
  }
  if (queued != queued_count_ || in_flight != in_flight_count_) {
    return fail("1: counted ", queued, " queued and ", in_flight, " in flight, recorded ",
                queued_count_, " and ", in_flight_count_);
  }
  if (reusable != static_cast<int64_t>(free_slots_.size())) {
    return fail("1: ", reusable, " reusable free slots, free list has ", free_slots_.size());
  }
  for (uint32_t slot : free_slots_) {
    if (slot >= slab_.size() || slab_[slot].state != State::kFree) {
      return fail("1: free list holds used slot ", slot);
    }
  }
  if (tokens != queued_tokens_) return fail("2: queued tokens ", tokens, " != ", queued_tokens_);
  if (with_deadline != queued_slo_count_) {
    return fail("3: ", with_deadline, " queued requests with an SLO, recorded ",
                queued_slo_count_);
  }
  int64_t live = 0;
  uint64_t last_seq = 0;
  int64_t last_due = INT64_MIN;
  for (const FifoEntry& entry : fifo_) {
    if (entry.slot >= slab_.size()) return fail("4: fifo slot out of range");
    const Request& request = slab_[entry.slot];
    if (request.state != State::kQueued || request.enqueue_seq != entry.enqueue_seq) continue;
    if (live > 0 && (entry.enqueue_seq <= last_seq || entry.wait_due_ns < last_due)) {
      return fail("4: fifo out of order at slot ", entry.slot);
    }
    if (entry.wait_due_ns != request.arrival_ns + max_wait_ns_) {
      return fail("4: fifo due of slot ", entry.slot);
    }
    ++live;
    last_seq = entry.enqueue_seq;
    last_due = entry.wait_due_ns;
  }
  if (live != queued) return fail("4: ", live, " live fifo entries for ", queued, " queued");
  return absl::OkStatus();
}

}  // namespace llmds
