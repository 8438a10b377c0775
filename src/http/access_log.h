// The access log of `upsync serve`: one JSON object per answered request, one per line, on
// stderr, in a fixed member order (time, remote, method, target, status, bytes, and the
// client's request id when it sent one; for a request inside a $batch, its part's id). The target's
// query keeps its parameters, but the value of every secret one (a password, a client secret, a
// token: query_secrets.h) is REDACTED.
//
// Lines are gathered in memory and written together: when 64 KB are waiting, every
// `flush_interval`, and when the log is closed. A busy server then makes one write for many
// requests instead of one each, and a line is never out more than the interval late.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "http/http_message.h"

namespace upsync {

class AccessLog {
 public:
  explicit AccessLog(std::FILE* out = stderr,
                     std::chrono::milliseconds flush_interval = std::chrono::milliseconds(200));
  ~AccessLog();  // writes what is waiting
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // `batch_part`: for a request inside a $batch, its id there ("batchPart" in the line).
  void record(const HttpRequest& req, const HttpResponse& res, std::string_view batch_part = {});
  void flush();

 private:
  void write_locked();

  std::FILE* out_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::string pending_;
  bool closing_ = false;
  std::thread flusher_;
};

}  // namespace upsync
