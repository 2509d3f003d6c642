// Copyright 2026 The llmds Authors.
//
// The C++ API contract (shared spec API.md) exercised exactly as outside code writes it: every
// class through its contract header, names, signatures and return types. If a change renames or
// retypes anything outside code compiles against, this file stops compiling.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "llmds/cache/kv_block_manager.h"
#include "llmds/cache/kv_cache.h"
#include "llmds/cache/token_lru.h"
#include "llmds/memory/paged_allocator.h"
#include "llmds/retrieval/hnsw.h"
#include "llmds/retrieval/inverted_index.h"
#include "llmds/retrieval/retrieval_pipeline.h"
#include "llmds/scheduling/admission_controller.h"
#include "llmds/scheduling/indexed_heap.h"
#include "llmds/scheduling/scheduler.h"
#include "llmds/sketch/count_min_sketch.h"
#include "llmds/utils/clock.h"
#include "llmds/utils/memory_profiler.h"
#include "llmds/utils/statistics.h"
#include "llmds/utils/status_macros.h"
#include "llmds/utils/timer.h"

namespace llmds {
namespace {

TEST(ApiContractTest, Utils) {
  Timer timer;
  timer.Stop();
  const double elapsed = timer.elapsed();
  EXPECT_GE(elapsed, 0.0);
  MemoryProfiler profiler;
  profiler.Start();
  const int64_t rss = profiler.Sample();
  EXPECT_GT(rss, 0);
  const double peak_mb = profiler.GetPeakRssMb();
  const int64_t peak_bytes = profiler.GetPeakRssBytes();
  const double current_mb = profiler.GetCurrentRssMb();
  const double delta_mb = profiler.GetMemoryDeltaMb();
  EXPECT_GE(peak_bytes, rss);
  EXPECT_GE(peak_mb, 0.0);
  EXPECT_GT(current_mb, 0.0);
  EXPECT_GE(delta_mb, 0.0);
  { ScopedMemoryProfile scope(&profiler); }
  Clock* real = Clock::Real();
  FakeClock fake(absl::UnixEpoch());
  fake.Advance(absl::Seconds(1));
  fake.Set(absl::UnixEpoch() + absl::Seconds(2));
  EXPECT_EQ(fake.Now(), absl::UnixEpoch() + absl::Seconds(2));
  EXPECT_NE(real, nullptr);
  const std::vector<double> values = {1, 2, 3, 4};
  absl::StatusOr<Percentiles> p = ComputePercentiles(values);
  absl::StatusOr<Statistics> s = CalculateStatistics(values, 0.95);
  ASSERT_TRUE(p.ok() && s.ok());
  const Statistics& st = *s;
  EXPECT_EQ(st.count, 4);
  EXPECT_DOUBLE_EQ(p->p50, st.p50);
  (void)(st.mean + st.std + st.min + st.max + st.p95 + st.p99 + st.ci_lower + st.ci_upper + st.cv);
}

absl::StatusOr<int> MacroUser(absl::StatusOr<int> in) {
  LLMDS_ASSIGN_OR_RETURN(int v, std::move(in));
  LLMDS_RETURN_IF_ERROR(absl::OkStatus());
  return v;
}

TEST(ApiContractTest, StatusMacros) { EXPECT_EQ(MacroUser(3).value(), 3); }

TEST(ApiContractTest, PagedAllocator) {
  absl::StatusOr<PagedAllocator> allocator = PagedAllocator::Create(/*page_size=*/16,
                                                                    /*max_pages=*/8);
  ASSERT_TRUE(allocator.ok());
  absl::StatusOr<std::vector<int32_t>> pages = allocator->Alloc(3);
  ASSERT_TRUE(pages.ok());
  const absl::Status freed = allocator->Free(absl::Span<const int32_t>(*pages).subspan(0, 1));
  EXPECT_TRUE(freed.ok());
  const PageStats stats = allocator->Stats();
  EXPECT_EQ(stats.allocated_pages, 2);
  (void)(stats.page_size + stats.total_pages + stats.free_pages + stats.peak_allocated_pages);
  const std::vector<PageMove> moves = allocator->Defragment();
  for (const PageMove& m : moves) (void)(m.from + m.to);
}

TEST(ApiContractTest, KVCache) {
  KVCacheOptions options;
  options.page_size = 4;
  options.max_pages = 64;
  options.enable_prefix_sharing = true;
  options.token_bytes = 4;
  absl::StatusOr<std::unique_ptr<KVCache>> cache = KVCache::Create(options);
  ASSERT_TRUE(cache.ok());
  const std::vector<std::byte> kv(4 * 8, std::byte{7});
  const std::vector<int32_t> prefix = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_TRUE((*cache)->Attach(1, kv, prefix).ok());
  const std::vector<float> typed(8, 1.5f);
  EXPECT_TRUE((*cache)->Attach<float>(2, typed).ok());
  std::optional<std::vector<std::byte>> copy = (*cache)->Get(1);
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(*copy, kv);
  std::optional<std::vector<float>> floats = (*cache)->GetAs<float>(2);
  ASSERT_TRUE(floats.has_value());
  EXPECT_EQ(*floats, typed);
  EXPECT_TRUE((*cache)->Detach(1).ok());
  EXPECT_EQ((*cache)->Detach(1).code(), absl::StatusCode::kNotFound);
  const KVCacheStats stats = (*cache)->Stats();
  (void)stats;
}

TEST(ApiContractTest, KVBlockManager) {
  KVBlockManagerOptions options;
  options.block_size = 4;
  options.num_blocks = 32;
  options.enable_prefix_caching = true;
  absl::StatusOr<std::unique_ptr<KVBlockManager>> manager = KVBlockManager::Create(options);
  ASSERT_TRUE(manager.ok());
  KVBlockManager& m = **manager;
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(m.CachedPrefixLength(prompt), 0);
  absl::StatusOr<int64_t> cached = m.AddSequence(1, prompt);
  ASSERT_TRUE(cached.ok());
  EXPECT_TRUE(m.AppendTokens(1, std::vector<int32_t>{7, 8}).ok());
  EXPECT_TRUE(m.Fork(1, 2).ok());
  const absl::Span<const int32_t> table = m.BlockTable(2);
  EXPECT_FALSE(table.empty());
  const std::vector<BlockCopy> copies = m.TakePendingCopies();
  for (const BlockCopy& c : copies) (void)(c.src + c.dst);
  const int32_t free_blocks = m.NumFreeBlocks();
  EXPECT_GT(free_blocks, 0);
  EXPECT_TRUE(m.FreeSequence(1).ok());
  const KVBlockManagerStats stats = m.Stats();
  (void)stats;
}

TEST(ApiContractTest, TokenLRU) {
  TokenLRU<std::string, std::string> lru(/*token_budget=*/10,
                                         [](const std::string& v) -> int64_t { return v.size(); });
  EXPECT_TRUE(lru.Put("a", "xxxx").ok());
  EXPECT_EQ(lru.Put("big", std::string(11, 'x')).code(), absl::StatusCode::kInvalidArgument);
  std::string* hit = lru.Get("a");
  ASSERT_NE(hit, nullptr);
  std::vector<std::pair<std::string, std::string>> evicted = lru.EvictUntilBudget(0);
  EXPECT_EQ(evicted.size(), 1u);
  const int64_t tokens = lru.TotalTokens();
  const size_t size = lru.Size();
  EXPECT_EQ(tokens, 0);
  EXPECT_EQ(size, 0u);
  EXPECT_FALSE(lru.Erase("a"));
  lru.Clear();
}

TEST(ApiContractTest, IndexedHeap) {
  IndexedHeap heap(/*max_heap=*/false);
  EXPECT_TRUE(heap.Push(1, 5.0).ok());
  EXPECT_TRUE(heap.Push(2, 3.0).ok());
  EXPECT_TRUE(heap.DecreaseKey(1, 1.0).ok());
  EXPECT_TRUE(heap.IncreaseKey(2, 4.0).ok());
  std::optional<double> score = heap.GetScore(1);
  std::optional<std::pair<double, int64_t>> top = heap.Peek();
  ASSERT_TRUE(score.has_value() && top.has_value());
  absl::StatusOr<std::pair<double, int64_t>> popped = heap.Pop();
  ASSERT_TRUE(popped.ok());
  EXPECT_EQ(popped->second, 1);
  absl::StatusOr<std::pair<double, int64_t>> deleted = heap.Delete(2);
  EXPECT_TRUE(deleted.ok());
  EXPECT_EQ(heap.Size(), 0u);
  EXPECT_TRUE(heap.IsEmpty());
  EXPECT_FALSE(heap.Contains(2));
}

TEST(ApiContractTest, SchedulerAndAdmission) {
  FakeClock clock;
  SchedulerOptions options;
  options.max_batch_size = 2;
  options.max_wait_ms = 50.0;
  options.max_batch_tokens = 0;
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<Scheduler>> scheduler = Scheduler::Create(options);
  ASSERT_TRUE(scheduler.ok());
  absl::StatusOr<int64_t> a = (*scheduler)->Submit(10, std::nullopt);
  absl::StatusOr<int64_t> b = (*scheduler)->Submit(20, 100.0);
  ASSERT_TRUE(a.ok() && b.ok());
  std::optional<std::vector<int64_t>> batch = (*scheduler)->GetBatch(/*force=*/false);
  ASSERT_TRUE(batch.has_value());
  EXPECT_TRUE((*scheduler)->CompleteBatch(*batch).ok());
  absl::StatusOr<int64_t> c = (*scheduler)->Submit(5);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*scheduler)->UpdatePriority(*c, 3).ok());
  const SchedulerStats stats = (*scheduler)->Stats();
  (void)(stats.queue_size + stats.in_flight + stats.batch_count + stats.total_processed +
         stats.avg_batch_size + stats.slo_misses);

  AdmissionOptions admission_options;
  admission_options.qps_target = 1.0;
  admission_options.token_rate_limit = 100;
  admission_options.window_seconds = 1.0;
  admission_options.clock = &clock;
  absl::StatusOr<std::unique_ptr<AdmissionController>> admission =
      AdmissionController::Create(admission_options);
  ASSERT_TRUE(admission.ok());
  const AdmissionDecision first = (*admission)->ShouldAdmit(10);
  const AdmissionDecision second = (*admission)->ShouldAdmit();
  EXPECT_TRUE(first.admitted);
  EXPECT_FALSE(second.admitted);
  EXPECT_FALSE(second.reason.empty());
  (*admission)->RecordRequest(5);
  const AdmissionStats astats = (*admission)->Stats();
  (void)(astats.current_qps + astats.target_qps + astats.current_token_rate +
         astats.token_rate_limit + astats.admitted_requests + astats.rejected_requests +
         astats.rejection_rate);
  (*admission)->Reset();
}

TEST(ApiContractTest, CountMinSketch) {
  CountMinSketchOptions options;
  options.width = 64;
  options.depth = 4;
  options.conservative_update = true;
  options.seed = 0;
  absl::StatusOr<CountMinSketch> sketch = CountMinSketch::Create(options);
  absl::StatusOr<CountMinSketch> bounded = CountMinSketch::FromErrorBounds(0.01, 0.01);
  ASSERT_TRUE(sketch.ok() && bounded.ok());
  sketch->Add("query");
  sketch->Add("query", 2);
  const uint64_t estimate = sketch->Estimate("query");
  EXPECT_GE(estimate, 3u);
  EXPECT_TRUE(sketch->IsHot("query", 3));
  const double bound = sketch->GetErrorBound();
  EXPECT_GE(bound, 0.0);
  EXPECT_EQ(sketch->TotalCount(), 3u);
  absl::StatusOr<CountMinSketch> copy = CountMinSketch::Create(options);
  ASSERT_TRUE(copy.ok());
  EXPECT_TRUE(sketch->Merge(*copy).ok());
  const std::string bytes = sketch->Serialize();
  absl::StatusOr<CountMinSketch> back = CountMinSketch::Deserialize(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Estimate("query"), estimate);
}

TEST(ApiContractTest, InvertedIndexHnswAndPipeline) {
  Bm25Params bm25;
  bm25.k1 = 1.2;
  bm25.b = 0.75;
  InvertedIndexOptions index_options;
  InvertedIndex index(index_options);
  InvertedIndex defaulted;
  EXPECT_TRUE(index.AddDocument(1, "wing flutter").ok());
  EXPECT_EQ(index.AddDocument(1, "again").code(), absl::StatusCode::kAlreadyExists);
  std::vector<std::pair<int64_t, double>> hits = index.Search("flutter", 10);
  ASSERT_EQ(hits.size(), 1u);
  const int32_t tf = index.GetTermFrequency("flutter", 1);
  const int32_t df = index.GetDocumentFrequency("flutter");
  EXPECT_EQ(tf, 1);
  EXPECT_EQ(df, 1);
  (void)bm25;
  (void)defaulted;

  HnswOptions hnsw_options;
  hnsw_options.dim = 2;
  hnsw_options.M = 16;
  hnsw_options.ef_construction = 200;
  hnsw_options.ef_search = 50;
  hnsw_options.ml = std::nullopt;
  hnsw_options.seed = 1;
  hnsw_options.metric = Metric::kL2;
  absl::StatusOr<std::unique_ptr<HNSW>> hnsw = HNSW::Create(hnsw_options);
  ASSERT_TRUE(hnsw.ok());
  const std::vector<float> v = {3.0f, 4.0f};
  EXPECT_TRUE((*hnsw)->Add(v, 7).ok());
  std::vector<std::pair<int64_t, float>> near = (*hnsw)->Search(std::vector<float>{0, 0}, 1);
  ASSERT_EQ(near.size(), 1u);
  EXPECT_FLOAT_EQ(near[0].second, 5.0f);  // Euclidean, not squared
  const HnswStats stats = (*hnsw)->Stats();
  (void)(stats.num_vectors + stats.num_layers + stats.entry_point + stats.max_level +
         stats.memory_bytes);
  (*hnsw)->set_ef_search(64);
  for (Metric m : {Metric::kInnerProduct, Metric::kCosine}) (void)m;

  RetrievalPipelineOptions pipeline_options;
  pipeline_options.embedding_dim = 2;
  pipeline_options.hnsw_M = 16;
  pipeline_options.hnsw_ef_construction = 200;
  pipeline_options.hnsw_ef_search = 50;
  pipeline_options.token_budget = 100000;
  pipeline_options.seed = 3;
  absl::StatusOr<std::unique_ptr<RetrievalPipeline>> pipeline =
      RetrievalPipeline::Create(pipeline_options);
  ASSERT_TRUE(pipeline.ok());
  EXPECT_TRUE((*pipeline)->AddDocument(1, "wing flutter", std::vector<float>{1, 0}).ok());
  EXPECT_TRUE((*pipeline)->AddDocument(2, "heat transfer").ok());  // lexical only
  absl::StatusOr<std::vector<std::pair<int64_t, double>>> lexical =
      (*pipeline)->Search("flutter");
  absl::StatusOr<std::vector<std::pair<int64_t, double>>> hybrid =
      (*pipeline)->Search("flutter", std::vector<float>{1, 0}, 10, 0.5);
  ASSERT_TRUE(lexical.ok() && hybrid.ok());
  EXPECT_EQ(lexical->front().first, 1);
  const PipelineStats pstats = (*pipeline)->Stats();
  (void)pstats;
}

}  // namespace
}  // namespace llmds
