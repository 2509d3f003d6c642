// Copyright 2026 The llmds Authors.
//
// InvertedIndex is a BM25 full-text index over documents identified by int64 ids, with
// compressed postings, exact dynamic pruning and incremental updates.
//
// Scoring (the contract): for query terms t (after analysis; a term occurring q times in the
// query contributes q times)
//   score(d) = sum_t q(t) * idf(t) * tf*(k1+1) / (tf + k1*(1 - b + b*dl/avgdl)),
//   idf(t)   = ln(1 + (N - df + 0.5)/(df + 0.5)),
// where N is the number of live documents (empty ones included), df the number of live
// documents containing t, dl the exact number of terms of d after analysis and avgdl the mean of
// dl over live documents. Only documents containing at least one query term are returned.
//
// Search returns exactly the top_k of exhaustive scoring, by descending score with ties broken by
// ascending doc_id. It evaluates document-at-a-time with MaxScore and block-max bounds: blocks
// of 128 postings carry their maximum tf and minimum document length, and a candidate is
// dropped only when a bound, computed with a safety margin of 1e-10 relative, proves it cannot
// enter the result. Every returned score is computed in one canonical order (query terms in
// order of first occurrence), so it does not depend on which pruning path found the document.
//
// Storage: documents get dense internal numbers in insertion order. Each term's postings are a
// compressed immutable list (the sealed segment; delta + bit-packing in 128-posting blocks, see
// internal/postings_codec.h) followed by an uncompressed tail (the mutable segment).
// AddDocument appends to tails only; once the tails hold `mutable_segment_max_postings`
// postings they are folded into the compressed lists (re-encoding at most one partial block per
// term), never rebuilding the index. RemoveDocument leaves a tombstone: removed documents stop
// counting in N, df and avgdl immediately and are skipped by Search; their postings stay until
// the index is saved and loaded again (Save writes only live documents).
//
// Example:
//   llmds::InvertedIndex index;
//   LLMDS_RETURN_IF_ERROR(index.AddDocument(7, "Compressed postings in blocks"));
//   for (const auto& [doc_id, score] : index.Search("posting compression", 10)) { ... }
//
// Thread safety: InvertedIndex is thread-safe. Reads (Search, BatchSearch, Get*, Stats,
// Save, Serialize, CheckInvariants) run concurrently with each other under a shared lock;
// writes (AddDocument, RemoveDocument, Compact) take the lock exclusively, so a search sees the
// index either before or after each write, never in between. The lock prefers writers: once a
// write waits, new reads queue behind it, so a stream of searches cannot starve AddDocument.
// Query and document analysis run outside the lock.

#ifndef LLMDS_RETRIEVAL_INVERTED_INDEX_H_
#define LLMDS_RETRIEVAL_INVERTED_INDEX_H_

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
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "llmds/retrieval/analyzer.h"
#include "llmds/retrieval/internal/postings_codec.h"

namespace llmds {

struct Bm25Params {
  // Term-frequency saturation; must be finite and >= 0. Default: 1.2.
  double k1 = 1.2;
  // Length normalization; must be in [0, 1]. Default: 0.75.
  double b = 0.75;
};

struct InvertedIndexOptions {
  // How documents and queries become terms (lowercasing, Unicode tokenization, possessives,
  // stopwords, stemming); see llmds/retrieval/analyzer.h for each option and its default.
  AnalyzerOptions analyzer;
  Bm25Params bm25;
  // The mutable segment is folded into the compressed lists once it holds this many postings.
  // Must be >= 1. Default: 65536.
  int64_t mutable_segment_max_postings = 1 << 16;
};

struct InvertedIndexStats {
  int64_t num_documents = 0;          // live documents
  int64_t num_removed_documents = 0;  // tombstones still occupying postings
  int64_t num_terms = 0;              // distinct terms with at least one live document
  int64_t num_postings = 0;           // (term, document) pairs stored, tombstones included
  int64_t mutable_postings = 0;       // of which still in the uncompressed mutable segment
  int64_t postings_bytes = 0;         // compressed blocks + block directories + mutable segment
  int64_t total_document_length = 0;  // sum of dl over live documents
  double average_document_length = 0.0;
};

class InvertedIndex {
 public:
  using Result = std::vector<std::pair<int64_t, double>>;

  // Creates an empty index. If `options` are invalid the index is unusable: status() says why,
  // every write returns that error and every read returns an empty answer. Prefer Create().
  explicit InvertedIndex(InvertedIndexOptions options = {});
  // Creates an empty index, or InvalidArgument naming the bad option.
  static absl::StatusOr<std::unique_ptr<InvertedIndex>> Create(InvertedIndexOptions options);

  InvertedIndex(const InvertedIndex&) = delete;
  InvertedIndex& operator=(const InvertedIndex&) = delete;
  ~InvertedIndex();

  // OK, or why the options given to the constructor were rejected.
  const absl::Status& status() const { return status_; }
  const InvertedIndexOptions& options() const { return options_; }

  // Indexes `text` under `doc_id`. Errors: InvalidArgument if doc_id < 0 or text is longer than
  // 1 GiB; AlreadyExists if doc_id is live (a removed id may be added again);
  // ResourceExhausted past 2^32 - 2 documents ever added. On error nothing changes.
  absl::Status AddDocument(int64_t doc_id, std::string_view text);

  // Removes a live document. NotFound if doc_id is not live.
  absl::Status RemoveDocument(int64_t doc_id);

  // True if doc_id is live.
  bool Contains(int64_t doc_id) const;

  // Returns the top_k documents by BM25 score (see above). Empty if top_k <= 0 or no live
  // document contains a query term.
  Result Search(std::string_view query, int top_k = 10) const;

  // Same answer as Search, scoring every posting of every query term without pruning. For
  // verification and measurement.
  Result SearchExhaustive(std::string_view query, int top_k = 10) const;

  // Runs Search for every query on `num_threads` threads (all under one shared lock, so every
  // answer sees the same index). InvalidArgument if top_k <= 0 or num_threads is not in
  // [1, 256]. Answers are in query order.
  absl::StatusOr<std::vector<Result>> BatchSearch(absl::Span<const std::string> queries,
                                                  int top_k, int num_threads) const;

  // Returns how often the analyzed `term` occurs in live document doc_id; 0 if the document is
  // not live or `term` does not analyze to exactly one term (e.g. a stopword).
  int32_t GetTermFrequency(std::string_view term, int64_t doc_id) const;
  // Returns the number of live documents containing the analyzed `term` (0 as above).
  int32_t GetDocumentFrequency(std::string_view term) const;

  InvertedIndexStats Stats() const;

  // Folds the mutable segment into the compressed lists now.
  void Compact();

  // Writes the index to `path` (see Serialize). Errors: status() if the index is unusable,
  // Internal/PermissionDenied etc. from the file system.
  absl::Status Save(const std::string& path) const;
  // Returns the index as bytes: a 32-byte header (magic "LLMDSII\0", format version, body size,
  // XXH3-64 checksum of the body) and a little-endian body of 8-byte aligned sections
  // (options, documents, term dictionary, posting lists in the block format above), so the
  // blocks can be used in place from a mapped file. Removed documents are dropped and live ones
  // renumbered, so a saved index carries no tombstones.
  std::string Serialize() const;

  // Reads an index written by Save. NotFound/PermissionDenied for the file, DataLoss for any
  // corruption (bad magic, version, size, checksum, or any structural inconsistency). Never
  // crashes and never reads out of bounds on any input.
  //
  // Why Load copies instead of serving the blocks from a read-only mapping: (1) a mapped file
  // that another process truncates raises SIGBUS on the next access, and one it rewrites can
  // change bytes after they were validated, so "never crashes on any input" would hold only
  // for files nobody touches; (2) validation already reads every byte (checksum, a decode of
  // every block against the document lengths) and Load builds the forward index that
  // RemoveDocument needs, so a mapping would save one memcpy, not the O(size) work; (3) the
  // sealed lists stay appendable (AddDocument and Compact re-encode a list's trailing block),
  // which a read-only mapping would need copy-on-write for. The file layout (8-byte aligned
  // sections, fixed-width block directories) stays mappable for a future read-only view.
  static absl::StatusOr<std::unique_ptr<InvertedIndex>> Load(const std::string& path);
  static absl::StatusOr<std::unique_ptr<InvertedIndex>> Deserialize(std::string_view bytes);

  // Recomputes every derived quantity from scratch and compares (invariants below). For tests;
  // O(size of the index).
  absl::Status CheckInvariants() const;

 private:
  struct TermPostings {
    retrieval_internal::PostingList sealed;
    std::vector<uint32_t> tail_docs;
    std::vector<uint32_t> tail_tfs;
    uint32_t tail_max_tf = 0;
    uint32_t tail_min_doc_length = UINT32_MAX;
    uint32_t live_df = 0;
  };
  struct TermHash {
    using is_transparent = void;
    size_t operator()(std::string_view term) const;
  };
  struct TermEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };

  std::vector<std::string> AnalyzeText(std::string_view text) const;
  Result SearchLocked(const std::vector<std::string>& query_terms, int top_k, bool prune) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  std::optional<uint32_t> LookupSingleTerm(std::string_view term) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  void CompactLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Builds the forward index and live counters from the postings (after Deserialize).
  void RebuildDerivedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  InvertedIndexOptions options_;
  absl::Status status_;
  std::optional<Analyzer> analyzer_;  // set iff status_ is OK; immutable and thread-safe

  // Invariants (checked by CheckInvariants):
  //   1. external_ids_, doc_lengths_, removed_ and forward_offsets_ (minus one) have one entry
  //      per internal document; doc_index_ maps exactly the non-removed ones back.
  //   2. Every term's postings (sealed, then tail) have strictly increasing internal docs; tail
  //      docs exceed the sealed list's last doc; tail bounds equal the tail's max tf / min dl.
  //   3. For every document, the sum of its tfs over all terms equals doc_lengths_; its forward
  //      entry lists exactly the terms whose postings contain it.
  //   4. live_df of a term = postings of live documents; live_documents_ and
  //      live_total_length_ count live documents; mutable_postings_ = sum of tail sizes and
  //      dirty_terms_ lists exactly the terms with a non-empty tail.
  // Writer-preferring read/write lock: ReadLock/WriteLock first pass gate_ (see .cc).
  std::shared_lock<std::shared_mutex> ReadLock() const ABSL_NO_THREAD_SAFETY_ANALYSIS;
  std::unique_lock<std::shared_mutex> WriteLock() const ABSL_NO_THREAD_SAFETY_ANALYSIS;
  mutable std::mutex gate_;
  mutable std::shared_mutex mutex_;
  absl::flat_hash_map<std::string, uint32_t, TermHash, TermEq> term_ids_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> terms_ ABSL_GUARDED_BY(mutex_);
  std::vector<TermPostings> postings_ ABSL_GUARDED_BY(mutex_);
  std::vector<uint32_t> dirty_terms_ ABSL_GUARDED_BY(mutex_);
  std::vector<int64_t> external_ids_ ABSL_GUARDED_BY(mutex_);
  std::vector<uint32_t> doc_lengths_ ABSL_GUARDED_BY(mutex_);
  std::vector<uint8_t> removed_ ABSL_GUARDED_BY(mutex_);
  std::vector<uint64_t> forward_offsets_ ABSL_GUARDED_BY(mutex_);  // starts with 0
  std::vector<uint32_t> forward_terms_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<int64_t, uint32_t> doc_index_ ABSL_GUARDED_BY(mutex_);
  int64_t live_documents_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t live_total_length_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t mutable_postings_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t live_terms_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_INVERTED_INDEX_H_
