#include "http/admin_jobs.h"

#include <regex>

#include "core/text.h"

namespace upsync {

namespace {

// The job named in the path, the tenant's own (NotFound for another tenant's id).
Result<ImportJob> job_in_path(Call& call) {
  static const std::regex kGuid(
      "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  const std::string id = call.match[1].str();
  if (!std::regex_match(id, kGuid)) {
    return invalid_argument(
        "import job id: expected a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
        ", got '" +
        quote_for_message(id) + "'");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(call.store));
  auto job = jobs->get(call.tenant.id, ascii_lower(id));
  if (!job && job.status().code() == StatusCode::kNotFound) {
    return not_found("import job " + ascii_lower(id) + ": this tenant has no such job");
  }
  if (job) {
    UPSYNC_ASSIGN_OR_RETURN(job->ranges, jobs->ranges(job->job_id));
  }
  return job;
}

}  // namespace

nlohmann::json admin_job_json(const ImportJob& j) {
  nlohmann::json out = {{"JobId", j.job_id},
                        {"State", import_job_state_name(j.state)},
                        {"Error", import_job_error_name(j.error)},
                        {"ErrorMessage", j.error_message},
                        {"SourceUri", j.source_uri},
                        {"LogFolderUri", j.log_folder_uri},
                        {"recordsDone", j.records_done},
                        {"createdAt", j.created_at},
                        {"updatedAt", j.updated_at},
                        {"worker", nullptr}};
  // The worker running the job: its lease's holder and heartbeat (core/lease.h).
  if (j.lease) {
    out["worker"] = {{"holder", j.lease->holder},
                     {"acquiredAt", lease_time_iso(j.lease->acquired_at_ms)},
                     {"heartbeatAt", lease_time_iso(j.lease->heartbeat_at_ms)},
                     {"expiresAt", lease_time_iso(j.lease->expires_at_ms)},
                     {"expired", j.lease->expired}};
  }
  // A job split into ranges (bulkimport/job.h): each range with its checkpoint and worker.
  if (!j.ranges.empty()) {
    nlohmann::json ranges = nlohmann::json::array();
    for (const ImportRange& r : j.ranges) {
      nlohmann::json range = {{"index", r.index},
                              {"firstRecord", r.first},
                              {"endRecord", r.end},
                              {"recordsDone", r.done - r.first},
                              {"worker", nullptr}};
      if (r.lease) {
        range["worker"] = {{"holder", r.lease->holder},
                           {"heartbeatAt", lease_time_iso(r.lease->heartbeat_at_ms)},
                           {"expired", r.lease->expired}};
      }
      ranges.push_back(std::move(range));
    }
    out["ranges"] = std::move(ranges);
  }
  return out;
}

Status admin_get_job(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(ImportJob job, job_in_path(call));
  write_json(call.res, 200, admin_job_json(job));
  return Status::ok();
}

Status admin_get_job_log(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(ImportJob job, job_in_path(call));
  UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto lines, jobs->log_lines(job.job_id));
  write_json(call.res, 200, {{"JobId", job.job_id}, {"value", lines}});
  return Status::ok();
}

}  // namespace upsync
