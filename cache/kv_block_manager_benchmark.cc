// Copyright 2026 The llmds Authors.

#include <cstdint>
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "llmds/cache/kv_block_manager.h"

namespace llmds {
namespace {

std::unique_ptr<KVBlockManager> Make(int32_t block_size, int32_t num_blocks) {
  KVBlockManagerOptions o;
  o.block_size = block_size;
  o.num_blocks = num_blocks;
  return KVBlockManager::Create(o).value();
}

std::vector<int32_t> Prompt(int n, int32_t salt) {
  std::vector<int32_t> p(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i * 7 + salt;
  return p;
}

// AddSequence + FreeSequence of a fully cached 4096-token prompt (block size 16).
void BM_AddFreeCachedPrompt(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto m = Make(16, 8192);
  const std::vector<int32_t> prompt = Prompt(n, 1);
  (void)m->AddSequence(0, prompt);
  (void)m->FreeSequence(0);
  int64_t id = 1;
  for (auto _ : state) {
    auto r = m->AddSequence(id, prompt);
    benchmark::DoNotOptimize(r);
    (void)m->FreeSequence(id++);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["hit_rate"] =
      static_cast<double>(m->Stats().hit_tokens) / static_cast<double>(m->Stats().queried_tokens);
}
BENCHMARK(BM_AddFreeCachedPrompt)->ArgName("tokens")->Arg(4096);

// AddSequence alone of a cached prompt while another holder keeps the blocks live.
void BM_AddCachedPromptLive(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto m = Make(16, 8192);
  const std::vector<int32_t> prompt = Prompt(n, 1);
  (void)m->AddSequence(0, prompt);
  int64_t id = 1;
  for (auto _ : state) {
    auto r = m->AddSequence(id, prompt);
    benchmark::DoNotOptimize(r);
    state.PauseTiming();
    (void)m->FreeSequence(id++);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AddCachedPromptLive)->ArgName("tokens")->Arg(4096);

// Uncached: every prompt is new (evicts the previous ones' cached blocks once full).
void BM_AddFreeUncachedPrompt(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto m = Make(16, 8192);
  int64_t id = 0;
  std::vector<int32_t> prompt = Prompt(n, 0);
  for (auto _ : state) {
    prompt[0] = static_cast<int32_t>(id);  // differs in block 0: no hit
    auto r = m->AddSequence(id, prompt);
    benchmark::DoNotOptimize(r);
    (void)m->FreeSequence(id++);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AddFreeUncachedPrompt)->ArgName("tokens")->Arg(4096);

// One decode step: append one token to each of 1000 running sequences.
void BM_DecodeStep1000Sequences(benchmark::State& state) {
  const int kSeqs = 1000;
  auto m = Make(16, 200000);
  for (int s = 0; s < kSeqs; ++s) (void)m->AddSequence(s, Prompt(100, s));
  int32_t token = 0;
  int64_t steps = 0;
  for (auto _ : state) {
    for (int s = 0; s < kSeqs; ++s) {
      const int32_t t = token++;
      absl::Status st = m->AppendTokens(s, absl::MakeConstSpan(&t, 1));
      benchmark::DoNotOptimize(st);
    }
    if (++steps % 2000 == 0) {  // keep the pool from filling up
      state.PauseTiming();
      for (int s = 0; s < kSeqs; ++s) {
        (void)m->FreeSequence(s);
        (void)m->AddSequence(s, Prompt(100, s));
      }
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations() * kSeqs);
}
BENCHMARK(BM_DecodeStep1000Sequences);

// The same decode step through AppendTokensBatch: one call (one lock) per step.
void BM_DecodeStep1000SequencesBatch(benchmark::State& state) {
  const int kSeqs = 1000;
  auto m = Make(16, 200000);
  std::vector<int64_t> ids;
  for (int s = 0; s < kSeqs; ++s) {
    (void)m->AddSequence(s, Prompt(100, s));
    ids.push_back(s);
  }
  std::vector<int32_t> tokens(kSeqs);
  int32_t token = 0;
  int64_t steps = 0;
  for (auto _ : state) {
    for (int32_t& t : tokens) t = token++;
    absl::Status st = m->AppendTokensBatch(ids, tokens);
    benchmark::DoNotOptimize(st);
    if (++steps % 2000 == 0) {  // keep the pool from filling up
      state.PauseTiming();
      for (int s = 0; s < kSeqs; ++s) {
        (void)m->FreeSequence(s);
        (void)m->AddSequence(s, Prompt(100, s));
      }
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations() * kSeqs);
}
BENCHMARK(BM_DecodeStep1000SequencesBatch);

}  // namespace
}  // namespace llmds
