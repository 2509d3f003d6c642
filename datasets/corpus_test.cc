// Copyright 2026 The llmds Authors.

#include "llmds/datasets/corpus.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

TEST(JsonlCorpusTest, ReadsIdsTitlesAndEscapedText) {
  const std::string jsonl =
      "{\"id\": \"a1\", \"text\": \"line one\\nline \\\"two\\\" \\u00e9\\ud83d\\ude00\"}\n"
      "\n"
      "{\"title\": \"Wings\", \"id\": 7, \"text\": \"lift\", \"meta\": {\"x\": [1, 2]}}\r\n";
  const std::vector<CorpusDocument> docs = ParseJsonlCorpus(jsonl, "c.jsonl").value();
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].id, "a1");
  EXPECT_EQ(docs[0].text, "line one\nline \"two\" \xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(docs[1].id, "7");
  EXPECT_EQ(docs[1].text, "Wings\nlift");
}

TEST(JsonlCorpusTest, LoneSurrogatesBecomeReplacementCharacters) {
  const std::vector<CorpusDocument> docs =
      ParseJsonlCorpus("{\"id\": 1, \"text\": \"x\\ud800y\\udc00\"}", "c").value();
  EXPECT_EQ(docs[0].text, "x\xef\xbf\xbdy\xef\xbf\xbd");
}

TEST(JsonlCorpusTest, ErrorsNameTheLine) {
  const std::vector<std::string> bad = {
      "{\"text\": \"no id\"}",
      "{\"id\": 1}",
      "{\"id\": 1, \"text\": \"unterminated}",
      "{\"id\": 1, \"text\": \"bad escape \\q\"}",
      "{\"id\": 1, \"text\": \"raw \x01 control\"}",
      "{\"id\": 1, \"text\": 5}",
      "[1, 2]",
      "{\"id\": 1, \"text\": \"x\"} trailing",
  };
  for (const std::string& line : bad) {
    const absl::Status status = ParseJsonlCorpus("{\"id\": 0, \"text\": \"ok\"}\n" + line,
                                                 "corpus.jsonl")
                                    .status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << line;
    EXPECT_NE(status.message().find("corpus.jsonl:2:"), std::string::npos) << status;
  }
}

TEST(JsonlCorpusTest, RejectsDuplicateIds) {
  const absl::Status status =
      ParseJsonlCorpus("{\"id\": 1, \"text\": \"a\"}\n{\"id\": \"1\", \"text\": \"b\"}", "c")
          .status();
  EXPECT_NE(status.message().find("duplicate id"), std::string::npos) << status;
}

}  // namespace
}  // namespace llmds
