#include "bulkimport/importer.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <thread>
#include <unordered_map>

#include "bulkimport/import_reader.h"
#include "bulkimport/import_run.h"
#include "bulkimport/profile_writer.h"
#include "core/bounded_queue.h"
#include "core/clock.h"
#include "core/text.h"

namespace upsync {
namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

Result<SourcePin> pin_of(const OpenedFile& f) {
  SourcePin pin;
  pin.size = static_cast<int64_t>(f.info.size);
  pin.modified_ns = f.info.modified_ns;
  UPSYNC_ASSIGN_OR_RETURN(pin.sha256, file_sha256(f.fd.get()));
  return pin;
}

// The message of a job whose source is not the version it pinned, or "" when size and
// modification time still match (the content is compared while the first pass reads).
std::string pin_change(const SourcePin& pin, const FileInfo& now) {
  std::string what;
  if (static_cast<int64_t>(now.size) != pin.size) {
    what = "its size went from " + std::to_string(pin.size) + " to " + std::to_string(now.size) +
           " bytes";
  } else if (now.modified_ns != pin.modified_ns) {
    what = "it was modified at " + now.modified_at;
  } else {
    return "";
  }
  return file_changed_message(what);
}

std::string log_folder_of(std::string_view source_uri, std::string_view job_id) {
  auto slash = source_uri.rfind('/');
  return std::string(source_uri.substr(0, slash)) + "/" + std::string(job_id);
}

}  // namespace

// SHA-256 of the whole file, lower-case hex; pread only, so that a reader of the same
// descriptor (another thread) keeps its offset.
Result<std::string> file_sha256(int fd) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return internal_error("SHA-256 is not available");
  }
  std::vector<char> buf(1 << 20);
  off_t offset = 0;
  while (true) {
    ssize_t n = pread(fd, buf.data(), buf.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal_error(std::string("reading the data file: ") + std::strerror(errno));
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
    offset += n;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

std::string file_changed_message(std::string_view what) {
  return "InvalidDataFile - The data file changed after the job was queued (" + std::string(what) +
         "); upload it again if needed and queue a new import.";
}

Status BulkImporter::check_map(const Tenant& tenant, const std::map<std::string, std::string>& map,
                               bool multi_value_arrays) {
  if (map.empty()) return invalid_argument("The property map is empty: map at least one property.");
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store_.schema(tenant.id));
  std::vector<std::string> missing, editable, core, multi, taxonomy;
  for (const auto& [source, target] : map) {
    const PropertyDefinition* def = schema.find(target);
    if (!def) {
      missing.push_back(target);
    } else if (def->user_editable) {
      editable.push_back(def->name);
    } else if (def->directory_imported) {
      core.push_back(def->name);
    } else if (def->multi_value && !multi_value_arrays) {
      multi.push_back(def->name);
    } else if (def->taxonomy_bound) {
      taxonomy.push_back(def->name);
    }
  }
  if (!missing.empty())
    return invalid_argument("Property Names [" + join_names(missing) + "] do not exist.");
  if (!editable.empty()) {
    return invalid_argument("Property Names [" + join_names(editable) + "] are editable by user.");
  }
  if (!core.empty()) {
    return invalid_argument("Property Names [" + join_names(core) +
                            "] are core directory properties.");
  }
  if (!multi.empty()) {
    return invalid_argument("Property Names [" + join_names(multi) + "] are multi-valued.");
  }
  if (!taxonomy.empty()) {
    return invalid_argument("Property Names [" + join_names(taxonomy) + "] are taxonomy-bound.");
  }
  return Status::ok();
}

Result<std::string> BulkImporter::queue_import_profile_properties(
    const Tenant& tenant, ImportIdType id_type, std::string_view source_data_id_property,
    const std::map<std::string, std::string>& property_map, std::string_view source_uri,
    bool multi_value_arrays) {
  if (tenant.kind != TenantKind::kOnline) {
    return failed_precondition(
        "bulk import of profile properties is available only for "
        "SharePoint Online tenants; '" +
        tenant.name + "' is not online");
  }
  if (source_data_id_property.empty()) {
    return invalid_argument(
        "sourceDataIdProperty is empty: name the identity property of the file");
  }
  UPSYNC_RETURN_IF_ERROR(check_map(tenant, property_map, multi_value_arrays));
  UPSYNC_ASSIGN_OR_RETURN(FileUrl url, parse_file_url(source_uri));

  ImportJob job;
  job.job_id = new_guid();
  job.tenant = tenant.id;
  job.state = ImportJobState::kSubmitted;
  job.source_uri = std::string(source_uri);
  job.id_type = id_type;
  job.id_property = std::string(source_data_id_property);
  job.property_map = property_map;
  job.multi_value_arrays = multi_value_arrays;
  UPSYNC_RETURN_IF_ERROR(jobs_.create(job));

  // The source file's checks: Queued, or Error with the reason.
  job.state = ImportJobState::kError;
  if (!url_in_tenant(url, tenant)) {
    job.error = ImportJobError::kDataFileNotInTenant;
    job.error_message = "The data source file did not belong to the same tenant";
  } else if (auto file = libs_.open_file(tenant, url); !file) {
    job.error = ImportJobError::kDataFileNotExist;
    job.error_message = "The data source file could not be found";
  } else if (file->info.size > limits_.max_file_bytes) {
    job.error = ImportJobError::kDataFileTooBig;
    job.error_message =
        "The size of the data file was too big: " + std::to_string(file->info.size) +
        " bytes, the limit is " + std::to_string(limits_.max_file_bytes);
  } else {
    // The version queued is the version imported: size, modification time and a SHA-256 of
    // the content, read once here.
    UPSYNC_ASSIGN_OR_RETURN(job.source_pin, pin_of(*file));
    job.state = ImportJobState::kQueued;
  }
  UPSYNC_RETURN_IF_ERROR(jobs_.update(job));
  return job.job_id;
}

Result<ImportJob> BulkImporter::get_import_profile_property_job(const Tenant& tenant,
                                                                std::string_view job_id) {
  return jobs_.get(tenant.id, job_id);
}

Result<std::vector<ImportJob>> BulkImporter::get_import_profile_property_jobs(
    const Tenant& tenant) {
  return jobs_.list(tenant.id);
}

std::string next_importer_holder() {
  static std::atomic<int64_t> importers{0};
  return lease_holder_name("import-" + std::to_string(++importers));
}

Result<std::vector<ImportJob>> BulkImporter::run_pending(const Progress& progress,
                                                         std::optional<TenantId> only) {
  UPSYNC_ASSIGN_OR_RETURN(auto jobs, jobs_.runnable());
  std::vector<ImportJob> done;
  for (ImportJob& job : jobs) {
    if (stop_ && stop_->load()) break;
    if (only && job.tenant != *only) continue;
    auto ended = run_job(std::move(job), progress);
    // DeleteImportProfilePropertiesJob removed it after the list was read, another worker
    // holds its lease, or it ended meanwhile: nothing to run here.
    if (!ended && (ended.status().code() == StatusCode::kNotFound ||
                   ended.status().code() == StatusCode::kFailedPrecondition)) {
      continue;
    }
    if (!ended) return ended.status();
    done.push_back(std::move(*ended));
  }
  return done;
}

Status BulkImporter::finish(ImportJob& job, const Tenant& tenant, const FileUrl& source,
                            ImportJobError error, std::string message) {
  UPSYNC_ASSIGN_OR_RETURN(auto lines, jobs_.log_lines(job.job_id));
  if (!lines.empty()) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    FileUrl folder = source.parent().child(job.job_id);
    UPSYNC_RETURN_IF_ERROR(libs_.put_text(tenant, folder.child(kImportLogFileName), text));
    job.log_folder_uri = log_folder_of(job.source_uri, job.job_id);
  }
  job.error = error;
  job.error_message = std::move(message);
  job.state =
      error == ImportJobError::kNoError ? ImportJobState::kSucceeded : ImportJobState::kError;
  return update_held(job);
}

Status BulkImporter::hold_lease(const ImportJob& job) {
  UPSYNC_ASSIGN_OR_RETURN(bool held, leases_->renew(lease_, holder_, limits_.lease_ttl));
  if (held) return Status::ok();
  superseded_ = true;
  return failed_precondition("import job " + job.job_id + ": the lease of this worker (" + holder_ +
                             ") on " + lease_ + " expired; another worker may run it now");
}

Status BulkImporter::update_held(const ImportJob& job) {
  return store_.in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(hold_lease(job));
    return jobs_.update(job);
  });
}

std::vector<ImportRange> split_into_ranges(int64_t records, int64_t range_records) {
  constexpr int64_t kMaxRanges = 64;
  if (range_records <= 0 || records < 2 * range_records) return {};
  const int64_t n = std::min(records / range_records, kMaxRanges);
  std::vector<ImportRange> out;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t first = records * i / n;
    out.push_back({.index = static_cast<int>(i),
                   .first = first,
                   .end = records * (i + 1) / n,
                   .done = first,
                   .lease = std::nullopt});
  }
  return out;
}

Result<ImportJob> BulkImporter::run_job(ImportJob job, const Progress& progress) {
  superseded_ = false;
  stopped_ = false;
  if (!leases_) {
    UPSYNC_ASSIGN_OR_RETURN(leases_, store_.lease_store());
  }
  const std::string main = import_lease_name(job.job_id);
  lease_ = main;
  // A job split into ranges is applied range by range, each under its own lease: the job's
  // own lease is taken only to split it and to end it.
  UPSYNC_ASSIGN_OR_RETURN(auto ranges, jobs_.ranges(job.job_id));
  Result<ImportJob> ran = [&]() -> Result<ImportJob> {
    if (!ranges.empty()) return run_claimed(job, progress, /*split=*/true);
    UPSYNC_RETURN_IF_ERROR(leases_->claim(main, holder_, limits_.lease_ttl).status());
    // The job as it is now that the lease is this worker's: the list it came from may be old
    // (another worker may have moved its checkpoint, split it or ended it since).
    UPSYNC_ASSIGN_OR_RETURN(ImportJob current, jobs_.get(job.tenant, job.job_id));
    if (current.state != ImportJobState::kQueued && current.state != ImportJobState::kProcessing) {
      return failed_precondition("import job " + job.job_id + " has ended (state " +
                                 std::string(import_job_state_name(current.state)) + ")");
    }
    // Split meanwhile (by a worker that read the list before): its ranges are applied under
    // their own leases, and the job's is given back for the others to join.
    UPSYNC_ASSIGN_OR_RETURN(ranges, jobs_.ranges(job.job_id));
    if (!ranges.empty()) UPSYNC_RETURN_IF_ERROR(leases_->release(main, holder_));
    return run_claimed(current, progress, !ranges.empty());
  }();
  // Released whatever the outcome (the lease of a range being applied, and the job's): the
  // next worker need not wait for the expiry. A lease this worker lost is another's now, and
  // release() leaves it alone.
  Status released = leases_->release(lease_, holder_);
  if (released.is_ok() && lease_ != main) released = leases_->release(main, holder_);
  lease_ = main;
  if (!released.is_ok()) {
    released = released.with_context("releasing the leases of import job " + job.job_id);
    if (ran) return released;
    return Status(ran.status().code(), ran.status().message() + "; and " + released.to_string());
  }
  return ran;
}

Result<ImportJob> BulkImporter::run_claimed(ImportJob& job, const Progress& progress, bool split) {
  Result<ImportJob> r = [&]() -> Result<ImportJob> {
    try {
      return run_job_inner(job, progress, split);
    } catch (const std::exception& e) {
      return internal_error(std::string("import worker: ") + e.what());
    }
  }();
  if (r) return r;
  if (superseded_ || stopped_ || r.status().code() == StatusCode::kFailedPrecondition) {
    // Another worker took the job (or this range) over and records the outcome, this worker
    // was asked to stop, or every range left is another worker's: the job stays Processing at
    // its checkpoints.
    superseded_ = false;
    stopped_ = false;
    if (r.status().code() == StatusCode::kFailedPrecondition) return r.status();
    return jobs_.get(job.tenant, job.job_id);
  }
  // A failure of the service, not of the file: the job ends with InternalError, under the
  // lease this worker holds (the job's or its range's). Other workers' ranges may have moved
  // the job's count meanwhile.
  UPSYNC_ASSIGN_OR_RETURN(ImportJob stored, jobs_.get(job.tenant, job.job_id));
  job.records_done = stored.records_done;
  job.state = ImportJobState::kError;
  job.error = ImportJobError::kInternalError;
  job.error_message = r.status().to_string();
  Status recorded = update_held(job);
  // The lease was lost meanwhile: the worker that holds it now records the outcome.
  if (superseded_) return jobs_.get(job.tenant, job.job_id);
  UPSYNC_RETURN_IF_ERROR(
      recorded.with_context("recording the failure of import job " + job.job_id));
  return job;
}

Result<std::optional<ImportRange>> BulkImporter::claim_range(const ImportJob& job) {
  UPSYNC_ASSIGN_OR_RETURN(auto ranges, jobs_.ranges(job.job_id));
  for (const ImportRange& listed : ranges) {
    if (listed.finished()) continue;
    // Tried even when the list shows a live holder: on PostgreSQL the lease of a killed
    // worker is taken over at once (pg_leases.cpp).
    const std::string name = import_range_lease_name(job.job_id, listed.index);
    auto claimed = leases_->claim(name, holder_, limits_.lease_ttl);
    if (!claimed && claimed.status().code() == StatusCode::kFailedPrecondition) continue;
    UPSYNC_RETURN_IF_ERROR(claimed.status());
    lease_ = name;
    // The checkpoint as it is now that the range is this worker's.
    UPSYNC_ASSIGN_OR_RETURN(auto now, jobs_.ranges(job.job_id));
    for (const ImportRange& r : now) {
      if (r.index == listed.index && !r.finished()) return std::optional<ImportRange>(r);
    }
    UPSYNC_RETURN_IF_ERROR(leases_->release(name, holder_));
    lease_ = import_lease_name(job.job_id);
  }
  return std::optional<ImportRange>();
}

Result<ImportJob> BulkImporter::end_split_job(ImportJob& job, const Tenant& tenant,
                                              const FileUrl& source) {
  UPSYNC_ASSIGN_OR_RETURN(auto ranges, jobs_.ranges(job.job_id));
  for (const ImportRange& r : ranges) {
    // Another worker applies it, and ends the job after it.
    if (!r.finished()) return jobs_.get(job.tenant, job.job_id);
  }
  const std::string main = import_lease_name(job.job_id);
  auto claimed = leases_->claim(main, holder_, limits_.lease_ttl);
  // Another worker is ending it.
  if (!claimed && claimed.status().code() == StatusCode::kFailedPrecondition) {
    return jobs_.get(job.tenant, job.job_id);
  }
  UPSYNC_RETURN_IF_ERROR(claimed.status());
  lease_ = main;
  UPSYNC_ASSIGN_OR_RETURN(job, jobs_.get(job.tenant, job.job_id));
  if (job.state != ImportJobState::kProcessing) return job;
  UPSYNC_RETURN_IF_ERROR(end_applied(job, tenant, source));
  return job;
}

Status BulkImporter::end_applied(ImportJob& job, const Tenant& tenant, const FileUrl& source) {
  UPSYNC_ASSIGN_OR_RETURN(auto lines, jobs_.log_lines(job.job_id));
  if (lines.empty()) return finish(job, tenant, source, ImportJobError::kNoError, "");
  return finish(job, tenant, source, ImportJobError::kImportCompleteWithError,
                "The data has been imported, but there was an error encountered: " +
                    std::to_string(lines.size()) +
                    " user objects were not imported (see the log file)");
}

// The file changed after it was queued: another version is never imported.
Status BulkImporter::refuse_changed(ImportJob& job, const Tenant& tenant, const FileUrl& source,
                                    const std::string& message) {
  UPSYNC_RETURN_IF_ERROR(jobs_.add_log_line(job.job_id, message, -1));
  return finish(job, tenant, source, ImportJobError::kInvalidDataFile, message);
}

Result<ImportJob> BulkImporter::run_job_inner(ImportJob& job, const Progress& progress,
                                              bool split) {
  UPSYNC_ASSIGN_OR_RETURN(auto tenants, store_.tenants());
  const Tenant* tenant = nullptr;
  for (const Tenant& t : tenants) {
    if (t.id == job.tenant) tenant = &t;
  }
  if (!tenant) return internal_error("import job " + job.job_id + ": its tenant no longer exists");

  std::optional<ImportRange> range;
  if (split) {
    // A range first: a worker with none to apply reads nothing.
    UPSYNC_ASSIGN_OR_RETURN(job, jobs_.get(job.tenant, job.job_id));
    if (job.state != ImportJobState::kProcessing) {
      return failed_precondition("import job " + job.job_id + " has ended (state " +
                                 std::string(import_job_state_name(job.state)) + ")");
    }
    UPSYNC_ASSIGN_OR_RETURN(range, claim_range(job));
    if (!range) {
      auto source = parse_file_url(job.source_uri);
      if (!source) return source.status();
      UPSYNC_ASSIGN_OR_RETURN(ImportJob ended, end_split_job(job, *tenant, *source));
      if (ended.state == ImportJobState::kProcessing) {
        return failed_precondition("import job " + job.job_id +
                                   ": every range left is being applied by another worker");
      }
      return ended;
    }
  } else {
    job.state = ImportJobState::kProcessing;
    UPSYNC_RETURN_IF_ERROR(update_held(job));
  }

  auto parsed = parse_file_url(job.source_uri);
  if (!parsed) {
    // Queued before the door refused such URLs: nothing of it is read.
    job.state = ImportJobState::kError;
    job.error = ImportJobError::kDataFileNotExist;
    job.error_message = "The data source file could not be found: " + parsed.status().message();
    UPSYNC_RETURN_IF_ERROR(update_held(job));
    return job;
  }
  const FileUrl source = std::move(*parsed);
  // Both passes read this descriptor, opened beneath the tenant's folder: a file put in its
  // place later (a rename) is not the one read.
  auto opened = libs_.open_file(*tenant, source);
  if (!opened) {
    UPSYNC_RETURN_IF_ERROR(finish(job, *tenant, source, ImportJobError::kDataFileNotExist,
                                  "The data source file could not be found"));
    return job;
  }
  const FileInfo* info = &opened->info;
  if (info->size > limits_.max_file_bytes) {
    UPSYNC_RETURN_IF_ERROR(
        finish(job, *tenant, source, ImportJobError::kDataFileTooBig,
               "The size of the data file was too big: " + std::to_string(info->size) +
                   " bytes, the limit is " + std::to_string(limits_.max_file_bytes)));
    return job;
  }
  if (job.source_pin.pinned()) {
    if (std::string changed = pin_change(job.source_pin, *info); !changed.empty()) {
      UPSYNC_RETURN_IF_ERROR(refuse_changed(job, *tenant, source, changed));
      return job;
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store_.schema(tenant->id));
  Run run{.job = job,
          .tenant = *tenant,
          .source = source,
          .file = *opened,
          .schema = schema,
          .targets = PropertyTargets(schema, job.property_map),
          .reader_options = {.max_value_bytes = limits_.max_value_bytes,
                             .arrays = job.multi_value_arrays},
          .range = std::nullopt};
  // Every worker checks the file it reads (each range's worker too: the pin's hash is
  // compared on the bytes this worker applies).
  UPSYNC_ASSIGN_OR_RETURN(const bool valid, check_file(run, progress));
  if (!valid) return job;

  if (!split) {
    // A job large enough is split into ranges that any worker may apply, this one among
    // them, once its checkpoint is at the start (a job resumed whole stays whole).
    auto ranges = split_into_ranges(run.records_total, limits_.range_records);
    if (!ranges.empty() && job.records_done == 0) {
      // (Never split before while this worker holds the job's lease; if it were, the ranges
      // it has are applied.)
      UPSYNC_RETURN_IF_ERROR(store_.in_transaction([&]() -> Status {
        UPSYNC_RETURN_IF_ERROR(hold_lease(job));
        return jobs_.create_ranges(job.job_id, ranges).status();
      }));
      // The job's lease is given up: the other workers join through runnable().
      UPSYNC_RETURN_IF_ERROR(leases_->release(lease_, holder_));
      UPSYNC_ASSIGN_OR_RETURN(range, claim_range(job));
    } else {
      UPSYNC_RETURN_IF_ERROR(apply_file(run, progress));
      UPSYNC_RETURN_IF_ERROR(end_applied(job, *tenant, source));
      return job;
    }
  }
  while (range) {
    run.range = range;
    UPSYNC_RETURN_IF_ERROR(apply_file(run, progress));
    UPSYNC_RETURN_IF_ERROR(leases_->release(lease_, holder_));
    lease_ = import_lease_name(job.job_id);
    UPSYNC_ASSIGN_OR_RETURN(range, claim_range(job));
  }
  return end_split_job(job, *tenant, source);
}

}  // namespace upsync
