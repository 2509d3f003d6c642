// Copyright 2026 The llmds Authors.
//
// Fuzz target for ByteReader/ByteWriter. The input is read as a stream of (opcode, operand)
// records: each opcode byte selects a Get, which reads its operand from the bytes that follow.
// Every successfully decoded value is re-encoded with ByteWriter; every failed Get must have
// consumed nothing and must be explained by a short input, after which one byte is skipped and
// re-emitted verbatim. Hence the re-encoded stream must equal the consumed input prefix byte for
// byte at all times, and the reader must end exactly at the end of the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "llmds/utils/byte_io.h"

namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "byte_io_fuzzer: violated: %s\n", what);
    std::abort();
  }
}

template <typename T>
bool Scalar(llmds::ByteReader& r, llmds::ByteWriter& w) {
  T value{};
  const size_t before = r.position();
  const size_t remaining = r.remaining();
  if (!r.Get(&value)) {
    Require(remaining < sizeof(T), "scalar Get failed with enough bytes left");
    Require(r.position() == before, "failed scalar Get moved the position");
    return false;
  }
  Require(r.position() == before + sizeof(T), "scalar Get consumed the wrong size");
  w.Put(value);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  llmds::ByteReader r(input);
  std::string echo;
  llmds::ByteWriter w(&echo);
  while (!r.empty()) {
    uint8_t op;
    Require(r.GetU8(&op), "GetU8 failed on non-empty input");
    w.PutU8(op);
    const size_t before = r.position();
    const size_t remaining = r.remaining();
    bool ok = false;
    switch (op % 14) {
      case 0: ok = Scalar<uint8_t>(r, w); break;
      case 1: ok = Scalar<uint16_t>(r, w); break;
      case 2: ok = Scalar<uint32_t>(r, w); break;
      case 3: ok = Scalar<uint64_t>(r, w); break;
      case 4: ok = Scalar<int32_t>(r, w); break;
      case 5: ok = Scalar<int64_t>(r, w); break;
      case 6: ok = Scalar<float>(r, w); break;
      case 7: ok = Scalar<double>(r, w); break;
      case 8: {
        std::string_view s;
        ok = r.GetBytes32(&s);
        if (ok) {
          w.PutBytes32(s);
        } else {
          Require(r.position() == before, "failed GetBytes32 moved the position");
        }
        break;
      }
      case 9: {
        std::string_view s;
        ok = r.GetBytes64(&s);
        if (ok) {
          w.PutBytes64(s);
        } else {
          Require(r.position() == before, "failed GetBytes64 moved the position");
        }
        break;
      }
      case 10: {  // a raw view whose length is the opcode's high bits
        const size_t n = op >> 4;
        std::string_view s;
        ok = r.GetRaw(n, &s);
        Require(ok == (remaining >= n), "GetRaw(view) result disagrees with remaining()");
        if (ok) w.PutRaw(s);
        break;
      }
      case 11: {  // a raw copy
        const size_t n = op >> 4;
        char buf[16];
        ok = r.GetRaw(buf, n);
        Require(ok == (remaining >= n), "GetRaw(copy) result disagrees with remaining()");
        if (ok) w.PutRaw(buf, n);
        break;
      }
      case 12: {
        const size_t n = op >> 4;
        ok = r.Skip(n);
        Require(ok == (remaining >= n), "Skip result disagrees with remaining()");
        if (ok) w.PutRaw(input.substr(before, n));
        break;
      }
      default: {
        const size_t alignment = 1 + (op >> 4);
        ok = r.SkipZeroPaddingTo(alignment);
        if (ok) {
          w.PadTo(alignment);
          Require(r.position() % alignment == 0, "SkipZeroPaddingTo left a misaligned position");
        } else {
          Require(r.position() == before, "failed SkipZeroPaddingTo moved the position");
        }
        break;
      }
    }
    if (!ok) {
      Require(r.position() == before, "a failed Get moved the position");
      // Step over one byte so the run always makes progress.
      if (r.empty()) break;
      uint8_t skipped;
      Require(r.GetU8(&skipped), "GetU8 failed on non-empty input");
      w.PutU8(skipped);
    }
    Require(r.position() + r.remaining() == size, "position() + remaining() != size");
    Require(std::string_view(echo) == input.substr(0, r.position()),
            "re-encoding differs from the consumed input");
  }
  Require(r.empty() && r.position() == size, "reader did not end at the end of the input");
  Require(echo == input, "re-encoding of the whole input differs");
  return 0;
}

std::vector<std::string> LlmdsFuzzSeedCorpus() {
  std::string seed;
  llmds::ByteWriter w(&seed);
  for (uint8_t op = 0; op < 14; ++op) {
    w.PutU8(static_cast<uint8_t>(op | 0x30));  // high nibble 3: raw/skip of 3, alignment 4
    switch (op) {
      case 0: w.PutU8(0xFF); break;
      case 1: w.PutU16(0x1234); break;
      case 2: w.PutU32(0xDEADBEEF); break;
      case 3: w.PutU64(0x0102030405060708ull); break;
      case 4: w.PutI32(-7); break;
      case 5: w.PutI64(-123456789); break;
      case 6: w.PutF32(2.5f); break;
      case 7: w.PutF64(-0.0); break;
      case 8: w.PutBytes32("abc"); break;
      case 9: w.PutBytes64("defgh"); break;
      case 10:
      case 11:
      case 12: w.PutRaw("xyz", 3); break;
      default: w.PadTo(4); break;
    }
  }
  return {seed, std::string()};
}
