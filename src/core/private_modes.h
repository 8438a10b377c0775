// A data folder readable by its owner only: the folder and every folder in it 0700, every
// file 0600 (upsync.db and its -wal and -shm, library files, keys), so that no other local
// account reads a tenant's data or the password hashes.
//
//   auto tightened = make_private("upsync-data");   // once per command, on start
//   for (const auto& t : *tightened) ... warn: t.path, t.before → t.after
//
// New files get these modes from the process's umask (077, set by main) and from the modes
// the file layer asks for; make_private fixes what an older version or a hand left open.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/status.h"

namespace upsync {

struct TightenedMode {
  std::string path;  // relative to the data folder ("." for the folder itself)
  mode_t before = 0;
  mode_t after = 0;
};

// Removes group and other permissions from `dir` and everything under it (links are left
// alone, never followed); returns what changed.
Result<std::vector<TightenedMode>> make_private(const std::string& dir);

// "upsync.db (0644 → 0600), files/contoso (0755 → 0700)", naming at most `max` paths.
std::string describe_tightened(const std::vector<TightenedMode>& changed, size_t max = 10);

}  // namespace upsync
