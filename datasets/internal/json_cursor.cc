// Copyright 2026 The llmds Authors.

#include "llmds/datasets/internal/json_cursor.h"

#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace llmds {
namespace datasets_internal {
namespace {

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

constexpr uint32_t kReplacement = 0xFFFD;

}  // namespace

void JsonCursor::SkipSpace() {
  while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                 text_[pos_] == '\r' || text_[pos_] == '\n')) {
    ++pos_;
  }
}

bool JsonCursor::AtEnd() {
  SkipSpace();
  return pos_ >= text_.size();
}

bool JsonCursor::Consume(char c) {
  SkipSpace();
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return false;
}

char JsonCursor::Peek() {
  SkipSpace();
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

bool JsonCursor::ReadHex4(uint32_t* out) {
  if (text_.size() - pos_ < 4) return false;
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = text_[pos_ + i];
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      value |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      value |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  pos_ += 4;
  *out = value;
  return true;
}

bool JsonCursor::ReadString(std::string* out) {
  if (!Consume('"')) return false;
  out->clear();
  while (pos_ < text_.size()) {
    const char c = text_[pos_++];
    if (c == '"') return true;
    if (static_cast<unsigned char>(c) < 0x20) return false;  // raw control characters
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (pos_ >= text_.size()) return false;
    const char escape = text_[pos_++];
    switch (escape) {
      case '"':
      case '\\':
      case '/':
        out->push_back(escape);
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        uint32_t unit;
        if (!ReadHex4(&unit)) return false;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          uint32_t low;
          if (text_.substr(pos_, 2) == "\\u" && (pos_ += 2, ReadHex4(&low)) && low >= 0xDC00 &&
              low <= 0xDFFF) {
            AppendUtf8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), out);
          } else {
            AppendUtf8(kReplacement, out);
          }
        } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
          AppendUtf8(kReplacement, out);
        } else {
          AppendUtf8(unit, out);
        }
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

bool JsonCursor::ReadInt(int64_t* out) {
  SkipSpace();
  const size_t start = pos_;
  while (pos_ < text_.size() &&
         (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-' ||
          text_[pos_] == '+' || text_[pos_] == '.' || text_[pos_] == 'e' ||
          text_[pos_] == 'E')) {
    ++pos_;
  }
  const absl::string_view token(text_.data() + start, pos_ - start);
  if (token.empty()) return false;
  if (absl::SimpleAtoi(token, out)) return true;
  double value;
  if (!absl::SimpleAtod(token, &value) || !(value >= -9.2e18 && value <= 9.2e18) ||
      value != static_cast<double>(static_cast<int64_t>(value))) {
    return false;
  }
  *out = static_cast<int64_t>(value);
  return true;
}

bool JsonCursor::ReadIntArray(std::vector<int64_t>* out) {
  if (!Consume('[')) return false;
  out->clear();
  if (Consume(']')) return true;
  while (true) {
    int64_t value;
    if (!ReadInt(&value)) return false;
    out->push_back(value);
    if (Consume(']')) return true;
    if (!Consume(',')) return false;
  }
}

bool JsonCursor::SkipValue(int depth) {
  if (depth > 64) return false;
  const char c = Peek();
  if (c == '"') {
    std::string ignored;
    return ReadString(&ignored);
  }
  if (c == '[' || c == '{') {
    const char close = c == '[' ? ']' : '}';
    Consume(c);
    if (Consume(close)) return true;
    while (true) {
      if (c == '{') {
        std::string key;
        if (!ReadString(&key) || !Consume(':')) return false;
      }
      if (!SkipValue(depth + 1)) return false;
      if (Consume(close)) return true;
      if (!Consume(',')) return false;
    }
  }
  for (std::string_view literal : {"true", "false", "null"}) {
    if (text_.substr(pos_, literal.size()) == literal) {
      pos_ += literal.size();
      return true;
    }
  }
  int64_t number;
  return ReadInt(&number);
}

}  // namespace datasets_internal
}  // namespace llmds
