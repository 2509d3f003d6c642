// Copyright 2026 The llmds Authors.
//
// KVBlockManager: the block bookkeeping of a paged-attention serving engine. It maps each
// running sequence to a table of fixed-size KV block ids, shares whole blocks between
// sequences with the same token prefix, keeps released blocks cached for later prompts, and
// evicts cached blocks when it needs room. It handles ids only; the engine owns the tensors and
// performs the block copies this class asks for (TakePendingCopies).
//
//   KVBlockManagerOptions options;
//   options.block_size = 16;
//   options.num_blocks = 4096;
//   LLMDS_ASSIGN_OR_RETURN(auto manager, KVBlockManager::Create(options));
//   LLMDS_ASSIGN_OR_RETURN(int64_t cached, manager->AddSequence(7, prompt));
//   // ... prefill prompt[cached:] into manager->BlockTable(7) ...
//   LLMDS_RETURN_IF_ERROR(manager->AppendTokens(7, {next_token}));
//   for (const BlockCopy& c : manager->TakePendingCopies()) engine.CopyBlock(c.src, c.dst);
//   LLMDS_RETURN_IF_ERROR(manager->FreeSequence(7));
//
// Prefix caching. A full block is identified by a chained 64-bit XXH3 digest of (its parent
// block's digest, its block_size token ids, the sequence's extra key). The digest only finds
// candidates: every hit is verified against the stored token ids, the parent block id and the
// extra key, so two different prefixes never share a block even if their digests collide.
// Only whole blocks are shared through the cache; a partially filled last block is private to
// its sequence (and to forks of it, until one of them writes: copy-on-write).
//
// Caching and eviction. A block whose reference count drops to 0 stays cached if it is
// registered (full and in the prefix index), otherwise it is free at once. Eviction takes
// only cached blocks with no cached child, so a cached chain is never cut in the middle (a
// child is unreachable without its parent). Order: lowest retention priority first, then least
// recently released. A cached block's priority is the highest `retention_priority` of any
// sequence that used it since it was filled, so a parent's priority is never below a
// child's. `PinPrefix` keeps a prefix's blocks cached until the matching `UnpinPrefix`.
//
// Registration. Each block is registered the moment it becomes full (in AddSequence or
// AppendTokens). If an identical block (same parent, tokens and extra key) is already
// registered — two sequences decoded the same text — AppendTokens replaces the sequence's
// freshly filled block by that twin in its block table and frees its own (their data is the
// same), so every prefix has one block and stays findable. Read BlockTable after AppendTokens.

// Errors. Every call validates its input and either succeeds or returns an error and leaves
// the manager exactly as it was (all or nothing), including its statistics.
//
// Cost. AddSequence is O(prompt tokens) (one XXH3 and one verification per full block);
// AppendTokens is O(tokens) plus O(1) per block filled; FreeSequence is O(blocks); eviction is
// O(log distinct priorities) per block.
//
// `KVBlockManager` is thread-safe: every method takes an internal mutex, so a server may share
// one instance between threads. `BlockTable` returns a view of internal state; see there.

#ifndef LLMDS_CACHE_KV_BLOCK_MANAGER_H_
#define LLMDS_CACHE_KV_BLOCK_MANAGER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "llmds/cache/internal/digest_table.h"
#include "llmds/cache/internal/id_map.h"

namespace llmds {

// Digest of one block: (parent digest, block tokens, extra key) -> 64 bits. Replaceable for
// tests that force collisions; correctness never depends on it.
using KVBlockHashFn =
    std::function<uint64_t(uint64_t parent_hash, absl::Span<const int32_t> tokens,
                           uint64_t extra_key)>;

struct KVBlockManagerOptions {
  // Tokens per block. Default: 16. Must be > 0.
  int32_t block_size = 16;
  // Blocks in the pool. Required > 0; block_size * num_blocks must be <= 2^30 (the manager
  // keeps each block's token ids for verification).
  int32_t num_blocks = 0;
  // Share and cache full blocks by prefix. Default: true.
  bool enable_prefix_caching = true;
  // Digest function; null means chained XXH3-64. For tests.
  KVBlockHashFn block_hash = nullptr;
};

// Per-sequence options for AddSequence.
struct SequenceOptions {
  // Mixed into every block digest and compared on every hit: sequences with different extra
  // keys (LoRA adapter id, cache salt, multimodal content hash) never share blocks.
  // Default: 0 (the same as the AddSequence overload without options).
  uint64_t extra_key = 0;
  // Higher values are evicted later once released. Default: 0.
  int32_t retention_priority = 0;
};

// A copy the engine must perform before writing into `dst`: copy block `src` into `dst`.
struct BlockCopy {
  int32_t src = 0;
  int32_t dst = 0;
};

struct KVBlockManagerStats {
  int32_t block_size = 0;
  int32_t num_blocks = 0;
  int32_t used_blocks = 0;        // referenced by at least one sequence
  int32_t cached_blocks = 0;      // unreferenced but kept for prefix reuse (incl. pinned)
  int32_t evictable_blocks = 0;   // cached and not pinned
  int32_t pinned_blocks = 0;      // cached or used blocks with a pin
  int32_t free_blocks = 0;        // holding nothing
  int32_t registered_blocks = 0;  // in the prefix index (used or cached)
  int32_t peak_used_blocks = 0;
  int64_t num_sequences = 0;
  int64_t queried_tokens = 0;  // prompt tokens passed to AddSequence
  int64_t hit_tokens = 0;      // of those, served from cached blocks
  int64_t evictions = 0;       // cached blocks reclaimed
  int64_t cow_copies = 0;      // copy-on-write copies requested
  int64_t deduplicated_blocks = 0;  // filled blocks replaced by an identical registered one
};

class KVBlockManager {
 public:
  // Returns a manager, or InvalidArgument naming the bad option.
  static absl::StatusOr<std::unique_ptr<KVBlockManager>> Create(
      const KVBlockManagerOptions& options);

  KVBlockManager(const KVBlockManager&) = delete;
  KVBlockManager& operator=(const KVBlockManager&) = delete;

  // Returns how many leading tokens of `tokens` are held in cached or used blocks (whole
  // blocks only). Changes nothing (no statistics, no recency).
  int64_t CachedPrefixLength(absl::Span<const int32_t> tokens) const;
  int64_t CachedPrefixLength(absl::Span<const int32_t> tokens, uint64_t extra_key) const;

  // Starts sequence `seq_id` with `prompt`: reuses the longest cached whole-block prefix,
  // allocates the rest (evicting cached blocks as needed) and registers its full blocks.
  // Returns how many leading prompt tokens were already cached (a multiple of block_size, or
  // all of them when every block is cached and full). Errors: AlreadyExists if seq_id is
  // live; ResourceExhausted if the blocks cannot be found even after evicting.
  absl::StatusOr<int64_t> AddSequence(int64_t seq_id, absl::Span<const int32_t> prompt);
  absl::StatusOr<int64_t> AddSequence(int64_t seq_id, absl::Span<const int32_t> prompt,
                                      const SequenceOptions& options);

  // Appends decoded `tokens` to `seq_id`; each block that becomes full is registered at once.
  // Writing into a partial last block shared with a fork first moves this sequence to a
  // private copy (reported by TakePendingCopies). Errors: NotFound; ResourceExhausted.
  absl::Status AppendTokens(int64_t seq_id, absl::Span<const int32_t> tokens);

  // One decode step for many sequences: appends `tokens[i]` to sequence `seq_ids[i]` for
  // every i, in order, under a single lock. The result equals AppendTokens(seq_ids[i],
  // {tokens[i]}) for i = 0, 1, ..., but the whole batch is all or nothing. Errors (nothing
  // changes): InvalidArgument if the spans' sizes differ or an id appears twice; NotFound for
  // an unknown id; ResourceExhausted if the batch needs more new blocks (fresh blocks plus
  // copy-on-write copies) than are free or evictable. Cost: O(1) per sequence plus O(1) per
  // block filled; no heap allocation once the sequences' vectors have grown.
  absl::Status AppendTokensBatch(absl::Span<const int64_t> seq_ids,
                                 absl::Span<const int32_t> tokens);

  // Makes `child_seq_id` a copy of `parent_seq_id` that shares all its blocks (beam search,
  // parallel sampling). Needs no free block. Errors: NotFound (parent), AlreadyExists (child).
  absl::Status Fork(int64_t parent_seq_id, int64_t child_seq_id);

  // Releases `seq_id`'s blocks; full registered ones stay cached. Error: NotFound.
  absl::Status FreeSequence(int64_t seq_id);

  // Returns `seq_id`'s block ids in token order, or an empty span if unknown. The span points
  // into the manager: it stays valid until the next AppendTokens or FreeSequence of this
  // sequence (other sequences' calls do not touch it). Use BlockTableCopy when another thread
  // may mutate the same sequence.
  absl::Span<const int32_t> BlockTable(int64_t seq_id) const;
  std::vector<int32_t> BlockTableCopy(int64_t seq_id) const;

  // Returns the number of tokens of `seq_id`, or -1 if unknown.
  int64_t SequenceLength(int64_t seq_id) const;

  // Returns and clears the copy-on-write copies requested since the last call, in order.
  std::vector<BlockCopy> TakePendingCopies();

  // Returns the blocks an allocation could obtain now: free plus evictable cached.
  int32_t NumFreeBlocks() const;

  KVBlockManagerStats Stats() const;

  // Pins the cached whole-block prefix of `tokens` (e.g. a system prompt): its blocks are not
  // evicted until UnpinPrefix with the same tokens. Pins count: two pins need two unpins.
  // Returns the number of tokens pinned (a multiple of block_size; 0 if nothing is cached).
  int64_t PinPrefix(absl::Span<const int32_t> tokens, uint64_t extra_key = 0);
  // Undoes one PinPrefix of the same tokens: drops one pin from each block of the leading run
  // of pinned blocks in the cached prefix of `tokens`. Returns the tokens unpinned.
  // FailedPrecondition (and no change) if the first cached block is not pinned or nothing is
  // cached.
  absl::StatusOr<int64_t> UnpinPrefix(absl::Span<const int32_t> tokens, uint64_t extra_key = 0);

  // Recomputes the state from scratch and compares it with the manager's own: reference
  // counts from block tables, each sequence's block contents (digests of the stored tokens
  // against the digests the sequence computed from the tokens it was given), free + cached +
  // used == total, each block in exactly one place,
  // the prefix index (every registered block reachable by its digest, digests recomputed,
  // parents registered, child counts), eviction lists (membership, order: no cached block
  // before one of its cached children), pins and statistics. Returns Internal on a violation.
  absl::Status CheckInvariants() const;

 private:
  struct Block {
    int32_t ref = 0;
    int32_t fill = 0;          // tokens written
    bool registered = false;   // in the prefix index
    bool in_list = false;      // in an eviction list
    int32_t parent = -1;       // registered parent block, -1 for a first block
    int32_t num_children = 0;  // registered blocks whose parent this is
    int32_t priority = 0;
    int32_t pins = 0;
    int32_t prev = -1;  // eviction list links
    int32_t next = -1;
    uint64_t hash = 0;
    uint64_t extra_key = 0;
  };
  // A sequence keeps no copy of its tokens: they live in its blocks. What it keeps instead
  // lets CheckInvariants verify the blocks' contents against what the sequence was given:
  // `content_digest`, the chained XXH3 digest (seed kRootHash, formula of the default
  // KVBlockHashFn) of its full blocks' tokens computed as they were written, and `tail_digest`,
  // a running digest of the tokens of its partial last block.
  struct Sequence {
    std::vector<int32_t> blocks;
    int64_t length = 0;       // tokens
    int32_t last_block = -1;  // blocks.back(), or -1 when empty
    int32_t tail_fill = 0;    // length % block_size: tokens in a partial last block, else 0
    int32_t priority = 0;
    uint64_t extra_key = 0;
    uint64_t extra_seed = 0;  // ExtraSeed(extra_key), mixed into every default digest
    uint64_t content_digest = 0;
    uint64_t tail_digest = 0;
    // blocks[0, num_registered) are registered: with prefix caching, every full block.
    size_t num_registered = 0;
    // AppendTokensBatch's duplicate check: equal to batch_epoch_ iff already in this batch.
    uint64_t batch_mark = 0;
  };
  struct EvictList {
    int32_t head = -1;  // least recently released
    int32_t tail = -1;
    int32_t size = 0;
  };

  explicit KVBlockManager(const KVBlockManagerOptions& options);

  uint64_t HashBlock(uint64_t parent_hash, absl::Span<const int32_t> tokens,
                     uint64_t extra_key) const;
  // As HashBlock, given extra_seed == ExtraSeed(extra_key) (saves one mix per block).
  uint64_t HashBlockSeeded(uint64_t parent_hash, const int32_t* tokens, uint64_t extra_key,
                           uint64_t extra_seed) const;
  // `seq`'s block at index `i` has just been filled (by this sequence alone): registers it
  // (MaybeRegister) and extends the content digest, reusing the registered digest when it is
  // the default one. Resets the tail digest. `tail_written`: the tail digest covers all of the
  // block's tokens as given (decode paths); debug builds then check the stored tokens.
  void SealBlock(Sequence& seq, size_t i, bool tail_written)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Finds the registered block (parent, tokens, extra_key) for digest `hash`, or -1.
  int32_t FindRegistered(uint64_t hash, int32_t parent, absl::Span<const int32_t> tokens,
                         uint64_t extra_key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Returns the longest run of registered blocks matching `tokens`' full blocks.
  std::vector<int32_t> MatchPrefix(absl::Span<const int32_t> tokens, uint64_t extra_key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // As above, appending the matched blocks to `*hits`.
  void MatchPrefixInto(absl::Span<const int32_t> tokens, uint64_t extra_key,
                       std::vector<int32_t>* hits) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Appends one token to `seq` (a decode step). REQUIRES: a block is available if needed.
  void AppendOneToken(Sequence& seq, int32_t token) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Moves `seq` off its shared partial last block onto a private copy.
  void CopyOnWriteLastBlock(Sequence& seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Exact count of copy-on-write copies a batch needs (slow path of AppendTokensBatch).
  int64_t ExactBatchCopies() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Span<const int32_t> BlockTokens(int32_t block) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  int32_t* MutableBlockTokens(int32_t block) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Takes a free block, evicting the best cached one if none is free. REQUIRES: one exists.
  int32_t AllocateBlock(int32_t priority) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Drops one reference; at 0 the block becomes cached (registered) or free.
  void ReleaseBlock(int32_t block) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Takes a reference on a block found in the index (used or cached).
  void AcquireCachedBlock(int32_t block, int32_t priority) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Registers the sequence's block at index `i` if it is full and the chain allows it.
  void MaybeRegister(Sequence& seq, size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Unregister(int32_t block) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void ListAppend(int32_t block) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void ListRemove(int32_t block) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  int32_t EvictOne() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  int32_t AvailableBlocks() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const int32_t block_size_;
  const int32_t num_blocks_;
  const bool prefix_caching_;
  const KVBlockHashFn block_hash_;

  mutable std::mutex mutex_;
  // mutex_ protects the following state.
  //
  // Invariants (checked by CheckInvariants):
  //  1. blocks_[b].ref == number of occurrences of b in all block tables.
  //  2. Every block is exactly one of: used (ref > 0), cached (ref 0, registered), free (ref 0,
  //     unregistered, in free_list_ once).
  //  3. A registered block's parent is registered; num_children counts registered children;
  //     index_ holds exactly the pairs (digest, block) of the registered blocks.
  //  4. A block is in an eviction list iff it is cached and unpinned, in the list of its
  //     priority; each of its cached children is in a lower-priority list or before it in the
  //     same list, so every list head has no cached child.
  //  5. priority(parent) >= priority(child) and pins(parent) >= pins(child) when registered.
  //  6. Per sequence: blocks.size() == ceil(length / block_size), last_block == blocks.back(),
  //     tail_fill == length % block_size, and the content and tail digests recomputed from
  //     the blocks' stored tokens equal the sequence's.
  std::vector<Block> blocks_ ABSL_GUARDED_BY(mutex_);
  std::vector<int32_t> tokens_ ABSL_GUARDED_BY(mutex_);  // block_size_ per block
  std::vector<int32_t> free_list_ ABSL_GUARDED_BY(mutex_);
  cache_internal::DigestTable index_ ABSL_GUARDED_BY(mutex_);  // digest -> registered blocks
  std::map<int32_t, EvictList> evict_lists_ ABSL_GUARDED_BY(mutex_);      // by priority
  int32_t evictable_ ABSL_GUARDED_BY(mutex_) = 0;
  cache_internal::IdMap<Sequence> sequences_ ABSL_GUARDED_BY(mutex_);
  std::vector<BlockCopy> pending_copies_ ABSL_GUARDED_BY(mutex_);
  // Scratch space reused across calls (no allocation per call once grown).
  std::vector<Sequence*> batch_seqs_ ABSL_GUARDED_BY(mutex_);
  std::vector<int32_t> match_scratch_ ABSL_GUARDED_BY(mutex_);
  uint64_t batch_epoch_ ABSL_GUARDED_BY(mutex_) = 0;
  int32_t used_ ABSL_GUARDED_BY(mutex_) = 0;
  int32_t registered_ ABSL_GUARDED_BY(mutex_) = 0;
  int32_t peak_used_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t queried_tokens_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t hit_tokens_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t evictions_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t cow_copies_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t deduplicated_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace llmds

#endif  // LLMDS_CACHE_KV_BLOCK_MANAGER_H_
