// BulkImporter's two passes over a job's file (importer.h says what each does and why): pass 1
// checks everything that aborts the file before anything is applied; pass 2 resolves each
// user object and applies the updates in batches that commit with the job's checkpoint.
#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <span>
#include <thread>

#include "bulkimport/import_run.h"
#include "bulkimport/profile_writer.h"
#include "core/bounded_queue.h"
#include "core/text.h"

namespace upsync {
namespace {

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

}  // namespace

PropertyTargets::PropertyTargets(const ProfileSchema& schema,
                                 const std::map<std::string, std::string>& map) {
  for (const auto& [from, to] : map) {
    const PropertyDefinition* def = schema.find(to);
    map_[ascii_lower(from)] = {def ? def->name : to, def};
  }
}

const PropertyTargets::Target* PropertyTargets::of(std::string_view name) {
  for (const auto& [spelling, target] : spellings_) {
    if (spelling == name) return target;
  }
  lower_.assign(name);
  for (char& c : lower_) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  auto it = map_.find(lower_);
  const Target* target = it == map_.end() ? nullptr : &it->second;
  if (spellings_.size() < 64) spellings_.emplace_back(name, target);
  return target;
}

Result<bool> BulkImporter::check_file(Run& run, const Progress& progress) {
  ImportJob& job = run.job;
  const Tenant& tenant = run.tenant;
  const int fd = run.file.fd.get();
  const ImportReaderOptions& ropts = run.reader_options;
  int64_t& records_total = run.records_total;
  // Pass 1: everything that aborts the file, before anything is applied. The quick reader
  // goes through a well-formed file; when it finds anything wrong, the exact reader reads the
  // file again and names the first problem, with its line and position.
  int64_t properties = 0;
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
                      .bytes_total = static_cast<int64_t>(run.file.info.size),
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
      if (!run.targets.of(f.name)) {
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
    if (job.source_pin.pinned()) hasher = std::jthread([&] { content_hash = file_sha256(fd); });
    // Each chunk's start is kept (a chunk's records share the end_offset of its end).
    run.chunk_starts.clear();
    int64_t chunk_end = 0;
    valid = quick_read_import_fd(
        fd,
        [&](const ImportRecordView& r) {
          if (r.end_offset != chunk_end) {
            if (chunk_end > 0) run.chunk_starts.push_back({r.index, chunk_end});
            chunk_end = r.end_offset;
          }
          return check(r.index, r.fields, r.end_offset, 0, 0);
        },
        ropts);
  }
  UPSYNC_RETURN_IF_ERROR(content_hash.status());
  // The lease was lost while the first pass read: the job is another worker's now.
  if (superseded_) return valid;
  if (job.source_pin.pinned() && *content_hash != job.source_pin.sha256) {
    UPSYNC_RETURN_IF_ERROR(refuse_changed(
        job, tenant, run.source,
        file_changed_message("its content is not the content queued: another SHA-256")));
    return false;
  }
  // The second pass reads the file with the reader that went through it.
  run.quick = valid.is_ok();
  if (!run.quick) {
    run.chunk_starts.clear();
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
      return jobs_.add_log_line(job.job_id, valid.message(), -1);
    }));
    UPSYNC_RETURN_IF_ERROR(
        finish(job, tenant, run.source, ImportJobError::kInvalidDataFile, valid.message()));
    return false;
  }

  report_checking(static_cast<int64_t>(run.file.info.size));
  return true;
}

Status BulkImporter::apply_file(Run& run, const Progress& progress) {
  ImportJob& job = run.job;
  const Tenant& tenant = run.tenant;
  const int fd = run.file.fd.get();
  const ImportReaderOptions& ropts = run.reader_options;
  const int64_t records_total = run.records_total;
  const ProfileSchema& schema = run.schema;
  const bool quick = run.quick;
  // Pass 2: resolve and apply, in batches that commit with the checkpoint. A reading thread
  // parses the file and prepares each batch's updates (identity, mapping, normalized values)
  // while this thread applies the batch before it to the store, so that the two halves of the
  // work run side by side; at most two prepared batches wait between them.
  // A job applied whole resumes at its checkpoint; a range at its own, and ends at its end.
  const ProfileKeyKind key_kind = profile_key_kind_for(job.id_type);
  UPSYNC_ASSIGN_OR_RETURN(auto writer, open_profile_batch_writer(store_));
  const std::optional<ImportRange>& range = run.range;
  const int64_t resume_at = range ? range->done : job.records_done;
  const int64_t end_at = range ? range->end : std::numeric_limits<int64_t>::max();
  int64_t range_done = resume_at;  // the range's checkpoint, as this worker committed it
  const int64_t records_at_start = job.records_done;
  const auto apply_start = std::chrono::steady_clock::now();

  // A problem of one record, found while preparing: its log line, unless `id` is set and
  // names no profile, which is then reported as such.
  struct Problem {
    std::string line;
    std::string id;
    int64_t record = 0;
  };
  struct PreparedBatch {
    int64_t done = 0;  // records done once the batch commits
    int records = 0;
    std::vector<ProfileUpdate> updates;
    std::vector<int64_t> update_records;  // the record of each update
    std::vector<Problem> problems;        // in record order
  };
  auto prepare = [&](int64_t record, std::span<const ImportFieldView> fields,
                     PreparedBatch& batch) -> Status {
    const std::string_view* found = find_id(fields, job.id_property);
    if (!found) {
      batch.problems.push_back(
          {"MissingIdentity - The identity is missing for the user object", "", record});
      return Status::ok();
    }
    ProfileUpdate u;
    u.key = *found;
    const std::string* id = &u.key;
    u.values.reserve(fields.size());
    std::string value;
    for (const auto& [name, view, items] : fields) {
      if (property_name_equal(name, job.id_property)) continue;
      const PropertyTargets::Target* mapped = run.targets.of(name);
      if (!mapped) {
        return internal_error("import job " + job.job_id + ": property '" + std::string(name) +
                              "' is not mapped; the data file changed while it was read");
      }
      const PropertyTargets::Target& target = *mapped;
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
                                  *id, record});
        return Status::ok();
      }
      if (many) {
        u.multi_values.emplace_back(target.name, std::move(*norm));
      } else {
        u.values.emplace_back(target.name, norm->empty() ? std::string() : std::move((*norm)[0]));
      }
    }
    batch.updates.push_back(std::move(u));
    batch.update_records.push_back(record);
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
      // for workers that ran the job before leases existed). A range's checkpoint is compared
      // when it moves, at the end: reading the job here would lock its row for the whole
      // transaction, and the workers of the other ranges would wait for it.
      if (!range) {
        UPSYNC_ASSIGN_OR_RETURN(ImportJob stored, jobs_.get(job.tenant, job.job_id));
        if (stored.records_done != job.records_done ||
            stored.state != ImportJobState::kProcessing) {
          superseded_ = true;
          return failed_precondition("import job " + job.job_id + " is run by another worker");
        }
      }
      for (const Problem& p : batch.problems) {
        bool resolved = true;
        if (!p.id.empty()) {
          auto found = store_.profile(tenant.id, ProfileKey{key_kind, p.id});
          if (!found && found.status().code() != StatusCode::kNotFound) return found.status();
          resolved = static_cast<bool>(found);
        }
        UPSYNC_RETURN_IF_ERROR(
            jobs_.add_log_line(job.job_id, resolved ? p.line : not_resolvable(p.id), p.record));
      }
      UPSYNC_ASSIGN_OR_RETURN(auto outcomes,
                              writer->apply(tenant.id, key_kind, schema, batch.updates));
      for (size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i] == UpdateOutcome::kNotFound) {
          UPSYNC_RETURN_IF_ERROR(jobs_.add_log_line(
              job.job_id, not_resolvable(batch.updates[i].key), batch.update_records[i]));
        }
      }
      if (range) {
        UPSYNC_ASSIGN_OR_RETURN(const bool moved, jobs_.advance_range(job.job_id, range->index,
                                                                      range_done, batch.done));
        if (!moved) {
          superseded_ = true;
          return failed_precondition("range " + std::to_string(range->index) + " of import job " +
                                     job.job_id + " is run by another worker, or the job ended");
        }
        return Status::ok();
      }
      ImportJob next = job;
      next.records_done = batch.done;
      return jobs_.update(next);
    });
    if (!st.is_ok()) return st;
    if (range) {
      job.records_done += batch.done - range_done;
      range_done = batch.done;
    } else {
      job.records_done = batch.done;
    }
    // The next batch is usually prepared already: a short pause before its transaction lets
    // another connection waiting to write (a profile edit through the API) take its turn.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (progress) {
      progress(job, ImportProgress{
                        .records_done = job.records_done,
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
  Status read_status;       // the reading thread's outcome, set before it closes the queue
  bool range_read = false;  // the reader stopped at the range's end
  {
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
        if (index >= end_at) {
          range_read = true;
          return Status(StatusCode::kAborted, "the end of the range");
        }
        Status st = prepare(index, fields, batch);
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
          // From the last chunk that pass 1 began at or before the checkpoint, cut where pass 1
          // cut; from the top when the checkpoint is in the first chunk.
          const std::vector<QuickChunkStart>& starts = run.chunk_starts;
          const auto after =
              std::upper_bound(starts.begin(), starts.end(), resume_at,
                               [](int64_t at, const QuickChunkStart& c) { return at < c.index; });
          const auto taken = [&](const ImportRecordView& r) { return take(r.index, r.fields); };
          if (after == starts.begin()) {
            st = quick_read_import_fd(fd, taken, ropts);
          } else {
            st = quick_read_import_fd_from(fd, *(after - 1), std::span(after, starts.end()), taken,
                                           ropts);
          }
          if (range_read) st = Status::ok();
          if (!st.is_ok() && refused.is_ok()) {
            st = internal_error("import job " + job.job_id +
                                ": the data file changed while it was read");
          }
        } else {
          std::vector<ImportFieldView> views;
          st = read_import_fd(
              fd, [&](const ImportRecord& r) { return take(r.index, views_of(r, views)); }, ropts);
          if (range_read) st = Status::ok();
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
  return Status::ok();
}

}  // namespace upsync
