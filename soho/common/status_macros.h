#pragma once
// Propagation helpers for absl::Status / absl::StatusOr at user-facing boundaries.
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define SOHO_RETURN_IF_ERROR(expr)                    \
  do {                                                \
    ::absl::Status soho_status_ = (expr);             \
    if (!soho_status_.ok()) return soho_status_;      \
  } while (false)

#define SOHO_STATUS_CONCAT_INNER_(a, b) a##b
#define SOHO_STATUS_CONCAT_(a, b) SOHO_STATUS_CONCAT_INNER_(a, b)

// `SOHO_ASSIGN_OR_RETURN(auto x, FunctionReturningStatusOr());` assigns the value or
// returns the error from the enclosing function.
#define SOHO_ASSIGN_OR_RETURN(lhs, expr) \
  SOHO_ASSIGN_OR_RETURN_IMPL_(SOHO_STATUS_CONCAT_(soho_statusor_, __LINE__), lhs, expr)

#define SOHO_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
