// Copyright 2026 The llmds Authors.
//
// Whole-file reads and writes with absl::Status errors that name the file, for loaders, readers
// of bundled data and the `llmds` tool.

#ifndef LLMDS_UTILS_FILE_H_
#define LLMDS_UTILS_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace llmds {

// Returns the whole content of the file at `path`.
//
// Errors: NotFound if it does not exist, PermissionDenied, or Internal/DataLoss for read
// failures; each message names the path.
absl::StatusOr<std::string> ReadFile(std::string_view path);

// Writes `contents` to `path` atomically: to a temporary file beside it, then renamed over it,
// so readers see either the old or the new file, never a partial one.
//
// Errors: as the underlying system calls fail, naming the path.
absl::Status WriteFileAtomically(std::string_view path, std::string_view contents);

}  // namespace llmds

#endif  // LLMDS_UTILS_FILE_H_
