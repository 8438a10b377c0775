// SqliteStore: profiles (PgStore's are in pg_profiles.cpp): the default properties and the
// keys in profiles, the custom properties in profile_custom, every change numbered in the
// tenant's feed and mirrored in the people search index.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/claims.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/profile_codec.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {
// A profile's columns, from kProfileTables: its row in profiles, then its custom row (NULLs
// when it has no custom property); read by read_profile_row.
constexpr std::string_view kProfileColumns =
    "p.id, p.props, p.seq, p.updated_at, c.props, c.seq, c.updated_at";
constexpr std::string_view kProfileTables = "profiles p LEFT JOIN profile_custom c ON c.id = p.id";

std::optional<std::string> key_of(const PropertyMap& props, std::string_view name) {
  auto it = props.find(std::string(name));
  if (it == props.end() || it->second.empty()) return std::nullopt;
  return ascii_lower(it->second[0]);
}

void bind_optional(SqliteStatement& s, int i, const std::optional<std::string>& v) {
  if (v) {
    s.bind(i, *v);
  } else {
    s.bind_null(i);
  }
}

}  // namespace

Result<Profile> SqliteStore::read_profile_row(SqliteStatement& s, int c) {
  Profile p;
  p.id = s.column_int(c);
  UPSYNC_ASSIGN_OR_RETURN(p.properties, decode_properties(s.column_text(c + 1)));
  p.seq = s.column_int(c + 2);
  p.updated_at = s.column_text(c + 3);
  if (!s.column_is_null(c + 4)) {
    UPSYNC_ASSIGN_OR_RETURN(PropertyMap custom, decode_properties(s.column_text(c + 4)));
    p.properties.merge(custom);
    if (s.column_int(c + 5) > p.seq) {
      p.seq = s.column_int(c + 5);
      p.updated_at = s.column_text(c + 6);
    }
  }
  p.account_name = p.first("AccountName");
  return p;
}

Status SqliteStore::write_custom_row(ProfileId id, std::string_view props, int64_t seq,
                                     std::string_view updated_at) {
  if (props.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(auto* del, db_->prepare("DELETE FROM profile_custom WHERE id = ?"));
    del->bind(1, id);
    return del->run();
  }
  UPSYNC_ASSIGN_OR_RETURN(auto* put,
                          db_->prepare("INSERT INTO profile_custom (id, props, seq, updated_at) "
                                       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
                                       "props = ?2, seq = ?3, updated_at = ?4"));
  put->bind(1, id);
  put->bind(2, props);
  put->bind(3, seq);
  put->bind(4, updated_at);
  return put->run();
}

Result<Profile> SqliteStore::create_profile(TenantId tenant, std::string_view account_name,
                                            std::span<const PropertyChange> initial) {
  auto claim = parse_claim(account_name);
  if (!claim) {
    return invalid_argument(
        "account name must be claims-encoded (e.g. "
        "i:0#.f|membership|bob@contoso.com): " +
        claim.status().message());
  }
  return write_profile(tenant, std::nullopt, format_claim(*claim), initial);
}

Result<Profile> SqliteStore::write_profile(TenantId tenant, std::optional<Profile> existing,
                                           std::string_view account_name,
                                           std::span<const PropertyChange> changes) {
  Profile out;
  Status st = in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    PropertyMap props;
    if (existing) {
      props = existing->properties;
    } else {
      props["AccountName"] = {std::string(account_name)};
      props["UserProfile_GUID"] = {new_guid()};
      // Seed 002: an online user's UPN is its account name's value, its user name and its
      // SPS-UserPrincipalName; later changes may set them differently.
      auto claim = parse_claim(account_name);
      if (claim && claim->issuer == IssuerType::kForms) {
        props["SPS-UserPrincipalName"] = {claim->value};
        props["UserName"] = {claim->value};
      }
    }
    for (const PropertyChange& c : changes) {
      UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* def, schema->require(c.name));
      UPSYNC_ASSIGN_OR_RETURN(PropertyValues values, normalize_values(*def, c.values));
      if (values.empty()) {
        if (def->name == "AccountName") {
          return invalid_argument("property 'AccountName' cannot be cleared");
        }
        props.erase(def->name);
      } else {
        props[def->name] = std::move(values);
      }
    }
    if (existing && props == existing->properties) {
      out = *existing;
      return Status::ok();
    }
    const auto account_key = key_of(props, "AccountName");
    const auto upn_key = key_of(props, "SPS-UserPrincipalName");
    const auto email_key = key_of(props, "WorkEmail");
    const auto cloud_id = key_of(props, "msOnline-ObjectId");
    const auto manager_key = key_of(props, "Manager");
    // Friendly messages for the unique keys, once an index has refused the write.
    auto taken = [&](std::string_view column, const std::optional<std::string>& v,
                     std::string_view what) -> Status {
      if (!v) return Status::ok();
      UPSYNC_ASSIGN_OR_RETURN(auto* q,
                              db_->prepare("SELECT id FROM profiles WHERE tenant_id = ? AND " +
                                           std::string(column) + " = ? LIMIT 1"));
      q->bind(1, tenant);
      q->bind(2, *v);
      UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
      const ProfileId other = row ? q->column_int(0) : 0;
      q->reset();
      if (row && (!existing || other != existing->id)) {
        return already_exists("another profile (id " + std::to_string(other) + ") already has " +
                              std::string(what) + " '" + *v + "'");
      }
      return Status::ok();
    };

    // Custom properties go to the profile's row in profile_custom, the others to profiles.
    const bool has_custom = std::any_of(props.begin(), props.end(), [&](const auto& p) {
      const PropertyDefinition* def = schema->find(p.first);
      return def && def->custom;
    });
    const std::string json = encode_properties(props, *schema, PropertyPart::kDefault);
    const std::string now = utc_now_iso();
    ProfileId id = existing ? existing->id : 0;
    SqliteStatement* w;
    if (existing) {
      UPSYNC_ASSIGN_OR_RETURN(
          w, db_->prepare("UPDATE profiles SET account_key = ?1, upn_key = ?2, email_key = ?3, "
                          "cloud_id = ?4, props = ?5, seq = ?6, updated_at = ?7, "
                          "manager_key = ?10 WHERE id = ?8 AND tenant_id = ?9"));
    } else {
      UPSYNC_ASSIGN_OR_RETURN(
          w, db_->prepare("INSERT INTO profiles (account_key, upn_key, email_key, cloud_id, "
                          "props, seq, updated_at, tenant_id, manager_key) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, ?10)"));
    }
    // The sequence is taken first so the row carries the seq of its own change; the feed
    // entry names the profile by id, known after the insert.
    UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, next_seq(tenant));
    bind_optional(*w, 1, account_key);
    bind_optional(*w, 2, upn_key);
    bind_optional(*w, 3, email_key);
    bind_optional(*w, 4, cloud_id);
    bind_optional(*w, 10, manager_key);
    w->bind(5, json);
    w->bind(6, seq);
    w->bind(7, now);
    if (existing) w->bind(8, id);
    w->bind(9, tenant);
    if (Status written = w->run(); !written.is_ok()) {
      if (written.code() != StatusCode::kAlreadyExists) return written;
      UPSYNC_RETURN_IF_ERROR(taken("account_key", account_key, "account name"));
      UPSYNC_RETURN_IF_ERROR(taken("upn_key", upn_key, "user principal name"));
      UPSYNC_RETURN_IF_ERROR(taken("cloud_id", cloud_id, "cloud object id"));
      return written;
    }
    if (!existing) id = sqlite3_last_insert_rowid(db_->raw());
    // A new profile has no custom row to delete.
    if (existing || has_custom) {
      UPSYNC_RETURN_IF_ERROR(write_custom_row(
          id, has_custom ? encode_properties(props, *schema, PropertyPart::kCustom) : std::string(),
          seq, now));
    }
    UPSYNC_RETURN_IF_ERROR(
        append_change(tenant, kProfilesFeed, seq, std::to_string(id), ChangeOp::kUpsert, now));
    out.id = id;
    out.account_name = props["AccountName"][0];
    out.properties = std::move(props);
    out.seq = seq;
    out.updated_at = now;
    return index_profile(tenant, out, !existing);
  });
  if (!st) return st;
  return out;
}

Result<Profile> SqliteStore::profile(TenantId tenant, const ProfileKey& key) {
  UPSYNC_ASSIGN_OR_RETURN(std::optional<Profile> found, find_profile(tenant, key));
  if (!found) {
    UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
    return not_found("no profile with " + std::string(profile_key_kind_name(key.kind)) + " '" +
                     quote_for_message(key.value) + "'");
  }
  return std::move(*found);
}

Result<std::optional<Profile>> SqliteStore::find_profile(TenantId tenant, const ProfileKey& key) {
  std::string column;
  std::string value;
  switch (key.kind) {
    case ProfileKeyKind::kAccountName: {
      auto claim = parse_claim(key.value);
      if (!claim) return invalid_argument("account name: " + claim.status().message());
      column = "account_key";
      value = ascii_lower(format_claim(*claim));
      break;
    }
    case ProfileKeyKind::kPrincipalName:
      column = "upn_key";
      value = ascii_lower(key.value);
      break;
    case ProfileKeyKind::kEmail:
      column = "email_key";
      value = ascii_lower(key.value);
      break;
    case ProfileKeyKind::kCloudId:
      column = "cloud_id";
      value = ascii_lower(key.value);
      break;
    case ProfileKeyKind::kId:
      column = "id";
      value = key.value;
      break;
  }
  // A person page reads its person and her managers on every view.
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, read_cache());
  if (cache) {
    if (const std::optional<Profile>* kept = cache->profile(tenant, column, value)) return *kept;
  }
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT " + std::string(kProfileColumns) + " FROM " +
                            std::string(kProfileTables) + " WHERE p.tenant_id = ? AND p." + column +
                            " = ? ORDER BY p.id LIMIT 1"));
  s->bind(1, tenant);
  if (key.kind == ProfileKeyKind::kId) {
    int64_t id = 0;
    try {
      id = std::stoll(value);
    } catch (const std::exception&) {
      return invalid_argument("profile id '" + quote_for_message(value) + "' is not a number");
    }
    s->bind(2, id);
  } else {
    s->bind(2, value);
  }
  UPSYNC_ASSIGN_OR_RETURN(bool found, s->step());
  std::optional<Profile> out;
  if (found) {
    auto p = read_profile_row(*s, 0);
    s->reset();
    if (!p) return p.status();
    out = std::move(*p);
  } else {
    s->reset();
  }
  if (cache) cache->keep_profile(tenant, column, value, out);
  return out;
}

Result<std::vector<Profile>> SqliteStore::find_profiles(TenantId tenant, ProfileKeyKind kind,
                                                        std::span<const std::string> values) {
  UPSYNC_ASSIGN_OR_RETURN(std::vector<std::string> keys, unique_profile_keys(kind, values));
  const std::string column = kind == ProfileKeyKind::kAccountName ? "account_key" : "cloud_id";
  // Each key an index search (profiles_by_account, profiles_by_cloud_id); put in id order here,
  // as an ORDER BY would tempt the planner into a walk of the tenant's profiles in id order.
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT " + std::string(kProfileColumns) + " FROM " +
                            std::string(kProfileTables) + " WHERE p.tenant_id = ?1 AND p." +
                            column + " IN (SELECT value FROM json_each(?2))"));
  s->bind(1, tenant);
  s->bind(2, nlohmann::json(keys).dump());
  std::vector<Profile> out;
  Status bad = Status::ok();
  UPSYNC_RETURN_IF_ERROR(s->each_row([&] {
    auto p = read_profile_row(*s, 0);
    if (!p) {
      if (bad.is_ok()) bad = p.status();
      return;
    }
    out.push_back(std::move(*p));
  }));
  UPSYNC_RETURN_IF_ERROR(bad);
  std::sort(out.begin(), out.end(), [](const Profile& a, const Profile& b) { return a.id < b.id; });
  return out;
}

Result<Profile> SqliteStore::update_profile(TenantId tenant, ProfileId id,
                                            std::span<const PropertyChange> changes) {
  Result<Profile> out = internal_error("unset");
  Status s = in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(Profile current,
                            profile(tenant, {ProfileKeyKind::kId, std::to_string(id)}));
    out = write_profile(tenant, std::move(current), "", changes);
    return out.status();
  });
  if (!s) return s;
  return out;
}

Result<Profile> SqliteStore::update_read_profile(TenantId tenant, const Profile& current,
                                                 std::span<const PropertyChange> changes) {
  if (tx_depth_ == 0) {
    return internal_error("a profile read earlier was updated outside a transaction");
  }
  return write_profile(tenant, current, "", changes);
}

Status SqliteStore::delete_profile(TenantId tenant, ProfileId id) {
  return in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto* del,
                            db_->prepare("DELETE FROM profiles WHERE id = ? AND tenant_id = ?"));
    del->bind(1, id);
    del->bind(2, tenant);
    UPSYNC_RETURN_IF_ERROR(del->run());
    if (db_->changes() == 0) {
      UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
      return not_found("no profile with id '" + std::to_string(id) + "'");
    }
    UPSYNC_RETURN_IF_ERROR(write_custom_row(id, "", 0, ""));
    UPSYNC_RETURN_IF_ERROR(unindex_profile(tenant, id));
    UPSYNC_RETURN_IF_ERROR(delete_follows_of(tenant, id));
    UPSYNC_RETURN_IF_ERROR(delete_audience_memberships_of(tenant, id));
    return record_change(tenant, kProfilesFeed, std::to_string(id), ChangeOp::kDelete).status();
  });
}

Result<ProfilePage> SqliteStore::list_profiles(TenantId tenant, const ProfileQuery& q) {
  if (q.limit < 1 || q.limit > 10000) {
    return invalid_argument("page size must be 1 to 10000, got " + std::to_string(q.limit));
  }
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
  std::string sql = "SELECT " + std::string(kProfileColumns) + " FROM " +
                    std::string(kProfileTables) + " WHERE p.tenant_id = ?1 AND p.id > ?2";
  std::string filter_value;
  std::string path;
  if (q.filter_property) {
    UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* def, schema->require(*q.filter_property));
    UPSYNC_ASSIGN_OR_RETURN(filter_value, normalize_value(*def, q.filter_value));
    path = "$.\"" + def->name + "\"";
    if (property_name_equal(def->name, "Manager")) {
      // Indexed: account names compare case-insensitively.
      filter_value = ascii_lower(filter_value);
      sql += " AND p.manager_key = ?5 AND ?4 IS NOT NULL";
    } else {
      // json_each of a string yields that string; of an array, each element.
      sql += def->custom ? " AND EXISTS (SELECT 1 FROM json_each(c.props, ?4) WHERE value = ?5)"
                         : " AND EXISTS (SELECT 1 FROM json_each(p.props, ?4) WHERE value = ?5)";
    }
  }
  sql += " ORDER BY p.id LIMIT ?3";
  UPSYNC_ASSIGN_OR_RETURN(auto* s, db_->prepare(sql));
  s->bind(1, tenant);
  s->bind(2, q.after_id);
  s->bind(3, int64_t{q.limit} + 1);
  if (q.filter_property) {
    s->bind(4, path);
    s->bind(5, filter_value);
  }
  ProfilePage page;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    if (static_cast<int>(page.profiles.size()) == q.limit) {
      page.next_after_id = page.profiles.back().id;
      break;
    }
    UPSYNC_ASSIGN_OR_RETURN(Profile p, read_profile_row(*s, 0));
    page.profiles.push_back(std::move(p));
  }
  s->reset();
  return page;
}

Result<std::vector<std::vector<std::string>>> SqliteStore::direct_reports(
    TenantId tenant, std::span<const std::string> managers) {
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, read_cache());
  // The managers whose reports this snapshot's cache does not hold are asked for.
  UPSYNC_ASSIGN_OR_RETURN(ReportsThroughCache read,
                          ReportsThroughCache::start(cache, tenant, *schema, managers));
  if (read.asked().empty()) return read.finish();
  // profiles_by_manager answers each key; only the account name is read from the row, by
  // single_property (the document's first name but one: SQLite's json_extract would parse the
  // whole document, half of a person page's profile request). The rows are put in id order
  // here: with an ORDER BY id the planner walks the tenant's every profile in id order and
  // tests each against the keys (a person page in a tenant of 100,000 took half a second).
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT id, manager_key, props FROM profiles INDEXED BY "
                            "profiles_by_manager WHERE tenant_id = ?1 AND manager_key IS NOT NULL "
                            "AND manager_key IN (SELECT value FROM json_each(?2))"));
  s->bind(1, tenant);
  s->bind(2, nlohmann::json(read.asked()).dump());
  struct Report {
    int64_t id;
    std::string manager_key;
    std::string account_name;
  };
  std::vector<Report> reports;
  Status bad = Status::ok();
  UPSYNC_RETURN_IF_ERROR(s->each_row([&] {
    auto account = single_property(s->column_text(2), "AccountName");
    if (!account || !*account) {
      if (bad.is_ok()) {
        bad = account ? data_loss("stored profile " + std::to_string(s->column_int(0)) +
                                  " has no AccountName")
                      : account.status();
      }
      return;
    }
    reports.push_back({s->column_int(0), std::string(s->column_text(1)), std::move(**account)});
  }));
  UPSYNC_RETURN_IF_ERROR(bad);
  std::sort(reports.begin(), reports.end(),
            [](const Report& a, const Report& b) { return a.id < b.id; });
  for (Report& r : reports) read.add(r.manager_key, std::move(r.account_name));
  return read.finish();
}

Result<std::map<std::string, Privacy>> SqliteStore::privacy_choices(TenantId tenant,
                                                                    ProfileId profile) {
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
  UPSYNC_ASSIGN_OR_RETURN(auto* s, db_->prepare("SELECT name_key, privacy FROM privacy_choices "
                                                "WHERE profile_id = ? AND tenant_id = ?"));
  s->bind(1, profile);
  s->bind(2, tenant);
  std::map<std::string, Privacy> out;
  UPSYNC_RETURN_IF_ERROR(s->each_row([&] {
    const PropertyDefinition* def = schema->find(s->column_text(0));
    auto privacy = parse_privacy(s->column_text(1));
    if (def && privacy) out[def->name] = *privacy;
  }));
  return out;
}

Status SqliteStore::set_privacy_choice(TenantId tenant, ProfileId profile,
                                       std::string_view property, std::optional<Privacy> privacy) {
  return in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    UPSYNC_ASSIGN_OR_RETURN(std::string name, check_privacy_choice(*schema, property));
    UPSYNC_RETURN_IF_ERROR(
        this->profile(tenant, {ProfileKeyKind::kId, std::to_string(profile)}).status());
    UPSYNC_ASSIGN_OR_RETURN(
        auto* w, db_->prepare(privacy ? "INSERT INTO privacy_choices (profile_id, tenant_id, "
                                        "name_key, privacy) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
                                        "(profile_id, name_key) DO UPDATE SET privacy = ?4"
                                      : "DELETE FROM privacy_choices WHERE profile_id = ?1 AND "
                                        "tenant_id = ?2 AND name_key = ?3"));
    w->bind(1, profile);
    w->bind(2, tenant);
    w->bind(3, ascii_lower(name));
    if (privacy) w->bind(4, privacy_name(*privacy));
    return w->run();
  });
}

Result<int64_t> SqliteStore::count_profiles(TenantId tenant) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(auto* s,
                          db_->prepare("SELECT count(*) FROM profiles WHERE tenant_id = ?"));
  s->bind(1, tenant);
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  int64_t n = row ? s->column_int(0) : 0;
  s->reset();
  return n;
}

}  // namespace upsync
