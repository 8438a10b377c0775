// Moving custom properties online, the second half (seed 000's bulk update process): upload a
// bulk-import file (profile_export.h) to a document library of the online tenant and run the
// import there, as seed 003's "custom synchronization tool" does.
//
//   PushOptions opt{.target = {.base_url = "https://online/tenants/contoso"},
//                   .client_id = id, .client_secret = secret, .file = "users.json",
//                   .property_map = {{"CostCenter", "CostCenter"}}};
//   auto result = push_profile_values(opt, events);
//
// Steps, each recorded in a state file beside the input (<file>.push-state) as soon as the
// online side confirmed it, so that an interrupted push (killed, a lost connection, a wait
// that timed out) resumes where it stopped when run again with the same file and target:
//   1. sign in as an app (client credentials);
//   2. upload the file: in one request when it fits in one chunk, otherwise PnPjs's chunked
//      sequence (an empty file, StartUpload, ContinueUpload..., FinishUpload); a resumed
//      upload continues at the last confirmed byte, or after the fragment that was on its way
//      when the push stopped (recorded before it is sent), or starts over when the online side
//      no longer holds it;
//   3. QueueImportProfileProperties (the online side checks the map here: a property it lacks
//      or that people may edit refuses the queue, and nothing is imported);
//   4. follow the job (GetImportProfilePropertyJob) to Succeeded or Error, then read the
//      files of its log folder.
// The state file goes when the job ends; a changed file (another size or SHA-256) or another
// target or folder starts afresh.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bulkimport/job.h"
#include "core/status.h"
#include "hybrid/online_tenant.h"

namespace upsync {

struct PushOptions {
  OnlineTarget target;
  std::string client_id;
  std::string client_secret;
  std::string file;  // the local bulk-import file
  // The online library folder the file goes to (server-relative, decoded); the job's log
  // folder is made beside it.
  std::string folder = "/sites/hybrid/Shared Documents";
  std::map<std::string, std::string> property_map;  // file property → online property
  ImportIdType id_type = ImportIdType::kPrincipalName;
  std::string id_property = "IdName";
  // The file gives multi-value properties as JSON arrays (ExportOptions::multi_value_arrays):
  // the import is queued with upsync's extension, which only an upsync online side takes.
  bool multi_value_arrays = false;
  uint64_t chunk_bytes = 10 * 1024 * 1024;  // PnPjs's default fragment size
  double poll_seconds = 5;
  double wait_seconds = 0;  // stop following after this long (0: until the job ends)
};

// What a push reports as it goes (each may be empty).
struct PushEvents {
  std::function<void(const std::string&)> note;                        // a step, for a log line
  std::function<void(uint64_t sent, uint64_t total)> uploaded;         // after each fragment
  std::function<void(const RemoteImportJob&, double seconds)> polled;  // after each poll
};

struct PushResult {
  std::string file_url;  // absolute URL of the uploaded file (sourceUri)
  uint64_t bytes = 0;
  uint64_t resumed_upload_at = 0;  // > 0 when an earlier push's upload was continued
  bool resumed_job = false;        // the job was queued by an earlier push
  int fragments = 0;               // requests that carried the file's bytes
  RemoteImportJob job;             // as last read; job.ended() false when the wait ran out
  std::vector<RemoteFile> log;     // the log folder's files once the job ended
  double seconds = 0;
};

// The path of the state file for `file`.
std::string push_state_path(const std::string& file);

Result<PushResult> push_profile_values(const PushOptions& options, const PushEvents& events = {});

}  // namespace upsync
