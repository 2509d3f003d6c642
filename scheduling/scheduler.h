// Copyright 2026 The llmds Authors.
//
// Scheduler: SLO-aware dynamic micro-batching for an inference server. Requests (a token count
// and an optional latency SLO) queue up; the serving loop polls GetBatch() and receives a batch
// when one is worth running; the batch is "in flight" until CompleteBatch() reports it done.
//
//   llmds::SchedulerOptions options;
//   options.max_batch_size = 16;
//   options.max_wait_ms = 20;
//   options.max_batch_tokens = 8192;
//   LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<llmds::Scheduler> scheduler,
//                          llmds::Scheduler::Create(options));
//   LLMDS_ASSIGN_OR_RETURN(int64_t id, scheduler->Submit(/*tokens=*/512, /*slo_ms=*/100.0));
//   ...
//   if (std::optional<std::vector<int64_t>> batch = scheduler->GetBatch()) {
//     RunModel(*batch);
//     LLMDS_RETURN_IF_ERROR(scheduler->CompleteBatch(*batch));
//   }
//
// Terms. A request's *deadline* is its arrival time plus slo_ms. It is *due* at
//   due = min(arrival + max_wait_ms, deadline - slo_headroom_ms)
// and *urgent* once now >= due: it has waited its maximum, or waiting any longer (with a polling
// loop whose period is within slo_headroom_ms) would miss its deadline. A request misses its SLO
// when it is dispatched after its deadline (the scheduler controls queueing delay only).
//
// When GetBatch() returns a batch (the flush rule). It returns one when any of these holds,
// otherwise nullopt: `force` is true (and the queue is not empty); max_batch_size requests are
// queued; max_batch_tokens > 0 and the queued tokens reach max_batch_tokens; some queued request
// is urgent.
//
// Order (the contract). Urgent requests come first, most urgent (earliest due) first; then the
// others, fewer tokens first; ties in arrival order. A batch is a prefix of that order, cut at
// max_batch_size requests or where the next request would push the batch past max_batch_tokens
// (a single request larger than max_batch_tokens is dispatched alone when it reaches the front).
// So an urgent request is never behind a non-urgent one, and no request waits unboundedly: once
// due it is dispatched by the first GetBatch() calls that drain the urgent ones ahead of it.
// Batch ids are listed in that order, most urgent first.
//
// Life cycle: queued --GetBatch--> in flight --CompleteBatch--> done (forgotten). UpdatePriority
// on a queued request changes its token count (its place among equal counts stays its arrival
// place); on an in-flight request it re-queues it with its remaining tokens (chunked prefill,
// preemption): it arrives anew now, keeps its id and its original deadline.
//
// Time. The clock (SchedulerOptions::clock) is read by Submit, GetBatch and UpdatePriority; if
// it moves backwards the scheduler treats time as standing still (its time is the latest time it
// has read), so its invariants never depend on the clock.
//
// Cost: Submit, UpdatePriority and each dispatched request are O(log n) amortized (n = queued
// requests; entries of requests that left the queue are dropped lazily),
// CompleteBatch O(k) for k ids, Stats() O(s log s) for the s = 4096 wait samples kept. Memory:
// about 100 bytes per queued or in-flight request, kept for reuse after they complete (the
// storage is sized by the largest number of requests alive at once).
//
// `Scheduler` is thread-safe: every method takes one internal std::mutex.

#ifndef LLMDS_SCHEDULING_SCHEDULER_H_
#define LLMDS_SCHEDULING_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "llmds/utils/clock.h"

namespace llmds {

struct SchedulerOptions {
  // Most requests per batch. Must be >= 1. Default: 32.
  int32_t max_batch_size = 32;
  // Longest a request waits before it is urgent, in milliseconds. Finite, >= 0. Default: 50.
  double max_wait_ms = 50.0;
  // Most tokens per batch; 0: no limit. Must be >= 0. Default: 0.
  int64_t max_batch_tokens = 0;
  // Time source; not owned, must outlive the scheduler. nullptr: Clock::Real(). Default: null.
  Clock* clock = nullptr;
  // Most queued requests; Submit() refuses with ResourceExhausted beyond it. 0: unbounded (as
  // Triton's dynamic batcher). Re-queues by UpdatePriority() are never refused (the request is
  // already admitted), so they may exceed it. Must be >= 0. Default: 0.
  int64_t max_queue_size = 0;
  // A request with an SLO becomes urgent this long before its deadline; set it to the polling
  // period of the serving loop so that polling late does not miss deadlines. Finite, >= 0.
  // Default: 0 (urgent exactly at the deadline).
  double slo_headroom_ms = 0.0;
};

struct SchedulerStats {
  int64_t queue_size = 0;       // requests queued now
  int64_t queued_tokens = 0;    // their tokens
  int64_t in_flight = 0;        // requests dispatched and not completed
  int64_t batch_count = 0;      // batches returned by GetBatch()
  int64_t total_submitted = 0;  // accepted Submit() calls
  int64_t total_rejected = 0;   // Submit() calls refused because the queue was full
  int64_t total_dispatched = 0; // requests dispatched (a re-queued request counts again)
  int64_t total_processed = 0;  // requests completed by CompleteBatch()
  double avg_batch_size = 0;    // total_dispatched / batch_count (0 before the first batch)
  int64_t slo_misses = 0;       // requests dispatched after their deadline (each counted once)
  // Queue wait (arrival or re-queue to dispatch), in milliseconds, over the last 4096
  // dispatched requests; all 0 before the first dispatch.
  double queue_wait_p50_ms = 0;
  double queue_wait_p95_ms = 0;
  double queue_wait_p99_ms = 0;
  double queue_wait_max_ms = 0;
};

class Scheduler {
 public:
  // Creates a scheduler.
  //
  // Errors: InvalidArgument naming the first bad option (max_batch_size < 1, max_wait_ms or
  // slo_headroom_ms negative or not finite, max_batch_tokens or max_queue_size negative).
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(const SchedulerOptions& options);

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request of `tokens` tokens with an optional latency SLO of `slo_ms` milliseconds
  // from now, and returns its id. Ids are positive and unique for the scheduler's lifetime
  // (never reused), but not consecutive: an id encodes where the request is stored, so that
  // every later call finds it without a hash lookup.
  //
  // Errors: InvalidArgument if tokens < 1 or slo_ms is negative or not finite;
  // ResourceExhausted if max_queue_size requests are already queued.
  absl::StatusOr<int64_t> Submit(int64_t tokens, std::optional<double> slo_ms = std::nullopt);

  // Returns the next batch per the flush rule and order above and marks its requests in flight,
  // or nullopt when no batch is due (or the queue is empty). Never returns an empty batch.
  std::optional<std::vector<int64_t>> GetBatch(bool force = false);

  // Marks the in-flight requests `request_ids` done and forgets them. All or nothing.
  //
  // Errors: NotFound for an id that is unknown or already completed; FailedPrecondition for an
  // id that is queued rather than in flight; InvalidArgument for an id listed twice. On error
  // nothing is completed.
  absl::Status CompleteBatch(absl::Span<const int64_t> request_ids);

  // Sets the token count of `request_id` to `new_tokens`. A queued request moves to its new
  // place; an in-flight request is re-queued with `new_tokens` remaining tokens.
  //
  // Errors: InvalidArgument if new_tokens < 1; NotFound if the id is unknown or completed.
  absl::Status UpdatePriority(int64_t request_id, int64_t new_tokens);

  // Returns a snapshot of the counters.
  SchedulerStats Stats() const;

  // Verifies the internal invariants from scratch (O(n)); returns Internal naming the first
  // violation. For tests.
  absl::Status CheckInvariants() const;

 private:
  enum class State : uint8_t { kFree, kQueued, kInFlight };

  // A request's record, in slab_. Slots of completed requests are reused (last freed, first
  // reused, so their memory is warm); `generation` tells the successive users apart.
  struct Request {
    int64_t tokens;
    int64_t arrival_ns;    // since epoch_, of the latest (re-)queueing
    int64_t deadline_ns;   // since epoch_; kNoDeadline without an SLO
    int64_t due_ns;        // since epoch_
    uint64_t enqueue_seq;  // order of the latest (re-)queueing
    uint32_t generation;   // of the current (or last) user of this slot; ids embed it
    State state;
    bool missed_slo;
    bool completing;       // scratch mark of CompleteBatch(); false between calls
    bool kept;             // scratch mark of CompactHeaps(); false between calls
  };

  // An entry of by_tokens_ or by_deadline_ (4-ary min-heaps ordered by (key, enqueue_seq)):
  // the request in `slot` as queued with sequence number `enqueue_seq`, keyed by its tokens
  // (by_tokens_) or by deadline - headroom (by_deadline_). Entries are deleted lazily: one is
  // live while its request is still queued with that enqueue_seq (and, in by_tokens_, still has
  // `key` tokens); stale ones are dropped when they reach the top or when the heap is compacted.
  struct HeapEntry {
    int64_t key;
    uint64_t enqueue_seq;
    uint32_t slot;
  };

  // An entry of fifo_: the request (slab slot) that was (re-)queued with sequence number
  // `enqueue_seq`. It is stale once that request has left the queue or been re-queued since.
  struct FifoEntry {
    uint32_t slot;
    uint64_t enqueue_seq;
    int64_t wait_due_ns;  // arrival_ns + max_wait
  };

  // A request id is (generation << 32) | slot: unique (a slot's generation grows with each
  // reuse; a slot whose generation is exhausted is retired), positive, and found without a
  // hash lookup.
  static constexpr uint32_t kMaxGeneration = (uint32_t{1} << 31) - 1;
  static int64_t MakeId(uint32_t slot, uint32_t generation) {
    return static_cast<int64_t>((static_cast<uint64_t>(generation) << 32) | slot);
  }

  static constexpr int64_t kNoDeadline = INT64_MAX;
  static constexpr size_t kWaitSamples = 4096;

  Scheduler(const SchedulerOptions& options, Clock* clock);

  // Reads the clock, never going back, as nanoseconds since epoch_.
  int64_t NowNs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Returns the slot of the live request `id`, or -1 if there is none.
  int64_t FindSlot(int64_t id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  int64_t IdOf(uint32_t slot) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return MakeId(slot, slab_[slot].generation);
  }
  // Queues the request in `slot` as arriving at `now_ns`.
  void Enqueue(uint32_t slot, int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool LiveToken(const HeapEntry& entry) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    const Request& request = slab_[entry.slot];
    return request.state == State::kQueued && request.enqueue_seq == entry.enqueue_seq &&
           request.tokens == entry.key;
  }
  bool LiveDeadline(const HeapEntry& entry) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    const Request& request = slab_[entry.slot];
    return request.state == State::kQueued && request.enqueue_seq == entry.enqueue_seq;
  }
  // Adds `entry` to `heap`, first compacting the heap when most of it is stale (`live`: the
  // number of requests with a live entry in it).
  void PushEntry(std::vector<HeapEntry>& heap, HeapEntry entry, int64_t live, bool tokens)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Drops the stale entries of `heap` (keeping one live entry per request) and restores the
  // heap order, in O(size).
  void Compact(std::vector<HeapEntry>& heap, bool tokens) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Drops stale entries from the front of fifo_, by_deadline_ and by_tokens_.
  void TrimStale() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Returns the slot and due time of the queued request with the earliest due time (ties by
  // enqueue order), or nullopt if the queue is empty. REQUIRES: TrimStale() was called.
  std::optional<std::pair<uint32_t, int64_t>> MostUrgent() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Moves the queued request in `slot` to in flight at `now_ns` and appends its id to `batch`
  // (its heap and fifo_ entries become stale).
  void Dispatch(uint32_t slot, int64_t now_ns, std::vector<int64_t>& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const int32_t max_batch_size_;
  const int64_t max_wait_ns_;
  const int64_t max_batch_tokens_;
  const int64_t max_queue_size_;
  const int64_t slo_headroom_ns_;
  Clock* const clock_;
  const absl::Time epoch_;

  // mutex_ protects the following state.
  //
  // Invariants (checked by CheckInvariants()):
  //  1. Every slot of slab_ is free, queued or in flight; free slots that can be reused are in
  //     free_slots_ (once each); queued_count_ + in_flight_count_ == the number of used slots.
  //  2. by_tokens_ is a 4-ary min-heap by (key, enqueue_seq) that holds a live entry (same
  //     enqueue_seq and tokens) for every queued request, and only stale entries for other
  //     requests; queued_tokens_ is the sum of the queued requests' tokens.
  //  3. by_deadline_ is a 4-ary min-heap by (key, enqueue_seq) that holds exactly one live entry
  //     (same enqueue_seq), keyed by deadline - headroom, for every queued request with an SLO,
  //     and only stale entries otherwise; queued_slo_count_ is the number of those requests.
  //  4. Every queued request has exactly one live fifo_ entry (matching slot and enqueue_seq);
  //     live entries are in increasing enqueue_seq and wait_due_ns order.
  //  5. due_ns == min(arrival_ns + max_wait, deadline_ns - headroom) for every used slot;
  //     arrival_ns <= last_now_ns_.
  mutable std::mutex mutex_;
  int64_t last_now_ns_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t next_enqueue_seq_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<Request> slab_ ABSL_GUARDED_BY(mutex_);
  std::vector<uint32_t> free_slots_ ABSL_GUARDED_BY(mutex_);
  std::vector<HeapEntry> by_tokens_ ABSL_GUARDED_BY(mutex_);
  std::vector<HeapEntry> by_deadline_ ABSL_GUARDED_BY(mutex_);
  std::deque<FifoEntry> fifo_ ABSL_GUARDED_BY(mutex_);
  int64_t queued_count_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t queued_tokens_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t queued_slo_count_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t in_flight_count_ ABSL_GUARDED_BY(mutex_) = 0;
  // Counters for Stats().
  int64_t batch_count_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t total_submitted_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t total_rejected_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t total_dispatched_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t total_processed_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t slo_misses_ ABSL_GUARDED_BY(mutex_) = 0;
  // Scratch space of CompleteBatch(): the slots it is about to free.
  std::vector<uint32_t> completing_ ABSL_GUARDED_BY(mutex_);
  // Ring buffer of the last kWaitSamples queue waits, in milliseconds.
  std::vector<double> wait_samples_ms_ ABSL_GUARDED_BY(mutex_);
  size_t next_wait_sample_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace llmds

#endif  // LLMDS_SCHEDULING_SCHEDULER_H_
