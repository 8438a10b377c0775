// Bulk import jobs (seed 003): states, errors, the job record and where jobs are kept.
//
// Names are seed 003's, word for word; on the wire (REST, CSOM) the enums are the integers
// of DESIGN.md §2. Transitions: Submitted (accepted by QueueImportProfileProperties) →
// Queued (the source file passed the queue-time checks) or Error (DataFileNotExist,
// DataFileNotInTenant, DataFileTooBig) → Processing (the worker runs it) → Succeeded, or
// Error with InvalidDataFile / ImportCompleteWithError / InternalError.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lease.h"
#include "core/status.h"
#include "core/tenant.h"
#include "store/store.h"

namespace upsync {

enum class ImportJobState {
  kUnknown = 0,
  kSubmitted = 1,
  kProcessing = 2,
  kQueued = 3,
  kSucceeded = 4,
  kError = 5,
};

enum class ImportJobError {
  kNoError = 0,
  kInternalError = 1,
  kDataFileNotExist = 20,
  kDataFileNotInTenant = 21,
  kDataFileTooBig = 22,
  kInvalidDataFile = 23,
  kImportCompleteWithError = 30,
};

enum class ImportIdType { kEmail, kCloudId, kPrincipalName };

std::string_view import_job_state_name(ImportJobState s);
std::string_view import_job_error_name(ImportJobError e);
std::string_view import_id_type_name(ImportIdType t);
std::optional<ImportJobState> parse_import_job_state(std::string_view name);
std::optional<ImportJobError> parse_import_job_error(std::string_view name);
// "Email", "CloudId", "PrincipalName" (case-insensitive).
std::optional<ImportIdType> parse_import_id_type(std::string_view name);
// The store index an id type looks profiles up in.
ProfileKeyKind profile_key_kind_for(ImportIdType t);

// The version of a job's source file that was queued: the worker refuses to import another
// (seed 003's InvalidDataFile, "the data file changed after the job was queued"). Jobs queued
// before pins existed have none (sha256 empty) and run as they are.
struct SourcePin {
  int64_t size = 0;
  int64_t modified_ns = 0;  // the file's modification time, ns since the epoch
  std::string sha256;       // of the whole content, lower-case hex
  bool pinned() const { return !sha256.empty(); }
};

// QueueImportProfileProperties' parameter of upsync's multi-value extension (a boolean; see
// BulkImporter::queue_import_profile_properties).
inline constexpr std::string_view kMultiValueArraysParameter = "upsyncMultiValueArrays";

// A part of a large job's file, records [first, end), that one worker applies at a time with a
// checkpoint and a lease of its own (import_range_lease_name), so that several workers apply
// one job side by side (bulkimport/importer.h says when a job is split).
struct ImportRange {
  int index = 0;
  int64_t first = 0;  // the range's first user object (its index in the file)
  int64_t end = 0;    // one past its last
  int64_t done = 0;   // checkpoint: records [first, done) are applied
  // The lease of the worker applying the range, while one holds it.
  std::optional<Lease> lease;
  bool finished() const { return done >= end; }
};

struct ImportJob {
  std::string job_id;  // GUID
  TenantId tenant = 0;
  ImportJobState state = ImportJobState::kUnknown;
  ImportJobError error = ImportJobError::kNoError;
  std::string error_message;
  std::string source_uri;      // as the caller gave it
  std::string log_folder_uri;  // LogFileUri / LogFolderUri: the folder with the job's log
  ImportIdType id_type = ImportIdType::kEmail;
  std::string id_property;                          // sourceDataIdProperty
  std::map<std::string, std::string> property_map;  // file property → profile property
  SourcePin source_pin;                             // set when the job is Queued
  // upsync's extension (QueueImportProfileProperties' upsyncMultiValueArrays): multi-value
  // properties may be mapped, and their values given as JSON arrays of strings.
  bool multi_value_arrays = false;
  // Records of the file already applied: the checkpoint of a job applied whole; for a job
  // split into ranges, the records done in all of them (each range has its own checkpoint).
  int64_t records_done = 0;
  int64_t seq = 0;  // queue order
  // The lease of the worker running the job (its holder and heartbeat), while one holds it.
  std::optional<Lease> lease;
  std::string created_at;
  std::string updated_at;
  // The ranges of a split job with their workers, when the reader asked for them
  // (JobStore::ranges); empty otherwise and for a job applied whole.
  std::vector<ImportRange> ranges;
};

// Where jobs are kept. Implemented on the store's own database so that a job's checkpoint
// commits in the same transaction as the profile writes it covers.
class JobStore {
 public:
  virtual ~JobStore() = default;
  virtual Status create(const ImportJob& job) = 0;
  // NotFound when the tenant has no job with that id.
  virtual Result<ImportJob> get(TenantId tenant, std::string_view job_id) = 0;
  // Every job of the tenant, oldest first.
  virtual Result<std::vector<ImportJob>> list(TenantId tenant) = 0;
  // Jobs a worker should run, oldest first: Queued, or Processing whose worker's lease has
  // expired (a killed worker's; core/lease.h, import_lease_name) or, on PostgreSQL, whose
  // worker's session has ended (killed: its lease is taken over at once), never one whose
  // worker still renews it.
  virtual Result<std::vector<ImportJob>> runnable() = 0;
  // Deletes a job that has not started (Submitted or Queued) with its log lines: NotFound
  // when the tenant has no such job, FailedPrecondition when it has started or ended
  // (DeleteImportProfilePropertiesJob deletes only jobs that have not started).
  virtual Status remove_unstarted(TenantId tenant, std::string_view job_id) = 0;
  // Writes state, error, message, log folder, source pin and checkpoint.
  virtual Status update(const ImportJob& job) = 0;
  // Log lines of a job (kept until the log file is written, crash-safe). `record` is the user
  // object the line is about (-1 for the file as a whole); lines come back in record order,
  // and in the order written within a record, whichever worker wrote them.
  virtual Status add_log_line(std::string_view job_id, std::string_view line, int64_t record) = 0;
  virtual Result<std::vector<std::string>> log_lines(std::string_view job_id) = 0;
  virtual Status clear_log(std::string_view job_id) = 0;

  // Splits a job into `ranges` (each with done == first), once: false, and nothing written,
  // when the job has ranges already (another worker split it first).
  virtual Result<bool> create_ranges(std::string_view job_id,
                                     const std::vector<ImportRange>& ranges) = 0;
  // The job's ranges by index, each with the lease of the worker applying it; none for a job
  // applied whole.
  virtual Result<std::vector<ImportRange>> ranges(std::string_view job_id) = 0;
  // Moves range `index`'s checkpoint from `from` to `to`, and the job's records_done by as
  // many records, when the range's checkpoint is still `from` and the job still Processing;
  // false, and nothing written, otherwise (another worker applied the batch, or the job
  // ended). Inside the transaction that applies the batch.
  virtual Result<bool> advance_range(std::string_view job_id, int index, int64_t from,
                                     int64_t to) = 0;
};

// Fills each job's ranges (JobStore::ranges), for the readers that show them (import status,
// the admin API).
Status add_ranges(JobStore& jobs, std::vector<ImportJob>& list);

// The JobStore over `store`'s connection, from its backend (store/store.h).
inline Result<std::unique_ptr<JobStore>> open_job_store(Store& store) { return store.job_store(); }

}  // namespace upsync
