// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/retrieval_pipeline.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "llmds/retrieval/internal/fusion.h"
#include "llmds/utils/byte_io.h"
#include "llmds/utils/check.h"
#include "llmds/utils/file.h"
#include "llmds/utils/status_macros.h"

namespace llmds {

namespace {

using retrieval_internal::ScoredDocs;

constexpr int kMaxTopK = 1 << 20;
constexpr int32_t kMaxCandidates = 1 << 20;
constexpr int kMaxThreads = 256;
// 32 MiB of counters: far more than a query cache needs.
constexpr int64_t kMaxSketchCounters = int64_t{1} << 22;

constexpr char kMagic[8] = {'L', 'L', 'M', 'D', 'S', 'R', 'P', 'L'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 32;

absl::Status ValidateEmbedding(absl::Span<const float> embedding, int32_t dim, Metric metric,
                               const char* what) {
  if (static_cast<int64_t>(embedding.size()) != dim) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s has %d floats; embedding_dim is %d", what, embedding.size(), dim));
  }
  double norm2 = 0;
  for (size_t i = 0; i < embedding.size(); ++i) {
    if (!std::isfinite(embedding[i])) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s component %d is not finite (%f)", what, i, embedding[i]));
    }
    norm2 += static_cast<double>(embedding[i]) * embedding[i];
  }
  if (metric == Metric::kCosine && !(norm2 > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is the zero vector, which has no direction under kCosine"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const RetrievalPipelineOptions& o) {
  auto bad = [](const std::string& message) { return absl::InvalidArgumentError(message); };
  if (o.embedding_dim < 1 || o.embedding_dim > 65536) {
    return bad(absl::StrCat("embedding_dim is ", o.embedding_dim, "; must be in [1, 65536]"));
  }
  if (o.token_budget < 0) {
    return bad(absl::StrCat("token_budget is ", o.token_budget, "; must be >= 0"));
  }
  if (o.rrf_k < 1 || o.rrf_k > 1000000) {
    return bad(absl::StrCat("rrf_k is ", o.rrf_k, "; must be in [1, 1000000]"));
  }
  if (o.candidate_multiplier < 1 || o.candidate_multiplier > 1024) {
    return bad(absl::StrCat("candidate_multiplier is ", o.candidate_multiplier,
                            "; must be in [1, 1024]"));
  }
  if (o.min_candidates < 0 || o.min_candidates > kMaxCandidates) {
    return bad(absl::StrCat("min_candidates is ", o.min_candidates, "; must be in [0, ",
                            kMaxCandidates, "]"));
  }
  if (o.cache_hot_threshold < 1) return bad("cache_hot_threshold is 0; must be >= 1");
  if (o.cache_sketch_width < 1 || o.cache_sketch_depth < 1 ||
      int64_t{o.cache_sketch_width} * o.cache_sketch_depth > kMaxSketchCounters) {
    return bad(absl::StrCat("cache sketch is ", o.cache_sketch_width, " x ",
                            o.cache_sketch_depth, "; width and depth must be >= 1 and width * "
                            "depth <= ", kMaxSketchCounters));
  }
  if (o.fusion != FusionMethod::kWeighted && o.fusion != FusionMethod::kRrf) {
    return bad(absl::StrCat("fusion is ", static_cast<int>(o.fusion), "; unknown method"));
  }
  if (o.metric != Metric::kL2 && o.metric != Metric::kInnerProduct &&
      o.metric != Metric::kCosine) {
    return bad(absl::StrCat("metric is ", static_cast<int>(o.metric), "; unknown metric"));
  }
  return absl::OkStatus();
}

HnswOptions ToHnswOptions(const RetrievalPipelineOptions& o) {
  HnswOptions h;
  h.dim = o.embedding_dim;
  h.M = o.hnsw_M;
  h.ef_construction = o.hnsw_ef_construction;
  h.ef_search = o.hnsw_ef_search;
  h.seed = o.seed;
  h.metric = o.metric;
  return h;
}

CountMinSketchOptions ToSketchOptions(const RetrievalPipelineOptions& o) {
  CountMinSketchOptions s;
  s.width = o.cache_sketch_width;
  s.depth = o.cache_sketch_depth;
  return s;
}

int32_t CandidateDepth(const RetrievalPipelineOptions& o, const SearchOptions& s) {
  if (s.candidates > 0) return s.candidates;
  return std::max(s.top_k * o.candidate_multiplier, o.min_candidates);
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("RetrievalPipeline::Deserialize: ", what));
}

}  // namespace

// ---- construction ----

RetrievalPipeline::RetrievalPipeline(const RetrievalPipelineOptions& options,
                                     CountMinSketch sketch)
    : options_(options), sketch_(std::move(sketch)), cache_(options.token_budget, CostOfResult{}) {}

RetrievalPipeline::~RetrievalPipeline() = default;

absl::StatusOr<std::unique_ptr<RetrievalPipeline>> RetrievalPipeline::Create(
    const RetrievalPipelineOptions& options) {
  LLMDS_RETURN_IF_ERROR(ValidateOptions(options));
  LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<HNSW> hnsw, HNSW::Create(ToHnswOptions(options)));
  LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<InvertedIndex> inverted,
                         InvertedIndex::Create(options.inverted_index));
  LLMDS_ASSIGN_OR_RETURN(CountMinSketch sketch, CountMinSketch::Create(ToSketchOptions(options)));
  std::unique_ptr<RetrievalPipeline> pipeline(
      new RetrievalPipeline(options, std::move(sketch)));
  std::unique_lock<std::shared_mutex> lock = pipeline->WriteLock();
  pipeline->inverted_ = std::move(inverted);
  pipeline->hnsw_ = std::move(hnsw);
  lock.unlock();
  return pipeline;
}

std::shared_lock<std::shared_mutex> RetrievalPipeline::ReadLock() const {
  std::lock_guard<std::mutex> gate(gate_);
  return std::shared_lock<std::shared_mutex>(mutex_);
}

std::unique_lock<std::shared_mutex> RetrievalPipeline::WriteLock() const {
  // Holding gate_ while waiting for the exclusive lock queues new readers behind this writer.
  std::lock_guard<std::mutex> gate(gate_);
  return std::unique_lock<std::shared_mutex>(mutex_);
}

// ---- writes ----

void RetrievalPipeline::IndexChangedLocked() {
  ++version_;
  std::lock_guard<std::mutex> cache_lock(cache_mutex_);
  cache_.Clear();
}

absl::Status RetrievalPipeline::AddDocument(int64_t doc_id, std::string_view text,
                                            absl::Span<const float> embedding) {
  if (doc_id < 0) {
    return absl::InvalidArgumentError(absl::StrCat("doc_id is ", doc_id, "; must be >= 0"));
  }
  if (!embedding.empty()) {
    LLMDS_RETURN_IF_ERROR(
        ValidateEmbedding(embedding, options_.embedding_dim, options_.metric, "embedding"));
  }
  std::unique_lock<std::shared_mutex> lock = WriteLock();
  if (inverted_->Contains(doc_id)) {
    return absl::AlreadyExistsError(absl::StrCat("doc_id ", doc_id, " is already indexed"));
  }
  LLMDS_RETURN_IF_ERROR(inverted_->AddDocument(doc_id, text));
  if (!embedding.empty()) {
    absl::Status dense = absl::OkStatus();
    if (fail_next_dense_add_) {
      fail_next_dense_add_ = false;
      dense = absl::InternalError("injected HNSW failure");
    } else {
      dense = hnsw_->Add(embedding, doc_id);
    }
    if (!dense.ok()) {
      // Undo the lexical half. The tombstone it leaves counts in no statistic, so every
      // answer is as before the call.
      LLMDS_CHECK(inverted_->RemoveDocument(doc_id).ok());
      return dense;
    }
    embedded_ids_.insert(doc_id);
  }
  IndexChangedLocked();
  return absl::OkStatus();
}

absl::Status RetrievalPipeline::RemoveDocument(int64_t doc_id) {
  std::unique_lock<std::shared_mutex> lock = WriteLock();
  if (!inverted_->Contains(doc_id)) {
    return absl::NotFoundError(absl::StrCat("doc_id ", doc_id, " is not indexed"));
  }
  if (embedded_ids_.contains(doc_id)) {
    LLMDS_RETURN_IF_ERROR(hnsw_->Delete(doc_id));
    embedded_ids_.erase(doc_id);
  }
  LLMDS_CHECK(inverted_->RemoveDocument(doc_id).ok());
  IndexChangedLocked();
  return absl::OkStatus();
}

bool RetrievalPipeline::Contains(int64_t doc_id) const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  return inverted_->Contains(doc_id);
}

void RetrievalPipeline::Compact() {
  std::unique_lock<std::shared_mutex> lock = WriteLock();
  inverted_->Compact();
  hnsw_->Compact();
  IndexChangedLocked();
}

// ---- search ----

absl::Status RetrievalPipeline::ValidateSearch(absl::Span<const float> query_embedding,
                                               const SearchOptions& o) const {
  if (o.top_k < 1 || o.top_k > kMaxTopK) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_k is ", o.top_k, "; must be in [1, ", kMaxTopK, "]"));
  }
  if (!(o.fusion_weight >= 0.0 && o.fusion_weight <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("fusion_weight is ", o.fusion_weight, "; must be in [0, 1]"));
  }
  if (o.fusion.has_value() && *o.fusion != FusionMethod::kWeighted &&
      *o.fusion != FusionMethod::kRrf) {
    return absl::InvalidArgumentError(
        absl::StrCat("fusion is ", static_cast<int>(*o.fusion), "; unknown method"));
  }
  if (o.candidates != 0 && (o.candidates < o.top_k || o.candidates > kMaxCandidates)) {
    return absl::InvalidArgumentError(absl::StrCat("candidates is ", o.candidates,
                                                   "; must be 0 or in [top_k = ", o.top_k,
                                                   ", ", kMaxCandidates, "]"));
  }
  if (o.ef_search.has_value() && (*o.ef_search < 1 || *o.ef_search > kMaxCandidates)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ef_search is ", *o.ef_search, "; must be in [1, ", kMaxCandidates, "]"));
  }
  if (!query_embedding.empty()) {
    // The query may be any finite vector (HNSW normalizes cosine queries itself; a zero cosine
    // query is rejected below as it has no direction).
    LLMDS_RETURN_IF_ERROR(ValidateEmbedding(query_embedding, options_.embedding_dim,
                                            options_.metric, "query_embedding"));
  }
  return absl::OkStatus();
}

std::string RetrievalPipeline::CacheKey(std::string_view query,
                                        absl::Span<const float> query_embedding,
                                        const SearchOptions& o) const {
  // Everything that determines the answer except the index version (appended separately).
  const bool lexical_only = query_embedding.empty();
  const FusionMethod fusion = o.fusion.value_or(options_.fusion);
  std::string key;
  key.reserve(40 + query_embedding.size() * sizeof(float) + query.size());
  ByteWriter w(&key);
  w.PutU32(static_cast<uint32_t>(o.top_k));
  if (lexical_only) {
    // The lexical-only answer depends on nothing else.
    w.PutU8(0);
  } else {
    w.PutU8(1);
    const double weight = o.fusion_weight == 0.0 ? 0.0 : o.fusion_weight;  // -0.0 == 0.0
    uint64_t weight_bits;
    std::memcpy(&weight_bits, &weight, sizeof(weight_bits));
    w.PutU64(weight_bits);
    w.PutU8(static_cast<uint8_t>(fusion));
    w.PutU32(static_cast<uint32_t>(CandidateDepth(options_, o)));
    w.PutU32(static_cast<uint32_t>(o.ef_search.value_or(0)));
    w.PutU32(static_cast<uint32_t>(query_embedding.size()));
    w.PutRaw(query_embedding.data(), query_embedding.size() * sizeof(float));
  }
  w.PutRaw(query);
  return key;
}

RetrievalPipeline::Result RetrievalPipeline::ComputeShared(
    std::string_view query, absl::Span<const float> query_embedding,
    const SearchOptions& o) const {
  if (query_embedding.empty()) return inverted_->Search(query, o.top_k);
  const int32_t candidates = CandidateDepth(options_, o);
  const double w = o.fusion_weight;
  ScoredDocs lexical;
  ScoredDocs dense;
  if (w < 1.0) lexical = inverted_->Search(query, candidates);
  if (w > 0.0) {
    HnswSearchParams params;
    params.ef_search = std::max(o.ef_search.value_or(hnsw_->ef_search()), candidates);
    absl::StatusOr<std::vector<HNSW::Neighbor>> neighbors =
        hnsw_->SearchWithParams(query_embedding, candidates, params);
    // The query was validated, so HNSW cannot reject it.
    LLMDS_CHECK(neighbors.ok());
    dense.reserve(neighbors->size());
    for (const auto& [id, distance] : *neighbors) {
      dense.emplace_back(id, -static_cast<double>(distance));
    }
  }
  if (o.fusion.value_or(options_.fusion) == FusionMethod::kRrf) {
    return retrieval_internal::FuseReciprocalRank(lexical, dense, w, options_.rrf_k, o.top_k);
  }
  return retrieval_internal::FuseWeighted(lexical, dense, w, o.top_k);
}

RetrievalPipeline::Result RetrievalPipeline::SearchShared(std::string_view query,
                                                          absl::Span<const float> query_embedding,
                                                          const SearchOptions& o) {
  num_searches_.fetch_add(1, std::memory_order_relaxed);
  if (!options_.enable_cache || !o.use_cache) return ComputeShared(query, query_embedding, o);
  const std::string sketch_key = CacheKey(query, query_embedding, o);
  std::string cache_key = sketch_key;
  ByteWriter(&cache_key).PutU64(version_);
  bool hot;
  {
    std::lock_guard<std::mutex> cache_lock(cache_mutex_);
    if (options_.cache_sketch_window > 0 &&
        sketch_.TotalCount() >= options_.cache_sketch_window) {
      sketch_.Clear();
    }
    sketch_.Add(sketch_key);
    hot = sketch_.Estimate(sketch_key) >= options_.cache_hot_threshold;
    // The sketch only decides admission: a stored answer of this version is served even if
    // its key's count was reset by the sketch window since.
    if (const Result* cached = cache_.Get(cache_key)) {
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
      return *cached;
    }
  }
  cache_misses_.fetch_add(1, std::memory_order_relaxed);
  Result result = ComputeShared(query, query_embedding, o);
  if (hot) {
    // Still under the shared index lock: version_ cannot have changed since the key was made.
    std::lock_guard<std::mutex> cache_lock(cache_mutex_);
    // An answer larger than the whole budget is simply not cached.
    cache_.Put(std::move(cache_key), result).IgnoreError();
  }
  return result;
}

absl::StatusOr<RetrievalPipeline::Result> RetrievalPipeline::Search(
    std::string_view query, absl::Span<const float> query_embedding, int top_k,
    double fusion_weight) {
  SearchOptions o;
  o.top_k = top_k;
  o.fusion_weight = fusion_weight;
  return Search(query, query_embedding, o);
}

absl::StatusOr<RetrievalPipeline::Result> RetrievalPipeline::Search(
    std::string_view query, absl::Span<const float> query_embedding,
    const SearchOptions& options) {
  LLMDS_RETURN_IF_ERROR(ValidateSearch(query_embedding, options));
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  return SearchShared(query, query_embedding, options);
}

absl::StatusOr<std::vector<RetrievalPipeline::Result>> RetrievalPipeline::BatchSearch(
    absl::Span<const PipelineQuery> queries, const SearchOptions& options, int num_threads) {
  if (num_threads < 1 || num_threads > kMaxThreads) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_threads is ", num_threads, "; must be in [1, ", kMaxThreads, "]"));
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    absl::Status s = ValidateSearch(queries[i].embedding, options);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("query ", i, ": ", s.message()));
    }
  }
  std::vector<Result> answers(queries.size());
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  std::atomic<size_t> next{0};
  // The workers run under the shared lock held by this thread; analysis cannot see that.
  auto work = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < queries.size();
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      answers[i] = SearchShared(queries[i].text, queries[i].embedding, options);
    }
  };
  const size_t workers = std::max<size_t>(
      1, std::min(static_cast<size_t>(num_threads), queries.size()));
  const int extra = static_cast<int>(workers) - 1;
  std::vector<std::thread> threads;
  threads.reserve(extra);
  for (int t = 0; t < extra; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  return answers;
}

// ---- statistics and invariants ----

PipelineStats RetrievalPipeline::Stats() const {
  PipelineStats s;
  {
    std::shared_lock<std::shared_mutex> lock = ReadLock();
    const InvertedIndexStats lexical = inverted_->Stats();
    const HnswStats dense = hnsw_->Stats();
    s.num_documents = lexical.num_documents;
    s.num_embedded_documents = dense.num_vectors;
    s.index_version = version_;
    s.lexical_index_bytes = lexical.postings_bytes;
    s.dense_index_bytes = dense.memory_bytes;
    s.index_memory_bytes = s.lexical_index_bytes + s.dense_index_bytes;
  }
  {
    std::lock_guard<std::mutex> cache_lock(cache_mutex_);
    s.cache_entries = static_cast<int64_t>(cache_.Size());
    s.cache_tokens = cache_.TotalTokens();
    int64_t bytes = 0;
    cache_.ForEachMostRecentFirst([&bytes](const std::string& key, const Result& value) {
      bytes += static_cast<int64_t>(key.capacity() + sizeof(key) + sizeof(value) +
                                    value.capacity() * sizeof(value[0]));
    });
    s.cache_bytes = bytes;
    s.sketch_bytes = static_cast<int64_t>(sketch_.MemoryUsage());
  }
  s.num_searches = num_searches_.load(std::memory_order_relaxed);
  s.cache_hits = cache_hits_.load(std::memory_order_relaxed);
  s.cache_misses = cache_misses_.load(std::memory_order_relaxed);
  return s;
}

absl::Status RetrievalPipeline::CheckInvariants() const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  LLMDS_RETURN_IF_ERROR(inverted_->CheckInvariants());
  LLMDS_RETURN_IF_ERROR(hnsw_->CheckInvariants());
  if (static_cast<int64_t>(embedded_ids_.size()) != hnsw_->size()) {
    return absl::InternalError(absl::StrCat("invariant 1: ", embedded_ids_.size(),
                                            " embedded ids but HNSW holds ", hnsw_->size()));
  }
  for (int64_t id : embedded_ids_) {
    if (!hnsw_->Contains(id) || !inverted_->Contains(id)) {
      return absl::InternalError(
          absl::StrCat("invariant 1: embedded doc ", id, " missing from an index"));
    }
  }
  std::lock_guard<std::mutex> cache_lock(cache_mutex_);
  if (cache_.TotalTokens() > options_.token_budget) {
    return absl::InternalError(absl::StrCat("invariant 2: cache holds ", cache_.TotalTokens(),
                                            " tokens over a budget of ", options_.token_budget));
  }
  absl::Status status = absl::OkStatus();
  cache_.ForEachMostRecentFirst([&](const std::string& key, const Result&) {
    uint64_t version = 0;
    if (key.size() >= 8) {
      for (int i = 0; i < 8; ++i) {
        version |= uint64_t{static_cast<uint8_t>(key[key.size() - 8 + i])} << (8 * i);
      }
    }
    if (key.size() < 8 || version != version_) {
      status = absl::InternalError(absl::StrCat("invariant 2: cached entry of version ", version,
                                                " at index version ", version_));
    }
  });
  return status;
}

// ---- persistence ----

std::string RetrievalPipeline::Serialize() const {
  std::string body;
  {
    std::shared_lock<std::shared_mutex> lock = ReadLock();
    const RetrievalPipelineOptions& o = options_;
    ByteWriter w(&body);
    w.PutI32(o.embedding_dim);
    w.PutI32(o.hnsw_M);
    w.PutI32(o.hnsw_ef_construction);
    w.PutI32(hnsw_->ef_search());
    w.PutI64(o.token_budget);
    w.PutU8(o.seed.has_value() ? 1 : 0);
    w.PutU64(o.seed.value_or(0));
    w.PutU8(static_cast<uint8_t>(o.metric));
    w.PutU8(static_cast<uint8_t>(o.fusion));
    w.PutI32(o.rrf_k);
    w.PutI32(o.candidate_multiplier);
    w.PutI32(o.min_candidates);
    w.PutU8(o.enable_cache ? 1 : 0);
    w.PutI32(o.cache_sketch_width);
    w.PutI32(o.cache_sketch_depth);
    w.PutU64(o.cache_hot_threshold);
    w.PutU64(o.cache_sketch_window);
    std::vector<int64_t> embedded(embedded_ids_.begin(), embedded_ids_.end());
    std::sort(embedded.begin(), embedded.end());
    w.PutU64(embedded.size());
    for (int64_t id : embedded) w.PutI64(id);
    w.PutBytes64(inverted_->Serialize());
    w.PutBytes64(hnsw_->Serialize());
  }
  std::string out;
  out.reserve(kHeaderBytes + body.size());
  ByteWriter header(&out);
  header.PutRaw(kMagic, sizeof(kMagic));
  header.PutU32(kFormatVersion);
  header.PutU32(0);  // flags, reserved
  header.PutU64(body.size());
  header.PutU64(XXH3_64bits(body.data(), body.size()));
  header.PutRaw(body);
  return out;
}

absl::Status RetrievalPipeline::Save(const std::string& path) const {
  return WriteFileAtomically(path, Serialize());
}

absl::StatusOr<std::unique_ptr<RetrievalPipeline>> RetrievalPipeline::Load(
    const std::string& path) {
  LLMDS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  absl::StatusOr<std::unique_ptr<RetrievalPipeline>> pipeline = Deserialize(bytes);
  if (!pipeline.ok()) {
    return absl::Status(pipeline.status().code(),
                        absl::StrCat(path, ": ", pipeline.status().message()));
  }
  return pipeline;
}

absl::StatusOr<std::unique_ptr<RetrievalPipeline>> RetrievalPipeline::Deserialize(
    std::string_view bytes) {
  if (bytes.size() < kHeaderBytes) {
    return Corrupt(absl::StrCat("input of ", bytes.size(), " bytes is shorter than the header"));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return Corrupt("bad magic");
  ByteReader header(bytes.substr(sizeof(kMagic), kHeaderBytes - sizeof(kMagic)));
  uint32_t version = 0, flags = 0;
  uint64_t body_size = 0, checksum = 0;
  LLMDS_CHECK(header.GetU32(&version) && header.GetU32(&flags) && header.GetU64(&body_size) &&
              header.GetU64(&checksum));
  if (version != kFormatVersion) {
    return Corrupt(absl::StrCat("format version ", version, " (this build reads ",
                                kFormatVersion, ")"));
  }
  if (flags != 0) return Corrupt(absl::StrCat("unknown flags ", flags));
  const std::string_view body = bytes.substr(kHeaderBytes);
  if (body_size != body.size()) {
    return Corrupt(absl::StrCat("body size ", body_size, " but ", body.size(), " bytes follow"));
  }
  if (XXH3_64bits(body.data(), body.size()) != checksum) return Corrupt("checksum mismatch");

  ByteReader in(body);
  RetrievalPipelineOptions o;
  uint8_t has_seed = 0, metric = 0, fusion = 0, enable_cache = 0;
  uint64_t seed = 0, num_embedded = 0;
  int32_t ef_search = 0;
  if (!(in.GetI32(&o.embedding_dim) && in.GetI32(&o.hnsw_M) &&
        in.GetI32(&o.hnsw_ef_construction) && in.GetI32(&ef_search) &&
        in.GetI64(&o.token_budget) && in.GetU8(&has_seed) && in.GetU64(&seed) &&
        in.GetU8(&metric) && in.GetU8(&fusion) && in.GetI32(&o.rrf_k) &&
        in.GetI32(&o.candidate_multiplier) && in.GetI32(&o.min_candidates) &&
        in.GetU8(&enable_cache) && in.GetI32(&o.cache_sketch_width) &&
        in.GetI32(&o.cache_sketch_depth) && in.GetU64(&o.cache_hot_threshold) &&
        in.GetU64(&o.cache_sketch_window) && in.GetU64(&num_embedded))) {
    return Corrupt("truncated options");
  }
  if (has_seed > 1 || enable_cache > 1 || metric > 2 || fusion > 1) {
    return Corrupt("bad option flags");
  }
  o.hnsw_ef_search = ef_search;
  if (has_seed) o.seed = seed;
  o.metric = static_cast<Metric>(metric);
  o.fusion = static_cast<FusionMethod>(fusion);
  o.enable_cache = enable_cache == 1;
  if (num_embedded > in.remaining() / 8) {
    return Corrupt(absl::StrCat(num_embedded, " embedded ids do not fit in the input"));
  }
  std::vector<int64_t> embedded(num_embedded);
  for (uint64_t i = 0; i < num_embedded; ++i) {
    LLMDS_CHECK(in.GetI64(&embedded[i]));
    if (i > 0 && embedded[i] <= embedded[i - 1]) return Corrupt("embedded ids not increasing");
  }
  std::string_view inverted_bytes, hnsw_bytes;
  if (!in.GetBytes64(&inverted_bytes) || !in.GetBytes64(&hnsw_bytes)) {
    return Corrupt("truncated index sections");
  }
  if (in.remaining() != 0) return Corrupt("trailing bytes");

  absl::StatusOr<std::unique_ptr<InvertedIndex>> inverted =
      InvertedIndex::Deserialize(inverted_bytes);
  if (!inverted.ok()) return Corrupt(absl::StrCat("inverted index: ", inverted.status().message()));
  absl::StatusOr<std::unique_ptr<HNSW>> hnsw = HNSW::Deserialize(hnsw_bytes);
  if (!hnsw.ok()) return Corrupt(absl::StrCat("HNSW index: ", hnsw.status().message()));
  const HnswOptions& h = (*hnsw)->options();
  if (h.dim != o.embedding_dim || h.M != o.hnsw_M ||
      h.ef_construction != o.hnsw_ef_construction || h.metric != o.metric ||
      // An unset seed is resolved to HNSW's fixed default, which a saved index records.
      (o.seed.has_value() && h.seed != o.seed) || (*hnsw)->ef_search() != o.hnsw_ef_search) {
    return Corrupt("HNSW options disagree with the pipeline options");
  }
  if ((*hnsw)->size() != static_cast<int64_t>(embedded.size())) {
    return Corrupt(absl::StrCat("HNSW holds ", (*hnsw)->size(), " vectors, the manifest lists ",
                                embedded.size()));
  }
  for (int64_t id : embedded) {
    if (!(*hnsw)->Contains(id) || !(*inverted)->Contains(id)) {
      return Corrupt(absl::StrCat("embedded doc ", id, " missing from an index"));
    }
  }
  o.inverted_index = (*inverted)->options();

  absl::StatusOr<std::unique_ptr<RetrievalPipeline>> pipeline = Create(o);
  if (!pipeline.ok()) {
    return Corrupt(absl::StrCat("stored options: ", pipeline.status().message()));
  }
  std::unique_lock<std::shared_mutex> lock = (*pipeline)->WriteLock();
  (*pipeline)->inverted_ = std::move(*inverted);
  (*pipeline)->hnsw_ = std::move(*hnsw);
  (*pipeline)->embedded_ids_.insert(embedded.begin(), embedded.end());
  lock.unlock();
  return pipeline;
}

}  // namespace llmds
