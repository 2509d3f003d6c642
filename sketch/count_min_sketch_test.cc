// Copyright 2026 The llmds Authors.

#include "llmds/sketch/count_min_sketch.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "llmds/sketch/sketch_testing.h"

#include <xxhash.h>

namespace llmds {
namespace {

using sketch_testing::ExactCounts;
using sketch_testing::KeyUniverse;
using sketch_testing::UniformStream;
using sketch_testing::ZipfStream;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// The big empirical run: 10M items in fastbuild; fewer under ASan, whose shadow checks make the
// hashing loop several times slower (the contract is the same, the sample smaller).
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kBigStreamLength = 2'000'000;
#else
constexpr size_t kBigStreamLength = 10'000'000;
#endif

CountMinSketch Make(int32_t width, int32_t depth, bool conservative, uint64_t seed = 0) {
  CountMinSketchOptions options;
  options.width = width;
  options.depth = depth;
  options.conservative_update = conservative;
  options.seed = seed;
  absl::StatusOr<CountMinSketch> sketch = CountMinSketch::Create(options);
  EXPECT_TRUE(sketch.ok()) << sketch.status();
  return *std::move(sketch);
}

// Feeds `stream` (ids into `keys`) through AddBatch in chunks.
void Feed(CountMinSketch& sketch, const KeyUniverse& keys, const std::vector<uint32_t>& stream) {
  constexpr size_t kChunk = 4096;
  std::vector<std::string_view> batch;
  batch.reserve(kChunk);
  for (size_t start = 0; start < stream.size(); start += kChunk) {
    batch.clear();
    const size_t end = std::min(stream.size(), start + kChunk);
    for (size_t i = start; i < end; ++i) batch.push_back(keys.key(stream[i]));
    sketch.AddBatch(batch);
  }
}

void ExpectInvariants(const CountMinSketch& sketch) {
  const absl::Status status = sketch.CheckInvariants();
  EXPECT_TRUE(status.ok()) << status;
}

TEST(CountMinSketchTest, CreateUsesTheDefaults) {
  absl::StatusOr<CountMinSketch> sketch = CountMinSketch::Create(CountMinSketchOptions());
  ASSERT_TRUE(sketch.ok()) << sketch.status();
  EXPECT_EQ(sketch->width(), 2048);
  EXPECT_EQ(sketch->depth(), 4);
  EXPECT_TRUE(sketch->conservative_update());
  EXPECT_EQ(sketch->seed(), 0u);
  EXPECT_EQ(sketch->TotalCount(), 0u);
  EXPECT_EQ(sketch->Estimate("anything"), 0u);
  EXPECT_DOUBLE_EQ(sketch->epsilon(), std::exp(1.0) / 2048);
  EXPECT_DOUBLE_EQ(sketch->delta(), std::exp(-4.0));
  EXPECT_GE(sketch->MemoryUsage(), 2048u * 4 * sizeof(uint64_t));
  ExpectInvariants(*sketch);
}

TEST(CountMinSketchTest, CreateRejectsBadShapesNamingTheValue) {
  struct Case {
    int32_t width, depth;
    std::string needle;
  };
  for (const Case& c : std::vector<Case>{{0, 4, "width 0"},
                                         {-5, 4, "width -5"},
                                         {CountMinSketch::kMaxWidth + 1, 1, "width 134217729"},
                                         {16, 0, "depth 0"},
                                         {16, -1, "depth -1"},
                                         {16, 65, "depth 65"},
                                         {1 << 24, 16, "counters exceeds"}}) {
    CountMinSketchOptions options;
    options.width = c.width;
    options.depth = c.depth;
    absl::StatusOr<CountMinSketch> sketch = CountMinSketch::Create(options);
    ASSERT_FALSE(sketch.ok()) << c.width << "x" << c.depth;
    EXPECT_EQ(sketch.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(sketch.status().message().find(c.needle), std::string_view::npos)
        << sketch.status();
  }
}

TEST(CountMinSketchTest, FromErrorBoundsSizesTheSketch) {
  absl::StatusOr<CountMinSketch> sketch =
      CountMinSketch::FromErrorBounds(std::exp(1.0) / 2048, std::exp(-4.0));
  ASSERT_TRUE(sketch.ok()) << sketch.status();
  EXPECT_EQ(sketch->width(), 2048);
  EXPECT_EQ(sketch->depth(), 4);
  EXPECT_TRUE(sketch->conservative_update());

  sketch = CountMinSketch::FromErrorBounds(0.001, 0.01);
  ASSERT_TRUE(sketch.ok()) << sketch.status();
  EXPECT_EQ(sketch->width(), 2719);  // ceil(e / 0.001)
  EXPECT_EQ(sketch->depth(), 5);     // ceil(ln 100) = ceil(4.6)
  EXPECT_LE(sketch->epsilon(), 0.001);
  EXPECT_LE(sketch->delta(), 0.01);

  sketch = CountMinSketch::FromErrorBounds(1, 0.9);
  ASSERT_TRUE(sketch.ok()) << sketch.status();
  EXPECT_EQ(sketch->width(), 3);
  EXPECT_EQ(sketch->depth(), 1);

  CountMinSketchOptions base;
  base.conservative_update = false;
  base.seed = 77;
  base.width = 1;  // ignored
  sketch = CountMinSketch::FromErrorBounds(0.01, 0.05, base);
  ASSERT_TRUE(sketch.ok()) << sketch.status();
  EXPECT_FALSE(sketch->conservative_update());
  EXPECT_EQ(sketch->seed(), 77u);
  EXPECT_EQ(sketch->width(), 272);
  EXPECT_EQ(sketch->depth(), 3);
}

TEST(CountMinSketchTest, FromErrorBoundsRejectsBadBounds) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double epsilon : {0.0, -0.1, 1.5, nan}) {
    absl::StatusOr<CountMinSketch> sketch = CountMinSketch::FromErrorBounds(epsilon, 0.01);
    ASSERT_FALSE(sketch.ok()) << epsilon;
    EXPECT_EQ(sketch.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(sketch.status().message().find("epsilon"), std::string_view::npos);
  }
  for (double delta : {0.0, 1.0, -1.0, 2.0, nan}) {
    absl::StatusOr<CountMinSketch> sketch = CountMinSketch::FromErrorBounds(0.01, delta);
    ASSERT_FALSE(sketch.ok()) << delta;
    EXPECT_EQ(sketch.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(sketch.status().message().find("delta"), std::string_view::npos);
  }
  EXPECT_FALSE(CountMinSketch::FromErrorBounds(1e-12, 0.01).ok());   // width too large
  EXPECT_FALSE(CountMinSketch::FromErrorBounds(0.01, 1e-300).ok());  // depth too large
  EXPECT_FALSE(CountMinSketch::FromErrorBounds(1e-7, 1e-20).ok());   // too many counters
}

TEST(CountMinSketchTest, AddEstimateIsHotAndTotals) {
  for (bool conservative : {false, true}) {
    CountMinSketch sketch = Make(64, 3, conservative);
    sketch.Add("alpha");
    sketch.Add("alpha", 4);
    sketch.Add("beta", 2);
    sketch.Add("", 7);  // the empty item is an item like any other
    sketch.Add("gamma", 0);  // no-op
    EXPECT_GE(sketch.Estimate("alpha"), 5u);
    EXPECT_GE(sketch.Estimate("beta"), 2u);
    EXPECT_GE(sketch.Estimate(""), 7u);
    EXPECT_EQ(sketch.TotalCount(), 14u);
    EXPECT_TRUE(sketch.IsHot("alpha", 5));
    EXPECT_EQ(sketch.IsHot("alpha", 6), sketch.Estimate("alpha") >= 6);
    EXPECT_TRUE(sketch.IsHot("zeta", 0));
    EXPECT_DOUBLE_EQ(sketch.GetErrorBound(), std::exp(1.0) / 64 * 14);
    ExpectInvariants(sketch);
    sketch.Clear();
    EXPECT_EQ(sketch.TotalCount(), 0u);
    EXPECT_EQ(sketch.Estimate("alpha"), 0u);
    ExpectInvariants(sketch);
  }
}

TEST(CountMinSketchTest, SingleItemIsExact) {
  for (bool conservative : {false, true}) {
    CountMinSketch sketch = Make(2048, 4, conservative);
    for (int i = 0; i < 1000; ++i) sketch.Add("only");
    EXPECT_EQ(sketch.Estimate("only"), 1000u);
    // Each row holds exactly one non-zero counter.
    for (int32_t r = 0; r < sketch.depth(); ++r) {
      int nonzero = 0;
      for (int32_t c = 0; c < sketch.width(); ++c) nonzero += sketch.counter(r, c) != 0;
      EXPECT_EQ(nonzero, 1) << "row " << r;
    }
  }
}

TEST(CountMinSketchTest, CountersSaturateInsteadOfWrapping) {
  for (bool conservative : {false, true}) {
    CountMinSketch sketch = Make(32, 2, conservative);
    sketch.Add("x", kMax - 1);
    EXPECT_EQ(sketch.Estimate("x"), kMax - 1);
    sketch.Add("x", 5);
    EXPECT_EQ(sketch.Estimate("x"), kMax);
    EXPECT_EQ(sketch.TotalCount(), kMax);
    sketch.Add("x", kMax);
    EXPECT_EQ(sketch.Estimate("x"), kMax);
    sketch.Add("y");
    EXPECT_GE(sketch.Estimate("y"), 1u);
    EXPECT_EQ(sketch.TotalCount(), kMax);
    ExpectInvariants(sketch);

    CountMinSketch other = sketch;
    ASSERT_TRUE(sketch.Merge(other).ok());
    EXPECT_EQ(sketch.Estimate("x"), kMax);
    EXPECT_EQ(sketch.TotalCount(), kMax);
    ExpectInvariants(sketch);
    const std::string bytes = sketch.Serialize();
    absl::StatusOr<CountMinSketch> copy = CountMinSketch::Deserialize(bytes);
    ASSERT_TRUE(copy.ok()) << copy.status();
    EXPECT_EQ(copy->Serialize(), bytes);
  }
}

// Differential check against exact counts: never below the truth, on uniform and Zipf streams,
// small sketches (heavy collisions), both update modes, unit and weighted counts.
TEST(CountMinSketchTest, NeverUnderestimatesRandomAndZipfStreams) {
  constexpr size_t kUniverse = 20000;
  const KeyUniverse keys(kUniverse);
  const std::vector<std::vector<uint32_t>> streams = {
      UniformStream(kUniverse, 200000, /*seed=*/1), ZipfStream(kUniverse, 1.1, 200000, 2),
      ZipfStream(kUniverse, 0.8, 200000, 3)};
  for (const std::vector<uint32_t>& stream : streams) {
    for (bool conservative : {false, true}) {
      CountMinSketch sketch = Make(256, 3, conservative, /*seed=*/42);
      std::vector<uint64_t> truth(kUniverse, 0);
      for (size_t i = 0; i < stream.size(); ++i) {
        const uint64_t count = 1 + (i % 3 == 0 ? stream[i] % 5 : 0);
        sketch.Add(keys.key(stream[i]), count);
        truth[stream[i]] += count;
        if (i % 50000 == 0) ExpectInvariants(sketch);
      }
      ExpectInvariants(sketch);
      uint64_t total = 0;
      for (size_t id = 0; id < kUniverse; ++id) {
        ASSERT_GE(sketch.Estimate(keys.key(id)), truth[id]) << "item " << id;
        total += truth[id];
      }
      EXPECT_EQ(sketch.TotalCount(), total);
    }
  }
}

TEST(CountMinSketchTest, ConservativeNeverAbovePlain) {
  constexpr size_t kUniverse = 20000;
  const KeyUniverse keys(kUniverse);
  for (uint64_t seed : {11, 12}) {
    const std::vector<uint32_t> stream = seed == 11 ? UniformStream(kUniverse, 300000, seed)
                                                    : ZipfStream(kUniverse, 1.1, 300000, seed);
    CountMinSketch plain = Make(128, 4, false, seed);
    CountMinSketch conservative = Make(128, 4, true, seed);
    for (size_t i = 0; i < stream.size(); ++i) {
      const uint64_t count = 1 + i % 4;
      plain.Add(keys.key(stream[i]), count);
      conservative.Add(keys.key(stream[i]), count);
    }
    size_t strictly_tighter = 0;
    for (size_t id = 0; id < kUniverse; ++id) {
      const uint64_t p = plain.Estimate(keys.key(id));
      const uint64_t c = conservative.Estimate(keys.key(id));
      ASSERT_LE(c, p) << "item " << id;
      strictly_tighter += c < p;
    }
    EXPECT_GT(strictly_tighter, kUniverse / 2);  // conservative update actually helps
    // Counter by counter, too.
    for (int32_t r = 0; r < 4; ++r) {
      for (int32_t col = 0; col < 128; ++col) {
        ASSERT_LE(conservative.counter(r, col), plain.counter(r, col));
      }
    }
  }
}

// The big run: Zipf(1.1), 10M items, default shape (2048 x 4), both modes on the same stream.
// Checks: no underestimate of any distinct item; the fraction of distinct items overestimated by
// more than epsilon * N stays below delta plus a sampling margin of 3 binomial standard
// deviations; conservative <= plain on every item.
TEST(CountMinSketchTest, ErrorBoundHoldsOnZipfStream) {
  constexpr size_t kUniverse = 200000;
  const KeyUniverse keys(kUniverse);
  const std::vector<uint32_t> stream = ZipfStream(kUniverse, 1.1, kBigStreamLength, 2026);
  const std::vector<uint64_t> truth = ExactCounts(stream, kUniverse);
  CountMinSketch plain = Make(2048, 4, false, 7);
  CountMinSketch conservative = Make(2048, 4, true, 7);
  Feed(plain, keys, stream);
  Feed(conservative, keys, stream);
  ExpectInvariants(plain);
  ExpectInvariants(conservative);
  ASSERT_EQ(plain.TotalCount(), kBigStreamLength);
  ASSERT_EQ(conservative.TotalCount(), kBigStreamLength);

  for (const CountMinSketch* sketch : {&plain, &conservative}) {
    const double bound = sketch->GetErrorBound();
    EXPECT_DOUBLE_EQ(bound, sketch->epsilon() * kBigStreamLength);
    size_t distinct = 0, violations = 0;
    for (size_t id = 0; id < kUniverse; ++id) {
      if (truth[id] == 0) continue;
      ++distinct;
      const uint64_t estimate = sketch->Estimate(keys.key(id));
      ASSERT_GE(estimate, truth[id]) << "item " << id;
      violations += static_cast<double>(estimate - truth[id]) > bound;
    }
    ASSERT_GT(distinct, 100000u);  // most of the universe occurs
    const double delta = sketch->delta();
    const double margin = 3 * std::sqrt(delta * (1 - delta) / distinct);
    const double fraction = static_cast<double>(violations) / distinct;
    EXPECT_LT(fraction, delta + margin)
        << violations << " of " << distinct << " items overestimated by more than " << bound;
  }
  for (size_t id = 0; id < kUniverse; id += 7) {
    ASSERT_LE(conservative.Estimate(keys.key(id)), plain.Estimate(keys.key(id))) << id;
  }
}

// A narrow, shallow sketch where overestimates beyond epsilon * N do happen: the bound is
// exercised rather than vacuous.
TEST(CountMinSketchTest, ErrorBoundHoldsOnANarrowSketch) {
  constexpr size_t kUniverse = 50000;
  const KeyUniverse keys(kUniverse);
  const std::vector<uint32_t> stream = UniformStream(kUniverse, 500000, 99);
  const std::vector<uint64_t> truth = ExactCounts(stream, kUniverse);
  CountMinSketch sketch = Make(16, 1, false, 5);  // epsilon = e / 16, delta = 1 / e
  Feed(sketch, keys, stream);
  size_t distinct = 0, violations = 0, above_average = 0;
  for (size_t id = 0; id < kUniverse; ++id) {
    if (truth[id] == 0) continue;
    ++distinct;
    const uint64_t over = sketch.Estimate(keys.key(id)) - truth[id];
    violations += over > sketch.GetErrorBound();
    above_average += over > stream.size() / 16;
  }
  const double delta = sketch.delta();
  EXPECT_LT(static_cast<double>(violations) / distinct,
            delta + 3 * std::sqrt(delta * (1 - delta) / distinct));
  EXPECT_GT(above_average, 0u);  // the overestimates are real
}

TEST(CountMinSketchTest, AddBatchEqualsSequentialAdds) {
  constexpr size_t kUniverse = 5000;
  const KeyUniverse keys(kUniverse, 24);
  const std::vector<uint32_t> stream = ZipfStream(kUniverse, 1.0, 30011, 8);
  std::vector<std::string_view> items;
  std::vector<uint64_t> counts;
  for (size_t i = 0; i < stream.size(); ++i) {
    items.push_back(keys.key(stream[i]));
    counts.push_back(i % 5);  // includes zeros
  }
  for (bool conservative : {false, true}) {
    CountMinSketch sequential = Make(512, 5, conservative, 3);
    CountMinSketch batched = Make(512, 5, conservative, 3);
    for (std::string_view item : items) sequential.Add(item);
    batched.AddBatch(items);
    EXPECT_EQ(batched.Serialize(), sequential.Serialize());

    CountMinSketch weighted_sequential = Make(512, 5, conservative, 3);
    CountMinSketch weighted_batched = Make(512, 5, conservative, 3);
    for (size_t i = 0; i < items.size(); ++i) weighted_sequential.Add(items[i], counts[i]);
    ASSERT_TRUE(weighted_batched.AddBatch(items, counts).ok());
    EXPECT_EQ(weighted_batched.Serialize(), weighted_sequential.Serialize());
    ExpectInvariants(weighted_batched);

    // Mismatched sizes: an error, and no change.
    const std::string before = weighted_batched.Serialize();
    const absl::Status status =
        weighted_batched.AddBatch(items, absl::MakeConstSpan(counts).subspan(1));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("30010 counts for 30011 items"), std::string_view::npos)
        << status;
    EXPECT_EQ(weighted_batched.Serialize(), before);
    batched.AddBatch({});  // empty batch is a no-op
    EXPECT_EQ(batched.Serialize(), sequential.Serialize());
  }
}

TEST(CountMinSketchTest, PlainMergeEqualsSketchOfConcatenatedStream) {
  constexpr size_t kUniverse = 30000;
  const KeyUniverse keys(kUniverse);
  const std::vector<uint32_t> a = ZipfStream(kUniverse, 1.1, 100000, 21);
  const std::vector<uint32_t> b = UniformStream(kUniverse, 70000, 22);
  CountMinSketch sketch_a = Make(1024, 4, false, 9);
  CountMinSketch sketch_b = Make(1024, 4, false, 9);
  CountMinSketch concatenated = Make(1024, 4, false, 9);
  Feed(sketch_a, keys, a);
  Feed(sketch_b, keys, b);
  Feed(concatenated, keys, a);
  Feed(concatenated, keys, b);
  ASSERT_TRUE(sketch_a.Merge(sketch_b).ok());
  EXPECT_EQ(sketch_a.TotalCount(), concatenated.TotalCount());
  for (int32_t r = 0; r < 4; ++r) {
    for (int32_t c = 0; c < 1024; ++c) {
      ASSERT_EQ(sketch_a.counter(r, c), concatenated.counter(r, c)) << r << "," << c;
    }
  }
  EXPECT_EQ(sketch_a.Serialize(), concatenated.Serialize());
  ExpectInvariants(sketch_a);
}

TEST(CountMinSketchTest, ConservativeMergeIsAnUpperBound) {
  constexpr size_t kUniverse = 30000;
  const KeyUniverse keys(kUniverse);
  const std::vector<uint32_t> a = ZipfStream(kUniverse, 1.1, 100000, 31);
  const std::vector<uint32_t> b = ZipfStream(kUniverse, 0.9, 80000, 32);
  CountMinSketch sketch_a = Make(512, 3, true, 9);
  CountMinSketch sketch_b = Make(512, 3, true, 9);
  CountMinSketch concatenated = Make(512, 3, true, 9);
  Feed(sketch_a, keys, a);
  Feed(sketch_b, keys, b);
  Feed(concatenated, keys, a);
  Feed(concatenated, keys, b);
  CountMinSketch plain_a = Make(512, 3, false, 9);
  CountMinSketch plain_b = Make(512, 3, false, 9);
  Feed(plain_a, keys, a);
  Feed(plain_b, keys, b);
  ASSERT_TRUE(sketch_a.Merge(sketch_b).ok());
  ASSERT_TRUE(plain_a.Merge(plain_b).ok());
  ExpectInvariants(sketch_a);
  EXPECT_EQ(sketch_a.TotalCount(), concatenated.TotalCount());
  std::vector<uint64_t> truth = ExactCounts(a, kUniverse);
  for (uint32_t id : b) ++truth[id];
  size_t merged_above_concatenated = 0;
  for (size_t id = 0; id < kUniverse; ++id) {
    const uint64_t merged = sketch_a.Estimate(keys.key(id));
    ASSERT_GE(merged, truth[id]) << id;
    ASSERT_LE(merged, plain_a.Estimate(keys.key(id))) << id;
    ASSERT_GE(concatenated.Estimate(keys.key(id)), truth[id]) << id;
    merged_above_concatenated += merged > concatenated.Estimate(keys.key(id));
  }
  // Documented: the merge is looser than sketching the concatenated stream, on the whole.
  EXPECT_GT(merged_above_concatenated, 0u);
}

TEST(CountMinSketchTest, MergeIntoItselfDoubles) {
  CountMinSketch sketch = Make(64, 2, false);
  sketch.Add("a", 3);
  sketch.Add("b", 4);
  const CountMinSketch before = sketch;
  ASSERT_TRUE(sketch.Merge(sketch).ok());
  EXPECT_EQ(sketch.TotalCount(), 14u);
  for (int32_t r = 0; r < 2; ++r) {
    for (int32_t c = 0; c < 64; ++c) EXPECT_EQ(sketch.counter(r, c), 2 * before.counter(r, c));
  }
}

TEST(CountMinSketchTest, MergeRejectsIncompatibleSketchesAndLeavesThemUnchanged) {
  CountMinSketch sketch = Make(64, 3, true, 1);
  sketch.Add("x", 10);
  const std::string before = sketch.Serialize();
  struct Case {
    CountMinSketch other;
    std::string needle;
  };
  std::vector<Case> cases;
  cases.push_back({Make(128, 3, true, 1), "shape 128x3"});
  cases.push_back({Make(64, 4, true, 1), "shape 64x4"});
  cases.push_back({Make(64, 3, true, 2), "seed 2"});
  cases.push_back({Make(64, 3, false, 1), "conservative_update false"});
  for (Case& c : cases) {
    c.other.Add("y", 5);
    const absl::Status status = sketch.Merge(c.other);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(c.needle), std::string_view::npos) << status;
    EXPECT_EQ(sketch.Serialize(), before);
  }
}

TEST(CountMinSketchTest, SeedSelectsTheHashFunctions) {
  CountMinSketch a = Make(4096, 2, false, 1);
  CountMinSketch a_again = Make(4096, 2, false, 1);
  CountMinSketch b = Make(4096, 2, false, 2);
  for (int i = 0; i < 50; ++i) {
    const std::string item = absl::StrCat("item-", i);
    a.Add(item);
    a_again.Add(item);
    b.Add(item);
  }
  EXPECT_EQ(a.Serialize(), a_again.Serialize());  // deterministic
  int differing = 0;
  for (int32_t c = 0; c < 4096; ++c) differing += a.counter(0, c) != b.counter(0, c);
  EXPECT_GT(differing, 50);
  // The rows of one sketch hash independently of each other.
  int same_column_in_both_rows = 0;
  for (int i = 0; i < 50; ++i) {
    CountMinSketch one = Make(4096, 2, false, 1);
    one.Add(absl::StrCat("item-", i));
    int32_t column[2] = {-1, -1};
    for (int32_t r = 0; r < 2; ++r) {
      for (int32_t c = 0; c < 4096; ++c) {
        if (one.counter(r, c) != 0) column[r] = c;
      }
    }
    same_column_in_both_rows += column[0] == column[1];
  }
  EXPECT_LT(same_column_in_both_rows, 3);
}

TEST(CountMinSketchTest, CopiesAreIndependent) {
  CountMinSketch a = Make(64, 2, true);
  a.Add("x", 2);
  CountMinSketch b = a;
  b.Add("x", 5);
  EXPECT_EQ(a.Estimate("x"), 2u);
  EXPECT_EQ(b.Estimate("x"), 7u);
  CountMinSketch c = std::move(b);
  EXPECT_EQ(c.Estimate("x"), 7u);
}

// --- Serialization ---

CountMinSketch SmallPopulatedSketch(bool conservative) {
  CountMinSketch sketch = Make(16, 3, conservative, 0xabcdef);
  for (int i = 0; i < 200; ++i) sketch.Add(absl::StrCat("q", i % 37), 1 + i % 3);
  return sketch;
}

TEST(CountMinSketchSerializeTest, RoundTrips) {
  for (bool conservative : {false, true}) {
    const CountMinSketch sketch = SmallPopulatedSketch(conservative);
    const std::string bytes = sketch.Serialize();
    EXPECT_EQ(bytes.size(), 32 + 16 * 3 * 8 + 8);
    absl::StatusOr<CountMinSketch> copy = CountMinSketch::Deserialize(bytes);
    ASSERT_TRUE(copy.ok()) << copy.status();
    EXPECT_EQ(copy->width(), 16);
    EXPECT_EQ(copy->depth(), 3);
    EXPECT_EQ(copy->seed(), 0xabcdefu);
    EXPECT_EQ(copy->conservative_update(), conservative);
    EXPECT_EQ(copy->TotalCount(), sketch.TotalCount());
    for (int i = 0; i < 50; ++i) {
      const std::string item = absl::StrCat("q", i);
      EXPECT_EQ(copy->Estimate(item), sketch.Estimate(item));
    }
    EXPECT_EQ(copy->Serialize(), bytes);
    ExpectInvariants(*copy);
    // The copy keeps working and stays mergeable with the original.
    EXPECT_TRUE(copy->Merge(sketch).ok());
  }
  absl::StatusOr<CountMinSketch> empty =
      CountMinSketch::Deserialize(Make(1, 1, true).Serialize());
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->TotalCount(), 0u);
}

// Locks the wire format and the hash functions: sketches written by an older build must keep
// their meaning. Changing either requires a new kSerialVersion.
TEST(CountMinSketchSerializeTest, FormatIsStable) {
  const std::string bytes = SmallPopulatedSketch(true).Serialize();
  EXPECT_EQ(bytes.substr(0, 8), std::string("LCMS\x01\x00\x01\x00", 8));
  EXPECT_EQ(XXH64(bytes.data(), bytes.size(), 0), 0xb93d0e2b08f33f28ULL);
}

TEST(CountMinSketchSerializeTest, RejectsEverySingleByteCorruption) {
  for (bool conservative : {false, true}) {
    const std::string bytes = SmallPopulatedSketch(conservative).Serialize();
    for (size_t at = 0; at < bytes.size(); ++at) {
      for (uint8_t flip : {0x01, 0x02, 0x10, 0x80, 0xff}) {
        std::string corrupted = bytes;
        corrupted[at] = static_cast<char>(corrupted[at] ^ flip);
        absl::StatusOr<CountMinSketch> sketch = CountMinSketch::Deserialize(corrupted);
        ASSERT_FALSE(sketch.ok()) << "byte " << at << " ^ " << int{flip};
      }
    }
  }
}

TEST(CountMinSketchSerializeTest, RejectsEveryTruncationAndTrailingBytes) {
  const std::string bytes = SmallPopulatedSketch(true).Serialize();
  for (size_t length = 0; length < bytes.size(); ++length) {
    absl::StatusOr<CountMinSketch> sketch =
        CountMinSketch::Deserialize(std::string_view(bytes).substr(0, length));
    ASSERT_FALSE(sketch.ok()) << "length " << length;
    EXPECT_EQ(sketch.status().code(), absl::StatusCode::kDataLoss) << sketch.status();
  }
  EXPECT_FALSE(CountMinSketch::Deserialize(bytes + '\0').ok());
  EXPECT_FALSE(CountMinSketch::Deserialize(bytes + bytes).ok());
}

// Rewrites the checksum after editing, so only the semantic checks stand in the way.
std::string Reseal(std::string bytes) {
  const uint64_t checksum = XXH64(bytes.data(), bytes.size() - 8, 0);
  for (int i = 0; i < 8; ++i) bytes[bytes.size() - 8 + i] = static_cast<char>(checksum >> (8 * i));
  return bytes;
}

TEST(CountMinSketchSerializeTest, RejectsWellSealedButInconsistentContent) {
  const std::string bytes = SmallPopulatedSketch(false).Serialize();
  ASSERT_TRUE(CountMinSketch::Deserialize(Reseal(bytes)).ok());

  std::string version = bytes;
  version[4] = 2;
  EXPECT_EQ(CountMinSketch::Deserialize(Reseal(version)).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string flags = bytes;
  flags[6] = 4;
  EXPECT_EQ(CountMinSketch::Deserialize(Reseal(flags)).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string depth = bytes;
  depth[12] = 0;
  EXPECT_EQ(CountMinSketch::Deserialize(Reseal(depth)).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A huge claimed width with a short body: rejected before anything is allocated.
  std::string width = bytes;
  width[8] = 0;
  width[9] = 0;
  width[10] = 0;
  width[11] = 0x01;  // 2^24
  EXPECT_EQ(CountMinSketch::Deserialize(Reseal(width)).status().code(),
            absl::StatusCode::kDataLoss);
  // A counter above the total; a row that no longer sums to the total.
  std::string counter = bytes;
  counter[32 + 7] = 0x7f;
  absl::StatusOr<CountMinSketch> sketch = CountMinSketch::Deserialize(Reseal(counter));
  EXPECT_EQ(sketch.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(sketch.status().message().find("exceeds the total"), std::string_view::npos)
      << sketch.status();
  std::string total = bytes;
  total[24] = static_cast<char>(total[24] + 1);
  sketch = CountMinSketch::Deserialize(Reseal(total));
  EXPECT_EQ(sketch.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(sketch.status().message().find("sums to"), std::string_view::npos) << sketch.status();
  // Marking a plain sketch conservative keeps it consistent (a conservative row may sum to at
  // most the total), so that edit is accepted once resealed.
  std::string mode = bytes;
  mode[6] = 1;
  EXPECT_TRUE(CountMinSketch::Deserialize(Reseal(mode)).ok());
}

}  // namespace
}  // namespace llmds
