// Copyright 2026 The llmds Authors.
//
// Little-endian binary encoding shared by every llmds file format.
//
// ByteWriter appends fixed-width integers and IEEE-754 floats in little-endian byte order, raw
// bytes, and length-prefixed byte strings to a caller-owned std::string. ByteReader is the
// bounds-checked inverse over a std::string_view.
//
// Encoding (independent of the host's byte order):
//   U8/I8: 1 byte. U16/I16: 2 bytes. U32/I32/F32: 4 bytes. U64/I64/F64: 8 bytes, least
//   significant byte first. Signed values are stored as their two's-complement bit pattern;
//   floats as their IEEE-754 bit pattern (so NaN payloads and -0.0 survive a round trip).
//   Bytes32 / Bytes64: a U32 / U64 length followed by that many raw bytes.
//
// Contract of ByteReader:
//   1. No Get ever reads past the end of the input: each checks that enough bytes remain first.
//   2. Every Get returns false on truncation, and a failed Get changes nothing: neither the
//      reader's position nor the output argument. A length-prefixed Get whose prefix names more
//      bytes than remain fails as a whole (the prefix is not consumed either).
//   3. No undefined behaviour on any input: values are assembled byte by byte or with
//      std::memcpy, never through unaligned pointer casts, and the position arithmetic cannot
//      overflow (remaining() is compared against the size, never position() + size).
//   Validation of the decoded values (magic numbers, versions, ranges, checksums) is the
//   caller's job; this layer only guarantees memory safety and exact byte accounting.
//
// Raw arrays (PutRaw / GetRaw with a void* destination) copy bytes verbatim. Formats that store
// arrays of floats or integers that way are little-endian only on little-endian hosts; the
// static_assert in this file documents that llmds targets such hosts.
//
// Thread safety: a ByteWriter or ByteReader is a small cursor object and must not be used from
// several threads at once. Several readers may read the same underlying bytes concurrently.
//
// Example:
//   std::string out;
//   ByteWriter w(&out);
//   w.PutU32(kVersion);
//   w.PutBytes64(payload);
//   ...
//   ByteReader r(out);
//   uint32_t version;
//   std::string_view payload;
//   if (!r.GetU32(&version) || !r.GetBytes64(&payload)) return Corrupt("truncated header");

#ifndef LLMDS_UTILS_BYTE_IO_H_
#define LLMDS_UTILS_BYTE_IO_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

namespace llmds {

static_assert(sizeof(float) == 4 && sizeof(double) == 8 &&
                  std::numeric_limits<float>::is_iec559 &&
                  std::numeric_limits<double>::is_iec559,
              "llmds file formats assume IEEE-754 binary32/binary64 floats");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "llmds file formats copy raw float/int arrays verbatim (GetRaw/PutRaw) and assume "
              "a little-endian host");

namespace byte_io_internal {

// The unsigned integer type with the same width as T (T: integral or floating point).
template <typename T>
struct UnsignedOf {
  static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8,
                "ByteWriter/ByteReader support 1, 2, 4 and 8 byte values");
  using type = std::conditional_t<
      sizeof(T) == 1, uint8_t,
      std::conditional_t<sizeof(T) == 2, uint16_t,
                         std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
};

// Arithmetic types the templated Put/Get accept. bool is excluded on purpose: its object
// representation for values other than 0/1 is not portable; encode it as a U8 explicitly.
template <typename T>
constexpr bool kIsScalar = (std::is_integral_v<T> || std::is_floating_point_v<T>) &&
                           !std::is_same_v<T, bool>;

}  // namespace byte_io_internal

// Appends little-endian values to a std::string it does not own. The string must outlive the
// writer; bytes already in it are kept (the writer only ever appends).
class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}

  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;

  // Any integral (except bool) or floating-point type, encoded with its own width.
  template <typename T>
  void Put(T value) {
    static_assert(byte_io_internal::kIsScalar<T>, "Put takes an integer or floating-point value");
    using U = typename byte_io_internal::UnsignedOf<T>::type;
    U bits;
    std::memcpy(&bits, &value, sizeof(T));
    const uint64_t wide = bits;
    char bytes[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) {
      bytes[i] = static_cast<char>(static_cast<uint8_t>(wide >> (8 * i)));
    }
    out_->append(bytes, sizeof(T));
  }

  void PutU8(uint8_t v) { Put(v); }
  void PutU16(uint16_t v) { Put(v); }
  void PutU32(uint32_t v) { Put(v); }
  void PutU64(uint64_t v) { Put(v); }
  void PutI8(int8_t v) { Put(v); }
  void PutI16(int16_t v) { Put(v); }
  void PutI32(int32_t v) { Put(v); }
  void PutI64(int64_t v) { Put(v); }
  void PutF32(float v) { Put(v); }
  void PutF64(double v) { Put(v); }

  // Raw bytes, no length prefix.
  void PutRaw(const void* data, size_t size) {
    if (size > 0) out_->append(static_cast<const char*>(data), size);
  }
  void PutRaw(std::string_view bytes) { out_->append(bytes.data(), bytes.size()); }

  // A U32 length prefix followed by the bytes. Precondition: bytes.size() <= UINT32_MAX (longer
  // strings are the caller's bug: the prefix would be truncated; callers must check first).
  void PutBytes32(std::string_view bytes) {
    PutU32(static_cast<uint32_t>(bytes.size()));
    PutRaw(bytes);
  }
  // A U64 length prefix followed by the bytes.
  void PutBytes64(std::string_view bytes) {
    PutU64(static_cast<uint64_t>(bytes.size()));
    PutRaw(bytes);
  }

  // Appends zero bytes until the destination's size is a multiple of `alignment` (> 0).
  void PadTo(size_t alignment) {
    const size_t rem = out_->size() % alignment;
    if (rem != 0) out_->append(alignment - rem, '\0');
  }

  // Size of the destination string, including bytes that were there before the writer.
  size_t size() const { return out_->size(); }

 private:
  std::string* out_;
};

// Bounds-checked little-endian reader over bytes it does not own (they must outlive it and any
// string_view it hands out). See the contract at the top of this file.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  // Any integral (except bool) or floating-point type, decoded with its own width.
  template <typename T>
  [[nodiscard]] bool Get(T* value) {
    static_assert(byte_io_internal::kIsScalar<T>, "Get takes an integer or floating-point value");
    using U = typename byte_io_internal::UnsignedOf<T>::type;
    if (remaining() < sizeof(T)) return false;
    uint64_t wide = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      wide |= uint64_t{static_cast<uint8_t>(bytes_[pos_ + i])} << (8 * i);
    }
    const U bits = static_cast<U>(wide);
    std::memcpy(value, &bits, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }

  [[nodiscard]] bool GetU8(uint8_t* v) { return Get(v); }
  [[nodiscard]] bool GetU16(uint16_t* v) { return Get(v); }
  [[nodiscard]] bool GetU32(uint32_t* v) { return Get(v); }
  [[nodiscard]] bool GetU64(uint64_t* v) { return Get(v); }
  [[nodiscard]] bool GetI8(int8_t* v) { return Get(v); }
  [[nodiscard]] bool GetI16(int16_t* v) { return Get(v); }
  [[nodiscard]] bool GetI32(int32_t* v) { return Get(v); }
  [[nodiscard]] bool GetI64(int64_t* v) { return Get(v); }
  [[nodiscard]] bool GetF32(float* v) { return Get(v); }
  [[nodiscard]] bool GetF64(double* v) { return Get(v); }

  // The next `size` bytes as a view into the input (no copy).
  [[nodiscard]] bool GetRaw(size_t size, std::string_view* out) {
    if (remaining() < size) return false;
    *out = bytes_.substr(pos_, size);
    pos_ += size;
    return true;
  }
  // Copies the next `size` bytes verbatim into `out` (which must have room for them).
  [[nodiscard]] bool GetRaw(void* out, size_t size) {
    if (remaining() < size) return false;
    if (size > 0) std::memcpy(out, bytes_.data() + pos_, size);
    pos_ += size;
    return true;
  }

  // A U32 / U64 length prefix and that many bytes, as a view into the input. Fails, consuming
  // nothing, when the prefix is truncated or names more bytes than remain after it.
  [[nodiscard]] bool GetBytes32(std::string_view* out) { return GetPrefixed<uint32_t>(out); }
  [[nodiscard]] bool GetBytes64(std::string_view* out) { return GetPrefixed<uint64_t>(out); }

  // Skips `size` bytes.
  [[nodiscard]] bool Skip(size_t size) {
    if (remaining() < size) return false;
    pos_ += size;
    return true;
  }

  // Skips zero bytes until position() is a multiple of `alignment` (> 0). Fails, consuming
  // nothing, if the input ends first or a padding byte is not zero.
  [[nodiscard]] bool SkipZeroPaddingTo(size_t alignment) {
    const size_t rem = pos_ % alignment;
    if (rem == 0) return true;
    const size_t pad = alignment - rem;
    if (remaining() < pad) return false;
    for (size_t i = 0; i < pad; ++i) {
      if (bytes_[pos_ + i] != '\0') return false;
    }
    pos_ += pad;
    return true;
  }

  // Bytes not yet consumed; 0 once the whole input has been read.
  size_t remaining() const { return bytes_.size() - pos_; }
  // Bytes consumed so far (offset of the next byte from the start of the input).
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

 private:
  template <typename L>
  bool GetPrefixed(std::string_view* out) {
    const size_t start = pos_;
    L length;
    if (!Get(&length)) return false;
    if (length > remaining()) {  // compared as L vs size_t: both unsigned, no overflow
      pos_ = start;
      return false;
    }
    *out = bytes_.substr(pos_, static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return true;
  }

  // Invariant: pos_ <= bytes_.size().
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace llmds

#endif  // LLMDS_UTILS_BYTE_IO_H_
