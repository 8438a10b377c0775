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

// The user object's id value, or null when it has none (an array is none).
const std::string_view* find_id(std::span<const ImportFieldView> fields,
                                std::string_view id_property) {
  for (const ImportFieldView& f : fields) {
    if (!f.items && property_name_equal(f.name, id_property)) return &f.value;
  }
  return nullptr;
}

// The exact reader's record as the quick reader's fields, in `views`.
std::span<const ImportFieldView> views_of(const ImportRecord& r,
                                          std::vector<ImportFieldView>& views) {
  views.clear();
  for (const auto& [name, value] : r.fields) views.push_back({name, value});
  for (const auto& [name, items] : r.arrays) views.push_back({name, {}, &items});
  return views;
}

// SHA-256 of the whole file, lower-case hex; pread only, so that a reader of the same
// descriptor (another thread) keeps its offset.
Result<std::string> sha256_of(int fd) {
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

Result<SourcePin> pin_of(const OpenedFile& f) {
  SourcePin pin;
  pin.size = static_cast<int64_t>(f.info.size);
  pin.modified_ns = f.info.modified_ns;
  UPSYNC_ASSIGN_OR_RETURN(pin.sha256, sha256_of(f.fd.get()));
  return pin;
}

std::string changed_message(std::string_view what) {
  return "InvalidDataFile - The data file changed after the job was queued (" + std::string(what) +
         "); upload it again if needed and queue a new import.";
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
  return changed_message(what);
}

std::string log_folder_of(std::string_view source_uri, std::string_view job_id) {
  auto slash = source_uri.rfind('/');
  return std::string(source_uri.substr(0, slash)) + "/" + std::string(job_id);
}

}  // namespace

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
  UPSYNC_ASSIGN_OR_RETURN(
      bool held, leases_->renew(import_lease_name(job.job_id), holder_, limits_.lease_ttl));
  if (held) return Status::ok();
  superseded_ = true;
  return failed_precondition("import job " + job.job_id + ": the lease of this worker (" + holder_ +
                             ") expired; another worker may run the job now");
}

Status BulkImporter::update_held(const ImportJob& job) {
  return store_.in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(hold_lease(job));
    return jobs_.update(job);
  });
}

Result<ImportJob> BulkImporter::run_job(ImportJob job, const Progress& progress) {
  superseded_ = false;
  stopped_ = false;
  if (!leases_) {
    UPSYNC_ASSIGN_OR_RETURN(leases_, store_.lease_store());
  }
  const std::string lease = import_lease_name(job.job_id);
  UPSYNC_RETURN_IF_ERROR(leases_->claim(lease, holder_, limits_.lease_ttl).status());
  Result<ImportJob> ran = [&]() -> Result<ImportJob> {
    // The job as it is now that the lease is this worker's: the list it came from may be old
    // (another worker may have moved its checkpoint or ended it since).
    UPSYNC_ASSIGN_OR_RETURN(ImportJob current, jobs_.get(job.tenant, job.job_id));
    if (current.state != ImportJobState::kQueued && current.state != ImportJobState::kProcessing) {
      return failed_precondition("import job " + job.job_id + " has ended (state " +
                                 std::string(import_job_state_name(current.state)) + ")");
    }
    return run_claimed(current, progress);
  }();
  // Released whatever the outcome: the next worker need not wait for the expiry. A lease
  // this worker lost is another's now, and release() leaves it alone.
  Status released = leases_->release(lease, holder_);
  if (!released.is_ok()) {
    released = released.with_context("releasing the lease of import job " + job.job_id);
    if (ran) return released;
    return Status(ran.status().code(), ran.status().message() + "; and " + released.to_string());
  }
  return ran;
}

Result<ImportJob> BulkImporter::run_claimed(ImportJob& job, const Progress& progress) {
  Result<ImportJob> r = [&]() -> Result<ImportJob> {
    try {
      return run_job_inner(job, progress);
    } catch (const std::exception& e) {
      return internal_error(std::string("import worker: ") + e.what());
    }
  }();
  if (r) return r;
  if (superseded_ || stopped_) {
    // Another worker took the job over and records the outcome, or this worker was asked to
    // stop: the job stays Processing at its last checkpoint.
    superseded_ = false;
    stopped_ = false;
    return jobs_.get(job.tenant, job.job_id);
  }
  // A failure of the service, not of the file: the job ends with InternalError.
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

Result<ImportJob> BulkImporter::run_job_inner(ImportJob& job, const Progress& progress) {
  UPSYNC_ASSIGN_OR_RETURN(auto tenants, store_.tenants());
  const Tenant* tenant = nullptr;
  for (const Tenant& t : tenants) {
    if (t.id == job.tenant) tenant = &t;
  }
  if (!tenant) return internal_error("import job " + job.job_id + ": its tenant no longer exists");

  job.state = ImportJobState::kProcessing;
  UPSYNC_RETURN_IF_ERROR(update_held(job));

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
  const int fd = opened->fd.get();
  if (info->size > limits_.max_file_bytes) {
    UPSYNC_RETURN_IF_ERROR(
        finish(job, *tenant, source, ImportJobError::kDataFileTooBig,
               "The size of the data file was too big: " + std::to_string(info->size) +
                   " bytes, the limit is " + std::to_string(limits_.max_file_bytes)));
    return job;
  }
  // The file changed after it was queued: another version is never imported.
  auto refuse_changed = [&](const std::string& message) -> Status {
    UPSYNC_RETURN_IF_ERROR(jobs_.add_log_line(job.job_id, message));
    return finish(job, *tenant, source, ImportJobError::kInvalidDataFile, message);
  };
  if (job.source_pin.pinned()) {
    if (std::string changed = pin_change(job.source_pin, *info); !changed.empty()) {
      UPSYNC_RETURN_IF_ERROR(refuse_changed(changed));
      return job;
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store_.schema(tenant->id));
  // Lower-case file name → the profile property it maps to, resolved once per job (nullptr
  // when the property was removed after queuing: its values are then refused per user).
  struct Target {
    std::string name;
    const PropertyDefinition* def;
  };
  std::unordered_map<std::string, Target> map;
  for (const auto& [from, to] : job.property_map) {
    const PropertyDefinition* def = schema.find(to);
    map[ascii_lower(from)] = {def ? def->name : to, def};
  }
  // The target of a file property, or null. The spellings seen so far are remembered (a file
  // repeats the same few), so that most lookups are a comparison; `lower` is reused so that
  // the others allocate nothing once it has grown to the longest name.
  std::string lower;
  std::vector<std::pair<std::string, const Target*>> spellings;
  auto target_of = [&](std::string_view name) -> const Target* {
    for (const auto& [spelling, target] : spellings) {
      if (spelling == name) return target;
    }
    lower.assign(name);
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
    auto it = map.find(lower);
    const Target* target = it == map.end() ? nullptr : &it->second;
    if (spellings.size() < 64) spellings.emplace_back(name, target);
    return target;
  };
  ImportReaderOptions ropts{.max_value_bytes = limits_.max_value_bytes,
                            .arrays = job.multi_value_arrays};

  // Pass 1: everything that aborts the file, before anything is applied. The quick reader
  // goes through a well-formed file; when it finds anything wrong, the exact reader reads the
  // file again and names the first problem, with its line and position.
  int64_t properties = 0;
  int64_t records_total = 0;
  const auto check_start = std::chrono::steady_clock::now();
  auto last_renewal = check_start;
  auto report_checking = [&](int64_t bytes) {
    if (!progress) return;
    progress(job, ImportProgress{
                      .seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                               check_start)
                                     .count(),
                      .checking = true,
                      .bytes_checked = bytes,
                      .bytes_total = static_cast<int64_t>(info->size),
                  });
  };
  // The checks of one user object; `line` and `position` say where it starts.
  auto check = [&](int64_t index, std::span<const ImportFieldView> fields, int64_t end_offset,
                   int64_t line, int64_t position) -> Status {
    records_total = index + 1;
    if (records_total % limits_.batch_records == 0) {
      report_checking(end_offset);
      // A large file takes a while to check: the lease must not expire meanwhile.
      const auto now = std::chrono::steady_clock::now();
      if (now - last_renewal > limits_.lease_ttl / 3) {
        last_renewal = now;
        Status held = hold_lease(job);
        // Not a problem of the file (is_user_error would end the job InvalidDataFile).
        if (!held.is_ok()) return internal_error(held.message());
      }
    }
    const std::string_view* id = find_id(fields, job.id_property);
    for (const ImportFieldView& f : fields) {
      if (property_name_equal(f.name, job.id_property)) continue;
      if (!target_of(f.name)) {
        return invalid_argument("InvalidProperty - " + std::string(id ? *id : "") + " Property '" +
                                std::string(f.name) +
                                "' is not mapped to any property in the user profile "
                                "application.");
      }
      if (++properties > limits_.max_properties) {
        return invalid_argument("DataFileTooManyProperties - The data file holds more than " +
                                std::to_string(limits_.max_properties) +
                                " properties, the limit of one import. Path 'value[" +
                                std::to_string(index) + "]', line " + std::to_string(line) +
                                ", position " + std::to_string(position) + ".");
      }
    }
    return Status::ok();
  };
  // The content's hash is compared while the first pass reads (on another thread, with
  // pread), before anything is applied: the pin costs no pass of its own.
  Result<std::string> content_hash = std::string();
  Status valid;
  {
    std::jthread hasher;
    if (job.source_pin.pinned()) hasher = std::jthread([&] { content_hash = sha256_of(fd); });
    valid = quick_read_import_fd(
        fd, [&](const ImportRecordView& r) { return check(r.index, r.fields, r.end_offset, 0, 0); },
        ropts);
  }
  UPSYNC_RETURN_IF_ERROR(content_hash.status());
  // The lease was lost while the first pass read: the job is another worker's now.
  if (superseded_) return valid;
  if (job.source_pin.pinned() && *content_hash != job.source_pin.sha256) {
    UPSYNC_RETURN_IF_ERROR(
        refuse_changed(changed_message("its content is not the content queued: another SHA-256")));
    return job;
  }
  // The second pass reads the file with the reader that went through it.
  const bool quick = valid.is_ok();
  if (!quick) {
    properties = 0;
    records_total = 0;
    std::vector<ImportFieldView> views;
    valid = read_import_fd(
        fd,
        [&](const ImportRecord& r) {
          return check(r.index, views_of(r, views), r.end_offset, r.line, r.position);
        },
        ropts);
  }
  if (!valid.is_ok()) {
    if (!valid.is_user_error() || valid.code() == StatusCode::kNotFound) return valid;
    UPSYNC_RETURN_IF_ERROR(store_.in_transaction([&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(hold_lease(job));
      UPSYNC_RETURN_IF_ERROR(jobs_.clear_log(job.job_id));
      return jobs_.add_log_line(job.job_id, valid.message());
    }));
    UPSYNC_RETURN_IF_ERROR(
        finish(job, *tenant, source, ImportJobError::kInvalidDataFile, valid.message()));
    return job;
  }

  report_checking(static_cast<int64_t>(info->size));

  // Pass 2: resolve and apply, in batches that commit with the checkpoint. A reading thread
  // parses the file and prepares each batch's updates (identity, mapping, normalized values)
  // while this thread applies the batch before it to the store, so that the two halves of the
  // work run side by side; at most two prepared batches wait between them.
  const ProfileKeyKind key_kind = profile_key_kind_for(job.id_type);
  UPSYNC_ASSIGN_OR_RETURN(auto writer, open_profile_batch_writer(store_));
  const int64_t records_at_start = job.records_done;
  const auto apply_start = std::chrono::steady_clock::now();

  // A problem of one record, found while preparing: its log line, unless `id` is set and
  // names no profile, which is then reported as such.
  struct Problem {
    std::string line;
    std::string id;
  };
  struct PreparedBatch {
    int64_t done = 0;  // records done once the batch commits
    int records = 0;
    std::vector<ProfileUpdate> updates;
    std::vector<Problem> problems;  // in record order
  };
  auto prepare = [&](std::span<const ImportFieldView> fields, PreparedBatch& batch) -> Status {
    const std::string_view* found = find_id(fields, job.id_property);
    if (!found) {
      batch.problems.push_back(
          {"MissingIdentity - The identity is missing for the user object", ""});
      return Status::ok();
    }
    ProfileUpdate u;
    u.key = *found;
    const std::string* id = &u.key;
    u.values.reserve(fields.size());
    std::string value;
    for (const auto& [name, view, items] : fields) {
      if (property_name_equal(name, job.id_property)) continue;
      const Target* mapped = target_of(name);
      if (!mapped) {
        return internal_error("import job " + job.job_id + ": property '" + std::string(name) +
                              "' is not mapped; the data file changed while it was read");
      }
      const Target& target = *mapped;
      // With the multi-value extension, a multi-value property takes all its values at once:
      // an array, or a string as its one value ("" clears).
      const bool many = job.multi_value_arrays && target.def && target.def->multi_value;
      Result<PropertyValues> norm = PropertyValues{};
      if (!target.def) {
        norm = schema.require(target.name).status();
      } else if (items && !many) {
        norm = invalid_argument("an array of values was given, but property '" + target.name +
                                "' takes a single value");
      } else if (items) {
        norm = normalize_values(*target.def, *items);
      } else if (!many || !view.empty()) {
        value.assign(view);
        norm = normalize_values(*target.def, std::span(&value, 1));
      }
      if (!norm) {
        // Still resolve the identity first: an unknown user is reported as such.
        batch.problems.push_back({"InvalidValue - " + *id + " Property '" + std::string(name) +
                                      "': " + norm.status().message(),
                                  *id});
        return Status::ok();
      }
      if (many) {
        u.multi_values.emplace_back(target.name, std::move(*norm));
      } else {
        u.values.emplace_back(target.name, norm->empty() ? std::string() : std::move((*norm)[0]));
      }
    }
    batch.updates.push_back(std::move(u));
    return Status::ok();
  };
  auto not_resolvable = [](const std::string& id) {
    return "IdentityNotResolvable " + id + " User identity cannot be resolved";
  };
  auto commit = [&](const PreparedBatch& batch) -> Status {
    Status st = store_.in_transaction([&]() -> Status {
      // Only while this worker still holds the job's lease: one that lost it (frozen past
      // its expiry, taken over) applies nothing more.
      UPSYNC_RETURN_IF_ERROR(hold_lease(job));
      // And only from the checkpoint this worker resumed from (a second line of defence,
      // for workers that ran the job before leases existed).
      UPSYNC_ASSIGN_OR_RETURN(ImportJob stored, jobs_.get(job.tenant, job.job_id));
      if (stored.records_done != job.records_done || stored.state != ImportJobState::kProcessing) {
        superseded_ = true;
        return failed_precondition("import job " + job.job_id + " is run by another worker");
      }
      for (const Problem& p : batch.problems) {
        bool resolved = true;
        if (!p.id.empty()) {
          auto found = store_.profile(tenant->id, ProfileKey{key_kind, p.id});
          if (!found && found.status().code() != StatusCode::kNotFound) return found.status();
          resolved = static_cast<bool>(found);
        }
        UPSYNC_RETURN_IF_ERROR(
            jobs_.add_log_line(job.job_id, resolved ? p.line : not_resolvable(p.id)));
      }
      UPSYNC_ASSIGN_OR_RETURN(auto outcomes,
                              writer->apply(tenant->id, key_kind, schema, batch.updates));
      for (size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i] == UpdateOutcome::kNotFound) {
          UPSYNC_RETURN_IF_ERROR(
              jobs_.add_log_line(job.job_id, not_resolvable(batch.updates[i].key)));
        }
      }
      ImportJob next = job;
      next.records_done = batch.done;
      return jobs_.update(next);
    });
    if (!st.is_ok()) return st;
    // The next batch is usually prepared already: a short pause before its transaction lets
    // another connection waiting to write (a profile edit through the API) take its turn.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    job.records_done = batch.done;
    if (progress) {
      progress(job, ImportProgress{
                        .records_done = batch.done,
                        .records_total = records_total,
                        .records_at_start = records_at_start,
                        .seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                                 apply_start)
                                       .count(),
                    });
    }
    if (stop_ && stop_->load()) {
      stopped_ = true;
      return unavailable("import job " + job.job_id + " stopped at record " +
                         std::to_string(batch.done) + " to be resumed");
    }
    return Status::ok();
  };

  BoundedQueue<PreparedBatch> prepared(2);
  Status read_status;  // the reading thread's outcome, set before it closes the queue
  {
    const int64_t resume_at = job.records_done;
    std::jthread reader([&] {
      PreparedBatch batch;
      auto hand_over = [&]() -> Status {
        if (!prepared.push(std::move(batch)))
          return unavailable("the import stopped applying its batches");
        batch = PreparedBatch{};
        return Status::ok();
      };
      Status refused;  // what stopped the read from here, if anything did
      auto take = [&](int64_t index, std::span<const ImportFieldView> fields) -> Status {
        if (index < resume_at) return Status::ok();
        Status st = prepare(fields, batch);
        if (st.is_ok()) {
          batch.done = index + 1;
          if (++batch.records >= limits_.batch_records) st = hand_over();
        }
        if (!st.is_ok()) refused = st;
        return st;
      };
      Status st;
      try {
        if (quick) {
          st = quick_read_import_fd(
              fd, [&](const ImportRecordView& r) { return take(r.index, r.fields); }, ropts);
          if (!st.is_ok() && refused.is_ok()) {
            st = internal_error("import job " + job.job_id +
                                ": the data file changed while it was read");
          }
        } else {
          std::vector<ImportFieldView> views;
          st = read_import_fd(
              fd, [&](const ImportRecord& r) { return take(r.index, views_of(r, views)); }, ropts);
        }
        if (st.is_ok() && batch.records > 0) st = hand_over();
      } catch (const std::exception& e) {
        st = internal_error(std::string("import reader: ") + e.what());
      }
      read_status = std::move(st);
      prepared.close();
    });
    // Declared after the reader, so destroyed before it: whatever way this scope is left, the
    // queue closes (a reader waiting for room stops) and only then is the reader joined.
    struct CloseOnExit {
      BoundedQueue<PreparedBatch>& queue;
      ~CloseOnExit() { queue.close(); }
    } close_on_exit{prepared};
    while (auto batch = prepared.pop()) {
      Status st = commit(*batch);
      if (!st.is_ok()) return st;
    }
  }
  UPSYNC_RETURN_IF_ERROR(read_status);

  UPSYNC_ASSIGN_OR_RETURN(auto lines, jobs_.log_lines(job.job_id));
  if (lines.empty()) {
    UPSYNC_RETURN_IF_ERROR(finish(job, *tenant, source, ImportJobError::kNoError, ""));
  } else {
    UPSYNC_RETURN_IF_ERROR(finish(
        job, *tenant, source, ImportJobError::kImportCompleteWithError,
        "The data has been imported, but there was an error encountered: " +
            std::to_string(lines.size()) + " user objects were not imported (see the log file)"));
  }
  return job;
}

}  // namespace upsync
