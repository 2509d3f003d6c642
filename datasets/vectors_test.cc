// Copyright 2026 The llmds Authors.

#include "llmds/datasets/vectors.h"

#include <zlib.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

std::string Fvecs(const std::vector<std::vector<float>>& rows) {
  std::string bytes;
  for (const auto& row : rows) {
    const int32_t dim = static_cast<int32_t>(row.size());
    bytes.append(reinterpret_cast<const char*>(&dim), 4);
    bytes.append(reinterpret_cast<const char*>(row.data()), 4 * row.size());
  }
  return bytes;
}

std::string Npy(const std::string& descr, const std::string& shape, const std::string& data) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape +
                       ", }";
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string bytes = "\x93NUMPY\x01";
  bytes.push_back('\0');
  const uint16_t length = static_cast<uint16_t>(header.size());
  bytes.append(reinterpret_cast<const char*>(&length), 2);
  return bytes + header + data;
}

std::string Gzip(const std::string& raw) {
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, raw.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  stream.avail_in = static_cast<uInt>(raw.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(FvecsTest, RoundTrips) {
  const VectorSet set = ParseFvecs(Fvecs({{1, 2, 3}, {4, 5, 6}}), "x.fvecs").value();
  EXPECT_EQ(set.count, 2);
  EXPECT_EQ(set.dim, 3);
  EXPECT_EQ(set.values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(set.row(1)[2], 6.0f);
}

TEST(FvecsTest, RejectsMixedDimensionsAndTruncation) {
  EXPECT_FALSE(ParseFvecs(Fvecs({{1, 2, 3}, {4, 5}, {6}}), "x").ok());
  std::string bytes = Fvecs({{1, 2, 3}, {4, 5, 6}});
  bytes.pop_back();
  EXPECT_EQ(ParseFvecs(bytes, "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseFvecs("", "x").ok());
  const int32_t negative = -5;
  EXPECT_FALSE(ParseFvecs(std::string(reinterpret_cast<const char*>(&negative), 4), "x").ok());
}

TEST(NpyTest, ReadsFloatAndByteArrays) {
  const float f[] = {1.5f, -2.0f, 3.0f, 4.0f};
  const VectorSet floats =
      ParseNpy(Npy("<f4", "(2, 2)", std::string(reinterpret_cast<const char*>(f), 16)), "a.npy")
          .value();
  EXPECT_EQ(floats.count, 2);
  EXPECT_EQ(floats.values, (std::vector<float>{1.5f, -2.0f, 3.0f, 4.0f}));
  const VectorSet bytes = ParseNpy(Npy("|u1", "(1, 3)", "\x01\x02\xff"), "b.npy").value();
  EXPECT_EQ(bytes.values, (std::vector<float>{1, 2, 255}));
}

TEST(NpyTest, RejectsWrongShapesTypesAndSizes) {
  EXPECT_FALSE(ParseNpy(Npy("<f4", "(4,)", std::string(16, '\0')), "x").ok());
  EXPECT_FALSE(ParseNpy(Npy("<c8", "(1, 2)", std::string(16, '\0')), "x").ok());
  EXPECT_FALSE(ParseNpy(Npy("<f4", "(2, 2)", std::string(15, '\0')), "x").ok());
  EXPECT_FALSE(ParseNpy("\x93NUMPX", "x").ok());
}

TEST(IdxTest, ReadsImagesFlattened) {
  std::string bytes("\x00\x00\x08\x03", 4);
  for (uint32_t d : {2u, 2u, 3u}) {
    const char be[4] = {0, 0, 0, static_cast<char>(d)};
    bytes.append(be, 4);
  }
  for (int i = 0; i < 12; ++i) bytes.push_back(static_cast<char>(i * 20));
  const VectorSet set = ParseIdx(bytes, "imgs").value();
  EXPECT_EQ(set.count, 2);
  EXPECT_EQ(set.dim, 6);
  EXPECT_EQ(set.row(1)[0], 120.0f);
  bytes.pop_back();
  EXPECT_FALSE(ParseIdx(bytes, "imgs").ok());
}

TEST(TsvTest, ReadsWithAndWithoutIdColumn) {
  const VectorSet with_id = ParseTsvVectors("1\t2\t100\n3\t4\t101\n", "v.tsv", true).value();
  EXPECT_EQ(with_id.dim, 2);
  EXPECT_EQ(with_id.values, (std::vector<float>{1, 2, 3, 4}));
  const VectorSet plain = ParseTsvVectors("1\t2\r\n\n3\t4\n", "v.tsv", false).value();
  EXPECT_EQ(plain.count, 2);
  EXPECT_FALSE(ParseTsvVectors("1\t2\n3\n", "v.tsv", false).ok());
  EXPECT_FALSE(ParseTsvVectors("1\tx\n", "v.tsv", false).ok());
  EXPECT_FALSE(ParseTsvVectors("1\tnan\n", "v.tsv", false).ok());
}

TEST(GunzipTest, InflatesAndRejectsCorruption) {
  std::string raw;
  for (int i = 0; i < 300000; ++i) raw.push_back(static_cast<char>(i % 251));
  const std::string gz = Gzip(raw);
  EXPECT_EQ(Gunzip(gz, "x.gz").value(), raw);
  EXPECT_FALSE(Gunzip(gz.substr(0, gz.size() / 2), "x.gz").ok());
  std::string corrupt = gz;
  corrupt[gz.size() / 2] ^= 0x55;
  EXPECT_FALSE(Gunzip(corrupt, "x.gz").ok());
  EXPECT_FALSE(Gunzip(gz, "x.gz", 1000).ok());
}

TEST(ReadVectorsTest, ReadsGzippedIdxAndReportsMissingFiles) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  std::string idx("\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03", 12);
  idx += std::string("\x01\x02\x03\x04\x05\x06", 6);
  const std::string path = dir + "/v-idx2-ubyte.gz";
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  const std::string gz = Gzip(idx);
  std::fwrite(gz.data(), 1, gz.size(), f);
  std::fclose(f);
  const VectorSet set = ReadVectors(path).value();
  EXPECT_EQ(set.count, 2);
  EXPECT_EQ(set.dim, 3);
  EXPECT_EQ(set.values.back(), 6.0f);
  EXPECT_EQ(ReadVectors(dir + "/missing.fvecs").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace llmds
