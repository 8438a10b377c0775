// The bulk import worker that `upsync serve` runs beside the HTTP server (DESIGN.md §3): a
// thread with its own Store connection (from the server's Storage) that runs queued jobs every
// `interval` and, when asked to stop (SIGTERM), lets the running job stop at its next checkpoint —
// it stays Processing and the next worker resumes it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "bulkimport/importer.h"
#include "bulkimport/job.h"
#include "store/storage.h"

namespace upsync {

class ImportWorkerThread {
 public:
  // `on_job_end` is called (on the worker thread) for each job run to an end or a stop.
  // `storage` (which must outlive the worker) holds the jobs; `data_dir` the files they import.
  ImportWorkerThread(Storage& storage, std::string data_dir, double interval_seconds,
                     std::function<void(const ImportJob&)> on_job_end, ImportLimits limits = {});
  ~ImportWorkerThread();  // stops and joins
  void start();
  void stop();  // asks the running job to stop at its checkpoint, then joins

 private:
  void run();
  Storage& storage_;
  std::string data_dir_;
  double interval_;
  std::function<void(const ImportJob&)> on_job_end_;
  ImportLimits limits_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace upsync
