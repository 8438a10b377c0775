#include "store/store.h"

#include <filesystem>
#include <system_error>

#include "core/property.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {

const PropertyValues* Profile::find(std::string_view name) const {
  // Keys are canonical names: callers that pass one find it without the case-blind walk.
  if (auto it = properties.find(std::string(name)); it != properties.end()) return &it->second;
  for (const auto& [n, v] : properties) {
    if (property_name_equal(n, name)) return &v;
  }
  return nullptr;
}

std::string Profile::first(std::string_view name) const {
  const PropertyValues* v = find(name);
  return (v && !v->empty()) ? (*v)[0] : std::string();
}

std::string_view profile_key_kind_name(ProfileKeyKind kind) {
  switch (kind) {
    case ProfileKeyKind::kAccountName:
      return "account name";
    case ProfileKeyKind::kPrincipalName:
      return "principal name";
    case ProfileKeyKind::kEmail:
      return "work email";
    case ProfileKeyKind::kCloudId:
      return "cloud id";
    case ProfileKeyKind::kId:
      return "id";
  }
  return "key";
}

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  namespace fs = std::filesystem;
  if (options.data_dir.empty()) return invalid_argument("no data folder given");
  const fs::path dir(options.data_dir);
  const fs::path db = dir / "upsync.db";
  std::error_code ec;
  if (!fs::exists(db, ec)) {
    if (!options.create) {
      return not_found("no upsync data in '" + options.data_dir +
                       "' (create a tenant first: upsync tenant create NAME)");
    }
    fs::create_directories(dir, ec);
    if (ec) {
      return unavailable("cannot create data folder '" + options.data_dir + "': " + ec.message());
    }
  }
  UPSYNC_ASSIGN_OR_RETURN(auto store, SqliteStore::open(db.string(), options.create));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace upsync
