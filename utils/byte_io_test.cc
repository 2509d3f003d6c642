// Copyright 2026 The llmds Authors.

#include "llmds/utils/byte_io.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace llmds {
namespace {

// Writes one value of every kind; ReadAll reads them back in the same order.
std::string WriteAll() {
  std::string out;
  ByteWriter w(&out);
  w.PutU8(0xAB);
  w.PutU16(0xBEEF);
  w.PutU32(0xDEADBEEF);
  w.PutU64(0x0123456789ABCDEFull);
  w.PutI8(-5);
  w.PutI16(-12345);
  w.PutI32(std::numeric_limits<int32_t>::min());
  w.PutI64(-1);
  w.PutF32(-1.5f);
  w.PutF64(3.141592653589793);
  w.PutBytes32("hello");
  w.PutBytes64("");
  w.PutBytes64(std::string_view("a\0b", 3));
  w.PutRaw("xyz", 3);
  return out;
}

// Returns true iff every field of WriteAll() decodes, with the right values.
bool ReadAll(std::string_view bytes, bool check_values) {
  ByteReader r(bytes);
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
  std::string_view s1, s2, s3, raw;
  if (!r.GetU8(&u8) || !r.GetU16(&u16) || !r.GetU32(&u32) || !r.GetU64(&u64) ||
      !r.GetI8(&i8) || !r.GetI16(&i16) || !r.GetI32(&i32) || !r.GetI64(&i64) ||
      !r.GetF32(&f32) || !r.GetF64(&f64) || !r.GetBytes32(&s1) || !r.GetBytes64(&s2) ||
      !r.GetBytes64(&s3) || !r.GetRaw(3, &raw)) {
    return false;
  }
  if (check_values) {
    EXPECT_EQ(u8, 0xAB);
    EXPECT_EQ(u16, 0xBEEF);
    EXPECT_EQ(u32, 0xDEADBEEFu);
    EXPECT_EQ(u64, 0x0123456789ABCDEFull);
    EXPECT_EQ(i8, -5);
    EXPECT_EQ(i16, -12345);
    EXPECT_EQ(i32, std::numeric_limits<int32_t>::min());
    EXPECT_EQ(i64, -1);
    EXPECT_EQ(f32, -1.5f);
    EXPECT_EQ(f64, 3.141592653589793);
    EXPECT_EQ(s1, "hello");
    EXPECT_EQ(s2, "");
    EXPECT_EQ(s3, std::string_view("a\0b", 3));
    EXPECT_EQ(raw, "xyz");
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.position(), bytes.size());
  }
  return true;
}

TEST(ByteIoTest, RoundTripsEveryType) {
  const std::string bytes = WriteAll();
  EXPECT_EQ(bytes.size(), 1 + 2 + 4 + 8 + 1 + 2 + 4 + 8 + 4 + 8 + (4 + 5) + 8 + (8 + 3) + 3);
  EXPECT_TRUE(ReadAll(bytes, /*check_values=*/true));
}

TEST(ByteIoTest, EncodingIsLittleEndian) {
  std::string out;
  ByteWriter w(&out);
  w.PutU32(0x04030201u);
  w.PutU16(0x0605);
  w.PutI32(-2);
  w.PutF32(1.0f);  // 0x3F800000
  w.PutF64(-2.0);  // 0xC000000000000000
  const std::string expected(
      "\x01\x02\x03\x04"
      "\x05\x06"
      "\xFE\xFF\xFF\xFF"
      "\x00\x00\x80\x3F"
      "\x00\x00\x00\x00\x00\x00\x00\xC0",
      4 + 2 + 4 + 4 + 8);
  EXPECT_EQ(out, expected);
}

TEST(ByteIoTest, Bytes32AndBytes64Layout) {
  std::string out;
  ByteWriter w(&out);
  w.PutBytes32("ab");
  w.PutBytes64("c");
  EXPECT_EQ(out, std::string("\x02\x00\x00\x00"
                             "ab"
                             "\x01\x00\x00\x00\x00\x00\x00\x00"
                             "c",
                             4 + 2 + 8 + 1));
}

TEST(ByteIoTest, WriterAppendsToExistingContent) {
  std::string out = "pre";
  ByteWriter w(&out);
  EXPECT_EQ(w.size(), 3u);
  w.PutU8(7);
  EXPECT_EQ(out, std::string("pre\x07", 4));
  EXPECT_EQ(w.size(), 4u);
}

TEST(ByteIoTest, TemplatedPutGetMatchNamedOnes) {
  std::string a, b;
  ByteWriter wa(&a), wb(&b);
  wa.Put<uint32_t>(77);
  wa.Put<double>(0.25);
  wa.Put<int64_t>(-9);
  wb.PutU32(77);
  wb.PutF64(0.25);
  wb.PutI64(-9);
  EXPECT_EQ(a, b);
  ByteReader r(a);
  uint32_t u;
  double d;
  int64_t i;
  ASSERT_TRUE(r.Get(&u) && r.Get(&d) && r.Get(&i));
  EXPECT_EQ(u, 77u);
  EXPECT_EQ(d, 0.25);
  EXPECT_EQ(i, -9);
}

TEST(ByteIoTest, FloatBitPatternsSurvive) {
  const float values32[] = {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::quiet_NaN()};
  const double values64[] = {0.0, -0.0, -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::quiet_NaN()};
  std::string out;
  ByteWriter w(&out);
  for (float f : values32) w.PutF32(f);
  for (double d : values64) w.PutF64(d);
  ByteReader r(out);
  for (float f : values32) {
    float got;
    ASSERT_TRUE(r.GetF32(&got));
    EXPECT_EQ(std::memcmp(&got, &f, sizeof(f)), 0);
  }
  for (double d : values64) {
    double got;
    ASSERT_TRUE(r.GetF64(&got));
    EXPECT_EQ(std::memcmp(&got, &d, sizeof(d)), 0);
  }
  EXPECT_TRUE(r.empty());
}

TEST(ByteIoTest, RandomRoundTrip) {
  std::mt19937_64 rng(42);
  std::string out;
  ByteWriter w(&out);
  std::vector<uint64_t> values;
  for (int i = 0; i < 10000; ++i) values.push_back(rng());
  for (size_t i = 0; i < values.size(); ++i) {
    switch (i % 4) {
      case 0: w.PutU8(static_cast<uint8_t>(values[i])); break;
      case 1: w.PutU16(static_cast<uint16_t>(values[i])); break;
      case 2: w.PutU32(static_cast<uint32_t>(values[i])); break;
      default: w.PutU64(values[i]); break;
    }
  }
  ByteReader r(out);
  for (size_t i = 0; i < values.size(); ++i) {
    uint64_t got = 0;
    uint64_t expected = values[i];
    bool ok = false;
    switch (i % 4) {
      case 0: {
        uint8_t v = 0;
        ok = r.GetU8(&v);
        got = v;
        expected = static_cast<uint8_t>(values[i]);
        break;
      }
      case 1: {
        uint16_t v = 0;
        ok = r.GetU16(&v);
        got = v;
        expected = static_cast<uint16_t>(values[i]);
        break;
      }
      case 2: {
        uint32_t v = 0;
        ok = r.GetU32(&v);
        got = v;
        expected = static_cast<uint32_t>(values[i]);
        break;
      }
      default:
        ok = r.GetU64(&got);
        break;
    }
    ASSERT_EQ(got, expected) << i;
    ASSERT_TRUE(ok) << i;
  }
  EXPECT_TRUE(r.empty());
}

TEST(ByteIoTest, EveryTruncationFails) {
  const std::string bytes = WriteAll();
  for (size_t n = 0; n < bytes.size(); ++n) {
    // A fresh heap copy of exactly n bytes, so ASan flags any read past the end.
    const std::string truncated = bytes.substr(0, n);
    EXPECT_FALSE(ReadAll(truncated, /*check_values=*/false)) << "prefix of " << n << " bytes";
  }
  EXPECT_TRUE(ReadAll(bytes, /*check_values=*/false));
}

TEST(ByteIoTest, FailedGetChangesNothing) {
  const std::string bytes("\x01\x02\x03", 3);
  ByteReader r(bytes);
  uint32_t u32 = 99;
  EXPECT_FALSE(r.GetU32(&u32));
  EXPECT_EQ(u32, 99u);
  EXPECT_EQ(r.position(), 0u);
  EXPECT_EQ(r.remaining(), 3u);
  uint64_t u64 = 5;
  EXPECT_FALSE(r.GetU64(&u64));
  EXPECT_EQ(u64, 5u);
  double d = 1.0;
  EXPECT_FALSE(r.GetF64(&d));
  EXPECT_EQ(d, 1.0);
  std::string_view view = "untouched";
  EXPECT_FALSE(r.GetRaw(4, &view));
  EXPECT_EQ(view, "untouched");
  char buf[4] = {'a', 'b', 'c', 'd'};
  EXPECT_FALSE(r.GetRaw(buf, 4));
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_FALSE(r.Skip(4));
  EXPECT_EQ(r.position(), 0u);
  // The reader still works after failures.
  uint16_t u16;
  ASSERT_TRUE(r.GetU16(&u16));
  EXPECT_EQ(u16, 0x0201);
  EXPECT_EQ(r.position(), 2u);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.GetU16(&u16));
  EXPECT_EQ(u16, 0x0201);
  EXPECT_TRUE(r.Skip(1));
  EXPECT_TRUE(r.empty());
  uint8_t u8 = 3;
  EXPECT_FALSE(r.GetU8(&u8));
  EXPECT_EQ(u8, 3);
  EXPECT_TRUE(r.Skip(0));
  EXPECT_TRUE(r.GetRaw(0, &view));
  EXPECT_EQ(view, "");
}

TEST(ByteIoTest, LengthPrefixLargerThanRemainingFails) {
  for (uint64_t claimed : {uint64_t{4}, uint64_t{5}, uint64_t{1} << 31, uint64_t{0xFFFFFFFF},
                           uint64_t{1} << 40, std::numeric_limits<uint64_t>::max()}) {
    // Three payload bytes follow the prefix.
    std::string b32, b64;
    ByteWriter w32(&b32), w64(&b64);
    if (claimed <= 0xFFFFFFFFu) {
      w32.PutU32(static_cast<uint32_t>(claimed));
      w32.PutRaw("abc", 3);
      ByteReader r(b32);
      std::string_view out = "untouched";
      EXPECT_FALSE(r.GetBytes32(&out)) << claimed;
      EXPECT_EQ(out, "untouched");
      EXPECT_EQ(r.position(), 0u) << "a failed length-prefixed read must not consume the prefix";
    }
    w64.PutU64(claimed);
    w64.PutRaw("abc", 3);
    ByteReader r(b64);
    std::string_view out = "untouched";
    EXPECT_FALSE(r.GetBytes64(&out)) << claimed;
    EXPECT_EQ(out, "untouched");
    EXPECT_EQ(r.position(), 0u);
  }
  // Exactly the remaining bytes succeeds.
  std::string b;
  ByteWriter w(&b);
  w.PutU64(3);
  w.PutRaw("abc", 3);
  ByteReader r(b);
  std::string_view out;
  ASSERT_TRUE(r.GetBytes64(&out));
  EXPECT_EQ(out, "abc");
  EXPECT_TRUE(r.empty());
}

TEST(ByteIoTest, PaddingRoundTripAndValidation) {
  std::string out;
  ByteWriter w(&out);
  w.PutU8(1);
  w.PadTo(8);
  EXPECT_EQ(out.size(), 8u);
  w.PadTo(8);  // already aligned: no-op
  EXPECT_EQ(out.size(), 8u);
  w.PutU32(2);
  ByteReader r(out);
  uint8_t u8;
  ASSERT_TRUE(r.GetU8(&u8));
  ASSERT_TRUE(r.SkipZeroPaddingTo(8));
  EXPECT_EQ(r.position(), 8u);
  EXPECT_TRUE(r.SkipZeroPaddingTo(8));
  uint32_t u32;
  ASSERT_TRUE(r.GetU32(&u32));
  EXPECT_EQ(u32, 2u);

  std::string dirty = out;
  dirty[5] = 'x';
  ByteReader bad(dirty);
  ASSERT_TRUE(bad.GetU8(&u8));
  EXPECT_FALSE(bad.SkipZeroPaddingTo(8));
  EXPECT_EQ(bad.position(), 1u);

  ByteReader short_input(std::string_view(out.data(), 4));
  ASSERT_TRUE(short_input.GetU8(&u8));
  EXPECT_FALSE(short_input.SkipZeroPaddingTo(8));
  EXPECT_EQ(short_input.position(), 1u);
}

TEST(ByteIoTest, EmptyInput) {
  ByteReader r(std::string_view{});
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.position(), 0u);
  uint8_t u8;
  std::string_view view;
  EXPECT_FALSE(r.GetU8(&u8));
  EXPECT_FALSE(r.GetBytes32(&view));
  EXPECT_FALSE(r.GetBytes64(&view));
  EXPECT_TRUE(r.GetRaw(0, &view));
  EXPECT_TRUE(r.SkipZeroPaddingTo(8));
}

}  // namespace
}  // namespace llmds
