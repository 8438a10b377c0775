#include "backup/backup_manifest.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace upsync {

using nlohmann::json;

std::string_view upsync_version() { return UPSYNC_VERSION; }

std::string header_json(const BackupHeader& h) {
  return json{{"format", h.format},
              {"upsync_version", h.upsync_version},
              {"backend", h.backend},
              {"schema_version", h.schema_version},
              {"created_at", h.created_at}}
      .dump(2);
}

std::string manifest_json(const BackupManifest& m) {
  json files = json::array();
  for (const auto& f : m.files) {
    files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  }
  return json{{"format", m.format},
              {"database",
               {{"entry", kBackupDatabaseEntry},
                {"backend", m.database.backend},
                {"schema_version", m.database.schema_version},
                {"size", m.database_size},
                {"sha256", m.database_sha256},
                {"tables", m.database.table_rows},
                {"feed_positions", m.database.feed_positions}}},
              {"files", files}}
      .dump(1);
}

namespace {

// The value of `key` in `obj` as a T; DataLoss naming where it is when missing or mistyped.
template <typename T>
Result<T> field(const json& obj, const char* key, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end()) return data_loss(std::string(where) + ": '" + key + "' is missing");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return data_loss(std::string(where) + ": '" + key + "' has the wrong type");
  }
}

Result<json> parse_object(std::string_view text, std::string_view what) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return data_loss(std::string(what) + " is not a JSON object");
  }
  return doc;
}

}  // namespace

Result<BackupHeader> parse_header(std::string_view text) {
  constexpr std::string_view kWhere = "the backup's header (upsync-backup.json)";
  UPSYNC_ASSIGN_OR_RETURN(json doc, parse_object(text, kWhere));
  BackupHeader h;
  UPSYNC_ASSIGN_OR_RETURN(h.format, field<int64_t>(doc, "format", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(h.upsync_version, field<std::string>(doc, "upsync_version", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(h.backend, field<std::string>(doc, "backend", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(h.schema_version, field<int64_t>(doc, "schema_version", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(h.created_at, field<std::string>(doc, "created_at", kWhere));
  return h;
}

Result<BackupManifest> parse_manifest(std::string_view text) {
  constexpr std::string_view kWhere = "the backup's manifest (manifest.json)";
  UPSYNC_ASSIGN_OR_RETURN(json doc, parse_object(text, kWhere));
  BackupManifest m;
  UPSYNC_ASSIGN_OR_RETURN(m.format, field<int64_t>(doc, "format", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(json db, field<json>(doc, "database", kWhere));
  if (!db.is_object()) return data_loss(std::string(kWhere) + ": 'database' is not an object");
  UPSYNC_ASSIGN_OR_RETURN(m.database.backend, field<std::string>(db, "backend", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(m.database.schema_version, field<int64_t>(db, "schema_version", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(m.database_size, field<uint64_t>(db, "size", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(m.database_sha256, field<std::string>(db, "sha256", kWhere));
  using Counts = std::map<std::string, int64_t>;
  UPSYNC_ASSIGN_OR_RETURN(m.database.table_rows, field<Counts>(db, "tables", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(m.database.feed_positions, field<Counts>(db, "feed_positions", kWhere));
  UPSYNC_ASSIGN_OR_RETURN(json files, field<json>(doc, "files", kWhere));
  if (!files.is_array()) return data_loss(std::string(kWhere) + ": 'files' is not an array");
  for (const json& f : files) {
    if (!f.is_object()) return data_loss(std::string(kWhere) + ": a file entry is not an object");
    BackupFileEntry e;
    UPSYNC_ASSIGN_OR_RETURN(e.path, field<std::string>(f, "path", kWhere));
    UPSYNC_ASSIGN_OR_RETURN(e.size, field<uint64_t>(f, "size", kWhere));
    UPSYNC_ASSIGN_OR_RETURN(e.sha256, field<std::string>(f, "sha256", kWhere));
    m.files.push_back(std::move(e));
  }
  return m;
}

Status check_backup_path(std::string_view path) {
  const std::string shown = "'" + std::string(path.substr(0, 200)) + "'";
  if (path.size() > 4096) return invalid_argument("a path longer than 4096 bytes");
  size_t slash = path.find('/');
  std::string_view top = path.substr(0, slash);
  if (top != "files" && top != "keys" && top != "tls") {
    return invalid_argument(shown + " is not under files/, keys/ or tls/");
  }
  if (slash == std::string_view::npos || slash + 1 >= path.size()) {
    return invalid_argument(shown + " names a folder, not a file");
  }
  std::string_view rest = path.substr(slash + 1);
  while (true) {
    size_t next = rest.find('/');
    std::string_view name = rest.substr(0, next);
    if (name.empty()) return invalid_argument(shown + " has an empty name");
    if (name == "." || name == "..")
      return invalid_argument(shown + " has a '" + std::string(name) + "' name");
    if (name.size() > 255) return invalid_argument(shown + " has a name longer than 255 bytes");
    for (unsigned char c : name) {
      if (c < 0x20 || c == 0x7f) return invalid_argument(shown + " has a control character");
    }
    if (name.ends_with(".upsync-tmp")) return invalid_argument(shown + " is a file being written");
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
  return Status::ok();
}

Result<int> compare_versions(std::string_view a, std::string_view b) {
  auto parts = [](std::string_view v) -> Result<std::vector<long>> {
    std::vector<long> out;
    const std::string_view whole = v;
    while (true) {
      long n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p == v.data()) break;
      out.push_back(n);
      v.remove_prefix(static_cast<size_t>(p - v.data()));
      if (v.empty() || v.front() != '.') break;
      v.remove_prefix(1);
    }
    if (out.size() != 3 || !v.empty()) {
      return invalid_argument("'" + std::string(whole) + "' is not a version (MAJOR.MINOR.PATCH)");
    }
    return out;
  };
  UPSYNC_ASSIGN_OR_RETURN(auto pa, parts(a));
  UPSYNC_ASSIGN_OR_RETURN(auto pb, parts(b));
  for (size_t i = 0; i < 3; ++i) {
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

}  // namespace upsync
