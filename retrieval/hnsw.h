// Copyright 2026 The llmds Authors.
//
// HNSW: an approximate nearest-neighbour index over dense float vectors (Malkov & Yashunin's
// hierarchical navigable small-world graph), for the dense half of retrieval.
//
// Use it when brute force over all vectors is too slow: a search costs roughly
// O(ef * M * log n) distance computations instead of O(n). Memory is about
// n * (4 * dim + 8 * M + 24) bytes (the level-0 record is rounded up to 64 bytes) plus the
// upper layers (~1/M of that again for links).
//
// Example:
//   HnswOptions options;
//   options.dim = 384;
//   options.metric = Metric::kCosine;
//   LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<HNSW> index, HNSW::Create(options));
//   LLMDS_RETURN_IF_ERROR(index->Add(embedding, /*vec_id=*/42));
//   for (const auto& [id, distance] : index->Search(query, /*k=*/10)) { ... }
//
// Distances returned by every search: Euclidean distance (not squared) for kL2, 1 - dot for
// kInnerProduct, 1 - cosine similarity for kCosine. Results are sorted by ascending distance,
// ties by ascending id.
//
// Features beyond the classic algorithm:
//  - Distance kernels chosen at run time (AVX-512, AVX2+FMA or scalar); see Stats().simd.
//  - Level-0 links and the vector of a node share one cache-line aligned record; the next
//    neighbour's vector and the next candidate's links are prefetched; visited sets are pooled
//    and cleared by epoch tags; the search heaps hold packed (distance, slot) integer keys; the
//    unfiltered search of an index without deletions skips the per-node deleted check; the
//    query is copied to an aligned buffer so no vector load splits a cache line.
//  - Capacity grows on demand; there is no maximum number of elements.
//  - Delete(id) marks a node deleted and repairs its neighbours' links; deleted nodes are still
//    traversed (so recall is kept) but never returned. Compact() drops them for good, repairs
//    the links that pointed at them and returns their memory.
//  - Filtered search (predicate or allow-list) that switches to an exact scan when the filter is
//    selective, where graph search would lose recall.
//  - Batch add and batch search over many vectors with an explicit thread count.
//  - Save/Load with a versioned header and an XXH3 checksum; corrupt input is an error, never a
//    crash.
//
// Concurrency contract (HNSW is thread-safe):
//  - Search*, Stats, Contains, GetNeighbors, size and Serialize/Save may run concurrently with
//    each other AND with Add/AddBatch (searching while adding is supported). A search that
//    overlaps an Add may or may not see the vector being added; it never sees a partially
//    written vector.
//  - Add/AddBatch may run concurrently with each other (per-node spin locks guard link lists;
//    a std::shared_mutex guards storage growth).
//  - Delete, Compact and capacity growth take the storage lock exclusively: they wait for
//    in-flight calls and block new ones while they run.
//
// Determinism: the level of each node is a pure function of (seed, insertion sequence number),
// so the same seed and the same insertion order give an identical graph and identical results
// when the inserts happen one at a time (Add, or AddBatch with num_threads = 1). With several
// threads the link lists depend on thread interleaving and are not reproducible (recall is the
// same statistically).

#ifndef LLMDS_RETRIEVAL_HNSW_H_
#define LLMDS_RETRIEVAL_HNSW_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace llmds {

namespace retrieval_internal {
class ScratchPool;
struct SearchScratch;
struct DistanceKernels;
using DistanceFn = float (*)(const float* a, const float* b, size_t n);
}  // namespace retrieval_internal

enum class Metric { kL2, kInnerProduct, kCosine };

struct HnswOptions {
  // Vector dimension. Must be in [1, 65536].
  int32_t dim = 0;
  // Maximum number of links per node on layers >= 1; layer 0 keeps up to 2 * M. Range [2, 256].
  // Default: 16.
  int32_t M = 16;
  // Beam width while inserting. Must be >= 1. Default: 200.
  int32_t ef_construction = 200;
  // Beam width while searching (the effective width is max(ef_search, k)). Must be >= 1.
  // Default: 50.
  int32_t ef_search = 50;
  // Level multiplier: a node's level is floor(-ln(U) * ml) for U uniform in (0, 1].
  // Unset: 1 / ln(M), as in the HNSW paper and hnswlib (NOT the seed's 1/ln(2)).
  // Must be finite and in (0, 10].
  std::optional<double> ml;
  // Seed of the level generator. Unset: a fixed default (0x5eed), so builds are reproducible
  // unless a seed says otherwise.
  std::optional<uint64_t> seed;
  // Distance; for kCosine vectors are normalized when added and zero vectors are rejected.
  Metric metric = Metric::kL2;
  // Filtered search scans exactly (brute force over the allowed vectors) when the fraction of
  // live vectors the filter allows is below this threshold. Range [0, 1]. Default: 0.02.
  double exact_filter_threshold = 0.02;
};

struct HnswStats {
  int64_t num_vectors = 0;   // live (not deleted) vectors
  int32_t num_layers = 0;    // max_level + 1; 0 when empty
  int64_t entry_point = -1;  // vec_id of the entry point; -1 when empty
  int32_t max_level = -1;    // -1 when empty
  int64_t memory_bytes = 0;  // heap bytes held by the index (storage, links, id map)
  int64_t num_deleted = 0;   // deleted but not yet compacted
  int64_t capacity = 0;      // node slots allocated
  std::string simd;          // distance kernels in use: "avx512f", "avx2+fma" or "scalar"
};

// Optional per-search parameters.
struct HnswSearchParams {
  // Overrides the index's ef_search for this call. Must be >= 1 when set.
  std::optional<int32_t> ef_search;
  // Only ids for which the predicate returns true are returned. May be called concurrently from
  // several threads by SearchBatch; must not call back into the index.
  std::function<bool(int64_t vec_id)> predicate;
  // When set (non-null), only these ids are returned (ids not in the index are ignored). Combines
  // with `predicate` (both must allow an id). The pointee must outlive the call.
  const std::vector<int64_t>* allow_list = nullptr;
};

// Note: HNSW is thread-safe (see the concurrency contract above).
class HNSW {
 public:
  using Neighbor = std::pair<int64_t, float>;

  // Returns a new empty index, or InvalidArgument naming the bad option.
  static absl::StatusOr<std::unique_ptr<HNSW>> Create(const HnswOptions& options);

  // Reads an index written by Save/Serialize. Any malformed, truncated or corrupted input gives
  // DataLoss or InvalidArgument (never a crash); an unreadable file gives NotFound/Internal.
  static absl::StatusOr<std::unique_ptr<HNSW>> Load(const std::string& path);
  static absl::StatusOr<std::unique_ptr<HNSW>> Deserialize(std::string_view bytes);

  HNSW(const HNSW&) = delete;
  HNSW& operator=(const HNSW&) = delete;
  ~HNSW();

  // Adds `vec` under `vec_id`. Errors: InvalidArgument if vec.size() != dim, a component is
  // NaN/Inf or (kCosine) the vector is zero; AlreadyExists if vec_id is live (a deleted id may
  // be added again). On error the index is unchanged.
  absl::Status Add(absl::Span<const float> vec, int64_t vec_id);

  // Adds ids.size() vectors stored row-major in `vectors` using `num_threads` threads (in
  // [1, 256]). All-or-nothing: every vector and id is validated (including duplicates inside the
  // batch) before anything is inserted. Levels are drawn in batch order, so with
  // num_threads = 1 the result equals calling Add in order.
  absl::Status AddBatch(absl::Span<const float> vectors, absl::Span<const int64_t> ids,
                        int num_threads);

  // Returns up to k nearest live vectors to `query` (fewer when the index holds fewer). Returns
  // an empty vector when k <= 0, query.size() != dim or the query is not finite (use
  // SearchWithParams to get the reason). When max(ef_search, k) >= size(), the result is exact.
  std::vector<Neighbor> Search(absl::Span<const float> query, int k) const;

  // Like Search, with per-call ef and filters; InvalidArgument on a bad query, k or ef.
  absl::StatusOr<std::vector<Neighbor>> SearchWithParams(
      absl::Span<const float> query, int k, const HnswSearchParams& params = {}) const;

  // Searches every row of `queries` (row-major, queries.size() must be a multiple of dim) with
  // `num_threads` threads in [1, 256]; result i belongs to row i.
  absl::StatusOr<std::vector<std::vector<Neighbor>>> SearchBatch(
      absl::Span<const float> queries, int k, int num_threads,
      const HnswSearchParams& params = {}) const;

  // Marks vec_id deleted: it is never returned again and its neighbours' links are repaired
  // around it. NotFound if absent or already deleted. Memory is reclaimed by Compact().
  absl::Status Delete(int64_t vec_id);

  // Removes deleted nodes: links that pointed at them are repaired, the live nodes are renumbered
  // densely and storage is reallocated to fit, returning the memory. Search results are
  // unchanged in kind (the graph is only repaired, never rebuilt).
  void Compact();

  // Sets the default search beam width (values < 1 are clamped to 1).
  void set_ef_search(int32_t ef);
  int32_t ef_search() const { return ef_search_.load(std::memory_order_relaxed); }

  HnswStats Stats() const;
  int64_t size() const;  // live vectors
  bool Contains(int64_t vec_id) const;  // live (not deleted)
  const HnswOptions& options() const { return options_; }

  // Returns the ids linked from vec_id at `level`, in link order (for tests and tools).
  // NotFound / InvalidArgument if the id is absent or the node has no such level.
  absl::StatusOr<std::vector<int64_t>> GetNeighbors(int64_t vec_id, int level) const;

  // Writes the index. The format: header (magic "LLMDSHNW", format version, dim, metric, M,
  // ef_construction, ef_search, ml, seed, counts, entry point), then per node its id, level,
  // flags, links and vector, then an XXH3-64 checksum of everything before it.
  std::string Serialize() const;
  absl::Status Save(const std::string& path) const;

  // Verifies the structural invariants listed below; returns Internal naming the first broken
  // one. O(n * M). For tests.
  absl::Status CheckInvariants() const;

 private:
  friend class HnswTestPeer;
  // Invariants (checked by CheckInvariants):
  //  1. 0 <= num_slots_ <= capacity_; every slot < num_slots_ is ready (fully added).
  //  2. id_to_slot_ maps exactly the ids of the live (not deleted) slots < num_slots_, and
  //     slot_ids_[id_to_slot_[id]] == id; num_deleted_ equals the number of deleted slots.
  //  3. Every link of slot s at level l points to a slot t < num_slots_, t != s, with
  //     level(t) >= l; no list holds duplicates; counts are <= max_links(l).
  //  4. When num_slots_ > 0, entry_slot_ < num_slots_ and level(entry_slot_) == max_level_ ==
  //     max over slots of level(s).
  //  5. Stored vectors are finite (and unit-norm for kCosine).
  using SearchScratch = retrieval_internal::SearchScratch;
  explicit HNSW(const HnswOptions& options);

  // Record layout of a slot at level 0: [vector x dim][count][links x max_links0][pad] in
  // 32-bit words. record_words_ is a multiple of 16 and storage is 64-byte aligned, so every
  // vector starts on a cache line (no split loads) and occupies the fewest lines.
  uint32_t* Record(uint32_t slot) const { return storage_ + size_t{slot} * record_words_; }
  const float* Vector(uint32_t slot) const {
    return reinterpret_cast<const float*>(Record(slot));
  }
  float* MutableVector(uint32_t slot) { return reinterpret_cast<float*>(Record(slot)); }
  // Link list of `slot` at `level`: word 0 is the count, then the links.
  uint32_t* Links(uint32_t slot, int level) const {
    if (level == 0) return Record(slot) + links_offset_words_;
    return upper_[slot].get() + static_cast<size_t>(level - 1) * (1 + options_.M);
  }
  int MaxLinks(int level) const { return level == 0 ? max_links0_ : options_.M; }

  float Distance(const float* a, const float* b) const {
    return distance_(a, b, static_cast<size_t>(options_.dim));
  }
  float ToReportedDistance(float internal) const;
  absl::Status ValidateVector(absl::Span<const float> vec, const char* what) const;
  void PrepareVector(absl::Span<const float> in, float* out) const;
  int DrawLevel(uint64_t sequence) const;

  // Growth: ensures capacity_ >= needed. Takes storage_mutex_ exclusively.
  void Reserve(size_t needed);
  void ReserveLocked(size_t needed);
  // Allocates slots for ids (already validated, not present) and writes their vectors.
  // Returns the first slot. Caller holds storage_mutex_ shared and capacity suffices.
  void InitSlot(uint32_t slot, int64_t vec_id, const float* vec, int level);
  void InsertSlot(uint32_t slot, SearchScratch& scratch);

  // Graph search on one layer from `entry_points`; fills scratch.results with up to ef
  // (internal distance, slot) pairs that pass `accept`, sorted ascending.
  template <typename Accept>
  void SearchLayer(const float* query, const std::vector<std::pair<float, uint32_t>>& entries,
                   int ef, int level, const Accept& accept, SearchScratch& scratch) const;
  uint32_t GreedyDescend(const float* query, uint32_t entry, int from_level, int to_level,
                         float* entry_distance) const;
  void SelectNeighbors(std::vector<std::pair<float, uint32_t>>& candidates, int max_links) const;
  void ConnectNeighbor(uint32_t neighbor, uint32_t new_slot, float distance, int level);
  void RepairNode(uint32_t slot, int level);
  absl::Status CheckInvariantsLocked() const;
  bool IsDeleted(uint32_t slot) const;
  bool IsReady(uint32_t slot) const;

  absl::StatusOr<std::vector<Neighbor>> SearchInternal(const float* query, int k, int ef,
                                                       const HnswSearchParams& params) const;
  // Exhaustive top-k over `slots` (or over every slot when null) that pass `allow`.
  std::vector<Neighbor> ExactSearch(const float* query, int k, const std::vector<uint32_t>* slots,
                                    const std::function<bool(uint32_t)>& allow) const;
  std::vector<Neighbor> ToNeighbors(std::vector<std::pair<float, uint32_t>>& found, int k) const;

  const HnswOptions options_;
  const int max_links0_;
  const double ml_;
  const uint64_t seed_;
  const retrieval_internal::DistanceKernels* kernels_;
  // Internal distance: squared L2 for kL2, 1 - dot for kInnerProduct and kCosine.
  retrieval_internal::DistanceFn distance_ = nullptr;
  size_t links_offset_words_ = 0;
  size_t record_words_ = 0;
  size_t prefetch_lines_ = 1;  // cache lines of a vector prefetched ahead of its distance
  std::atomic<int32_t> ef_search_;

  // storage_mutex_ is held shared by every operation that reads or writes node data and
  // exclusively to reallocate storage, delete or compact.
  mutable std::shared_mutex storage_mutex_;
  uint32_t* storage_ = nullptr;   // capacity_ records, 64-byte aligned
  size_t capacity_ = 0;
  std::vector<int64_t> slot_ids_;                   // slot -> vec_id
  std::vector<uint8_t> slot_levels_;                // slot -> level
  std::vector<std::unique_ptr<uint32_t[]>> upper_;  // slot -> lists of levels 1..level
  // Per slot: bit 0 ready, bit 1 deleted. Accessed with __atomic builtins.
  std::unique_ptr<uint8_t[]> slot_flags_;
  // Per-slot spin locks guarding writes to that slot's link lists (__atomic builtins).
  std::unique_ptr<uint8_t[]> link_locks_;

  // id_mutex_ protects the id map, slot allocation and the level sequence.
  mutable std::mutex id_mutex_;
  absl::flat_hash_map<int64_t, uint32_t> id_to_slot_ ABSL_GUARDED_BY(id_mutex_);
  uint32_t num_slots_ ABSL_GUARDED_BY(id_mutex_) = 0;
  uint64_t level_sequence_ ABSL_GUARDED_BY(id_mutex_) = 0;
  int64_t num_deleted_ ABSL_GUARDED_BY(id_mutex_) = 0;

  // entry_mutex_ protects the entry point.
  mutable std::mutex entry_mutex_;
  int64_t entry_slot_ ABSL_GUARDED_BY(entry_mutex_) = -1;
  int32_t max_level_ ABSL_GUARDED_BY(entry_mutex_) = -1;

  std::unique_ptr<retrieval_internal::ScratchPool> scratch_pool_;
  std::atomic<size_t> upper_words_{0};  // words allocated in upper_ (for Stats)
};

}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_HNSW_H_
