#include "hybrid/online_tenant.h"

#include <httplib.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/text.h"

namespace upsync {

namespace {

// encodeURIComponent after doubling quotes: how PnPjs's encodePath writes a path into an
// OData string literal (decodedUrl='...').
std::string literal(std::string_view decoded) {
  std::string doubled;
  for (char c : decoded) {
    doubled += c;
    if (c == '\'') doubled += '\'';
  }
  return httplib::detail::encode_query_param(doubled);
}

// The message of an error answer: SharePoint's odata.error (minimal or verbose), Azure AD's
// error_description, Graph's error.message, or the start of the body.
std::string error_message_of(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    for (const char* key : {"odata.error", "error"}) {
      auto e = j.find(key);
      if (e == j.end() || !e->is_object()) continue;
      auto m = e->find("message");
      if (m != e->end() && m->is_object() && m->contains("value") && (*m)["value"].is_string()) {
        return (*m)["value"].get<std::string>();
      }
      if (m != e->end() && m->is_string()) return m->get<std::string>();
    }
    if (j.contains("error_description") && j["error_description"].is_string()) {
      return j["error_description"].get<std::string>();
    }
  }
  return quote_for_message(body, 300);
}

// httplib's error names ("Connection") say little to someone reading a failed push.
std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "could not connect (refused, or no route to the host)";
    case httplib::Error::ConnectionTimeout:
      return "timed out connecting";
    case httplib::Error::Read:
      return "the connection broke while reading the answer";
    case httplib::Error::Write:
      return "the connection broke while sending the request";
    case httplib::Error::SSLConnection:
      return "the TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "the CA certificates could not be loaded (check --ca-file)";
    case httplib::Error::SSLServerVerification:
      return "the server's TLS certificate is not trusted (give its CA with --ca-file)";
    default:
      return httplib::to_string(e);
  }
}

Status status_for_http(int http, std::string message) {
  if (http == 401) return unauthenticated(std::move(message));
  if (http == 403) return permission_denied(std::move(message));
  if (http == 404) return not_found(std::move(message));
  if (http >= 500) return unavailable(std::move(message));
  return invalid_argument(std::move(message));
}

void configure(httplib::Client& c, const OnlineTarget& t) {
  c.set_url_encode(false);
  const auto secs = static_cast<time_t>(t.timeout_seconds);
  c.set_connection_timeout(secs);
  c.set_read_timeout(secs);
  c.set_write_timeout(secs);
  c.set_keep_alive(true);
  // TLS: always verified; a private CA instead of the system's when given.
  c.enable_server_certificate_verification(true);
  if (!t.ca_file.empty()) c.set_ca_cert_path(t.ca_file.c_str());
}

// The parts of http(s)://host[:port][/path]: a host of letters, digits, '.' and '-' or a
// bracketed IPv6 address, a port of 1-5 digits, a path without query or fragment.
struct UrlParts {
  std::string scheme, host, port, path;  // port with its ':', "" when none
};

std::optional<UrlParts> split_url(std::string_view url) {
  UrlParts u;
  for (std::string_view scheme : {"https", "http"}) {
    if (url.starts_with(std::string(scheme) + "://")) {
      u.scheme = scheme;
      url.remove_prefix(scheme.size() + 3);
      break;
    }
  }
  if (u.scheme.empty()) return std::nullopt;
  size_t end = url.find_first_of(":/");
  if (!url.empty() && url[0] == '[') {
    size_t close = url.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    for (char c : url.substr(1, close - 1)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return std::nullopt;
      }
    }
    end = close + 1;
  } else {
    if (end == std::string_view::npos) end = url.size();
    if (end == 0) return std::nullopt;
    for (char c : url.substr(0, end)) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
        return std::nullopt;
      }
    }
  }
  u.host = url.substr(0, end);
  url.remove_prefix(end);
  if (!url.empty() && url[0] == ':') {
    size_t digits = url.find('/');
    if (digits == std::string_view::npos) digits = url.size();
    if (digits < 2 || digits > 6) return std::nullopt;
    for (char c : url.substr(1, digits - 1)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    u.port = url.substr(0, digits);
    url.remove_prefix(digits);
  }
  if (!url.empty() && url[0] != '/') return std::nullopt;
  if (url.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  u.path = url;
  return u;
}

}  // namespace

OnlineTenant::~OnlineTenant() = default;

Result<std::unique_ptr<OnlineTenant>> OnlineTenant::open(const OnlineTarget& target) {
  std::optional<UrlParts> m = split_url(target.base_url);
  if (!m) {
    return invalid_argument("--to '" + quote_for_message(target.base_url) +
                            "' is not an http(s) URL of the online tenant "
                            "(https://host[:port][/tenant base path]).");
  }
  std::unique_ptr<OnlineTenant> t(new OnlineTenant());
  t->origin_ = m->scheme + "://" + m->host + m->port;
  t->base_path_ = m->path;
  while (!t->base_path_.empty() && t->base_path_.back() == '/') t->base_path_.pop_back();
  const std::string last =
      t->base_path_.empty() ? "" : t->base_path_.substr(t->base_path_.rfind('/') + 1);
  std::string authority = target.authority;
  if (authority.empty()) {
    if (last.empty()) {
      return invalid_argument("--to '" + target.base_url +
                              "' names no tenant in its path; give the token endpoint's "
                              "authority with --authority https://login.example.com/<tenant>.");
    }
    authority = t->origin_ + "/" + last;
  }
  std::optional<UrlParts> a = split_url(authority);
  if (!a || a->path.size() < 2) {
    return invalid_argument(
        "--authority '" + quote_for_message(authority) +
        "' is not an http(s) URL ending in the tenant (https://host/<tenant>).");
  }
  t->token_path_ = a->path + "/oauth2/v2.0/token";
  t->token_origin_ = a->scheme + "://" + a->host + a->port;
  t->scope_ = target.scope;
  if (t->scope_.empty()) {
    const std::string tenant = a->path.substr(a->path.rfind('/') + 1);
    t->scope_ = "https://" + tenant + ".sharepoint.com/.default";
  }
  t->client_ = std::make_unique<httplib::Client>(t->origin_);
  configure(*t->client_, target);
  t->token_client_ = std::make_unique<httplib::Client>(t->token_origin_);
  configure(*t->token_client_, target);
  return t;
}

Status OnlineTenant::sign_in(std::string_view client_id, std::string_view client_secret) {
  httplib::Params form = {{"grant_type", "client_credentials"},
                          {"client_id", std::string(client_id)},
                          {"client_secret", std::string(client_secret)},
                          {"scope", scope_}};
  std::string body = httplib::detail::params_to_query_str(form);
  auto r = token_client_->Post(token_path_.c_str(), body, "application/x-www-form-urlencoded");
  if (!r) {
    return unavailable("cannot reach the online tenant's token endpoint " + token_origin_ +
                       token_path_ + ": " + describe(r.error()));
  }
  if (r->status != 200) {
    return unauthenticated("the online tenant refused the app's sign-in (HTTP " +
                           std::to_string(r->status) + "): " + error_message_of(r->body));
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.contains("access_token") || !j["access_token"].is_string()) {
    return unavailable("the online tenant's token endpoint answered no access_token.");
  }
  token_ = j["access_token"].get<std::string>();
  return Status::ok();
}

std::string OnlineTenant::absolute_url(std::string_view server_relative) const {
  std::string out = origin_ + base_path_;
  for (char c : server_relative) {
    if (c == ' ') {
      out += "%20";
    } else {
      out += c;
    }
  }
  return out;
}

// {base}[/sites/x]/_api: a path's site, as SharePoint's REST has it.
std::string OnlineTenant::api_for(std::string_view server_relative) const {
  std::string site;
  for (std::string_view managed : {"/sites/", "/teams/"}) {
    if (server_relative.starts_with(managed) && server_relative.size() > managed.size() &&
        server_relative[managed.size()] != '/') {
      size_t end = server_relative.find('/', managed.size());
      site = server_relative.substr(0, end);
    }
  }
  return base_path_ + site + "/_api";
}

Result<std::string> OnlineTenant::call(std::string_view what, std::string_view path,
                                       std::string_view body, std::string_view content_type) {
  httplib::Headers h = {{"Accept", "application/json;odata=nometadata"},
                        {"Authorization", "Bearer " + token_}};
  auto r = client_->Post(std::string(path).c_str(), h, body.data(), body.size(),
                         std::string(content_type).c_str());
  if (!r) {
    return unavailable(std::string(what) + ": cannot reach the online tenant at " + origin_ + ": " +
                       describe(r.error()));
  }
  if (r->status / 100 != 2) {
    return status_for_http(r->status,
                           std::string(what) + " was refused by the online tenant (HTTP " +
                               std::to_string(r->status) + "): " + error_message_of(r->body));
  }
  return std::move(r->body);
}

Status OnlineTenant::add_file(std::string_view folder, std::string_view name,
                              std::string_view content) {
  std::string path = api_for(folder) + "/web/getFolderByServerRelativePath(decodedUrl='" +
                     literal(folder) + "')/files/AddUsingPath(decodedurl='" + literal(name) +
                     "',Overwrite=true)";
  return call("uploading '" + std::string(name) + "'", path, content, "application/octet-stream")
      .status();
}

Result<uint64_t> OnlineTenant::upload_fragment(std::string_view file, Fragment kind,
                                               std::string_view upload_id, uint64_t offset,
                                               std::string_view data) {
  std::string fn = kind == Fragment::kStart    ? "StartUpload"
                   : kind == Fragment::kFinish ? "FinishUpload"
                                               : "ContinueUpload";
  std::string path = api_for(file) + "/web/getFileByServerRelativePath(decodedUrl='" +
                     literal(file) + "')/" + fn + "(uploadId=guid'" + std::string(upload_id) + "'";
  if (kind != Fragment::kStart) path += ",fileOffset=" + std::to_string(offset);
  path += ")";
  UPSYNC_ASSIGN_OR_RETURN(std::string body, call(fn + " at byte " + std::to_string(offset), path,
                                                 data, "application/octet-stream"));
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (kind == Fragment::kFinish) {
    // FinishUpload answers the SP.File; its Length is the file's size.
    if (!j.is_discarded() && j.contains("Length")) {
      const auto& len = j["Length"];
      if (len.is_number_unsigned()) return len.get<uint64_t>();
      if (len.is_string()) return std::stoull(len.get<std::string>());
    }
    return unavailable("FinishUpload answered no file Length.");
  }
  // Edm.Int64 answers are strings in JSON.
  if (!j.is_discarded() && j.contains("value")) {
    const auto& v = j["value"];
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_string()) {
      try {
        return std::stoull(v.get<std::string>());
      } catch (const std::exception&) {
      }
    }
  }
  return unavailable(fn + " answered no offset: " + quote_for_message(body, 200));
}

Result<std::string> OnlineTenant::queue_import(
    ImportIdType id_type, std::string_view id_property,
    const std::map<std::string, std::string>& property_map, std::string_view source_uri,
    bool multi_value_arrays) {
  nlohmann::json body = {{"idType", static_cast<int>(id_type)},
                         {"sourceDataIdProperty", std::string(id_property)},
                         {"propertyMap", property_map},
                         {"sourceUri", std::string(source_uri)}};
  if (multi_value_arrays) body[std::string(kMultiValueArraysParameter)] = true;
  std::string path = base_path_ +
                     "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
                     "QueueImportProfileProperties";
  auto queued = call("queuing the import", path, body.dump(), "application/json;charset=utf-8");
  if (!queued && multi_value_arrays &&
      queued.status().message().find(kMultiValueArraysParameter) != std::string::npos) {
    return failed_precondition(
        "the online tenant takes no multi-value property: its QueueImportProfileProperties "
        "does not know upsync's " +
        std::string(kMultiValueArraysParameter) +
        " (SharePoint Online's import takes single values only, seed 003); export without the "
        "multi-value properties. " +
        queued.status().message());
  }
  UPSYNC_ASSIGN_OR_RETURN(std::string answer, std::move(queued));
  auto j = nlohmann::json::parse(answer, nullptr, false);
  if (j.is_discarded() || !j.contains("value") || !j["value"].is_string()) {
    return unavailable("QueueImportProfileProperties answered no job id: " +
                       quote_for_message(answer, 200));
  }
  return j["value"].get<std::string>();
}

Result<RemoteImportJob> OnlineTenant::job(std::string_view job_id) {
  std::string path = base_path_ +
                     "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"
                     "GetImportProfilePropertyJob";
  nlohmann::json body = {{"jobId", std::string(job_id)}};
  UPSYNC_ASSIGN_OR_RETURN(std::string answer,
                          call("reading import job " + std::string(job_id), path, body.dump(),
                               "application/json;charset=utf-8"));
  auto j = nlohmann::json::parse(answer, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("State")) {
    return unavailable("GetImportProfilePropertyJob answered no job: " +
                       quote_for_message(answer, 200));
  }
  RemoteImportJob job;
  job.job_id = j.value("JobId", std::string(job_id));
  job.state = j.value("State", 0);
  job.error = j.value("Error", 0);
  auto str = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  job.error_message = str("ErrorMessage");
  job.log_folder_uri = str("LogFolderUri");
  if (job.log_folder_uri.empty()) job.log_folder_uri = str("LogFileUri");
  job.source_uri = str("SourceUri");
  return job;
}

Result<std::vector<RemoteFile>> OnlineTenant::log_files(std::string_view log_folder_uri) {
  // LogFolderUri is absolute on the tenant's base: the rest, decoded, is the folder.
  const std::string prefix = origin_ + base_path_;
  std::string_view rest = log_folder_uri;
  if (rest.substr(0, prefix.size()) == prefix) {
    rest.remove_prefix(prefix.size());
  } else if (rest.substr(0, 8) == "https://" || rest.substr(0, 7) == "http://") {
    return invalid_argument("the job's log folder " + std::string(log_folder_uri) +
                            " is not on the online tenant " + prefix + ".");
  }
  size_t bad = 0;
  auto folder = percent_decode(rest, &bad);
  if (!folder) return invalid_argument("the job's log folder URL has a bad escape.");
  std::string list_path = api_for(*folder) + "/web/getFolderByServerRelativePath(decodedUrl='" +
                          literal(*folder) + "')/files";
  httplib::Headers h = {{"Accept", "application/json;odata=nometadata"},
                        {"Authorization", "Bearer " + token_}};
  auto r = client_->Get(list_path.c_str(), h);
  if (!r) {
    return unavailable("listing the job's log folder: cannot reach the online tenant: " +
                       describe(r.error()));
  }
  if (r->status != 200) {
    return status_for_http(r->status, "listing the job's log folder " + *folder + " (HTTP " +
                                          std::to_string(r->status) +
                                          "): " + error_message_of(r->body));
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  std::vector<RemoteFile> out;
  if (j.is_discarded() || !j.contains("value") || !j["value"].is_array()) return out;
  for (const auto& f : j["value"]) {
    if (!f.is_object() || !f.contains("Name") || !f["Name"].is_string()) continue;
    RemoteFile file{f["Name"].get<std::string>(), ""};
    std::string path = api_for(*folder) + "/web/getFileByServerRelativePath(decodedUrl='" +
                       literal(*folder + "/" + file.name) + "')/$value";
    auto c = client_->Get(path.c_str(), h);
    if (!c || c->status != 200) {
      return unavailable("reading the job's log file " + file.name + " failed" +
                         (c ? " (HTTP " + std::to_string(c->status) + ")" : ""));
    }
    file.content = std::move(c->body);
    out.push_back(std::move(file));
  }
  return out;
}

}  // namespace upsync
