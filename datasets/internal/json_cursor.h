// Copyright 2026 The llmds Authors.
//
// A cursor over one line of JSON, for the line-oriented formats llmds reads (JSONL corpora,
// Mooncake traces). It reads objects key by key without building a document tree: strings
// (with every JSON escape, \uXXXX and surrogate pairs decoded to UTF-8), integers, arrays of
// integers, and skips any other value. Every read returns false on malformed input and never
// reads past the end of the text.

#ifndef LLMDS_DATASETS_INTERNAL_JSON_CURSOR_H_
#define LLMDS_DATASETS_INTERNAL_JSON_CURSOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmds {
namespace datasets_internal {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  // Skips whitespace; returns whether only whitespace remains.
  bool AtEnd();
  // Consumes `c` (after whitespace) if it is next.
  bool Consume(char c);
  // Returns the next non-whitespace character, or '\0' at the end.
  char Peek();

  // Reads a JSON string, decoding escapes into UTF-8. Lone surrogates become U+FFFD.
  bool ReadString(std::string* out);
  // Reads an integer; a number with a fraction or exponent is accepted only if integral.
  bool ReadInt(int64_t* out);
  bool ReadIntArray(std::vector<int64_t>* out);
  // Skips any JSON value (nesting depth at most 64).
  bool SkipValue(int depth = 0);

 private:
  void SkipSpace();
  bool ReadHex4(uint32_t* out);

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace datasets_internal
}  // namespace llmds

#endif  // LLMDS_DATASETS_INTERNAL_JSON_CURSOR_H_
