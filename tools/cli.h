// Copyright 2026 The llmds Authors.
//
// The small command-line framework behind the `llmds` tool: subcommands, `--flag=value` /
// `--flag value` / `--switch` parsing with errors for unknown or malformed flags, and text tables
// that line up in a terminal.

#ifndef LLMDS_TOOLS_CLI_H_
#define LLMDS_TOOLS_CLI_H_

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace llmds {
namespace cli {

struct FlagSpec {
  std::string name;        // without the leading "--"
  std::string help;
  bool is_switch = false;  // a switch takes no value (`--json`)
  std::string default_value;
};

// Flags of one invocation, parsed against a command's specs.
class ParsedFlags {
 public:
  // Parses `args` (after the subcommand name). Positional arguments are kept in order.
  // Errors: InvalidArgument for an unknown flag, a missing value, or a value given to a switch.
  static absl::StatusOr<ParsedFlags> Parse(const std::vector<std::string>& args,
                                           const std::vector<FlagSpec>& specs);

  // Returns the flag's value, or its default.
  const std::string& Get(std::string_view name) const;
  bool IsSet(std::string_view name) const;
  // Returns the value as an integer/double; InvalidArgument naming the flag if it is not one.
  absl::StatusOr<int64_t> GetInt(std::string_view name) const;
  absl::StatusOr<double> GetDouble(std::string_view name) const;
  // Returns the value as an integer in [min, max]; InvalidArgument naming the flag and the range
  // otherwise.
  absl::StatusOr<int64_t> GetIntInRange(std::string_view name, int64_t min, int64_t max) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::map<std::string, std::string, std::less<>> defaults_;
  std::vector<std::string> positional_;
};

struct Command {
  std::string name;
  std::string summary;  // one line, for `llmds --help`
  std::string usage;    // e.g. "llmds demo [--json] [--data_dir=DIR]"
  std::vector<FlagSpec> flags;
  // Runs the command; writes results to `out`. Returns the error to report otherwise.
  std::function<absl::Status(const ParsedFlags&, std::ostream& out)> run;
};

// Writes the help of `command`: usage, summary and its flags.
void PrintCommandHelp(const Command& command, std::ostream& out);

// Runs the program: dispatches argv[1] to a command, handles `--help`/`-h`/`help [command]`.
// Returns the process exit code: 0 on success, 1 when a command fails, 2 for usage errors.
int Main(std::string_view program, const std::string& description,
         const std::vector<Command>& commands, int argc, char** argv, std::ostream& out,
         std::ostream& err);

// A plain text table: columns padded to their widest cell; numbers right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out, std::string_view indent = "  ") const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// A progress bar on stderr for long work, drawn only when stderr is a terminal (silent in logs,
// pipes and CI). Redraws at most ten times a second.
class Progress {
 public:
  Progress(std::string label, int64_t total);
  ~Progress();  // finishes the line
  void Update(int64_t done);

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  int64_t last_draw_ns_ = 0;
};

// Returns `s` as a JSON string literal (quotes and escapes included).
std::string JsonString(std::string_view s);

}  // namespace cli
}  // namespace llmds

#endif  // LLMDS_TOOLS_CLI_H_
