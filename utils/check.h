// Copyright 2026 The llmds Authors.
//
// Internal invariant checks. Abseil 20220623 (Debian 12) predates absl/log, so llmds has its own
// small CHECK macros. They are for broken *internal* invariants only: bad input from a caller is
// reported with absl::Status, never with a check.
//
//   LLMDS_CHECK(ref_count >= 0);          // always on; aborts with file:line and the condition
//   LLMDS_DCHECK(heap_.size() == n);      // on unless NDEBUG (i.e. off under -c opt)
//   LLMDS_DCHECK_LE(a, b);                // comparison forms print both values

#ifndef LLMDS_UTILS_CHECK_H_
#define LLMDS_UTILS_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "absl/base/optimization.h"

namespace llmds {
namespace utils_internal {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* condition,
                                     const std::string& values) {
  std::fprintf(stderr, "%s:%d: llmds check failed: %s%s\n", file, line, condition,
               values.c_str());
  std::fflush(stderr);
  std::abort();
}

template <typename A, typename B>
std::string DescribeOperands(const A& a, const B& b) {
  std::ostringstream out;
  out << " (" << a << " vs " << b << ")";
  return out.str();
}

}  // namespace utils_internal
}  // namespace llmds

#define LLMDS_CHECK(condition)                                                              \
  do {                                                                                      \
    if (ABSL_PREDICT_FALSE(!(condition))) {                                                 \
      ::llmds::utils_internal::CheckFailed(__FILE__, __LINE__, #condition, std::string()); \
    }                                                                                       \
  } while (false)

#define LLMDS_CHECK_OP_IMPL(a, b, op)                                                   \
  do {                                                                                  \
    const auto& llmds_check_a = (a);                                                    \
    const auto& llmds_check_b = (b);                                                    \
    if (ABSL_PREDICT_FALSE(!(llmds_check_a op llmds_check_b))) {                        \
      ::llmds::utils_internal::CheckFailed(                                             \
          __FILE__, __LINE__, #a " " #op " " #b,                                        \
          ::llmds::utils_internal::DescribeOperands(llmds_check_a, llmds_check_b));     \
    }                                                                                   \
  } while (false)

#define LLMDS_CHECK_EQ(a, b) LLMDS_CHECK_OP_IMPL(a, b, ==)
#define LLMDS_CHECK_NE(a, b) LLMDS_CHECK_OP_IMPL(a, b, !=)
#define LLMDS_CHECK_LT(a, b) LLMDS_CHECK_OP_IMPL(a, b, <)
#define LLMDS_CHECK_LE(a, b) LLMDS_CHECK_OP_IMPL(a, b, <=)
#define LLMDS_CHECK_GT(a, b) LLMDS_CHECK_OP_IMPL(a, b, >)
#define LLMDS_CHECK_GE(a, b) LLMDS_CHECK_OP_IMPL(a, b, >=)

#ifdef NDEBUG
// Compiled (so the expressions stay valid) but never evaluated.
#define LLMDS_DCHECK(condition) \
  while (false) LLMDS_CHECK(condition)
#define LLMDS_DCHECK_OP_IMPL(a, b, op) \
  while (false) LLMDS_CHECK_OP_IMPL(a, b, op)
#else
#define LLMDS_DCHECK(condition) LLMDS_CHECK(condition)
#define LLMDS_DCHECK_OP_IMPL(a, b, op) LLMDS_CHECK_OP_IMPL(a, b, op)
#endif

#define LLMDS_DCHECK_EQ(a, b) LLMDS_DCHECK_OP_IMPL(a, b, ==)
#define LLMDS_DCHECK_NE(a, b) LLMDS_DCHECK_OP_IMPL(a, b, !=)
#define LLMDS_DCHECK_LT(a, b) LLMDS_DCHECK_OP_IMPL(a, b, <)
#define LLMDS_DCHECK_LE(a, b) LLMDS_DCHECK_OP_IMPL(a, b, <=)
#define LLMDS_DCHECK_GT(a, b) LLMDS_DCHECK_OP_IMPL(a, b, >)
#define LLMDS_DCHECK_GE(a, b) LLMDS_DCHECK_OP_IMPL(a, b, >=)

#endif  // LLMDS_UTILS_CHECK_H_
