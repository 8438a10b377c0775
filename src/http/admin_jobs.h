// The admin API's bulk import job calls beyond the list (admin_routes.h): one job, for a page
// that watches it, and its log lines, for a page that shows why it failed.
//   GET /admin/v1/import/jobs/{id}       one job with its progress (recordsDone)
//   GET /admin/v1/import/jobs/{id}/log   {"value": [lines]}: the lines of the job's
//                                        ImportLog.txt (seed 003), as they are written
// Both are the tenant's own: a job id of another tenant is not found.
#pragma once

#include <nlohmann/json.hpp>

#include "bulkimport/job.h"
#include "http/router.h"

namespace upsync {

// A job as the admin API shows it (the list and the single job alike).
nlohmann::json admin_job_json(const ImportJob& job);

Status admin_get_job(Call& call);
Status admin_get_job_log(Call& call);

}  // namespace upsync
