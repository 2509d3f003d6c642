// Copyright 2026 The llmds Authors.
//
// Unicode machinery of the analyzer: a UTF-8 decoder that never reads out of bounds and maps
// ill-formed input to U+FFFD, word-character classification by block tables, and simple case
// folding for the scripts listed in llmds/retrieval/analyzer.h. No dependency on ICU.

#ifndef LLMDS_RETRIEVAL_INTERNAL_ANALYZER_UNICODE_H_
#define LLMDS_RETRIEVAL_INTERNAL_ANALYZER_UNICODE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace llmds {
namespace retrieval_internal {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point starting at `*pos` of `text` and advances `*pos` past it.
// REQUIRES: *pos < text.size().
// Ill-formed input (bad lead byte, truncated or overlong sequence, surrogate, > U+10FFFF)
// yields kReplacementChar and consumes the maximal ill-formed subpart (at least one byte).
char32_t DecodeUtf8(std::string_view text, size_t* pos);

// Appends the UTF-8 encoding of `c` (a scalar value; others encode as U+FFFD).
void AppendUtf8(char32_t c, std::string* out);

// True for characters that belong inside a token: letters, marks and digits of any script.
bool IsWordChar(char32_t c);

// True for ideographic characters that form a token on their own (Han, Hiragana).
bool IsSingleCharToken(char32_t c);

// True for the apostrophes kept between word characters: U+0027, U+2019, U+FF07.
bool IsApostrophe(char32_t c);

// Simple case folding for ASCII, Latin-1, Latin Extended-A, Latin Extended Additional, Greek,
// Cyrillic, Armenian and fullwidth Latin; identity elsewhere.
char32_t FoldCase(char32_t c);

}  // namespace retrieval_internal
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_INTERNAL_ANALYZER_UNICODE_H_
