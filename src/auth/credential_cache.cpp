#include "auth/credential_cache.h"

#include "auth/credentials.h"
#include "core/text.h"

namespace upsync {

Result<CredentialRecord> read_app_record(Store& store, TenantId tenant,
                                         std::string_view client_id) {
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(store));
  auto app = creds->app_with_secret(tenant, client_id);
  if (!app) {
    if (app.status().code() == StatusCode::kNotFound) return CredentialRecord{};
    return app.status();
  }
  return CredentialRecord{true, Role::kApp, app->first.token_generation, app->first.name};
}

Result<CredentialRecord> read_person_record(Store& store, TenantId tenant, std::string_view upn) {
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(store));
  auto person = creds->person_with_password(tenant, upn);
  if (!person) {
    if (person.status().code() == StatusCode::kNotFound) return CredentialRecord{};
    return person.status();
  }
  return CredentialRecord{true, person->first.role, person->first.token_generation,
                          person->first.upn};
}

template <typename Read>
Result<CredentialRecord> CredentialCache::lookup(std::string key, Read read) {
  auto now = std::chrono::steady_clock::now();
  auto it = entries_.find(key);
  if (it != entries_.end() && now - it->second.read_at < bound_) return it->second.record;
  UPSYNC_ASSIGN_OR_RETURN(CredentialRecord record, read());
  if (it != entries_.end()) {
    it->second = {record, now};
    return record;
  }
  if (entries_.size() >= capacity_) {
    std::erase_if(entries_, [&](const auto& e) { return now - e.second.read_at >= bound_; });
    if (entries_.size() >= capacity_) entries_.clear();
  }
  if (capacity_ > 0 && bound_.count() > 0) entries_.emplace(std::move(key), Entry{record, now});
  return record;
}

Result<CredentialRecord> CredentialCache::app(Store& store, TenantId tenant,
                                              std::string_view client_id) {
  return lookup(std::to_string(tenant) + " app " + ascii_lower(client_id),
                [&] { return read_app_record(store, tenant, client_id); });
}

Result<CredentialRecord> CredentialCache::person(Store& store, TenantId tenant,
                                                 std::string_view upn) {
  return lookup(std::to_string(tenant) + " user " + ascii_lower(upn),
                [&] { return read_person_record(store, tenant, upn); });
}

}  // namespace upsync
