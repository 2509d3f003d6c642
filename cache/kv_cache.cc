// Copyright 2026 The llmds Authors.

#include "llmds/cache/kv_cache.h"

#include <xxhash.h>

#include <algorithm>
#include <utility>

#include "llmds/utils/check.h"

namespace llmds {
namespace {

constexpr uint64_t kRootHash = 0x51ED27A1C0FFEE01ull;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

absl::StatusOr<std::unique_ptr<KVCache>> KVCache::Create(const KVCacheOptions& options) {
  if (options.page_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KVCache: page_size must be > 0, got ", options.page_size));
  }
  if (options.max_pages <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KVCache: max_pages must be > 0, got ", options.max_pages));
  }
  if (options.token_bytes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KVCache: token_bytes must be > 0, got ", options.token_bytes));
  }
  if (static_cast<int64_t>(options.page_size) * options.token_bytes > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError(absl::StrCat("KVCache: page_size * token_bytes = ",
                                                   options.page_size, " * ",
                                                   options.token_bytes, " exceeds 2^30"));
  }
  absl::StatusOr<PagedAllocator> allocator =
      PagedAllocator::Create(options.page_size, options.max_pages);
  if (!allocator.ok()) return allocator.status();
  return std::unique_ptr<KVCache>(new KVCache(options, std::move(allocator).value()));
}

KVCache::KVCache(const KVCacheOptions& options, PagedAllocator allocator)
    : page_size_(options.page_size),
      token_bytes_(options.token_bytes),
      sharing_(options.enable_prefix_sharing),
      page_bytes_(static_cast<size_t>(options.page_size) * options.token_bytes),
      allocator_(std::move(allocator)) {}

std::byte* KVCache::PageData(int32_t page) {
  return slabs_[page / kSlabPages].get() + (page % kSlabPages) * page_bytes_;
}
const std::byte* KVCache::PageData(int32_t page) const {
  return slabs_[page / kSlabPages].get() + (page % kSlabPages) * page_bytes_;
}

int32_t KVCache::Find(uint64_t hash, int32_t parent, absl::Span<const int32_t> tokens,
                      const std::byte* data, bool* token_match) const {
  auto it = index_.find(hash);
  if (it == index_.end()) return -1;
  for (int32_t p = it->second; p != -1; p = pages_[p].next_in_bucket) {
    const Page& page = pages_[p];
    if (page.parent != parent || !std::equal(page.tokens.begin(), page.tokens.end(),
                                             tokens.begin(), tokens.end())) {
      continue;
    }
    if (data == nullptr || std::memcmp(PageData(p), data, page_bytes_) == 0) return p;
    *token_match = true;
  }
  return -1;
}

void KVCache::LruAppend(int32_t p) {
  Page& page = pages_[p];
  page.prev = lru_tail_;
  page.next = -1;
  if (lru_tail_ != -1) pages_[lru_tail_].next = p; else lru_head_ = p;
  lru_tail_ = p;
  page.in_lru = true;
  ++lru_size_;
}

void KVCache::LruRemove(int32_t p) {
  Page& page = pages_[p];
  if (page.prev != -1) pages_[page.prev].next = page.next; else lru_head_ = page.next;
  if (page.next != -1) pages_[page.next].prev = page.prev; else lru_tail_ = page.prev;
  page.prev = page.next = -1;
  page.in_lru = false;
  --lru_size_;
}

void KVCache::Unregister(int32_t p) {
  Page& page = pages_[p];
  auto it = index_.find(page.hash);
  LLMDS_DCHECK(it != index_.end());
  if (it->second == p) {
    if (page.next_in_bucket == -1) index_.erase(it); else it->second = page.next_in_bucket;
  } else {
    int32_t q = it->second;
    while (pages_[q].next_in_bucket != p) q = pages_[q].next_in_bucket;
    pages_[q].next_in_bucket = page.next_in_bucket;
  }
  if (page.parent != -1) --pages_[page.parent].num_children;
  page = Page();
  --registered_;
}

int32_t KVCache::AllocatePage() {
  if (allocator_.Stats().free_pages == 0) {
    // Evict the least recently released cached page; the head never has cached children.
    const int32_t victim = lru_head_;
    LLMDS_CHECK(victim != -1);
    LLMDS_DCHECK_EQ(pages_[victim].num_children, 0);
    LruRemove(victim);
    Unregister(victim);
    LLMDS_CHECK(allocator_.Free({victim}).ok());
    ++evictions_;
  }
  absl::StatusOr<std::vector<int32_t>> ids = allocator_.Alloc(1);
  LLMDS_CHECK(ids.ok());
  const int32_t p = (*ids)[0];
  if (static_cast<size_t>(p) >= pages_.size()) pages_.resize(static_cast<size_t>(p) + 1);
  while (static_cast<size_t>(p / kSlabPages) >= slabs_.size()) {
    slabs_.push_back(std::make_unique<std::byte[]>(page_bytes_ * kSlabPages));
  }
  pages_[p] = Page();
  pages_[p].ref = 1;
  return p;
}

void KVCache::ReleasePage(int32_t p) {
  Page& page = pages_[p];
  LLMDS_DCHECK_GT(page.ref, 0);
  if (--page.ref > 0) return;
  if (page.registered) {
    LruAppend(p);
  } else {
    page = Page();
    LLMDS_CHECK(allocator_.Free({p}).ok());
  }
}

absl::Status KVCache::Attach(int64_t seq_id, absl::Span<const std::byte> kv,
                             absl::Span<const int32_t> prefix_tokens) {
  if (kv.size() % static_cast<size_t>(token_bytes_) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("KVCache::Attach: kv has ", kv.size(),
                                                   " bytes, not a multiple of token_bytes ",
                                                   token_bytes_));
  }
  const int64_t num_tokens = static_cast<int64_t>(kv.size()) / token_bytes_;
  if (static_cast<int64_t>(prefix_tokens.size()) > num_tokens) {
    return absl::InvalidArgumentError(
        absl::StrCat("KVCache::Attach: prefix_tokens has ", prefix_tokens.size(),
                     " tokens, the sequence only ", num_tokens));
  }
  const int64_t pages_needed = CeilDiv(num_tokens, page_size_);
  const int64_t shareable =
      sharing_ ? static_cast<int64_t>(prefix_tokens.size()) / page_size_ : 0;
  // Plan (no change yet): the leading run of pages already stored with equal tokens and data.
  std::vector<int32_t> hits;
  std::vector<uint64_t> hashes;
  bool cow = false;
  uint64_t parent_hash = kRootHash;
  int32_t parent = -1;
  for (int64_t i = 0; i < shareable; ++i) {
    absl::Span<const int32_t> chunk = prefix_tokens.subspan(i * page_size_, page_size_);
    const uint64_t h =
        XXH3_64bits_withSeed(chunk.data(), chunk.size() * sizeof(int32_t), parent_hash);
    hashes.push_back(h);
    parent_hash = h;
    if (static_cast<int64_t>(hits.size()) == i) {
      bool token_match = false;
      const int32_t p = Find(h, parent, chunk, kv.data() + i * page_bytes_, &token_match);
      if (p != -1) {
        hits.push_back(p);
        parent = p;
      } else {
        cow = token_match;
      }
    }
  }
  // Room: free pages, cached pages not about to be hit, and pages the old attachment releases.
  int64_t available = allocator_.Stats().free_pages + lru_size_;
  for (int32_t p : hits) available -= pages_[p].in_lru ? 1 : 0;
  auto old = sequences_.find(seq_id);
  if (old != sequences_.end()) {
    for (int32_t p : old->second.pages) {
      if (pages_[p].ref == 1 && std::find(hits.begin(), hits.end(), p) == hits.end()) {
        ++available;
      }
    }
  }
  const int64_t new_pages = pages_needed - static_cast<int64_t>(hits.size());
  if (new_pages > available) {
    return absl::ResourceExhaustedError(absl::StrCat("KVCache::Attach: sequence ", seq_id,
                                                     " needs ", new_pages, " new pages, only ",
                                                     available, " can be freed"));
  }
  // Commit: nothing fails from here on.
  Sequence seq;
  seq.num_tokens = num_tokens;
  for (int32_t p : hits) {
    if (pages_[p].in_lru) LruRemove(p);
    ++pages_[p].ref;
    seq.pages.push_back(p);
  }
  if (old != sequences_.end()) {
    const std::vector<int32_t> old_pages = std::move(old->second.pages);
    sequences_.erase(old);
    for (auto it = old_pages.rbegin(); it != old_pages.rend(); ++it) ReleasePage(*it);
  }
  if (cow) ++cow_copies_;
  for (int64_t i = static_cast<int64_t>(hits.size()); i < pages_needed; ++i) {
    const int32_t p = AllocatePage();
    const size_t begin = static_cast<size_t>(i) * page_bytes_;
    const size_t n = std::min(kv.size() - begin, page_bytes_);
    std::memcpy(PageData(p), kv.data() + begin, n);
    if (i < shareable) {
      Page& page = pages_[p];
      page.registered = true;
      page.parent = i == 0 ? -1 : seq.pages.back();
      page.hash = hashes[i];
      page.tokens.assign(prefix_tokens.begin() + i * page_size_,
                         prefix_tokens.begin() + (i + 1) * page_size_);
      auto [it, inserted] = index_.try_emplace(page.hash, p);
      page.next_in_bucket = inserted ? -1 : it->second;
      it->second = p;
      if (page.parent != -1) ++pages_[page.parent].num_children;
      ++registered_;
    }
    seq.pages.push_back(p);
  }
  prefix_shares_ += static_cast<int64_t>(hits.size());
  prefix_hit_tokens_ += static_cast<int64_t>(hits.size()) * page_size_;
  sequences_[seq_id] = std::move(seq);
  return absl::OkStatus();
}

absl::Status KVCache::Detach(int64_t seq_id) {
  auto it = sequences_.find(seq_id);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("KVCache::Detach: unknown sequence ", seq_id));
  }
  const std::vector<int32_t> pages = std::move(it->second.pages);
  sequences_.erase(it);
  for (auto p = pages.rbegin(); p != pages.rend(); ++p) ReleasePage(*p);
  return absl::OkStatus();
}

std::optional<std::vector<std::byte>> KVCache::Get(int64_t seq_id) const {
  auto it = sequences_.find(seq_id);
  if (it == sequences_.end()) return std::nullopt;
  const size_t total = static_cast<size_t>(it->second.num_tokens) * token_bytes_;
  std::vector<std::byte> out(total);
  for (size_t i = 0; i < it->second.pages.size(); ++i) {
    const size_t begin = i * page_bytes_;
    std::memcpy(out.data() + begin, PageData(it->second.pages[i]),
                std::min(total - begin, page_bytes_));
  }
  return out;
}

KVCacheStats KVCache::Stats() const {
  KVCacheStats s;
  const PageStats ps = allocator_.Stats();
  s.sequences = static_cast<int64_t>(sequences_.size());
  s.total_pages = ps.total_pages;
  s.allocated_pages = ps.allocated_pages;
  s.free_pages = ps.free_pages;
  s.cached_pages = lru_size_;
  s.prefix_shares = prefix_shares_;
  s.prefix_map_size = registered_;
  for (const Page& p : pages_) {
    s.shared_pages_count += p.ref > 1 ? 1 : 0;
    s.total_page_refs += p.ref;
  }
  s.cow_copies = cow_copies_;
  s.evictions = evictions_;
  s.prefix_hit_tokens = prefix_hit_tokens_;
  return s;
}

absl::Status KVCache::CheckInvariants() const {
  auto fail = [](auto&&... args) { return absl::InternalError(absl::StrCat(args...)); };
  if (absl::Status s = allocator_.CheckInvariants(); !s.ok()) return s;
  std::vector<int32_t> refs(pages_.size(), 0);
  for (const auto& [id, seq] : sequences_) {
    if (static_cast<int64_t>(seq.pages.size()) != CeilDiv(seq.num_tokens, page_size_)) {
      return fail("sequence ", id, " page count wrong");
    }
    for (int32_t p : seq.pages) {
      if (p < 0 || static_cast<size_t>(p) >= pages_.size()) return fail("bad page ", p);
      ++refs[p];
    }
  }
  int32_t allocated = 0, cached = 0;
  int64_t registered = 0;
  std::vector<int32_t> children(pages_.size(), 0);
  for (size_t p = 0; p < pages_.size(); ++p) {
    const Page& page = pages_[p];
    if (page.ref != refs[p]) return fail("page ", p, " ref ", page.ref, " recomputed ", refs[p]);
    const bool alloc = allocator_.IsAllocated(static_cast<int32_t>(p));
    if (page.ref > 0 && !alloc) return fail("used page ", p, " not allocated");
    if (page.ref == 0 && alloc && !page.registered) return fail("leaked page ", p);
    if (page.ref == 0 && page.registered != page.in_lru) return fail("page ", p, " lru state");
    if (page.ref > 0 && page.in_lru) return fail("used page ", p, " in lru");
    allocated += alloc ? 1 : 0;
    cached += page.in_lru ? 1 : 0;
    if (page.registered) {
      ++registered;
      if (!alloc) return fail("registered page ", p, " not allocated");
      if (page.parent != -1) {
        if (!pages_[page.parent].registered) return fail("page ", p, " parent unregistered");
        ++children[page.parent];
      }
      const uint64_t ph = page.parent == -1 ? kRootHash : pages_[page.parent].hash;
      if (XXH3_64bits_withSeed(page.tokens.data(), page.tokens.size() * sizeof(int32_t), ph) !=
          page.hash) {
        return fail("page ", p, " digest mismatch");
      }
      bool found = false;
      auto it = index_.find(page.hash);
      for (int32_t q = it == index_.end() ? -1 : it->second; q != -1;
           q = pages_[q].next_in_bucket) {
        found |= static_cast<size_t>(q) == p;
      }
      if (!found) return fail("page ", p, " unreachable from the index");
    }
  }
  for (size_t p = 0; p < pages_.size(); ++p) {
    if (pages_[p].registered && pages_[p].num_children != children[p]) {
      return fail("page ", p, " child count");
    }
  }
  if (allocated != allocator_.Stats().allocated_pages) return fail("allocated count mismatch");
  if (cached != lru_size_) return fail("lru size mismatch");
  if (registered != registered_) return fail("registered count mismatch");
  std::vector<int64_t> position(pages_.size(), -1);
  int64_t pos = 0;
  for (int32_t p = lru_head_; p != -1; p = pages_[p].next) {
    if (pos > lru_size_) return fail("lru cycle");
    position[p] = pos++;
  }
  for (size_t p = 0; p < pages_.size(); ++p) {
    const Page& page = pages_[p];
    if (page.in_lru && page.parent != -1 && pages_[page.parent].in_lru &&
        position[page.parent] < position[p]) {
      return fail("page ", page.parent, " would be evicted before its child ", p);
    }
  }
  return absl::OkStatus();
}

}  // namespace llmds
