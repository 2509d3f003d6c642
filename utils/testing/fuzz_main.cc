// Copyright 2026 The llmds Authors.
//
// A deterministic driver for libFuzzer-style fuzz targets, so every target runs as an ordinary
// test (under ASan/UBSan in CI) with gcc and no fuzzing engine.
//
// A target defines the libFuzzer entry point and, optionally, a seed corpus:
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {...}
//   std::vector<std::string> LlmdsFuzzSeedCorpus() { return {valid_file_bytes, ...}; }
//
// This main() runs the target on every seed, on every truncation and every single-byte change
// class of the seeds (bounded), then on a fixed number of random mutations (bit flips, byte
// writes, truncations, insertions, deletions, duplications, splices, all from a fixed RNG seed).
// Flags: --iterations=N (default 20000), --seed=S (default 1). The same file also links against
// a real engine (clang -fsanitize=fuzzer), which supplies its own main().

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// Weak: a target without seeds starts from the empty input.
__attribute__((weak)) std::vector<std::string> LlmdsFuzzSeedCorpus();

namespace {

void RunOne(const std::string& input) {
  // A fresh heap copy per run so ASan catches reads past the end of exactly `size` bytes.
  std::vector<uint8_t> copy(input.begin(), input.end());
  uint8_t* data = copy.empty() ? nullptr : copy.data();
  LLVMFuzzerTestOneInput(data, copy.size());
}

std::string Mutate(const std::vector<std::string>& corpus, std::mt19937_64& rng) {
  std::string input = corpus[rng() % corpus.size()];
  const int mutations = 1 + static_cast<int>(rng() % 4);
  for (int m = 0; m < mutations; ++m) {
    const size_t size = input.size();
    switch (rng() % 8) {
      case 0:  // flip a bit
        if (size > 0) input[rng() % size] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // overwrite a byte with an interesting value
        if (size > 0) {
          static constexpr uint8_t kInteresting[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe, 16, 64};
          input[rng() % size] = static_cast<char>(kInteresting[rng() % sizeof(kInteresting)]);
        }
        break;
      case 2:  // random byte
        if (size > 0) input[rng() % size] = static_cast<char>(rng());
        break;
      case 3:  // truncate
        input.resize(size == 0 ? 0 : rng() % size);
        break;
      case 4: {  // insert random bytes
        const size_t at = size == 0 ? 0 : rng() % (size + 1);
        std::string bytes(1 + rng() % 8, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        input.insert(at, bytes);
        break;
      }
      case 5:  // delete a range
        if (size > 0) {
          const size_t at = rng() % size;
          input.erase(at, 1 + rng() % (size - at));
        }
        break;
      case 6:  // duplicate a range
        if (size > 0 && size < (1u << 20)) {
          const size_t at = rng() % size;
          const size_t length = 1 + rng() % (size - at);
          input.insert(rng() % (size + 1), input.substr(at, length));
        }
        break;
      case 7: {  // splice with another input
        const std::string& other = corpus[rng() % corpus.size()];
        input = input.substr(0, size == 0 ? 0 : rng() % (size + 1)) +
                other.substr(other.empty() ? 0 : rng() % other.size());
        break;
      }
    }
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = 20000;
  unsigned long seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--iterations=", 13) == 0) {
      iterations = std::strtol(argv[i] + 13, nullptr, 10);
    } else if (std::strncmp(argv[i], "--seed=", 7) == 0) {
      seed = std::strtoul(argv[i] + 7, nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--iterations=N] [--seed=S]\n", argv[0]);
      return 2;
    }
  }
  std::vector<std::string> corpus;
  if (LlmdsFuzzSeedCorpus) corpus = LlmdsFuzzSeedCorpus();
  corpus.push_back(std::string());

  long runs = 0;
  for (const std::string& input : corpus) {
    RunOne(input);
    ++runs;
    // Every truncation, and every byte position with a few values, for seeds up to 4 KiB.
    if (input.size() > 4096) continue;
    for (size_t length = 0; length < input.size(); ++length, ++runs) {
      RunOne(input.substr(0, length));
    }
    for (size_t at = 0; at < input.size(); ++at) {
      for (uint8_t delta : {1, 0x80, 0xff}) {
        std::string changed = input;
        changed[at] = static_cast<char>(static_cast<uint8_t>(changed[at]) + delta);
        RunOne(changed);
        ++runs;
      }
    }
  }
  std::mt19937_64 rng(seed);
  for (long i = 0; i < iterations; ++i, ++runs) RunOne(Mutate(corpus, rng));
  std::printf("fuzz: %ld inputs run (%zu seeds, %ld random mutations, seed %lu), no crash\n",
              runs, corpus.size(), iterations, seed);
  return 0;
}
