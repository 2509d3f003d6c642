// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/analyzer.h"

#include <libstemmer.h>
#include <xxhash.h>

#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "llmds/retrieval/internal/analyzer_unicode.h"

namespace llmds {

namespace ri = retrieval_internal;

namespace {

// Words cached per stemmer before the cache is cleared (bounds memory on unbounded input).
constexpr size_t kMaxStemCacheEntries = 1 << 16;

struct StemmerDeleter {
  void operator()(sb_stemmer* stemmer) const { sb_stemmer_delete(stemmer); }
};

// One libstemmer instance (not thread-safe) with a cache of recent words.
struct StemmerSlot {
  std::unique_ptr<sb_stemmer, StemmerDeleter> stemmer;
  absl::flat_hash_map<std::string, std::string> cache;
};

std::unique_ptr<StemmerSlot> NewStemmerSlot() {
  auto slot = std::make_unique<StemmerSlot>();
  slot->stemmer.reset(sb_stemmer_new("english", "UTF_8"));
  if (slot->stemmer == nullptr) return nullptr;
  return slot;
}

// Applies case folding (if asked) to every character of `word`; ill-formed bytes become U+FFFD.
std::string FoldWord(std::string_view word, bool lowercase) {
  std::string out;
  size_t pos = 0;
  while (pos < word.size()) {
    char32_t c = ri::DecodeUtf8(word, &pos);
    ri::AppendUtf8(lowercase ? ri::FoldCase(c) : c, &out);
  }
  return out;
}

// Truncates `token` to at most `max_bytes` without splitting a UTF-8 sequence.
void TruncateToken(std::string* token, size_t max_bytes) {
  if (token->size() <= max_bytes) return;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<uint8_t>((*token)[cut]) & 0xC0) == 0x80) --cut;
  token->resize(cut);
}

}  // namespace

struct Analyzer::Shared {
  absl::flat_hash_set<std::string> stopwords;
  std::mutex mutex;
  // Stemmers not currently borrowed by an AnalyzeInto call.
  std::vector<std::unique_ptr<StemmerSlot>> free_stemmers;  // guarded by mutex

  std::unique_ptr<StemmerSlot> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!free_stemmers.empty()) {
        std::unique_ptr<StemmerSlot> slot = std::move(free_stemmers.back());
        free_stemmers.pop_back();
        return slot;
      }
    }
    return NewStemmerSlot();
  }
  void Release(std::unique_ptr<StemmerSlot> slot) {
    if (slot == nullptr) return;
    std::lock_guard<std::mutex> lock(mutex);
    free_stemmers.push_back(std::move(slot));
  }
};

const std::vector<std::string>& DefaultEnglishStopwords() {
  static const auto* const kWords = new std::vector<std::string>{
      "a",    "an",   "and",   "are",  "as",    "at",   "be",    "but",   "by",
      "for",  "if",   "in",    "into", "is",    "it",   "no",    "not",   "of",
      "on",   "or",   "such",  "that", "the",   "their", "then", "there", "these",
      "they", "this", "to",    "was",  "will",  "with"};
  return *kWords;
}

uint64_t HashTerm(std::string_view term) { return XXH3_64bits(term.data(), term.size()); }

absl::StatusOr<Analyzer> Analyzer::Create(const AnalyzerOptions& options) {
  if (options.max_token_bytes < 4 || options.max_token_bytes > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AnalyzerOptions.max_token_bytes must be in [4, 65535], got ", options.max_token_bytes));
  }
  auto shared = std::make_unique<Shared>();
  if (options.remove_stopwords) {
    const std::vector<std::string>& words =
        options.stopwords.empty() ? DefaultEnglishStopwords() : options.stopwords;
    for (size_t i = 0; i < words.size(); ++i) {
      if (words[i].empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("AnalyzerOptions.stopwords[", i, "] is empty"));
      }
      shared->stopwords.insert(FoldWord(words[i], options.lowercase));
    }
  }
  if (options.stem) {
    std::unique_ptr<StemmerSlot> slot = NewStemmerSlot();
    if (slot == nullptr) {
      return absl::InternalError("libstemmer has no \"english\" stemmer for UTF_8");
    }
    shared->free_stemmers.push_back(std::move(slot));
  }
  return Analyzer(options, std::move(shared));
}

Analyzer::Analyzer(AnalyzerOptions options, std::unique_ptr<Shared> shared)
    : options_(std::move(options)), shared_(std::move(shared)) {}
Analyzer::Analyzer(Analyzer&&) noexcept = default;
Analyzer& Analyzer::operator=(Analyzer&&) noexcept = default;
Analyzer::~Analyzer() = default;

std::vector<std::string> Analyzer::Analyze(std::string_view text) const {
  std::vector<std::string> terms;
  AnalyzeInto(text, &terms);
  return terms;
}

void Analyzer::AnalyzeInto(std::string_view text, std::vector<std::string>* terms) const {
  std::unique_ptr<StemmerSlot> stemmer;
  if (options_.stem) stemmer = shared_->Acquire();

  std::string token;
  auto flush = [&]() {
    if (token.empty()) return;
    if (options_.strip_possessives && token.size() >= 2 && token[token.size() - 2] == '\'' &&
        (token.back() == 's' || token.back() == 'S')) {
      token.resize(token.size() - 2);
    }
    TruncateToken(&token, static_cast<size_t>(options_.max_token_bytes));
    if (token.empty() || (options_.remove_stopwords && shared_->stopwords.contains(token))) {
      token.clear();
      return;
    }
    if (stemmer != nullptr) {
      auto it = stemmer->cache.find(token);
      if (it != stemmer->cache.end()) {
        terms->push_back(it->second);
      } else {
        const sb_symbol* stem =
            sb_stemmer_stem(stemmer->stemmer.get(), reinterpret_cast<const sb_symbol*>(token.data()),
                            static_cast<int>(token.size()));
        std::string stemmed =
            stem == nullptr  // out of memory inside libstemmer: keep the word unstemmed
                ? token
                : std::string(reinterpret_cast<const char*>(stem),
                              static_cast<size_t>(sb_stemmer_length(stemmer->stemmer.get())));
        if (stemmed.empty()) stemmed = token;
        if (stemmer->cache.size() >= kMaxStemCacheEntries) stemmer->cache.clear();
        stemmer->cache.emplace(token, stemmed);
        terms->push_back(std::move(stemmed));
      }
    } else {
      terms->push_back(token);
    }
    token.clear();
  };

  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    const char32_t c = ri::DecodeUtf8(text, &pos);
    if (ri::IsSingleCharToken(c)) {
      flush();
      ri::AppendUtf8(c, &token);
      flush();
    } else if (ri::IsWordChar(c)) {
      ri::AppendUtf8(options_.lowercase ? ri::FoldCase(c) : c, &token);
    } else if (ri::IsApostrophe(c) && !token.empty() && pos < n) {
      size_t next_pos = pos;
      const char32_t next = ri::DecodeUtf8(text, &next_pos);
      if (ri::IsWordChar(next) && !ri::IsSingleCharToken(next)) {
        token.push_back('\'');  // all apostrophes normalize to U+0027
      } else {
        flush();
      }
    } else {
      flush();
    }
  }
  flush();
  if (stemmer != nullptr) shared_->Release(std::move(stemmer));
}

}  // namespace llmds
