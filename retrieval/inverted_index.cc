// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/inverted_index.h"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "llmds/retrieval/internal/bm25.h"
#include "llmds/retrieval/internal/postings_cursor.h"
#include "llmds/utils/byte_io.h"
#include "llmds/utils/check.h"
#include "llmds/utils/status_macros.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the index file format is written with little-endian memcpy");

namespace llmds {

namespace ri = retrieval_internal;

namespace {

constexpr uint32_t kMaxDocuments = UINT32_MAX - 1;
constexpr size_t kMaxTextBytes = size_t{1} << 30;
// Bounds are inflated by this relative margin before they prune, so rounding in a different
// summation order can never drop a document that belongs in the top k.
constexpr double kPruneMargin = 1e-10;

constexpr char kMagic[8] = {'L', 'L', 'M', 'D', 'S', 'I', 'I', '\0'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderSize = 32;

absl::Status ValidateOptions(const InvertedIndexOptions& options) {
  if (!std::isfinite(options.bm25.k1) || options.bm25.k1 < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Bm25Params.k1 must be finite and >= 0, got ", options.bm25.k1));
  }
  if (!(options.bm25.b >= 0 && options.bm25.b <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Bm25Params.b must be in [0, 1], got ", options.bm25.b));
  }
  if (options.mutable_segment_max_postings < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("InvertedIndexOptions.mutable_segment_max_postings must be >= 1, got ",
                     options.mutable_segment_max_postings));
  }
  return absl::OkStatus();
}

struct Hit {
  double score;
  int64_t doc_id;
};
// True if `a` ranks before `b`.
inline bool Better(const Hit& a, const Hit& b) {
  return a.score > b.score || (a.score == b.score && a.doc_id < b.doc_id);
}

// Keeps the best k hits; the worst one is at heap_.front().
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }
  // Returns true if the heap is full after the offer.
  bool Offer(const Hit& hit) {
    if (heap_.size() < k_) {
      heap_.push_back(hit);
      std::push_heap(heap_.begin(), heap_.end(), Better);
    } else if (Better(hit, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = hit;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
    return heap_.size() == k_;
  }
  double worst_score() const { return heap_.front().score; }
  // False if a hit with this score cannot enter whatever its doc_id.
  bool CanEnter(double score) const {
    return heap_.size() < k_ || score >= heap_.front().score;
  }
  InvertedIndex::Result Take() {
    std::sort(heap_.begin(), heap_.end(), Better);
    InvertedIndex::Result result;
    result.reserve(heap_.size());
    for (const Hit& h : heap_) result.emplace_back(h.doc_id, h.score);
    return result;
  }

 private:
  size_t k_;
  std::vector<Hit> heap_;
};

absl::Status Corrupt(const std::string& what, size_t offset) {
  return absl::DataLossError(
      absl::StrCat("corrupt inverted index: ", what, " (body offset ", offset, ")"));
}

}  // namespace

size_t InvertedIndex::TermHash::operator()(std::string_view term) const {
  return static_cast<size_t>(HashTerm(term));
}

InvertedIndex::InvertedIndex(InvertedIndexOptions options)
    : options_(std::move(options)), status_(ValidateOptions(options_)) {
  if (status_.ok()) {
    absl::StatusOr<Analyzer> analyzer = Analyzer::Create(options_.analyzer);
    if (analyzer.ok()) {
      analyzer_.emplace(std::move(*analyzer));
    } else {
      status_ = analyzer.status();
    }
  }
  forward_offsets_.push_back(0);
}

InvertedIndex::~InvertedIndex() = default;

// Both lock kinds pass through gate_: a waiting writer holds it, so new readers queue behind
// it instead of starving it (glibc's rwlock prefers readers).
std::shared_lock<std::shared_mutex> InvertedIndex::ReadLock() const {
  std::lock_guard<std::mutex> gate(gate_);
  return std::shared_lock<std::shared_mutex>(mutex_);
}

std::unique_lock<std::shared_mutex> InvertedIndex::WriteLock() const {
  std::lock_guard<std::mutex> gate(gate_);
  return std::unique_lock<std::shared_mutex>(mutex_);
}

absl::StatusOr<std::unique_ptr<InvertedIndex>> InvertedIndex::Create(
    InvertedIndexOptions options) {
  auto index = std::make_unique<InvertedIndex>(std::move(options));
  if (!index->status().ok()) return index->status();
  return index;
}

std::vector<std::string> InvertedIndex::AnalyzeText(std::string_view text) const {
  if (!analyzer_.has_value()) return {};
  return analyzer_->Analyze(text);
}

absl::Status InvertedIndex::AddDocument(int64_t doc_id, std::string_view text) {
  if (!status_.ok()) return status_;
  if (doc_id < 0) {
    return absl::InvalidArgumentError(absl::StrCat("doc_id must be >= 0, got ", doc_id));
  }
  if (text.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(absl::StrCat("document ", doc_id, " has ", text.size(),
                                                   " bytes; the limit is ", kMaxTextBytes));
  }
  // Analysis and term counting happen before taking the lock.
  const std::vector<std::string> tokens = AnalyzeText(text);
  absl::flat_hash_map<std::string_view, uint32_t> slot_of;
  std::vector<std::pair<std::string_view, uint32_t>> counts;
  for (const std::string& token : tokens) {
    auto [it, inserted] = slot_of.try_emplace(token, static_cast<uint32_t>(counts.size()));
    if (inserted) {
      counts.emplace_back(token, 1);
    } else {
      ++counts[it->second].second;
    }
  }

  std::unique_lock<std::shared_mutex> lock = WriteLock();
  if (doc_index_.contains(doc_id)) {
    return absl::AlreadyExistsError(absl::StrCat("doc_id ", doc_id, " is already indexed"));
  }
  if (external_ids_.size() >= kMaxDocuments) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot add doc_id ", doc_id, ": ", kMaxDocuments, " documents added"));
  }
  const uint32_t doc = static_cast<uint32_t>(external_ids_.size());
  const uint32_t doc_length = static_cast<uint32_t>(tokens.size());
  external_ids_.push_back(doc_id);
  doc_lengths_.push_back(doc_length);
  removed_.push_back(0);
  doc_index_.emplace(doc_id, doc);
  for (const auto& [term, tf] : counts) {
    auto it = term_ids_.find(term);
    uint32_t term_id;
    if (it == term_ids_.end()) {
      term_id = static_cast<uint32_t>(terms_.size());
      terms_.emplace_back(term);
      postings_.emplace_back();
      term_ids_.emplace(terms_.back(), term_id);
    } else {
      term_id = it->second;
    }
    TermPostings& tp = postings_[term_id];
    if (tp.tail_docs.empty()) dirty_terms_.push_back(term_id);
    tp.tail_docs.push_back(doc);
    tp.tail_tfs.push_back(tf);
    tp.tail_max_tf = std::max(tp.tail_max_tf, tf);
    tp.tail_min_doc_length = std::min(tp.tail_min_doc_length, doc_length);
    if (tp.live_df++ == 0) ++live_terms_;
    forward_terms_.push_back(term_id);
  }
  forward_offsets_.push_back(forward_terms_.size());
  ++live_documents_;
  live_total_length_ += doc_length;
  mutable_postings_ += static_cast<int64_t>(counts.size());
  if (mutable_postings_ >= options_.mutable_segment_max_postings) CompactLocked();
  return absl::OkStatus();
}

absl::Status InvertedIndex::RemoveDocument(int64_t doc_id) {
  if (!status_.ok()) return status_;
  std::unique_lock<std::shared_mutex> lock = WriteLock();
  auto it = doc_index_.find(doc_id);
  if (it == doc_index_.end()) {
    return absl::NotFoundError(absl::StrCat("doc_id ", doc_id, " is not indexed"));
  }
  const uint32_t doc = it->second;
  doc_index_.erase(it);
  removed_[doc] = 1;
  --live_documents_;
  live_total_length_ -= doc_lengths_[doc];
  for (uint64_t i = forward_offsets_[doc]; i < forward_offsets_[doc + 1]; ++i) {
    if (--postings_[forward_terms_[i]].live_df == 0) --live_terms_;
  }
  return absl::OkStatus();
}

bool InvertedIndex::Contains(int64_t doc_id) const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  return doc_index_.contains(doc_id);
}

void InvertedIndex::Compact() {
  std::unique_lock<std::shared_mutex> lock = WriteLock();
  CompactLocked();
}

void InvertedIndex::CompactLocked() {
  for (uint32_t term_id : dirty_terms_) {
    TermPostings& tp = postings_[term_id];
    tp.sealed.Append(tp.tail_docs, tp.tail_tfs, doc_lengths_);
    std::vector<uint32_t>().swap(tp.tail_docs);
    std::vector<uint32_t>().swap(tp.tail_tfs);
    tp.tail_max_tf = 0;
    tp.tail_min_doc_length = UINT32_MAX;
  }
  dirty_terms_.clear();
  mutable_postings_ = 0;
}

InvertedIndex::Result InvertedIndex::Search(std::string_view query, int top_k) const {
  if (top_k <= 0 || !status_.ok()) return {};
  const std::vector<std::string> tokens = AnalyzeText(query);
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  return SearchLocked(tokens, top_k, /*prune=*/true);
}

InvertedIndex::Result InvertedIndex::SearchExhaustive(std::string_view query, int top_k) const {
  if (top_k <= 0 || !status_.ok()) return {};
  const std::vector<std::string> tokens = AnalyzeText(query);
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  return SearchLocked(tokens, top_k, /*prune=*/false);
}

InvertedIndex::Result InvertedIndex::SearchLocked(const std::vector<std::string>& tokens,
                                                  int top_k, bool prune) const {
  if (top_k <= 0 || live_documents_ == 0) return {};
  // Distinct known terms with live documents, in order of first occurrence, with counts.
  std::vector<uint32_t> term_of_slot;
  std::vector<uint32_t> count_of_slot;
  for (const std::string& token : tokens) {
    auto it = term_ids_.find(token);
    if (it == term_ids_.end() || postings_[it->second].live_df == 0) continue;
    auto pos = std::find(term_of_slot.begin(), term_of_slot.end(), it->second);
    if (pos == term_of_slot.end()) {
      term_of_slot.push_back(it->second);
      count_of_slot.push_back(1);
    } else {
      ++count_of_slot[static_cast<size_t>(pos - term_of_slot.begin())];
    }
  }
  const size_t n = term_of_slot.size();
  if (n == 0) return {};

  const double num_docs = static_cast<double>(live_documents_);
  const double avgdl = static_cast<double>(live_total_length_) / num_docs;
  const ri::Bm25TfScorer scorer(options_.bm25.k1, options_.bm25.b, avgdl);

  std::vector<double> weight_of_slot(n);
  std::vector<double> term_bound(n);
  for (size_t s = 0; s < n; ++s) {
    const TermPostings& tp = postings_[term_of_slot[s]];
    weight_of_slot[s] =
        static_cast<double>(count_of_slot[s]) * ri::Bm25Idf(num_docs, tp.live_df);
    const uint32_t max_tf = std::max(tp.sealed.max_tf(), tp.tail_max_tf);
    const uint32_t min_len = std::min(tp.sealed.min_doc_length(), tp.tail_min_doc_length);
    term_bound[s] = weight_of_slot[s] * scorer.TfPart(max_tf, min_len);
  }
  // Lists in ascending order of their bound; position p refers to this order.
  std::vector<size_t> slot(n);
  for (size_t s = 0; s < n; ++s) slot[s] = s;
  std::stable_sort(slot.begin(), slot.end(),
                   [&](size_t a, size_t b) { return term_bound[a] < term_bound[b]; });
  std::vector<std::unique_ptr<ri::PostingCursor>> cursor(n);
  std::vector<double> weight(n);
  std::vector<double> prefix(n);  // prefix[p] = sum of bounds of lists 0..p
  for (size_t p = 0; p < n; ++p) {
    const TermPostings& tp = postings_[term_of_slot[slot[p]]];
    ri::PostingTail tail;
    tail.docs = tp.tail_docs.data();
    tail.tfs = tp.tail_tfs.data();
    tail.size = static_cast<uint32_t>(tp.tail_docs.size());
    tail.max_tf = tp.tail_max_tf;
    tail.min_doc_length = tp.tail_min_doc_length;
    cursor[p] = std::make_unique<ri::PostingCursor>(&tp.sealed, tail);
    weight[p] = weight_of_slot[slot[p]];
    prefix[p] = term_bound[slot[p]] + (p > 0 ? prefix[p - 1] : 0.0);
  }

  TopK top(static_cast<size_t>(top_k));
  bool full = false;
  double cutoff = 0.0;  // a bound below this cannot reach the top k
  auto cannot_enter = [&](double bound) { return prune && full && bound < cutoff; };
  size_t first_essential = 0;  // lists before it cannot produce a top-k document alone
  std::vector<uint32_t> tf_of_slot(n, 0);
  std::vector<double> part_of_slot(n, 0.0);  // weight * tf part, for the canonical sum

  // Score bound of each list's current block (block max tf at the block's minimum length),
  // cached per block.
  std::vector<int> bound_block(n, -1);
  std::vector<double> block_bound(n, 0.0);
  auto current_block_bound = [&](size_t p) {
    const int block = cursor[p]->current_block();
    if (bound_block[p] != block) {
      bound_block[p] = block;
      block_bound[p] = weight[p] * scorer.TfPart(cursor[p]->BlockMaxTf(block),
                                                 cursor[p]->BlockMinDocLength(block));
    }
    return block_bound[p];
  };

  for (;;) {
    uint32_t doc = ri::kEndDoc;
    for (size_t p = first_essential; p < n; ++p) doc = std::min(doc, cursor[p]->doc());
    if (doc == ri::kEndDoc) break;
    auto skip_essentials = [&]() {
      for (size_t p = first_essential; p < n; ++p) {
        if (cursor[p]->doc() == doc) cursor[p]->Next();
      }
    };
    const double non_essential = first_essential > 0 ? prefix[first_essential - 1] : 0.0;
    if (prune && full) {
      // Block-max bound of this document, before touching any per-document array.
      double doc_bound = non_essential;
      for (size_t p = first_essential; p < n; ++p) {
        if (cursor[p]->doc() == doc) doc_bound += current_block_bound(p);
      }
      if (cannot_enter(doc_bound)) {
        // Every essential posting in [doc, range_end] lies in its list's current block, so
        // `range_bound` (>= doc_bound) bounds every document of that range.
        double range_bound = non_essential;
        uint32_t range_end = ri::kEndDoc;
        for (size_t p = first_essential; p < n; ++p) {
          if (cursor[p]->doc() == ri::kEndDoc) continue;
          range_bound += current_block_bound(p);
          range_end = std::min(range_end, cursor[p]->current_block_last_doc());
        }
        if (cannot_enter(range_bound)) {
          // range_end < kEndDoc - 1: some essential list is not exhausted.
          for (size_t p = first_essential; p < n; ++p) cursor[p]->NextGeq(range_end + 1);
        } else {
          skip_essentials();
        }
        continue;
      }
    }
    if (removed_[doc]) {
      skip_essentials();
      continue;
    }
    const uint32_t doc_length = doc_lengths_[doc];
    const double norm = scorer.LengthNorm(doc_length);
    double partial = 0.0;
    for (size_t p = first_essential; p < n; ++p) {
      if (cursor[p]->doc() == doc) {
        const uint32_t tf = cursor[p]->tf();
        tf_of_slot[slot[p]] = tf;
        const double part = weight[p] * scorer.TfPartWithNorm(tf, norm);
        part_of_slot[slot[p]] = part;
        partial += part;
        cursor[p]->Next();
      }
    }
    bool pruned = false;
    for (size_t p = first_essential; p-- > 0;) {
      if (cannot_enter(partial + prefix[p])) {
        pruned = true;
        break;
      }
      if (prune && full) {
        const int block = cursor[p]->ShallowBlock(doc);
        if (block < 0) continue;  // the list is exhausted before `doc`
        const double rest = p > 0 ? prefix[p - 1] : 0.0;
        const double block_part =
            weight[p] * scorer.TfPartWithNorm(cursor[p]->BlockMaxTf(block), norm);
        if (cannot_enter(partial + block_part + rest)) {
          pruned = true;
          break;
        }
      }
      cursor[p]->NextGeq(doc);
      if (cursor[p]->doc() == doc) {
        const uint32_t tf = cursor[p]->tf();
        tf_of_slot[slot[p]] = tf;
        const double part = weight[p] * scorer.TfPartWithNorm(tf, norm);
        part_of_slot[slot[p]] = part;
        partial += part;
      }
    }
    if (!pruned) {
      // The reported score, summed in canonical (query) order.
      double score = 0.0;
      for (size_t s = 0; s < n; ++s) {
        if (tf_of_slot[s] != 0) score += part_of_slot[s];
      }
      // The external id (a likely cache miss) is read only if the document can enter.
      if (top.CanEnter(score) && top.Offer(Hit{score, external_ids_[doc]})) {
        full = true;
        cutoff = top.worst_score() * (1.0 - kPruneMargin);
        if (prune) {
          while (first_essential < n && prefix[first_essential] < cutoff) ++first_essential;
        }
      }
    }
    std::fill(tf_of_slot.begin(), tf_of_slot.end(), 0u);
  }
  return top.Take();
}

absl::StatusOr<std::vector<InvertedIndex::Result>> InvertedIndex::BatchSearch(
    absl::Span<const std::string> queries, int top_k, int num_threads) const {
  if (!status_.ok()) return status_;
  if (top_k <= 0) return absl::InvalidArgumentError(absl::StrCat("top_k must be > 0, got ", top_k));
  if (num_threads < 1 || num_threads > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_threads must be in [1, 256], got ", num_threads));
  }
  std::vector<Result> results(queries.size());
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  std::atomic<size_t> next{0};
  // Workers run while this thread holds the shared lock, so they read a fixed index.
  auto work = [&]() {
    for (;;) {
      // Relaxed is enough: the counter only hands out distinct indices; results are published
      // to the caller by join().
      const size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= queries.size()) return;
      results[i] = SearchLocked(AnalyzeText(queries[i]), top_k, /*prune=*/true);
    }
  };
  const size_t threads = std::min<size_t>(static_cast<size_t>(num_threads), queries.size());
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();
  return results;
}

std::optional<uint32_t> InvertedIndex::LookupSingleTerm(std::string_view term) const {
  const std::vector<std::string> analyzed = AnalyzeText(term);
  if (analyzed.size() != 1) return std::nullopt;
  auto it = term_ids_.find(analyzed[0]);
  if (it == term_ids_.end()) return std::nullopt;
  return it->second;
}

int32_t InvertedIndex::GetTermFrequency(std::string_view term, int64_t doc_id) const {
  if (!status_.ok()) return 0;
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  auto doc_it = doc_index_.find(doc_id);
  if (doc_it == doc_index_.end()) return 0;
  const std::optional<uint32_t> term_id = LookupSingleTerm(term);
  if (!term_id.has_value()) return 0;
  const TermPostings& tp = postings_[*term_id];
  ri::PostingTail tail;
  tail.docs = tp.tail_docs.data();
  tail.tfs = tp.tail_tfs.data();
  tail.size = static_cast<uint32_t>(tp.tail_docs.size());
  ri::PostingCursor cursor(&tp.sealed, tail);
  cursor.NextGeq(doc_it->second);
  if (cursor.doc() != doc_it->second) return 0;
  return static_cast<int32_t>(std::min<uint32_t>(cursor.tf(), INT32_MAX));
}

int32_t InvertedIndex::GetDocumentFrequency(std::string_view term) const {
  if (!status_.ok()) return 0;
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  const std::optional<uint32_t> term_id = LookupSingleTerm(term);
  if (!term_id.has_value()) return 0;
  return static_cast<int32_t>(std::min<uint32_t>(postings_[*term_id].live_df, INT32_MAX));
}

InvertedIndexStats InvertedIndex::Stats() const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  InvertedIndexStats stats;
  stats.num_documents = live_documents_;
  stats.num_removed_documents = static_cast<int64_t>(external_ids_.size()) - live_documents_;
  stats.num_terms = live_terms_;
  stats.mutable_postings = mutable_postings_;
  for (const TermPostings& tp : postings_) {
    stats.num_postings += tp.sealed.size() + static_cast<int64_t>(tp.tail_docs.size());
    stats.postings_bytes += static_cast<int64_t>(tp.sealed.bytes() +
                                                 tp.tail_docs.size() * 2 * sizeof(uint32_t));
  }
  stats.total_document_length = live_total_length_;
  stats.average_document_length =
      live_documents_ > 0 ? static_cast<double>(live_total_length_) / live_documents_ : 0.0;
  return stats;
}

std::string InvertedIndex::Serialize() const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  std::string body;
  ByteWriter w(&body);
  // Options.
  w.Put<double>(options_.bm25.k1);
  w.Put<double>(options_.bm25.b);
  w.Put<uint8_t>(options_.analyzer.lowercase);
  w.Put<uint8_t>(options_.analyzer.strip_possessives);
  w.Put<uint8_t>(options_.analyzer.remove_stopwords);
  w.Put<uint8_t>(options_.analyzer.stem);
  w.Put<int32_t>(options_.analyzer.max_token_bytes);
  w.Put<int64_t>(options_.mutable_segment_max_postings);
  w.Put<uint32_t>(static_cast<uint32_t>(options_.analyzer.stopwords.size()));
  for (const std::string& word : options_.analyzer.stopwords) w.PutBytes32(word);
  w.PadTo(8);
  // Live documents, renumbered densely in insertion order.
  std::vector<uint32_t> new_doc(external_ids_.size(), ri::kEndDoc);
  std::vector<uint32_t> new_lengths;
  uint32_t live = 0;
  for (size_t d = 0; d < external_ids_.size(); ++d) {
    if (!removed_[d]) {
      new_doc[d] = live++;
      new_lengths.push_back(doc_lengths_[d]);
    }
  }
  w.Put<uint32_t>(live);
  w.Put<uint32_t>(0);
  for (size_t d = 0; d < external_ids_.size(); ++d) {
    if (!removed_[d]) w.Put<int64_t>(external_ids_[d]);
  }
  for (uint32_t len : new_lengths) w.Put<uint32_t>(len);
  w.PadTo(8);
  // Terms with live documents.
  std::vector<uint32_t> kept_terms;
  for (uint32_t t = 0; t < terms_.size(); ++t) {
    if (postings_[t].live_df > 0) kept_terms.push_back(t);
  }
  w.Put<uint32_t>(static_cast<uint32_t>(kept_terms.size()));
  for (uint32_t t : kept_terms) w.PutBytes32(terms_[t]);
  w.PadTo(8);
  // Posting lists, re-encoded over the new numbering when anything changed.
  const bool renumbered = live != external_ids_.size();
  std::vector<uint32_t> docs;
  std::vector<uint32_t> tfs;
  for (uint32_t t : kept_terms) {
    const TermPostings& tp = postings_[t];
    ri::PostingList rebuilt;
    const ri::PostingList* list = &tp.sealed;
    if (renumbered || !tp.tail_docs.empty()) {
      tp.sealed.DecodeAll(&docs, &tfs);
      docs.insert(docs.end(), tp.tail_docs.begin(), tp.tail_docs.end());
      tfs.insert(tfs.end(), tp.tail_tfs.begin(), tp.tail_tfs.end());
      size_t out = 0;
      for (size_t i = 0; i < docs.size(); ++i) {
        if (removed_[docs[i]]) continue;
        docs[out] = new_doc[docs[i]];
        tfs[out] = tfs[i];
        ++out;
      }
      docs.resize(out);
      tfs.resize(out);
      rebuilt.Append(docs, tfs, new_lengths);
      list = &rebuilt;
    }
    w.Put<uint32_t>(list->size());
    w.Put<uint32_t>(static_cast<uint32_t>(list->num_blocks()));
    for (const ri::BlockMeta& meta : list->blocks()) {
      w.Put<uint32_t>(meta.last_doc);
      w.Put<uint32_t>(meta.offset);
      w.Put<uint32_t>(meta.max_tf);
      w.Put<uint32_t>(meta.min_doc_length);
    }
    w.Put<uint64_t>(list->data().size());
    w.PutRaw(list->data().data(), list->data().size());
    w.PadTo(8);
  }
  std::string file;
  file.reserve(kHeaderSize + body.size());
  ByteWriter header(&file);
  header.PutRaw(kMagic, sizeof(kMagic));
  header.PutU32(kFormatVersion);
  header.PutU32(static_cast<uint32_t>(kHeaderSize));
  header.PutU64(body.size());
  header.PutU64(XXH3_64bits(body.data(), body.size()));
  file += body;
  return file;
}

absl::Status InvertedIndex::Save(const std::string& path) const {
  if (!status_.ok()) return status_;
  const std::string bytes = Serialize();
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", tmp, " for writing"));
  }
  const size_t written = std::fwrite(bytes.data(), 1, bytes.size(), f);
  const bool flushed = std::fflush(f) == 0;
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (written != bytes.size() || !flushed || !closed) {
    std::remove(tmp.c_str());
    return absl::ErrnoToStatus(write_errno, absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    std::remove(tmp.c_str());
    return absl::ErrnoToStatus(rename_errno, absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<InvertedIndex>> InvertedIndex::Load(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  // Read (not mapped): see "Why Load copies" in the header. The size is a hint only; the
  // loop reads whatever the file holds when it is read.
  std::string bytes;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long size = std::ftell(f);
    if (size > 0) bytes.reserve(static_cast<size_t>(size));
    std::rewind(f);
  }
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), f)) > 0) bytes.append(buffer, got);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return Deserialize(bytes);
}

absl::StatusOr<std::unique_ptr<InvertedIndex>> InvertedIndex::Deserialize(
    std::string_view bytes) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError("not an llmds inverted index (bad magic or size)");
  }
  ByteReader header(bytes.substr(sizeof(kMagic), kHeaderSize - sizeof(kMagic)));
  uint32_t version, header_size;
  uint64_t body_size, checksum;
  // Cannot fail: the slice has exactly kHeaderSize - sizeof(kMagic) bytes.
  if (!header.GetU32(&version) || !header.GetU32(&header_size) || !header.GetU64(&body_size) ||
      !header.GetU64(&checksum)) {
    return absl::DataLossError("inverted index header truncated");
  }
  if (version != kFormatVersion) {
    return absl::DataLossError(absl::StrCat("unsupported inverted index format version ",
                                            version, " (expected ", kFormatVersion, ")"));
  }
  if (header_size != kHeaderSize || body_size != bytes.size() - kHeaderSize) {
    return absl::DataLossError(absl::StrCat("inverted index header says ", header_size, "+",
                                            body_size, " bytes, file has ", bytes.size()));
  }
  const std::string_view body = bytes.substr(kHeaderSize);
  if (XXH3_64bits(body.data(), body.size()) != checksum) {
    return absl::DataLossError("inverted index checksum mismatch");
  }
  ByteReader r(body);
  InvertedIndexOptions options;
  uint8_t lowercase, strip, stop, stem;
  uint32_t num_stopwords;
  if (!r.Get(&options.bm25.k1) || !r.Get(&options.bm25.b) || !r.Get(&lowercase) ||
      !r.Get(&strip) || !r.Get(&stop) || !r.Get(&stem) ||
      !r.Get(&options.analyzer.max_token_bytes) ||
      !r.Get(&options.mutable_segment_max_postings) || !r.Get(&num_stopwords)) {
    return Corrupt("options truncated", r.position());
  }
  if (lowercase > 1 || strip > 1 || stop > 1 || stem > 1) return Corrupt("bad flag", r.position());
  options.analyzer.lowercase = lowercase;
  options.analyzer.strip_possessives = strip;
  options.analyzer.remove_stopwords = stop;
  options.analyzer.stem = stem;
  if (num_stopwords > r.remaining() / 4) return Corrupt("stopword count", r.position());
  for (uint32_t i = 0; i < num_stopwords; ++i) {
    std::string_view word;
    if (!r.GetBytes32(&word)) return Corrupt("stopword truncated", r.position());
    options.analyzer.stopwords.emplace_back(word);
  }
  if (!r.SkipZeroPaddingTo(8)) return Corrupt("padding", r.position());
  auto index = std::make_unique<InvertedIndex>(options);
  if (!index->status().ok()) {
    return absl::DataLossError(
        absl::StrCat("corrupt inverted index options: ", index->status().message()));
  }
  InvertedIndex& ix = *index;
  std::unique_lock<std::shared_mutex> lock(ix.mutex_);
  uint32_t num_docs, reserved;
  if (!r.Get(&num_docs) || !r.Get(&reserved) || reserved != 0) {
    return Corrupt("document count", r.position());
  }
  if (num_docs > kMaxDocuments || num_docs > r.remaining() / 12) {
    return Corrupt("document count too large", r.position());
  }
  ix.external_ids_.resize(num_docs);
  ix.doc_lengths_.resize(num_docs);
  for (uint32_t d = 0; d < num_docs; ++d) {
    // Cannot fail (num_docs was bounded by remaining() above); checked all the same.
    if (!r.Get(&ix.external_ids_[d])) return Corrupt("doc_id truncated", r.position());
    if (ix.external_ids_[d] < 0) return Corrupt("negative doc_id", r.position());
    if (!ix.doc_index_.emplace(ix.external_ids_[d], d).second) {
      return Corrupt(absl::StrCat("duplicate doc_id ", ix.external_ids_[d]), r.position());
    }
  }
  for (uint32_t d = 0; d < num_docs; ++d) {
    if (!r.Get(&ix.doc_lengths_[d])) return Corrupt("doc length truncated", r.position());
  }
  if (!r.SkipZeroPaddingTo(8)) return Corrupt("padding", r.position());
  uint32_t num_terms;
  if (!r.Get(&num_terms) || num_terms > r.remaining() / 4) {
    return Corrupt("term count", r.position());
  }
  ix.terms_.reserve(num_terms);
  for (uint32_t t = 0; t < num_terms; ++t) {
    std::string_view term;
    if (!r.GetBytes32(&term) || term.empty()) return Corrupt("term", r.position());
    ix.terms_.emplace_back(term);
    if (!ix.term_ids_.emplace(ix.terms_.back(), t).second) {
      return Corrupt("duplicate term", r.position());
    }
  }
  if (!r.SkipZeroPaddingTo(8)) return Corrupt("padding", r.position());
  ix.postings_.resize(num_terms);
  std::vector<uint64_t> tf_sums(num_docs, 0);
  for (uint32_t t = 0; t < num_terms; ++t) {
    uint32_t size, num_blocks;
    if (!r.Get(&size) || !r.Get(&num_blocks) || size == 0 ||
        num_blocks > r.remaining() / sizeof(ri::BlockMeta)) {
      return Corrupt(absl::StrCat("posting list header of term ", t), r.position());
    }
    std::vector<ri::BlockMeta> blocks(num_blocks);
    for (ri::BlockMeta& meta : blocks) {
      // Cannot fail (num_blocks was bounded by remaining() above); checked all the same.
      if (!r.Get(&meta.last_doc) || !r.Get(&meta.offset) || !r.Get(&meta.max_tf) ||
          !r.Get(&meta.min_doc_length)) {
        return Corrupt(absl::StrCat("block metadata of term ", t), r.position());
      }
    }
    uint64_t data_size;
    std::string_view data;
    if (!r.Get(&data_size) || data_size > r.remaining() ||
        !r.GetRaw(static_cast<size_t>(data_size), &data)) {
      return Corrupt(absl::StrCat("posting data of term ", t), r.position());
    }
    absl::Status status = ri::PostingList::FromParts(
        size, std::move(blocks), std::vector<uint8_t>(data.begin(), data.end()),
        ix.doc_lengths_, &tf_sums, &ix.postings_[t].sealed);
    if (!status.ok()) {
      return Corrupt(absl::StrCat("term ", t, ": ", status.message()), r.position());
    }
    if (!r.SkipZeroPaddingTo(8)) return Corrupt("padding", r.position());
  }
  if (r.remaining() != 0) return Corrupt("trailing bytes", r.position());
  for (uint32_t d = 0; d < num_docs; ++d) {
    if (tf_sums[d] != ix.doc_lengths_[d]) {
      return Corrupt(absl::StrCat("length ", ix.doc_lengths_[d], " of doc ", d,
                                  " disagrees with its postings (", tf_sums[d], ")"),
                     r.position());
    }
  }
  ix.RebuildDerivedLocked();
  return index;
}

void InvertedIndex::RebuildDerivedLocked() {
  const size_t num_docs = external_ids_.size();
  removed_.assign(num_docs, 0);
  live_documents_ = static_cast<int64_t>(num_docs);
  live_total_length_ = 0;
  for (uint32_t len : doc_lengths_) live_total_length_ += len;
  live_terms_ = static_cast<int64_t>(terms_.size());
  // Forward index by counting sort over the postings.
  forward_offsets_.assign(num_docs + 1, 0);
  std::vector<uint32_t> docs;
  std::vector<uint32_t> tfs;
  for (TermPostings& tp : postings_) {
    tp.live_df = tp.sealed.size();
    tp.sealed.DecodeAll(&docs, &tfs);
    for (uint32_t d : docs) ++forward_offsets_[d + 1];
  }
  for (size_t d = 0; d < num_docs; ++d) forward_offsets_[d + 1] += forward_offsets_[d];
  forward_terms_.assign(forward_offsets_[num_docs], 0);
  std::vector<uint64_t> fill(forward_offsets_.begin(), forward_offsets_.end() - 1);
  for (uint32_t t = 0; t < postings_.size(); ++t) {
    postings_[t].sealed.DecodeAll(&docs, &tfs);
    for (uint32_t d : docs) forward_terms_[fill[d]++] = t;
  }
  dirty_terms_.clear();
  mutable_postings_ = 0;
}

absl::Status InvertedIndex::CheckInvariants() const {
  std::shared_lock<std::shared_mutex> lock = ReadLock();
  auto fail = [](auto&&... args) { return absl::InternalError(absl::StrCat(args...)); };
  const size_t num_docs = external_ids_.size();
  // 1.
  if (doc_lengths_.size() != num_docs || removed_.size() != num_docs ||
      forward_offsets_.size() != num_docs + 1 || forward_offsets_[0] != 0 ||
      forward_offsets_.back() != forward_terms_.size()) {
    return fail("document arrays disagree in size");
  }
  int64_t live = 0;
  int64_t live_length = 0;
  for (uint32_t d = 0; d < num_docs; ++d) {
    if (removed_[d]) continue;
    ++live;
    live_length += doc_lengths_[d];
    auto it = doc_index_.find(external_ids_[d]);
    if (it == doc_index_.end() || it->second != d) {
      return fail("doc_index_ misses live doc ", external_ids_[d]);
    }
  }
  if (static_cast<int64_t>(doc_index_.size()) != live) return fail("doc_index_ has extra ids");
  if (live != live_documents_ || live_length != live_total_length_) {
    return fail("live counters ", live_documents_, "/", live_total_length_, " != recomputed ",
                live, "/", live_length);
  }
  if (terms_.size() != postings_.size() || term_ids_.size() != terms_.size()) {
    return fail("term dictionary sizes disagree");
  }
  // 2-4.
  std::vector<uint64_t> tf_sums(num_docs, 0);
  std::vector<std::vector<uint32_t>> forward(num_docs);
  int64_t tail_total = 0;
  int64_t live_terms = 0;
  std::vector<uint32_t> docs;
  std::vector<uint32_t> tfs;
  std::vector<uint8_t> dirty(terms_.size(), 0);
  for (uint32_t t : dirty_terms_) {
    if (t >= terms_.size() || dirty[t]) return fail("dirty_terms_ corrupt");
    dirty[t] = 1;
  }
  for (uint32_t t = 0; t < terms_.size(); ++t) {
    auto it = term_ids_.find(terms_[t]);
    if (it == term_ids_.end() || it->second != t) return fail("term_ids_ misses ", terms_[t]);
    const TermPostings& tp = postings_[t];
    ri::PostingList copy;
    absl::Status s = ri::PostingList::FromParts(tp.sealed.size(), tp.sealed.blocks(),
                                                tp.sealed.data(), doc_lengths_, nullptr, &copy);
    if (!s.ok()) return fail("term ", terms_[t], ": ", s.message());
    tp.sealed.DecodeAll(&docs, &tfs);
    if (tp.tail_docs.size() != tp.tail_tfs.size()) return fail("tail sizes of ", terms_[t]);
    if (!tp.tail_docs.empty() != static_cast<bool>(dirty[t])) {
      return fail("dirty flag of ", terms_[t]);
    }
    uint32_t tail_max_tf = 0;
    uint32_t tail_min_len = UINT32_MAX;
    for (size_t i = 0; i < tp.tail_docs.size(); ++i) {
      tail_max_tf = std::max(tail_max_tf, tp.tail_tfs[i]);
      tail_min_len = std::min(tail_min_len, doc_lengths_[tp.tail_docs[i]]);
    }
    if (tail_max_tf != tp.tail_max_tf || tail_min_len != tp.tail_min_doc_length) {
      return fail("tail bounds of ", terms_[t]);
    }
    tail_total += static_cast<int64_t>(tp.tail_docs.size());
    docs.insert(docs.end(), tp.tail_docs.begin(), tp.tail_docs.end());
    tfs.insert(tfs.end(), tp.tail_tfs.begin(), tp.tail_tfs.end());
    uint32_t live_df = 0;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (docs[i] >= num_docs || (i > 0 && docs[i] <= docs[i - 1]) || tfs[i] == 0) {
        return fail("postings of ", terms_[t], " not strictly increasing or tf 0");
      }
      tf_sums[docs[i]] += tfs[i];
      forward[docs[i]].push_back(t);
      if (!removed_[docs[i]]) ++live_df;
    }
    if (live_df != tp.live_df) return fail("live_df of ", terms_[t]);
    if (live_df > 0) ++live_terms;
  }
  if (tail_total != mutable_postings_) return fail("mutable_postings_ ", mutable_postings_);
  if (live_terms != live_terms_) return fail("live_terms_ ", live_terms_);
  for (uint32_t d = 0; d < num_docs; ++d) {
    if (tf_sums[d] != doc_lengths_[d]) return fail("length of doc ", external_ids_[d]);
    std::vector<uint32_t> stored(forward_terms_.begin() + static_cast<int64_t>(forward_offsets_[d]),
                                 forward_terms_.begin() + static_cast<int64_t>(forward_offsets_[d + 1]));
    std::sort(stored.begin(), stored.end());
    if (stored != forward[d]) return fail("forward index of doc ", external_ids_[d]);
  }
  return absl::OkStatus();
}

}  // namespace llmds
