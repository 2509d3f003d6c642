// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/internal/analyzer_unicode.h"

#include <cstdint>

namespace llmds {
namespace retrieval_internal {
namespace {

struct Range {
  char32_t lo;
  char32_t hi;
};

// Non-ASCII code points that separate tokens: controls, spaces, punctuation and symbols.
// Sorted, disjoint.
constexpr Range kSeparators[] = {
    {0x0080, 0x00A9}, {0x00AB, 0x00B1}, {0x00B4, 0x00B4}, {0x00B6, 0x00B8},
    {0x00BB, 0x00BB}, {0x00BF, 0x00BF}, {0x00D7, 0x00D7}, {0x00F7, 0x00F7},
    {0x037E, 0x037E}, {0x0387, 0x0387}, {0x055A, 0x055F}, {0x0589, 0x058A},
    {0x05BE, 0x05BE}, {0x05C0, 0x05C0}, {0x05C3, 0x05C3}, {0x05C6, 0x05C6},
    {0x05F3, 0x05F4}, {0x0600, 0x060F}, {0x061B, 0x061F}, {0x066A, 0x066D},
    {0x06D4, 0x06D4}, {0x0964, 0x0965}, {0x0970, 0x0970}, {0x0E3F, 0x0E3F},
    {0x0E4F, 0x0E4F}, {0x0E5A, 0x0E5B}, {0x10FB, 0x10FB}, {0x1680, 0x1680},
    {0x180E, 0x180E}, {0x2000, 0x206F}, {0x20A0, 0x20CF}, {0x2100, 0x214F},
    {0x2190, 0x245F}, {0x2460, 0x24FF}, {0x2500, 0x2BFF}, {0x2E00, 0x2E7F},
    {0x2FF0, 0x2FFF}, {0x3000, 0x3004}, {0x3008, 0x3020}, {0x3030, 0x3030},
    {0x303D, 0x303F}, {0x30FB, 0x30FB}, {0xD800, 0xF8FF}, {0xFD3E, 0xFD3F},
    {0xFE10, 0xFE1F}, {0xFE30, 0xFE6F}, {0xFEFF, 0xFEFF}, {0xFF00, 0xFF0F},
    {0xFF1A, 0xFF20}, {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFF0, 0xFFFF},
    {0x1F000, 0x1FAFF}, {0xE0000, 0x10FFFF},
};

bool InRanges(char32_t c, const Range* begin, const Range* end) {
  // Binary search for the first range with hi >= c.
  while (begin < end) {
    const Range* mid = begin + (end - begin) / 2;
    if (mid->hi < c) {
      begin = mid + 1;
    } else {
      end = mid;
    }
  }
  return begin != std::end(kSeparators) && begin->lo <= c && c <= begin->hi;
}

}  // namespace

char32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const size_t n = text.size();
  size_t i = *pos;
  const uint8_t b0 = static_cast<uint8_t>(text[i]);
  if (b0 < 0x80) {
    *pos = i + 1;
    return b0;
  }
  int len;
  char32_t c;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    c = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    c = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    *pos = i + 1;
    return kReplacementChar;
  }
  ++i;
  for (int k = 1; k < len; ++k) {
    if (i >= n) {
      *pos = i;
      return kReplacementChar;
    }
    const uint8_t b = static_cast<uint8_t>(text[i]);
    const uint8_t min = k == 1 ? lo : 0x80;
    const uint8_t max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) {
      *pos = i;  // the maximal subpart ends before this byte
      return kReplacementChar;
    }
    c = (c << 6) | (b & 0x3F);
    ++i;
  }
  *pos = i;
  return c;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacementChar;
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool IsWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  return !InRanges(c, std::begin(kSeparators), std::end(kSeparators));
}

bool IsSingleCharToken(char32_t c) {
  return (c >= 0x3040 && c <= 0x309F) ||   // Hiragana
         (c >= 0x3005 && c <= 0x3007) ||   // ideographic iteration mark, closing mark, zero
         (c >= 0x3400 && c <= 0x4DBF) ||   // CJK Extension A
         (c >= 0x4E00 && c <= 0x9FFF) ||   // CJK Unified Ideographs
         (c >= 0xF900 && c <= 0xFAFF) ||   // CJK Compatibility Ideographs
         (c >= 0x20000 && c <= 0x3FFFF);   // CJK Extensions B..
}

bool IsApostrophe(char32_t c) { return c == 0x27 || c == 0x2019 || c == 0xFF07; }

char32_t FoldCase(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c < 0x100) return (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 32 : c;
  if (c < 0x180) {
    if (c <= 0x12F) return (c % 2 == 0) ? c + 1 : c;
    if (c == 0x130) return 'i';
    if (c >= 0x132 && c <= 0x137) return (c % 2 == 0) ? c + 1 : c;
    if (c >= 0x139 && c <= 0x148) return (c % 2 == 1) ? c + 1 : c;
    if (c >= 0x14A && c <= 0x177) return (c % 2 == 0) ? c + 1 : c;
    if (c == 0x178) return 0xFF;
    if (c >= 0x179 && c <= 0x17E) return (c % 2 == 1) ? c + 1 : c;
    if (c == 0x17F) return 's';
    return c;
  }
  if (c >= 0x370 && c < 0x400) {
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 63;
    if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) return c + 32;
    if (c == 0x3C2) return 0x3C3;
    return c;
  }
  if (c >= 0x400 && c < 0x530) {
    if (c <= 0x40F) return c + 80;
    if (c <= 0x42F) return c + 32;
    if (c >= 0x460 && c <= 0x481) return (c % 2 == 0) ? c + 1 : c;
    if (c >= 0x48A && c <= 0x4BF) return (c % 2 == 0) ? c + 1 : c;
    if (c == 0x4C0) return 0x4CF;
    if (c >= 0x4C1 && c <= 0x4CE) return (c % 2 == 1) ? c + 1 : c;
    if (c >= 0x4D0 && c <= 0x52F) return (c % 2 == 0) ? c + 1 : c;
    return c;
  }
  if (c >= 0x531 && c <= 0x556) return c + 48;
  if (c >= 0x1E00 && c <= 0x1EFF) {
    if (c <= 0x1E95) return (c % 2 == 0) ? c + 1 : c;
    if (c == 0x1E9E) return 0xDF;
    if (c >= 0x1EA0) return (c % 2 == 0) ? c + 1 : c;
    return c;
  }
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
  return c;
}

}  // namespace retrieval_internal
}  // namespace llmds
