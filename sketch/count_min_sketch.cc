// Copyright 2026 The llmds Authors.

#include "llmds/sketch/count_min_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "llmds/sketch/internal/count_min_rows.h"
#include "llmds/utils/byte_io.h"

namespace llmds {
namespace {

using sketch_internal::AddRows;
using sketch_internal::ApplyRows;
using sketch_internal::EstimateRows;
using sketch_internal::kFastDepth;
using sketch_internal::kSaturated;
using sketch_internal::LocateRows;
using sketch_internal::SaturatingAdd;

static_assert(CountMinSketch::kMaxDepth <= 64, "the row helpers hold up to 64 rows on the stack");

constexpr double kE = 2.718281828459045235360287471352662498;

// Wire format (all integers little-endian):
//   [0, 4)   magic "LCMS"
//   [4, 6)   version (kSerialVersion)
//   [6, 8)   flags: bit 0 = conservative update; other bits must be zero
//   [8, 12)  width
//   [12, 16) depth
//   [16, 24) seed
//   [24, 32) total count
//   [32, 32 + 8 * width * depth) counters, row-major
//   last 8 bytes: XXH64 (seed 0) of every byte before it
constexpr char kMagic[4] = {'L', 'C', 'M', 'S'};
constexpr size_t kHeaderSize = 32;
constexpr size_t kChecksumSize = 8;
constexpr uint16_t kFlagConservative = 1;

// SplitMix64: a well-mixed sequence from one seed (for the per-row seeds).
uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Row r hashes an item's 64-bit digest d with multiply-shift, (seeds[r] * d) >> 32, a universal
// family for odd multipliers; the rows' multipliers are independent, so are the rows.
std::vector<uint64_t> DeriveRowSeeds(uint64_t seed, int32_t depth) {
  std::vector<uint64_t> seeds(static_cast<size_t>(depth));
  uint64_t state = seed ^ 0x6c6c6d64732d636dULL;  // "llmds-cm"
  for (uint64_t& s : seeds) s = SplitMix64(state) | 1;
  return seeds;
}

// Calls f with the depth as a compile-time constant for the common depths (so the per-row loops
// unroll), else as a plain int32_t.
// Unoptimized builds skip the dispatch: it buys nothing there and costs calls.
template <typename F>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline auto WithDepth(int32_t depth, F&& f) {
#if !defined(__OPTIMIZE__)
  return f(depth);
#endif
  switch (depth) {
    case 1: return f(std::integral_constant<int32_t, 1>());
    case 2: return f(std::integral_constant<int32_t, 2>());
    case 3: return f(std::integral_constant<int32_t, 3>());
    case 4: return f(std::integral_constant<int32_t, 4>());
    case 5: return f(std::integral_constant<int32_t, 5>());
    case 6: return f(std::integral_constant<int32_t, 6>());
    case 7: return f(std::integral_constant<int32_t, 7>());
    case 8: return f(std::integral_constant<int32_t, 8>());
    default: return f(depth);
  }
}

absl::Status ValidateOptions(int64_t width, int64_t depth) {
  if (width < 1 || width > CountMinSketch::kMaxWidth) {
    return absl::InvalidArgumentError(absl::StrCat("CountMinSketch: width ", width,
                                                   " is outside [1, ",
                                                   CountMinSketch::kMaxWidth, "]"));
  }
  if (depth < 1 || depth > CountMinSketch::kMaxDepth) {
    return absl::InvalidArgumentError(absl::StrCat("CountMinSketch: depth ", depth,
                                                   " is outside [1, ",
                                                   CountMinSketch::kMaxDepth, "]"));
  }
  if (width * depth > CountMinSketch::kMaxCounters) {
    return absl::InvalidArgumentError(
        absl::StrCat("CountMinSketch: width ", width, " * depth ", depth, " = ", width * depth,
                     " counters exceeds the limit of ", CountMinSketch::kMaxCounters));
  }
  return absl::OkStatus();
}

// Checks invariants 2 and 3 of the counters against `total`. Returns an empty string if they
// hold, else a description of the first violation.
std::string DescribeCounterViolation(const std::vector<uint64_t>& counters, int32_t width,
                                     int32_t depth, bool conservative, uint64_t total) {
  for (int32_t r = 0; r < depth; ++r) {
    const uint64_t* row = counters.data() + static_cast<size_t>(r) * width;
    uint64_t sum = 0;
    for (int32_t c = 0; c < width; ++c) {
      if (row[c] > total) {
        return absl::StrCat("counter (", r, ", ", c, ") = ", row[c], " exceeds the total ", total);
      }
      sum = SaturatingAdd(sum, row[c]);
    }
    if (conservative ? sum > total : sum != total) {
      return absl::StrCat("row ", r, " sums to ", sum, ", ", conservative ? "above" : "not",
                          " the total ", total);
    }
  }
  return std::string();
}

}  // namespace

CountMinSketch::CountMinSketch(const CountMinSketchOptions& options)
    : options_(options),
      row_seeds_(DeriveRowSeeds(options.seed, options.depth)),
      counters_(static_cast<size_t>(options.width) * static_cast<size_t>(options.depth), 0) {}

absl::StatusOr<CountMinSketch> CountMinSketch::Create(const CountMinSketchOptions& options) {
  absl::Status status = ValidateOptions(options.width, options.depth);
  if (!status.ok()) return status;
  return CountMinSketch(options);
}

absl::StatusOr<CountMinSketch> CountMinSketch::FromErrorBounds(double epsilon, double delta) {
  return FromErrorBounds(epsilon, delta, CountMinSketchOptions());
}

absl::StatusOr<CountMinSketch> CountMinSketch::FromErrorBounds(
    double epsilon, double delta, const CountMinSketchOptions& base) {
  if (!(epsilon > 0 && epsilon <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("CountMinSketch: epsilon %g is outside (0, 1]", epsilon));
  }
  if (!(delta > 0 && delta < 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("CountMinSketch: delta %g is outside (0, 1)", delta));
  }
  // A relative slack of 1e-9 keeps round-trips such as epsilon = e / 2048 at width 2048.
  const double width = std::ceil(kE / epsilon * (1 - 1e-9));
  const double depth = std::max(1.0, std::ceil(std::log(1 / delta) * (1 - 1e-9)));
  if (width > kMaxWidth) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "CountMinSketch: epsilon %g needs width %.0f, above the limit %d", epsilon, width,
        kMaxWidth));
  }
  if (depth > kMaxDepth) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "CountMinSketch: delta %g needs depth %.0f, above the limit %d", delta, depth,
        kMaxDepth));
  }
  CountMinSketchOptions options = base;
  options.width = static_cast<int32_t>(width);
  options.depth = static_cast<int32_t>(depth);
  return Create(options);
}

namespace {

// The depths other than kFastDepth, out of line so the common depth's path stays small.
ABSL_ATTRIBUTE_NOINLINE void AddAnyDepth(std::string_view item, uint64_t count, uint64_t seed,
                                         const uint64_t* row_seeds, uint32_t width,
                                         int32_t depth, bool conservative, uint64_t* counters) {
  WithDepth(depth, [&](auto d) {
    AddRows(item, count, seed, row_seeds, width, d, conservative, counters);
  });
}

ABSL_ATTRIBUTE_NOINLINE uint64_t EstimateAnyDepth(std::string_view item, uint64_t seed,
                                                  const uint64_t* row_seeds, uint32_t width,
                                                  int32_t depth, const uint64_t* counters) {
  return WithDepth(depth, [&](auto d) {
    return EstimateRows(item, seed, row_seeds, width, d, counters);
  });
}

// AddBatch() prefetches the counters of sketches larger than this (about an L2 cache).
constexpr size_t kPrefetchBytes = size_t{256} << 10;

}  // namespace

void CountMinSketch::AddOtherDepth(std::string_view item, uint64_t count) {
  AddAnyDepth(item, count, options_.seed, row_seeds_.data(), static_cast<uint32_t>(options_.width),
              options_.depth, options_.conservative_update, counters_.data());
  total_ = SaturatingAdd(total_, count);
}

template <typename Depth>
uint64_t CountMinSketch::AddBatchRows(absl::Span<const std::string_view> items,
                                      const uint64_t* counts, Depth depth) {
  // Large sketches: hash a group of items and prefetch their counters, then update them in
  // order. The updates see exactly the state sequential Add() calls would, so the result is
  // identical.
  constexpr size_t kGroup = 16;
  const uint32_t width = static_cast<uint32_t>(options_.width);
  const uint64_t* seeds = row_seeds_.data();
  uint64_t* counters = counters_.data();
  const bool conservative = options_.conservative_update;
  const uint64_t seed = options_.seed;
  // Prefetching only pays once the counters outgrow the L2 cache.
  const bool prefetch = counters_.size() * sizeof(uint64_t) > kPrefetchBytes;
  // A local copy keeps the running total in a register (`total_` might alias a counter).
  uint64_t total = total_;
  const size_t n = items.size();
  if (!prefetch) {
    // The counters are cache-resident: update item by item, as Add() does.
    for (size_t i = 0; i < n; ++i) {
      const uint64_t count = counts == nullptr ? 1 : counts[i];
      AddRows(items[i], count, seed, seeds, width, depth, conservative, counters);
      total = SaturatingAdd(total, count);
    }
    return total;
  }
  uint32_t index[kGroup * kMaxDepth];
  for (size_t start = 0; start < n; start += kGroup) {
    const size_t group = std::min(kGroup, n - start);
    for (size_t j = 0; j < group; ++j) {
      uint32_t* slots = index + j * depth;
      LocateRows(items[start + j], seed, seeds, width, depth, slots);
      if (prefetch) {
        for (int32_t r = 0; r < depth; ++r) __builtin_prefetch(counters + slots[r], 1, 3);
      }
    }
    for (size_t j = 0; j < group; ++j) {
      const uint64_t count = counts == nullptr ? 1 : counts[start + j];
      ApplyRows(counters, index + j * depth, depth, conservative, count);
      total = SaturatingAdd(total, count);
    }
  }
  return total;
}

void CountMinSketch::AddBatchImpl(absl::Span<const std::string_view> items,
                                  const uint64_t* counts) {
  if (ABSL_PREDICT_TRUE(options_.depth == kFastDepth)) {
    total_ = AddBatchRows(items, counts, std::integral_constant<int32_t, kFastDepth>());
  } else {
    total_ = WithDepth(options_.depth,
                       [&](auto depth) { return AddBatchRows(items, counts, depth); });
  }
}

void CountMinSketch::AddBatch(absl::Span<const std::string_view> items) {
  AddBatchImpl(items, nullptr);
}

absl::Status CountMinSketch::AddBatch(absl::Span<const std::string_view> items,
                                      absl::Span<const uint64_t> counts) {
  if (counts.size() != items.size()) {
    return absl::InvalidArgumentError(absl::StrCat("CountMinSketch::AddBatch: ", counts.size(),
                                                   " counts for ", items.size(), " items"));
  }
  AddBatchImpl(items, counts.data());
  return absl::OkStatus();
}

uint64_t CountMinSketch::EstimateOtherDepth(std::string_view item) const {
  return EstimateAnyDepth(item, options_.seed, row_seeds_.data(),
                          static_cast<uint32_t>(options_.width), options_.depth,
                          counters_.data());
}

bool CountMinSketch::IsHot(std::string_view item, uint64_t threshold) const {
  return Estimate(item) >= threshold;
}

double CountMinSketch::epsilon() const { return kE / options_.width; }

double CountMinSketch::delta() const { return std::exp(-static_cast<double>(options_.depth)); }

double CountMinSketch::GetErrorBound() const {
  return epsilon() * static_cast<double>(total_);
}

absl::Status CountMinSketch::Merge(const CountMinSketch& other) {
  const CountMinSketchOptions& theirs = other.options_;
  if (theirs.width != options_.width || theirs.depth != options_.depth) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CountMinSketch::Merge: shape ", theirs.width, "x", theirs.depth, " differs from ",
        options_.width, "x", options_.depth, " (width x depth)"));
  }
  if (theirs.seed != options_.seed) {
    return absl::InvalidArgumentError(absl::StrCat("CountMinSketch::Merge: seed ", theirs.seed,
                                                   " differs from ", options_.seed));
  }
  if (theirs.conservative_update != options_.conservative_update) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CountMinSketch::Merge: conservative_update ", theirs.conservative_update ? "true" : "false",
        " differs from ", options_.conservative_update ? "true" : "false"));
  }
  // Element-wise, so merging a sketch into itself is well defined (it doubles every counter).
  for (size_t i = 0; i < counters_.size(); ++i) {
    counters_[i] = SaturatingAdd(counters_[i], other.counters_[i]);
  }
  total_ = SaturatingAdd(total_, other.total_);
  return absl::OkStatus();
}

std::string CountMinSketch::Serialize() const {
  std::string out;
  out.reserve(kHeaderSize + counters_.size() * 8 + kChecksumSize);
  ByteWriter w(&out);
  w.PutRaw(kMagic, 4);
  w.PutU16(kSerialVersion);
  w.PutU16(options_.conservative_update ? kFlagConservative : 0);
  w.PutU32(static_cast<uint32_t>(options_.width));
  w.PutU32(static_cast<uint32_t>(options_.depth));
  w.PutU64(options_.seed);
  w.PutU64(total_);
  for (uint64_t counter : counters_) w.PutU64(counter);
  w.PutU64(XXH64(out.data(), out.size(), 0));
  return out;
}

absl::StatusOr<CountMinSketch> CountMinSketch::Deserialize(std::string_view bytes) {
  if (bytes.size() < kHeaderSize + kChecksumSize) {
    return absl::DataLossError(absl::StrCat("CountMinSketch::Deserialize: ", bytes.size(),
                                            " bytes is shorter than the minimum of ",
                                            kHeaderSize + kChecksumSize));
  }
  ByteReader in(bytes);
  std::string_view magic;
  uint16_t version = 0;
  uint16_t flags = 0;
  uint32_t width32 = 0;
  uint32_t depth32 = 0;
  uint64_t seed = 0;
  uint64_t total = 0;
  if (!in.GetRaw(sizeof(kMagic), &magic) || !in.GetU16(&version) || !in.GetU16(&flags) ||
      !in.GetU32(&width32) || !in.GetU32(&depth32) || !in.GetU64(&seed) || !in.GetU64(&total)) {
    // Unreachable after the size check above; kept so the reader alone guards every access.
    return absl::DataLossError("CountMinSketch::Deserialize: truncated header");
  }
  if (std::memcmp(magic.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError("CountMinSketch::Deserialize: bad magic number (not a sketch)");
  }
  if (version != kSerialVersion) {
    return absl::InvalidArgumentError(absl::StrCat("CountMinSketch::Deserialize: version ",
                                                   version, " is not supported (expected ",
                                                   kSerialVersion, ")"));
  }
  if ((flags & ~kFlagConservative) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("CountMinSketch::Deserialize: unknown flags ", flags));
  }
  const int64_t width = width32;
  const int64_t depth = depth32;
  absl::Status status = ValidateOptions(width, depth);
  if (!status.ok()) return status;
  const uint64_t expected_size = kHeaderSize + static_cast<uint64_t>(width * depth) * 8 +
                                 kChecksumSize;
  if (bytes.size() != expected_size) {
    return absl::DataLossError(absl::StrCat("CountMinSketch::Deserialize: ", bytes.size(),
                                            " bytes, but a ", width, "x", depth,
                                            " sketch needs ", expected_size));
  }
  uint64_t stored_checksum = 0;
  ByteReader trailer(bytes.substr(bytes.size() - kChecksumSize));
  if (!trailer.GetU64(&stored_checksum)) {
    return absl::DataLossError("CountMinSketch::Deserialize: truncated checksum");
  }
  const uint64_t checksum = XXH64(bytes.data(), bytes.size() - kChecksumSize, 0);
  if (stored_checksum != checksum) {
    return absl::DataLossError(absl::StrFormat(
        "CountMinSketch::Deserialize: checksum %016x does not match the content (%016x)",
        stored_checksum, checksum));
  }
  CountMinSketchOptions options;
  options.width = static_cast<int32_t>(width);
  options.depth = static_cast<int32_t>(depth);
  options.conservative_update = (flags & kFlagConservative) != 0;
  options.seed = seed;
  CountMinSketch sketch(options);
  sketch.total_ = total;
  for (uint64_t& counter : sketch.counters_) {
    if (!in.GetU64(&counter)) {
      return absl::DataLossError("CountMinSketch::Deserialize: truncated counters");
    }
  }
  // A correct checksum over inconsistent counters means a buggy or hostile writer.
  const std::string violation =
      DescribeCounterViolation(sketch.counters_, options.width, options.depth,
                               options.conservative_update, sketch.total_);
  if (!violation.empty()) {
    return absl::DataLossError(
        absl::StrCat("CountMinSketch::Deserialize: inconsistent counters: ", violation));
  }
  return sketch;
}

void CountMinSketch::Clear() {
  std::fill(counters_.begin(), counters_.end(), 0);
  total_ = 0;
}

uint64_t CountMinSketch::counter(int32_t row, int32_t column) const {
  return counters_[static_cast<size_t>(row) * options_.width + static_cast<size_t>(column)];
}

size_t CountMinSketch::MemoryUsage() const {
  return sizeof(*this) + counters_.capacity() * sizeof(uint64_t) +
         row_seeds_.capacity() * sizeof(uint64_t);
}

absl::Status CountMinSketch::CheckInvariants() const {
  absl::Status status = ValidateOptions(options_.width, options_.depth);
  if (!status.ok()) return absl::InternalError(absl::StrCat("invariant 1: ", status.message()));
  if (counters_.size() != static_cast<size_t>(options_.width) * options_.depth) {
    return absl::InternalError(absl::StrCat("invariant 1: ", counters_.size(),
                                            " counters for a ", options_.width, "x",
                                            options_.depth, " sketch"));
  }
  const std::string violation = DescribeCounterViolation(
      counters_, options_.width, options_.depth, options_.conservative_update, total_);
  if (!violation.empty()) return absl::InternalError(absl::StrCat("invariant 2/3: ", violation));
  if (row_seeds_ != DeriveRowSeeds(options_.seed, options_.depth)) {
    return absl::InternalError("invariant 4: row seeds do not derive from the seed");
  }
  return absl::OkStatus();
}

}  // namespace llmds
