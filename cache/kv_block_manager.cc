// Copyright 2026 The llmds Authors.

#include "llmds/cache/kv_block_manager.h"

// Optimized builds inline XXH3 (same digests) so hashing a block costs no library call.
#if defined(__OPTIMIZE__)
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "llmds/utils/check.h"

namespace llmds {
namespace {

constexpr uint64_t kRootHash = 0x9E3779B97F4A7C15ull;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

uint64_t ExtraSeed(uint64_t extra_key) { return Mix(extra_key + 0x632BE59BD9B4E019ull); }

// The default digest of one block (also the sequences' content digest).
inline uint64_t DefaultDigest(uint64_t parent_hash, const int32_t* tokens, int32_t block_size,
                              uint64_t extra_seed) {
  return XXH3_64bits_withSeed(tokens, static_cast<size_t>(block_size) * sizeof(int32_t),
                              parent_hash ^ extra_seed);
}

// One step of a sequence's tail digest (the tokens of its partial last block).
inline uint64_t TailStep(uint64_t digest, int32_t token) {
  const uint64_t x = ((digest << 29) | (digest >> 35)) ^
                     (static_cast<uint64_t>(static_cast<uint32_t>(token)) + 1);
  return x * 0x9E3779B97F4A7C15ull;
}

uint64_t TailDigest(const int32_t* tokens, size_t n) {
  uint64_t d = 0;
  for (size_t i = 0; i < n; ++i) d = TailStep(d, tokens[i]);
  return d;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KVBlockManager>> KVBlockManager::Create(
    const KVBlockManagerOptions& options) {
  if (options.block_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KVBlockManager: block_size must be > 0, got ", options.block_size));
  }
  if (options.num_blocks <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KVBlockManager: num_blocks must be > 0, got ", options.num_blocks));
  }
  if (static_cast<int64_t>(options.block_size) * options.num_blocks > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KVBlockManager: block_size * num_blocks must be <= 2^30, got ", options.block_size,
        " * ", options.num_blocks));
  }
  return std::unique_ptr<KVBlockManager>(new KVBlockManager(options));
}

KVBlockManager::KVBlockManager(const KVBlockManagerOptions& options)
    : block_size_(options.block_size),
      num_blocks_(options.num_blocks),
      prefix_caching_(options.enable_prefix_caching),
      block_hash_(options.block_hash) {
  blocks_.resize(static_cast<size_t>(num_blocks_));
  tokens_.resize(static_cast<size_t>(num_blocks_) * static_cast<size_t>(block_size_));
  free_list_.reserve(static_cast<size_t>(num_blocks_));
  // Low ids are handed out first.
  for (int32_t b = num_blocks_ - 1; b >= 0; --b) free_list_.push_back(b);
}

uint64_t KVBlockManager::HashBlock(uint64_t parent_hash, absl::Span<const int32_t> tokens,
                                   uint64_t extra_key) const {
  if (block_hash_) return block_hash_(parent_hash, tokens, extra_key);
  return XXH3_64bits_withSeed(tokens.data(), tokens.size() * sizeof(int32_t),
                              parent_hash ^ ExtraSeed(extra_key));
}

inline uint64_t KVBlockManager::HashBlockSeeded(uint64_t parent_hash, const int32_t* tokens,
                                                uint64_t extra_key, uint64_t extra_seed) const {
  if (block_hash_) {
    return block_hash_(parent_hash,
                       absl::Span<const int32_t>(tokens, static_cast<size_t>(block_size_)),
                       extra_key);
  }
  return DefaultDigest(parent_hash, tokens, block_size_, extra_seed);
}

void KVBlockManager::SealBlock(Sequence& seq, size_t i, bool tail_written) {
  const int32_t* own = BlockTokens(seq.blocks[i]).data();
  // When the tail digest covers every token given for this block, the stored tokens must match
  // it (a wrong last token would otherwise enter the content digest unnoticed).
  if (tail_written) LLMDS_DCHECK_EQ(seq.tail_digest, TailDigest(own, block_size_));
  // With the default digest function and prefix caching, MaybeRegister computes the block's
  // digest from these very tokens, chained on the sequence's previous block, and the block the
  // table ends up with (this one or a verified twin) carries that digest: it is the content
  // digest. Otherwise the content digest is computed here, before any deduplication.
  const bool reuse = !block_hash_ && prefix_caching_;
  const uint64_t computed =
      reuse ? 0 : DefaultDigest(seq.content_digest, own, block_size_, seq.extra_seed);
  MaybeRegister(seq, i);
  seq.last_block = seq.blocks.back();  // deduplication may have replaced block i
  if (reuse) {
    LLMDS_DCHECK(seq.num_registered > i);
    seq.content_digest = blocks_[seq.blocks[i]].hash;
  } else {
    seq.content_digest = computed;
  }
  seq.tail_digest = 0;
}

absl::Span<const int32_t> KVBlockManager::BlockTokens(int32_t block) const {
  return absl::Span<const int32_t>(tokens_.data() + static_cast<size_t>(block) * block_size_,
                                   static_cast<size_t>(block_size_));
}

int32_t* KVBlockManager::MutableBlockTokens(int32_t block) {
  return tokens_.data() + static_cast<size_t>(block) * block_size_;
}

int32_t KVBlockManager::FindRegistered(uint64_t hash, int32_t parent,
                                       absl::Span<const int32_t> tokens,
                                       uint64_t extra_key) const {
  const size_t bytes = static_cast<size_t>(block_size_) * sizeof(int32_t);
  return index_.FindIf(hash, [&](int32_t b) {
    const Block& block = blocks_[b];
    // Verification: the digest only nominates candidates.
    return block.parent == parent && block.extra_key == extra_key &&
           std::memcmp(BlockTokens(b).data(), tokens.data(), bytes) == 0;
  });
}

std::vector<int32_t> KVBlockManager::MatchPrefix(absl::Span<const int32_t> tokens,
                                                 uint64_t extra_key) const {
  std::vector<int32_t> hits;
  MatchPrefixInto(tokens, extra_key, &hits);
  return hits;
}

void KVBlockManager::MatchPrefixInto(absl::Span<const int32_t> tokens, uint64_t extra_key,
                                     std::vector<int32_t>* hits) const {
  if (!prefix_caching_) return;
  const size_t full = tokens.size() / static_cast<size_t>(block_size_);
  const uint64_t extra_seed = ExtraSeed(extra_key);
  uint64_t parent_hash = kRootHash;
  int32_t parent = -1;
  for (size_t i = 0; i < full; ++i) {
    absl::Span<const int32_t> chunk = tokens.subspan(i * block_size_, block_size_);
    const uint64_t h = HashBlockSeeded(parent_hash, chunk.data(), extra_key, extra_seed);
    const int32_t b = FindRegistered(h, parent, chunk, extra_key);
    if (b < 0) break;
    hits->push_back(b);
    parent = b;
    parent_hash = h;
  }
}

int64_t KVBlockManager::CachedPrefixLength(absl::Span<const int32_t> tokens) const {
  return CachedPrefixLength(tokens, 0);
}

int64_t KVBlockManager::CachedPrefixLength(absl::Span<const int32_t> tokens,
                                           uint64_t extra_key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(MatchPrefix(tokens, extra_key).size()) * block_size_;
}

int32_t KVBlockManager::AvailableBlocks() const {
  return static_cast<int32_t>(free_list_.size()) + evictable_;
}

void KVBlockManager::ListAppend(int32_t b) {
  Block& block = blocks_[b];
  LLMDS_DCHECK(!block.in_list);
  EvictList& list = evict_lists_[block.priority];
  block.prev = list.tail;
  block.next = -1;
  if (list.tail != -1) {
    blocks_[list.tail].next = b;
  } else {
    list.head = b;
  }
  list.tail = b;
  ++list.size;
  block.in_list = true;
  ++evictable_;
}

void KVBlockManager::ListRemove(int32_t b) {
  Block& block = blocks_[b];
  LLMDS_DCHECK(block.in_list);
  auto it = evict_lists_.find(block.priority);
  LLMDS_DCHECK(it != evict_lists_.end());
  EvictList& list = it->second;
  if (block.prev != -1) {
    blocks_[block.prev].next = block.next;
  } else {
    list.head = block.next;
  }
  if (block.next != -1) {
    blocks_[block.next].prev = block.prev;
  } else {
    list.tail = block.prev;
  }
  block.prev = block.next = -1;
  block.in_list = false;
  --evictable_;
  if (--list.size == 0) evict_lists_.erase(it);
}

void KVBlockManager::Unregister(int32_t b) {
  Block& block = blocks_[b];
  const bool erased = index_.Erase(block.hash, b);
  LLMDS_DCHECK(erased);
  (void)erased;
  if (block.parent != -1) --blocks_[block.parent].num_children;
  block = Block();
  --registered_;
}

int32_t KVBlockManager::EvictOne() {
  LLMDS_DCHECK(!evict_lists_.empty());
  const int32_t b = evict_lists_.begin()->second.head;
  LLMDS_DCHECK_EQ(blocks_[b].num_children, 0);
  LLMDS_DCHECK_EQ(blocks_[b].ref, 0);
  ListRemove(b);
  Unregister(b);
  ++evictions_;
  return b;
}

int32_t KVBlockManager::AllocateBlock(int32_t priority) {
  int32_t b;
  if (!free_list_.empty()) {
    b = free_list_.back();
    free_list_.pop_back();
  } else {
    b = EvictOne();
  }
  Block& block = blocks_[b];
  block = Block();
  block.ref = 1;
  block.priority = priority;
  ++used_;
  if (used_ > peak_used_) peak_used_ = used_;
  return b;
}

void KVBlockManager::AcquireCachedBlock(int32_t b, int32_t priority) {
  Block& block = blocks_[b];
  if (block.ref == 0) {
    if (block.in_list) ListRemove(b);
    ++used_;
    if (used_ > peak_used_) peak_used_ = used_;
  }
  ++block.ref;
  // Priority only changes while the block is out of the eviction lists (ref > 0).
  block.priority = std::max(block.priority, priority);
}

void KVBlockManager::ReleaseBlock(int32_t b) {
  Block& block = blocks_[b];
  LLMDS_DCHECK_GT(block.ref, 0);
  if (--block.ref > 0) return;
  --used_;
  if (block.registered) {
    if (block.pins == 0) ListAppend(b);
  } else {
    block = Block();
    free_list_.push_back(b);
  }
}

void KVBlockManager::MaybeRegister(Sequence& seq, size_t i) {
  if (!prefix_caching_ || seq.num_registered != i) return;
  const int32_t b = seq.blocks[i];
  Block& block = blocks_[b];
  if (block.fill != block_size_ || block.registered) return;
  const int32_t parent = i == 0 ? -1 : seq.blocks[i - 1];
  const uint64_t parent_hash = parent == -1 ? kRootHash : blocks_[parent].hash;
  const uint64_t h = HashBlockSeeded(parent_hash, BlockTokens(b).data(), seq.extra_key,
                                     seq.extra_seed);
  const int32_t existing = FindRegistered(h, parent, BlockTokens(b), seq.extra_key);
  if (existing != -1) {
    // Two sequences decoded the same tokens after the same parent: keep one block. This
    // sequence's block was written by it alone (copy-on-write guarantees ref 1) and holds the
    // same data, so it is released and the table points at the registered twin.
    LLMDS_DCHECK_EQ(block.ref, 1);
    AcquireCachedBlock(existing, seq.priority);
    seq.blocks[i] = existing;
    ReleaseBlock(b);
    ++deduplicated_;
    seq.num_registered = i + 1;
    return;
  }
  block.registered = true;
  block.parent = parent;
  block.hash = h;
  block.extra_key = seq.extra_key;
  index_.Insert(h, b);
  if (parent != -1) ++blocks_[parent].num_children;
  ++registered_;
  seq.num_registered = i + 1;
}

absl::StatusOr<int64_t> KVBlockManager::AddSequence(int64_t seq_id,
                                                    absl::Span<const int32_t> prompt) {
  return AddSequence(seq_id, prompt, SequenceOptions());
}

absl::StatusOr<int64_t> KVBlockManager::AddSequence(int64_t seq_id,
                                                    absl::Span<const int32_t> prompt,
                                                    const SequenceOptions& options) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (sequences_.Contains(seq_id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("KVBlockManager::AddSequence: sequence ", seq_id, " already exists"));
  }
  const int64_t blocks_needed = CeilDiv(static_cast<int64_t>(prompt.size()), block_size_);
  if (blocks_needed > num_blocks_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("KVBlockManager::AddSequence: prompt of ", prompt.size(), " tokens needs ",
                     blocks_needed, " blocks, the pool has ", num_blocks_));
  }
  match_scratch_.clear();
  MatchPrefixInto(prompt, options.extra_key, &match_scratch_);
  const std::vector<int32_t>& hits = match_scratch_;
  int32_t hits_evictable = 0;
  for (int32_t b : hits) hits_evictable += blocks_[b].in_list ? 1 : 0;
  const int64_t new_blocks = blocks_needed - static_cast<int64_t>(hits.size());
  const int32_t available = AvailableBlocks() - hits_evictable;
  if (new_blocks > available) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "KVBlockManager::AddSequence: sequence ", seq_id, " needs ", new_blocks,
        " new blocks, only ", available, " are free or evictable"));
  }
  // Nothing fails from here on.
  auto seq = std::make_unique<Sequence>();
  seq->extra_key = options.extra_key;
  seq->extra_seed = ExtraSeed(options.extra_key);
  seq->priority = options.retention_priority;
  seq->length = static_cast<int64_t>(prompt.size());
  seq->content_digest = kRootHash;
  seq->blocks.reserve(static_cast<size_t>(blocks_needed));
  seq->blocks.assign(hits.begin(), hits.end());
  for (int32_t b : hits) AcquireCachedBlock(b, seq->priority);
  seq->num_registered = hits.size();
  if (!hits.empty()) {
    if (!block_hash_) {
      // MatchPrefixInto chained the default digest over the prompt's own tokens, and each hit
      // carries the digest it was found by.
      seq->content_digest = blocks_[hits.back()].hash;
    } else {
      for (size_t i = 0; i < hits.size(); ++i) {
        seq->content_digest = DefaultDigest(seq->content_digest, prompt.data() + i * block_size_,
                                            block_size_, seq->extra_seed);
      }
    }
  }
  for (int64_t i = static_cast<int64_t>(hits.size()); i < blocks_needed; ++i) {
    const int32_t b = AllocateBlock(seq->priority);
    const size_t begin = static_cast<size_t>(i) * block_size_;
    const size_t n = std::min(prompt.size() - begin, static_cast<size_t>(block_size_));
    std::memcpy(MutableBlockTokens(b), prompt.data() + begin, n * sizeof(int32_t));
    blocks_[b].fill = static_cast<int32_t>(n);
    seq->blocks.push_back(b);
    if (n == static_cast<size_t>(block_size_)) {
      SealBlock(*seq, static_cast<size_t>(i), /*tail_written=*/false);
    } else {
      seq->tail_fill = static_cast<int32_t>(n);
      seq->tail_digest = TailDigest(prompt.data() + begin, n);
    }
  }
  seq->last_block = seq->blocks.empty() ? -1 : seq->blocks.back();
  const int64_t hit_tokens =
      std::min(static_cast<int64_t>(hits.size()) * block_size_, static_cast<int64_t>(prompt.size()));
  queried_tokens_ += static_cast<int64_t>(prompt.size());
  hit_tokens_ += hit_tokens;
  sequences_.Insert(seq_id, std::move(seq));
  return hit_tokens;
}

// Inlined into both decode paths.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void KVBlockManager::AppendOneToken(Sequence& seq, int32_t token) {
  // tail_fill == 0: the last block is full (or there is none), so a new block is needed.
  int32_t b = seq.last_block;
  if (seq.tail_fill == 0) {
    b = AllocateBlock(seq.priority);
    seq.blocks.push_back(b);
    seq.last_block = b;
  } else if (blocks_[b].ref > 1) {
    CopyOnWriteLastBlock(seq);
    b = seq.last_block;
  }
  Block& block = blocks_[b];
  MutableBlockTokens(b)[block.fill] = token;
  ++seq.length;
  seq.tail_digest = TailStep(seq.tail_digest, token);
  if (++block.fill == block_size_) {
    seq.tail_fill = 0;
    SealBlock(seq, seq.blocks.size() - 1, /*tail_written=*/true);
  } else {
    seq.tail_fill = block.fill;
  }
}

absl::Status KVBlockManager::AppendTokens(int64_t seq_id, absl::Span<const int32_t> tokens) {
  std::lock_guard<std::mutex> lock(mutex_);
  Sequence* found = sequences_.Find(seq_id);
  if (found == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("KVBlockManager::AppendTokens: unknown sequence ", seq_id));
  }
  Sequence& seq = *found;
  if (tokens.empty()) return absl::OkStatus();
  const int64_t new_len = seq.length + static_cast<int64_t>(tokens.size());
  const bool cow = seq.tail_fill != 0 && blocks_[seq.last_block].ref > 1;
  const int64_t new_blocks =
      CeilDiv(new_len, block_size_) - static_cast<int64_t>(seq.blocks.size()) + (cow ? 1 : 0);
  if (new_blocks > AvailableBlocks()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "KVBlockManager::AppendTokens: sequence ", seq_id, " needs ", new_blocks,
        " new blocks for ", tokens.size(), " tokens, only ", AvailableBlocks(),
        " are free or evictable"));
  }
  if (tokens.size() == 1) {
    AppendOneToken(seq, tokens[0]);
    return absl::OkStatus();
  }
  if (cow) CopyOnWriteLastBlock(seq);
  size_t pos = 0;
  while (pos < tokens.size()) {
    if (seq.tail_fill == 0) {
      seq.last_block = AllocateBlock(seq.priority);
      seq.blocks.push_back(seq.last_block);
    }
    const int32_t b = seq.last_block;
    Block& block = blocks_[b];
    const size_t n = std::min(tokens.size() - pos, static_cast<size_t>(block_size_ - block.fill));
    std::memcpy(MutableBlockTokens(b) + block.fill, tokens.data() + pos, n * sizeof(int32_t));
    block.fill += static_cast<int32_t>(n);
    seq.length += static_cast<int64_t>(n);
    for (size_t k = pos; k < pos + n; ++k) seq.tail_digest = TailStep(seq.tail_digest, tokens[k]);
    if (block.fill == block_size_) {
      seq.tail_fill = 0;
      SealBlock(seq, seq.blocks.size() - 1, /*tail_written=*/true);
    } else {
      seq.tail_fill = block.fill;
    }
    pos += n;
  }
  return absl::OkStatus();
}

void KVBlockManager::CopyOnWriteLastBlock(Sequence& seq) {
  const int32_t src = seq.blocks.back();
  const int32_t dst = AllocateBlock(seq.priority);
  std::memcpy(MutableBlockTokens(dst), BlockTokens(src).data(),
              static_cast<size_t>(blocks_[src].fill) * sizeof(int32_t));
  blocks_[dst].fill = blocks_[src].fill;
  ReleaseBlock(src);
  seq.blocks.back() = dst;
  seq.last_block = dst;
  pending_copies_.push_back(BlockCopy{src, dst});
  ++cow_copies_;
}


absl::Status KVBlockManager::AppendTokensBatch(absl::Span<const int64_t> seq_ids,
                                               absl::Span<const int32_t> tokens) {
  if (seq_ids.size() != tokens.size()) {
    return absl::InvalidArgumentError(absl::StrCat("KVBlockManager::AppendTokensBatch: ",
                                                   seq_ids.size(), " sequence ids but ",
                                                   tokens.size(), " tokens"));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  // Pass 1: resolve and validate every id and count the blocks the batch needs; no change.
  const uint64_t epoch = ++batch_epoch_;
  batch_seqs_.resize(seq_ids.size());
  Sequence** const resolved = batch_seqs_.data();
  int64_t fresh = 0;   // sequences whose last block is full (or that have none)
  int64_t copies = 0;  // sequences writing into a shared partial block (an upper bound)
  for (size_t i = 0; i < seq_ids.size(); ++i) {
    Sequence* seq = sequences_.Find(seq_ids[i]);
    if (seq == nullptr) {
      return absl::NotFoundError(absl::StrCat("KVBlockManager::AppendTokensBatch: unknown sequence ",
                                              seq_ids[i], " at index ", i));
    }
    if (seq->batch_mark == epoch) {
      return absl::InvalidArgumentError(absl::StrCat("KVBlockManager::AppendTokensBatch: sequence ",
                                                     seq_ids[i], " appears twice (index ", i,
                                                     ")"));
    }
    seq->batch_mark = epoch;
    resolved[i] = seq;
    if (seq->tail_fill == 0) {
      ++fresh;
    } else {
      const Block& last = blocks_[seq->last_block];
      if (last.ref > 1) ++copies;
      // Pass 2 writes the token here: start fetching the line now.
      __builtin_prefetch(tokens_.data() + static_cast<size_t>(seq->last_block) * block_size_ +
                             last.fill,
                         1);
    }
  }
  const int32_t available = AvailableBlocks();
  if (fresh + copies > available && copies > 0) copies = ExactBatchCopies();
  if (fresh + copies > available) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "KVBlockManager::AppendTokensBatch: ", seq_ids.size(), " sequences need ",
        fresh + copies, " new blocks, only ", available, " are free or evictable"));
  }
  // Pass 2: apply in order. Nothing fails from here on.
  for (size_t i = 0; i < seq_ids.size(); ++i) AppendOneToken(*resolved[i], tokens[i]);
  return absl::OkStatus();
}

int64_t KVBlockManager::ExactBatchCopies() const {
  // A partial block held by k sequences of the batch (all its holders hold it as their last
  // block) is copied by each of them while its count is above 1: k copies, or k - 1 when the
  // batch holds every reference (the last writer then owns it alone).
  absl::flat_hash_map<int32_t, int32_t> holders;
  for (const Sequence* seq : batch_seqs_) {
    if (seq->tail_fill == 0) continue;
    const int32_t b = seq->last_block;
    if (blocks_[b].ref > 1) ++holders[b];
  }
  int64_t copies = 0;
  for (const auto& [b, k] : holders) copies += k - (blocks_[b].ref == k ? 1 : 0);
  return copies;
}

absl::Status KVBlockManager::Fork(int64_t parent_seq_id, int64_t child_seq_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Sequence* parent = sequences_.Find(parent_seq_id);
  if (parent == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("KVBlockManager::Fork: unknown parent sequence ", parent_seq_id));
  }
  if (sequences_.Contains(child_seq_id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("KVBlockManager::Fork: child sequence ", child_seq_id, " already exists"));
  }
  auto child = std::make_unique<Sequence>(*parent);
  for (int32_t b : child->blocks) ++blocks_[b].ref;  // all referenced already: ref > 0
  sequences_.Insert(child_seq_id, std::move(child));
  return absl::OkStatus();
}

absl::Status KVBlockManager::FreeSequence(int64_t seq_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Sequence* seq = sequences_.Find(seq_id);
  if (seq == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("KVBlockManager::FreeSequence: unknown sequence ", seq_id));
  }
  const std::vector<int32_t>& table = seq->blocks;
  // Last block first: children enter the eviction list before their parents.
  for (auto b = table.rbegin(); b != table.rend(); ++b) ReleaseBlock(*b);
  sequences_.Erase(seq_id);
  return absl::OkStatus();
}

absl::Span<const int32_t> KVBlockManager::BlockTable(int64_t seq_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Sequence* seq = sequences_.Find(seq_id);
  if (seq == nullptr) return {};
  return absl::MakeConstSpan(seq->blocks);
}

std::vector<int32_t> KVBlockManager::BlockTableCopy(int64_t seq_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Sequence* seq = sequences_.Find(seq_id);
  if (seq == nullptr) return {};
  return seq->blocks;
}

int64_t KVBlockManager::SequenceLength(int64_t seq_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Sequence* seq = sequences_.Find(seq_id);
  if (seq == nullptr) return -1;
  return seq->length;
}

std::vector<BlockCopy> KVBlockManager::TakePendingCopies() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<BlockCopy> out;
  out.swap(pending_copies_);
  return out;
}

int32_t KVBlockManager::NumFreeBlocks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return AvailableBlocks();
}

KVBlockManagerStats KVBlockManager::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  KVBlockManagerStats s;
  s.block_size = block_size_;
  s.num_blocks = num_blocks_;
  s.used_blocks = used_;
  s.free_blocks = static_cast<int32_t>(free_list_.size());
  s.cached_blocks = num_blocks_ - used_ - s.free_blocks;
  s.evictable_blocks = evictable_;
  for (const Block& b : blocks_) s.pinned_blocks += b.pins > 0 ? 1 : 0;
  s.registered_blocks = registered_;
  s.peak_used_blocks = peak_used_;
  s.num_sequences = static_cast<int64_t>(sequences_.size());
  s.queried_tokens = queried_tokens_;
  s.hit_tokens = hit_tokens_;
  s.evictions = evictions_;
  s.cow_copies = cow_copies_;
  s.deduplicated_blocks = deduplicated_;
  return s;
}

int64_t KVBlockManager::PinPrefix(absl::Span<const int32_t> tokens, uint64_t extra_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<int32_t> hits = MatchPrefix(tokens, extra_key);
  for (int32_t b : hits) {
    Block& block = blocks_[b];
    if (block.in_list) ListRemove(b);
    ++block.pins;
  }
  return static_cast<int64_t>(hits.size()) * block_size_;
}

absl::StatusOr<int64_t> KVBlockManager::UnpinPrefix(absl::Span<const int32_t> tokens,
                                                    uint64_t extra_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<int32_t> hits = MatchPrefix(tokens, extra_key);
  // Pins cover prefixes, so the pinned blocks are a leading run of the match.
  size_t pinned = 0;
  while (pinned < hits.size() && blocks_[hits[pinned]].pins > 0) ++pinned;
  if (pinned == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "KVBlockManager::UnpinPrefix: the cached prefix of these ", tokens.size(),
        " tokens (", hits.size(), " blocks) has no pinned block"));
  }
  hits.resize(pinned);
  // Deepest first, so children enter the eviction list before their parents.
  for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
    Block& block = blocks_[*it];
    if (--block.pins == 0 && block.ref == 0) ListAppend(*it);
  }
  return static_cast<int64_t>(hits.size()) * block_size_;
}

absl::Status KVBlockManager::CheckInvariants() const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto fail = [](auto&&... args) { return absl::InternalError(absl::StrCat(args...)); };
  const size_t n = blocks_.size();
  // 1. Reference counts from block tables; sequence contents.
  std::vector<int32_t> refs(n, 0);
  std::vector<std::pair<int64_t, const Sequence*>> all_seqs;
  sequences_.ForEach([&](int64_t id, const Sequence& seq) { all_seqs.emplace_back(id, &seq); });
  if (all_seqs.size() != sequences_.size()) {
    return fail("sequence map lists ", all_seqs.size(), " of ", sequences_.size(), " sequences");
  }
  for (const auto& [id, seq] : all_seqs) {
    const int64_t len = seq->length;
    if (len < 0 || static_cast<int64_t>(seq->blocks.size()) != CeilDiv(len, block_size_)) {
      return fail("sequence ", id, " has ", seq->blocks.size(), " blocks for ", len, " tokens");
    }
    if (seq->last_block != (seq->blocks.empty() ? -1 : seq->blocks.back())) {
      return fail("sequence ", id, " last block ", seq->last_block, " is not its table's last");
    }
    if (seq->tail_fill != static_cast<int32_t>(len % block_size_)) {
      return fail("sequence ", id, " tail fill ", seq->tail_fill, " for ", len, " tokens");
    }
    if (seq->extra_seed != ExtraSeed(seq->extra_key)) return fail("sequence ", id, " bad seed");
    // Contents: the digests of the tokens as stored in the table's blocks must equal the ones
    // the sequence computed from the tokens it was given.
    uint64_t content = kRootHash;
    uint64_t tail = 0;
    for (size_t i = 0; i < seq->blocks.size(); ++i) {
      const int32_t b = seq->blocks[i];
      if (b < 0 || static_cast<size_t>(b) >= n) return fail("sequence ", id, " bad block ", b);
      ++refs[b];
      const int64_t begin = static_cast<int64_t>(i) * block_size_;
      const int32_t expect_fill = static_cast<int32_t>(std::min<int64_t>(block_size_, len - begin));
      if (blocks_[b].fill != expect_fill) {
        return fail("block ", b, " fill ", blocks_[b].fill, " but sequence ", id, " wants ",
                    expect_fill);
      }
      if (expect_fill == block_size_) {
        content = DefaultDigest(content, BlockTokens(b).data(), block_size_, seq->extra_seed);
      } else {
        tail = TailDigest(BlockTokens(b).data(), static_cast<size_t>(expect_fill));
      }
      const bool should_be_registered = i < seq->num_registered;
      if (blocks_[b].registered != should_be_registered) {
        return fail("block ", b, " (index ", i, ") of sequence ", id, " registered is ",
                    blocks_[b].registered, ", expected ", should_be_registered);
      }
      if (should_be_registered &&
          blocks_[b].parent != (i == 0 ? -1 : seq->blocks[i - 1])) {
        return fail("block ", b, " of sequence ", id, " has the wrong parent");
      }
    }
    if (content != seq->content_digest || tail != seq->tail_digest) {
      return fail("block tokens differ from sequence ", id, "'s tokens");
    }
    const size_t full = static_cast<size_t>(len / block_size_);
    if (prefix_caching_ && seq->num_registered != full) {
      return fail("sequence ", id, " registered ", seq->num_registered, " of ", full,
                  " full blocks");
    }
    if (!prefix_caching_ && seq->num_registered != 0) return fail("registered without caching");
  }
  // 2. States.
  std::vector<char> in_free(n, 0);
  for (int32_t b : free_list_) {
    if (b < 0 || static_cast<size_t>(b) >= n || in_free[b]) return fail("free list bad ", b);
    in_free[b] = 1;
  }
  int32_t used = 0, cached = 0, freed = 0, registered = 0, listed = 0;
  std::vector<int32_t> children(n, 0);
  for (size_t b = 0; b < n; ++b) {
    const Block& block = blocks_[b];
    if (block.ref != refs[b]) return fail("block ", b, " ref ", block.ref, " recomputed ", refs[b]);
    if (block.registered) {
      ++registered;
      if (block.parent != -1) {
        if (!blocks_[block.parent].registered) return fail("block ", b, " parent not registered");
        ++children[block.parent];
        if (blocks_[block.parent].priority < block.priority) {
          return fail("block ", b, " priority above its parent's");
        }
        if (blocks_[block.parent].pins < block.pins) return fail("block ", b, " pins above parent");
      }
      const uint64_t parent_hash = block.parent == -1 ? kRootHash : blocks_[block.parent].hash;
      if (HashBlock(parent_hash, BlockTokens(static_cast<int32_t>(b)), block.extra_key) !=
          block.hash) {
        return fail("block ", b, " digest does not match its tokens");
      }
      if (block.fill != block_size_) return fail("registered block ", b, " not full");
      if (!index_.Contains(block.hash, static_cast<int32_t>(b))) return fail("registered block ", b, " unreachable from the index");
    } else if (block.pins > 0) {
      return fail("unregistered block ", b, " is pinned");
    }
    if (block.ref > 0) {
      ++used;
      if (in_free[b]) return fail("used block ", b, " in free list");
    } else if (block.registered) {
      ++cached;
      if (in_free[b]) return fail("cached block ", b, " in free list");
    } else {
      ++freed;
      if (!in_free[b]) return fail("free block ", b, " missing from free list");
    }
    const bool should_list = block.ref == 0 && block.registered && block.pins == 0;
    if (block.in_list != should_list) return fail("block ", b, " list membership wrong");
    listed += block.in_list ? 1 : 0;
  }
  for (size_t b = 0; b < n; ++b) {
    if (blocks_[b].registered && blocks_[b].num_children != children[b]) {
      return fail("block ", b, " child count ", blocks_[b].num_children, " recomputed ",
                  children[b]);
    }
  }
  if (used + cached + freed != num_blocks_) return fail("used + cached + free != total");
  if (used != used_) return fail("used counter ", used_, " recomputed ", used);
  if (registered != registered_) return fail("registered counter wrong");
  if (listed != evictable_) return fail("evictable counter ", evictable_, " listed ", listed);
  // Every registered block is in the index (above) and the index holds only registered blocks
  // under their digests, as many entries as blocks: so no block twice.
  size_t index_entries = 0;
  int32_t bad_entry = -2;
  index_.ForEach([&](uint64_t h, int32_t c) {
    ++index_entries;
    if (c < 0 || static_cast<size_t>(c) >= n || !blocks_[c].registered || blocks_[c].hash != h) {
      bad_entry = c;
    }
  });
  if (bad_entry != -2) return fail("index holds bad entry ", bad_entry);
  if (index_entries != static_cast<size_t>(registered) || index_.size() != index_entries) {
    return fail("index size mismatch");
  }
  // 4. Eviction lists: links, priorities, children before parents.
  std::vector<int64_t> position(n, -1);
  int64_t pos = 0;
  int32_t walked = 0;
  for (const auto& [priority, list] : evict_lists_) {
    if (list.size == 0) return fail("empty eviction list kept");
    int32_t count = 0, prev = -1;
    for (int32_t b = list.head; b != -1; b = blocks_[b].next) {
      if (blocks_[b].priority != priority) return fail("block ", b, " in wrong priority list");
      if (blocks_[b].prev != prev) return fail("broken list link at ", b);
      if (++count > list.size) return fail("list longer than its size");
      position[b] = pos++;
      prev = b;
    }
    if (prev != list.tail || count != list.size) return fail("list tail/size mismatch");
    walked += count;
  }
  if (walked != evictable_) return fail("lists hold ", walked, " blocks, counter ", evictable_);
  for (size_t b = 0; b < n; ++b) {
    const Block& block = blocks_[b];
    if (!block.registered || block.parent == -1 || !blocks_[block.parent].in_list) continue;
    if (!block.in_list) return fail("block ", b, " is held while its parent is evictable");
    if (position[block.parent] < position[b]) {
      return fail("cached block ", block.parent, " would be evicted before its child ", b);
    }
  }
  if (peak_used_ < used_) return fail("peak below used");
  return absl::OkStatus();
}

}  // namespace llmds
