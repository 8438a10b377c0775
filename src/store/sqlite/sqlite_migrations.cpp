// The SQLite schema's migrations (sqlite_migrations.h).
#include "store/sqlite/sqlite_migrations.h"

#include <iterator>
#include <vector>

namespace upsync {
namespace {

// Schema migrations, in order: migration i takes the database from version i to i + 1.
// Never edit one that has shipped; add a new one.
// The people search index (sites/people_search.h): an entry per person (kind 'u', principal
// the profile id) and per directory-store group ('s' security, 'd' distribution list; principal
// the object id), with what a picker answer shows and its tokens ('\n'-separated, so that a
// rewrite deletes exactly the old token rows); and the tokens' B-tree for prefix ranges. Filled
// for existing data by rebuild_people_search() when this migration runs.
constexpr std::string_view kPeopleSearchMigration = R"sql(
CREATE TABLE people_search_entries (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL CHECK (kind IN ('u', 's', 'd')),
  principal TEXT NOT NULL,
  claim TEXT NOT NULL,
  display_text TEXT NOT NULL,
  description TEXT NOT NULL,
  email TEXT NOT NULL,
  title TEXT NOT NULL,
  department TEXT NOT NULL,
  mobile_phone TEXT NOT NULL,
  object_id TEXT NOT NULL,
  tokens TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind, principal)
) WITHOUT ROWID;
CREATE TABLE people_search_tokens (
  tenant_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  token TEXT NOT NULL,
  principal TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind, token, principal)
) WITHOUT ROWID;
)sql";

// Migration 27: the people search tokenizes the department too (sites/people_search.h); the
// tokens are made again by rebuild_people_search() when this migration runs.
constexpr std::string_view kPeopleSearchDepartmentMigration = R"sql(
DELETE FROM people_search_tokens;
)sql";

// Migration 28: people's own privacy for their values (Store::set_privacy_choice).
constexpr std::string_view kPrivacyChoicesMigration = R"sql(
CREATE TABLE privacy_choices (
  profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  name_key TEXT NOT NULL,  -- lower-case property name
  privacy TEXT NOT NULL,   -- privacy_name()
  PRIMARY KEY (profile_id, name_key)
) WITHOUT ROWID;
CREATE INDEX privacy_choices_by_property ON privacy_choices (tenant_id, name_key);
)sql";

// Migration 29: a bulk import job may take JSON arrays for multi-value properties (upsync's
// extension of QueueImportProfileProperties, bulkimport/importer.h).
constexpr std::string_view kImportArraysMigration = R"sql(
ALTER TABLE import_jobs ADD COLUMN multi_value_arrays INTEGER NOT NULL DEFAULT 0;
)sql";

// 30: a large bulk import job is split into ranges that several workers apply side by side
// (bulkimport/job.h: ImportRange), each with its checkpoint; log lines name their record, so
// that the log keeps the file's order whichever worker wrote them.
constexpr std::string_view kImportRangesMigration = R"sql(
CREATE TABLE import_job_ranges (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  first_record INTEGER NOT NULL,
  end_record INTEGER NOT NULL,
  done INTEGER NOT NULL,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
ALTER TABLE import_job_log ADD COLUMN record INTEGER NOT NULL DEFAULT -1;
)sql";

// Migrations 19 onwards; 1 to 18 are in sqlite_first_migrations.cpp.
constexpr std::string_view kLaterMigrations[] = {
    // 19: the people search index (see kPeopleSearchMigration above).
    kPeopleSearchMigration,
    // 20: following (sites/following.h): who follows whom among a tenant's profiles, with
    // the time; by follower (whom I follow, newest first) and by followee (my followers).
    R"sql(
CREATE TABLE follows (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  follower_id INTEGER NOT NULL,
  followee_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,  -- the order of follows (newest first), from the tenant's counter
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, follower_id, followee_id)
) WITHOUT ROWID;
CREATE INDEX follows_by_follower ON follows (tenant_id, follower_id, seq);
CREATE INDEX follows_by_followee ON follows (tenant_id, followee_id, seq);
)sql",
    // 21: a person's sign-in in a browser (src/auth/sign_in_store.h): the redirect URIs of
    // apps, one-time authorization codes (kept an hour past expiry so a replay is recognised)
    // and the sessions of upsync's own pages; codes and session ids as their SHA-256 only.
    R"sql(
CREATE TABLE app_redirect_uris (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  client_id TEXT NOT NULL,
  uri TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, client_id, uri)
) WITHOUT ROWID;
CREATE TABLE authorization_codes (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  code_key TEXT NOT NULL,
  client_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  scope TEXT NOT NULL,
  nonce TEXT NOT NULL,
  upn TEXT NOT NULL,
  token_generation INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, code_key)
) WITHOUT ROWID;
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
CREATE TABLE browser_sessions (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  session_key TEXT NOT NULL,
  upn TEXT NOT NULL,
  token_generation INTEGER NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, session_key)
) WITHOUT ROWID;
)sql",
    // 22: each change of a cloud group's direct members (src/directory/directory_store.h
    // member_changes), at the sequence of the group's change, for Graph's groups/delta
    // (members@delta).
    R"sql(
CREATE TABLE directory_member_changes (
  tenant_id INTEGER NOT NULL,
  group_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  member_id TEXT NOT NULL,
  removed INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, group_id, seq, member_id)
) WITHOUT ROWID;
)sql",
    // 23: refresh tokens (src/auth/sign_in_store.h), as their SHA-256 only; a used one stays
    // until its expiry so that a replay is recognised and revokes its family.
    R"sql(
CREATE TABLE refresh_tokens (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  token_key TEXT NOT NULL,
  family TEXT NOT NULL,
  client_id TEXT NOT NULL,
  upn TEXT NOT NULL,
  scope TEXT NOT NULL,
  token_generation INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, token_key)
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (tenant_id, family);
CREATE INDEX refresh_tokens_by_upn ON refresh_tokens (tenant_id, upn);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
)sql",
    // 24: property policies (core/property_policy.h), one row per property whose policy the
    // tenant changed; the others keep the default.
    R"sql(
CREATE TABLE property_policies (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  name_key TEXT NOT NULL,
  privacy TEXT NOT NULL,
  user_can_override INTEGER NOT NULL,
  show_on_profile INTEGER NOT NULL,
  show_in_edit INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name_key)
) WITHOUT ROWID;
)sql",
    // 25: audiences of server tenants (audiences/audiences.h), their rules as JSON and their
    // compiled membership (by audience, and by profile for a deleted profile); and each
    // server tenant's hybrid settings (audiences/hybrid.h), whose audience cannot be removed
    // while they name it.
    R"sql(
CREATE TABLE audiences (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  name_key TEXT NOT NULL,  -- lower-case name: names are case-insensitive
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  match TEXT NOT NULL CHECK (match IN ('all', 'any')),
  rules TEXT NOT NULL,
  compiled_at TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX audiences_by_name ON audiences (tenant_id, name_key);
CREATE TABLE audience_members (
  tenant_id INTEGER NOT NULL,
  audience_id INTEGER NOT NULL,
  profile_id INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, audience_id, profile_id)
) WITHOUT ROWID;
CREATE INDEX audience_members_by_profile ON audience_members (tenant_id, profile_id);
CREATE TABLE hybrid_settings (
  tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),
  online_url TEXT NOT NULL,
  audience_id INTEGER,
  updated_at TEXT NOT NULL
);
)sql",
    // 26: leases (core/lease.h): which process runs an import job or a tenant's sync, until
    // when; times in ms since 1970 UTC.
    R"sql(
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  acquired_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    kPeopleSearchDepartmentMigration,
    kPrivacyChoicesMigration,
    kImportArraysMigration,
    kImportRangesMigration,
};

}  // namespace

std::span<const std::string_view> sqlite_migrations() {
  static const std::vector<std::string_view> all = [] {
    const auto first = sqlite_first_migrations();
    std::vector<std::string_view> list(first.begin(), first.end());
    list.insert(list.end(), std::begin(kLaterMigrations), std::end(kLaterMigrations));
    return list;
  }();
  return all;
}

bool sqlite_migration_reindexes_people(size_t i) {
  const auto all = sqlite_migrations();
  return i < all.size() && (all[i].data() == kPeopleSearchMigration.data() ||
                            all[i].data() == kPeopleSearchDepartmentMigration.data());
}

}  // namespace upsync
