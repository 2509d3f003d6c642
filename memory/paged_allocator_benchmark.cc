// Copyright 2026 The llmds Authors.

#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "llmds/memory/paged_allocator.h"

namespace llmds {
namespace {

// One page allocated and freed per iteration, on a pool that already has pages in use.
void BM_AllocFreeOnePage(benchmark::State& state) {
  PagedAllocator alloc = PagedAllocator::Create(16, 1 << 20).value();
  std::vector<int32_t> warm = alloc.Alloc(1000).value();
  for (auto _ : state) {
    absl::StatusOr<std::vector<int32_t>> pages = alloc.Alloc(1);
    benchmark::DoNotOptimize(pages);
    absl::Status s = alloc.Free(*pages);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AllocFreeOnePage);

// The single-page fast path: AllocOne + FreeOne (no vector, inline).
void BM_AllocOneFreeOne(benchmark::State& state) {
  PagedAllocator alloc = PagedAllocator::Create(16, 1 << 20).value();
  std::vector<int32_t> warm = alloc.Alloc(1000).value();
  for (auto _ : state) {
    absl::StatusOr<int32_t> page = alloc.AllocOne();
    benchmark::DoNotOptimize(page);
    absl::Status s = alloc.FreeOne(*page);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AllocOneFreeOne);

// The appending overload with a reused output vector, one page per call.
void BM_AllocIntoFreeOnePage(benchmark::State& state) {
  PagedAllocator alloc = PagedAllocator::Create(16, 1 << 20).value();
  std::vector<int32_t> warm = alloc.Alloc(1000).value();
  std::vector<int32_t> out;
  out.reserve(16);
  for (auto _ : state) {
    out.clear();
    absl::Status a = alloc.Alloc(1, &out);
    benchmark::DoNotOptimize(a);
    absl::Status s = alloc.Free(out);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AllocIntoFreeOnePage);

// Batches of n pages: per-page cost of the O(1) paths.
void BM_AllocFreeBatch(benchmark::State& state) {
  const int32_t n = static_cast<int32_t>(state.range(0));
  PagedAllocator alloc = PagedAllocator::Create(16, 1 << 20).value();
  for (auto _ : state) {
    absl::StatusOr<std::vector<int32_t>> pages = alloc.Alloc(n);
    benchmark::DoNotOptimize(pages);
    absl::Status s = alloc.Free(*pages);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_AllocFreeBatch)->ArgName("pages")->Arg(16)->Arg(256);

void BM_Defragment(benchmark::State& state) {
  const int32_t n = static_cast<int32_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    PagedAllocator alloc = PagedAllocator::Create(16, n).value();
    std::vector<int32_t> pages = alloc.Alloc(n).value();
    std::vector<int32_t> evens;
    for (int32_t i = 0; i < n; i += 2) evens.push_back(i);
    (void)alloc.Free(evens);
    state.ResumeTiming();
    std::vector<PageMove> moves = alloc.Defragment();
    benchmark::DoNotOptimize(moves);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Defragment)->ArgName("pages")->Arg(1 << 16);

}  // namespace
}  // namespace llmds
