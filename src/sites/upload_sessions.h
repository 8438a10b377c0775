// Chunked uploads of a library's file (SharePoint's StartUpload / ContinueUpload /
// FinishUpload / CancelUpload, which PnPjs's addChunked and setContentChunked call): the
// fragments of one upload session gather outside the libraries, invisible to every reader,
// until the last one moves the whole file into place.
//
//   UploadSessions uploads(data_dir);
//   auto part = uploads.start(tenant, id, who.describe(), url);   // StartUpload
//   (*part)->append(bytes); (*part)->keep();                       // its fragment, as it arrives
//   auto s = uploads.find(tenant, id);                              // ContinueUpload: s->size is
//   auto part = uploads.append(tenant, *s);                         // the offset it must name
//   ... uploads.finish(tenant, *s, libraries);                     // FinishUpload, after its
//                                                                   // fragment
//
// Storage: <data dir>/uploads/<tenant>/<id>.part holds the bytes received, <id>.json who
// started the session and for which file. Both are plain files, so a session survives a
// restart of the server; one left alone longer than its expiry (every fragment restarts the
// clock) is removed by remove_expired, which the server runs at start and every few minutes.
// A fragment is written straight to the end of the part file; until the request that carries
// it is answered (keep()), destroying the fragment cuts the part file back, so a fragment
// whose client went away mid-body leaves the session as it was. One fragment of a session is
// written at a time (an exclusive lock on the part file): a second is FailedPrecondition.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/tenant.h"
#include "core/unique_fd.h"
#include "sites/sites.h"

namespace upsync {

struct UploadSession {
  std::string id;     // lower-case GUID
  std::string owner;  // who started it (Principal::describe()); only they may go on
  FileUrl file;       // the file it replaces
  uint64_t size = 0;  // bytes received: the offset the next fragment must name
};

// One fragment being written at the end of a session's part file.
class UploadFragment {
 public:
  ~UploadFragment();
  UploadFragment(const UploadFragment&) = delete;
  UploadFragment& operator=(const UploadFragment&) = delete;

  Status append(std::string_view piece);
  // The session's size with the bytes appended so far.
  uint64_t end() const { return start_ + written_; }
  // The fragment is whole: its bytes stay in the session.
  void keep() { kept_ = true; }

 private:
  friend class UploadSessions;
  UploadFragment(UniqueFd fd, uint64_t start) : fd_(std::move(fd)), start_(start) {}

  UniqueFd fd_;  // the part file, locked while the fragment lives
  uint64_t start_;
  uint64_t written_ = 0;
  bool kept_ = false;
};

class UploadSessions {
 public:
  explicit UploadSessions(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  // Starts session `id` (a GUID) of `owner` for `file`, and its first fragment. A session of
  // the same owner and file under that id starts over (StartUpload is idempotent); one of
  // another owner or file is AlreadyExists.
  Result<std::unique_ptr<UploadFragment>> start(const Tenant& t, std::string_view id,
                                                std::string_view owner, const FileUrl& file);
  // NotFound when the tenant has no session `id`.
  Result<UploadSession> find(const Tenant& t, std::string_view id);
  // The next fragment of `session`, written at its current end.
  Result<std::unique_ptr<UploadFragment>> append(const Tenant& t, const UploadSession& session);
  // Moves the content received into the library at the session's file (replacing it) and
  // ends the session.
  Status finish(const Tenant& t, const UploadSession& session, DocumentLibraries& libraries);
  // Ends the session and removes what it received.
  Status cancel(const Tenant& t, const UploadSession& session);
  // Removes the sessions of every tenant that received nothing for longer than `idle`;
  // returns how many.
  Result<size_t> remove_expired(std::chrono::seconds idle);

 private:
  Result<UniqueFd> tenant_folder(const Tenant& t, bool create);
  Result<std::unique_ptr<UploadFragment>> lock_part(int dir, const std::string& id, bool truncate);

  std::string data_dir_;
};

// Whether `id` is a GUID as SharePoint writes them (8-4-4-4-12 hex digits); its lower-case
// form, or InvalidArgument naming what is wrong.
Result<std::string> upload_id(std::string_view id);

}  // namespace upsync
