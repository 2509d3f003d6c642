// Copyright 2026 The llmds Authors.

#include "llmds/datasets/vectors.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "llmds/utils/file.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

// No single vector set llmds reads comes near this; it bounds allocations on hostile headers.
constexpr int64_t kMaxValues = int64_t{1} << 32;
constexpr int64_t kMaxDim = 1 << 20;

absl::Status Malformed(std::string_view source, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(source), ": ", std::string(what)));
}

template <typename T>
T LoadLittle(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));  // x86-64 and aarch64 are little-endian
  return value;
}

uint32_t LoadBig32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

absl::Status CheckShape(int64_t count, int64_t dim, std::string_view source) {
  if (dim <= 0 || dim > kMaxDim) {
    return Malformed(source, absl::StrCat("vector dimension ", dim, " out of range"));
  }
  if (count < 0 || count > kMaxValues / dim) {
    return Malformed(source, absl::StrCat(count, " vectors of dimension ", dim, " is too many"));
  }
  return absl::OkStatus();
}

// Converts `count * dim` elements of type T at `data` (already bounds-checked).
template <typename T>
void Convert(const char* data, VectorSet* set, bool big_endian = false) {
  set->values.resize(static_cast<size_t>(set->count) * set->dim);
  for (size_t i = 0; i < set->values.size(); ++i) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, data + i * sizeof(T), sizeof(T));
    if (big_endian && sizeof(T) > 1) {
      for (size_t a = 0, b = sizeof(T) - 1; a < b; ++a, --b) std::swap(bytes[a], bytes[b]);
    }
    set->values[i] = static_cast<float>(LoadLittle<T>(bytes));
  }
}

}  // namespace

absl::StatusOr<VectorSet> ParseFvecs(std::string_view bytes, std::string_view source) {
  VectorSet set;
  if (bytes.empty()) return Malformed(source, "empty .fvecs file");
  if (bytes.size() < 4) return Malformed(source, "truncated .fvecs header");
  const int32_t dim = LoadLittle<int32_t>(bytes.data());
  LLMDS_RETURN_IF_ERROR(CheckShape(0, dim, source));
  const size_t record = 4 + 4 * static_cast<size_t>(dim);
  if (bytes.size() % record != 0) {
    return Malformed(source, absl::StrCat("size ", bytes.size(),
                                          " is not a whole number of dim-", dim, " records"));
  }
  set.dim = dim;
  set.count = static_cast<int64_t>(bytes.size() / record);
  LLMDS_RETURN_IF_ERROR(CheckShape(set.count, dim, source));
  set.values.resize(static_cast<size_t>(set.count) * dim);
  for (int64_t i = 0; i < set.count; ++i) {
    const char* p = bytes.data() + i * record;
    if (LoadLittle<int32_t>(p) != dim) {
      return Malformed(source, absl::StrCat("vector ", i, " has dimension ",
                                            LoadLittle<int32_t>(p), ", expected ", dim));
    }
    std::memcpy(set.values.data() + i * dim, p + 4, 4 * static_cast<size_t>(dim));
  }
  return set;
}

absl::StatusOr<VectorSet> ParseNpy(std::string_view bytes, std::string_view source) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") {
    return Malformed(source, "not a .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_length;
  size_t header_start;
  if (major == 1) {
    header_length = LoadLittle<uint16_t>(bytes.data() + 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Malformed(source, "truncated .npy header");
    header_length = LoadLittle<uint32_t>(bytes.data() + 8);
    header_start = 12;
  } else {
    return Malformed(source, absl::StrCat("unsupported .npy version ", major));
  }
  if (header_length > bytes.size() - header_start) {
    return Malformed(source, "truncated .npy header");
  }
  const absl::string_view header(bytes.data() + header_start, header_length);
  auto value_of = [&header](absl::string_view key) -> absl::string_view {
    const size_t at = header.find(key);
    if (at == absl::string_view::npos) return {};
    absl::string_view rest = header.substr(at + key.size());
    const size_t colon = rest.find(':');
    if (colon == absl::string_view::npos) return {};
    return rest.substr(colon + 1);
  };
  absl::string_view descr = value_of("'descr'");
  const size_t quote = descr.find('\'');
  const size_t end_quote =
      quote == absl::string_view::npos ? quote : descr.find('\'', quote + 1);
  if (end_quote == absl::string_view::npos) return Malformed(source, "missing 'descr'");
  descr = descr.substr(quote + 1, end_quote - quote - 1);
  if (value_of("'fortran_order'").substr(0, 6).find("True") != absl::string_view::npos) {
    return Malformed(source, "Fortran-order arrays are not supported");
  }
  absl::string_view shape = value_of("'shape'");
  const size_t open = shape.find('(');
  const size_t close = shape.find(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open) {
    return Malformed(source, "missing 'shape'");
  }
  std::vector<int64_t> dims;
  for (absl::string_view part : absl::StrSplit(shape.substr(open + 1, close - open - 1), ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) continue;
    int64_t d;
    if (!absl::SimpleAtoi(part, &d) || d < 0) return Malformed(source, "bad 'shape'");
    dims.push_back(d);
  }
  if (dims.size() != 2) {
    return Malformed(source, absl::StrCat("expected a 2-D array, got ", dims.size(), " dims"));
  }
  VectorSet set;
  set.count = dims[0];
  LLMDS_RETURN_IF_ERROR(CheckShape(set.count, dims[1], source));
  set.dim = static_cast<int32_t>(dims[1]);
  size_t element;
  if (descr == "<f4") {
    element = 4;
  } else if (descr == "<f8" || descr == "<i8") {
    element = 8;
  } else if (descr == "<i4") {
    element = 4;
  } else if (descr == "|u1" || descr == "|i1") {
    element = 1;
  } else {
    return Malformed(source, absl::StrCat("unsupported dtype '", std::string(descr), "'"));
  }
  const size_t data_start = header_start + header_length;
  const size_t needed = static_cast<size_t>(set.count) * set.dim * element;
  if (bytes.size() - data_start != needed) {
    return Malformed(source, absl::StrCat("expected ", needed, " data bytes, found ",
                                          bytes.size() - data_start));
  }
  const char* data = bytes.data() + data_start;
  if (descr == "<f4") Convert<float>(data, &set);
  if (descr == "<f8") Convert<double>(data, &set);
  if (descr == "<i8") Convert<int64_t>(data, &set);
  if (descr == "<i4") Convert<int32_t>(data, &set);
  if (descr == "|u1") Convert<uint8_t>(data, &set);
  if (descr == "|i1") Convert<int8_t>(data, &set);
  return set;
}

absl::StatusOr<VectorSet> ParseIdx(std::string_view bytes, std::string_view source) {
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0) {
    return Malformed(source, "not an IDX file (bad magic)");
  }
  const unsigned char type = static_cast<unsigned char>(bytes[2]);
  const int rank = static_cast<unsigned char>(bytes[3]);
  if (rank < 1) return Malformed(source, "IDX rank 0");
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (bytes.size() < header) return Malformed(source, "truncated IDX header");
  VectorSet set;
  set.count = LoadBig32(bytes.data() + 4);
  int64_t dim = 1;
  for (int r = 1; r < rank; ++r) {
    dim *= LoadBig32(bytes.data() + 4 + 4 * r);
    if (dim > kMaxDim) return Malformed(source, "IDX vector dimension out of range");
  }
  LLMDS_RETURN_IF_ERROR(CheckShape(set.count, dim, source));
  set.dim = static_cast<int32_t>(dim);
  size_t element;
  switch (type) {
    case 0x08:  // uint8
    case 0x09:  // int8
      element = 1;
      break;
    case 0x0B:  // int16
      element = 2;
      break;
    case 0x0C:  // int32
    case 0x0D:  // float32
      element = 4;
      break;
    case 0x0E:  // float64
      element = 8;
      break;
    default:
      return Malformed(source, absl::StrCat("unknown IDX type code ", type));
  }
  const size_t needed = static_cast<size_t>(set.count) * set.dim * element;
  if (bytes.size() - header != needed) {
    return Malformed(source, absl::StrCat("expected ", needed, " data bytes, found ",
                                          bytes.size() - header));
  }
  const char* data = bytes.data() + header;
  switch (type) {
    case 0x08:
      Convert<uint8_t>(data, &set);
      break;
    case 0x09:
      Convert<int8_t>(data, &set);
      break;
    case 0x0B:
      Convert<int16_t>(data, &set, /*big_endian=*/true);
      break;
    case 0x0C:
      Convert<int32_t>(data, &set, /*big_endian=*/true);
      break;
    case 0x0D:
      Convert<float>(data, &set, /*big_endian=*/true);
      break;
    case 0x0E:
      Convert<double>(data, &set, /*big_endian=*/true);
      break;
  }
  return set;
}

absl::StatusOr<VectorSet> ParseTsvVectors(std::string_view text, std::string_view source,
                                          bool last_column_is_id) {
  VectorSet set;
  int64_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<absl::string_view> columns = absl::StrSplit(line, '\t');
    if (last_column_is_id) {
      if (columns.size() < 2) {
        return Malformed(source, absl::StrCat("line ", line_number, ": no value before the id"));
      }
      columns.pop_back();
    }
    if (set.count == 0) {
      LLMDS_RETURN_IF_ERROR(CheckShape(1, static_cast<int64_t>(columns.size()), source));
      set.dim = static_cast<int32_t>(columns.size());
    } else if (static_cast<int32_t>(columns.size()) != set.dim) {
      return Malformed(source, absl::StrCat("line ", line_number, ": ", columns.size(),
                                            " values, expected ", set.dim));
    }
    if (static_cast<int64_t>(set.values.size()) + set.dim > kMaxValues) {
      return Malformed(source, "too many values");
    }
    for (absl::string_view column : columns) {
      float value;
      if (!absl::SimpleAtof(absl::StripAsciiWhitespace(column), &value) || !std::isfinite(value)) {
        return Malformed(source, absl::StrCat("line ", line_number, ": bad number '",
                                              std::string(column), "'"));
      }
      set.values.push_back(value);
    }
    ++set.count;
  }
  return set;
}

absl::StatusOr<std::string> Gunzip(std::string_view bytes, std::string_view source,
                                   size_t max_output_bytes) {
  if (bytes.size() > UINT32_MAX) return Malformed(source, "compressed input over 4 GiB");
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  if (inflateInit2(&stream, 15 + 32) != Z_OK) {  // +32: accept gzip and zlib headers
    return absl::InternalError("zlib inflateInit2 failed");
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  char buffer[1 << 16];
  absl::Status status;
  while (true) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    const int code = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
    if (code == Z_STREAM_END) break;
    if (code == Z_BUF_ERROR && stream.avail_in == 0) {
      status = Malformed(source, "truncated gzip data");
      break;
    }
    if (code != Z_OK) {
      status = Malformed(source, absl::StrCat("corrupt gzip data (zlib error ", code, ")"));
      break;
    }
    if (out.size() > max_output_bytes) {
      status = Malformed(source, "gzip data inflates beyond the size limit");
      break;
    }
  }
  inflateEnd(&stream);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<VectorSet> ReadVectors(std::string_view path, bool tsv_last_column_is_id) {
  LLMDS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  std::string_view name = path;
  auto ends_with = [](std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
  };
  if (ends_with(name, ".gz")) {
    LLMDS_ASSIGN_OR_RETURN(bytes, Gunzip(bytes, path));
    name.remove_suffix(3);
  }
  if (ends_with(name, ".fvecs")) return ParseFvecs(bytes, path);
  if (ends_with(name, ".npy")) return ParseNpy(bytes, path);
  if (ends_with(name, ".tsv")) return ParseTsvVectors(bytes, path, tsv_last_column_is_id);
  return ParseIdx(bytes, path);
}

}  // namespace llmds
