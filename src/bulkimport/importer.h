// The bulk import API of seed 003 and its worker (the "timer job").
//
//   BulkImporter imp(*store, *jobs, libs);
//   auto id = imp.queue_import_profile_properties(tenant, ImportIdType::kEmail, "IdName",
//                                                 {{"City", "City"}, {"Office", "OfficeCode"}},
//                                                 "/sites/hr/Shared Documents/users.json");
//   imp.run_pending();                       // what `upsync import run-pending` does
//   auto job = imp.get_import_profile_property_job(tenant, *id);
//
// The source URL goes through the door of sites/library_path.h: a URL it refuses (an encoded
// '/', a dot segment, ...) is InvalidArgument at queue time, and no job exists. A queued job
// pins the file's version (size, modification time, SHA-256, read once at queue time); the
// worker opens the file once, beneath the tenant's folder, compares size and time at once and
// the hash while its first pass reads (on a second thread, before anything is applied), and
// ends the job with InvalidDataFile ("the data file changed after the job was queued") when
// the file is not the one queued.
//
// The worker reads the file twice, streaming. Pass 1 validates everything that can abort
// the file (JSON, shape, unmapped properties, values against the schema, the property
// limit) so that an aborted file applies nothing. Pass 2 resolves identities and applies
// the updates in transactions of `batch_records` user objects; each transaction also moves
// the job's checkpoint (records done) and stores its log lines, so a killed worker resumes
// where the last commit left it, applying nothing twice. Each transaction first checks that
// the stored checkpoint is still the one this worker started from, so two workers running
// the same job never both apply a batch: the one that falls behind stops.
//
// Workers on several machines share the jobs through leases (core/lease.h): a worker claims
// the job's lease ("import:<job id>") before it runs the job, renews it in the transaction of
// every checkpoint (and while its first pass reads a large file), and releases it when the job
// ends. A checkpoint commits only while the lease is still this worker's, so a worker that was
// frozen past its lease's expiry and taken over applies nothing more. JobStore::runnable()
// offers a Processing job only once its worker's lease has expired (on PostgreSQL, also once
// its worker's session has ended); the next worker then resumes at the last checkpoint.
//
// A large job is split into ranges that several workers apply side by side: the worker that
// checks the file first (pass 1, under the job's lease) splits a job of at least two ranges'
// worth (ImportLimits::range_records) into consecutive ranges of records, then gives the job's
// lease up. Every worker then claims a free range's lease ("import:<job id>#<n>"), checks the
// file itself, applies the range from its checkpoint to its end (each batch moves the range's
// checkpoint, compared with the one the worker started from, and the job's count, in the
// transaction that applies it) and claims the next free range. Log lines carry their record,
// so the log keeps the file's order. The worker that finds every range finished ends the job
// under the job's lease. A killed worker's range is taken over as a job is (its lease's
// expiry, or at once on PostgreSQL); a job whose checkpoint is past its start (resumed from a
// worker without ranges) stays whole.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkimport/job.h"
#include "core/lease.h"
#include "sites/sites.h"
#include "store/store.h"

namespace upsync {

struct ImportLimits {
  uint64_t max_file_bytes = 2ull * 1024 * 1024 * 1024;  // seed 003: 2 GB
  int64_t max_properties = 500000;                      // seed 003: 500,000 properties
  int batch_records = 5000;                             // user objects per transaction
  // A job of at least twice this many user objects is split into ranges of about this many
  // (at most 64), which several workers apply side by side; 0 never splits.
  int64_t range_records = 50000;
  size_t max_value_bytes = 1 << 20;
  // How long a job's lease lasts without a renewal: a killed worker's job waits this long
  // before another worker takes it over.
  std::chrono::milliseconds lease_ttl = kLeaseTtl;
};

// Where a running job is, for progress reports.
struct ImportProgress {
  int64_t records_done = 0;      // user objects of the file applied (the checkpoint)
  int64_t records_total = 0;     // user objects in the file, counted by the validating pass
  int64_t records_at_start = 0;  // the checkpoint this worker resumed from
  double seconds = 0;            // since this worker started applying (or checking)
  // While the first pass checks the whole file, before anything is applied: how far it has
  // read (records_* are then 0).
  bool checking = false;
  int64_t bytes_checked = 0;
  int64_t bytes_total = 0;
  // User objects applied per second by this worker (0 before any time has passed).
  double rate() const {
    return seconds > 0 ? static_cast<double>(records_done - records_at_start) / seconds : 0;
  }
};

// The name of the log file in the job's folder.
inline constexpr std::string_view kImportLogFileName = "ImportLog.txt";

// The ranges a job of `records` user objects is split into (split when it holds at least two
// ranges' worth, bulkimport/job.h): consecutive, about `range_records` each, at most 64, each
// with its checkpoint at its start. None when the job is applied whole.
std::vector<ImportRange> split_into_ranges(int64_t records, int64_t range_records);

// A lease holder name for a new importer: this process's (lease_holder_name), with a number
// that tells its importers apart ("host:pid/import-2"), so that two threads never share a lease.
std::string next_importer_holder();

class BulkImporter {
 public:
  BulkImporter(Store& store, JobStore& jobs, DocumentLibraries& libs, ImportLimits limits = {})
      : store_(store), jobs_(jobs), libs_(libs), limits_(limits) {}

  // Checks the map (messages as seed 003: "Property Names [AboutMe] are editable by
  // user.") and the source URL (the door), and refuses with InvalidArgument; otherwise
  // records the job and returns its
  // GUID at once. The source file's checks (tenant, existence, size) decide whether the job
  // is Queued or ends in Error with DataFileNotInTenant / DataFileNotExist / DataFileTooBig.
  //
  // `multi_value_arrays` is upsync's extension, off unless a caller asks for it (a stock
  // client never does, so seed 003's refusal stays exact for every other caller): multi-value
  // properties may then be mapped (user-editable, core directory and taxonomy-bound ones are
  // still refused), and the file gives their values as JSON arrays of strings,
  // {"IdName": "...", "Certifications": ["PMP", "CISSP"]} ([] clears; a string is one value).
  // An array for a single-value property, or a value the schema refuses, is that user's
  // InvalidValue line in the log, as a bad single value is.
  Result<std::string> queue_import_profile_properties(
      const Tenant& tenant, ImportIdType id_type, std::string_view source_data_id_property,
      const std::map<std::string, std::string>& property_map, std::string_view source_uri,
      bool multi_value_arrays = false);

  Result<ImportJob> get_import_profile_property_job(const Tenant& tenant, std::string_view job_id);
  Result<std::vector<ImportJob>> get_import_profile_property_jobs(const Tenant& tenant);

  // Called after each committed batch.
  using Progress = std::function<void(const ImportJob&, const ImportProgress&)>;

  // Runs every Queued job (and any left Processing by a killed worker), oldest first; with
  // `only`, that tenant's jobs alone. Returns the jobs run, as they ended.
  Result<std::vector<ImportJob>> run_pending(const Progress& progress = {},
                                             std::optional<TenantId> only = std::nullopt);
  // Runs one job to its end state, holding its lease meanwhile; NotFound when the job no
  // longer exists (deleted), FailedPrecondition when another worker holds its lease (the
  // message names the holder) or it ended meanwhile.
  Result<ImportJob> run_job(ImportJob job, const Progress& progress = {});

  // The name this worker holds leases under (default: lease_holder_name()).
  void set_lease_holder(std::string holder) { holder_ = std::move(holder); }

  // When `*stop` turns true (e.g. on SIGTERM), a running job stops after its current batch
  // commits, staying Processing with its checkpoint for the next worker to resume, and
  // run_pending starts no further job. The flag must outlive the importer.
  void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }

 private:
  Status check_map(const Tenant& tenant, const std::map<std::string, std::string>& map,
                   bool multi_value_arrays);
  Status finish(ImportJob& job, const Tenant& tenant, const FileUrl& source, ImportJobError error,
                std::string message);
  // Runs a job this worker holds the lease of (`split` false: the job's, which it may then
  // split), or one split already (`split` true: the job's ranges, each under its lease).
  Result<ImportJob> run_job_inner(ImportJob& job, const Progress& progress, bool split);
  struct Run;  // one run of a job (import_run.h)
  // Pass 1 (import_passes.cpp): true when the file may be applied; false when it was refused
  // and the job ended (InvalidDataFile).
  Result<bool> check_file(Run& run, const Progress& progress);
  // Pass 2 (import_passes.cpp): every user object from the job's checkpoint on, applied.
  Status apply_file(Run& run, const Progress& progress);
  // Ends the job with InvalidDataFile: the file is not the version queued.
  Status refuse_changed(ImportJob& job, const Tenant& tenant, const FileUrl& source,
                        const std::string& message);
  Result<ImportJob> run_claimed(ImportJob& job, const Progress& progress, bool split);
  // The first range of a split job that is not finished and whose lease this worker gets
  // (lease_ then names it), as it stands once claimed; none when every range left is another
  // worker's.
  Result<std::optional<ImportRange>> claim_range(const ImportJob& job);
  // Ends a split job once every range is finished, under the job's lease: with the log's
  // outcome, as a job applied whole ends. While ranges remain (other workers apply them), or
  // another worker ends it, returns the job as stored.
  Result<ImportJob> end_split_job(ImportJob& job, const Tenant& tenant, const FileUrl& source);
  // Succeeded, or ImportCompleteWithError with the log's count: the end of an applied file.
  Status end_applied(ImportJob& job, const Tenant& tenant, const FileUrl& source);
  // Renews the lease this worker holds for the job (lease_: the job's, or the range's it
  // applies): FailedPrecondition (and superseded_) once it is lost. Inside a transaction,
  // what the transaction writes commits only while the lease is held.
  Status hold_lease(const ImportJob& job);
  // Writes the job in one transaction with a renewal of its lease.
  Status update_held(const ImportJob& job);

  Store& store_;
  JobStore& jobs_;
  DocumentLibraries& libs_;
  ImportLimits limits_;
  bool superseded_ = false;  // set when another worker's checkpoint moved under this one
  const std::atomic<bool>* stop_ = nullptr;
  std::string holder_ = next_importer_holder();
  std::unique_ptr<LeaseStore> leases_;  // opened by the first run_job
  std::string lease_;                   // the lease hold_lease renews
  bool stopped_ = false;                // set when a job stopped at a checkpoint because of *stop_
};

}  // namespace upsync
