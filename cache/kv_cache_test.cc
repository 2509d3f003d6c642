// Copyright 2026 The llmds Authors.

#include "llmds/cache/kv_cache.h"

#include <map>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

std::unique_ptr<KVCache> Make(int32_t page_size, int32_t max_pages, bool sharing = true) {
  KVCacheOptions o;
  o.page_size = page_size;
  o.max_pages = max_pages;
  o.enable_prefix_sharing = sharing;
  o.token_bytes = 4;
  auto c = KVCache::Create(o);
  EXPECT_TRUE(c.ok()) << c.status();
  return std::move(c).value();
}

std::vector<int32_t> Seq(int32_t begin, int32_t n) {
  std::vector<int32_t> v;
  for (int32_t i = 0; i < n; ++i) v.push_back(begin + i);
  return v;
}

absl::Status AttachInts(KVCache& c, int64_t id, const std::vector<int32_t>& kv,
                        const std::vector<int32_t>& prefix) {
  return c.Attach<int32_t>(id, absl::MakeConstSpan(kv), absl::MakeConstSpan(prefix));
}

#define EXPECT_INVARIANTS(c)                   \
  do {                                         \
    absl::Status inv = (c).CheckInvariants();  \
    EXPECT_TRUE(inv.ok()) << inv;              \
  } while (0)

TEST(KVCacheTest, CreateValidates) {
  KVCacheOptions o;
  o.page_size = 0;
  EXPECT_EQ(KVCache::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = KVCacheOptions();
  o.max_pages = 0;
  EXPECT_EQ(KVCache::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = KVCacheOptions();
  o.token_bytes = -2;
  EXPECT_NE(KVCache::Create(o).status().message().find("-2"), std::string::npos);
  EXPECT_TRUE(KVCache::Create(KVCacheOptions()).ok());
}

TEST(KVCacheTest, AttachGetRoundTripIsACopy) {
  auto c = Make(4, 16);
  std::vector<int32_t> kv = Seq(100, 10);
  ASSERT_TRUE(AttachInts(*c, 1, kv, {}).ok());
  std::optional<std::vector<int32_t>> got = c->GetAs<int32_t>(1);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, kv);
  (*got)[0] = -1;  // mutating the copy does not touch the cache
  EXPECT_EQ(c->GetAs<int32_t>(1)->at(0), 100);
  EXPECT_EQ(c->Get(1)->size(), 40u);
  EXPECT_FALSE(c->Get(2).has_value());
  EXPECT_FALSE(c->GetAs<int64_t>(1).has_value());  // wrong element size
  EXPECT_EQ(c->Stats().allocated_pages, 3);
  EXPECT_INVARIANTS(*c);
}

TEST(KVCacheTest, AttachValidatesSizes) {
  auto c = Make(4, 16);
  std::vector<std::byte> odd(7);
  EXPECT_EQ(c->Attach(1, odd).code(), absl::StatusCode::kInvalidArgument);
  std::vector<int32_t> kv = Seq(0, 4);
  EXPECT_EQ(AttachInts(*c, 1, kv, Seq(0, 5)).code(), absl::StatusCode::kInvalidArgument);
  std::vector<int64_t> wide(4);
  EXPECT_EQ(c->Attach<int64_t>(1, absl::MakeConstSpan(wide)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c->Stats().sequences, 0);
  EXPECT_EQ(c->Detach(1).code(), absl::StatusCode::kNotFound);
}

TEST(KVCacheTest, SharesPagesOnlyWhenTokensAndDataMatch) {
  auto c = Make(4, 16);
  std::vector<int32_t> prefix = Seq(0, 8);
  std::vector<int32_t> kv = Seq(1000, 10);
  ASSERT_TRUE(AttachInts(*c, 1, kv, prefix).ok());
  ASSERT_TRUE(AttachInts(*c, 2, kv, prefix).ok());  // same tokens, same data: share 2 pages
  KVCacheStats s = c->Stats();
  EXPECT_EQ(s.prefix_shares, 2);
  EXPECT_EQ(s.shared_pages_count, 2);
  EXPECT_EQ(s.allocated_pages, 4);
  EXPECT_EQ(s.prefix_hit_tokens, 8);
  // Same tokens, different data in page 1: page 0 shared, page 1 copied.
  std::vector<int32_t> kv3 = kv;
  kv3[5] = -5;
  ASSERT_TRUE(AttachInts(*c, 3, kv3, prefix).ok());
  s = c->Stats();
  EXPECT_EQ(s.cow_copies, 1);
  EXPECT_EQ(s.prefix_shares, 3);
  EXPECT_EQ(*c->GetAs<int32_t>(3), kv3);
  EXPECT_EQ(*c->GetAs<int32_t>(1), kv);
  // Different tokens, same data: no sharing at all.
  ASSERT_TRUE(AttachInts(*c, 4, kv, Seq(50, 8)).ok());
  EXPECT_EQ(c->Stats().prefix_shares, 3);
  // The data variant is itself shareable.
  ASSERT_TRUE(AttachInts(*c, 5, kv3, prefix).ok());
  EXPECT_EQ(c->Stats().prefix_shares, 5);
  EXPECT_EQ(c->Stats().cow_copies, 1);
  EXPECT_INVARIANTS(*c);
}

TEST(KVCacheTest, ReleasedPrefixStaysCachedUntilEvicted) {
  auto c = Make(4, 4);
  std::vector<int32_t> kv = Seq(0, 8);
  ASSERT_TRUE(AttachInts(*c, 1, kv, Seq(0, 8)).ok());
  ASSERT_TRUE(c->Detach(1).ok());
  EXPECT_EQ(c->Stats().cached_pages, 2);
  ASSERT_TRUE(AttachInts(*c, 2, kv, Seq(0, 8)).ok());
  EXPECT_EQ(c->Stats().prefix_shares, 2);
  ASSERT_TRUE(c->Detach(2).ok());
  // 4 pages of unrelated data: the 2 cached pages are evicted, child first.
  ASSERT_TRUE(AttachInts(*c, 3, Seq(500, 16), {}).ok());
  EXPECT_EQ(c->Stats().evictions, 2);
  EXPECT_EQ(c->Stats().cached_pages, 0);
  EXPECT_INVARIANTS(*c);
}

TEST(KVCacheTest, FailedAttachChangesNothingIncludingOldAttachment) {
  auto c = Make(4, 4);
  std::vector<int32_t> kv = Seq(0, 12);
  ASSERT_TRUE(AttachInts(*c, 1, kv, {}).ok());
  ASSERT_TRUE(AttachInts(*c, 2, Seq(9, 4), {}).ok());
  KVCacheStats before = c->Stats();
  // Re-attach 1 with 5 pages: its own 3 come back, plus 0 free = 3 < 5.
  EXPECT_EQ(AttachInts(*c, 1, Seq(0, 20), {}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*c->GetAs<int32_t>(1), kv);
  EXPECT_EQ(c->Stats().allocated_pages, before.allocated_pages);
  EXPECT_EQ(AttachInts(*c, 3, Seq(0, 4), {}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_INVARIANTS(*c);
  // Re-attach within the freed room replaces.
  ASSERT_TRUE(AttachInts(*c, 1, Seq(7, 11), {}).ok());
  EXPECT_EQ(*c->GetAs<int32_t>(1), Seq(7, 11));
  EXPECT_EQ(c->Stats().sequences, 2);
  EXPECT_INVARIANTS(*c);
}

TEST(KVCacheTest, ReattachKeepsSharedPagesItStillUses) {
  auto c = Make(4, 3);
  std::vector<int32_t> kv = Seq(0, 8);
  ASSERT_TRUE(AttachInts(*c, 1, kv, Seq(0, 8)).ok());
  // Same prefix, one more page: needs 1 new page; the 2 old ones are hits.
  std::vector<int32_t> longer = Seq(0, 12);
  ASSERT_TRUE(AttachInts(*c, 1, longer, Seq(0, 8)).ok());
  EXPECT_EQ(c->Stats().prefix_shares, 2);
  EXPECT_EQ(*c->GetAs<int32_t>(1), longer);
  EXPECT_INVARIANTS(*c);
}

TEST(KVCacheTest, SharingDisabled) {
  auto c = Make(4, 8, false);
  ASSERT_TRUE(AttachInts(*c, 1, Seq(0, 8), Seq(0, 8)).ok());
  ASSERT_TRUE(AttachInts(*c, 2, Seq(0, 8), Seq(0, 8)).ok());
  EXPECT_EQ(c->Stats().prefix_shares, 0);
  EXPECT_EQ(c->Stats().allocated_pages, 4);
  ASSERT_TRUE(c->Detach(1).ok());
  EXPECT_EQ(c->Stats().allocated_pages, 2);
  EXPECT_INVARIANTS(*c);
}

// Randomized: every Get equals what was attached (a map model), invariants after every op.
TEST(KVCacheTest, RandomizedAgainstMapModel) {
  auto c = Make(3, 40);
  std::map<int64_t, std::vector<int32_t>> model;
  std::mt19937 rng(9);
  for (int op = 0; op < 20000; ++op) {
    const int64_t id = rng() % 12;
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 6) {
      const int n = static_cast<int>(rng() % 16);
      std::vector<int32_t> prefix, kv;
      for (int i = 0; i < n; ++i) prefix.push_back(static_cast<int32_t>(rng() % 2));
      for (int i = 0; i < n; ++i) kv.push_back(prefix[i] * 10 + (rng() % 8 == 0 ? 1 : 0));
      prefix.resize(rng() % (n + 1));
      const KVCacheStats before = c->Stats();
      absl::Status s = AttachInts(*c, id, kv, prefix);
      if (s.ok()) {
        model[id] = kv;
      } else {
        ASSERT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
        ASSERT_EQ(c->Stats().allocated_pages, before.allocated_pages);
        ASSERT_EQ(c->Stats().cow_copies, before.cow_copies);
      }
    } else {
      absl::Status s = c->Detach(id);
      ASSERT_EQ(s.ok(), model.erase(id) == 1);
    }
    for (const auto& [sid, kv] : model) ASSERT_EQ(*c->GetAs<int32_t>(sid), kv) << "op " << op;
    absl::Status inv = c->CheckInvariants();
    ASSERT_TRUE(inv.ok()) << inv << " op " << op;
  }
  EXPECT_GT(c->Stats().prefix_shares, 0);
  EXPECT_GT(c->Stats().cow_copies, 0);
  EXPECT_GT(c->Stats().evictions, 0);
}

}  // namespace
}  // namespace llmds
