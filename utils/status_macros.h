// Copyright 2026 The llmds Authors.
//
// Early-return macros for absl::Status and absl::StatusOr<T>, the way llmds propagates errors
// without exceptions.
//
//   absl::Status Load(std::string_view path) {
//     LLMDS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
//     LLMDS_RETURN_IF_ERROR(Parse(bytes));
//     return absl::OkStatus();
//   }
//
// Both macros evaluate their expression exactly once. The enclosing function must return
// absl::Status or any absl::StatusOr<U> (both are constructible from a non-OK absl::Status).

#ifndef LLMDS_UTILS_STATUS_MACROS_H_
#define LLMDS_UTILS_STATUS_MACROS_H_

#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if it is not OK.
#define LLMDS_RETURN_IF_ERROR(expr)                                   \
  do {                                                                \
    ::absl::Status llmds_status_macro_status = (expr);                \
    if (ABSL_PREDICT_FALSE(!llmds_status_macro_status.ok())) {        \
      return llmds_status_macro_status;                               \
    }                                                                 \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from the enclosing
// function, otherwise moves the value into `lhs`, which may be a declaration
// (`LLMDS_ASSIGN_OR_RETURN(auto x, F())`) or an existing lvalue. `lhs` must not contain an
// unparenthesized comma.
#define LLMDS_ASSIGN_OR_RETURN(lhs, rexpr)                                              \
  LLMDS_STATUS_MACROS_ASSIGN_OR_RETURN_IMPL(                                            \
      LLMDS_STATUS_MACROS_CONCAT(llmds_status_macro_statusor_, __LINE__), lhs, rexpr)

// Implementation details; do not use directly.
#define LLMDS_STATUS_MACROS_CONCAT_INNER(a, b) a##b
#define LLMDS_STATUS_MACROS_CONCAT(a, b) LLMDS_STATUS_MACROS_CONCAT_INNER(a, b)
#define LLMDS_STATUS_MACROS_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                              \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) {                             \
    return std::move(statusor).status();                                \
  }                                                                     \
  lhs = std::move(statusor).value()

#endif  // LLMDS_UTILS_STATUS_MACROS_H_
