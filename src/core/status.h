// Status and Result<T>: how upsync reports failure.
//
// Every function that can fail returns a Status (no value) or a Result<T> (a value or a
// Status). A Status carries a Code, which says who is at fault and decides the CLI's exit
// code and the HTTP status, and a message written for the person who has to fix it: it names
// what was wrong and where (the property, the line and position, the field).
//
//   Result<Claim> c = parse_claim(text);
//   if (!c) return c.status();          // pass the failure up unchanged
//   use(*c);
//
// Exceptions from libraries are caught where the library is called and turned into a Status;
// nothing throws across a subsystem boundary.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace upsync {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed input: the caller must change what it sent
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // a create that would duplicate an existing thing
  kFailedPrecondition,  // well-formed, but not allowed in the current state
  kPermissionDenied,    // the caller may not do this
  kDataLoss,            // stored data is corrupt or from a newer version of upsync
  kInternal,            // a bug or an environment failure (disk, database)
  kUnavailable,         // a dependency (a server) could not be reached
  kUnauthenticated,     // no credentials, or credentials that do not prove who the caller is
  kAborted,             // a conflict with a concurrent writer (serialization, deadlock): try again
};

// The name of a code as the CLI and logs print it ("InvalidArgument").
std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // True when the fault is the caller's input or request rather than upsync or its
  // environment: the CLI exits 1 for these and 3 for the others.
  bool is_user_error() const;

  // "NotFound: tenant 'fabrikam' does not exist".
  std::string to_string() const;

  // Prefixes the message with context, keeping the code: "opening /d/upsync.db: ...".
  Status with_context(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status already_exists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status failed_precondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status permission_denied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status data_loss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}

// A value of type T or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).is_ok() && "a Result needs a value or a failure");
  }

  bool has_value() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return has_value(); }

  // The failure; an ok Status when there is a value.
  const Status& status() const {
    static const Status kOk;
    return has_value() ? kOk : std::get<Status>(v_);
  }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace upsync

// Returns from the enclosing function when `expr` (a Status) failed.
#define UPSYNC_RETURN_IF_ERROR(expr)                    \
  do {                                                  \
    ::upsync::Status upsync_status_ = (expr);           \
    if (!upsync_status_.is_ok()) return upsync_status_; \
  } while (0)

#define UPSYNC_CONCAT_INNER_(a, b) a##b
#define UPSYNC_CONCAT_(a, b) UPSYNC_CONCAT_INNER_(a, b)

// `UPSYNC_ASSIGN_OR_RETURN(auto x, f());` declares x from f()'s value or returns its Status.
#define UPSYNC_ASSIGN_OR_RETURN(decl, expr)                   \
  auto UPSYNC_CONCAT_(upsync_result_, __LINE__) = (expr);     \
  if (!UPSYNC_CONCAT_(upsync_result_, __LINE__))              \
    return UPSYNC_CONCAT_(upsync_result_, __LINE__).status(); \
  decl = std::move(*UPSYNC_CONCAT_(upsync_result_, __LINE__))
