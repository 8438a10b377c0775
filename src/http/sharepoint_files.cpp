// Files in document libraries (reference/client-wire-formats.md §3):
//   web/GetFolderByServerRelativePath(decodedUrl='...')  or  GetFolderByServerRelativeUrl('...')
//     [GET] SP.Folder   /files [GET]   /folders [GET]   /files('name')/...   /folders('name')/...
//     /files/AddUsingPath(decodedurl='x',Overwrite=true) [POST raw bytes]
//     /Files/add(url='x',overwrite=true)                  [POST raw bytes]
//   web/GetFileByServerRelativePath(decodedUrl='...')  or  GetFileByServerRelativeUrl('...')
//     [GET] SP.File   [DELETE, or POST with X-HTTP-Method: DELETE]
//     /$value [GET raw bytes; POST with X-HTTP-Method: PUT replaces the content]
//     /StartUpload, /ContinueUpload, /FinishUpload, /CancelUpload  (sharepoint_uploads.cpp)
// A file's content (add, AddUsingPath, $value PUT, upload fragments) streams to disk as it
// arrives (sharepoint_files.h): planned from the headers by plan_web_item, checked again and
// made visible by the handler.
#include "http/sharepoint_files.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <memory>
#include <span>

#include "core/text.h"
#include "http/sharepoint_common.h"
#include "http/sharepoint_permissions.h"

namespace upsync {

namespace {

std::string odata_quoted(std::string_view s) {
  std::string out;
  for (char c : s) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out;
}

std::string last_segment(std::string_view url) {
  size_t slash = url.rfind('/');
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

}  // namespace

nlohmann::json sp_file_json(const Call& call, const FileInfo& f) {
  return {{"Exists", true},
          {"Length", std::to_string(f.size)},
          {"Name", last_segment(f.url)},
          {"ServerRelativeUrl", f.url},
          {"TimeCreated", f.modified_at},
          {"TimeLastModified", f.modified_at},
          {"UniqueId", sp_name_guid(call.tenant.name + ":" + f.url)}};
}

ODataEntity sp_file_entity(const Call& call, const std::string& url) {
  return {"SP.File", sp_service_root(call),
          "Web/GetFileByServerRelativePath(decodedurl='" + odata_quoted(url) + "')"};
}

uint64_t sp_content_length(const Call& call) {
  std::string v = call.req.get_header_value("Content-Length");
  uint64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

bool sp_refuse_file_size(Call& call, uint64_t size) {
  if (size <= call.server.max_file_bytes) return false;
  // SharePoint's words for a file over the limit of its farm.
  write_error(call.req, call.res, Surface::kSharePoint,
              invalid_argument(
                  "The file size (" + std::to_string(size) + " bytes) exceeds the limit allowed (" +
                  std::to_string(call.server.max_file_bytes) + " bytes) and cannot be saved."));
  call.res.status = 413;
  return true;
}

namespace {

nlohmann::json folder_json(const Call& call, const FileInfo& f, size_t item_count) {
  return {{"Exists", true},
          {"ItemCount", item_count},
          {"Name", last_segment(f.url)},
          {"ServerRelativeUrl", f.url},
          {"TimeLastModified", f.modified_at},
          {"UniqueId", sp_name_guid(call.tenant.name + ":" + f.url)}};
}

// The properties of file_json() and folder_json(), for the query options.
const SpSchema& file_schema() {
  static const SpSchema kSchema{"SP.File",
                                {{"Exists", SpType::kBool},
                                 {"Length", SpType::kInt},
                                 {"Name", SpType::kString},
                                 {"ServerRelativeUrl", SpType::kString},
                                 {"TimeCreated", SpType::kDateTime},
                                 {"TimeLastModified", SpType::kDateTime},
                                 {"UniqueId", SpType::kString}},
                                ""};
  return kSchema;
}

const SpSchema& folder_schema() {
  static const SpSchema kSchema{"SP.Folder",
                                {{"Exists", SpType::kBool},
                                 {"ItemCount", SpType::kInt},
                                 {"Name", SpType::kString},
                                 {"ServerRelativeUrl", SpType::kString},
                                 {"TimeLastModified", SpType::kDateTime},
                                 {"UniqueId", SpType::kString}},
                                ""};
  return kSchema;
}

ODataEntity folder_entity(const Call& call, const std::string& url) {
  return {"SP.Folder", sp_service_root(call),
          "Web/GetFolderByServerRelativePath(decodedurl='" + odata_quoted(url) + "')"};
}

// Reading needs Read; anything else (add, replace, delete) needs Contribute.
LibraryAccess access_for(std::string_view method) {
  return method == "GET" ? LibraryAccess::kRead : LibraryAccess::kWrite;
}

Status no_file(const FileUrl& url) {
  return not_found("File Not Found: " + url.server_relative() + " does not exist.");
}

Status no_folder(const FileUrl& url) {
  return not_found("File Not Found: the folder " + url.server_relative() + " does not exist.");
}

// The path argument of GetFolder/GetFileByServerRelativePath|Url, as a FileUrl of the tenant.
Result<FileUrl> path_arg(Call& call, const ODataSegment& seg) {
  const std::string* lit = seg.arg("decodedUrl");
  if (!lit) lit = seg.arg("serverRelativeUrl");
  if (!lit) {
    return invalid_argument(seg.name + " needs a path: " + seg.name +
                            "(decodedUrl='/sites/<site>/<library>/...').");
  }
  UPSYNC_ASSIGN_OR_RETURN(std::string text, odata_string(call.req, *lit, seg.name + "'s path"));
  return sp_file_url(call, text);
}

Result<FileUrl> child_url(Call& call, const FileUrl& folder, const std::string& name) {
  if (name.empty()) return invalid_argument("The file name is empty.");
  // A name may also be a whole server-relative or absolute URL (legacy Files/add).
  if (name.front() == '/' || name.starts_with("http://") || name.starts_with("https://")) {
    return sp_file_url(call, name);
  }
  return sp_file_url(call, folder.server_relative() + "/" + name);
}

// Where a request planned from its headers puts its body's sink; nullptr once the body is in.
using Plan = std::shared_ptr<BodySink>*;

struct NewFile {
  FileUrl target;
  bool overwrite = false;
};

// The file files/add or AddUsingPath creates, checked; nullopt when answered already (501).
Result<std::optional<NewFile>> new_file(Call& call, DocumentLibraries& libs, const FileUrl& folder,
                                        const ODataSegment& seg) {
  const std::string* name_lit = seg.arg(sp_is(seg, "add") ? "url" : "decodedurl");
  if (!name_lit) {
    return invalid_argument(seg.name + " needs the file name: " + seg.name +
                            (sp_is(seg, "add") ? "(url='a.json',overwrite=true)."
                                               : "(decodedurl='a.json',Overwrite=true)."));
  }
  UPSYNC_ASSIGN_OR_RETURN(std::string name, odata_string(call.req, *name_lit, "the file name"));
  NewFile out;
  if (const std::string* o = seg.arg("overwrite", 99)) {
    UPSYNC_ASSIGN_OR_RETURN(out.overwrite, odata_bool(call.req, *o, "Overwrite"));
  }
  if (const std::string* u = seg.arg("EnsureUniqueFileName", 99)) {
    UPSYNC_ASSIGN_OR_RETURN(bool unique, odata_bool(call.req, *u, "EnsureUniqueFileName"));
    if (unique) {
      UPSYNC_RETURN_IF_ERROR(sp_not_supported(call, "EnsureUniqueFileName=true",
                                              "choose a free name, or pass Overwrite=true"));
      return std::optional<NewFile>();
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(out.target, child_url(call, folder, name));
  UPSYNC_RETURN_IF_ERROR(sp_require_library_access(call, out.target, LibraryAccess::kWrite));
  if (out.target.path.empty()) {
    return invalid_argument("'" + name + "' names a document library, not a file.");
  }
  if (auto existing = libs.stat(call.tenant, out.target)) {
    if (existing->folder) {
      return already_exists("A folder named " + out.target.server_relative() + " already exists.");
    }
    if (!out.overwrite) {
      return already_exists("A file named " + out.target.server_relative() +
                            " already exists; pass Overwrite=true to replace it.");
    }
  }
  return std::optional<NewFile>(std::move(out));
}

// Planning: the sink a file's new content streams to (a hidden file beside it), unless the
// size is over the limit (answered with 413).
Status plan_content(Call& call, DocumentLibraries& libs, const FileUrl& target, Plan plan) {
  if (sp_refuse_file_size(call, sp_content_length(call))) return Status::ok();
  UPSYNC_ASSIGN_OR_RETURN(auto writer, libs.begin_write(call.tenant, target));
  *plan = std::make_shared<StoredBody<FileWriter>>(std::move(writer));
  return Status::ok();
}

// Once the body is in: the new content made visible at `target`, replacing a file there only
// when `replace`.
Status store_content(Call& call, DocumentLibraries& libs, const FileUrl& target, bool replace) {
  if (auto* body = sp_stored_body<FileWriter>(call)) {
    UPSYNC_RETURN_IF_ERROR(body->status);
    return body->writer->commit(replace);
  }
  UPSYNC_ASSIGN_OR_RETURN(auto writer, libs.begin_write(call.tenant, target));
  UPSYNC_RETURN_IF_ERROR(writer->append(call.req.body));
  return writer->commit(replace);
}

Status add_file(Call& call, DocumentLibraries& libs, const FileUrl& folder, const ODataSegment& seg,
                Plan plan) {
  UPSYNC_ASSIGN_OR_RETURN(auto created, new_file(call, libs, folder, seg));
  if (!created) return Status::ok();
  if (plan) return plan_content(call, libs, created->target, plan);
  UPSYNC_RETURN_IF_ERROR(store_content(call, libs, created->target, created->overwrite));
  UPSYNC_ASSIGN_OR_RETURN(FileInfo info, libs.stat(call.tenant, created->target));
  write_odata_entity(call.req, call.res, sp_file_entity(call, info.url), sp_file_json(call, info));
  return Status::ok();
}

Status send_content(Call& call, DocumentLibraries& libs, const FileUrl& url) {
  UPSYNC_ASSIGN_OR_RETURN(OpenedFile file, libs.open_file(call.tenant, url));
  // The content is read through the descriptor opened beneath the tenant's folder (pread: the
  // provider may be called from any offset), so a rename meanwhile changes nothing sent.
  auto fd = std::make_shared<UniqueFd>(std::move(file.fd));
  call.res.status = 200;
  call.res.set_content_provider(file.info.size, "application/octet-stream",
                                [fd](uint64_t offset, char* buf, size_t max) -> ssize_t {
                                  ssize_t n;
                                  do {
                                    n = pread(fd->get(), buf, max, static_cast<off_t>(offset));
                                  } while (n < 0 && errno == EINTR);
                                  return n;
                                });
  return Status::ok();
}

Status file_ops(Call& call, DocumentLibraries& libs, const FileUrl& url,
                std::span<const ODataSegment> rest, Plan plan) {
  std::string method = sp_effective_method(call);
  UPSYNC_RETURN_IF_ERROR(sp_require_library_access(call, url, access_for(method)));
  auto info = libs.stat(call.tenant, url);
  if (!info || info->folder) return no_file(url);
  if (plan) {
    // Only a new content streams; any other call of a file is answered once its body is in.
    if (rest.size() != 1) return Status::ok();
    if (rest[0].name == "$value" && method == "PUT") return plan_content(call, libs, url, plan);
    if (sp_is_upload_call(rest[0]) && method == "POST") {
      UPSYNC_ASSIGN_OR_RETURN(*plan, sp_plan_upload(call, url, rest[0]));
    }
    return Status::ok();
  }
  if (rest.size() == 1 && sp_is_upload_call(rest[0])) {
    return sp_upload_call(call, libs, url, rest[0]);
  }
  if (rest.empty()) {
    if (method == "GET") {
      return sp_write_entity(call, file_schema(), sp_file_entity(call, info->url),
                             sp_file_json(call, *info));
    }
    if (method == "DELETE") {
      UPSYNC_RETURN_IF_ERROR(libs.remove(call.tenant, url));
      write_odata_null(call.res);
      return Status::ok();
    }
    return sp_wrong_method(call,
                           "A file is read with GET and deleted with DELETE (or POST with "
                           "X-HTTP-Method: DELETE), not " +
                               method + ".");
  }
  if (rest.size() == 1 && rest[0].name == "$value") {
    if (method == "GET") {
      UPSYNC_RETURN_IF_ERROR(only_query_options(call, {}));  // bytes: nothing to select
      return send_content(call, libs, url);
    }
    if (method == "PUT") {
      UPSYNC_RETURN_IF_ERROR(store_content(call, libs, url, true));
      write_odata_null(call.res);
      return Status::ok();
    }
    return sp_wrong_method(call,
                           "$value is read with GET and replaced with PUT (or POST with "
                           "X-HTTP-Method: PUT), not " +
                               method + ".");
  }
  return not_found("upsync does not serve '" + rest[0].name +
                   "' of a file; it serves the file, its $value, its deletion and "
                   "StartUpload, ContinueUpload, FinishUpload and CancelUpload.");
}

Status folder_ops(Call& call, DocumentLibraries& libs, const FileUrl& url,
                  std::span<const ODataSegment> rest, Plan plan) {
  std::string method = sp_effective_method(call);
  UPSYNC_RETURN_IF_ERROR(sp_require_library_access(call, url, access_for(method)));
  if (rest.empty() && plan) return Status::ok();
  if (rest.empty()) {
    auto info = libs.stat(call.tenant, url);
    if (!info || !info->folder) return no_folder(url);
    if (method == "GET") {
      UPSYNC_ASSIGN_OR_RETURN(auto entries, libs.list(call.tenant, url));
      return sp_write_entity(call, folder_schema(), folder_entity(call, info->url),
                             folder_json(call, *info, entries.size()));
    }
    if (method == "DELETE") {
      if (url.path.empty()) {
        return invalid_argument("A document library (" + url.server_relative() +
                                ") cannot be deleted through its folder.");
      }
      UPSYNC_RETURN_IF_ERROR(libs.remove(call.tenant, url));
      write_odata_null(call.res);
      return Status::ok();
    }
    return sp_wrong_method(
        call, "A folder is read with GET and deleted with DELETE, not " + method + ".");
  }
  const ODataSegment& next = rest[0];
  bool files = sp_is(next, "files");
  if (!files && !sp_is(next, "folders")) {
    return not_found("upsync serves a folder's files and folders, not '" + next.name + "'.");
  }
  if (next.call) {  // files('name') / folders('name')
    const std::string* lit = next.arg("", 0);
    if (!lit)
      return invalid_argument(next.name + "(...) needs a name: " + next.name + "('a.json').");
    UPSYNC_ASSIGN_OR_RETURN(std::string name, odata_string(call.req, *lit, "the name"));
    UPSYNC_ASSIGN_OR_RETURN(FileUrl child, child_url(call, url, name));
    return files ? file_ops(call, libs, child, rest.subspan(1), plan)
                 : folder_ops(call, libs, child, rest.subspan(1), plan);
  }
  if (rest.size() == 1 && plan) return Status::ok();
  if (rest.size() == 1) {
    if (method != "GET") {
      return sp_wrong_method(
          call, "A folder's " + next.name + " are listed with GET, not " + method + ".");
    }
    auto info = libs.stat(call.tenant, url);
    if (!info || !info->folder) return no_folder(url);
    UPSYNC_ASSIGN_OR_RETURN(auto entries, libs.list(call.tenant, url));
    std::vector<nlohmann::json> items;
    for (const FileInfo& e : entries) {
      if (e.folder == files) continue;
      if (files) {
        items.push_back(sp_file_json(call, e));
      } else {
        UPSYNC_ASSIGN_OR_RETURN(FileUrl sub, sp_file_url(call, e.url));
        UPSYNC_ASSIGN_OR_RETURN(auto inside, libs.list(call.tenant, sub));
        items.push_back(folder_json(call, e, inside.size()));
      }
    }
    return sp_write_collection(call, files ? file_schema() : folder_schema(),
                               {files ? "SP.File" : "SP.Folder", sp_service_root(call), ""},
                               std::move(items));
  }
  if (files && rest.size() == 2 && (sp_is(rest[1], "AddUsingPath") || sp_is(rest[1], "add"))) {
    if (method != "POST") {
      return sp_wrong_method(call, rest[1].name + " is called with POST, not " + method + ".");
    }
    return add_file(call, libs, url, rest[1], plan);
  }
  if (plan) return Status::ok();
  return not_found("upsync does not serve '" + rest[1].name + "' of a folder's " + next.name +
                   "; it serves AddUsingPath and add.");
}

// Serves a request (plan: nullptr), or plans its body from the headers.
Status web_item_for(Call& call, Plan plan) {
  UPSYNC_ASSIGN_OR_RETURN(auto segs, sp_api_segments(call));
  if (segs.size() < 2 || !sp_is(segs[0], "web")) {
    return not_found("Cannot find resource for the request " + call.req.path + ".");
  }
  const ODataSegment& item = segs[1];
  bool folder =
      sp_is(item, "GetFolderByServerRelativePath") || sp_is(item, "GetFolderByServerRelativeUrl");
  bool file =
      sp_is(item, "GetFileByServerRelativePath") || sp_is(item, "GetFileByServerRelativeUrl");
  if (!folder && !file) {
    return not_found("upsync does not serve web/" + item.name +
                     "; it serves the web, GetFolderByServerRelativePath and "
                     "GetFileByServerRelativePath (and their ...Url forms).");
  }
  UPSYNC_ASSIGN_OR_RETURN(FileUrl url, path_arg(call, item));
  DocumentLibraries libs(call.server.data_dir);
  std::span<const ODataSegment> rest(segs.begin() + 2, segs.end());
  return folder ? folder_ops(call, libs, url, rest, plan) : file_ops(call, libs, url, rest, plan);
}

Status web_item(Call& call) { return web_item_for(call, nullptr); }

Result<std::shared_ptr<BodySink>> plan_web_item(Call& call) {
  std::shared_ptr<BodySink> sink;
  UPSYNC_RETURN_IF_ERROR(web_item_for(call, &sink));
  return sink;
}

}  // namespace

void add_sharepoint_file_routes(Router& router) {
  std::string pattern = std::string(kSitePrefix) + "web/.+$";
  // A folder's files and folders take the collection options; a file or folder takes $select
  // (sp_write_entity refuses the rest); writes take none. A file's new content streams from its
  // headers on (plan_web_item).
  router.add("GET", pattern, Surface::kSharePoint, Access::kSignedIn, web_item,
             {"$select", "$filter", "$orderby", "$top", "$skip"}, plan_web_item);
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    router.add(method, pattern, Surface::kSharePoint, Access::kSignedIn, web_item, {},
               plan_web_item);
  }
}

}  // namespace upsync
