// Copyright 2026 The llmds Authors.

#include "llmds/tools/cli.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <chrono>
#include <utility>

#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace llmds {
namespace cli {
namespace {

const FlagSpec* FindSpec(const std::vector<FlagSpec>& specs, std::string_view name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool LooksNumeric(const std::string& cell) {
  if (cell.empty()) return false;
  const char c = cell[0];
  return std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.';
}

}  // namespace

absl::StatusOr<ParsedFlags> ParsedFlags::Parse(const std::vector<std::string>& args,
                                               const std::vector<FlagSpec>& specs) {
  ParsedFlags flags;
  for (const FlagSpec& spec : specs) flags.defaults_[spec.name] = spec.default_value;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      flags.positional_.push_back(arg);
      continue;
    }
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? std::string::npos
                                                                        : equals - 2);
    const FlagSpec* spec = FindSpec(specs, name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (spec->is_switch) {
      if (equals != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      flags.values_[name] = "true";
      continue;
    }
    if (equals != std::string::npos) {
      flags.values_[name] = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      flags.values_[name] = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
  }
  return flags;
}

const std::string& ParsedFlags::Get(std::string_view name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  static const std::string* const kEmpty = new std::string();
  auto default_it = defaults_.find(name);
  return default_it != defaults_.end() ? default_it->second : *kEmpty;
}

bool ParsedFlags::IsSet(std::string_view name) const { return values_.count(name) > 0; }

absl::StatusOr<int64_t> ParsedFlags::GetInt(std::string_view name) const {
  int64_t value;
  const std::string& text = Get(name);
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", std::string(name), " must be an integer, got '", text, "'"));
  }
  return value;
}

absl::StatusOr<int64_t> ParsedFlags::GetIntInRange(std::string_view name, int64_t min,
                                                   int64_t max) const {
  absl::StatusOr<int64_t> value = GetInt(name);
  if (value.ok() && (*value < min || *value > max)) {
    return absl::InvalidArgumentError(absl::StrCat("--", std::string(name), " must be in [", min,
                                                   ", ", max, "], got ", *value));
  }
  return value;
}

absl::StatusOr<double> ParsedFlags::GetDouble(std::string_view name) const {
  double value;
  const std::string& text = Get(name);
  if (!absl::SimpleAtod(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", std::string(name), " must be a number, got '", text, "'"));
  }
  return value;
}

void PrintCommandHelp(const Command& command, std::ostream& out) {
  out << "usage: " << command.usage << "\n\n" << command.summary << "\n";
  if (command.flags.empty()) return;
  out << "\nflags:\n";
  for (const FlagSpec& flag : command.flags) {
    std::string left = absl::StrCat("  --", flag.name, flag.is_switch ? "" : "=VALUE");
    out << absl::StrFormat("%-26s %s", left, flag.help);
    if (!flag.is_switch && !flag.default_value.empty()) {
      out << " (default: " << flag.default_value << ")";
    }
    out << "\n";
  }
}

int Main(std::string_view program, const std::string& description,
         const std::vector<Command>& commands, int argc, char** argv, std::ostream& out,
         std::ostream& err) {
  auto print_overview = [&](std::ostream& stream) {
    stream << description << "\n\nusage: " << std::string(program)
           << " <command> [flags]\n\ncommands:\n";
    for (const Command& command : commands) {
      stream << absl::StrFormat("  %-10s %s\n", command.name, command.summary);
    }
    stream << "\nRun '" << std::string(program) << " <command> --help' for a command's flags.\n";
  };
  auto find = [&](std::string_view name) -> const Command* {
    for (const Command& command : commands) {
      if (command.name == name) return &command;
    }
    return nullptr;
  };

  if (argc < 2) {
    print_overview(err);
    return 2;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    if (first == "help" && argc >= 3) {
      const Command* command = find(argv[2]);
      if (command == nullptr) {
        err << program << ": unknown command '" << argv[2] << "'\n";
        return 2;
      }
      PrintCommandHelp(*command, out);
      return 0;
    }
    print_overview(out);
    return 0;
  }
  const Command* command = find(first);
  if (command == nullptr) {
    err << program << ": unknown command '" << first << "'\n\n";
    print_overview(err);
    return 2;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      PrintCommandHelp(*command, out);
      return 0;
    }
  }
  absl::StatusOr<ParsedFlags> flags = ParsedFlags::Parse(args, command->flags);
  if (!flags.ok()) {
    err << program << " " << command->name << ": " << flags.status().message() << "\n\n";
    PrintCommandHelp(*command, err);
    return 2;
  }
  const absl::Status status = command->run(*flags, out);
  out.flush();
  if (!status.ok()) {
    err << program << " " << command->name << ": " << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

void Table::Print(std::ostream& out, std::string_view indent) const {
  std::vector<size_t> widths(header_.size(), 0);
  auto widen = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  widen(header_);
  for (const auto& row : rows_) widen(row);
  auto print_row = [&](const std::vector<std::string>& row, bool is_header) {
    std::string line(indent);
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      const std::string padding(widths[i] - cell.size(), ' ');
      const bool right = !is_header && i > 0 && LooksNumeric(cell);
      const bool right_header = is_header && i > 0;
      absl::StrAppend(&line, i == 0 ? "" : "  ", right || right_header ? padding : "", cell,
                      right || right_header ? "" : padding);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(header_, true);
  size_t total = 0;
  for (size_t w : widths) total += w;
  out << indent << std::string(total + 2 * (widths.empty() ? 0 : widths.size() - 1), '-')
      << "\n";
  for (const auto& row : rows_) print_row(row, false);
}

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), enabled_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (enabled_ && last_draw_ns_ != 0) {
    Update(total_);
    std::fputc('\n', stderr);
  }
}

void Progress::Update(int64_t done) {
  if (!enabled_ || total_ <= 0) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (done < total_ && now - last_draw_ns_ < 100000000) return;
  last_draw_ns_ = now;
  constexpr int kWidth = 30;
  const double fraction = std::clamp(static_cast<double>(done) / total_, 0.0, 1.0);
  const int filled = static_cast<int>(fraction * kWidth);
  std::fprintf(stderr, "\r%s [%s%s] %3.0f%%", label_.c_str(), std::string(filled, '=').c_str(),
               std::string(kWidth - filled, ' ').c_str(), 100 * fraction);
  std::fflush(stderr);
}

std::string JsonString(std::string_view s) {
  std::string result = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        result += "\\\"";
        break;
      case '\\':
        result += "\\\\";
        break;
      case '\n':
        result += "\\n";
        break;
      case '\t':
        result += "\\t";
        break;
      case '\r':
        result += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          result += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          result.push_back(c);
        }
    }
  }
  result.push_back('"');
  return result;
}

}  // namespace cli
}  // namespace llmds
