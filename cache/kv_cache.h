// Copyright 2026 The llmds Authors.
//
// KVCache: per-sequence KV data stored in fixed-size pages, with prefix sharing. Each sequence
// attaches its data (token_bytes per token) and, optionally, the token ids of its shareable
// prefix; whole prefix pages with equal tokens AND equal data are stored once and reference
// counted. Get returns an independent copy, so no caller can reach shared bytes mutably.
//
//   KVCacheOptions options;
//   options.page_size = 16;
//   options.token_bytes = 8;
//   LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<KVCache> cache, KVCache::Create(options));
//   LLMDS_RETURN_IF_ERROR(cache->Attach<uint64_t>(1, kv_values, prompt_tokens));
//   std::optional<std::vector<uint64_t>> copy = cache->GetAs<uint64_t>(1);
//   LLMDS_RETURN_IF_ERROR(cache->Detach(1));
//
// Sharing. A prefix page is identified by a chained XXH3 digest of the prefix token ids up to
// and including it. A hit is verified against the stored token ids and the parent page, so two
// different prefixes never share a page. A page is shared only when its stored data also
// equals the new data; otherwise the writer gets its own page (copy-on-write, counted in
// cow_copies), which is registered as another variant of that prefix so later attaches with
// the same data share it. Pages after the first unshared one are private to the chain that
// continues from it. Only pages fully covered by prefix_tokens are shareable.
//
// Caching. Reference counts free a page only when its last user detaches; a released prefix
// page stays cached (evictable, least recently released first, never before its cached
// descendants) so a later sequence with the same prefix still hits. Non-prefix pages are freed
// at once. Attach evicts cached pages when the pool is full.
//
// Errors. A failed Attach (bad size, too long a prefix, out of pages) changes nothing,
// including a previous attachment of the same seq_id.
//
// Memory: page data lives in slabs of kSlabPages pages, allocated as page ids are first used
// (the page ids come from a PagedAllocator), so memory grows with pages in use.
//
// `KVCache` is thread-compatible: const methods may run concurrently; the rest need external
// synchronization.

#ifndef LLMDS_CACHE_KV_CACHE_H_
#define LLMDS_CACHE_KV_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "llmds/memory/paged_allocator.h"

namespace llmds {

struct KVCacheOptions {
  int32_t page_size = 512;   // tokens per page; > 0
  int32_t max_pages = 10000; // > 0
  bool enable_prefix_sharing = true;
  int32_t token_bytes = 4;   // bytes of KV data per token; > 0, page_size * token_bytes <= 2^30
};

struct KVCacheStats {
  int64_t sequences = 0;
  int32_t total_pages = 0;       // max_pages
  int32_t allocated_pages = 0;   // holding data: used + cached
  int32_t free_pages = 0;
  int32_t cached_pages = 0;      // unreferenced prefix pages kept for reuse
  int64_t prefix_shares = 0;     // pages reused by Attach (cumulative)
  int64_t prefix_map_size = 0;   // registered prefix pages (used or cached)
  int64_t shared_pages_count = 0;  // pages referenced by more than one sequence
  int64_t total_page_refs = 0;   // sum of reference counts
  int64_t cow_copies = 0;        // token-equal pages stored separately because data differed
  int64_t evictions = 0;         // cached pages reclaimed
  int64_t prefix_hit_tokens = 0; // tokens served from shared pages (cumulative)
};

class KVCache {
 public:
  static constexpr int32_t kSlabPages = 64;

  // Returns a cache, or InvalidArgument naming the bad option.
  static absl::StatusOr<std::unique_ptr<KVCache>> Create(const KVCacheOptions& options);

  KVCache(const KVCache&) = delete;
  KVCache& operator=(const KVCache&) = delete;

  // Stores `kv` (token_bytes per token) for `seq_id`, sharing whole prefix pages covered by
  // `prefix_tokens` (the token ids of its first prefix_tokens.size() tokens). Replaces an
  // existing attachment of seq_id. Errors (nothing changes): InvalidArgument if kv.size() is
  // not a multiple of token_bytes or prefix_tokens is longer than the sequence;
  // ResourceExhausted if the pages cannot be found even after evicting cached pages.
  absl::Status Attach(int64_t seq_id, absl::Span<const std::byte> kv,
                      absl::Span<const int32_t> prefix_tokens = {});

  // Typed convenience: sizeof(T) must equal token_bytes (else InvalidArgument).
  template <typename T>
  absl::Status Attach(int64_t seq_id, absl::Span<const T> kv,
                      absl::Span<const int32_t> prefix_tokens = {}) {
    static_assert(std::is_trivially_copyable<T>::value, "KV element must be trivially copyable");
    if (static_cast<int64_t>(sizeof(T)) != token_bytes_) {
      return absl::InvalidArgumentError(absl::StrCat("KVCache::Attach: sizeof(T) is ",
                                                     sizeof(T), ", token_bytes is ",
                                                     token_bytes_));
    }
    return Attach(seq_id,
                  absl::Span<const std::byte>(reinterpret_cast<const std::byte*>(kv.data()),
                                              kv.size() * sizeof(T)),
                  prefix_tokens);
  }

  // Releases seq_id's pages. NotFound if unknown.
  absl::Status Detach(int64_t seq_id);

  // Returns a copy of seq_id's data, or nullopt if unknown.
  std::optional<std::vector<std::byte>> Get(int64_t seq_id) const;

  // Typed copy; nullopt if unknown or sizeof(T) != token_bytes.
  template <typename T>
  std::optional<std::vector<T>> GetAs(int64_t seq_id) const {
    static_assert(std::is_trivially_copyable<T>::value, "KV element must be trivially copyable");
    if (static_cast<int64_t>(sizeof(T)) != token_bytes_) return std::nullopt;
    std::optional<std::vector<std::byte>> bytes = Get(seq_id);
    if (!bytes) return std::nullopt;
    std::vector<T> out(bytes->size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), bytes->data(), bytes->size());
    return out;
  }

  KVCacheStats Stats() const;

  // Recomputes reference counts, page states, the prefix index and the eviction list from
  // scratch and compares them with the cache's own. Returns Internal on a violation.
  absl::Status CheckInvariants() const;

 private:
  struct Page {
    int32_t ref = 0;
    bool registered = false;
    bool in_lru = false;
    int32_t parent = -1;
    int32_t num_children = 0;
    int32_t next_in_bucket = -1;
    int32_t prev = -1;
    int32_t next = -1;
    uint64_t hash = 0;
    std::vector<int32_t> tokens;  // registered pages only
  };
  struct Sequence {
    std::vector<int32_t> pages;
    int64_t num_tokens = 0;
  };

  KVCache(const KVCacheOptions& options, PagedAllocator allocator);

  std::byte* PageData(int32_t page);
  const std::byte* PageData(int32_t page) const;
  // Finds a registered page (parent, tokens) with digest `hash`; with data equal when
  // `data` is non-null. Sets *token_match if some candidate matched tokens only.
  int32_t Find(uint64_t hash, int32_t parent, absl::Span<const int32_t> tokens,
               const std::byte* data, bool* token_match) const;
  int32_t AllocatePage();
  void ReleasePage(int32_t page);
  void LruAppend(int32_t page);
  void LruRemove(int32_t page);
  void Unregister(int32_t page);

  const int32_t page_size_;
  const int32_t token_bytes_;
  const bool sharing_;
  const size_t page_bytes_;

  // Invariants:
  //  1. pages_[p].ref == occurrences of p in all sequences; allocated pages are used (ref > 0)
  //     or cached (ref 0, registered, in the LRU list).
  //  2. Registered pages are in index_ under their digest; their parents are registered.
  //  3. In the LRU list every cached page comes after its cached children.
  PagedAllocator allocator_;
  std::vector<Page> pages_;
  std::vector<std::unique_ptr<std::byte[]>> slabs_;
  absl::flat_hash_map<uint64_t, int32_t> index_;
  absl::flat_hash_map<int64_t, Sequence> sequences_;
  int32_t lru_head_ = -1;
  int32_t lru_tail_ = -1;
  int32_t lru_size_ = 0;
  int64_t registered_ = 0;
  int64_t prefix_shares_ = 0;
  int64_t cow_copies_ = 0;
  int64_t evictions_ = 0;
  int64_t prefix_hit_tokens_ = 0;
};

}  // namespace llmds

#endif  // LLMDS_CACHE_KV_CACHE_H_
