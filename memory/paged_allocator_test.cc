// Copyright 2026 The llmds Authors.

#include "llmds/memory/paged_allocator.h"

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

PagedAllocator MakeAllocator(int32_t page_size, int32_t max_pages) {
  absl::StatusOr<PagedAllocator> alloc = PagedAllocator::Create(page_size, max_pages);
  EXPECT_TRUE(alloc.ok()) << alloc.status();
  return std::move(alloc).value();
}

TEST(PagedAllocatorTest, CreateRejectsBadOptions) {
  EXPECT_EQ(PagedAllocator::Create(0, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PagedAllocator::Create(-4, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PagedAllocator::Create(16, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PagedAllocator::Create(16, -1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(PagedAllocator::Create(16, -1).status().message().find("-1"), std::string::npos);
}

TEST(PagedAllocatorTest, FreshAllocatorStats) {
  PagedAllocator alloc = MakeAllocator(16, 100);
  PageStats s = alloc.Stats();
  EXPECT_EQ(s.page_size, 16);
  EXPECT_EQ(s.total_pages, 100);
  EXPECT_EQ(s.allocated_pages, 0);
  EXPECT_EQ(s.free_pages, 100);
  EXPECT_EQ(s.peak_allocated_pages, 0);
}

TEST(PagedAllocatorTest, AllocReturnsDistinctIdsInRange) {
  PagedAllocator alloc = MakeAllocator(16, 10);
  std::vector<int32_t> a = alloc.Alloc(4).value();
  std::vector<int32_t> b = alloc.Alloc(6).value();
  std::set<int32_t> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 10u);
  EXPECT_EQ(*all.begin(), 0);
  EXPECT_EQ(*all.rbegin(), 9);
  EXPECT_EQ(alloc.Stats().allocated_pages, 10);
  EXPECT_EQ(alloc.Stats().free_pages, 0);
  EXPECT_TRUE(alloc.CheckInvariants().ok());
}

TEST(PagedAllocatorTest, AllocZeroAndNegative) {
  PagedAllocator alloc = MakeAllocator(16, 10);
  EXPECT_TRUE(alloc.Alloc(0).value().empty());
  EXPECT_EQ(alloc.Alloc(-1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(alloc.Stats().allocated_pages, 0);
}

TEST(PagedAllocatorTest, AllocIsAllOrNothing) {
  PagedAllocator alloc = MakeAllocator(16, 10);
  ASSERT_TRUE(alloc.Alloc(7).ok());
  absl::StatusOr<std::vector<int32_t>> r = alloc.Alloc(4);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(alloc.Stats().allocated_pages, 7);
  EXPECT_EQ(alloc.Alloc(3).value().size(), 3u);
  EXPECT_TRUE(alloc.CheckInvariants().ok());
}

TEST(PagedAllocatorTest, FreeReturnsPagesForReuse) {
  PagedAllocator alloc = MakeAllocator(16, 4);
  std::vector<int32_t> a = alloc.Alloc(4).value();
  ASSERT_TRUE(alloc.Free({a[1], a[2]}).ok());
  EXPECT_FALSE(alloc.IsAllocated(a[1]));
  EXPECT_TRUE(alloc.IsAllocated(a[0]));
  std::vector<int32_t> b = alloc.Alloc(2).value();
  std::sort(b.begin(), b.end());
  EXPECT_EQ(b, (std::vector<int32_t>{a[1], a[2]}));
  EXPECT_EQ(alloc.Stats().peak_allocated_pages, 4);
}

TEST(PagedAllocatorTest, FreeRejectsUnknownOutOfRangeDoubleAndRepeatedIds) {
  PagedAllocator alloc = MakeAllocator(16, 8);
  std::vector<int32_t> a = alloc.Alloc(3).value();  // 0, 1, 2
  // Out of range.
  EXPECT_EQ(alloc.Free({a[0], 8}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(alloc.Free({-1}).code(), absl::StatusCode::kInvalidArgument);
  // Never allocated (below and above the high-water mark).
  EXPECT_EQ(alloc.Free({a[0], 5}).code(), absl::StatusCode::kFailedPrecondition);
  // Repeated within one call.
  absl::Status repeated = alloc.Free({a[0], a[1], a[0]});
  EXPECT_EQ(repeated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(repeated.message().find("twice"), std::string::npos);
  // Nothing changed by the failures.
  EXPECT_EQ(alloc.Stats().allocated_pages, 3);
  for (int32_t p : a) EXPECT_TRUE(alloc.IsAllocated(p));
  EXPECT_TRUE(alloc.CheckInvariants().ok());
  // Double free across calls.
  ASSERT_TRUE(alloc.Free({a[1]}).ok());
  EXPECT_EQ(alloc.Free({a[0], a[1]}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(alloc.IsAllocated(a[0]));
  EXPECT_EQ(alloc.Stats().allocated_pages, 2);
  EXPECT_TRUE(alloc.CheckInvariants().ok());
  EXPECT_TRUE(alloc.Free({}).ok());
}

TEST(PagedAllocatorTest, DefragmentCompactsToPrefix) {
  PagedAllocator alloc = MakeAllocator(16, 10);
  std::vector<int32_t> a = alloc.Alloc(10).value();
  ASSERT_TRUE(alloc.Free({0, 2, 3, 7}).ok());
  std::vector<PageMove> moves = alloc.Defragment();
  // Allocated were {1,4,5,6,8,9}; target [0,6): 6, 8 and 9 fill the holes 0, 2, 3.
  EXPECT_EQ(moves.size(), 3u);
  std::set<int32_t> froms, tos;
  for (const PageMove& m : moves) {
    EXPECT_GE(m.from, 6);
    EXPECT_LT(m.to, 6);
    froms.insert(m.from);
    tos.insert(m.to);
  }
  EXPECT_EQ(froms, (std::set<int32_t>{6, 8, 9}));
  EXPECT_EQ(tos, (std::set<int32_t>{0, 2, 3}));
    for (int32_t p = 0; p < 6; ++p) EXPECT_TRUE(alloc.IsAllocated(p)) << p;
  for (int32_t p = 6; p < 10; ++p) EXPECT_FALSE(alloc.IsAllocated(p)) << p;
  EXPECT_TRUE(alloc.CheckInvariants().ok());
  // Next allocation continues right after the compacted prefix.
  EXPECT_EQ(alloc.Alloc(1).value(), std::vector<int32_t>{6});
  EXPECT_TRUE(alloc.Defragment().empty());
}

TEST(PagedAllocatorTest, MetadataGrowsInSlabsWithUse) {
  // A huge max_pages must not reserve metadata up front; this would take 8 GiB otherwise.
  PagedAllocator alloc = MakeAllocator(1, 2000000000);
  std::vector<int32_t> a = alloc.Alloc(3).value();
  EXPECT_EQ(a, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_TRUE(alloc.CheckInvariants().ok());
}

TEST(PagedAllocatorTest, MoveKeepsState) {
  PagedAllocator alloc = MakeAllocator(8, 8);
  ASSERT_TRUE(alloc.Alloc(3).ok());
  PagedAllocator moved = std::move(alloc);
  EXPECT_EQ(moved.Stats().allocated_pages, 3);
  EXPECT_TRUE(moved.CheckInvariants().ok());
}

TEST(PagedAllocatorTest, AllocOneAndFreeOne) {
  PagedAllocator alloc = MakeAllocator(8, 3);
  absl::StatusOr<int32_t> a = alloc.AllocOne();
  absl::StatusOr<int32_t> b = alloc.AllocOne();
  absl::StatusOr<int32_t> c = alloc.AllocOne();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, 0);  // fresh ids in increasing order
  EXPECT_EQ(*b, 1);
  EXPECT_EQ(*c, 2);
  absl::StatusOr<int32_t> d = alloc.AllocOne();
  EXPECT_EQ(d.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(alloc.Stats().allocated_pages, 3);
  EXPECT_TRUE(alloc.FreeOne(*b).ok());
  EXPECT_FALSE(alloc.IsAllocated(*b));
  EXPECT_EQ(alloc.FreeOne(*b).code(), absl::StatusCode::kFailedPrecondition);  // double free
  EXPECT_EQ(alloc.FreeOne(-1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(alloc.FreeOne(3).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(alloc.Stats().allocated_pages, 2);
  absl::StatusOr<int32_t> e = alloc.AllocOne();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, *b);  // freed ids are reused first
  EXPECT_EQ(alloc.Stats().peak_allocated_pages, 3);
  EXPECT_TRUE(alloc.CheckInvariants().ok());
}

TEST(PagedAllocatorTest, FreeOneOfNeverAllocatedIdBelowMax) {
  PagedAllocator alloc = MakeAllocator(8, 5000);
  ASSERT_TRUE(alloc.AllocOne().ok());
  EXPECT_EQ(alloc.FreeOne(1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(alloc.FreeOne(4999).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(alloc.CheckInvariants().ok());
}

TEST(PagedAllocatorTest, AllocOneCrossesSlabsAndFollowsDefragment) {
  PagedAllocator alloc = MakeAllocator(1, 3 * PagedAllocator::kSlabPages);
  std::vector<int32_t> held;
  for (int32_t i = 0; i < 2 * PagedAllocator::kSlabPages + 5; ++i) {
    absl::StatusOr<int32_t> p = alloc.AllocOne();
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(*p, i);
    held.push_back(*p);
  }
  for (size_t i = 0; i < held.size(); i += 2) ASSERT_TRUE(alloc.FreeOne(held[i]).ok());
  alloc.Defragment();
  const int32_t n = alloc.Stats().allocated_pages;
  absl::StatusOr<int32_t> next = alloc.AllocOne();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, n);  // after Defragment fresh ids continue at allocated_pages
  EXPECT_TRUE(alloc.CheckInvariants().ok());
}

TEST(PagedAllocatorTest, AppendingAllocKeepsOutputOnError) {
  PagedAllocator alloc = MakeAllocator(8, 4);
  std::vector<int32_t> out = {42};
  ASSERT_TRUE(alloc.Alloc(3, &out).ok());
  EXPECT_EQ(out, (std::vector<int32_t>{42, 0, 1, 2}));
  EXPECT_EQ(alloc.Alloc(2, &out).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(alloc.Alloc(-1, &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(alloc.Stats().allocated_pages, 3);
  EXPECT_TRUE(alloc.Alloc(0, &out).ok());
  EXPECT_EQ(out.size(), 4u);
  EXPECT_TRUE(alloc.CheckInvariants().ok());
}

// Differential test against a std::set model, invariants checked after every operation in a
// small run and every 1024th operation in a long one.
void RunDifferential(int32_t max_pages, int ops, int check_every, uint32_t seed) {
  PagedAllocator alloc = MakeAllocator(4, max_pages);
  std::set<int32_t> model;  // allocated ids
  std::vector<int32_t> held;
  std::mt19937 rng(seed);
  for (int op = 0; op < ops; ++op) {
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 40) {
      // Three entry points: Alloc(n), the appending Alloc(n, out) and AllocOne.
      const int variant = static_cast<int>(rng() % 3);
      const int32_t n = variant == 2 ? 1 : static_cast<int32_t>(rng() % 6);
      absl::StatusOr<std::vector<int32_t>> r;
      if (variant == 0) {
        r = alloc.Alloc(n);
      } else if (variant == 1) {
        std::vector<int32_t> out = {-7};
        absl::Status st = alloc.Alloc(n, &out);
        ASSERT_EQ(out[0], -7);
        if (st.ok()) {
          r = std::vector<int32_t>(out.begin() + 1, out.end());
        } else {
          ASSERT_EQ(out.size(), 1u);
          r = st;
        }
      } else {
        absl::StatusOr<int32_t> one = alloc.AllocOne();
        if (one.ok()) {
          r = std::vector<int32_t>{*one};
        } else {
          r = one.status();
        }
      }
      if (static_cast<int32_t>(model.size()) + n > max_pages) {
        ASSERT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
      } else {
        ASSERT_TRUE(r.ok());
        ASSERT_EQ(r->size(), static_cast<size_t>(n));
        for (int32_t p : *r) {
          ASSERT_TRUE(p >= 0 && p < max_pages);
          ASSERT_TRUE(model.insert(p).second) << "page handed out twice: " << p;
          held.push_back(p);
        }
      }
    } else if (kind < 80) {
      // Free a random subset, sometimes poisoned with a bad id.
      std::vector<int32_t> ids;
      const int n = held.empty() ? 0 : static_cast<int>(rng() % std::min<size_t>(held.size(), 5)) + 1;
      for (int i = 0; i < n; ++i) {
        size_t j = rng() % held.size();
        std::swap(held[j], held.back());
        ids.push_back(held.back());
        held.pop_back();
      }
      int poison = static_cast<int>(rng() % 8);
      if (poison == 0 && !ids.empty()) ids.push_back(ids[0]);              // repeated
      if (poison == 1) ids.push_back(static_cast<int32_t>(rng() % (max_pages + 3)) - 1);
      bool expect_ok = true;
      std::set<int32_t> seen;
      for (int32_t p : ids) {
        if (!model.count(p) || !seen.insert(p).second) expect_ok = false;
      }
      const bool use_free_one = ids.size() == 1 && rng() % 2 == 0;
      absl::Status s = use_free_one ? alloc.FreeOne(ids[0]) : alloc.Free(ids);
      ASSERT_EQ(s.ok(), expect_ok) << s;
      if (s.ok()) {
        for (int32_t p : ids) model.erase(p);
      } else {
        for (int32_t p : seen) {
          if (model.count(p)) held.push_back(p);
        }
      }
    } else if (kind < 82) {
      std::vector<PageMove> moves = alloc.Defragment();
      const int32_t n = static_cast<int32_t>(model.size());
      for (const PageMove& m : moves) {
        ASSERT_TRUE(model.count(m.from));
        ASSERT_FALSE(model.count(m.to));
        ASSERT_LT(m.to, n);
        ASSERT_GE(m.from, n);
      }
      for (const PageMove& m : moves) {
        model.erase(m.from);
        model.insert(m.to);
      }
      ASSERT_TRUE(model.empty() || *model.rbegin() == n - 1);
      held.assign(model.begin(), model.end());
    } else {
      int32_t p = static_cast<int32_t>(rng() % max_pages);
      ASSERT_EQ(alloc.IsAllocated(p), model.count(p) == 1);
    }
    PageStats s = alloc.Stats();
    ASSERT_EQ(s.allocated_pages, static_cast<int32_t>(model.size()));
    ASSERT_EQ(s.free_pages, max_pages - static_cast<int32_t>(model.size()));
    if (op % check_every == 0) {
      absl::Status inv = alloc.CheckInvariants();
      ASSERT_TRUE(inv.ok()) << inv << " at op " << op;
    }
  }
}

TEST(PagedAllocatorTest, DifferentialSmallEveryOp) { RunDifferential(40, 20000, 1, 7); }
TEST(PagedAllocatorTest, DifferentialLarge) { RunDifferential(2000, 1000000, 1024, 11); }

}  // namespace
}  // namespace llmds
