// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/internal/postings_codec.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "llmds/retrieval/internal/postings_cursor.h"

namespace llmds {
namespace retrieval_internal {
namespace {

TEST(BitPackingTest, RoundTripEveryWidth) {
  std::mt19937_64 rng(7);
  for (int bits = 0; bits <= 32; ++bits) {
    for (size_t n : {0u, 1u, 7u, 128u, 129u}) {
      std::vector<uint32_t> values(n);
      for (uint32_t& v : values) {
        v = bits == 0 ? 0 : static_cast<uint32_t>(rng() & (bits == 32 ? 0xFFFFFFFFull : ((1ull << bits) - 1)));
      }
      if (n > 0 && bits > 0) values[0] = bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
      std::vector<uint8_t> packed;
      PackBits(values, bits, &packed);
      ASSERT_EQ(packed.size(), PackedBytes(n, bits));
      std::vector<uint32_t> out(n + 1, 12345);
      UnpackBits(packed.data(), n, bits, out.data());
      EXPECT_TRUE(std::equal(values.begin(), values.end(), out.begin())) << bits << " " << n;
      EXPECT_EQ(out[n], 12345u);
    }
  }
  EXPECT_EQ(BitsNeeded(0), 0);
  EXPECT_EQ(BitsNeeded(1), 1);
  EXPECT_EQ(BitsNeeded(255), 8);
  EXPECT_EQ(BitsNeeded(256), 9);
  EXPECT_EQ(BitsNeeded(0xFFFFFFFFu), 32);
}

struct RandomList {
  std::vector<uint32_t> docs, tfs, lengths;
};

RandomList MakeList(std::mt19937_64& rng, size_t n, uint32_t max_gap, uint32_t max_tf) {
  RandomList l;
  uint64_t doc = rng() % 3;
  for (size_t i = 0; i < n; ++i) {
    l.docs.push_back(static_cast<uint32_t>(doc));
    l.tfs.push_back(1 + static_cast<uint32_t>(rng() % max_tf));
    doc += 1 + rng() % max_gap;
  }
  l.lengths.assign(static_cast<size_t>(doc) + 1, 0);
  for (size_t i = 0; i < n; ++i) l.lengths[l.docs[i]] = l.tfs[i] + static_cast<uint32_t>(rng() % 100);
  return l;
}

TEST(PostingListTest, IncrementalAppendEqualsOneShotAndRoundTrips) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 45; ++trial) {
    const size_t n = rng() % 700;
    const uint32_t max_gap = trial % 3 == 0 ? 1 : (trial % 3 == 1 ? 50 : 3000);
    RandomList l = MakeList(rng, n, max_gap, trial % 2 ? 3 : 5000);
    PostingList one_shot;
    one_shot.Append(l.docs, l.tfs, l.lengths);
    PostingList incremental;
    size_t i = 0;
    while (i < n) {
      const size_t chunk = std::min(n - i, 1 + rng() % 200);
      incremental.Append(absl::MakeConstSpan(l.docs).subspan(i, chunk),
                         absl::MakeConstSpan(l.tfs).subspan(i, chunk), l.lengths);
      i += chunk;
    }
    EXPECT_EQ(one_shot.data(), incremental.data());
    ASSERT_EQ(one_shot.num_blocks(), incremental.num_blocks());
    std::vector<uint32_t> docs, tfs;
    incremental.DecodeAll(&docs, &tfs);
    EXPECT_EQ(docs, l.docs);
    EXPECT_EQ(tfs, l.tfs);
    // FromParts accepts exactly what was written and recomputes the same bounds.
    PostingList copy;
    ASSERT_TRUE(PostingList::FromParts(incremental.size(), incremental.blocks(), incremental.data(),
                                       l.lengths, nullptr, &copy)
                    .ok());
    EXPECT_EQ(copy.max_tf(), incremental.max_tf());
    EXPECT_EQ(copy.min_doc_length(), incremental.min_doc_length());
    if (n > 0) {
      EXPECT_EQ(incremental.max_tf(), *std::max_element(l.tfs.begin(), l.tfs.end()));
      // Corrupted metadata or data is rejected.
      std::vector<BlockMeta> bad_meta = incremental.blocks();
      bad_meta.back().max_tf += 1;
      EXPECT_FALSE(PostingList::FromParts(incremental.size(), bad_meta, incremental.data(),
                                          l.lengths, nullptr, &copy)
                       .ok());
      std::vector<uint8_t> bad_data = incremental.data();
      bad_data[0] = 40;
      EXPECT_FALSE(PostingList::FromParts(incremental.size(), incremental.blocks(), bad_data,
                                          l.lengths, nullptr, &copy)
                       .ok());
      EXPECT_FALSE(PostingList::FromParts(incremental.size() + 1, incremental.blocks(),
                                          incremental.data(), l.lengths, nullptr, &copy)
                       .ok());
    }
  }
}

TEST(PostingCursorTest, NextGeqMatchesLowerBound) {
  std::mt19937_64 rng(9);
  for (int trial = 0; trial < 40; ++trial) {
    RandomList l = MakeList(rng, 1 + rng() % 900, 1 + rng() % 40, 10);
    const size_t sealed_n = rng() % (l.docs.size() + 1);
    PostingList sealed;
    sealed.Append(absl::MakeConstSpan(l.docs).subspan(0, sealed_n),
                  absl::MakeConstSpan(l.tfs).subspan(0, sealed_n), l.lengths);
    PostingTail tail;
    tail.docs = l.docs.data() + sealed_n;
    tail.tfs = l.tfs.data() + sealed_n;
    tail.size = static_cast<uint32_t>(l.docs.size() - sealed_n);
    for (uint32_t i = 0; i < tail.size; ++i) tail.max_tf = std::max(tail.max_tf, tail.tfs[i]);
    // Full scan with Next.
    {
      PostingCursor c(&sealed, tail);
      for (size_t i = 0; i < l.docs.size(); ++i) {
        ASSERT_EQ(c.doc(), l.docs[i]);
        ASSERT_EQ(c.tf(), l.tfs[i]);
        c.Next();
      }
      EXPECT_EQ(c.doc(), kEndDoc);
    }
    // Random increasing NextGeq targets; block bounds cover the postings they skip to.
    PostingCursor c(&sealed, tail);
    uint32_t target = 0;
    while (true) {
      target += static_cast<uint32_t>(rng() % 60);
      const int block = c.ShallowBlock(target);
      c.NextGeq(target);
      auto it = std::lower_bound(l.docs.begin(), l.docs.end(), target);
      if (it == l.docs.end()) {
        EXPECT_EQ(c.doc(), kEndDoc);
        EXPECT_EQ(block, -1);
        break;
      }
      ASSERT_EQ(c.doc(), *it);
      ASSERT_EQ(c.tf(), l.tfs[it - l.docs.begin()]);
      ASSERT_GE(block, 0);
      EXPECT_EQ(block, c.current_block());
      EXPECT_GE(c.BlockMaxTf(block), c.tf());
    }
  }
}

}  // namespace
}  // namespace retrieval_internal
}  // namespace llmds
