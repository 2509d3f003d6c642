// Copyright 2026 The llmds Authors.
//
// RetrievalPipeline: hybrid (lexical + dense) retrieval for a RAG backend. It owns a BM25
// InvertedIndex and an HNSW vector index over the same document ids, fuses their answers, and
// keeps the answers of hot queries in a result cache.
//
//   RetrievalPipelineOptions options;
//   options.embedding_dim = 128;
//   LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<RetrievalPipeline> pipeline,
//                          RetrievalPipeline::Create(options));
//   LLMDS_RETURN_IF_ERROR(pipeline->AddDocument(7, "boundary layer flow", embedding));
//   LLMDS_ASSIGN_OR_RETURN(auto hits, pipeline->Search("boundary layer", query_embedding,
//                                                      /*top_k=*/10, /*fusion_weight=*/0.5));
//
// Search semantics (the contract):
//  * Without a query embedding the search is lexical only: the answer is exactly
//    InvertedIndex::Search(query, top_k) with raw BM25 scores (never a made-up vector).
//  * With an embedding, each side retrieves `candidates` documents (default
//    max(top_k * candidate_multiplier, min_candidates) = max(4 * top_k, 100)): BM25 scores from
//    the inverted index and similarities s = -distance from HNSW. Then, per query:
//      - kWeighted (default): each side is min-max normalized over its own candidate list,
//        (s - min) / (max - min), or 1 for every candidate when all its scores are equal; a
//        document missing from a side gets 0 there; fused = (1 - w) * lexical + w * dense.
//      - kRrf: fused = 2(1 - w) / (k + rank_lexical) + 2w / (k + rank_dense) with k = rrf_k
//        (60) and 1-based ranks; a missing side contributes 0. w = 0.5 is classic RRF.
//    w = fusion_weight weighs the dense side and must be in [0, 1]. At w = 0 the dense side is
//    not searched (and contributes no candidates), at w = 1 the lexical side is not searched.
//    Every candidate of the searched sides is ranked, even with fused score 0.
//  * Results: descending fused score, ties by ascending doc_id, at most top_k.
//
// Result cache: every search key (query text, embedding bytes, top_k, fusion weight, fusion
// method, candidate depth, ef_search) is counted in a Count-Min Sketch. Once a key's estimate
// reaches `cache_hot_threshold`, its answer is stored in a TokenLRU (cost: results + 1 tokens,
// budget `token_budget`) under the key plus the index version, and later identical searches are
// answered from there (the sketch decides admission only; a stored entry is served while it
// stays in the LRU). The sketch counts keys without the version, so a query stays hot across
// index changes; the cached answer does not: every successful AddDocument, RemoveDocument or
// Compact bumps the index version and clears the cache, and a stored entry carries the version
// it was computed at, so a stale answer can never be served. The sketch is cleared every
// `cache_sketch_window` counted searches so that hotness ages out.
//
// Consistency: AddDocument is all-or-nothing across the two indexes. Everything that can fail
// is validated first; if the HNSW insert still fails, the BM25 document is removed again (the
// inverted index keeps an invisible tombstone, which changes no score).
//
// Thread safety: RetrievalPipeline is thread-safe. Search, BatchSearch, Stats, Serialize and
// Save run concurrently under a shared lock; AddDocument, RemoveDocument and Compact take it
// exclusively (writers are preferred, so searches cannot starve them). The result cache has its
// own mutex (a cache lookup updates LRU order), always taken after the index lock.

#ifndef LLMDS_RETRIEVAL_RETRIEVAL_PIPELINE_H_
#define LLMDS_RETRIEVAL_RETRIEVAL_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "llmds/cache/token_lru.h"
#include "llmds/retrieval/hnsw.h"
#include "llmds/retrieval/inverted_index.h"
#include "llmds/sketch/count_min_sketch.h"

namespace llmds {

enum class FusionMethod {
  kWeighted,  // min-max normalization per side, then a weighted sum
  kRrf,       // reciprocal-rank fusion
};

struct RetrievalPipelineOptions {
  // Dimension of document and query embeddings. Range [1, 65536]. Default: 384.
  int32_t embedding_dim = 384;
  // HNSW parameters (see llmds/retrieval/hnsw.h). Defaults: 16, 200, 50.
  int32_t hnsw_M = 16;
  int32_t hnsw_ef_construction = 200;
  int32_t hnsw_ef_search = 50;
  // Budget of the result cache in tokens; an answer of r results costs r + 1. >= 0 (0: nothing
  // is ever cached). Default: 100000.
  int64_t token_budget = 100000;
  // Seed of the HNSW level generator. Unset: HNSW's fixed default.
  std::optional<uint64_t> seed;

  // Distance of the dense side. Default: kCosine (zero embeddings are then rejected).
  Metric metric = Metric::kCosine;
  // Analyzer and BM25 parameters of the lexical side. Default: InvertedIndexOptions{}.
  InvertedIndexOptions inverted_index;
  // Fusion used when SearchOptions::fusion is unset. Default: kWeighted.
  FusionMethod fusion = FusionMethod::kWeighted;
  // RRF constant k. Range [1, 1e6]. Default: 60.
  int32_t rrf_k = 60;
  // Default candidate depth per side: max(top_k * candidate_multiplier, min_candidates).
  // candidate_multiplier in [1, 1024], default 4; min_candidates in [0, 1 << 20], default 100.
  int32_t candidate_multiplier = 4;
  int32_t min_candidates = 100;

  // Result cache on/off. Default: true.
  bool enable_cache = true;
  // Count-Min Sketch size (see llmds/sketch/count_min_sketch.h); width * depth <= 1 << 22.
  // Defaults: 4096 x 4.
  int32_t cache_sketch_width = 4096;
  int32_t cache_sketch_depth = 4;
  // A key whose estimated count (this search included) reaches this is cached. >= 1. Default: 2.
  uint64_t cache_hot_threshold = 2;
  // The sketch is cleared after this many counted searches (0: never). Default: 1000000.
  uint64_t cache_sketch_window = 1000000;
};

// Per-call search parameters.
struct SearchOptions {
  // Number of results. Range [1, 1 << 20]. Default: 10.
  int top_k = 10;
  // Weight of the dense side in [0, 1] (1 - weight for BM25). Default: 0.5.
  double fusion_weight = 0.5;
  // Unset: RetrievalPipelineOptions::fusion.
  std::optional<FusionMethod> fusion;
  // Candidates per side; 0: max(top_k * candidate_multiplier, min_candidates). When set it must
  // be in [top_k, 1 << 20].
  int32_t candidates = 0;
  // HNSW beam width for this call (>= 1); unset: hnsw_ef_search. The effective width is at
  // least the candidate depth.
  std::optional<int32_t> ef_search;
  // false: bypass the result cache (neither counted nor served). Default: true.
  bool use_cache = true;
};

// One query of a batch.
struct PipelineQuery {
  std::string text;
  std::vector<float> embedding;  // empty: lexical only
};

struct PipelineStats {
  int64_t num_documents = 0;           // live documents (all are in the BM25 index)
  int64_t num_embedded_documents = 0;  // of which have an embedding in HNSW
  int64_t num_searches = 0;            // successful searches (batch queries included)
  int64_t cache_hits = 0;
  int64_t cache_misses = 0;            // searches that consulted the cache and missed
  int64_t cache_entries = 0;
  int64_t cache_tokens = 0;
  int64_t cache_bytes = 0;             // approximate heap bytes of cached answers and keys
  uint64_t index_version = 0;          // bumped by every index change
  int64_t lexical_index_bytes = 0;     // InvertedIndexStats::postings_bytes
  int64_t dense_index_bytes = 0;       // HnswStats::memory_bytes
  int64_t index_memory_bytes = 0;      // lexical + dense
  int64_t sketch_bytes = 0;
};

// See the file comment. RetrievalPipeline is thread-safe.
class RetrievalPipeline {
 public:
  using Result = std::vector<std::pair<int64_t, double>>;

  // Returns an empty pipeline, or InvalidArgument naming the bad option.
  static absl::StatusOr<std::unique_ptr<RetrievalPipeline>> Create(
      const RetrievalPipelineOptions& options);

  RetrievalPipeline(const RetrievalPipeline&) = delete;
  RetrievalPipeline& operator=(const RetrievalPipeline&) = delete;
  ~RetrievalPipeline();

  // Indexes `text` (BM25) and, when `embedding` is non-empty, the embedding (HNSW) under
  // doc_id. Errors: InvalidArgument for doc_id < 0, an embedding that does not have
  // embedding_dim finite floats (or is zero under kCosine), or text the inverted index
  // rejects; AlreadyExists if doc_id is live. All-or-nothing: on error neither index changed.
  absl::Status AddDocument(int64_t doc_id, std::string_view text,
                           absl::Span<const float> embedding = {});

  // Removes a live document from both indexes. NotFound if doc_id is not live.
  absl::Status RemoveDocument(int64_t doc_id);

  // True if doc_id is live.
  bool Contains(int64_t doc_id) const;

  // Returns the top_k documents for `query` (see the file comment for the fusion).
  // Errors: InvalidArgument if top_k is not in [1, 1 << 20], fusion_weight is not in [0, 1], or
  // a non-empty query_embedding does not have embedding_dim finite floats.
  absl::StatusOr<Result> Search(std::string_view query,
                                absl::Span<const float> query_embedding = {}, int top_k = 10,
                                double fusion_weight = 0.5);
  // As above with every parameter explicit; also InvalidArgument for bad candidates/ef_search.
  absl::StatusOr<Result> Search(std::string_view query, absl::Span<const float> query_embedding,
                                const SearchOptions& options);

  // Answers every query with `options` on `num_threads` threads in [1, 256], all under one
  // shared lock (every answer sees the same index). Validates every query first; answers are
  // in query order.
  absl::StatusOr<std::vector<Result>> BatchSearch(absl::Span<const PipelineQuery> queries,
                                                  const SearchOptions& options, int num_threads);

  // Folds the BM25 mutable segment and drops deleted HNSW nodes (may change approximate dense
  // answers, so it bumps the index version).
  void Compact();

  PipelineStats Stats() const;
  const RetrievalPipelineOptions& options() const { return options_; }

  // Returns the whole pipeline as bytes: a 32-byte header (magic "LLMDSRPL", format version,
  // body size, XXH3-64 checksum of the body), then the options, the serialized inverted index
  // and the serialized HNSW index (each length-prefixed, each with its own checksum). The
  // result cache, sketch and counters are not saved.
  std::string Serialize() const;
  // Writes Serialize() to `path` atomically.
  absl::Status Save(const std::string& path) const;

  // Reads a pipeline written by Serialize/Save. DataLoss (or InvalidArgument for bad options)
  // on any corrupted, truncated or inconsistent input; never crashes. Load also gives the file
  // system's error for an unreadable path.
  static absl::StatusOr<std::unique_ptr<RetrievalPipeline>> Deserialize(std::string_view bytes);
  static absl::StatusOr<std::unique_ptr<RetrievalPipeline>> Load(const std::string& path);

  // Checks both indexes' invariants and the pipeline's own (below). For tests.
  absl::Status CheckInvariants() const;

 private:
  friend class RetrievalPipelineTestPeer;

  struct CostOfResult {
    int64_t operator()(const Result& r) const { return static_cast<int64_t>(r.size()) + 1; }
  };
  using ResultCache = TokenLRU<std::string, Result, CostOfResult>;

  RetrievalPipeline(const RetrievalPipelineOptions& options, CountMinSketch sketch);

  absl::Status ValidateSearch(absl::Span<const float> query_embedding,
                              const SearchOptions& options) const;
  // Search with mutex_ held shared; consults and fills the result cache.
  Result SearchShared(std::string_view query, absl::Span<const float> query_embedding,
                      const SearchOptions& options) ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  Result ComputeShared(std::string_view query, absl::Span<const float> query_embedding,
                       const SearchOptions& options) const ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  std::string CacheKey(std::string_view query, absl::Span<const float> query_embedding,
                       const SearchOptions& options) const;
  void IndexChangedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  std::shared_lock<std::shared_mutex> ReadLock() const ABSL_NO_THREAD_SAFETY_ANALYSIS;
  std::unique_lock<std::shared_mutex> WriteLock() const ABSL_NO_THREAD_SAFETY_ANALYSIS;

  RetrievalPipelineOptions options_;

  // Invariants (checked by CheckInvariants):
  //  1. embedded_ids_ holds exactly the ids live in hnsw_ (same count, each Contains), and
  //     each of them is live in inverted_.
  //  2. Every cached entry was computed at index version version_ (the cache is cleared when
  //     the version changes) and the cache's tokens stay within token_budget.
  // Writer-preferring lock: readers and writers first pass gate_.
  mutable std::mutex gate_;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<InvertedIndex> inverted_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<HNSW> hnsw_ ABSL_GUARDED_BY(mutex_);
  uint64_t version_ ABSL_GUARDED_BY(mutex_) = 0;
  // Ids of the live documents that have an embedding (exactly the ids live in hnsw_).
  absl::flat_hash_set<int64_t> embedded_ids_ ABSL_GUARDED_BY(mutex_);
  // Test hook: the next HNSW insert fails after the BM25 insert succeeded.
  bool fail_next_dense_add_ ABSL_GUARDED_BY(mutex_) = false;

  // cache_mutex_ protects the following state.
  mutable std::mutex cache_mutex_;
  CountMinSketch sketch_ ABSL_GUARDED_BY(cache_mutex_);
  ResultCache cache_ ABSL_GUARDED_BY(cache_mutex_);

  // Statistics only: relaxed atomics, no ordering with anything else is needed.
  std::atomic<int64_t> num_searches_{0};
  std::atomic<int64_t> cache_hits_{0};
  std::atomic<int64_t> cache_misses_{0};
};

}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_RETRIEVAL_PIPELINE_H_
