// PgStore: profiles, as the SQLite store keeps them (sqlite_store.cpp): the default
// properties and the keys in profiles, the custom properties in profile_custom, every change
// numbered in the tenant's feed and mirrored in the people search index.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/claims.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/postgres/pg_array.h"
#include "store/postgres/pg_store.h"
#include "store/profile_codec.h"

namespace upsync {

namespace {

// A profile's columns, from kProfileTables: its row in profiles, then its custom row (NULLs
// when it has no custom property); read by read_profile_row.
#define UPSYNC_PG_PROFILE_SELECT                                                  \
  "SELECT p.id, p.props, p.seq, p.updated_at, c.props, c.seq, c.updated_at FROM " \
  "profiles p LEFT JOIN profile_custom c ON c.id = p.id "

Result<Profile> read_profile_row(const PgResult& r, int row) {
  Profile p;
  p.id = r.int64(row, 0);
  UPSYNC_ASSIGN_OR_RETURN(p.properties, decode_properties(r.text(row, 1)));
  p.seq = r.int64(row, 2);
  p.updated_at = r.text(row, 3);
  if (!r.is_null(row, 4)) {
    UPSYNC_ASSIGN_OR_RETURN(PropertyMap custom, decode_properties(r.text(row, 4)));
    p.properties.merge(custom);
    if (r.int64(row, 5) > p.seq) {
      p.seq = r.int64(row, 5);
      p.updated_at = r.text(row, 6);
    }
  }
  p.account_name = p.first("AccountName");
  return p;
}

std::optional<std::string> key_of(const PropertyMap& props, std::string_view name) {
  auto it = props.find(std::string(name));
  if (it == props.end() || it->second.empty()) return std::nullopt;
  return ascii_lower(it->second[0]);
}

}  // namespace

Status PgStore::write_custom_row(ProfileId id, std::string_view props, int64_t seq,
                                 std::string_view updated_at) {
  if (props.empty()) return db_->run("DELETE FROM profile_custom WHERE id = $1", {id}).status();
  return db_
      ->run(
          "INSERT INTO profile_custom (id, props, seq, updated_at) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (id) DO UPDATE SET props = excluded.props, seq = excluded.seq, "
          "updated_at = excluded.updated_at",
          {id, props, seq, updated_at})
      .status();
}

Result<Profile> PgStore::create_profile(TenantId tenant, std::string_view account_name,
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

Result<Profile> PgStore::write_profile(TenantId tenant, std::optional<Profile> existing,
                                       std::string_view account_name,
                                       std::span<const PropertyChange> changes) {
  Profile out;
  Status st = in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(out, write_profile_now(tenant, existing, account_name, changes));
    return Status::ok();
  });
  if (!st) return st;
  return out;
}

Result<Profile> PgStore::write_profile_now(TenantId tenant, const std::optional<Profile>& existing,
                                           std::string_view account_name,
                                           std::span<const PropertyChange> changes) {
  Profile out;
  Status st = [&]() -> Status {
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
    // The unique keys are checked here, with the messages of the SQLite store: a statement
    // refused by an index would abort the transaction (pg_db.h).
    auto taken = [&](std::string_view column, const std::optional<std::string>& v,
                     std::string_view what) -> Status {
      if (!v) return Status::ok();
      if (existing) {
        const std::optional<std::string> before = key_of(existing->properties, [&] {
          if (column == "account_key") return "AccountName";
          if (column == "upn_key") return "SPS-UserPrincipalName";
          return "msOnline-ObjectId";
        }());
        if (before == v) return Status::ok();  // unchanged: it is this profile's own
      }
      UPSYNC_ASSIGN_OR_RETURN(PgResult r,
                              db_->query("SELECT id FROM profiles WHERE tenant_id = $1 AND " +
                                             std::string(column) + " = $2 LIMIT 1",
                                         {tenant, *v}));
      if (r.rows() > 0 && (!existing || r.int64(0, 0) != existing->id)) {
        return already_exists("another profile (id " + std::to_string(r.int64(0, 0)) +
                              ") already has " + std::string(what) + " '" + *v + "'");
      }
      return Status::ok();
    };
    auto check_keys = [&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(taken("account_key", account_key, "account name"));
      UPSYNC_RETURN_IF_ERROR(taken("upn_key", upn_key, "user principal name"));
      return taken("cloud_id", cloud_id, "cloud object id");
    };
    // An update checks the keys it changes first; an insert is refused by ON CONFLICT, and
    // only then looks for the message (a new profile's keys are rarely taken).
    if (existing) UPSYNC_RETURN_IF_ERROR(check_keys());

    // Custom properties go to the profile's row in profile_custom, the others to profiles.
    const bool has_custom = std::any_of(props.begin(), props.end(), [&](const auto& p) {
      const PropertyDefinition* def = schema->find(p.first);
      return def && def->custom;
    });
    const std::string json = encode_properties(props, *schema, PropertyPart::kDefault);
    const std::string now = utc_now_iso();
    // The sequence is taken first so the row carries the seq of its own change.
    UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, next_seq(tenant));
    ProfileId id = existing ? existing->id : 0;
    if (existing) {
      UPSYNC_ASSIGN_OR_RETURN(
          int64_t n,
          db_->run("UPDATE profiles SET account_key = $1, upn_key = $2, email_key = $3, "
                   "cloud_id = $4, props = $5, seq = $6, updated_at = $7, manager_key = $8 "
                   "WHERE id = $9 AND tenant_id = $10",
                   {account_key, upn_key, email_key, cloud_id, json, seq, now, manager_key, id,
                    tenant}));
      if (n == 0) return not_found("no profile with id '" + std::to_string(id) + "'");
    } else if (db_->in_bulk_transaction()) {
      // In a bulk transaction (a sync run) any failure fails the whole transaction, and the
      // caller looked the profile up first: a new profile needs no answer before the next
      // statement. Its id comes from a block reserved ahead and its row goes with the next
      // statement, pipelined, with the other new profiles' rows deferred since
      // (PgDb::insert_deferred: profiles references only the tenant); a key that another
      // profile holds fails the transaction there, with the server's message naming the key.
      static constexpr PgRowsInsert kProfile{
          .table = "profiles",
          .columns =
              "id, account_key, upn_key, email_key, cloud_id, props, seq, updated_at, "
              "manager_key, tenant_id",
          .types = "bigint, text, text, text, text, text, bigint, text, text, bigint",
      };
      UPSYNC_ASSIGN_OR_RETURN(id, reserved_profile_id());
      UPSYNC_RETURN_IF_ERROR(db_->insert_deferred(
          kProfile,
          {id, account_key, upn_key, email_key, cloud_id, json, seq, now, manager_key, tenant}));
    } else {
      UPSYNC_ASSIGN_OR_RETURN(
          PgResult r,
          db_->query(
              "INSERT INTO profiles (account_key, upn_key, email_key, cloud_id, props, "
              "seq, updated_at, manager_key, tenant_id) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id",
              {account_key, upn_key, email_key, cloud_id, json, seq, now, manager_key, tenant}));
      if (r.rows() == 0) {
        UPSYNC_RETURN_IF_ERROR(check_keys());
        return already_exists("another profile has one of the keys of '" + *account_key + "'");
      }
      id = r.int64(0, 0);
    }
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
  }();
  if (!st) return st;
  return out;
}

Result<ProfileId> PgStore::reserved_profile_id() {
  if (reserved_ids_.empty()) {
    // Numbers of the profiles' identity, taken ahead in a block (never given back: a number
    // not used leaves a gap in the ids, which mean nothing else).
    constexpr int64_t kBlock = 1000;
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r, db_->query("SELECT nextval(pg_get_serial_sequence('profiles', 'id')) FROM "
                               "generate_series(1, $1::bigint) ORDER BY 1 DESC",
                               {kBlock}));
    for (int i = 0; i < r.rows(); ++i) reserved_ids_.push_back(r.int64(i, 0));
  }
  const ProfileId id = reserved_ids_.back();
  reserved_ids_.pop_back();
  return id;
}

Result<Profile> PgStore::profile(TenantId tenant, const ProfileKey& key) {
  UPSYNC_ASSIGN_OR_RETURN(std::optional<Profile> found, find_profile(tenant, key));
  if (!found) {
    UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
    return not_found("no profile with " + std::string(profile_key_kind_name(key.kind)) + " '" +
                     quote_for_message(key.value) + "'");
  }
  return std::move(*found);
}

Result<std::optional<Profile>> PgStore::find_profile(TenantId tenant, const ProfileKey& key) {
  UPSYNC_RETURN_IF_ERROR(take_tenant_turn(tenant));
  std::string_view sql;
  std::string_view column;  // the key's column, naming the key in the read cache
  std::string value;
  switch (key.kind) {
    case ProfileKeyKind::kAccountName: {
      auto claim = parse_claim(key.value);
      if (!claim) return invalid_argument("account name: " + claim.status().message());
      sql = UPSYNC_PG_PROFILE_SELECT "WHERE p.tenant_id = $1 AND p.account_key = $2";
      column = "account_key";
      value = ascii_lower(format_claim(*claim));
      break;
    }
    case ProfileKeyKind::kPrincipalName:
      sql = UPSYNC_PG_PROFILE_SELECT "WHERE p.tenant_id = $1 AND p.upn_key = $2";
      column = "upn_key";
      value = ascii_lower(key.value);
      break;
    case ProfileKeyKind::kEmail:
      // WorkEmail is not unique: the oldest profile that has it, as on SQLite.
      sql = UPSYNC_PG_PROFILE_SELECT
          "WHERE p.tenant_id = $1 AND p.email_key = $2 ORDER BY p.id LIMIT 1";
      column = "email_key";
      value = ascii_lower(key.value);
      break;
    case ProfileKeyKind::kCloudId:
      sql = UPSYNC_PG_PROFILE_SELECT "WHERE p.tenant_id = $1 AND p.cloud_id = $2";
      column = "cloud_id";
      value = ascii_lower(key.value);
      break;
    case ProfileKeyKind::kId: {
      int64_t id = 0;
      try {
        id = std::stoll(key.value);
      } catch (const std::exception&) {
        return invalid_argument("profile id '" + quote_for_message(key.value) +
                                "' is not a number");
      }
      sql = UPSYNC_PG_PROFILE_SELECT "WHERE p.tenant_id = $1 AND p.id = $2";
      column = "id";
      value = std::to_string(id);
      break;
    }
  }
  // A person page reads its person and her managers on every view.
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, read_cache());
  if (cache) {
    if (const std::optional<Profile>* kept = cache->profile(tenant, column, value)) return *kept;
  }
  UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_->query(sql, {tenant, value}));
  std::optional<Profile> out;
  if (r.rows() > 0) {
    UPSYNC_ASSIGN_OR_RETURN(Profile p, read_profile_row(r, 0));
    out = std::move(p);
  }
  if (cache) cache->keep_profile(tenant, column, value, out);
  return out;
}

Result<Profile> PgStore::update_profile(TenantId tenant, ProfileId id,
                                        std::span<const PropertyChange> changes) {
  Result<Profile> out = internal_error("unset");
  // One transaction for the read and the write (no savepoint of its own for the write).
  Status s = in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(Profile current,
                            profile(tenant, {ProfileKeyKind::kId, std::to_string(id)}));
    out = write_profile_now(tenant, std::move(current), "", changes);
    return out.status();
  });
  if (!s) return s;
  return out;
}

Result<Profile> PgStore::update_read_profile(TenantId tenant, const Profile& current,
                                             std::span<const PropertyChange> changes) {
  if (db_->transaction_depth() == 0) {
    return internal_error("a profile read earlier was updated outside a transaction");
  }
  return write_profile(tenant, current, "", changes);
}

Status PgStore::delete_profile(TenantId tenant, ProfileId id) {
  return in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(
        int64_t n, db_->run("DELETE FROM profiles WHERE id = $1 AND tenant_id = $2", {id, tenant}));
    if (n == 0) {
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

Result<ProfilePage> PgStore::list_profiles(TenantId tenant, const ProfileQuery& q) {
  if (q.limit < 1 || q.limit > 10000) {
    return invalid_argument("page size must be 1 to 10000, got " + std::to_string(q.limit));
  }
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
  Result<PgResult> rows = internal_error("unset");
  if (q.filter_property) {
    UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* def, schema->require(*q.filter_property));
    UPSYNC_ASSIGN_OR_RETURN(std::string value, normalize_value(*def, q.filter_value));
    if (property_name_equal(def->name, "Manager")) {
      // Indexed: account names compare case-insensitively.
      rows = db_->query(UPSYNC_PG_PROFILE_SELECT
                        "WHERE p.tenant_id = $1 AND p.id > $2 AND p.manager_key = $4 "
                        "ORDER BY p.id LIMIT $3",
                        {tenant, q.after_id, int64_t{q.limit} + 1, ascii_lower(value)});
    } else {
      // A single value is a JSON string, a multi-value an array of them: jsonb's @> matches
      // the string itself or any element equal to it.
      rows = db_->query(def->custom ? UPSYNC_PG_PROFILE_SELECT
                            "WHERE p.tenant_id = $1 AND p.id > $2 AND (c.props::jsonb -> $4) @> "
                            "to_jsonb($5::text) ORDER BY p.id LIMIT $3"
                                    : UPSYNC_PG_PROFILE_SELECT
                            "WHERE p.tenant_id = $1 AND p.id > $2 AND (p.props::jsonb -> $4) @> "
                            "to_jsonb($5::text) ORDER BY p.id LIMIT $3",
                        {tenant, q.after_id, int64_t{q.limit} + 1, def->name, value});
    }
  } else {
    rows = db_->query(UPSYNC_PG_PROFILE_SELECT
                      "WHERE p.tenant_id = $1 AND p.id > $2 ORDER BY p.id LIMIT $3",
                      {tenant, q.after_id, int64_t{q.limit} + 1});
  }
  if (!rows) return rows.status();
  ProfilePage page;
  for (int i = 0; i < rows->rows(); ++i) {
    if (static_cast<int>(page.profiles.size()) == q.limit) {
      page.next_after_id = page.profiles.back().id;
      break;
    }
    UPSYNC_ASSIGN_OR_RETURN(Profile p, read_profile_row(*rows, i));
    page.profiles.push_back(std::move(p));
  }
  return page;
}

Result<std::vector<Profile>> PgStore::find_profiles(TenantId tenant, ProfileKeyKind kind,
                                                    std::span<const std::string> values) {
  UPSYNC_ASSIGN_OR_RETURN(std::vector<std::string> keys, unique_profile_keys(kind, values));
  UPSYNC_RETURN_IF_ERROR(take_tenant_turn(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult r, db_->query(kind == ProfileKeyKind::kAccountName ? UPSYNC_PG_PROFILE_SELECT
                                 "WHERE p.tenant_id = $1 AND p.account_key = ANY ($2::text[]) "
                                 "ORDER BY p.id"
                                                                  : UPSYNC_PG_PROFILE_SELECT
                                 "WHERE p.tenant_id = $1 AND p.cloud_id = ANY ($2::text[]) "
                                 "ORDER BY p.id",
                             {tenant, pg_text_array(keys)}));
  std::vector<Profile> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    UPSYNC_ASSIGN_OR_RETURN(Profile p, read_profile_row(r, i));
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<std::vector<std::string>>> PgStore::direct_reports(
    TenantId tenant, std::span<const std::string> managers) {
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
  UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, read_cache());
  // The managers whose reports this snapshot's cache does not hold are asked for.
  UPSYNC_ASSIGN_OR_RETURN(ReportsThroughCache read,
                          ReportsThroughCache::start(cache, tenant, *schema, managers));
  if (read.asked().empty()) return read.finish();
  // profiles_by_manager answers each key; only the account name is read from the row, here
  // by single_property (the stored document's first name but one), rather than by the server
  // casting each report's whole document to jsonb.
  UPSYNC_ASSIGN_OR_RETURN(
      PgResult rows, db_->query("SELECT manager_key, props FROM profiles WHERE tenant_id = $1 AND "
                                "manager_key = ANY (ARRAY(SELECT "
                                "jsonb_array_elements_text($2::jsonb))) ORDER BY id",
                                {tenant, nlohmann::json(read.asked()).dump()}));
  for (int i = 0; i < rows.rows(); ++i) {
    UPSYNC_ASSIGN_OR_RETURN(auto account, single_property(rows.text(i, 1), "AccountName"));
    if (!account) return data_loss("a stored profile has no AccountName");
    read.add(std::string(rows.text(i, 0)), std::move(*account));
  }
  return read.finish();
}

Result<std::map<std::string, Privacy>> PgStore::privacy_choices(TenantId tenant,
                                                                ProfileId profile) {
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
  UPSYNC_ASSIGN_OR_RETURN(PgResult rows,
                          db_->query("SELECT name_key, privacy FROM privacy_choices WHERE "
                                     "profile_id = $1 AND tenant_id = $2",
                                     {profile, tenant}));
  std::map<std::string, Privacy> out;
  for (int i = 0; i < rows.rows(); ++i) {
    const PropertyDefinition* def = schema->find(rows.text(i, 0));
    auto privacy = parse_privacy(rows.text(i, 1));
    if (def && privacy) out[def->name] = *privacy;
  }
  return out;
}

Status PgStore::set_privacy_choice(TenantId tenant, ProfileId profile, std::string_view property,
                                   std::optional<Privacy> privacy) {
  return in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    UPSYNC_ASSIGN_OR_RETURN(std::string name, check_privacy_choice(*schema, property));
    UPSYNC_RETURN_IF_ERROR(
        this->profile(tenant, {ProfileKeyKind::kId, std::to_string(profile)}).status());
    if (!privacy) {
      return db_
          ->run(
              "DELETE FROM privacy_choices WHERE profile_id = $1 AND tenant_id = $2 AND "
              "name_key = $3",
              {profile, tenant, ascii_lower(name)})
          .status();
    }
    return db_
        ->run(
            "INSERT INTO privacy_choices (profile_id, tenant_id, name_key, privacy) VALUES "
            "($1, $2, $3, $4) ON CONFLICT (profile_id, name_key) DO UPDATE SET privacy = $4",
            {profile, tenant, ascii_lower(name), std::string(privacy_name(*privacy))})
        .status();
  });
}

Result<int64_t> PgStore::count_profiles(TenantId tenant) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  return db_->query_int("SELECT count(*) FROM profiles WHERE tenant_id = $1", {tenant});
}

}  // namespace upsync
