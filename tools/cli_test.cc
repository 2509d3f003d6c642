// Copyright 2026 The llmds Authors.

#include "llmds/tools/cli.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {
namespace cli {
namespace {

const std::vector<FlagSpec> kSpecs = {
    {"json", "json output", true, ""},
    {"k", "results", false, "10"},
    {"name", "a name", false, ""},
};

TEST(ParsedFlagsTest, ParsesEqualsSpaceSwitchesAndPositionals) {
  const ParsedFlags flags =
      ParsedFlags::Parse({"--k=5", "query text", "--json", "--name", "x y"}, kSpecs).value();
  EXPECT_EQ(flags.GetInt("k").value(), 5);
  EXPECT_TRUE(flags.IsSet("json"));
  EXPECT_EQ(flags.Get("name"), "x y");
  EXPECT_EQ(flags.positional(), std::vector<std::string>{"query text"});
}

TEST(ParsedFlagsTest, DefaultsApplyWhenUnset) {
  const ParsedFlags flags = ParsedFlags::Parse({}, kSpecs).value();
  EXPECT_FALSE(flags.IsSet("k"));
  EXPECT_EQ(flags.GetInt("k").value(), 10);
  EXPECT_EQ(flags.Get("unknown"), "");
}

TEST(ParsedFlagsTest, RejectsUnknownMissingAndMalformedValues) {
  EXPECT_EQ(ParsedFlags::Parse({"--nope"}, kSpecs).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsedFlags::Parse({"--k"}, kSpecs).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsedFlags::Parse({"--json=1"}, kSpecs).status().code(),
            absl::StatusCode::kInvalidArgument);
  const ParsedFlags flags = ParsedFlags::Parse({"--k=ten"}, kSpecs).value();
  const absl::Status status = flags.GetInt("k").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("--k"), std::string::npos);
  EXPECT_FALSE(flags.GetDouble("k").ok());
  const ParsedFlags five = ParsedFlags::Parse({"--k=5"}, kSpecs).value();
  EXPECT_EQ(five.GetIntInRange("k", 1, 5).value(), 5);
  const absl::Status range = five.GetIntInRange("k", 6, 9).status();
  EXPECT_EQ(range.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(range.message().find("--k must be in [6, 9], got 5"), std::string::npos) << range;
}

struct Harness {
  std::ostringstream out, err;
  int Run(std::vector<std::string> args) {
    std::vector<Command> commands;
    Command echo;
    echo.name = "echo";
    echo.summary = "echoes --name";
    echo.usage = "prog echo [--name=X]";
    echo.flags = kSpecs;
    echo.run = [](const ParsedFlags& flags, std::ostream& o) {
      if (flags.Get("name") == "fail") return absl::InternalError("it failed");
      o << "hello " << flags.Get("name") << "\n";
      return absl::OkStatus();
    };
    commands.push_back(echo);
    args.insert(args.begin(), "prog");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    return Main("prog", "prog: a test program.", commands, static_cast<int>(argv.size()),
                argv.data(), out, err);
  }
};

TEST(MainTest, DispatchesToTheCommand) {
  Harness h;
  EXPECT_EQ(h.Run({"echo", "--name=world"}), 0);
  EXPECT_EQ(h.out.str(), "hello world\n");
  EXPECT_EQ(h.err.str(), "");
}

TEST(MainTest, HelpListsCommandsAndFlags) {
  Harness h;
  EXPECT_EQ(h.Run({"--help"}), 0);
  EXPECT_NE(h.out.str().find("echo"), std::string::npos);
  Harness h2;
  EXPECT_EQ(h2.Run({"echo", "--help"}), 0);
  EXPECT_NE(h2.out.str().find("--name"), std::string::npos);
  EXPECT_NE(h2.out.str().find("(default: 10)"), std::string::npos);
  Harness h3;
  EXPECT_EQ(h3.Run({"help", "echo"}), 0);
  EXPECT_NE(h3.out.str().find("usage: prog echo"), std::string::npos);
}

TEST(MainTest, UsageErrorsExitTwoWithAMessage) {
  Harness none;
  EXPECT_EQ(none.Run({}), 2);
  Harness unknown;
  EXPECT_EQ(unknown.Run({"frobnicate"}), 2);
  EXPECT_NE(unknown.err.str().find("unknown command 'frobnicate'"), std::string::npos);
  Harness bad_flag;
  EXPECT_EQ(bad_flag.Run({"echo", "--bogus"}), 2);
  EXPECT_NE(bad_flag.err.str().find("unknown flag --bogus"), std::string::npos);
}

TEST(MainTest, CommandFailureExitsOneWithTheError) {
  Harness h;
  EXPECT_EQ(h.Run({"echo", "--name=fail"}), 1);
  EXPECT_NE(h.err.str().find("it failed"), std::string::npos);
}

TEST(TableTest, AlignsColumns) {
  Table table({"name", "value"});
  table.AddRow({"a", "1.5"});
  table.AddRow({"longer", "10.25"});
  std::ostringstream out;
  table.Print(out, "");
  EXPECT_EQ(out.str(),
            "name    value\n"
            "-------------\n"
            "a         1.5\n"
            "longer  10.25\n");
}

TEST(JsonStringTest, Escapes) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

}  // namespace
}  // namespace cli
}  // namespace llmds
