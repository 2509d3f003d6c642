// Copyright 2026 The llmds Authors.

#include "llmds/utils/status_macros.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace llmds {
namespace {

absl::Status Fails() { return absl::NotFoundError("no such thing"); }
absl::Status Succeeds() { return absl::OkStatus(); }

absl::StatusOr<int> Number(bool ok) {
  if (!ok) return absl::InvalidArgumentError("bad number");
  return 42;
}

absl::Status ReturnIfError(bool fail, int* reached) {
  LLMDS_RETURN_IF_ERROR(Succeeds());
  *reached = 1;
  LLMDS_RETURN_IF_ERROR(fail ? Fails() : Succeeds());
  *reached = 2;
  return absl::OkStatus();
}

TEST(ReturnIfErrorTest, PassesOkAndReturnsTheFirstError) {
  int reached = 0;
  EXPECT_TRUE(ReturnIfError(false, &reached).ok());
  EXPECT_EQ(reached, 2);
  reached = 0;
  const absl::Status status = ReturnIfError(true, &reached);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such thing");
  EXPECT_EQ(reached, 1);
}

TEST(ReturnIfErrorTest, EvaluatesItsExpressionOnce) {
  int calls = 0;
  auto counted = [&calls]() {
    ++calls;
    return absl::OkStatus();
  };
  auto f = [&]() -> absl::Status {
    LLMDS_RETURN_IF_ERROR(counted());
    return absl::OkStatus();
  };
  EXPECT_TRUE(f().ok());
  EXPECT_EQ(calls, 1);
}

absl::StatusOr<int> AddOne(bool ok) {
  LLMDS_ASSIGN_OR_RETURN(const int value, Number(ok));
  return value + 1;
}

TEST(AssignOrReturnTest, DeclaresAndPropagates) {
  EXPECT_EQ(AddOne(true).value(), 43);
  const absl::StatusOr<int> failed = AddOne(false);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(failed.status().message(), "bad number");
}

TEST(AssignOrReturnTest, AssignsToExistingVariablesAndMovesOnlyTypes) {
  auto f = []() -> absl::Status {
    std::unique_ptr<std::string> owned;
    LLMDS_ASSIGN_OR_RETURN(owned, absl::StatusOr<std::unique_ptr<std::string>>(
                                      std::make_unique<std::string>("moved")));
    if (owned == nullptr || *owned != "moved") return absl::InternalError("not assigned");
    int a = 0;
    LLMDS_ASSIGN_OR_RETURN(a, Number(true));
    LLMDS_ASSIGN_OR_RETURN(int b, Number(true));  // two on one function, distinct temporaries
    if (a + b != 84) return absl::InternalError("wrong values");
    return absl::OkStatus();
  };
  EXPECT_TRUE(f().ok());
}

TEST(AssignOrReturnTest, ConvertsTheErrorToAnotherStatusOr) {
  auto f = []() -> absl::StatusOr<std::string> {
    LLMDS_ASSIGN_OR_RETURN(int value, Number(false));
    return std::to_string(value);
  };
  EXPECT_EQ(f().status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace llmds
