// Copyright 2026 The llmds Authors.

#include "llmds/datasets/serving_trace.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

TEST(MooncakeTraceTest, ParsesRequestsAndRebasesTime) {
  const std::string jsonl =
      "{\"timestamp\": 1000, \"input_length\": 1025, \"output_length\": 6, "
      "\"hash_ids\": [0, 1, 2]}\n"
      "\n"
      "{\"hash_ids\": [], \"output_length\": 0, \"input_length\": 3, \"timestamp\": 1040,"
      " \"extra\": {\"nested\": [1, \"two\", null, true]}}\r\n";
  const std::vector<TraceRequest> trace = ParseMooncakeTrace(jsonl, "t.jsonl").value();
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace[0].arrival_us, 0);
  EXPECT_EQ(trace[0].input_tokens, 1025);
  EXPECT_EQ(trace[0].output_tokens, 6);
  EXPECT_EQ(trace[0].block_hashes, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(trace[1].arrival_us, 40000);
  EXPECT_EQ(trace[1].input_tokens, 3);
  EXPECT_TRUE(trace[1].block_hashes.empty());
}

TEST(MooncakeTraceTest, EmptyInputIsAnEmptyTrace) {
  EXPECT_TRUE(ParseMooncakeTrace("", "empty").value().empty());
  EXPECT_TRUE(ParseMooncakeTrace("\n  \n", "blank").value().empty());
}

TEST(MooncakeTraceTest, ErrorsNameTheSourceAndLine) {
  const std::string bad =
      "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n"
      "{\"timestamp\": 0, \"input_length\": \"x\", \"output_length\": 1}\n";
  const absl::Status status = ParseMooncakeTrace(bad, "trace.jsonl").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("trace.jsonl:2:"), std::string::npos) << status;
}

TEST(MooncakeTraceTest, RejectsMalformedLines) {
  const std::vector<std::string> bad_lines = {
      "not json",
      "{\"timestamp\": 0, \"input_length\": 1}",                           // missing key
      "{\"timestamp\": 0, \"input_length\": -1, \"output_length\": 1}",   // negative
      "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1",     // unterminated
      "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1} x",  // trailing
      "{\"timestamp\": 0.5, \"input_length\": 1, \"output_length\": 1}",  // fraction
      "{\"timestamp\": 1e300, \"input_length\": 1, \"output_length\": 1}",
      "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1,]}",
      "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [-4]}",
      "{\"timestamp\": 99999999999999999999, \"input_length\": 1, \"output_length\": 1}",
  };
  for (const std::string& line : bad_lines) {
    EXPECT_EQ(ParseMooncakeTrace(line, "x").status().code(),
              absl::StatusCode::kInvalidArgument)
        << line;
  }
}

TEST(AzureTraceTest, ParsesTimestampsWithSubMicrosecondDigits) {
  const std::string csv =
      "TIMESTAMP,ContextTokens,GeneratedTokens\n"
      "2023-11-16 18:15:46.6805900,374,44\n"
      "2023-11-16 18:15:50.9951690,396,109\r\n";
  const std::vector<TraceRequest> trace = ParseAzureTrace(csv, "azure.csv").value();
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace[0].arrival_us, 0);
  EXPECT_EQ(trace[1].arrival_us, 4314579);  // 50.995169 - 46.680590 s
  EXPECT_EQ(trace[0].input_tokens, 374);
  EXPECT_EQ(trace[1].output_tokens, 109);
}

TEST(AzureTraceTest, RejectsBadHeaderFieldsAndTimestamps) {
  EXPECT_FALSE(ParseAzureTrace("", "a").ok());
  EXPECT_FALSE(ParseAzureTrace("time,a,b\n", "a").ok());
  const std::string header = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  for (std::string row : {"2023-11-16 18:15:46,1", "2023-11-16 18:15:46,1,2,3",
                                 "yesterday,1,2", "2023-11-16 18:15:46,-1,2",
                                 "2023-11-16 18:15:46,1,x"}) {
    const absl::Status status = ParseAzureTrace(header + row + "\n", "az.csv").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << row;
    EXPECT_NE(status.message().find("az.csv:2:"), std::string::npos) << status;
  }
}

TEST(ReadTraceTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadMooncakeTrace("/nonexistent.jsonl").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadAzureTrace("/nonexistent.csv").status().code(), absl::StatusCode::kNotFound);
}

TEST(ReadTraceTest, ReadsTheBundledMooncakeTrace) {
  const std::vector<TraceRequest> trace =
      ReadMooncakeTrace("data/traces/mooncake_synthetic_trace.jsonl").value();
  ASSERT_EQ(trace.size(), 3993u);
  for (const TraceRequest& r : trace) {
    // The trace's own invariant: one hash id per started 512-token block.
    EXPECT_EQ(static_cast<int64_t>(r.block_hashes.size()),
              (r.input_tokens + kMooncakeBlockTokens - 1) / kMooncakeBlockTokens);
  }
}

TEST(SyntheticPromptTokensTest, EqualHashIdsGiveEqualPrefixes) {
  TraceRequest a{0, 1100, 1, {7, 8, 9}};
  TraceRequest b{0, 600, 1, {7, 5}};
  const std::vector<int32_t> ta = SyntheticPromptTokens(a);
  const std::vector<int32_t> tb = SyntheticPromptTokens(b);
  ASSERT_EQ(ta.size(), 1100u);
  ASSERT_EQ(tb.size(), 600u);
  EXPECT_TRUE(std::equal(ta.begin(), ta.begin() + 512, tb.begin()));
  EXPECT_FALSE(std::equal(ta.begin() + 512, ta.begin() + 600, tb.begin() + 512));
  for (int32_t t : ta) EXPECT_GE(t, 0);
  EXPECT_EQ(SyntheticPromptTokens(a), ta);  // deterministic
}

}  // namespace
}  // namespace llmds
