// The online tenant as `upsync hybrid push` talks to it: the SharePoint REST calls a real
// client makes (PnPjs's AddUsingPath and chunked StartUpload / ContinueUpload / FinishUpload,
// @pnp/sp-admin's Office365Tenant methods), signed in as an app with the client-credentials
// grant at the tenant's token endpoint. Works against SharePoint Online and `upsync serve`.
//
//   auto t = OnlineTenant::open({.base_url = "https://online.example.com/tenants/contoso"});
//   t->sign_in("client id", "secret");
//   t->add_file("/sites/hr/Shared Documents", "users.json", bytes);
//   auto id = t->queue_import(ImportIdType::kPrincipalName, "IdName", map, url);
//   auto job = t->job(*id);
//
// TLS is verified (the system's CAs, or `ca_file` for a private CA or a self-signed test
// server). Every failure is a Status naming what failed and where: Unavailable when the
// tenant cannot be reached, Unauthenticated with Azure AD's message for a refused sign-in,
// and the server's own message (odata.error) for a refused call, with its HTTP status.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulkimport/job.h"
#include "core/status.h"

namespace httplib {
class Client;
}

namespace upsync {

struct OnlineTarget {
  // Scheme, host, optional port and the tenant's base path: https://contoso.sharepoint.com,
  // or https://host/tenants/contoso for upsync serve's tenant-by-path addressing.
  std::string base_url;
  // The token endpoint's authority, https://login.example.com/<tenant>; default: the base
  // URL's origin followed by the base path's last segment (upsync serve's /<tenant>/oauth2).
  std::string authority;
  // Default: https://<tenant>.sharepoint.com/.default with the same tenant name.
  std::string scope;
  std::string ca_file;  // PEM CAs to trust instead of the system's
  double timeout_seconds = 60;
};

// GetImportProfilePropertyJob's answer.
struct RemoteImportJob {
  std::string job_id;
  int state = 0;  // ImportProfilePropertiesJobState: 0 Unknown ... 4 Succeeded, 5 Error
  int error = 0;  // ImportProfilePropertiesJobError: 0 NoError, 1 InternalError, 20...30
  std::string error_message;
  std::string log_folder_uri;  // absolute, or "" before the job wrote a log
  std::string source_uri;
  bool ended() const { return state == 4 || state == 5; }
};

// A file of the job's log folder.
struct RemoteFile {
  std::string name;
  std::string content;
};

class OnlineTenant {
 public:
  static Result<std::unique_ptr<OnlineTenant>> open(const OnlineTarget& target);
  ~OnlineTenant();

  // The client-credentials grant; the token is kept for the calls that follow.
  Status sign_in(std::string_view client_id, std::string_view client_secret);

  // The absolute URL of a server-relative decoded path of the tenant (for sourceUri).
  std::string absolute_url(std::string_view server_relative) const;

  // AddUsingPath(decodedurl=name,Overwrite=true) into `folder` (server-relative, decoded).
  Status add_file(std::string_view folder, std::string_view name, std::string_view content);
  // The fragments of a chunked upload of `file` (server-relative, decoded); each answers the
  // bytes the server holds so far, FinishUpload the file's length.
  enum class Fragment { kStart, kContinue, kFinish };
  Result<uint64_t> upload_fragment(std::string_view file, Fragment kind, std::string_view upload_id,
                                   uint64_t offset, std::string_view data);

  // QueueImportProfileProperties: the job's id. With `multi_value_arrays`, the call carries
  // upsync's extension parameter (bulkimport/importer.h); an online side that does not know
  // it (SharePoint Online) refuses the call, and the error says so.
  Result<std::string> queue_import(ImportIdType id_type, std::string_view id_property,
                                   const std::map<std::string, std::string>& property_map,
                                   std::string_view source_uri, bool multi_value_arrays = false);
  Result<RemoteImportJob> job(std::string_view job_id);
  // The files of a job's log folder (LogFolderUri), with their text.
  Result<std::vector<RemoteFile>> log_files(std::string_view log_folder_uri);

 private:
  OnlineTenant() = default;
  std::string api_for(std::string_view server_relative) const;
  Result<std::string> call(std::string_view what, std::string_view path, std::string_view body,
                           std::string_view content_type);

  std::unique_ptr<httplib::Client> client_;
  std::string origin_;        // scheme://host[:port]
  std::string base_path_;     // "" or /tenants/contoso
  std::string token_origin_;  // scheme://host[:port] of the token endpoint
  std::string token_path_;
  std::unique_ptr<httplib::Client> token_client_;
  std::string scope_;
  std::string token_;
};

}  // namespace upsync
