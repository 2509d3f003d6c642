// Copyright 2026 The llmds Authors.

#include "llmds/utils/file.h"

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

TEST(FileTest, WritesAndReadsBackBinaryContent) {
  const std::string path = TempPath("roundtrip.bin");
  std::string contents;
  for (int i = 0; i < 200000; ++i) contents.push_back(static_cast<char>(i * 7));
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok());
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
}

TEST(FileTest, OverwritesAndReadsEmptyFiles) {
  const std::string path = TempPath("empty.bin");
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  EXPECT_EQ(ReadFile(path).value(), "");
}

TEST(FileTest, MissingFileIsNotFoundAndNamesThePath) {
  const absl::StatusOr<std::string> read = ReadFile("/nonexistent/llmds/file.txt");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("/nonexistent/llmds/file.txt"), std::string::npos);
}

TEST(FileTest, DirectoryIsRejected) {
  EXPECT_EQ(ReadFile("/").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(FileTest, WriteIntoMissingDirectoryFails) {
  EXPECT_FALSE(WriteFileAtomically("/nonexistent/llmds/out.bin", "x").ok());
}

}  // namespace
}  // namespace llmds
