// Copyright 2026 The llmds Authors.
//
// Analyzer turns UTF-8 text into the index terms of the BM25 inverted index. It is the lexical
// front end shared by documents and queries, so both sides always agree on what a term is.
//
// Pipeline, in order (each stage an option, defaults as in Lucene's EnglishAnalyzer):
//   1. UTF-8 decoding. Each maximal ill-formed subsequence (Unicode 15, section 3.9, "U+FFFD
//      substitution of maximal subparts") decodes to U+FFFD, which is a separator. Nothing is
//      ever read past the input and no input is undefined behaviour.
//   2. Tokenization. A token is a maximal run of word characters: letters, marks and digits of
//      any script (everything that is not whitespace, control, punctuation or a symbol by the
//      block tables in analyzer.cc). An apostrophe (U+0027, U+2019, U+FF07) between two word
//      characters stays inside the token ("o'neil", "john's"). Han ideographs and Hiragana are
//      one token per character (as Lucene's StandardTokenizer does), since those scripts do not
//      separate words with spaces. Non-ASCII text is never silently dropped.
//   3. Lowercasing (`lowercase`, default true): simple case folding of ASCII, Latin-1,
//      Latin Extended-A, Latin Extended Additional, Greek (final sigma folds to sigma),
//      Cyrillic, Armenian and fullwidth Latin. Characters outside these blocks are kept as is.
//   4. English possessive stripping (`strip_possessives`, default true): a trailing "'s"
//      (any of the three apostrophes) is removed.
//   5. Truncation to `max_token_bytes` (default 255) at a character boundary.
//   6. Stopword removal (`remove_stopwords`, default true): tokens in `stopwords` are dropped;
//      an empty `stopwords` means DefaultEnglishStopwords() (Lucene's 33-word English set).
//   7. Stemming (`stem`, default true): Snowball English ("english" in libstemmer, Porter2).
//
// Cost: linear in the input; stemming dominates (a per-stemmer cache of recent words helps on
// real text).
//
// Example:
//   absl::StatusOr<Analyzer> analyzer = Analyzer::Create(AnalyzerOptions{});
//   std::vector<std::string> terms = analyzer->Analyze("The Cats' owner's ΣΟΦΊΑ");
//   // {"cat", "owner", "σοφία"}
//
// Analyzer is thread-safe: Analyze may be called concurrently (libstemmer's stemmers are not
// thread-safe, so each call borrows a private stemmer from an internal pool).

#ifndef LLMDS_RETRIEVAL_ANALYZER_H_
#define LLMDS_RETRIEVAL_ANALYZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace llmds {

struct AnalyzerOptions {
  // Simple case folding (see above). Default: true.
  bool lowercase = true;
  // Removes a trailing "'s". Default: true.
  bool strip_possessives = true;
  // Drops stopwords (compared after lowercasing and possessive stripping, before stemming).
  // Default: true.
  bool remove_stopwords = true;
  // The stopword list; empty means DefaultEnglishStopwords(). Each entry must be non-empty
  // valid UTF-8. Default: empty.
  std::vector<std::string> stopwords;
  // Snowball English stemming. Default: true.
  bool stem = true;
  // Longer tokens are truncated to this many bytes (never splitting a character).
  // Must be in [4, 65535]. Default: 255.
  int32_t max_token_bytes = 255;
};

// Returns Lucene's English stopword set (33 words: "a", "an", "and", ...).
const std::vector<std::string>& DefaultEnglishStopwords();

// Returns the xxHash (XXH3, 64 bits, seed 0) of a term; the inverted index's term dictionary
// hashes with it.
uint64_t HashTerm(std::string_view term);

class Analyzer {
 public:
  // Validates `options` (InvalidArgument naming the bad field) and creates the stemmer
  // (Internal if libstemmer lacks "english").
  static absl::StatusOr<Analyzer> Create(const AnalyzerOptions& options);

  Analyzer(Analyzer&&) noexcept;
  Analyzer& operator=(Analyzer&&) noexcept;
  ~Analyzer();

  // Returns the terms of `text` in order, duplicates kept. Never fails: any byte string is
  // accepted (see the UTF-8 rules above).
  std::vector<std::string> Analyze(std::string_view text) const;
  // Same, appending to `*terms`.
  void AnalyzeInto(std::string_view text, std::vector<std::string>* terms) const;

  const AnalyzerOptions& options() const { return options_; }

 private:
  struct Shared;
  Analyzer(AnalyzerOptions options, std::unique_ptr<Shared> shared);

  AnalyzerOptions options_;
  std::unique_ptr<Shared> shared_;  // stopword set and stemmer pool
};

}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_ANALYZER_H_
