// Copyright 2026 The llmds Authors.

#include "llmds/datasets/ir_collection.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

TEST(SmartFileTest, ParsesRecordsAndFields) {
  const std::string text =
      ".I 1\r\n.T\r\ntitle one\r\n.W\r\nfirst line\r\nsecond line\r\n"
      ".I 002\n.W\n  body\n.N\nnote\n";
  const std::vector<SmartRecord> records = ParseSmartFile(text, "x").value();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].id, "1");
  ASSERT_EQ(records[0].fields.size(), 2u);
  EXPECT_EQ(records[0].fields[0], (std::pair<char, std::string>('T', "title one")));
  EXPECT_EQ(records[0].Text("TW"), "title one\nfirst line\nsecond line");
  EXPECT_EQ(records[0].Text("W"), "first line\nsecond line");
  EXPECT_EQ(records[1].id, "2");  // leading zeros dropped, as qrels number it
  EXPECT_EQ(records[1].Text(), "  body");
  EXPECT_EQ(records[1].Text("N"), "note");
  EXPECT_EQ(records[1].Text("A"), "");
}

TEST(SmartFileTest, EmptyFieldsAndEmptyFilesAreFine) {
  EXPECT_TRUE(ParseSmartFile("", "x").value().empty());
  const std::vector<SmartRecord> records = ParseSmartFile(".I 5\n.W\n.I 6\n.W\n", "x").value();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].Text(), "");
}

TEST(SmartFileTest, RejectsTextOutsideRecords) {
  for (std::string bad : {"stray\n.I 1\n.W\nx\n", ".W\nx\n", ".I 1\nno field\n", ".I\n.W\n"}) {
    const absl::Status status = ParseSmartFile(bad, "c.all").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("c.all:"), std::string::npos) << status;
  }
}

TEST(QrelsTest, ParsesBothLayouts) {
  const std::vector<Judgement> trec =
      ParseQrels("1 0 13 1\n1 0 14 2\n\n", QrelsLayout::kTrec, "q").value();
  ASSERT_EQ(trec.size(), 2u);
  EXPECT_EQ(trec[1].query_id, "1");
  EXPECT_EQ(trec[1].doc_id, "14");
  EXPECT_EQ(trec[1].grade, 2);
  const std::vector<Judgement> cran =
      ParseQrels("01 1410  0 0\n225 1188 -1", QrelsLayout::kQueryDocGrade, "q").value();
  ASSERT_EQ(cran.size(), 2u);
  EXPECT_EQ(cran[0].query_id, "1");
  EXPECT_EQ(cran[0].doc_id, "1410");
  EXPECT_EQ(cran[1].grade, -1);
}

TEST(QrelsTest, QueryDocLayoutMarksEveryPairRelevant) {
  const std::vector<Judgement> cacm =
      ParseQrels("01 1410  0 0\n01 1572  0 0\n", QrelsLayout::kQueryDoc, "q").value();
  ASSERT_EQ(cacm.size(), 2u);
  EXPECT_EQ(cacm[1].doc_id, "1572");
  EXPECT_EQ(cacm[1].grade, 1);
  EXPECT_FALSE(ParseQrels("01\n", QrelsLayout::kQueryDoc, "q").ok());
}

TEST(QrelsTest, RejectsShortLinesAndBadGrades) {
  EXPECT_FALSE(ParseQrels("1 0 13\n", QrelsLayout::kTrec, "q").ok());
  EXPECT_FALSE(ParseQrels("1 0 13 1 9\n", QrelsLayout::kTrec, "q").ok());
  const absl::Status status = ParseQrels("1 2 3\n1 2 x\n", QrelsLayout::kQueryDocGrade, "qr").status();
  EXPECT_NE(status.message().find("qr:2:"), std::string::npos) << status;
}

TEST(BundledCranfieldTest, HasTheDocumentedShape) {
  const std::vector<SmartRecord> docs = ReadSmartFile("data/cranfield/cran.all.1400").value();
  ASSERT_EQ(docs.size(), 1400u);
  EXPECT_EQ(docs.front().id, "1");
  EXPECT_EQ(docs.back().id, "1400");
  // Documents 471 and 995 are empty in the distribution: records with no text, not errors.
  EXPECT_EQ(docs[470].id, "471");
  EXPECT_EQ(docs[470].Text("W"), "");
  EXPECT_EQ(docs[994].Text("W"), "");
  const std::vector<SmartRecord> queries = ReadSmartFile("data/cranfield/cran.qry").value();
  EXPECT_EQ(queries.size(), 225u);
  // Query numbers have gaps (.I 001 .. 365 for 225 queries); they are kept as written.
  EXPECT_EQ(queries.front().id, "1");
  EXPECT_EQ(queries.back().id, "365");
  const std::vector<Judgement> qrels =
      ReadQrels("data/cranfield/cranqrel", QrelsLayout::kQueryDocGrade).value();
  EXPECT_EQ(qrels.size(), 1837u);
}

}  // namespace
}  // namespace llmds
