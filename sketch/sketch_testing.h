// Copyright 2026 The llmds Authors.
//
// Test and benchmark helpers for sketch/: deterministic streams of item ids (uniform and Zipf,
// fixed seeds, identical on every platform) and a universe of fixed-length byte keys for them.

#ifndef LLMDS_SKETCH_SKETCH_TESTING_H_
#define LLMDS_SKETCH_SKETCH_TESTING_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmds {
namespace sketch_testing {

// SplitMix64: a small, fast, portable generator (the standard distributions are not portable).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// Samples ranks 0..n-1 with P(r) proportional to (r + 1)^-exponent in O(1) (Walker's alias
// method).
class ZipfSampler {
 public:
  ZipfSampler(size_t n, double exponent) : probability_(n), alias_(n) {
    std::vector<double> weight(n);
    double sum = 0;
    for (size_t r = 0; r < n; ++r) sum += weight[r] = std::pow(static_cast<double>(r + 1), -exponent);
    std::vector<uint32_t> small, large;
    for (size_t r = 0; r < n; ++r) {
      weight[r] *= static_cast<double>(n) / sum;
      (weight[r] < 1 ? small : large).push_back(static_cast<uint32_t>(r));
    }
    while (!small.empty() && !large.empty()) {
      const uint32_t s = small.back(), l = large.back();
      small.pop_back();
      probability_[s] = weight[s];
      alias_[s] = l;
      weight[l] -= 1 - weight[s];
      if (weight[l] < 1) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (uint32_t r : small) probability_[r] = 1, alias_[r] = r;
    for (uint32_t r : large) probability_[r] = 1, alias_[r] = r;
  }

  uint32_t Sample(SplitMix64& rng) const {
    const uint64_t bits = rng.Next();
    const uint32_t r = static_cast<uint32_t>(
        (static_cast<unsigned __int128>(bits) * probability_.size()) >> 64);
    const double coin = static_cast<double>(bits & 0xfffff) * 0x1.0p-20;
    return coin < probability_[r] ? r : alias_[r];
  }

 private:
  std::vector<double> probability_;
  std::vector<uint32_t> alias_;
};

// `length` ranks drawn from Zipf(`exponent`) over `universe` items.
inline std::vector<uint32_t> ZipfStream(size_t universe, double exponent, size_t length,
                                        uint64_t seed) {
  ZipfSampler sampler(universe, exponent);
  SplitMix64 rng(seed);
  std::vector<uint32_t> stream(length);
  for (uint32_t& id : stream) id = sampler.Sample(rng);
  return stream;
}

// `length` ids drawn uniformly from [0, universe).
inline std::vector<uint32_t> UniformStream(size_t universe, size_t length, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<uint32_t> stream(length);
  for (uint32_t& id : stream) id = static_cast<uint32_t>(rng.Below(universe));
  return stream;
}

// Exact occurrence counts of every id in [0, universe).
inline std::vector<uint64_t> ExactCounts(const std::vector<uint32_t>& stream, size_t universe) {
  std::vector<uint64_t> counts(universe, 0);
  for (uint32_t id : stream) ++counts[id];
  return counts;
}

// `n` distinct keys of `key_length` (>= 8) bytes: the id in the first 8 bytes (so distinct),
// pseudo-random filler after. key(i) views stay valid for the universe's lifetime.
class KeyUniverse {
 public:
  KeyUniverse(size_t n, size_t key_length = 16) : key_length_(key_length), bytes_(n * key_length, '\0') {
    SplitMix64 rng(0x5eed);
    for (size_t i = 0; i < n; ++i) {
      char* key = &bytes_[i * key_length];
      for (size_t b = 0; b < key_length; ++b) {
        key[b] = static_cast<char>(b < 8 ? (i >> (8 * b)) : rng.Next());
      }
    }
  }
  std::string_view key(size_t i) const {
    return std::string_view(bytes_.data() + i * key_length_, key_length_);
  }
  size_t size() const { return key_length_ == 0 ? 0 : bytes_.size() / key_length_; }

 private:
  size_t key_length_;
  std::string bytes_;
};

// The benchmarks' stream: kBenchmarkStreamLength Zipf(1.1) draws over kBenchmarkUniverse 16-byte
// keys (seed 1). The keys are copied, in stream order, into one contiguous buffer: a request's
// key is normally hot in cache when it is counted, so a benchmark measures the structure, not
// misses on a scattered key table. Built once; never destroyed.
inline constexpr size_t kBenchmarkUniverse = 1 << 16;
inline constexpr size_t kBenchmarkStreamLength = 1 << 20;  // a power of two: loops wrap by mask

inline const std::vector<std::string_view>& BenchmarkStream() {
  static const std::string* bytes = [] {
    const KeyUniverse keys(kBenchmarkUniverse, 16);
    auto* buffer = new std::string();
    buffer->reserve(kBenchmarkStreamLength * 16);
    for (uint32_t id : ZipfStream(kBenchmarkUniverse, 1.1, kBenchmarkStreamLength, 1)) {
      buffer->append(keys.key(id));
    }
    return buffer;
  }();
  static const auto* stream = [] {
    auto* items = new std::vector<std::string_view>();
    for (size_t i = 0; i < kBenchmarkStreamLength; ++i) {
      items->push_back(std::string_view(bytes->data() + 16 * i, 16));
    }
    return items;
  }();
  return *stream;
}

}  // namespace sketch_testing
}  // namespace llmds

#endif  // LLMDS_SKETCH_SKETCH_TESTING_H_
