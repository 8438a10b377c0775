// Moving custom properties online (seed 000, "Moving custom profile properties to Office 365"):
// the first half, writing a tenant's users' values as seed 003's bulk-import file.
//
//   ExportOptions opt{.properties = {"CostCenter", "OfficeCode"}, .id_type = ImportIdType::kEmail};
//   auto summary = export_profile_values(*store, tenant.id, opt, "users.json");
//
// The file is {"value":[{"IdName":"<id>","CostCenter":"4711","OfficeCode":"B2"},...]}: the id
// is the profile property the online side resolves for the chosen idType (PrincipalName:
// SPS-UserPrincipalName, Email: WorkEmail, CloudId: msOnline-ObjectId). A multi-value
// property is refused, as the import refuses it (seed 003), unless multi_value_arrays is set:
// its values are then a JSON array ("Certifications":["PMP","CISSP"]), for an upsync online
// side's import extension (BulkImporter::queue_import_profile_properties). A user with no value for
// any of the properties is left out, and so is one without an id value (counted apart: the online
// side could not resolve them); a user with some of the values has those.
//
// Seed 003's limits per import: a file of at most 2 GB and 500,000 property values. An export
// holding more is split into several files, each a whole import of its own, to be run one
// after the other ("batch your jobs accordingly by triggering multiple jobs in sequence"): the
// first at `out_path`, the next ones beside it, users-2.json, users-3.json, ... for
// users.json (export_part_path). A user's values are never split between two files.
//
// Streaming: profiles are read a page at a time and written as they come, so memory stays
// bounded whatever the tenant's size. The files are written beside `out_path` under temporary
// names and renamed into place at the end, so a failed export never leaves a half file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bulkimport/job.h"
#include "core/status.h"
#include "store/store.h"

namespace upsync {

struct ExportOptions {
  std::vector<std::string> properties;  // profile property names, as the schema spells them
  ImportIdType id_type = ImportIdType::kPrincipalName;
  std::string id_property = "IdName";  // the name of the id member in the file
  int page_size = 1000;                // profiles read per store call
  // The hybrid users: only this audience's members (audiences/audiences.h); nullopt: every
  // user (seed 000: without an audience every user is hybrid).
  std::optional<int64_t> audience_id;
  // Multi-value properties written as JSON arrays (only an upsync online side takes them).
  bool multi_value_arrays = false;
  // Seed 003's limits for one import; a smaller one splits into more files.
  int64_t max_values_per_file = 500000;
  uint64_t max_bytes_per_file = 2ull * 1024 * 1024 * 1024;
};

// One file of an export: a whole bulk-import file.
struct ExportedFile {
  std::string path;
  int64_t users = 0;
  int64_t values = 0;
  uint64_t bytes = 0;
};

struct ExportSummary {
  int64_t users_read = 0;      // profiles of the tenant looked at
  int64_t users_written = 0;   // user objects in the file
  int64_t values_written = 0;  // property values in the file (each array counts as one)
  int64_t skipped_no_value = 0;
  int64_t skipped_no_id = 0;
  int64_t skipped_not_in_audience = 0;
  uint64_t bytes = 0;                   // of every file together
  std::vector<ExportedFile> files;      // in order; one unless the limits split the export
  std::vector<std::string> properties;  // as the schema spells them
  std::string id_profile_property;      // the profile property the ids come from
};

// Where part `n` (1, 2, ...) of an export to `out_path` goes: `out_path` itself for 1, else
// the same name with "-<n>" before its extension (users.json → users-2.json).
std::string export_part_path(const std::string& out_path, int n);

// The profile property whose value the online side resolves for `type`.
std::string_view id_profile_property(ImportIdType type);

// Checks the properties against the tenant's schema (each must exist, none twice, none the id
// property itself) before writing anything; InvalidArgument naming the property otherwise.
Result<ExportSummary> export_profile_values(Store& store, TenantId tenant,
                                            const ExportOptions& options,
                                            const std::string& out_path);

}  // namespace upsync
