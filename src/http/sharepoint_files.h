// What the SharePoint file routes share (sharepoint_files.cpp: folders, files, their content;
// sharepoint_uploads.cpp: chunked uploads): the JSON of an SP.File, bodies streamed to disk,
// and the file-size limit. Internal to src/http.
//
// A route that writes a file's content streams its body (router.h BodyPlanner): its planner
// checks the caller, the target and the size from the headers and opens where the bytes go;
// the handler, once the body is in, checks again and makes the content visible (a FileWriter's
// commit, an upload fragment kept). A request whose client goes away mid-body is never handed
// to its handler: its sink is destroyed and takes back what it stored.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "http/odata.h"
#include "http/router.h"
#include "sites/sites.h"

namespace upsync {

nlohmann::json sp_file_json(const Call& call, const FileInfo& f);
ODataEntity sp_file_entity(const Call& call, const std::string& url);

// A request body stored by `Writer` (a FileWriter, an UploadFragment) as it arrives; the first
// failure is kept, and the handler answers with it.
template <class Writer>
class StoredBody : public BodySink {
 public:
  explicit StoredBody(std::unique_ptr<Writer> w) : writer(std::move(w)) {}
  bool write(std::string_view piece) override {
    if (status.is_ok()) status = writer->append(piece);
    return status.is_ok();
  }
  std::unique_ptr<Writer> writer;
  Status status;
};

// The request's body as a StoredBody<Writer>, or nullptr when it came in memory (an empty
// body is never streamed).
template <class Writer>
StoredBody<Writer>* sp_stored_body(const Call& call) {
  return dynamic_cast<StoredBody<Writer>*>(call.req.body_sink.get());
}

// The request's Content-Length (0 when it has none; the engine refused a malformed one).
uint64_t sp_content_length(const Call& call);
// Refuses with 413 and SharePoint's error a file that would be `size` bytes, over the server's
// --max-file-size; ok otherwise (the Status is the answer's, as sp_not_supported's is).
// Returns whether it refused.
bool sp_refuse_file_size(Call& call, uint64_t size);

// The chunked upload calls of a file (sharepoint_uploads.cpp).
bool sp_is_upload_call(const ODataSegment& seg);
// From the headers: the sink of the fragment a StartUpload / ContinueUpload / FinishUpload
// carries, after checking the session, its owner and the offset.
Result<std::shared_ptr<BodySink>> sp_plan_upload(Call& call, const FileUrl& file,
                                                 const ODataSegment& seg);
// Answers the call once its body is in.
Status sp_upload_call(Call& call, DocumentLibraries& libs, const FileUrl& file,
                      const ODataSegment& seg);

}  // namespace upsync
