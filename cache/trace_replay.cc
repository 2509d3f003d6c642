// Copyright 2026 The llmds Authors.
//
// trace_replay: replays a Mooncake-format trace (JSONL; each line has `timestamp`,
// `input_length`, `output_length` and `hash_ids`, the ids of the prompt's 512-token blocks,
// prefix-chained) through KVBlockManager and prints the prefix hit rate, evictions, peak block
// usage and throughput.
//
//   bazel run -c opt //cache:trace_replay -- --trace=/path/synthetic_trace.jsonl
//       --capacity_fraction=0.5 --max_running=1
//
// Each hash id maps to a fixed run of 512 synthetic token ids, so equal ids mean equal tokens.
// A request's prompt is input_length tokens: its last block is partial when input_length is
// not a multiple of 512 and then is never a hit (only whole blocks are shared). Requests run in
// trace order; at most --max_running stay live (oldest freed first). The reference count of
// "expected hits" is the number of full prompt blocks whose whole chain of ids appeared earlier
// as full blocks; with unlimited capacity the manager's hits must equal it.
//
// Flags: --trace=PATH (required), --capacity=BLOCKS or --capacity_fraction=F of the distinct
// full-block chains (default: unlimited), --max_running=N (default 1), --block_size=512.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "llmds/cache/kv_block_manager.h"
#include "llmds/datasets/serving_trace.h"

namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

const char* Flag(int argc, char** argv, const char* name) {
  const size_t n = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const char* trace_path = Flag(argc, argv, "--trace");
  if (trace_path == nullptr) {
    std::fprintf(stderr, "usage: trace_replay --trace=FILE [--capacity=N | "
                         "--capacity_fraction=F] [--max_running=N] [--block_size=512]\n");
    return 2;
  }
  const int32_t block_size =
      Flag(argc, argv, "--block_size") ? std::atoi(Flag(argc, argv, "--block_size")) : 512;
  const int max_running =
      Flag(argc, argv, "--max_running") ? std::atoi(Flag(argc, argv, "--max_running")) : 1;
  if (block_size <= 0 || max_running <= 0) {
    std::fprintf(stderr, "block_size and max_running must be > 0\n");
    return 2;
  }
  absl::StatusOr<std::vector<llmds::TraceRequest>> trace = llmds::ReadMooncakeTrace(trace_path);
  if (!trace.ok()) {
    std::fprintf(stderr, "%s\n", std::string(trace.status().message()).c_str());
    return 1;
  }
  // Requests whose hash ids cannot cover their prompt at this block size are skipped.
  std::vector<llmds::TraceRequest> requests;
  int64_t skipped = 0;
  for (llmds::TraceRequest& r : *trace) {
    const int64_t ids = static_cast<int64_t>(r.block_hashes.size());
    if (r.input_tokens > ids * block_size || r.input_tokens > ids * llmds::kMooncakeBlockTokens) {
      ++skipped;
      continue;
    }
    requests.push_back(std::move(r));
  }
  // Reference: distinct full-block chains and expected hits (chains seen before as full).
  absl::flat_hash_set<uint64_t> seen;
  int64_t expected_hits = 0, full_blocks = 0, max_blocks = 0;
  for (const llmds::TraceRequest& r : requests) {
    uint64_t chain = 0;
    const int64_t full = r.input_tokens / block_size;
    max_blocks = std::max<int64_t>(max_blocks, (r.input_tokens + block_size - 1) / block_size);
    bool prefix_seen = true;
    for (int64_t i = 0; i < full; ++i) {
      chain = SplitMix(chain ^ SplitMix(static_cast<uint64_t>(r.block_hashes[i])));
      const bool hit = prefix_seen && seen.count(chain);
      expected_hits += hit ? 1 : 0;
      prefix_seen = hit;
      seen.insert(chain);
      ++full_blocks;
    }
  }
  const int64_t distinct = static_cast<int64_t>(seen.size());
  int64_t capacity = distinct + static_cast<int64_t>(max_running) * max_blocks;  // unlimited
  std::string capacity_label = "unlimited";
  if (const char* c = Flag(argc, argv, "--capacity")) {
    capacity = std::atoll(c);
    capacity_label = c;
  } else if (const char* f = Flag(argc, argv, "--capacity_fraction")) {
    capacity = static_cast<int64_t>(std::atof(f) * static_cast<double>(distinct));
    capacity_label = std::string(f) + " of distinct";
  }
  llmds::KVBlockManagerOptions options;
  options.block_size = block_size;
  options.num_blocks = static_cast<int32_t>(std::max<int64_t>(capacity, 1));
  auto manager_or = llmds::KVBlockManager::Create(options);
  if (!manager_or.ok()) {
    std::fprintf(stderr, "%s\n", manager_or.status().ToString().c_str());
    return 1;
  }
  llmds::KVBlockManager& manager = **manager_or;

  std::deque<int64_t> live;
  int64_t rejected = 0, prompt_blocks = 0;
  std::vector<int32_t> prompt;
  const auto start = std::chrono::steady_clock::now();
  for (size_t id = 0; id < requests.size(); ++id) {
    const llmds::TraceRequest& r = requests[id];
    prompt = llmds::SyntheticPromptTokens(r);
    prompt_blocks += (r.input_tokens + block_size - 1) / block_size;
    while (static_cast<int>(live.size()) >= max_running) {
      (void)manager.FreeSequence(live.front());
      live.pop_front();
    }
    auto added = manager.AddSequence(static_cast<int64_t>(id), prompt);
    while (!added.ok() && !live.empty()) {  // out of blocks: retire older requests first
      (void)manager.FreeSequence(live.front());
      live.pop_front();
      added = manager.AddSequence(static_cast<int64_t>(id), prompt);
    }
    if (added.ok()) {
      live.push_back(static_cast<int64_t>(id));
    } else {
      ++rejected;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const llmds::KVBlockManagerStats s = manager.Stats();
  std::printf("trace: %s (%zu requests, %lld skipped)\n", trace_path, requests.size(),
              static_cast<long long>(skipped));
  std::printf("block_size %d, capacity %d blocks (%s; %lld distinct full-block chains), "
              "max_running %d\n",
              block_size, options.num_blocks, capacity_label.c_str(),
              static_cast<long long>(distinct), max_running);
  std::printf("prompt blocks %lld (full %lld), rejected requests %lld\n",
              static_cast<long long>(prompt_blocks), static_cast<long long>(full_blocks),
              static_cast<long long>(rejected));
  std::printf("hit blocks %lld of %lld full (%.2f%%); expected with unlimited capacity %lld\n",
              static_cast<long long>(s.hit_tokens / block_size),
              static_cast<long long>(full_blocks),
              full_blocks ? 100.0 * static_cast<double>(s.hit_tokens / block_size) /
                                static_cast<double>(full_blocks)
                          : 0.0,
              static_cast<long long>(expected_hits));
  std::printf("token hit rate %.2f%% (%lld of %lld prompt tokens)\n",
              s.queried_tokens ? 100.0 * static_cast<double>(s.hit_tokens) /
                                     static_cast<double>(s.queried_tokens)
                               : 0.0,
              static_cast<long long>(s.hit_tokens), static_cast<long long>(s.queried_tokens));
  std::printf("evictions %lld, peak used blocks %d\n", static_cast<long long>(s.evictions),
              s.peak_used_blocks);
  std::printf("replay %.3f s, %.0f blocks/s, %.0f requests/s\n", seconds,
              static_cast<double>(prompt_blocks) / seconds,
              static_cast<double>(requests.size()) / seconds);
  return 0;
}
