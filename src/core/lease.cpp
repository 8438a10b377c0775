#include "core/lease.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace upsync {

std::string lease_holder_name(std::string_view label) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  std::string name = std::string(host) + ":" + std::to_string(getpid());
  if (!label.empty()) name += "/" + std::string(label);
  return name;
}

std::string lease_time_iso(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string describe_lease(const Lease& lease) {
  return "held by " + lease.holder + " since " + lease_time_iso(lease.acquired_at_ms) +
         ", last heartbeat " + lease_time_iso(lease.heartbeat_at_ms) +
         (lease.expired ? " (expired)" : "");
}

}  // namespace upsync
