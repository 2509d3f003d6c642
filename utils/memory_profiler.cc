// Copyright 2026 The llmds Authors.

#include "llmds/utils/memory_profiler.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace llmds {
namespace {

constexpr double kBytesPerMib = 1024.0 * 1024.0;

double ToMib(int64_t bytes) { return static_cast<double>(bytes) / kBytesPerMib; }

// Reads /proc/self/statm ("size resident shared text lib data dt", in pages) with plain system
// calls: no allocation, so sampling does not disturb what it measures.
int64_t ReadResidentPages() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buffer[256];
  ssize_t length;
  do {
    length = ::read(fd, buffer, sizeof(buffer) - 1);
  } while (length < 0 && errno == EINTR);
  ::close(fd);
  if (length <= 0) return -1;
  buffer[length] = '\0';

  const char* p = buffer;
  while (*p != '\0' && *p != ' ') ++p;  // skip "size"
  if (*p != ' ') return -1;
  ++p;
  if (*p < '0' || *p > '9') return -1;
  int64_t pages = 0;
  for (; *p >= '0' && *p <= '9'; ++p) {
    if (pages > (INT64_MAX - 9) / 10) return -1;
    pages = pages * 10 + (*p - '0');
  }
  return pages;
}

}  // namespace

int64_t MemoryProfiler::CurrentRssBytes() {
  static const int64_t page_bytes = ::sysconf(_SC_PAGESIZE);
  const int64_t pages = ReadResidentPages();
  if (pages < 0 || page_bytes <= 0) return 0;
  return pages * page_bytes;
}

int64_t MemoryProfiler::ProcessPeakRssBytes() {
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buffer[4096];
  ssize_t length;
  do {
    length = ::read(fd, buffer, sizeof(buffer) - 1);
  } while (length < 0 && errno == EINTR);
  ::close(fd);
  if (length <= 0) return 0;
  buffer[length] = '\0';
  const char* line = std::strstr(buffer, "VmHWM:");
  if (line == nullptr) return 0;
  const char* p = line + 6;
  while (*p == ' ' || *p == '\t') ++p;
  int64_t kib = 0;
  for (; *p >= '0' && *p <= '9'; ++p) {
    if (kib > (INT64_MAX - 9) / 10) return 0;
    kib = kib * 10 + (*p - '0');
  }
  return kib > INT64_MAX / 1024 ? 0 : kib * 1024;  // the kernel reports kB (KiB)
}

void MemoryProfiler::Start() {
  started_ = true;
  baseline_rss_bytes_ = CurrentRssBytes();
  peak_rss_bytes_ = baseline_rss_bytes_;
}

int64_t MemoryProfiler::Sample() {
  if (!started_) Start();
  const int64_t rss = CurrentRssBytes();
  peak_rss_bytes_ = std::max(peak_rss_bytes_, rss);
  return rss;
}

double MemoryProfiler::GetPeakRssMb() const { return ToMib(peak_rss_bytes_); }

double MemoryProfiler::GetCurrentRssMb() const { return ToMib(CurrentRssBytes()); }

double MemoryProfiler::GetMemoryDeltaMb() const {
  return ToMib(peak_rss_bytes_ - baseline_rss_bytes_);
}

}  // namespace llmds
