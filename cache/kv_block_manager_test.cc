// Copyright 2026 The llmds Authors.

#include "llmds/cache/kv_block_manager.h"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

std::unique_ptr<KVBlockManager> Make(int32_t block_size, int32_t num_blocks,
                                     bool caching = true, KVBlockHashFn hash = nullptr) {
  KVBlockManagerOptions o;
  o.block_size = block_size;
  o.num_blocks = num_blocks;
  o.enable_prefix_caching = caching;
  o.block_hash = std::move(hash);
  auto m = KVBlockManager::Create(o);
  EXPECT_TRUE(m.ok()) << m.status();
  return std::move(m).value();
}

std::vector<int32_t> Range(int32_t begin, int32_t end) {
  std::vector<int32_t> v;
  for (int32_t i = begin; i < end; ++i) v.push_back(i);
  return v;
}

std::vector<int32_t> Concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

#define EXPECT_INVARIANTS(m)                   \
  do {                                         \
    absl::Status inv = (m).CheckInvariants();  \
    EXPECT_TRUE(inv.ok()) << inv;              \
  } while (0)

bool SameStats(const KVBlockManagerStats& a, const KVBlockManagerStats& b) {
  return a.used_blocks == b.used_blocks && a.cached_blocks == b.cached_blocks &&
         a.free_blocks == b.free_blocks && a.evictable_blocks == b.evictable_blocks &&
         a.pinned_blocks == b.pinned_blocks && a.registered_blocks == b.registered_blocks &&
         a.peak_used_blocks == b.peak_used_blocks && a.num_sequences == b.num_sequences &&
         a.queried_tokens == b.queried_tokens && a.hit_tokens == b.hit_tokens &&
         a.evictions == b.evictions && a.cow_copies == b.cow_copies &&
         a.deduplicated_blocks == b.deduplicated_blocks;
}

TEST(KVBlockManagerTest, CreateValidatesOptions) {
  KVBlockManagerOptions o;
  EXPECT_EQ(KVBlockManager::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.num_blocks = 8;
  o.block_size = 0;
  EXPECT_EQ(KVBlockManager::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.block_size = 1 << 20;
  o.num_blocks = 1 << 20;
  EXPECT_EQ(KVBlockManager::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.block_size = 16;
  o.num_blocks = -3;
  absl::Status s = KVBlockManager::Create(o).status();
  EXPECT_NE(s.message().find("-3"), std::string::npos);
}

TEST(KVBlockManagerTest, AddSequenceAllocatesCeilBlocks) {
  auto m = Make(4, 16);
  EXPECT_EQ(m->AddSequence(1, Range(0, 10)).value(), 0);
  EXPECT_EQ(m->BlockTable(1).size(), 3u);
  EXPECT_EQ(m->SequenceLength(1), 10);
  KVBlockManagerStats s = m->Stats();
  EXPECT_EQ(s.used_blocks, 3);
  EXPECT_EQ(s.free_blocks, 13);
  EXPECT_EQ(s.registered_blocks, 2);  // the two full blocks
  EXPECT_EQ(s.queried_tokens, 10);
  EXPECT_EQ(m->NumFreeBlocks(), 13);
  EXPECT_EQ(m->AddSequence(2, {}).value(), 0);  // empty prompt: no blocks yet
  EXPECT_TRUE(m->BlockTable(2).empty());
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, SharesWholeBlockPrefixWhileLive) {
  auto m = Make(4, 16);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 10)).ok());
  // Same first 8 tokens, then different.
  EXPECT_EQ(m->AddSequence(2, Concat(Range(0, 8), {99, 98})).value(), 8);
  auto a = m->BlockTable(1), b = m->BlockTable(2);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);
  EXPECT_NE(a[2], b[2]);  // partial last blocks are never shared
  EXPECT_EQ(m->Stats().used_blocks, 4);
  EXPECT_EQ(m->Stats().hit_tokens, 8);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, FreedBlocksStayCachedAndHit) {
  auto m = Make(4, 16);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 12)).ok());
  std::vector<int32_t> table(m->BlockTable(1).begin(), m->BlockTable(1).end());
  ASSERT_TRUE(m->FreeSequence(1).ok());
  EXPECT_EQ(m->Stats().cached_blocks, 3);
  EXPECT_EQ(m->Stats().used_blocks, 0);
  EXPECT_EQ(m->NumFreeBlocks(), 16);  // cached blocks are evictable
  EXPECT_EQ(m->CachedPrefixLength(Range(0, 13)), 12);
  EXPECT_EQ(m->CachedPrefixLength(Range(0, 7)), 4);
  EXPECT_EQ(m->Stats().queried_tokens, 12);  // CachedPrefixLength changes nothing
  // Every block cached: the whole prompt is reported.
  EXPECT_EQ(m->AddSequence(2, Range(0, 12)).value(), 12);
  EXPECT_EQ(std::vector<int32_t>(m->BlockTable(2).begin(), m->BlockTable(2).end()), table);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, ErrorsForUnknownAndDuplicateIds) {
  auto m = Make(4, 16);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 5)).ok());
  EXPECT_EQ(m->AddSequence(1, Range(0, 5)).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(m->AppendTokens(2, {1}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->FreeSequence(2).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->Fork(2, 3).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m->Fork(1, 1).code(), absl::StatusCode::kAlreadyExists);
  absl::Status s = m->FreeSequence(42);
  EXPECT_NE(s.message().find("42"), std::string::npos);
  EXPECT_TRUE(m->BlockTable(2).empty());
  EXPECT_EQ(m->SequenceLength(2), -1);
  EXPECT_EQ(m->Stats().num_sequences, 1);
  EXPECT_EQ(m->Stats().queried_tokens, 5);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, AddSequenceOutOfBlocksChangesNothing) {
  auto m = Make(4, 4);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 8)).ok());
  ASSERT_TRUE(m->FreeSequence(1).ok());          // 2 cached
  ASSERT_TRUE(m->AddSequence(2, Range(100, 108)).ok());  // evicts or uses free
  KVBlockManagerStats before = m->Stats();
  // Needs 3 blocks, 2 available.
  EXPECT_EQ(m->AddSequence(3, Range(200, 212)).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(SameStats(before, m->Stats()));
  EXPECT_TRUE(m->BlockTable(3).empty());
  // Longer than the whole pool.
  EXPECT_EQ(m->AddSequence(3, Range(0, 17)).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(SameStats(before, m->Stats()));
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, HitBlocksAreNotCountedAsEvictableRoom) {
  auto m = Make(4, 3);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 8)).ok());
  ASSERT_TRUE(m->FreeSequence(1).ok());  // 2 cached + 1 free = 3 available
  // Hits the 2 cached blocks and needs 2 more; only 1 is left once the hits are taken.
  KVBlockManagerStats before = m->Stats();
  EXPECT_EQ(m->AddSequence(2, Range(0, 16)).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(SameStats(before, m->Stats()));
  EXPECT_EQ(m->CachedPrefixLength(Range(0, 8)), 8);
  EXPECT_EQ(m->AddSequence(2, Range(0, 12)).value(), 8);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, AppendTokensRegistersFullBlocksAtOnce) {
  auto m = Make(4, 16);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 3)).ok());
  EXPECT_EQ(m->Stats().registered_blocks, 0);
  ASSERT_TRUE(m->AppendTokens(1, {3}).ok());
  EXPECT_EQ(m->Stats().registered_blocks, 1);
  ASSERT_TRUE(m->AppendTokens(1, Range(4, 9)).ok());
  EXPECT_EQ(m->BlockTable(1).size(), 3u);
  EXPECT_EQ(m->Stats().registered_blocks, 2);
  EXPECT_EQ(m->CachedPrefixLength(Range(0, 9)), 8);
  EXPECT_TRUE(m->AppendTokens(1, {}).ok());
  // A new prompt equal to prompt + generated text hits the generated blocks too.
  EXPECT_EQ(m->AddSequence(2, Range(0, 10)).value(), 8);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, AppendTokensOutOfBlocksChangesNothing) {
  auto m = Make(4, 2);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 6)).ok());
  KVBlockManagerStats before = m->Stats();
  EXPECT_EQ(m->AppendTokens(1, Range(6, 11)).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(SameStats(before, m->Stats()));
  EXPECT_EQ(m->SequenceLength(1), 6);
  EXPECT_TRUE(m->AppendTokens(1, Range(6, 8)).ok());
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, ForkSharesAllAndCopiesPartialBlockOnWrite) {
  auto m = Make(4, 16);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 6)).ok());
  std::vector<int32_t> parent(m->BlockTable(1).begin(), m->BlockTable(1).end());
  const int32_t free_before = m->NumFreeBlocks();
  ASSERT_TRUE(m->Fork(1, 2).ok());
  EXPECT_EQ(m->NumFreeBlocks(), free_before);  // needs no block
  EXPECT_EQ(std::vector<int32_t>(m->BlockTable(2).begin(), m->BlockTable(2).end()), parent);
  EXPECT_TRUE(m->TakePendingCopies().empty());
  ASSERT_TRUE(m->AppendTokens(2, {77}).ok());
  std::vector<BlockCopy> copies = m->TakePendingCopies();
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].src, parent[1]);
  EXPECT_EQ(copies[0].dst, m->BlockTable(2)[1]);
  EXPECT_NE(copies[0].dst, parent[1]);
  EXPECT_EQ(m->BlockTable(2)[0], parent[0]);  // full block still shared
  EXPECT_EQ(m->Stats().cow_copies, 1);
  EXPECT_TRUE(m->TakePendingCopies().empty());  // taken
  // The parent now owns its partial block alone: no copy.
  ASSERT_TRUE(m->AppendTokens(1, {55}).ok());
  EXPECT_TRUE(m->TakePendingCopies().empty());
  EXPECT_EQ(m->BlockTable(1)[1], parent[1]);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, CopyOnWriteOutOfBlocksChangesNothing) {
  auto m = Make(4, 2);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 6)).ok());
  ASSERT_TRUE(m->Fork(1, 2).ok());
  KVBlockManagerStats before = m->Stats();
  EXPECT_EQ(m->AppendTokens(2, {1}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(SameStats(before, m->Stats()));
  EXPECT_TRUE(m->TakePendingCopies().empty());
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, IdenticalBlockFilledTwiceIsDeduplicated) {
  auto m = Make(4, 16);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 6)).ok());
  ASSERT_TRUE(m->AddSequence(2, Range(0, 6)).ok());  // shares block 0, own partial block
  ASSERT_TRUE(m->AppendTokens(1, {6, 7, 8}).ok());
  const int32_t private_block = m->BlockTable(2)[1];
  ASSERT_TRUE(m->AppendTokens(2, {6, 7, 8}).ok());
  EXPECT_EQ(m->Stats().registered_blocks, 2);
  EXPECT_EQ(m->Stats().deduplicated_blocks, 1);
  EXPECT_EQ(m->BlockTable(1)[1], m->BlockTable(2)[1]);
  EXPECT_NE(m->BlockTable(2)[1], private_block);
  EXPECT_INVARIANTS(*m);
  // The chain goes on past the shared block.
  ASSERT_TRUE(m->AppendTokens(2, {9, 10, 11}).ok());
  EXPECT_EQ(m->Stats().registered_blocks, 3);
  EXPECT_EQ(m->CachedPrefixLength(Range(0, 12)), 12);
  ASSERT_TRUE(m->FreeSequence(2).ok());
  ASSERT_TRUE(m->FreeSequence(1).ok());
  EXPECT_EQ(m->Stats().cached_blocks, 3);
  EXPECT_EQ(m->AddSequence(3, Range(0, 12)).value(), 12);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, EvictsLeastRecentlyReleasedLeavesFirst) {
  auto m = Make(2, 6);
  ASSERT_TRUE(m->AddSequence(1, {1, 1, 2, 2}).ok());  // chain A: 2 blocks
  ASSERT_TRUE(m->AddSequence(2, {3, 3, 4, 4}).ok());  // chain B
  ASSERT_TRUE(m->FreeSequence(1).ok());
  ASSERT_TRUE(m->FreeSequence(2).ok());
  ASSERT_TRUE(m->AddSequence(3, {5, 5, 6, 6}).ok());  // takes the 2 free blocks
  EXPECT_EQ(m->Stats().evictions, 0);
  // One more block: evicts A's leaf (oldest), never A's first block before its child.
  ASSERT_TRUE(m->AddSequence(4, {7, 7}).ok());
  EXPECT_EQ(m->Stats().evictions, 1);
  EXPECT_EQ(m->CachedPrefixLength({1, 1, 2, 2}), 2);
  EXPECT_EQ(m->CachedPrefixLength({3, 3, 4, 4}), 4);
  ASSERT_TRUE(m->AddSequence(5, {8, 8}).ok());
  EXPECT_EQ(m->CachedPrefixLength({1, 1, 2, 2}), 0);
  EXPECT_EQ(m->CachedPrefixLength({3, 3, 4, 4}), 4);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, HitRefreshesRecency) {
  auto m = Make(2, 4);
  ASSERT_TRUE(m->AddSequence(1, {1, 1}).ok());
  ASSERT_TRUE(m->AddSequence(2, {2, 2}).ok());
  ASSERT_TRUE(m->FreeSequence(1).ok());
  ASSERT_TRUE(m->FreeSequence(2).ok());
  ASSERT_TRUE(m->AddSequence(3, {1, 1}).ok());  // hit: {1,1} is recent again
  ASSERT_TRUE(m->FreeSequence(3).ok());
  ASSERT_TRUE(m->AddSequence(4, {5, 5, 6, 6, 7, 7}).ok());  // 2 free + 1 eviction
  EXPECT_EQ(m->CachedPrefixLength({2, 2}), 0);
  EXPECT_EQ(m->CachedPrefixLength({1, 1}), 2);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, RetentionPriorityEvictsLowFirst) {
  auto m = Make(2, 4);
  SequenceOptions high;
  high.retention_priority = 5;
  ASSERT_TRUE(m->AddSequence(1, {1, 1}, high).ok());
  ASSERT_TRUE(m->AddSequence(2, {2, 2}).ok());
  ASSERT_TRUE(m->FreeSequence(1).ok());  // older but high priority
  ASSERT_TRUE(m->FreeSequence(2).ok());
  ASSERT_TRUE(m->AddSequence(3, {5, 5, 6, 6, 7, 7}).ok());
  EXPECT_EQ(m->CachedPrefixLength({2, 2}), 0);
  EXPECT_EQ(m->CachedPrefixLength({1, 1}), 2);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, PinnedPrefixIsNeverEvictedUntilUnpinned) {
  auto m = Make(2, 4);
  ASSERT_TRUE(m->AddSequence(1, {1, 1, 2, 2}).ok());
  ASSERT_TRUE(m->FreeSequence(1).ok());
  EXPECT_EQ(m->PinPrefix({1, 1, 2, 2, 3}), 4);
  EXPECT_EQ(m->Stats().pinned_blocks, 2);
  EXPECT_EQ(m->NumFreeBlocks(), 2);
  EXPECT_EQ(m->AddSequence(2, {5, 5, 6, 6, 7, 7}).status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(m->AddSequence(2, {5, 5, 6, 6}).ok());
  ASSERT_TRUE(m->FreeSequence(2).ok());
  ASSERT_TRUE(m->AddSequence(3, {8, 8, 9, 9}).ok());  // evicts seq 2's blocks, not the pin
  EXPECT_EQ(m->CachedPrefixLength({1, 1, 2, 2}), 4);
  EXPECT_INVARIANTS(*m);
  EXPECT_EQ(m->UnpinPrefix({1, 1, 2, 2}).value(), 4);
  EXPECT_EQ(m->UnpinPrefix({1, 1, 2, 2}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(m->NumFreeBlocks(), 2);
  ASSERT_TRUE(m->FreeSequence(3).ok());
  ASSERT_TRUE(m->AddSequence(4, {4, 4, 4, 4, 4, 4, 4, 4}).ok());
  EXPECT_EQ(m->CachedPrefixLength({1, 1, 2, 2}), 0);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, ExtraKeySeparatesCaches) {
  auto m = Make(4, 16);
  SequenceOptions adapter;
  adapter.extra_key = 7;
  ASSERT_TRUE(m->AddSequence(1, Range(0, 8), adapter).ok());
  EXPECT_EQ(m->AddSequence(2, Range(0, 8)).value(), 0);
  EXPECT_EQ(m->AddSequence(3, Range(0, 8), adapter).value(), 8);
  EXPECT_EQ(m->CachedPrefixLength(Range(0, 8), 7), 8);
  EXPECT_EQ(m->CachedPrefixLength(Range(0, 8), 8), 0);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, DisabledPrefixCachingNeverShares) {
  auto m = Make(4, 8, /*caching=*/false);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 8)).ok());
  EXPECT_EQ(m->AddSequence(2, Range(0, 8)).value(), 0);
  ASSERT_TRUE(m->FreeSequence(1).ok());
  EXPECT_EQ(m->Stats().cached_blocks, 0);
  EXPECT_EQ(m->CachedPrefixLength(Range(0, 8)), 0);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, ForcedCollisionsNeverShareWrongly) {
  // Every block has the same digest: only verification tells them apart.
  auto m = Make(2, 32, true, [](uint64_t, absl::Span<const int32_t>, uint64_t) {
    return uint64_t{42};
  });
  ASSERT_TRUE(m->AddSequence(1, {1, 2, 3, 4}).ok());
  EXPECT_EQ(m->AddSequence(2, {1, 2, 3, 5, 0}).value(), 2);
  EXPECT_EQ(m->AddSequence(3, {3, 4, 1, 2}).value(), 0);  // same blocks, other order
  EXPECT_EQ(m->AddSequence(4, {1, 2, 3, 4}).value(), 4);
  SequenceOptions other;
  other.extra_key = 1;
  EXPECT_EQ(m->AddSequence(5, {1, 2, 3, 4}, other).value(), 0);
  EXPECT_EQ(m->Stats().registered_blocks, 7);
  EXPECT_INVARIANTS(*m);
}

// ---------------------------------------------------------------------------------------------
TEST(KVBlockManagerTest, AppendTokensBatchMatchesSequentialAppends) {
  auto batched = Make(4, 64);
  auto single = Make(4, 64);
  std::vector<int64_t> ids;
  for (int64_t id = 0; id < 6; ++id) {
    std::vector<int32_t> prompt = Range(0, static_cast<int32_t>(id) * 3);  // shared prefixes
    ASSERT_TRUE(batched->AddSequence(id, prompt).ok());
    ASSERT_TRUE(single->AddSequence(id, prompt).ok());
    ids.push_back(id);
  }
  ASSERT_TRUE(batched->Fork(2, 7).ok());  // a fork shares a partial block: copy on write
  ASSERT_TRUE(single->Fork(2, 7).ok());
  ids.push_back(7);
  std::mt19937 rng(5);
  for (int step = 0; step < 20; ++step) {
    std::shuffle(ids.begin(), ids.end(), rng);
    std::vector<int32_t> tokens;
    for (size_t i = 0; i < ids.size(); ++i) tokens.push_back(static_cast<int32_t>(rng() % 2));
    ASSERT_TRUE(batched->AppendTokensBatch(ids, tokens).ok());
    for (size_t i = 0; i < ids.size(); ++i) {
      ASSERT_TRUE(single->AppendTokens(ids[i], {tokens[i]}).ok());
    }
    for (int64_t id : ids) {
      ASSERT_EQ(batched->BlockTableCopy(id), single->BlockTableCopy(id)) << id;
      ASSERT_EQ(batched->SequenceLength(id), single->SequenceLength(id));
    }
    ASSERT_TRUE(SameStats(batched->Stats(), single->Stats()));
    std::vector<BlockCopy> a = batched->TakePendingCopies();
    std::vector<BlockCopy> b = single->TakePendingCopies();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].src, b[i].src);
      EXPECT_EQ(a[i].dst, b[i].dst);
    }
    EXPECT_INVARIANTS(*batched);
  }
  EXPECT_GT(batched->Stats().cow_copies, 0);
}

TEST(KVBlockManagerTest, AppendTokensBatchErrorsChangeNothing) {
  auto m = Make(4, 3);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 4)).ok());  // full block: the next token needs one
  ASSERT_TRUE(m->AddSequence(2, Range(10, 13)).ok());
  ASSERT_TRUE(m->AddSequence(3, Range(20, 24)).ok());
  const KVBlockManagerStats before = m->Stats();
  auto unchanged = [&] {
    EXPECT_TRUE(SameStats(before, m->Stats()));
    EXPECT_EQ(m->SequenceLength(1), 4);
    EXPECT_EQ(m->SequenceLength(2), 3);
    EXPECT_EQ(m->SequenceLength(3), 4);
    EXPECT_INVARIANTS(*m);
  };
  const std::vector<int64_t> ids = {1, 2};
  const std::vector<int32_t> one = {5};
  EXPECT_EQ(m->AppendTokensBatch(ids, one).code(), absl::StatusCode::kInvalidArgument);
  unchanged();
  EXPECT_EQ(m->AppendTokensBatch({2, 9}, {5, 6}).code(), absl::StatusCode::kNotFound);
  unchanged();
  EXPECT_EQ(m->AppendTokensBatch({2, 1, 2}, {5, 6, 7}).code(), absl::StatusCode::kInvalidArgument);
  unchanged();
  // 1 and 3 each need a fresh block; none is free (3 blocks used, nothing cached).
  EXPECT_EQ(m->AppendTokensBatch({2, 1, 3}, {5, 6, 7}).code(),
            absl::StatusCode::kResourceExhausted);
  unchanged();
  EXPECT_TRUE(m->AppendTokensBatch({}, {}).ok());
  unchanged();
  EXPECT_TRUE(m->AppendTokensBatch({2}, {13}).ok());  // fills its partial block: no new block
  EXPECT_EQ(m->SequenceLength(2), 4);
  EXPECT_INVARIANTS(*m);
}

TEST(KVBlockManagerTest, AppendTokensBatchCountsCopiesExactly) {
  // Block 0 is a partial block shared by 1 and its fork 2. With one block free, appending to
  // both copies once (the last writer owns the block alone), so the batch fits.
  auto m = Make(4, 3);
  ASSERT_TRUE(m->AddSequence(1, Range(0, 2)).ok());
  ASSERT_TRUE(m->Fork(1, 2).ok());
  ASSERT_TRUE(m->AddSequence(3, Range(50, 54)).ok());
  ASSERT_EQ(m->NumFreeBlocks(), 1);
  ASSERT_TRUE(m->AppendTokensBatch({1, 2}, {7, 8}).ok());
  EXPECT_EQ(m->Stats().cow_copies, 1);
  EXPECT_EQ(m->TakePendingCopies().size(), 1u);
  EXPECT_INVARIANTS(*m);
  // Three holders, two of them in the batch: both must copy, and only one block is free...
  auto n = Make(4, 3);
  ASSERT_TRUE(n->AddSequence(1, Range(0, 2)).ok());
  ASSERT_TRUE(n->Fork(1, 2).ok());
  ASSERT_TRUE(n->Fork(1, 3).ok());
  ASSERT_TRUE(n->AddSequence(4, Range(50, 54)).ok());
  ASSERT_EQ(n->NumFreeBlocks(), 1);
  const KVBlockManagerStats before = n->Stats();
  EXPECT_EQ(n->AppendTokensBatch({1, 2}, {7, 8}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(SameStats(before, n->Stats()));
  EXPECT_TRUE(n->TakePendingCopies().empty());
  // ... but one of them alone fits.
  EXPECT_TRUE(n->AppendTokensBatch({2}, {8}).ok());
  EXPECT_INVARIANTS(*n);
}

// Randomized differential test. The model tracks, in token space, which (extra key, whole-block
// prefix) pairs are registered; it predicts every AddSequence hit exactly. After each operation
// it drops the prefixes the manager evicted (observed through CachedPrefixLength, which must
// never report a prefix the model does not know).

struct ModelSeq {
  std::vector<int32_t> tokens;
  uint64_t extra = 0;
  size_t num_registered = 0;
};

using PrefixKey = std::pair<uint64_t, std::vector<int32_t>>;

void RunDifferential(int ops, int check_every, uint32_t seed, KVBlockHashFn hash) {
  const int32_t bs = 2 + static_cast<int32_t>(seed % 3);
  const int32_t num_blocks = 48;
  auto m = Make(bs, num_blocks, true, hash);
  std::set<PrefixKey> registered;
  std::map<int64_t, ModelSeq> seqs;
  std::vector<std::pair<uint64_t, std::vector<int32_t>>> pins;
  std::mt19937 rng(seed);
  int64_t next_id = 0;
  int64_t hits_seen = 0;
  auto random_tokens = [&](int n) {
    std::vector<int32_t> t;
    for (int i = 0; i < n; ++i) t.push_back(static_cast<int32_t>(rng() % 3));
    return t;
  };
  auto register_full_blocks = [&](ModelSeq& s) {
    const size_t full = s.tokens.size() / bs;
    while (s.num_registered < full) {
      registered.insert({s.extra, std::vector<int32_t>(
                                      s.tokens.begin(), s.tokens.begin() + (s.num_registered + 1) * bs)});
      ++s.num_registered;
    }
  };
  for (int op = 0; op < ops; ++op) {
    int kind = static_cast<int>(rng() % 100);
    if (seqs.size() > 24 && kind < 70) kind = 80;  // keep the live set small: free one
    const KVBlockManagerStats before = m->Stats();
    if (kind < 30 || seqs.empty()) {
      // Prompts: often a prefix of a live or random earlier sequence plus noise.
      std::vector<int32_t> prompt;
      if (!seqs.empty() && rng() % 2 == 0) {
        auto it = seqs.begin();
        std::advance(it, rng() % seqs.size());
        prompt.assign(it->second.tokens.begin(),
                      it->second.tokens.begin() + rng() % (it->second.tokens.size() + 1));
      }
      std::vector<int32_t> tail = random_tokens(static_cast<int>(rng() % (3 * bs)));
      prompt.insert(prompt.end(), tail.begin(), tail.end());
      SequenceOptions so;
      so.extra_key = rng() % 5 == 0 ? 1 : 0;
      so.retention_priority = static_cast<int32_t>(rng() % 3);
      // Predicted hit.
      size_t k = 0;
      while ((k + 1) * bs <= prompt.size() &&
             registered.count({so.extra_key, std::vector<int32_t>(prompt.begin(),
                                                                  prompt.begin() + (k + 1) * bs)})) {
        ++k;
      }
      const int64_t id = next_id++;
      absl::StatusOr<int64_t> r = m->AddSequence(id, prompt, so);
      if (r.ok()) {
        ASSERT_EQ(*r, static_cast<int64_t>(std::min(k * bs, prompt.size()))) << "op " << op;
        hits_seen += *r > 0;
        ModelSeq s;
        s.tokens = prompt;
        s.extra = so.extra_key;
        s.num_registered = k;
        register_full_blocks(s);
        seqs[id] = s;
      } else {
        ASSERT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
        ASSERT_TRUE(SameStats(before, m->Stats()));
      }
    } else if (kind < 45) {
      // A decode step over a random subset (random order), sometimes poisoned.
      std::vector<int64_t> ids;
      std::vector<int32_t> toks;
      for (const auto& entry : seqs) {
        if (rng() % 2 == 0) {
          ids.push_back(entry.first);
          toks.push_back(static_cast<int32_t>(rng() % 3));
        }
      }
      std::shuffle(ids.begin(), ids.end(), rng);
      const int poison = static_cast<int>(rng() % 10);
      if (poison == 0 && !ids.empty()) {
        ids.push_back(ids[0]);
        toks.push_back(0);
      }
      if (poison == 1) {
        ids.push_back(-5);
        toks.push_back(0);
      }
      absl::Status st = m->AppendTokensBatch(ids, toks);
      if (poison <= 1 && !(poison == 0 && ids.empty())) {
        ASSERT_FALSE(st.ok());
      }
      if (st.ok()) {
        for (size_t i = 0; i < ids.size(); ++i) {
          ModelSeq& ms = seqs[ids[i]];
          ms.tokens.push_back(toks[i]);
          register_full_blocks(ms);
        }
      } else {
        ASSERT_TRUE(st.code() == absl::StatusCode::kResourceExhausted || poison <= 1) << st;
        ASSERT_TRUE(SameStats(before, m->Stats()));
      }
      (void)m->TakePendingCopies();
    } else if (kind < 60) {
      auto it = seqs.begin();
      std::advance(it, rng() % seqs.size());
      std::vector<int32_t> t = random_tokens(static_cast<int>(rng() % (2 * bs + 1)));
      absl::Status st = m->AppendTokens(it->first, t);
      if (st.ok()) {
        it->second.tokens.insert(it->second.tokens.end(), t.begin(), t.end());
        register_full_blocks(it->second);
      } else {
        ASSERT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
        ASSERT_TRUE(SameStats(before, m->Stats()));
      }
      (void)m->TakePendingCopies();
    } else if (kind < 70) {
      auto it = seqs.begin();
      std::advance(it, rng() % seqs.size());
      const int64_t id = next_id++;
      ASSERT_TRUE(m->Fork(it->first, id).ok());
      seqs[id] = it->second;
    } else if (kind < 95) {
      auto it = seqs.begin();
      std::advance(it, rng() % seqs.size());
      ASSERT_TRUE(m->FreeSequence(it->first).ok());
      seqs.erase(it);
    } else if (kind < 98) {
      auto it = seqs.begin();
      std::advance(it, rng() % seqs.size());
      const int64_t pinned = m->PinPrefix(it->second.tokens, it->second.extra);
      if (pinned > 0) pins.push_back({it->second.extra, it->second.tokens});
    } else if (!pins.empty()) {
      const size_t j = rng() % pins.size();
      ASSERT_TRUE(m->UnpinPrefix(pins[j].second, pins[j].first).ok());
      pins.erase(pins.begin() + j);
    }
    // Bad calls leave everything as it was.
    if (op % 17 == 0) {
      const KVBlockManagerStats s = m->Stats();
      ASSERT_FALSE(m->FreeSequence(-1).ok());
      ASSERT_FALSE(m->AppendTokens(-1, {1}).ok());
      ASSERT_TRUE(SameStats(s, m->Stats()));
    }
    // Sync: drop the prefixes the manager evicted; live ones must all be there.
    const bool evicted = m->Stats().evictions != before.evictions;
    for (auto it = registered.begin(); evicted && it != registered.end();) {
      if (m->CachedPrefixLength(it->second, it->first) !=
          static_cast<int64_t>(it->second.size())) {
        it = registered.erase(it);
      } else {
        ++it;
      }
    }
    ASSERT_LE(registered.size(), static_cast<size_t>(num_blocks));
    ASSERT_EQ(static_cast<int32_t>(registered.size()), m->Stats().registered_blocks);
    for (const auto& [id, s] : seqs) {
      if (op % check_every != 0) break;
      ASSERT_EQ(m->SequenceLength(id), static_cast<int64_t>(s.tokens.size()));
      for (size_t i = 1; i <= s.num_registered; ++i) {
        ASSERT_TRUE(registered.count(
            {s.extra, std::vector<int32_t>(s.tokens.begin(), s.tokens.begin() + i * bs)}))
            << "a live sequence's block was evicted, op " << op;
      }
    }
    if (op % check_every == 0) {
      absl::Status inv = m->CheckInvariants();
      ASSERT_TRUE(inv.ok()) << inv << " at op " << op;
    }
  }
  EXPECT_GT(hits_seen, ops / 50);  // the workload does exercise sharing
  EXPECT_GT(m->Stats().evictions, 0);
}

TEST(KVBlockManagerTest, DifferentialEveryOp) { RunDifferential(10000, 1, 1, nullptr); }
TEST(KVBlockManagerTest, DifferentialLarge) { RunDifferential(100000, 37, 2, nullptr); }
TEST(KVBlockManagerTest, DifferentialWithConstantHash) {
  RunDifferential(6000, 1, 3, [](uint64_t, absl::Span<const int32_t>, uint64_t) {
    return uint64_t{7};
  });
}
TEST(KVBlockManagerTest, DifferentialWithTinyHash) {
  // Four digests for everything: many collisions across different parents and tokens.
  RunDifferential(6000, 1, 4, [](uint64_t parent, absl::Span<const int32_t> t, uint64_t extra) {
    uint64_t h = parent + extra;
    for (int32_t x : t) h = h * 31 + static_cast<uint64_t>(x);
    return h & 3;
  });
}

// Several threads share one manager and one set of prompt prefixes.
TEST(KVBlockManagerConcurrencyTest, ThreadsShareOneManager) {
  auto m = Make(4, 256);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      std::mt19937 rng(100 + t);
      for (int i = 0; i < 2000; ++i) {
        const int64_t id = int64_t{t} * 1000000 + i;
        std::vector<int32_t> prompt = Range(0, 8 + static_cast<int32_t>(rng() % 12));
        prompt.push_back(t);
        if (!m->AddSequence(id, prompt).ok()) continue;
        (void)m->AppendTokens(id, {static_cast<int32_t>(rng() % 4), 1, 2});
        if (rng() % 3 == 0 && m->Fork(id, id + 500000).ok()) {
          (void)m->AppendTokensBatch({id, id + 500000}, {3, 9});
          (void)m->BlockTableCopy(id + 500000);
          (void)m->FreeSequence(id + 500000);
        }
        (void)m->TakePendingCopies();
        (void)m->NumFreeBlocks();
        (void)m->Stats();
        (void)m->CachedPrefixLength(prompt);
        EXPECT_TRUE(m->FreeSequence(id).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_INVARIANTS(*m);
  KVBlockManagerStats s = m->Stats();
  EXPECT_EQ(s.used_blocks, 0);
  EXPECT_EQ(s.num_sequences, 0);
  EXPECT_GT(s.hit_tokens, 0);
}

}  // namespace
}  // namespace llmds
