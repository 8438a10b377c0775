#include "bulkimport/job.h"

#include <array>
#include <utility>

#include "core/property.h"

namespace upsync {
namespace {

constexpr std::array<std::pair<ImportJobState, std::string_view>, 6> kStates = {{
    {ImportJobState::kUnknown, "Unknown"},
    {ImportJobState::kSubmitted, "Submitted"},
    {ImportJobState::kProcessing, "Processing"},
    {ImportJobState::kQueued, "Queued"},
    {ImportJobState::kSucceeded, "Succeeded"},
    {ImportJobState::kError, "Error"},
}};

constexpr std::array<std::pair<ImportJobError, std::string_view>, 7> kErrors = {{
    {ImportJobError::kNoError, "NoError"},
    {ImportJobError::kInternalError, "InternalError"},
    {ImportJobError::kDataFileNotExist, "DataFileNotExist"},
    {ImportJobError::kDataFileNotInTenant, "DataFileNotInTenant"},
    {ImportJobError::kDataFileTooBig, "DataFileTooBig"},
    {ImportJobError::kInvalidDataFile, "InvalidDataFile"},
    {ImportJobError::kImportCompleteWithError, "ImportCompleteWithError"},
}};

constexpr std::array<std::pair<ImportIdType, std::string_view>, 3> kIdTypes = {{
    {ImportIdType::kEmail, "Email"},
    {ImportIdType::kCloudId, "CloudId"},
    {ImportIdType::kPrincipalName, "PrincipalName"},
}};

}  // namespace

std::string_view import_job_state_name(ImportJobState s) {
  for (const auto& [v, n] : kStates) {
    if (v == s) return n;
  }
  return "Unknown";
}

std::string_view import_job_error_name(ImportJobError e) {
  for (const auto& [v, n] : kErrors) {
    if (v == e) return n;
  }
  return "InternalError";
}

std::string_view import_id_type_name(ImportIdType t) {
  for (const auto& [v, n] : kIdTypes) {
    if (v == t) return n;
  }
  return "Email";
}

std::optional<ImportJobState> parse_import_job_state(std::string_view name) {
  for (const auto& [v, n] : kStates) {
    if (property_name_equal(n, name)) return v;
  }
  return std::nullopt;
}

std::optional<ImportJobError> parse_import_job_error(std::string_view name) {
  for (const auto& [v, n] : kErrors) {
    if (property_name_equal(n, name)) return v;
  }
  return std::nullopt;
}

std::optional<ImportIdType> parse_import_id_type(std::string_view name) {
  for (const auto& [v, n] : kIdTypes) {
    if (property_name_equal(n, name)) return v;
  }
  return std::nullopt;
}

ProfileKeyKind profile_key_kind_for(ImportIdType t) {
  switch (t) {
    case ImportIdType::kEmail:
      return ProfileKeyKind::kEmail;
    case ImportIdType::kCloudId:
      return ProfileKeyKind::kCloudId;
    case ImportIdType::kPrincipalName:
      return ProfileKeyKind::kPrincipalName;
  }
  return ProfileKeyKind::kEmail;
}

Status add_ranges(JobStore& jobs, std::vector<ImportJob>& list) {
  for (ImportJob& j : list) {
    UPSYNC_ASSIGN_OR_RETURN(j.ranges, jobs.ranges(j.job_id));
  }
  return Status::ok();
}

}  // namespace upsync
