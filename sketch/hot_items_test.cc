// Copyright 2026 The llmds Authors.

#include "llmds/sketch/hot_items.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "llmds/sketch/sketch_testing.h"
#include "llmds/utils/clock.h"

namespace llmds {
namespace {

using sketch_testing::KeyUniverse;
using sketch_testing::SplitMix64;
using sketch_testing::UniformStream;
using sketch_testing::ZipfStream;

HotItemTracker Make(int32_t capacity, absl::Duration half_life = absl::InfiniteDuration(),
                    Clock* clock = nullptr) {
  HotItemTrackerOptions options;
  options.capacity = capacity;
  options.half_life = half_life;
  options.clock = clock;
  absl::StatusOr<HotItemTracker> tracker = HotItemTracker::Create(options);
  EXPECT_TRUE(tracker.ok()) << tracker.status();
  return *std::move(tracker);
}

void ExpectInvariants(const HotItemTracker& tracker) {
  const absl::Status status = tracker.CheckInvariants();
  ASSERT_TRUE(status.ok()) << status;
}

TEST(HotItemTrackerTest, CreateRejectsBadOptionsNamingTheValue) {
  for (int32_t capacity : {0, -3, HotItemTracker::kMaxCapacity + 1}) {
    HotItemTrackerOptions options;
    options.capacity = capacity;
    absl::StatusOr<HotItemTracker> tracker = HotItemTracker::Create(options);
    ASSERT_FALSE(tracker.ok());
    EXPECT_EQ(tracker.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(tracker.status().message().find(absl::StrCat("capacity ", capacity)),
              std::string_view::npos)
        << tracker.status();
  }
  for (absl::Duration half_life : {absl::ZeroDuration(), absl::Seconds(-1)}) {
    HotItemTrackerOptions options;
    options.half_life = half_life;
    absl::StatusOr<HotItemTracker> tracker = HotItemTracker::Create(options);
    ASSERT_FALSE(tracker.ok());
    EXPECT_EQ(tracker.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(tracker.status().message().find("half_life"), std::string_view::npos);
  }
  absl::StatusOr<HotItemTracker> defaults = HotItemTracker::Create(HotItemTrackerOptions());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->capacity(), 128);
  EXPECT_EQ(defaults->size(), 0u);
  EXPECT_TRUE(defaults->TopK(10).empty());
  EXPECT_EQ(defaults->TotalCount(), 0);
  EXPECT_EQ(defaults->MinCount(), 0);
}

TEST(HotItemTrackerTest, ExactWhileBelowCapacity) {
  HotItemTracker tracker = Make(4);
  tracker.Add("a", 5);
  tracker.Add("b");
  tracker.Add("b", 2);
  tracker.Add("c", 4);
  tracker.Add("d", 0);  // no-op
  ExpectInvariants(tracker);
  EXPECT_EQ(tracker.size(), 3u);
  EXPECT_EQ(tracker.TotalCount(), 12);
  EXPECT_EQ(tracker.MinCount(), 0);  // not full: nothing has been evicted
  const std::vector<HotItem> top = tracker.TopK(10);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].item, "a");
  EXPECT_EQ(top[1].item, "c");
  EXPECT_EQ(top[2].item, "b");
  for (const HotItem& hot : top) EXPECT_EQ(hot.lower_bound, hot.upper_bound) << hot.item;
  EXPECT_EQ(top[2].upper_bound, 3);
  ASSERT_EQ(tracker.TopK(1).size(), 1u);
  EXPECT_EQ(tracker.TopK(1)[0].item, "a");
  EXPECT_TRUE(tracker.TopK(0).empty());
  const HotItemBounds absent = tracker.Bounds("zzz");
  EXPECT_FALSE(absent.monitored);
  EXPECT_EQ(absent.upper_bound, 0);
  const HotItemBounds b = tracker.Bounds("b");
  EXPECT_TRUE(b.monitored);
  EXPECT_EQ(b.lower_bound, 3);
  EXPECT_EQ(b.upper_bound, 3);
  const std::vector<HotItem> above = tracker.ItemsAbove(4);
  ASSERT_EQ(above.size(), 2u);
  EXPECT_EQ(above[0].item, "a");
  EXPECT_EQ(above[1].item, "c");
}

TEST(HotItemTrackerTest, EvictsTheSmallestAndInheritsItsCountAsError) {
  HotItemTracker tracker = Make(2);
  tracker.Add("a", 5);
  tracker.Add("b", 3);
  tracker.Add("c");  // takes over b's slot: count 3 + 1, error 3
  ExpectInvariants(tracker);
  EXPECT_FALSE(tracker.Bounds("b").monitored);
  EXPECT_EQ(tracker.Bounds("b").upper_bound, 4);  // MinCount: b may have up to 4
  const HotItemBounds c = tracker.Bounds("c");
  EXPECT_TRUE(c.monitored);
  EXPECT_EQ(c.lower_bound, 1);
  EXPECT_EQ(c.upper_bound, 4);
  EXPECT_EQ(tracker.MinCount(), 4);
  EXPECT_EQ(tracker.TotalCount(), 9);
  tracker.Clear();
  EXPECT_EQ(tracker.size(), 0u);
  EXPECT_EQ(tracker.TotalCount(), 0);
  ExpectInvariants(tracker);
}

// Differential check against exact counts (the Space-Saving guarantees of the header), on Zipf
// and uniform streams with unit and weighted counts, several capacities.
void CheckAgainstTruth(const HotItemTracker& tracker, const KeyUniverse& keys,
                       const std::vector<uint64_t>& truth, uint64_t total) {
  const double k = tracker.capacity();
  EXPECT_EQ(tracker.TotalCount(), static_cast<double>(total));
  const double min_count = tracker.MinCount();
  EXPECT_LE(min_count, total / k);
  const std::vector<HotItem> top = tracker.TopK(tracker.capacity());
  absl::flat_hash_map<std::string, HotItem> listed;
  for (const HotItem& hot : top) listed[hot.item] = hot;
  for (size_t id = 0; id < truth.size(); ++id) {
    const std::string key(keys.key(id));
    const double count = static_cast<double>(truth[id]);
    auto it = listed.find(key);
    if (count > total / k) {
      ASSERT_NE(it, listed.end()) << "item " << id << " count " << count;
    }
    const HotItemBounds bounds = tracker.Bounds(key);
    ASSERT_LE(bounds.lower_bound, count) << id;
    ASSERT_GE(bounds.upper_bound, count) << id;
    ASSERT_LE(bounds.upper_bound - bounds.lower_bound, min_count) << id;
    if (it == listed.end()) {
      ASSERT_FALSE(bounds.monitored);
      ASSERT_LE(count, min_count) << id;
    } else {
      ASSERT_EQ(it->second.lower_bound, bounds.lower_bound);
      ASSERT_EQ(it->second.upper_bound, bounds.upper_bound);
    }
  }
  // ItemsAbove is complete above MinCount.
  const double threshold = min_count + 1;
  absl::flat_hash_map<std::string, bool> above;
  for (const HotItem& hot : tracker.ItemsAbove(threshold)) above[hot.item] = true;
  for (size_t id = 0; id < truth.size(); ++id) {
    if (truth[id] >= threshold) {
      ASSERT_TRUE(above.contains(std::string(keys.key(id)))) << id;
    }
  }
  for (size_t i = 1; i < top.size(); ++i) ASSERT_GE(top[i - 1].upper_bound, top[i].upper_bound);
}

TEST(HotItemTrackerTest, SpaceSavingGuaranteesHoldOnRandomAndZipfStreams) {
  constexpr size_t kUniverse = 20000;
  const KeyUniverse keys(kUniverse);
  const std::vector<std::vector<uint32_t>> streams = {ZipfStream(kUniverse, 1.1, 100000, 1),
                                                      ZipfStream(kUniverse, 0.7, 100000, 2),
                                                      UniformStream(kUniverse, 50000, 3)};
  for (size_t s = 0; s < streams.size(); ++s) {
    for (int32_t capacity : {10, 64, 300}) {
      SCOPED_TRACE(absl::StrCat("stream ", s, " capacity ", capacity));
      HotItemTracker tracker = Make(capacity);
      std::vector<uint64_t> truth(kUniverse, 0);
      uint64_t total = 0;
      const std::vector<uint32_t>& stream = streams[s];
      for (size_t i = 0; i < stream.size(); ++i) {
        const uint64_t count = i % 7 == 0 ? 1 + stream[i] % 4 : 1;
        tracker.Add(keys.key(stream[i]), count);
        truth[stream[i]] += count;
        total += count;
        // Every op in the first stretch, then every 997th.
        if (i < 1000 || i % 997 == 0) ExpectInvariants(tracker);
        if (i == 5000) CheckAgainstTruth(tracker, keys, truth, total);
      }
      ExpectInvariants(tracker);
      CheckAgainstTruth(tracker, keys, truth, total);
    }
  }
}

TEST(HotItemTrackerTest, ZipfHeadIsFoundInOrder) {
  constexpr size_t kUniverse = 50000;
  const KeyUniverse keys(kUniverse);
  const std::vector<uint32_t> stream = ZipfStream(kUniverse, 1.1, 300000, 77);
  HotItemTracker tracker = Make(200);
  for (uint32_t id : stream) tracker.Add(keys.key(id));
  const std::vector<HotItem> top = tracker.TopK(5);
  ASSERT_EQ(top.size(), 5u);
  for (size_t r = 0; r < 5; ++r) EXPECT_EQ(top[r].item, keys.key(r)) << "rank " << r;
}

TEST(HotItemTrackerTest, CopiesAreIndependent) {
  HotItemTracker a = Make(3);
  a.Add("x", 2);
  HotItemTracker b = a;
  b.Add("x", 5);
  b.Add("y");
  EXPECT_EQ(a.Bounds("x").upper_bound, 2);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.Bounds("x").upper_bound, 7);
  ExpectInvariants(a);
  ExpectInvariants(b);
}

// --- Time decay ---

TEST(HotItemTrackerDecayTest, CountsHalveEveryHalfLife) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  HotItemTracker tracker = Make(8, absl::Seconds(10), &clock);
  tracker.Add("a", 8);
  EXPECT_DOUBLE_EQ(tracker.Bounds("a").upper_bound, 8);
  clock.Advance(absl::Seconds(10));
  EXPECT_DOUBLE_EQ(tracker.Bounds("a").upper_bound, 4);
  EXPECT_DOUBLE_EQ(tracker.TotalCount(), 4);
  tracker.Add("b", 6);
  std::vector<HotItem> top = tracker.TopK(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item, "b");  // recent traffic outranks older, larger traffic
  EXPECT_DOUBLE_EQ(top[0].upper_bound, 6);
  EXPECT_DOUBLE_EQ(top[1].upper_bound, 4);
  clock.Advance(absl::Seconds(20));
  EXPECT_DOUBLE_EQ(tracker.Bounds("a").upper_bound, 1);
  EXPECT_DOUBLE_EQ(tracker.Bounds("b").upper_bound, 1.5);
  EXPECT_DOUBLE_EQ(tracker.TotalCount(), 2.5);
  ExpectInvariants(tracker);
}

TEST(HotItemTrackerDecayTest, ClockGoingBackwardsIsTreatedAsStandingStill) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  HotItemTracker tracker = Make(8, absl::Seconds(10), &clock);
  clock.Advance(absl::Seconds(10));
  tracker.Add("a", 4);
  clock.Set(absl::FromUnixSeconds(900));
  EXPECT_DOUBLE_EQ(tracker.Bounds("a").upper_bound, 4);  // not inflated
  tracker.Add("a", 4);
  EXPECT_DOUBLE_EQ(tracker.Bounds("a").upper_bound, 8);
  ExpectInvariants(tracker);
  clock.Set(absl::FromUnixSeconds(1020));
  EXPECT_DOUBLE_EQ(tracker.Bounds("a").upper_bound, 4);
}

TEST(HotItemTrackerDecayTest, SurvivesManyHalfLivesAndRenormalizes) {
  FakeClock clock;
  HotItemTracker tracker = Make(4, absl::Seconds(1), &clock);
  tracker.Add("old", 1000);
  for (int step = 0; step < 500; ++step) {
    clock.Advance(absl::Seconds(3));  // 1500 half-lives in total: far past the 2^32 landmark
    tracker.Add(absl::StrCat("new", step % 6));
    ExpectInvariants(tracker);
  }
  const std::vector<HotItem> top = tracker.TopK(4);
  ASSERT_FALSE(top.empty());
  for (const HotItem& hot : top) {
    EXPECT_TRUE(std::isfinite(hot.upper_bound)) << hot.item;
    EXPECT_LE(hot.upper_bound, 1.2) << hot.item;  // ~1 + 1/8 + 1/64 ... from one item per 3 s
    EXPECT_GE(hot.lower_bound, 0) << hot.item;
  }
  EXPECT_LT(tracker.Bounds("old").upper_bound, 1.2);
  EXPECT_TRUE(std::isfinite(tracker.TotalCount()));
  EXPECT_GT(tracker.TotalCount(), 0.9);
  EXPECT_LT(tracker.TotalCount(), 1.2);
  // A long silence, then traffic: the tracker picks up cleanly.
  clock.Advance(absl::Hours(24 * 365));
  tracker.Add("fresh", 5);
  EXPECT_DOUBLE_EQ(tracker.Bounds("fresh").upper_bound, 5);
  ExpectInvariants(tracker);
}

// Differential check of the decayed guarantees against an exact reference: every item's decayed
// count lies within its bounds, and every item whose decayed count exceeds total / capacity is
// listed.
TEST(HotItemTrackerDecayTest, DecayedBoundsContainTheTruth) {
  constexpr size_t kUniverse = 2000;
  const KeyUniverse keys(kUniverse);
  const std::vector<uint32_t> stream = ZipfStream(kUniverse, 1.0, 60000, 5);
  FakeClock clock(absl::FromUnixSeconds(50));
  const absl::Duration half_life = absl::Seconds(30);
  HotItemTracker tracker = Make(40, half_life, &clock);
  std::vector<double> truth(kUniverse, 0);  // decayed to `now`
  double total = 0;
  SplitMix64 rng(6);
  for (size_t i = 0; i < stream.size(); ++i) {
    if (rng.Below(10) == 0) {
      const absl::Duration step = absl::Milliseconds(static_cast<int64_t>(rng.Below(20000)));
      clock.Advance(step);
      const double factor = std::exp2(-absl::FDivDuration(step, half_life));
      for (double& t : truth) t *= factor;
      total *= factor;
    }
    // Rotate which items are popular over time so decay matters.
    const uint32_t id = static_cast<uint32_t>((stream[i] + i / 10000 * 37) % kUniverse);
    tracker.Add(keys.key(id));
    truth[id] += 1;
    total += 1;
    if (i % 1000 == 0 || i + 1 == stream.size()) {
      ExpectInvariants(tracker);
      const double tolerance = 1e-9 * total;
      EXPECT_NEAR(tracker.TotalCount(), total, tolerance);
      const double min_count = tracker.MinCount();
      EXPECT_LE(min_count, total / tracker.capacity() + tolerance);
      for (size_t item = 0; item < kUniverse; ++item) {
        const HotItemBounds bounds = tracker.Bounds(keys.key(item));
        ASSERT_LE(bounds.lower_bound, truth[item] + tolerance) << item << " at " << i;
        ASSERT_GE(bounds.upper_bound, truth[item] - tolerance) << item << " at " << i;
        if (truth[item] > total / tracker.capacity() + tolerance) {
          ASSERT_TRUE(bounds.monitored) << item << " at " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace llmds
