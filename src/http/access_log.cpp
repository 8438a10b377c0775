#include "http/access_log.h"

#include "core/clock.h"
#include "http/json_writer.h"
#include "http/query_secrets.h"

namespace upsync {

namespace {
constexpr size_t kFlushBytes = 64 * 1024;
}  // namespace

AccessLog::AccessLog(std::FILE* out, std::chrono::milliseconds flush_interval)
    : out_(out), interval_(flush_interval) {
  flusher_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!closing_) {
      wake_.wait_for(lock, interval_);
      write_locked();
    }
  });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  wake_.notify_all();
  flusher_.join();
  flush();
}

void AccessLog::record(const HttpRequest& req, const HttpResponse& res,
                       std::string_view batch_part) {
  JsonWriter entry;
  entry.begin_object();
  entry.key("time").str(utc_now_iso());
  entry.key("remote").str(req.remote_addr);
  entry.key("method").str(req.head ? "HEAD" : req.method);
  // Never a secret from the query string (query_secrets.h), whoever sent it.
  entry.key("target").str(redact_query_secrets(req.target));
  entry.key("status").number(res.status);
  entry.key("bytes").number(static_cast<int64_t>(res.content_length()));
  std::string client = req.get_header_value("client-request-id");
  if (!client.empty()) entry.key("clientRequestId").str(client);
  if (!batch_part.empty()) entry.key("batchPart").str(batch_part);
  entry.end_object();
  std::string line = std::move(entry).text();
  std::lock_guard lock(mu_);
  pending_ += line;
  pending_ += '\n';
  if (pending_.size() >= kFlushBytes) write_locked();
}

void AccessLog::flush() {
  std::lock_guard lock(mu_);
  write_locked();
}

void AccessLog::write_locked() {
  if (pending_.empty()) return;
  std::fwrite(pending_.data(), 1, pending_.size(), out_);
  std::fflush(out_);
  pending_.clear();
}

}  // namespace upsync
