// Copyright 2026 The llmds Authors.
//
// MemoryProfiler: the resident set size (RSS) of this process, sampled, with its peak. For
// benchmarks and the `llmds` tool to report what a structure really costs in memory.
//
//   llmds::MemoryProfiler profiler;
//   {
//     llmds::ScopedMemoryProfile scope(&profiler);   // Start() now, Sample() at scope exit
//     BuildIndex();
//     profiler.Sample();                              // optional extra samples
//   }
//   std::printf("peak %.1f MiB (+%.1f MiB)\n", profiler.GetPeakRssMb(),
//               profiler.GetMemoryDeltaMb());
//
// RSS comes from /proc/self/statm (Linux). Where it cannot be read, every reading is 0. "Mb" in
// names is the seed API's spelling: values are mebibytes (2^20 bytes). The peak is the largest
// *sampled* value: memory that rises and falls between two samples is not seen.
//
// Cost: one read of /proc/self/statm per Sample() or GetCurrentRssMb() (~2 us).

#ifndef LLMDS_UTILS_MEMORY_PROFILER_H_
#define LLMDS_UTILS_MEMORY_PROFILER_H_

#include <cstdint>

namespace llmds {

// `MemoryProfiler` is thread-compatible.
class MemoryProfiler {
 public:
  MemoryProfiler() = default;

  // Returns the current RSS of this process in bytes, or 0 where /proc is unavailable.
  static int64_t CurrentRssBytes();

  // Returns the highest RSS this process has had since it started (the kernel's high-water
  // mark, VmHWM in /proc/self/status), in bytes, or 0 where unavailable. Unlike the sampled
  // peak, it misses nothing between samples, but it cannot be reset per measurement.
  static int64_t ProcessPeakRssBytes();

  // Records the current RSS as the baseline and resets the peak to it. May be called again to
  // start over.
  void Start();

  // Returns the current RSS in bytes and raises the peak to it if higher. A Sample() before any
  // Start() starts the profiler first.
  int64_t Sample();

  // Returns the highest RSS sampled since Start(), in bytes (0 before Start()).
  int64_t GetPeakRssBytes() const { return peak_rss_bytes_; }

  // Returns GetPeakRssBytes() in MiB.
  double GetPeakRssMb() const;

  // Returns the current RSS in MiB. Reads /proc; does not change the peak.
  double GetCurrentRssMb() const;

  // Returns peak - baseline (the RSS at Start()) in MiB; 0 before Start().
  double GetMemoryDeltaMb() const;

  // Returns the RSS recorded by Start(), in bytes (0 before Start()).
  int64_t baseline_rss_bytes() const { return baseline_rss_bytes_; }

 private:
  bool started_ = false;
  int64_t baseline_rss_bytes_ = 0;
  int64_t peak_rss_bytes_ = 0;
};

// The RAII form of the seed's `memory_profiler()` context manager: Start()s the profiler on
// construction and takes a final Sample() on destruction.
//
// REQUIRES: `profiler` is non-null and outlives this object.
class ScopedMemoryProfile {
 public:
  explicit ScopedMemoryProfile(MemoryProfiler* profiler) : profiler_(profiler) {
    profiler_->Start();
  }
  ~ScopedMemoryProfile() { profiler_->Sample(); }

  ScopedMemoryProfile(const ScopedMemoryProfile&) = delete;
  ScopedMemoryProfile& operator=(const ScopedMemoryProfile&) = delete;

 private:
  MemoryProfiler* const profiler_;
};

}  // namespace llmds

#endif  // LLMDS_UTILS_MEMORY_PROFILER_H_
