#include "core/status.h"

#include <string>

namespace upsync {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "Ok";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case StatusCode::kDataLoss:
      return "DataLoss";
    case StatusCode::kInternal:
      return "Internal";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kUnauthenticated:
      return "Unauthenticated";
    case StatusCode::kAborted:
      return "Aborted";
  }
  return "Unknown";
}

bool Status::is_user_error() const {
  switch (code_) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kPermissionDenied:
    // A corrupt or too-new database is the user's to fix (restore, upgrade), not a bug.
    case StatusCode::kDataLoss:
    case StatusCode::kUnavailable:
    case StatusCode::kUnauthenticated:
    // A conflict that outlasted the retries: the caller tries again, nothing is broken.
    case StatusCode::kAborted:
      return true;
    case StatusCode::kOk:
    case StatusCode::kInternal:
      return false;
  }
  return false;
}

std::string Status::to_string() const {
  if (is_ok()) return "Ok";
  std::string out(status_code_name(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (is_ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

}  // namespace upsync
