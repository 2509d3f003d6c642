// Copyright 2026 The llmds Authors.

#include "llmds/tools/demo.h"

#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

TEST(DemoTest, ReportsTheBundledData) {
  std::ostringstream out;
  DemoOptions options;
  options.max_requests = 200;  // fastbuild is unoptimized: a prefix of the trace
  options.max_queries = 20;
  options.lsi_dimensions = 8;
  ASSERT_TRUE(RunDemo(options, out).ok());
  const std::string report = out.str();
  EXPECT_NE(report.find("200 requests"), std::string::npos) << report;
  EXPECT_NE(report.find("Cranfield, 1400 documents, 20 queries"), std::string::npos) << report;
  EXPECT_NE(report.find("hybrid, RRF k=60"), std::string::npos) << report;
  EXPECT_NE(report.find("TTFT p50 ms"), std::string::npos) << report;
}

TEST(DemoTest, JsonOutputIsOneObject) {
  std::ostringstream out;
  DemoOptions options;
  options.json = true;
  options.max_requests = 200;
  options.max_queries = 20;
  options.lsi_dimensions = 8;
  ASSERT_TRUE(RunDemo(options, out).ok());
  const std::string json = out.str();
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.substr(json.size() - 2), "}\n");
  EXPECT_NE(json.find("\"requests\": 200"), std::string::npos) << json;
  EXPECT_NE(json.find("\"documents\": 1400"), std::string::npos) << json;
}

TEST(DemoTest, MissingDataIsAClearError) {
  std::ostringstream out;
  DemoOptions options;
  options.data_dir = "/nonexistent";
  const absl::Status status = RunDemo(options, out);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("/nonexistent/cranfield/"), std::string::npos) << status;
}

}  // namespace
}  // namespace llmds
