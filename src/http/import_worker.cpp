#include "http/import_worker.h"

#include <chrono>
#include <cstdio>

#include "bulkimport/importer.h"
#include "core/clock.h"
#include "sites/sites.h"
#include "store/store.h"

namespace upsync {

ImportWorkerThread::ImportWorkerThread(Storage& storage, std::string data_dir,
                                       double interval_seconds,
                                       std::function<void(const ImportJob&)> on_job_end,
                                       ImportLimits limits)
    : storage_(storage),
      data_dir_(std::move(data_dir)),
      interval_(interval_seconds),
      on_job_end_(std::move(on_job_end)),
      limits_(limits) {}

ImportWorkerThread::~ImportWorkerThread() { stop(); }

void ImportWorkerThread::start() {
  thread_ = std::thread([this] { run(); });
}

void ImportWorkerThread::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ImportWorkerThread::run() {
  auto log = [](const std::string& what) {
    std::fputs((utc_now_iso() + " import worker: " + what + "\n").c_str(), stderr);
  };
  std::string last_error;
  while (!stop_.load()) {
    Status st = [&]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto store, storage_.connect());
      UPSYNC_ASSIGN_OR_RETURN(auto jobs, open_job_store(*store));
      DocumentLibraries libs(data_dir_);
      BulkImporter importer(*store, *jobs, libs, limits_);
      importer.set_stop_flag(&stop_);
      UPSYNC_ASSIGN_OR_RETURN(auto ended, importer.run_pending());
      for (const auto& job : ended) {
        log("job " + job.job_id + " " + std::string(import_job_state_name(job.state)) +
            (job.error == ImportJobError::kNoError
                 ? ""
                 : " (" + std::string(import_job_error_name(job.error)) + ")"));
        if (on_job_end_) on_job_end_(job);
      }
      return Status::ok();
    }();
    // A failing poll (a locked or broken database) is logged once per distinct error and
    // retried at the next interval: the server keeps serving.
    if (!st.is_ok() && st.to_string() != last_error) log(st.to_string());
    last_error = st.is_ok() ? "" : st.to_string();
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::duration<double>(interval_), [this] { return stop_.load(); });
  }
}

}  // namespace upsync
