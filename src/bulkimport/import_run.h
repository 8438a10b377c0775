// What BulkImporter's two passes over a job's file share: importer.cpp opens the file and
// ends the job, import_passes.cpp checks the file (pass 1) and applies it (pass 2).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bulkimport/import_reader.h"
#include "bulkimport/importer.h"
#include "core/profile_schema.h"

namespace upsync {

// The profile property each property name of a job's file maps to, resolved once per job from
// its map, by the name's lower case (def is null when the property was removed after the job
// was queued: its values are then refused per user).
class PropertyTargets {
 public:
  struct Target {
    std::string name;
    const PropertyDefinition* def;
  };
  PropertyTargets(const ProfileSchema& schema, const std::map<std::string, std::string>& map);
  PropertyTargets(const PropertyTargets&) = delete;
  PropertyTargets& operator=(const PropertyTargets&) = delete;

  // The target of a file property, or null. The spellings seen so far are remembered (a file
  // repeats the same few), so that most lookups are a comparison; a reused buffer makes the
  // others allocate nothing once it has grown to the longest name.
  const Target* of(std::string_view name);

 private:
  std::unordered_map<std::string, Target> map_;
  std::string lower_;
  std::vector<std::pair<std::string, const Target*>> spellings_;
};

// One run of a job by this worker.
struct BulkImporter::Run {
  ImportJob& job;
  const Tenant& tenant;
  const FileUrl& source;
  const OpenedFile& file;  // both passes read this descriptor
  const ProfileSchema& schema;
  PropertyTargets targets;
  ImportReaderOptions reader_options;
  int64_t records_total = 0;  // user objects in the file, counted by pass 1
  bool quick = true;          // pass 1's quick reader went through the file, and pass 2 uses it
  // Where pass 1's quick reader began each chunk after the first: pass 2 starts from the last
  // one at or before its checkpoint, not from the top of the file (a range in the middle of a
  // large file would otherwise read every user object before it).
  std::vector<QuickChunkStart> chunk_starts = {};
  // The range pass 2 applies, from its checkpoint, when the job is split; none for a job
  // applied whole.
  std::optional<ImportRange> range;
};

// The SHA-256 of a file's content (hex), read with pread.
Result<std::string> file_sha256(int fd);
// The message that ends a job whose file is not the one queued.
std::string file_changed_message(std::string_view what);

}  // namespace upsync
