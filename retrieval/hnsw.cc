// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/hnsw.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "llmds/retrieval/internal/distance.h"
#include "llmds/retrieval/internal/hnsw_scratch.h"
#include "llmds/utils/check.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

using retrieval_internal::DistSlot;
using retrieval_internal::ScratchLease;

constexpr uint8_t kReady = 1;
constexpr uint8_t kDeleted = 2;
constexpr int kMaxLevel = 31;
constexpr uint64_t kDefaultSeed = 0x5eed;
constexpr size_t kAlignment = 64;
constexpr int kMaxThreads = 256;
// A vector's cache lines are prefetched one neighbour ahead of its distance, up to this many.
constexpr size_t kMaxPrefetchLines = 16;

// Link words are read without locks by searches while adders rewrite them under the node's spin
// lock. Acquire/release pairs (plain moves on x86) make the vector of any node read from a list
// visible: it was written before the node was first stored into a list with a release store.
inline uint32_t LoadAcquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void StoreRelease(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

class SpinGuard {
 public:
  explicit SpinGuard(uint8_t* lock) : lock_(lock) {
    int spins = 0;
    while (__atomic_exchange_n(lock_, 1, __ATOMIC_ACQUIRE) != 0) {
      while (__atomic_load_n(lock_, __ATOMIC_RELAXED) != 0) {
        if (++spins > 64) std::this_thread::yield();
      }
    }
  }
  ~SpinGuard() { __atomic_store_n(lock_, 0, __ATOMIC_RELEASE); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  uint8_t* lock_;
};

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

size_t RoundUp(size_t x, size_t m) { return (x + m - 1) / m * m; }

// Orders (distance, slot) pairs; the slot breaks ties so every ordering is deterministic.
struct Closer {
  bool operator()(const DistSlot& a, const DistSlot& b) const {
    return a.first < b.first || (a.first == b.first && a.second < b.second);
  }
};

uint32_t* AllocateStorage(size_t words) {
  if (words == 0) return nullptr;
  void* p = ::operator new(words * sizeof(uint32_t), std::align_val_t(kAlignment));
  std::memset(p, 0, words * sizeof(uint32_t));
  return static_cast<uint32_t*>(p);
}
void FreeStorage(uint32_t* p) {
  if (p != nullptr) ::operator delete(p, std::align_val_t(kAlignment));
}

absl::Status ValidateThreads(int num_threads) {
  if (num_threads < 1 || num_threads > kMaxThreads) {
    return absl::InvalidArgumentError(
        absl::StrFormat("num_threads is %d; must be in [1, %d]", num_threads, kMaxThreads));
  }
  return absl::OkStatus();
}

template <typename Fn>
void ParallelFor(size_t n, int num_threads, const Fn& fn) {
  const size_t threads = std::min<size_t>(static_cast<size_t>(num_threads), n);
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    // relaxed: the counter only hands out distinct indices; data is published by thread join.
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < n;
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(i);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HNSW>> HNSW::Create(const HnswOptions& options) {
  if (options.dim < 1 || options.dim > 65536) {
    return absl::InvalidArgumentError(
        absl::StrFormat("HnswOptions.dim is %d; must be in [1, 65536]", options.dim));
  }
  if (options.M < 2 || options.M > 256) {
    return absl::InvalidArgumentError(
        absl::StrFormat("HnswOptions.M is %d; must be in [2, 256]", options.M));
  }
  if (options.ef_construction < 1 || options.ef_construction > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "HnswOptions.ef_construction is %d; must be in [1, 2^20]", options.ef_construction));
  }
  if (options.ef_search < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("HnswOptions.ef_search is %d; must be >= 1", options.ef_search));
  }
  if (options.ml.has_value() &&
      !(std::isfinite(*options.ml) && *options.ml > 0 && *options.ml <= 10)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("HnswOptions.ml is %g; must be finite and in (0, 10]", *options.ml));
  }
  if (!(options.exact_filter_threshold >= 0 && options.exact_filter_threshold <= 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "HnswOptions.exact_filter_threshold is %g; must be in [0, 1]",
        options.exact_filter_threshold));
  }
  if (options.metric != Metric::kL2 && options.metric != Metric::kInnerProduct &&
      options.metric != Metric::kCosine) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "HnswOptions.metric is %d; not a Metric", static_cast<int>(options.metric)));
  }
  return std::unique_ptr<HNSW>(new HNSW(options));
}

HNSW::HNSW(const HnswOptions& options)
    : options_(options),
      max_links0_(2 * options.M),
      ml_(options.ml.has_value() ? *options.ml : 1.0 / std::log(static_cast<double>(options.M))),
      seed_(options.seed.has_value() ? *options.seed : kDefaultSeed),
      kernels_(&retrieval_internal::BestKernels()),
      ef_search_(options.ef_search),
      scratch_pool_(std::make_unique<retrieval_internal::ScratchPool>()) {
  const size_t dim = static_cast<size_t>(options.dim);
  distance_ = options.metric == Metric::kL2 ? kernels_->l2_squared : kernels_->one_minus_dot;
  links_offset_words_ = dim;
  record_words_ = RoundUp(dim + 1 + static_cast<size_t>(max_links0_), kAlignment / 4);
  prefetch_lines_ = std::min<size_t>(RoundUp(dim * sizeof(float), 64) / 64, kMaxPrefetchLines);
}

HNSW::~HNSW() { FreeStorage(storage_); }

bool HNSW::IsDeleted(uint32_t slot) const {
  return (__atomic_load_n(&slot_flags_[slot], __ATOMIC_ACQUIRE) & kDeleted) != 0;
}
bool HNSW::IsReady(uint32_t slot) const {
  return (__atomic_load_n(&slot_flags_[slot], __ATOMIC_ACQUIRE) & kReady) != 0;
}

float HNSW::ToReportedDistance(float internal) const {
  if (options_.metric == Metric::kL2) return std::sqrt(std::max(0.0f, internal));
  return internal;
}

absl::Status HNSW::ValidateVector(absl::Span<const float> vec, const char* what) const {
  if (vec.size() != static_cast<size_t>(options_.dim)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s has %d components; the index dimension is %d", what, vec.size(), options_.dim));
  }
  double norm2 = 0;
  for (size_t i = 0; i < vec.size(); ++i) {
    if (!std::isfinite(vec[i])) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s component %d is %f; must be finite", what, i, vec[i]));
    }
    norm2 += static_cast<double>(vec[i]) * vec[i];
  }
  if (options_.metric == Metric::kCosine && !(norm2 > 0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is the zero vector; cosine distance is undefined", what));
  }
  return absl::OkStatus();
}

void HNSW::PrepareVector(absl::Span<const float> in, float* out) const {
  if (options_.metric != Metric::kCosine) {
    std::memcpy(out, in.data(), in.size() * sizeof(float));
    return;
  }
  double norm2 = 0;
  for (float x : in) norm2 += static_cast<double>(x) * x;
  const double inv = 1.0 / std::sqrt(norm2);
  for (size_t i = 0; i < in.size(); ++i) out[i] = static_cast<float>(in[i] * inv);
}

int HNSW::DrawLevel(uint64_t sequence) const {
  const uint64_t bits = SplitMix64(seed_ ^ SplitMix64(sequence));
  const double u = static_cast<double>((bits >> 11) + 1) * 0x1.0p-53;  // (0, 1]
  const double level = std::floor(-std::log(u) * ml_);
  return level >= kMaxLevel ? kMaxLevel : static_cast<int>(level);
}

void HNSW::Reserve(size_t needed) {
  std::unique_lock<std::shared_mutex> lock(storage_mutex_);
  ReserveLocked(needed);
}

void HNSW::ReserveLocked(size_t needed) {
  if (needed <= capacity_) return;
  const size_t new_capacity = std::max({needed, capacity_ + capacity_ / 2, size_t{64}});
  uint32_t* storage = AllocateStorage(new_capacity * record_words_);
  if (storage_ != nullptr) {
    std::memcpy(storage, storage_, capacity_ * record_words_ * sizeof(uint32_t));
  }
  FreeStorage(storage_);
  storage_ = storage;
  auto flags = std::make_unique<uint8_t[]>(new_capacity);
  auto locks = std::make_unique<uint8_t[]>(new_capacity);  // zero: nobody holds a lock now
  if (capacity_ > 0) std::memcpy(flags.get(), slot_flags_.get(), capacity_);
  slot_flags_ = std::move(flags);
  link_locks_ = std::move(locks);
  slot_ids_.resize(new_capacity);
  slot_levels_.resize(new_capacity);
  upper_.resize(new_capacity);
  capacity_ = new_capacity;
}

void HNSW::InitSlot(uint32_t slot, int64_t vec_id, const float* vec, int level) {
  uint32_t* record = Record(slot);
  std::memset(record, 0, record_words_ * sizeof(uint32_t));
  PrepareVector(absl::MakeConstSpan(vec, static_cast<size_t>(options_.dim)),
                MutableVector(slot));
  slot_ids_[slot] = vec_id;
  slot_levels_[slot] = static_cast<uint8_t>(level);
  if (level > 0) {
    const size_t words = static_cast<size_t>(level) * (1 + options_.M);
    upper_[slot].reset(new uint32_t[words]());
    upper_words_.fetch_add(words, std::memory_order_relaxed);  // statistics only
  } else {
    upper_[slot].reset();
  }
  __atomic_store_n(&slot_flags_[slot], kReady, __ATOMIC_RELEASE);
}

absl::Status HNSW::Add(absl::Span<const float> vec, int64_t vec_id) {
  return AddBatch(vec, absl::MakeConstSpan(&vec_id, 1), 1);
}

absl::Status HNSW::AddBatch(absl::Span<const float> vectors, absl::Span<const int64_t> ids,
                            int num_threads) {
  LLMDS_RETURN_IF_ERROR(ValidateThreads(num_threads));
  const size_t dim = static_cast<size_t>(options_.dim);
  if (vectors.size() != ids.size() * dim) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "vectors has %d floats; expected ids.size() * dim = %d * %d", vectors.size(), ids.size(),
        dim));
  }
  if (ids.empty()) return absl::OkStatus();
  for (size_t i = 0; i < ids.size(); ++i) {
    const absl::Status status = ValidateVector(vectors.subspan(i * dim, dim), "vector");
    if (!status.ok()) {
      if (ids.size() == 1) return status;
      return absl::InvalidArgumentError(
          absl::StrFormat("row %d (id %d): %s", i, ids[i], status.message()));
    }
  }
  if (ids.size() > 1) {
    absl::flat_hash_set<int64_t> seen;
    seen.reserve(ids.size());
    for (int64_t id : ids) {
      if (!seen.insert(id).second) {
        return absl::InvalidArgumentError(
            absl::StrFormat("vec_id %d appears twice in the batch", id));
      }
    }
  }
  for (;;) {
    std::shared_lock<std::shared_mutex> storage_lock(storage_mutex_);
    uint32_t first_slot = 0;
    uint64_t first_sequence = 0;
    size_t needed = 0;
    {
      std::lock_guard<std::mutex> lock(id_mutex_);
      for (int64_t id : ids) {
        if (id_to_slot_.contains(id)) {
          return absl::AlreadyExistsError(absl::StrFormat("vec_id %d is already present", id));
        }
      }
      if (num_slots_ + ids.size() >= std::numeric_limits<uint32_t>::max()) {
        return absl::ResourceExhaustedError("HNSW holds at most 2^32 - 2 nodes");
      }
      if (num_slots_ + ids.size() > capacity_) {
        needed = num_slots_ + ids.size();
      } else {
        first_slot = num_slots_;
        first_sequence = level_sequence_;
        num_slots_ += static_cast<uint32_t>(ids.size());
        level_sequence_ += ids.size();
        for (size_t i = 0; i < ids.size(); ++i) {
          id_to_slot_.emplace(ids[i], first_slot + static_cast<uint32_t>(i));
        }
      }
    }
    if (needed > 0) {
      storage_lock.unlock();
      Reserve(needed);
      continue;
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      InitSlot(first_slot + static_cast<uint32_t>(i), ids[i], vectors.data() + i * dim,
               DrawLevel(first_sequence + i));
    }
    // The first node of an empty index becomes the entry point alone, so the parallel part
    // always starts from a non-empty graph.
    size_t start = 0;
    {
      ScratchLease scratch(scratch_pool_.get());
      InsertSlot(first_slot, *scratch);
      start = 1;
    }
    ParallelFor(ids.size() - start, num_threads, [&](size_t i) {
      ScratchLease scratch(scratch_pool_.get());
      InsertSlot(first_slot + static_cast<uint32_t>(start + i), *scratch);
    });
    return absl::OkStatus();
  }
}

uint32_t HNSW::GreedyDescend(const float* query, uint32_t entry, int from_level, int to_level,
                             float* entry_distance) const {
  uint32_t current = entry;
  float best = *entry_distance;
  for (int level = from_level; level >= to_level; --level) {
    bool moved = true;
    while (moved) {
      moved = false;
      const uint32_t* list = Links(current, level);
      const uint32_t count = LoadAcquire(list);
      for (uint32_t i = 1; i <= count; ++i) {
        const uint32_t next = LoadAcquire(list + i);
        const float d = Distance(query, Vector(next));
        if (d < best || (d == best && next < current)) {
          best = d;
          current = next;
          moved = true;
        }
      }
    }
  }
  *entry_distance = best;
  return current;
}

template <typename Accept>
void HNSW::SearchLayer(const float* query, const std::vector<DistSlot>& entries, int ef,
                       int level, const Accept& accept, SearchScratch& scratch) const {
  using retrieval_internal::DecodeKey;
  using retrieval_internal::EncodeKey;
  auto& visited = scratch.visited;
  // Both heaps hold (distance, slot) packed into one integer key whose order is the order of
  // (distance, slot): ties break by slot (deterministic) and every comparison is one compare.
  auto& candidates = scratch.candidate_keys;  // min-heap
  auto& results = scratch.result_keys;        // max-heap of the best `ef` accepted
  visited.Reset(capacity_);
  candidates.clear();
  results.clear();
  const size_t limit = static_cast<size_t>(ef);
  const auto farther = std::greater<uint64_t>();
  for (const DistSlot& entry : entries) {
    if (visited.TestAndSet(entry.second)) continue;
    const uint64_t key = EncodeKey(entry.first, entry.second);
    candidates.push_back(key);
    std::push_heap(candidates.begin(), candidates.end(), farther);
    if (accept(entry.second)) {
      results.push_back(key);
      std::push_heap(results.begin(), results.end());
      if (results.size() > limit) {
        std::pop_heap(results.begin(), results.end());
        results.pop_back();
      }
    }
  }
  // Key of the worst kept result (all ones until `limit` results are held).
  uint64_t bound = results.size() >= limit ? results.front() : ~uint64_t{0};
  uint32_t* pending = scratch.pending(static_cast<size_t>(max_links0_));
  const size_t lines = prefetch_lines_;
  const auto prefetch_vector = [this, lines](uint32_t slot) {
    const char* p = reinterpret_cast<const char*>(Vector(slot));
    for (size_t i = 0; i < lines; ++i) __builtin_prefetch(p + 64 * i);
  };
  while (!candidates.empty()) {
    const uint64_t current = candidates.front();
    if (current > bound) break;
    std::pop_heap(candidates.begin(), candidates.end(), farther);
    candidates.pop_back();
    // The next candidate's link list is read on the next round: start loading it now.
    if (!candidates.empty()) {
      __builtin_prefetch(Links(static_cast<uint32_t>(candidates.front()), level));
    }
    const uint32_t* list = Links(static_cast<uint32_t>(current), level);
    const uint32_t count = LoadAcquire(list);
    size_t num_pending = 0;
    for (uint32_t i = 1; i <= count; ++i) {
      const uint32_t next = LoadAcquire(list + i);
      if (visited.TestAndSet(next)) continue;
      pending[num_pending++] = next;
    }
    if (num_pending > 0) prefetch_vector(pending[0]);
    for (size_t i = 0; i < num_pending; ++i) {
      if (i + 1 < num_pending) prefetch_vector(pending[i + 1]);
      const uint32_t next = pending[i];
      const uint64_t key = EncodeKey(Distance(query, Vector(next)), next);
      if (key < bound) {
        candidates.push_back(key);
        std::push_heap(candidates.begin(), candidates.end(), farther);
        if (accept(next)) {
          results.push_back(key);
          std::push_heap(results.begin(), results.end());
          if (results.size() > limit) {
            std::pop_heap(results.begin(), results.end());
            results.pop_back();
          }
          if (results.size() >= limit) bound = results.front();
        }
      }
    }
  }
  std::sort_heap(results.begin(), results.end());
  auto& out = scratch.results;
  out.resize(results.size());
  for (size_t i = 0; i < results.size(); ++i) out[i] = DecodeKey(results[i]);
}

void HNSW::SelectNeighbors(std::vector<DistSlot>& candidates, int max_links) const {
  std::sort(candidates.begin(), candidates.end(), Closer());
  if (candidates.size() <= static_cast<size_t>(max_links)) return;
  // Keep a candidate only if it is closer to the base than to every neighbour kept so far: this
  // spreads links over directions instead of spending them all inside one cluster.
  size_t kept = 0;
  for (size_t i = 0; i < candidates.size() && kept < static_cast<size_t>(max_links); ++i) {
    const DistSlot c = candidates[i];
    bool good = true;
    for (size_t j = 0; j < kept; ++j) {
      if (Distance(Vector(c.second), Vector(candidates[j].second)) < c.first) {
        good = false;
        break;
      }
    }
    if (good) candidates[kept++] = c;
  }
  candidates.resize(kept);
}

void HNSW::ConnectNeighbor(uint32_t neighbor, uint32_t new_slot, float distance, int level) {
  SpinGuard guard(&link_locks_[neighbor]);
  uint32_t* list = Links(neighbor, level);
  const uint32_t count = list[0];
  for (uint32_t i = 1; i <= count; ++i) {
    if (list[i] == new_slot) return;
  }
  const int max_links = MaxLinks(level);
  if (count < static_cast<uint32_t>(max_links)) {
    StoreRelease(list + 1 + count, new_slot);
    StoreRelease(list, count + 1);
    return;
  }
  std::vector<DistSlot> candidates;
  candidates.reserve(count + 1);
  const float* base = Vector(neighbor);
  for (uint32_t i = 1; i <= count; ++i) candidates.emplace_back(Distance(base, Vector(list[i])), list[i]);
  candidates.emplace_back(distance, new_slot);
  SelectNeighbors(candidates, max_links);
  for (size_t i = 0; i < candidates.size(); ++i) StoreRelease(list + 1 + i, candidates[i].second);
  StoreRelease(list, static_cast<uint32_t>(candidates.size()));
}

void HNSW::InsertSlot(uint32_t slot, SearchScratch& scratch) {
  const float* query = Vector(slot);
  const int level = slot_levels_[slot];
  uint32_t entry;
  int max_level;
  {
    std::lock_guard<std::mutex> lock(entry_mutex_);
    if (entry_slot_ < 0) {
      entry_slot_ = slot;
      max_level_ = level;
      return;
    }
    entry = static_cast<uint32_t>(entry_slot_);
    max_level = max_level_;
  }
  float entry_distance = Distance(query, Vector(entry));
  if (level < max_level) {
    entry = GreedyDescend(query, entry, max_level, level + 1, &entry_distance);
  }
  scratch.entries.assign(1, DistSlot(entry_distance, entry));
  auto accept = [this, slot](uint32_t s) { return s != slot && !IsDeleted(s); };
  for (int l = std::min(level, max_level); l >= 0; --l) {
    SearchLayer(query, scratch.entries, options_.ef_construction, l, accept, scratch);
    scratch.selected = scratch.results;
    SelectNeighbors(scratch.selected, options_.M);
    {
      // Other inserts may already have linked to this node at this level; merge with them.
      SpinGuard guard(&link_locks_[slot]);
      uint32_t* list = Links(slot, l);
      const uint32_t count = list[0];
      std::vector<DistSlot> merged = scratch.selected;
      for (uint32_t i = 1; i <= count; ++i) {
        const uint32_t other = list[i];
        if (std::none_of(merged.begin(), merged.end(),
                         [other](const DistSlot& d) { return d.second == other; })) {
          merged.emplace_back(Distance(query, Vector(other)), other);
        }
      }
      SelectNeighbors(merged, MaxLinks(l));
      for (size_t i = 0; i < merged.size(); ++i) StoreRelease(list + 1 + i, merged[i].second);
      StoreRelease(list, static_cast<uint32_t>(merged.size()));
    }
    for (const DistSlot& n : scratch.selected) ConnectNeighbor(n.second, slot, n.first, l);
    if (!scratch.results.empty()) scratch.entries = scratch.results;
  }
  std::lock_guard<std::mutex> lock(entry_mutex_);
  if (level > max_level_) {
    entry_slot_ = slot;
    max_level_ = level;
  }
}

std::vector<HNSW::Neighbor> HNSW::ToNeighbors(std::vector<DistSlot>& found, int k) const {
  std::vector<Neighbor> out;
  out.reserve(found.size());
  for (const DistSlot& f : found) out.emplace_back(slot_ids_[f.second], f.first);
  std::sort(out.begin(), out.end(), [](const Neighbor& a, const Neighbor& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  if (out.size() > static_cast<size_t>(k)) out.resize(static_cast<size_t>(k));
  for (Neighbor& n : out) n.second = ToReportedDistance(n.second);
  return out;
}

std::vector<HNSW::Neighbor> HNSW::ExactSearch(const float* query, int k,
                                              const std::vector<uint32_t>* slots,
                                              const std::function<bool(uint32_t)>& allow) const {
  // Max-heap on (distance, id) so ties at the boundary keep the smaller ids.
  std::vector<std::pair<float, int64_t>> heap;
  const size_t limit = static_cast<size_t>(k);
  auto consider = [&](uint32_t s) {
    if (!IsReady(s) || IsDeleted(s) || (allow && !allow(s))) return;
    const std::pair<float, int64_t> item(Distance(query, Vector(s)), slot_ids_[s]);
    if (heap.size() < limit) {
      heap.push_back(item);
      std::push_heap(heap.begin(), heap.end());
    } else if (item < heap.front()) {
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = item;
      std::push_heap(heap.begin(), heap.end());
    }
  };
  if (slots != nullptr) {
    for (uint32_t s : *slots) consider(s);
  } else {
    uint32_t num_slots;
    {
      std::lock_guard<std::mutex> lock(id_mutex_);
      num_slots = num_slots_;
    }
    for (uint32_t s = 0; s < num_slots; ++s) consider(s);
  }
  std::sort_heap(heap.begin(), heap.end());
  std::vector<Neighbor> out;
  out.reserve(heap.size());
  for (const auto& [d, id] : heap) out.emplace_back(id, ToReportedDistance(d));
  return out;
}

absl::StatusOr<std::vector<HNSW::Neighbor>> HNSW::SearchInternal(
    const float* query, int k, int ef, const HnswSearchParams& params) const {
  std::shared_lock<std::shared_mutex> storage_lock(storage_mutex_);
  int64_t live;
  uint32_t num_slots;
  std::vector<uint32_t> allowed_slots;
  const bool has_allow_list = params.allow_list != nullptr;
  {
    std::lock_guard<std::mutex> lock(id_mutex_);
    num_slots = num_slots_;
    live = static_cast<int64_t>(num_slots_) - num_deleted_;
    if (has_allow_list) {
      allowed_slots.reserve(params.allow_list->size());
      for (int64_t id : *params.allow_list) {
        auto it = id_to_slot_.find(id);
        if (it != id_to_slot_.end()) allowed_slots.push_back(it->second);
      }
    }
  }
  if (live <= 0) return std::vector<Neighbor>();
  const bool filtered = has_allow_list || static_cast<bool>(params.predicate);
  std::function<bool(uint32_t)> allow;
  absl::flat_hash_set<uint32_t> allowed_set;
  if (has_allow_list) {
    std::sort(allowed_slots.begin(), allowed_slots.end());
    allowed_slots.erase(std::unique(allowed_slots.begin(), allowed_slots.end()),
                        allowed_slots.end());
  }
  double selectivity = 1.0;
  if (filtered) {
    if (params.predicate) {
      // Estimate the predicate's selectivity on an evenly spaced sample of the nodes.
      const uint32_t sample = std::min<uint32_t>(num_slots, 256);
      int passed = 0, seen = 0;
      for (uint32_t i = 0; i < sample; ++i) {
        const uint32_t s = static_cast<uint32_t>(uint64_t{i} * num_slots / sample);
        if (!IsReady(s) || IsDeleted(s)) continue;
        if (has_allow_list &&
            !std::binary_search(allowed_slots.begin(), allowed_slots.end(), s)) {
          ++seen;
          continue;
        }
        ++seen;
        if (params.predicate(slot_ids_[s])) ++passed;
      }
      selectivity = seen == 0 ? 0.0 : static_cast<double>(passed) / seen;
    }
    if (has_allow_list) {
      selectivity = std::min(selectivity, static_cast<double>(allowed_slots.size()) / live);
      allowed_set.insert(allowed_slots.begin(), allowed_slots.end());
    }
    const auto& predicate = params.predicate;
    allow = [this, &predicate, &allowed_set, has_allow_list](uint32_t s) {
      if (has_allow_list && !allowed_set.contains(s)) return false;
      return !predicate || predicate(slot_ids_[s]);
    };
  }
  const std::vector<uint32_t>* scan = has_allow_list ? &allowed_slots : nullptr;
  if (static_cast<int64_t>(ef) >= live ||
      (filtered && selectivity < options_.exact_filter_threshold)) {
    return ExactSearch(query, k, scan, allow);
  }
  uint32_t entry;
  int max_level;
  {
    std::lock_guard<std::mutex> lock(entry_mutex_);
    if (entry_slot_ < 0) {
      // The first node is still being added by another thread; the scan sees what is ready.
      return ExactSearch(query, k, scan, allow);
    }
    entry = static_cast<uint32_t>(entry_slot_);
    max_level = max_level_;
  }
  ScratchLease lease(scratch_pool_.get());
  SearchScratch& scratch = *lease;
  const float* aligned = scratch.AlignedQuery(query, static_cast<size_t>(options_.dim));
  float entry_distance = Distance(aligned, Vector(entry));
  entry = GreedyDescend(aligned, entry, max_level, 1, &entry_distance);
  scratch.entries.assign(1, DistSlot(entry_distance, entry));
  if (filtered) {
    SearchLayer(aligned, scratch.entries, ef, 0,
                [this, &allow](uint32_t s) { return !IsDeleted(s) && allow(s); }, scratch);
  } else if (static_cast<int64_t>(num_slots) != live) {
    SearchLayer(aligned, scratch.entries, ef, 0, [this](uint32_t s) { return !IsDeleted(s); },
                scratch);
  } else {
    // No deleted node existed when this search started, and deletion needs the storage lock
    // exclusively (this search holds it shared): every node is acceptable.
    SearchLayer(aligned, scratch.entries, ef, 0, [](uint32_t) { return true; }, scratch);
  }
  if (scratch.results.size() < static_cast<size_t>(std::min<int64_t>(k, live))) {
    // Too few results (a restrictive filter, many deletions or an unreachable region): the
    // exact scan is the honest answer.
    return ExactSearch(query, k, scan, allow);
  }
  return ToNeighbors(scratch.results, k);
}

absl::StatusOr<std::vector<HNSW::Neighbor>> HNSW::SearchWithParams(
    absl::Span<const float> query, int k, const HnswSearchParams& params) const {
  if (k <= 0) return absl::InvalidArgumentError(absl::StrFormat("k is %d; must be >= 1", k));
  if (params.ef_search.has_value() && *params.ef_search < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ef_search is %d; must be >= 1", *params.ef_search));
  }
  LLMDS_RETURN_IF_ERROR(ValidateVector(query, "query"));
  const int ef = std::max(k, params.ef_search.value_or(ef_search()));
  if (options_.metric == Metric::kCosine) {
    std::vector<float> normalized(query.size());
    PrepareVector(query, normalized.data());
    return SearchInternal(normalized.data(), k, ef, params);
  }
  return SearchInternal(query.data(), k, ef, params);
}

std::vector<HNSW::Neighbor> HNSW::Search(absl::Span<const float> query, int k) const {
  absl::StatusOr<std::vector<Neighbor>> result = SearchWithParams(query, k);
  if (!result.ok()) return {};
  return *std::move(result);
}

absl::StatusOr<std::vector<std::vector<HNSW::Neighbor>>> HNSW::SearchBatch(
    absl::Span<const float> queries, int k, int num_threads,
    const HnswSearchParams& params) const {
  LLMDS_RETURN_IF_ERROR(ValidateThreads(num_threads));
  const size_t dim = static_cast<size_t>(options_.dim);
  if (queries.size() % dim != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "queries has %d floats; not a multiple of dim %d", queries.size(), dim));
  }
  if (k <= 0) return absl::InvalidArgumentError(absl::StrFormat("k is %d; must be >= 1", k));
  const size_t n = queries.size() / dim;
  for (size_t i = 0; i < n; ++i) {
    const absl::Status status = ValidateVector(queries.subspan(i * dim, dim), "query");
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat("row %d: %s", i, status.message()));
    }
  }
  std::vector<std::vector<Neighbor>> out(n);
  std::vector<absl::Status> errors(n);
  ParallelFor(n, num_threads, [&](size_t i) {
    absl::StatusOr<std::vector<Neighbor>> r =
        SearchWithParams(queries.subspan(i * dim, dim), k, params);
    if (r.ok()) {
      out[i] = *std::move(r);
    } else {
      errors[i] = r.status();
    }
  });
  for (const absl::Status& s : errors) LLMDS_RETURN_IF_ERROR(s);
  return out;
}

void HNSW::RepairNode(uint32_t slot, int level) {
  uint32_t* list = Links(slot, level);
  const uint32_t count = list[0];
  bool has_deleted = false;
  for (uint32_t i = 1; i <= count; ++i) has_deleted |= IsDeleted(list[i]);
  if (!has_deleted) return;
  // Replace deleted links by the live nodes reachable through deleted-only paths (bounded).
  const int max_links = MaxLinks(level);
  absl::flat_hash_set<uint32_t> seen = {slot};
  std::vector<uint32_t> frontier;
  std::vector<DistSlot> candidates;
  const float* base = Vector(slot);
  for (uint32_t i = 1; i <= count; ++i) {
    const uint32_t t = list[i];
    if (!seen.insert(t).second) continue;
    if (IsDeleted(t)) {
      frontier.push_back(t);
    } else {
      candidates.emplace_back(Distance(base, Vector(t)), t);
    }
  }
  size_t expanded = 0;
  while (expanded < frontier.size() && expanded < 64 &&
         candidates.size() < 4 * static_cast<size_t>(max_links)) {
    const uint32_t d = frontier[expanded++];
    const uint32_t* dl = Links(d, level);
    for (uint32_t i = 1; i <= dl[0]; ++i) {
      const uint32_t t = dl[i];
      if (!seen.insert(t).second) continue;
      if (IsDeleted(t)) {
        frontier.push_back(t);
      } else {
        candidates.emplace_back(Distance(base, Vector(t)), t);
      }
    }
  }
  SelectNeighbors(candidates, max_links);
  for (size_t i = 0; i < candidates.size(); ++i) list[1 + i] = candidates[i].second;
  list[0] = static_cast<uint32_t>(candidates.size());
}

absl::Status HNSW::Delete(int64_t vec_id) {
  std::unique_lock<std::shared_mutex> storage_lock(storage_mutex_);
  std::lock_guard<std::mutex> lock(id_mutex_);
  auto it = id_to_slot_.find(vec_id);
  if (it == id_to_slot_.end()) {
    return absl::NotFoundError(absl::StrFormat("vec_id %d is not in the index", vec_id));
  }
  const uint32_t slot = it->second;
  id_to_slot_.erase(it);
  ++num_deleted_;
  slot_flags_[slot] |= kDeleted;
  for (int l = 0; l <= slot_levels_[slot]; ++l) {
    const uint32_t* list = Links(slot, l);
    for (uint32_t i = 1; i <= list[0]; ++i) {
      if (!IsDeleted(list[i])) RepairNode(list[i], l);
    }
  }
  return absl::OkStatus();
}

void HNSW::Compact() {
  std::unique_lock<std::shared_mutex> storage_lock(storage_mutex_);
  std::lock_guard<std::mutex> id_lock(id_mutex_);
  std::lock_guard<std::mutex> entry_lock(entry_mutex_);
  const uint32_t old_slots = num_slots_;
  if (num_deleted_ > 0) {
    for (uint32_t s = 0; s < old_slots; ++s) {
      if (IsDeleted(s)) continue;
      for (int l = 0; l <= slot_levels_[s]; ++l) RepairNode(s, l);
    }
  }
  std::vector<uint32_t> remap(old_slots, std::numeric_limits<uint32_t>::max());
  uint32_t live = 0;
  int64_t new_entry = -1;
  int new_max_level = -1;
  for (uint32_t s = 0; s < old_slots; ++s) {
    if (IsDeleted(s)) continue;
    remap[s] = live++;
    if (static_cast<int>(slot_levels_[s]) > new_max_level) {
      new_max_level = slot_levels_[s];
      new_entry = remap[s];
    }
  }
  // Keep the old entry point when it survives (its level is the maximum).
  if (entry_slot_ >= 0 && !IsDeleted(static_cast<uint32_t>(entry_slot_))) {
    new_entry = remap[static_cast<size_t>(entry_slot_)];
  }
  const size_t new_capacity = live;
  uint32_t* storage = AllocateStorage(new_capacity * record_words_);
  std::vector<int64_t> ids(new_capacity);
  std::vector<uint8_t> levels(new_capacity);
  std::vector<std::unique_ptr<uint32_t[]>> upper(new_capacity);
  auto flags = std::make_unique<uint8_t[]>(new_capacity);
  size_t upper_words = 0;
  for (uint32_t s = 0; s < old_slots; ++s) {
    if (IsDeleted(s)) continue;
    const uint32_t t = remap[s];
    uint32_t* record = storage + size_t{t} * record_words_;
    std::memcpy(record, Record(s), record_words_ * sizeof(uint32_t));
    uint32_t* list0 = record + links_offset_words_;
    for (uint32_t i = 1; i <= list0[0]; ++i) list0[i] = remap[list0[i]];
    ids[t] = slot_ids_[s];
    levels[t] = slot_levels_[s];
    flags[t] = kReady;
    if (levels[t] > 0) {
      const size_t words = size_t{levels[t]} * (1 + options_.M);
      upper[t] = std::move(upper_[s]);
      upper_words += words;
      for (int l = 1; l <= levels[t]; ++l) {
        uint32_t* list = upper[t].get() + size_t(l - 1) * (1 + options_.M);
        for (uint32_t i = 1; i <= list[0]; ++i) list[i] = remap[list[i]];
      }
    }
  }
  FreeStorage(storage_);
  storage_ = storage;
  capacity_ = new_capacity;
  slot_ids_ = std::move(ids);
  slot_levels_ = std::move(levels);
  upper_ = std::move(upper);
  slot_flags_ = std::move(flags);
  link_locks_ = std::make_unique<uint8_t[]>(new_capacity);
  upper_words_.store(upper_words, std::memory_order_relaxed);
  num_slots_ = live;
  num_deleted_ = 0;
  id_to_slot_.clear();
  id_to_slot_.reserve(live);
  for (uint32_t t = 0; t < live; ++t) id_to_slot_.emplace(slot_ids_[t], t);
  entry_slot_ = live == 0 ? -1 : new_entry;
  max_level_ = live == 0 ? -1 : new_max_level;
  scratch_pool_->Clear();
}

void HNSW::set_ef_search(int32_t ef) {
  ef_search_.store(std::max<int32_t>(1, ef), std::memory_order_relaxed);
}

int64_t HNSW::size() const {
  std::lock_guard<std::mutex> lock(id_mutex_);
  return static_cast<int64_t>(num_slots_) - num_deleted_;
}

bool HNSW::Contains(int64_t vec_id) const {
  std::lock_guard<std::mutex> lock(id_mutex_);
  return id_to_slot_.contains(vec_id);
}

HnswStats HNSW::Stats() const {
  std::shared_lock<std::shared_mutex> storage_lock(storage_mutex_);
  HnswStats stats;
  {
    std::lock_guard<std::mutex> lock(id_mutex_);
    stats.num_vectors = static_cast<int64_t>(num_slots_) - num_deleted_;
    stats.num_deleted = num_deleted_;
    stats.memory_bytes += static_cast<int64_t>(
        id_to_slot_.capacity() * (sizeof(std::pair<int64_t, uint32_t>) + 1));
  }
  {
    std::lock_guard<std::mutex> lock(entry_mutex_);
    stats.max_level = max_level_;
    stats.num_layers = max_level_ + 1;
    stats.entry_point = entry_slot_ < 0 ? -1 : slot_ids_[static_cast<size_t>(entry_slot_)];
  }
  stats.capacity = static_cast<int64_t>(capacity_);
  stats.memory_bytes += static_cast<int64_t>(
      capacity_ * (record_words_ * sizeof(uint32_t) + sizeof(int64_t) + 2 +
                   sizeof(std::unique_ptr<uint32_t[]>) + 1) +
      upper_words_.load(std::memory_order_relaxed) * sizeof(uint32_t) + scratch_pool_->bytes());
  stats.simd = kernels_->name;
  return stats;
}

absl::StatusOr<std::vector<int64_t>> HNSW::GetNeighbors(int64_t vec_id, int level) const {
  std::shared_lock<std::shared_mutex> storage_lock(storage_mutex_);
  uint32_t slot;
  {
    std::lock_guard<std::mutex> lock(id_mutex_);
    auto it = id_to_slot_.find(vec_id);
    if (it == id_to_slot_.end()) {
      return absl::NotFoundError(absl::StrFormat("vec_id %d is not in the index", vec_id));
    }
    slot = it->second;
  }
  if (level < 0 || level > slot_levels_[slot]) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "level %d; vec_id %d has levels 0..%d", level, vec_id, slot_levels_[slot]));
  }
  const uint32_t* list = Links(slot, level);
  std::vector<int64_t> out;
  const uint32_t count = LoadAcquire(list);
  for (uint32_t i = 1; i <= count; ++i) out.push_back(slot_ids_[LoadAcquire(list + i)]);
  return out;
}

absl::Status HNSW::CheckInvariants() const {
  std::unique_lock<std::shared_mutex> storage_lock(storage_mutex_);
  return CheckInvariantsLocked();
}

absl::Status HNSW::CheckInvariantsLocked() const {
  std::lock_guard<std::mutex> id_lock(id_mutex_);
  std::lock_guard<std::mutex> entry_lock(entry_mutex_);
  auto fail = [](const std::string& what) { return absl::InternalError(what); };
  if (num_slots_ > capacity_) return fail("invariant 1: num_slots > capacity");
  int64_t deleted = 0;
  int max_level = -1;
  for (uint32_t s = 0; s < num_slots_; ++s) {
    if (!IsReady(s)) return fail(absl::StrFormat("invariant 1: slot %d not ready", s));
    const int level = slot_levels_[s];
    if (level > kMaxLevel) return fail(absl::StrFormat("slot %d level %d too high", s, level));
    max_level = std::max(max_level, level);
    if (IsDeleted(s)) {
      ++deleted;
    } else {
      auto it = id_to_slot_.find(slot_ids_[s]);
      if (it == id_to_slot_.end() || it->second != s) {
        return fail(absl::StrFormat("invariant 2: id %d of slot %d not mapped", slot_ids_[s], s));
      }
    }
  }
  if (deleted != num_deleted_) return fail("invariant 2: deleted count mismatch");
  if (static_cast<int64_t>(id_to_slot_.size()) != static_cast<int64_t>(num_slots_) - deleted) {
    return fail("invariant 2: id map size mismatch");
  }
  for (uint32_t s = 0; s < num_slots_; ++s) {
    for (int l = 0; l <= slot_levels_[s]; ++l) {
      const uint32_t* list = Links(s, l);
      if (list[0] > static_cast<uint32_t>(MaxLinks(l))) {
        return fail(absl::StrFormat("invariant 3: slot %d level %d has %d links", s, l, list[0]));
      }
      for (uint32_t i = 1; i <= list[0]; ++i) {
        const uint32_t t = list[i];
        if (t >= num_slots_ || t == s || slot_levels_[t] < l) {
          return fail(absl::StrFormat("invariant 3: slot %d level %d links to %d", s, l, t));
        }
        for (uint32_t j = 1; j < i; ++j) {
          if (list[j] == t) {
            return fail(absl::StrFormat("invariant 3: slot %d level %d duplicate link", s, l));
          }
        }
      }
    }
    const float* v = Vector(s);
    double norm2 = 0;
    for (int i = 0; i < options_.dim; ++i) {
      if (!std::isfinite(v[i])) return fail(absl::StrFormat("invariant 5: slot %d not finite", s));
      norm2 += static_cast<double>(v[i]) * v[i];
    }
    if (options_.metric == Metric::kCosine && std::fabs(norm2 - 1.0) > 1e-3) {
      return fail(absl::StrFormat("invariant 5: slot %d not unit norm", s));
    }
  }
  if (num_slots_ == 0) {
    if (entry_slot_ != -1 || max_level_ != -1) return fail("invariant 4: empty with entry point");
  } else {
    if (entry_slot_ < 0 || entry_slot_ >= static_cast<int64_t>(num_slots_)) {
      return fail("invariant 4: entry point out of range");
    }
    if (max_level_ != max_level || slot_levels_[static_cast<size_t>(entry_slot_)] != max_level) {
      return fail(absl::StrFormat("invariant 4: max_level %d, entry level %d, true max %d",
                                  max_level_, slot_levels_[static_cast<size_t>(entry_slot_)],
                                  max_level));
    }
  }
  return absl::OkStatus();
}

}  // namespace llmds
