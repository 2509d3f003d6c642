// Copyright 2026 The llmds Authors.

#include "llmds/utils/memory_profiler.h"

#include <sys/mman.h>

#include <cstring>
#include <memory>

#include "gtest/gtest.h"

namespace llmds {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

// Maps `bytes` of anonymous memory and touches every page, so exactly that much becomes resident
// (mmap rather than malloc keeps the allocator, and sanitizer allocators, out of the picture).
class TouchedMapping {
 public:
  explicit TouchedMapping(int64_t bytes) : bytes_(bytes) {
    data_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data_ != MAP_FAILED) std::memset(data_, 0xA5, bytes_);
  }
  ~TouchedMapping() {
    if (data_ != MAP_FAILED) ::munmap(data_, bytes_);
  }
  bool ok() const { return data_ != MAP_FAILED; }

 private:
  int64_t bytes_;
  void* data_;
};

TEST(MemoryProfilerTest, ReadsAPlausibleRss) {
  const int64_t rss = MemoryProfiler::CurrentRssBytes();
  EXPECT_GT(rss, 64 * 1024);        // a running gtest binary is larger than 64 KiB
  EXPECT_LT(rss, 64LL * 1024 * kMiB);  // and smaller than 64 GiB
}

TEST(MemoryProfilerTest, ProcessPeakIsAtLeastEveryAllocationSeen) {
  constexpr int64_t kBytes = 40 * kMiB;
  const int64_t before = MemoryProfiler::ProcessPeakRssBytes();
  EXPECT_GE(before, MemoryProfiler::CurrentRssBytes() / 2);
  int64_t during;
  {
    TouchedMapping mapping(kBytes);
    ASSERT_TRUE(mapping.ok());
    during = MemoryProfiler::CurrentRssBytes();
  }
  // The high-water mark remembers the mapping even though nobody sampled at its peak.
  EXPECT_GE(MemoryProfiler::ProcessPeakRssBytes(), during - kMiB);
  EXPECT_GE(MemoryProfiler::ProcessPeakRssBytes(), before);
}

TEST(MemoryProfilerTest, IsZeroBeforeStart) {
  MemoryProfiler profiler;
  EXPECT_EQ(profiler.GetPeakRssBytes(), 0);
  EXPECT_EQ(profiler.GetPeakRssMb(), 0.0);
  EXPECT_EQ(profiler.GetMemoryDeltaMb(), 0.0);
  EXPECT_GT(profiler.GetCurrentRssMb(), 0.0);
}

TEST(MemoryProfilerTest, SeesARealAllocationOfKnownSize) {
  constexpr int64_t kBytes = 64 * kMiB;
  MemoryProfiler profiler;
  profiler.Start();
  const int64_t baseline = profiler.baseline_rss_bytes();
  EXPECT_EQ(profiler.GetPeakRssBytes(), baseline);
  {
    TouchedMapping mapping(kBytes);
    ASSERT_TRUE(mapping.ok());
    const int64_t during = profiler.Sample();
    EXPECT_GE(during - baseline, kBytes - 2 * kMiB);
    EXPECT_LE(during - baseline, kBytes + 16 * kMiB);
  }
  // After the mapping is gone RSS drops again, but the peak remembers it.
  const int64_t after = profiler.Sample();
  EXPECT_LT(after, profiler.GetPeakRssBytes() - kBytes / 2);
  EXPECT_GE(profiler.GetMemoryDeltaMb(), 62.0);
  EXPECT_LE(profiler.GetMemoryDeltaMb(), 64.0 + 16.0);
  EXPECT_NEAR(profiler.GetPeakRssMb(),
              static_cast<double>(profiler.GetPeakRssBytes()) / kMiB, 1e-9);
}

TEST(MemoryProfilerTest, StartResetsThePeak) {
  MemoryProfiler profiler;
  profiler.Start();
  {
    TouchedMapping mapping(32 * kMiB);
    ASSERT_TRUE(mapping.ok());
    profiler.Sample();
  }
  EXPECT_GE(profiler.GetMemoryDeltaMb(), 30.0);
  profiler.Start();
  EXPECT_EQ(profiler.GetMemoryDeltaMb(), 0.0);
  EXPECT_EQ(profiler.GetPeakRssBytes(), profiler.baseline_rss_bytes());
}

TEST(MemoryProfilerTest, SampleBeforeStartStartsTheProfiler) {
  MemoryProfiler profiler;
  const int64_t rss = profiler.Sample();
  EXPECT_GT(rss, 0);
  EXPECT_GT(profiler.baseline_rss_bytes(), 0);
  EXPECT_GE(profiler.GetPeakRssBytes(), rss);
}

TEST(ScopedMemoryProfileTest, StartsAtConstructionAndSamplesAtDestruction) {
  constexpr int64_t kBytes = 48 * kMiB;
  MemoryProfiler profiler;
  auto mapping = std::make_unique<TouchedMapping>(1);  // placeholder, replaced in scope
  {
    ScopedMemoryProfile scope(&profiler);
    EXPECT_EQ(profiler.GetMemoryDeltaMb(), 0.0);
    mapping = std::make_unique<TouchedMapping>(kBytes);
    ASSERT_TRUE(mapping->ok());
    // No explicit Sample(): the destructor's sample must see the mapping.
  }
  EXPECT_GE(profiler.GetMemoryDeltaMb(), 46.0);
}

}  // namespace
}  // namespace llmds
