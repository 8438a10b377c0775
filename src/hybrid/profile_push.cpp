#include "hybrid/profile_push.h"

#include <openssl/evp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"

namespace upsync {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// What the online side confirmed of an earlier push of the same file.
struct PushState {
  std::string sha256;
  uint64_t size = 0;
  std::string target, folder, name;
  std::string upload_id;  // a chunked upload under way
  uint64_t offset = 0;    // bytes of it the online side confirmed
  uint64_t pending = 0;   // bytes of the fragment sent after those, not yet confirmed
  bool uploaded = false;  // the whole file is in the library
  std::string job_id;     // the job queued for it
};

nlohmann::json to_json(const PushState& s) {
  return {{"sha256", s.sha256}, {"size", s.size},       {"target", s.target},
          {"folder", s.folder}, {"name", s.name},       {"uploadId", s.upload_id},
          {"offset", s.offset}, {"pending", s.pending}, {"uploaded", s.uploaded},
          {"jobId", s.job_id}};
}

std::optional<PushState> load_state(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    PushState s;
    s.sha256 = j.at("sha256").get<std::string>();
    s.size = j.at("size").get<uint64_t>();
    s.target = j.at("target").get<std::string>();
    s.folder = j.at("folder").get<std::string>();
    s.name = j.at("name").get<std::string>();
    s.upload_id = j.at("uploadId").get<std::string>();
    s.offset = j.at("offset").get<uint64_t>();
    s.pending = j.value("pending", uint64_t{0});
    s.uploaded = j.at("uploaded").get<bool>();
    s.job_id = j.at("jobId").get<std::string>();
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // an unreadable state is no state: the push starts afresh
  }
}

// Written whole under a temporary name and renamed, so a kill leaves the old or the new.
Status save_state(const std::string& path, const PushState& s) {
  const std::string tmp = path + ".upsync-tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << to_json(s).dump() << "\n";
    if (!out) return internal_error("cannot write the push state file '" + tmp + "'");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return internal_error("cannot write the push state file '" + path + "': " + ec.message());
  return Status::ok();
}

struct FileFacts {
  uint64_t size = 0;
  std::string sha256;
};

Result<FileFacts> file_facts(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read '" + path + "'");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  FileFacts f;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    f.size += n;
  }
  if (in.bad()) return internal_error("reading '" + path + "' failed");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* kHex = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    f.sha256 += kHex[md[i] >> 4];
    f.sha256 += kHex[md[i] & 15];
  }
  return f;
}

Result<std::string> read_range(std::ifstream& in, uint64_t offset, uint64_t n) {
  std::string out(n, '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(out.data(), static_cast<std::streamsize>(n));
  if (static_cast<uint64_t>(in.gcount()) != n) {
    return internal_error("reading bytes " + std::to_string(offset) + ".." +
                          std::to_string(offset + n) + " of the file failed");
  }
  return out;
}

class Push {
 public:
  Push(const PushOptions& o, const PushEvents& e)
      : o_(o), e_(e), state_path_(push_state_path(o.file)) {}

  Result<PushResult> run();

 private:
  void note(const std::string& s) const {
    if (e_.note) e_.note(s);
  }
  Status upload(PushResult& result);
  Status upload_chunked(std::ifstream& in, PushResult& result);
  Status follow(PushResult& result);

  const PushOptions& o_;
  const PushEvents& e_;
  std::string state_path_;
  PushState state_;
  std::unique_ptr<OnlineTenant> tenant_;
  Clock::time_point start_ = Clock::now();
};

Result<PushResult> Push::run() {
  if (o_.property_map.empty()) {
    return invalid_argument("no --map given: map each property of the file (FILE=ONLINE).");
  }
  if (o_.chunk_bytes == 0) return invalid_argument("the chunk size must be at least one byte.");
  UPSYNC_ASSIGN_OR_RETURN(FileFacts facts, file_facts(o_.file));
  UPSYNC_ASSIGN_OR_RETURN(tenant_, OnlineTenant::open(o_.target));

  PushState fresh;
  fresh.sha256 = facts.sha256;
  fresh.size = facts.size;
  fresh.target = o_.target.base_url;
  fresh.folder = o_.folder;
  fresh.name = fs::path(o_.file).filename().string();
  state_ = fresh;
  if (auto old = load_state(state_path_)) {
    if (old->sha256 == fresh.sha256 && old->size == fresh.size && old->target == fresh.target &&
        old->folder == fresh.folder && old->name == fresh.name) {
      state_ = *old;
    } else {
      note("the state file " + state_path_ +
           " is for another file, target or folder; starting afresh");
    }
  }

  PushResult result;
  result.bytes = facts.size;
  result.file_url = tenant_->absolute_url(state_.folder + "/" + state_.name);
  UPSYNC_RETURN_IF_ERROR(tenant_->sign_in(o_.client_id, o_.client_secret));
  note("signed in to " + o_.target.base_url + " as app " + o_.client_id);

  if (state_.job_id.empty()) {
    if (!state_.uploaded) {
      UPSYNC_RETURN_IF_ERROR(upload(result));
    } else {
      note("the file was uploaded by an earlier push");
    }
    UPSYNC_ASSIGN_OR_RETURN(state_.job_id,
                            tenant_->queue_import(o_.id_type, o_.id_property, o_.property_map,
                                                  result.file_url, o_.multi_value_arrays));
    UPSYNC_RETURN_IF_ERROR(save_state(state_path_, state_));
    note("queued import job " + state_.job_id);
  } else {
    result.resumed_job = true;
    note("following import job " + state_.job_id + " queued by an earlier push");
  }
  UPSYNC_RETURN_IF_ERROR(follow(result));
  result.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  return result;
}

Status Push::upload(PushResult& result) {
  std::ifstream in(o_.file, std::ios::binary);
  if (!in) return not_found("cannot read '" + o_.file + "'");
  // An upload under way goes on in fragments, whatever the chunk size is now.
  if (state_.size <= o_.chunk_bytes && state_.upload_id.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(std::string all, read_range(in, 0, state_.size));
    UPSYNC_RETURN_IF_ERROR(tenant_->add_file(state_.folder, state_.name, all));
    ++result.fragments;
    if (e_.uploaded) e_.uploaded(state_.size, state_.size);
  } else {
    UPSYNC_RETURN_IF_ERROR(upload_chunked(in, result));
  }
  state_.uploaded = true;
  state_.upload_id.clear();
  state_.offset = 0;
  UPSYNC_RETURN_IF_ERROR(save_state(state_path_, state_));
  note("uploaded " + std::to_string(state_.size) + " bytes to " + result.file_url);
  return Status::ok();
}

Status Push::upload_chunked(std::ifstream& in, PushResult& result) {
  using Fragment = OnlineTenant::Fragment;
  const std::string file = state_.folder + "/" + state_.name;
  uint64_t offset = 0;
  if (!state_.upload_id.empty() && state_.offset > 0) {
    // Resume: the online side holds either the bytes it confirmed or, when the push stopped
    // while a fragment was on its way, those and that fragment; a fragment at the wrong offset
    // is refused without harm, so each is tried in turn.
    std::vector<uint64_t> candidates = {state_.offset};
    if (state_.pending > 0 && state_.offset + state_.pending < state_.size) {
      candidates.push_back(state_.offset + state_.pending);
    }
    std::string refusal;
    for (uint64_t at : candidates) {
      const uint64_t n = std::min(o_.chunk_bytes, state_.size - at);
      const bool last = at + n == state_.size;
      UPSYNC_ASSIGN_OR_RETURN(std::string data, read_range(in, at, n));
      auto r = tenant_->upload_fragment(file, last ? Fragment::kFinish : Fragment::kContinue,
                                        state_.upload_id, at, data);
      if (!r.has_value()) {
        const StatusCode code = r.status().code();
        if (code == StatusCode::kUnavailable || code == StatusCode::kUnauthenticated) {
          return r.status();
        }
        refusal = r.status().message();
        continue;
      }
      result.resumed_upload_at = at;
      note("resumed the upload at byte " + std::to_string(at));
      ++result.fragments;
      if (last) {
        if (e_.uploaded) e_.uploaded(state_.size, state_.size);
        return Status::ok();
      }
      offset = *r;
      state_.offset = offset;
      state_.pending = 0;
      UPSYNC_RETURN_IF_ERROR(save_state(state_path_, state_));
      if (e_.uploaded) e_.uploaded(offset, state_.size);
      break;
    }
    if (offset == 0) {
      note("the online side no longer holds the upload at byte " + std::to_string(state_.offset) +
           " (" + refusal + "); uploading again from the start");
    }
  }
  if (offset == 0 && state_.size <= o_.chunk_bytes) {
    // Starting over with a chunk size that takes the whole file: one request.
    UPSYNC_ASSIGN_OR_RETURN(std::string all, read_range(in, 0, state_.size));
    UPSYNC_RETURN_IF_ERROR(tenant_->add_file(state_.folder, state_.name, all));
    ++result.fragments;
    if (e_.uploaded) e_.uploaded(state_.size, state_.size);
    return Status::ok();
  }
  if (offset == 0) {
    // PnPjs's addChunked: an empty file, then the fragments on it.
    UPSYNC_RETURN_IF_ERROR(tenant_->add_file(state_.folder, state_.name, ""));
    state_.upload_id = new_guid();
    UPSYNC_ASSIGN_OR_RETURN(std::string data, read_range(in, 0, o_.chunk_bytes));
    UPSYNC_ASSIGN_OR_RETURN(
        offset, tenant_->upload_fragment(file, Fragment::kStart, state_.upload_id, 0, data));
    ++result.fragments;
    state_.offset = offset;
    UPSYNC_RETURN_IF_ERROR(save_state(state_path_, state_));
    if (e_.uploaded) e_.uploaded(offset, state_.size);
  }
  while (offset < state_.size) {
    const uint64_t n = std::min(o_.chunk_bytes, state_.size - offset);
    const bool last = offset + n == state_.size;
    UPSYNC_ASSIGN_OR_RETURN(std::string data, read_range(in, offset, n));
    // Recorded before it is sent: a push stopped while it travels knows where to look.
    state_.pending = n;
    UPSYNC_RETURN_IF_ERROR(save_state(state_path_, state_));
    UPSYNC_ASSIGN_OR_RETURN(uint64_t held, tenant_->upload_fragment(
                                               file, last ? Fragment::kFinish : Fragment::kContinue,
                                               state_.upload_id, offset, data));
    ++result.fragments;
    if (last) break;
    if (held != offset + n) {
      return unavailable("the online side holds " + std::to_string(held) +
                         " bytes of the upload after a fragment ending at byte " +
                         std::to_string(offset + n));
    }
    offset = held;
    state_.offset = offset;
    state_.pending = 0;
    UPSYNC_RETURN_IF_ERROR(save_state(state_path_, state_));
    if (e_.uploaded) e_.uploaded(offset, state_.size);
  }
  if (e_.uploaded) e_.uploaded(state_.size, state_.size);
  return Status::ok();
}

Status Push::follow(PushResult& result) {
  const auto started = Clock::now();
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(result.job, tenant_->job(state_.job_id));
    const double waited = std::chrono::duration<double>(Clock::now() - started).count();
    if (e_.polled) e_.polled(result.job, waited);
    if (result.job.ended()) break;
    if (o_.wait_seconds > 0 && waited >= o_.wait_seconds) return Status::ok();
    std::this_thread::sleep_for(std::chrono::duration<double>(o_.poll_seconds));
  }
  if (result.job.error != 0 && !result.job.log_folder_uri.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(result.log, tenant_->log_files(result.job.log_folder_uri));
  }
  // The job ended: a rerun pushes afresh.
  std::error_code ec;
  fs::remove(state_path_, ec);
  return Status::ok();
}

}  // namespace

std::string push_state_path(const std::string& file) { return file + ".push-state"; }

Result<PushResult> push_profile_values(const PushOptions& options, const PushEvents& events) {
  Push push(options, events);
  return push.run();
}

}  // namespace upsync
