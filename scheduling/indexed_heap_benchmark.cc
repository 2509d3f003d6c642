// Copyright 2026 The llmds Authors.
//
// IndexedHeap against Boost.Heap's mutable 4-ary heap on one mixed workload: 1M keys in the
// heap, then a fixed random sequence of operations, 40% "pop the top and push it back with a
// new score" and 60% "update a random key's score in either direction". Both heaps order by
// (score, push sequence), so both give the same deterministic ties. Boost finds a key's handle
// through a dense vector indexed by key (the cheapest possible lookup, only possible for dense
// ids) or, for the same functionality as IndexedHeap (any int64 id), through a hash map;
// IndexedHeap goes through its own key -> slot hash map, as its API requires.
//
//   bazel run -c opt //scheduling:indexed_heap_benchmark -- --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true

#include <cstdint>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "boost/heap/d_ary_heap.hpp"
#include "llmds/scheduling/indexed_heap.h"

namespace llmds {
namespace {

struct Op {
  bool pop;  // pop + push back; otherwise update `key`
  int64_t key;
  double score;
};

struct Workload {
  std::vector<double> initial_scores;  // one per key
  std::vector<Op> ops;
};

const Workload& GetWorkload(int64_t num_keys) {
  static Workload* workload = [num_keys] {
    auto* w = new Workload;
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> score(0.0, 1e6);
    w->initial_scores.resize(static_cast<size_t>(num_keys));
    for (double& s : w->initial_scores) s = score(rng);
    w->ops.resize(1 << 22);
    for (Op& op : w->ops) {
      op.pop = rng() % 10 < 4;
      op.key = static_cast<int64_t>(rng() % static_cast<uint64_t>(num_keys));
      // Popped keys come back behind the current top (a scheduler re-queues work later).
      op.score = score(rng);
    }
    return w;
  }();
  return *workload;
}

constexpr int64_t kKeys = 1 << 20;

void BM_IndexedHeapMixed(benchmark::State& state) {
  const Workload& w = GetWorkload(kKeys);
  IndexedHeap heap;
  heap.Reserve(kKeys);
  for (int64_t k = 0; k < kKeys; ++k) (void)heap.Push(k, w.initial_scores[k]);
  size_t i = 0;
  for (auto _ : state) {
    const Op& op = w.ops[i];
    if (op.pop) {
      auto top = heap.Pop();
      benchmark::DoNotOptimize(top);
      (void)heap.Push(top->second, top->first + op.score);
    } else {
      (void)heap.Update(op.key, op.score);
    }
    if (++i == w.ops.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keys"] = static_cast<double>(heap.Size());
}
BENCHMARK(BM_IndexedHeapMixed);

struct BoostItem {
  double score;
  uint64_t seq;
  int64_t key;
};
// Boost heaps put the greatest element on top: "less" means "comes later".
struct ComesLater {
  bool operator()(const BoostItem& a, const BoostItem& b) const {
    return a.score > b.score || (a.score == b.score && a.seq > b.seq);
  }
};
using BoostHeap = boost::heap::d_ary_heap<BoostItem, boost::heap::arity<4>,
                                          boost::heap::mutable_<true>,
                                          boost::heap::compare<ComesLater>>;

void BM_BoostDaryHeapMixed(benchmark::State& state) {
  const Workload& w = GetWorkload(kKeys);
  BoostHeap heap;
  heap.reserve(kKeys);
  std::vector<BoostHeap::handle_type> handles(kKeys);
  std::vector<uint64_t> seq_of_key(kKeys);
  uint64_t next_seq = 0;
  for (int64_t k = 0; k < kKeys; ++k) {
    seq_of_key[k] = next_seq;
    handles[k] = heap.push(BoostItem{w.initial_scores[k], next_seq++, k});
  }
  size_t i = 0;
  for (auto _ : state) {
    const Op& op = w.ops[i];
    if (op.pop) {
      const BoostItem top = heap.top();
      heap.pop();
      benchmark::DoNotOptimize(top);
      seq_of_key[top.key] = next_seq;
      handles[top.key] = heap.push(BoostItem{top.score + op.score, next_seq++, top.key});
    } else {
      heap.update(handles[op.key], BoostItem{op.score, seq_of_key[op.key], op.key});
    }
    if (++i == w.ops.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keys"] = static_cast<double>(heap.size());
}
BENCHMARK(BM_BoostDaryHeapMixed);

// The same functionality as IndexedHeap (arbitrary int64 ids): Boost plus a hash map from id to
// handle and push sequence, maintained by the caller.
void BM_BoostDaryHeapWithHashIndexMixed(benchmark::State& state) {
  const Workload& w = GetWorkload(kKeys);
  BoostHeap heap;
  heap.reserve(kKeys);
  struct Index {
    BoostHeap::handle_type handle;
    uint64_t seq;
  };
  absl::flat_hash_map<int64_t, Index> index;
  index.reserve(kKeys);
  uint64_t next_seq = 0;
  for (int64_t k = 0; k < kKeys; ++k) {
    index[k] = Index{heap.push(BoostItem{w.initial_scores[k], next_seq, k}), next_seq};
    ++next_seq;
  }
  size_t i = 0;
  for (auto _ : state) {
    const Op& op = w.ops[i];
    if (op.pop) {
      const BoostItem top = heap.top();
      heap.pop();
      benchmark::DoNotOptimize(top);
      index.erase(top.key);
      index[top.key] =
          Index{heap.push(BoostItem{top.score + op.score, next_seq, top.key}), next_seq};
      ++next_seq;
    } else {
      const Index& entry = index.find(op.key)->second;
      heap.update(entry.handle, BoostItem{op.score, entry.seq, op.key});
    }
    if (++i == w.ops.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keys"] = static_cast<double>(heap.size());
}
BENCHMARK(BM_BoostDaryHeapWithHashIndexMixed);

}  // namespace
}  // namespace llmds
