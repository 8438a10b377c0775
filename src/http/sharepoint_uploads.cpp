// Chunked uploads of a file, as PnPjs's addChunked / setContentChunked send them
// (files/types.js): an empty file first (AddUsingPath with no body), then on the file
//   POST .../StartUpload(uploadId=guid'<id>')                      [first fragment]
//   POST .../ContinueUpload(uploadId=guid'<id>',fileOffset=<n>)     [next fragments]
//   POST .../FinishUpload(uploadId=guid'<id>',fileOffset=<n>)       [last fragment, may be empty]
//   POST .../CancelUpload(uploadId=guid'<id>')                      [when the client gives up]
// StartUpload and ContinueUpload answer the bytes received so far (Edm.Int64, a string in
// JSON), which the client passes as the next fileOffset; FinishUpload answers the SP.File.
// The fragments gather outside the library (sites/upload_sessions.h) and the file changes only
// at FinishUpload. Only the session's uploader may go on with it or cancel it.
#include <charconv>
#include <optional>

#include "core/text.h"
#include "http/sharepoint_common.h"
#include "http/sharepoint_files.h"
#include "http/sharepoint_permissions.h"
#include "sites/upload_sessions.h"

namespace upsync {

namespace {

enum class UploadCall { kStart, kContinue, kFinish, kCancel };

std::optional<UploadCall> upload_call(const ODataSegment& seg) {
  if (sp_is(seg, "StartUpload")) return UploadCall::kStart;
  if (sp_is(seg, "ContinueUpload")) return UploadCall::kContinue;
  if (sp_is(seg, "FinishUpload")) return UploadCall::kFinish;
  if (sp_is(seg, "CancelUpload")) return UploadCall::kCancel;
  return std::nullopt;
}

// The uploadId argument: guid'...' (as PnPjs sends it) or a quoted string.
Result<std::string> id_arg(Call& call, const ODataSegment& seg) {
  const std::string* lit = seg.arg("uploadId");
  if (!lit) {
    return invalid_argument(seg.name + " needs the upload id: " + seg.name +
                            "(uploadId=guid'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx').");
  }
  std::string_view text = *lit;
  if (text.size() > 6 && ascii_iequal(text.substr(0, 5), "guid'") && text.back() == '\'') {
    return upload_id(text.substr(5, text.size() - 6));
  }
  UPSYNC_ASSIGN_OR_RETURN(std::string quoted, odata_string(call.req, text, "uploadId"));
  return upload_id(quoted);
}

// The fileOffset argument: a non-negative integer (an Edm.Int64 literal, 'L' suffix allowed).
Result<uint64_t> offset_arg(const ODataSegment& seg) {
  const std::string* lit = seg.arg("fileOffset", 99);
  if (!lit) {
    return invalid_argument(seg.name + " needs the offset of its fragment: " + seg.name +
                            "(uploadId=guid'...',fileOffset=<bytes sent so far>).");
  }
  std::string_view text = *lit;
  if (!text.empty() && (text.back() == 'L' || text.back() == 'l')) text.remove_suffix(1);
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return invalid_argument("The parameter fileOffset has an invalid value '" +
                            quote_for_message(*lit) + "': expected a number of bytes.");
  }
  return n;
}

// The upload calls apply no OData query option; one sent is refused, not ignored.
Status no_query_options(const Call& call, const ODataSegment& seg) {
  for (const auto& [key, value] : call.req.params) {
    if (key.starts_with('$')) {
      return invalid_argument("The query option '" + quote_for_message(key) +
                              "' is not supported by " + seg.name + " (it takes none).");
    }
  }
  return Status::ok();
}

std::string owner_of(const Call& call) { return call.principal ? call.principal->describe() : ""; }

// The session `id` of `file`, when the caller started it.
Result<UploadSession> own_session(Call& call, UploadSessions& uploads, const FileUrl& file,
                                  const std::string& id) {
  UPSYNC_ASSIGN_OR_RETURN(UploadSession s, uploads.find(call.tenant, id));
  if (s.file != file) {
    return not_found("There is no upload session " + id + " for " + file.server_relative() + ".");
  }
  if (s.owner != owner_of(call)) {
    return permission_denied(
        "Access denied. The upload session " + id +
        " was started by someone else; only its uploader may continue, finish or cancel it.");
  }
  return s;
}

Status offset_mismatch(const std::string& id, uint64_t sent, uint64_t expected) {
  return invalid_argument("The file offset " + std::to_string(sent) +
                          " does not match the bytes received in upload session " + id + " (" +
                          std::to_string(expected) + "); send the fragment at offset " +
                          std::to_string(expected) + ".");
}

// The fragment a call carries, opened at the session's end and checked against its offset.
Result<std::unique_ptr<UploadFragment>> open_fragment(Call& call, UploadSessions& uploads,
                                                      const FileUrl& file, UploadCall which,
                                                      const std::string& id,
                                                      const ODataSegment& seg) {
  if (which == UploadCall::kStart) {
    // Abandoned sessions go when new ones start (and when the server starts).
    auto swept = uploads.remove_expired(std::chrono::seconds(call.server.upload_expiry_seconds));
    if (!swept) return swept.status();
    return uploads.start(call.tenant, id, owner_of(call), file);
  }
  UPSYNC_ASSIGN_OR_RETURN(uint64_t offset, offset_arg(seg));
  UPSYNC_ASSIGN_OR_RETURN(UploadSession s, own_session(call, uploads, file, id));
  UPSYNC_ASSIGN_OR_RETURN(auto fragment, uploads.append(call.tenant, s));
  // Checked under the session's lock: the size then cannot move.
  if (fragment->end() != offset) return offset_mismatch(id, offset, fragment->end());
  return fragment;
}

void answer_offset(Call& call, std::string_view method, uint64_t offset) {
  write_odata_value(call.req, call.res, sp_service_root(call), method, "Edm.Int64",
                    std::to_string(offset));
}

}  // namespace

bool sp_is_upload_call(const ODataSegment& seg) { return upload_call(seg).has_value(); }

Result<std::shared_ptr<BodySink>> sp_plan_upload(Call& call, const FileUrl& file,
                                                 const ODataSegment& seg) {
  auto which = upload_call(seg);
  if (!which || *which == UploadCall::kCancel) return std::shared_ptr<BodySink>();
  UPSYNC_RETURN_IF_ERROR(no_query_options(call, seg));
  UPSYNC_ASSIGN_OR_RETURN(std::string id, id_arg(call, seg));
  UploadSessions uploads(call.server.data_dir);
  uint64_t before = 0;
  if (*which != UploadCall::kStart) {
    UPSYNC_ASSIGN_OR_RETURN(UploadSession s, own_session(call, uploads, file, id));
    before = s.size;
  }
  if (sp_refuse_file_size(call, before + sp_content_length(call))) {
    return std::shared_ptr<BodySink>();
  }
  UPSYNC_ASSIGN_OR_RETURN(auto fragment, open_fragment(call, uploads, file, *which, id, seg));
  return std::shared_ptr<BodySink>(
      std::make_shared<StoredBody<UploadFragment>>(std::move(fragment)));
}

Status sp_upload_call(Call& call, DocumentLibraries& libs, const FileUrl& file,
                      const ODataSegment& seg) {
  auto which = upload_call(seg);
  if (!which) return not_found("upsync does not serve '" + seg.name + "' of a file.");
  if (call.req.method != "POST") {
    return sp_wrong_method(call, seg.name + " is called with POST, not " + call.req.method + ".");
  }
  UPSYNC_RETURN_IF_ERROR(no_query_options(call, seg));
  UPSYNC_ASSIGN_OR_RETURN(std::string id, id_arg(call, seg));
  UploadSessions uploads(call.server.data_dir);
  if (*which == UploadCall::kCancel) {
    UPSYNC_ASSIGN_OR_RETURN(UploadSession s, own_session(call, uploads, file, id));
    UPSYNC_RETURN_IF_ERROR(uploads.cancel(call.tenant, s));
    write_odata_null(call.res);
    return Status::ok();
  }
  // The fragment: streamed already (planned from the headers), or an empty body.
  std::unique_ptr<UploadFragment> fragment;
  if (auto* body = sp_stored_body<UploadFragment>(call)) {
    UPSYNC_RETURN_IF_ERROR(body->status);
    if (*which != UploadCall::kStart) {
      UPSYNC_RETURN_IF_ERROR(own_session(call, uploads, file, id).status());
    }
    fragment = std::move(body->writer);
  } else {
    if (!call.req.body.empty()) {
      return internal_error("the fragment of " + seg.name + " was not streamed to its session");
    }
    UPSYNC_ASSIGN_OR_RETURN(fragment, open_fragment(call, uploads, file, *which, id, seg));
  }
  fragment->keep();
  uint64_t received = fragment->end();
  if (*which == UploadCall::kStart || *which == UploadCall::kContinue) {
    answer_offset(call, *which == UploadCall::kStart ? "StartUpload" : "ContinueUpload", received);
    return Status::ok();
  }
  // FinishUpload: the whole file moves into place; the fragment's lock goes with it.
  UPSYNC_ASSIGN_OR_RETURN(UploadSession s, own_session(call, uploads, file, id));
  UPSYNC_RETURN_IF_ERROR(uploads.finish(call.tenant, s, libs));
  fragment.reset();
  UPSYNC_ASSIGN_OR_RETURN(FileInfo info, libs.stat(call.tenant, file));
  write_odata_entity(call.req, call.res, sp_file_entity(call, info.url), sp_file_json(call, info));
  return Status::ok();
}

}  // namespace upsync
