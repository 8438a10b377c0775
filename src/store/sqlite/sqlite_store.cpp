#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>

#include "core/claims.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/profile_codec.h"

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

constexpr std::string_view kMigrations[] = {
    // 1: tenants, custom properties, profiles, change feeds and cursors.
    R"sql(
CREATE TABLE tenants (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('online', 'server')),
  education INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0  -- the tenant's change-feed sequence
);
CREATE TABLE custom_properties (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  name_key TEXT NOT NULL,  -- lower-case name: names are case-insensitive
  name TEXT NOT NULL,
  display_name TEXT NOT NULL,
  type TEXT NOT NULL,
  multi_value INTEGER NOT NULL,
  user_editable INTEGER NOT NULL,
  sync_to_sites INTEGER NOT NULL,
  taxonomy_bound INTEGER NOT NULL,
  max_length INTEGER NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name_key)
) WITHOUT ROWID;
CREATE TABLE profiles (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  account_key TEXT NOT NULL,  -- lower-case AccountName
  upn_key TEXT,               -- lower-case SPS-UserPrincipalName
  email_key TEXT,             -- lower-case WorkEmail
  cloud_id TEXT,              -- msOnline-ObjectId
  props TEXT NOT NULL,        -- see store/profile_codec.h
  seq INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX profiles_by_account ON profiles (tenant_id, account_key);
CREATE UNIQUE INDEX profiles_by_upn ON profiles (tenant_id, upn_key) WHERE upn_key IS NOT NULL;
CREATE INDEX profiles_by_email ON profiles (tenant_id, email_key) WHERE email_key IS NOT NULL;
CREATE UNIQUE INDEX profiles_by_cloud_id ON profiles (tenant_id, cloud_id)
  WHERE cloud_id IS NOT NULL;
CREATE INDEX profiles_by_tenant ON profiles (tenant_id, id);
CREATE TABLE change_feed (
  tenant_id INTEGER NOT NULL,
  feed TEXT NOT NULL,
  seq INTEGER NOT NULL,
  object_id TEXT NOT NULL,
  op INTEGER NOT NULL,
  changed_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, feed, seq)
) WITHOUT ROWID;
CREATE TABLE feed_cursors (
  tenant_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  seq INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name)
) WITHOUT ROWID;
)sql",
    // 2: bulk import (src/bulkimport): jobs, with their checkpoint, and their log lines.
    R"sql(
CREATE TABLE import_jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL UNIQUE,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  state INTEGER NOT NULL,
  error INTEGER NOT NULL,
  error_message TEXT NOT NULL,
  source_uri TEXT NOT NULL,
  log_folder_uri TEXT NOT NULL,
  id_type TEXT NOT NULL,
  id_property TEXT NOT NULL,
  property_map TEXT NOT NULL,
  records_done INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX import_jobs_by_tenant ON import_jobs(tenant_id, seq);
CREATE INDEX import_jobs_by_state ON import_jobs(state, seq);
CREATE TABLE import_job_log (
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX import_job_log_by_job ON import_job_log(job_id, n);
)sql",
    // 3: directory sync (src/directory, src/sync): users of the cloud directory and of the
    // directory store, one row per user and layer, deletions kept as tombstones.
    R"sql(
CREATE TABLE directory_users (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  layer TEXT NOT NULL CHECK (layer IN ('cloud', 'store')),
  object_id TEXT NOT NULL,
  source_anchor TEXT,
  upn_key TEXT NOT NULL,
  attrs TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, layer, object_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX directory_users_by_anchor ON directory_users (tenant_id, layer, source_anchor)
  WHERE source_anchor IS NOT NULL;
CREATE INDEX directory_users_by_upn ON directory_users (tenant_id, layer, upn_key);
)sql",
    // 4: sign-in (src/auth): registered apps and people's passwords, hashed.
    R"sql(
CREATE TABLE apps (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  client_id TEXT NOT NULL,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, client_id)
) WITHOUT ROWID;
CREATE TABLE passwords (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  upn_key TEXT NOT NULL,
  upn TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, upn_key)
) WITHOUT ROWID;
)sql",
    // 5: the history of sync runs (src/sync/run_history.h).
    R"sql(
CREATE TABLE sync_runs (
  id INTEGER PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  trigger TEXT NOT NULL,
  source TEXT NOT NULL,
  full INTEGER NOT NULL,
  dry_run INTEGER NOT NULL,
  succeeded INTEGER NOT NULL,
  error TEXT NOT NULL,
  milliseconds INTEGER NOT NULL,
  report TEXT NOT NULL
);
CREATE INDEX sync_runs_by_tenant ON sync_runs (tenant_id, id);
)sql",
    // 6: server tenants' edits to seed 001's attribute mappings (src/sync/server_import.h).
    R"sql(
CREATE TABLE property_mappings (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  property_key TEXT NOT NULL,
  property TEXT NOT NULL,
  attribute TEXT NOT NULL,
  PRIMARY KEY (tenant_id, property_key)
) WITHOUT ROWID;
)sql",
    // 7: sync schedules (src/sync/scheduler.h).
    R"sql(
CREATE TABLE sync_schedules (
  tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),
  interval_seconds INTEGER NOT NULL
);
)sql",
    // 8: delta reads of on-premises directories (src/sync/ldap_connector.h): each source's
    // position (an RFC 4533 cookie or a high-water mark), and cloud users by DN and by
    // manager, so that a delta can resolve a changed user's manager, and clear the manager of
    // a deleted user's reports, without re-reading everyone. The keys are plain columns that
    // put() fills for the cloud layer only: expression indexes over the JSON attributes made
    // a full sync of 100,000 users cost 9.5 s more CPU (53.6 s against 44.1 s), these 4 s.
    R"sql(
CREATE TABLE source_states (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name)
) WITHOUT ROWID;
ALTER TABLE directory_users ADD COLUMN dn_key TEXT;       -- lower-case distinguishedName
ALTER TABLE directory_users ADD COLUMN manager_key TEXT;  -- the manager's object id
UPDATE directory_users SET dn_key = lower(json_extract(attrs, '$.distinguishedName[0]')),
  manager_key = lower(json_extract(attrs, '$.manager[0]')) WHERE layer = 'cloud';
CREATE INDEX directory_users_by_dn ON directory_users (tenant_id, dn_key)
  WHERE dn_key IS NOT NULL;
CREATE INDEX directory_users_by_manager ON directory_users (tenant_id, manager_key)
  WHERE manager_key IS NOT NULL;
)sql",
    // 9: profiles by manager, so that a person's direct reports (PeopleManager's
    // DirectReports, ExtendedReports) are an index lookup rather than a scan of every profile.
    R"sql(
ALTER TABLE profiles ADD COLUMN manager_key TEXT;  -- lower-case Manager (an account name)
UPDATE profiles SET manager_key = lower(json_extract(props, '$.Manager'))
  WHERE json_type(props, '$.Manager') = 'text';
CREATE INDEX profiles_by_manager ON profiles (tenant_id, manager_key)
  WHERE manager_key IS NOT NULL;
)sql",
    // 10: site user information lists (src/sites/site_users.h): per site collection, the
    // people added to it, with their id there and a copy of their "sync to sites" properties.
    R"sql(
CREATE TABLE site_users (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  site TEXT NOT NULL,          -- "" (root) or "sites/<name>", lower-case
  id INTEGER NOT NULL,         -- the person's id in the site collection
  login_key TEXT NOT NULL,     -- lower-case claims account name
  login_name TEXT NOT NULL,
  email_key TEXT,              -- lower-case copied WorkEmail
  profile_id INTEGER NOT NULL,
  site_admin INTEGER NOT NULL,
  props TEXT NOT NULL,         -- JSON object: property name → values
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, site, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX site_users_by_login ON site_users (tenant_id, login_key, site);
CREATE INDEX site_users_by_email ON site_users (tenant_id, site, email_key)
  WHERE email_key IS NOT NULL;
)sql",
    // 11: cloud users by mail, so that Graph's $filter=mail eq '...' is an index lookup (as
    // userPrincipalName and id already are) rather than a scan of every user. Filled by put()
    // for the cloud layer only, as dn_key is.
    R"sql(
ALTER TABLE directory_users ADD COLUMN mail_key TEXT;  -- lower-case mail (its first value)
UPDATE directory_users SET mail_key = lower(json_extract(attrs, '$.mail[0]'))
  WHERE layer = 'cloud';
CREATE INDEX directory_users_by_mail ON directory_users (tenant_id, mail_key)
  WHERE mail_key IS NOT NULL;
)sql",
    // 12: connectors (src/sync/connector.h): a tenant's on-premises sources for stage 0, each
    // the TOML document its admin wrote.
    R"sql(
CREATE TABLE connectors (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  name_key TEXT NOT NULL,  -- lower-case name
  name TEXT NOT NULL,
  config TEXT NOT NULL,    -- TOML
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name_key)
) WITHOUT ROWID;
)sql",
    // 13: directory groups (src/directory/directory_store.h) of the cloud directory and the
    // directory store, deletions kept as tombstones; their direct members by object id (rows
    // of live groups only), and the directory store's resolved nested membership.
    R"sql(
CREATE TABLE directory_groups (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  layer TEXT NOT NULL CHECK (layer IN ('cloud', 'store')),
  object_id TEXT NOT NULL,
  source_anchor TEXT,
  name_key TEXT NOT NULL,  -- lower-case displayName
  dn_key TEXT,             -- lower-case distinguishedName (cloud layer)
  attrs TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, layer, object_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX directory_groups_by_anchor ON directory_groups (tenant_id, layer, source_anchor)
  WHERE source_anchor IS NOT NULL;
CREATE INDEX directory_groups_by_dn ON directory_groups (tenant_id, dn_key)
  WHERE dn_key IS NOT NULL;
CREATE TABLE directory_group_members (
  tenant_id INTEGER NOT NULL,
  layer TEXT NOT NULL,
  group_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, layer, group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX directory_group_members_by_member
  ON directory_group_members (tenant_id, layer, member_id);
CREATE TABLE directory_transitive_members (
  tenant_id INTEGER NOT NULL,
  group_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX directory_transitive_members_by_member
  ON directory_transitive_members (tenant_id, member_id);
)sql",
    // 14: a profile's custom properties in a narrow row of their own (profile_custom), beside
    // its row in profiles, which keeps the default properties and the keys. The bulk import
    // writes only custom properties: it rewrites these short rows (about a fifth of a
    // profile's bytes) instead of the whole profile. The sequence and time of the last change
    // of a profile are the later of its two rows'.
    R"sql(
CREATE TABLE profile_custom (
  id INTEGER PRIMARY KEY,  -- the profile (profiles.id)
  props TEXT NOT NULL,     -- its custom properties, packed as profiles.props
  seq INTEGER NOT NULL,    -- the change-feed sequence of their last change
  updated_at TEXT NOT NULL
);
INSERT INTO profile_custom (id, props, seq, updated_at)
  SELECT p.id,
         (SELECT json_group_object(e.k, json(e.v)) FROM
            (SELECT j.key AS k,
                    CASE j.type WHEN 'array' THEN j.value ELSE json_quote(j.value) END AS v
               FROM json_each(p.props) j
              WHERE EXISTS (SELECT 1 FROM custom_properties cp
                             WHERE cp.tenant_id = p.tenant_id AND cp.name_key = lower(j.key))
              ORDER BY j.key) e),
         p.seq, p.updated_at
    FROM profiles p
   WHERE EXISTS (SELECT 1 FROM json_each(p.props) j, custom_properties cp
                  WHERE cp.tenant_id = p.tenant_id AND cp.name_key = lower(j.key));
UPDATE profiles SET props =
    (SELECT json_group_object(e.k, json(e.v)) FROM
       (SELECT j.key AS k,
               CASE j.type WHEN 'array' THEN j.value ELSE json_quote(j.value) END AS v
          FROM json_each(profiles.props) j
         WHERE NOT EXISTS (SELECT 1 FROM custom_properties cp
                            WHERE cp.tenant_id = profiles.tenant_id AND cp.name_key = lower(j.key))
         ORDER BY j.key) e)
  WHERE id IN (SELECT id FROM profile_custom);
)sql",
    // 15: token generations (src/auth/credentials.h): per principal ('app:<client id>' or
    // 'user:<upn key>'), bumped by every change to it and never deleted, so that a token issued
    // before a change (or before a removal and a re-creation) no longer matches.
    R"sql(
CREATE TABLE token_generations (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  principal TEXT NOT NULL,
  generation INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, principal)
) WITHOUT ROWID;
)sql",
    // 16: a queued bulk import pins its source file (src/bulkimport/job.h SourcePin): size,
    // modification time and SHA-256 at queue time; NULL for jobs queued before, which run
    // unpinned.
    R"sql(
ALTER TABLE import_jobs ADD COLUMN source_size INTEGER;
ALTER TABLE import_jobs ADD COLUMN source_modified_ns INTEGER;
ALTER TABLE import_jobs ADD COLUMN source_sha256 TEXT;
)sql",
    // 17: document library permissions (src/sites/site_permissions.h): the scopes with role
    // assignments of their own (a site collection, library_key ""; or a library that broke
    // inheritance), their assignments, and the principal ids of groups and Everyone.
    R"sql(
CREATE TABLE site_permission_scopes (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  site TEXT NOT NULL,         -- site_collection_key()
  library_key TEXT NOT NULL,  -- lower-case library name, "" for the site collection
  library TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, site, library_key)
) WITHOUT ROWID;
CREATE TABLE site_role_assignments (
  tenant_id INTEGER NOT NULL,
  site TEXT NOT NULL,
  library_key TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('person', 'group', 'everyone')),
  principal_key TEXT NOT NULL,  -- lower-case UPN, group object id, or "everyone"
  principal_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'member', 'visitor')),
  PRIMARY KEY (tenant_id, site, library_key, kind, principal_key, role)
) WITHOUT ROWID;
CREATE TABLE site_principals (
  tenant_id INTEGER NOT NULL,
  site TEXT NOT NULL,
  id INTEGER NOT NULL,  -- from the sequence of site_users.id
  kind TEXT NOT NULL,
  principal_key TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (tenant_id, site, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX site_principals_by_key ON site_principals (tenant_id, site, kind, principal_key);
)sql",
    // 18: apps' certificate credentials (src/auth/app_certificate.h): public data only, named
    // by thumbprint; removed with their app.
    R"sql(
CREATE TABLE app_certificates (
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  client_id TEXT NOT NULL,  -- lower case, as apps.client_id
  thumbprint_sha1 TEXT NOT NULL,  -- upper-case hex
  thumbprint_sha256 TEXT NOT NULL,
  subject TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  not_before_unix INTEGER NOT NULL,
  not_after_unix INTEGER NOT NULL,
  public_key TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, client_id, thumbprint_sha1)
) WITHOUT ROWID;
)sql",
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
};

// A profile's columns, from kProfileTables: its row in profiles, then its custom row (NULLs
// when it has no custom property); read by read_profile_row.
constexpr std::string_view kProfileColumns =
    "p.id, p.props, p.seq, p.updated_at, c.props, c.seq, c.updated_at";
constexpr std::string_view kProfileTables = "profiles p LEFT JOIN profile_custom c ON c.id = p.id";

Tenant read_tenant(SqliteStatement& s) {
  Tenant t;
  t.id = s.column_int(0);
  t.name = s.column_text(1);
  t.kind = parse_tenant_kind(s.column_text(2)).value_or(TenantKind::kOnline);
  t.education = s.column_int(3) != 0;
  t.created_at = s.column_text(4);
  return t;
}

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

int SqliteStore::current_schema_version() { return static_cast<int>(std::size(kMigrations)); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, bool create) {
  UPSYNC_ASSIGN_OR_RETURN(auto db, SqliteDb::open(path, create));
  // Read the version before writing anything: a corrupt file fails here (NOTADB) and a newer
  // one is refused, both without a byte changed.
  auto version = db->query_int("PRAGMA user_version");
  if (!version) return version.status().with_context("opening " + path);
  if (*version > current_schema_version()) {
    return data_loss("opening " + path + ": the database has schema version " +
                     std::to_string(*version) + ", newer than this upsync understands (" +
                     std::to_string(current_schema_version()) +
                     "); use the upsync release that wrote it, or a newer one");
  }
  if (*version < 0) {
    return data_loss("opening " + path + ": invalid schema version " + std::to_string(*version));
  }
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
  UPSYNC_RETURN_IF_ERROR(store->db_->exec(
      // 8 KiB pages for a new database (an existing one keeps its own): a directory user's
      // row is about 700 bytes, a profile's 900, and a full sync of 100,000 users took 7.5 s
      // with 4 KiB pages against 6.8 s with 8 KiB (or 16 KiB) ones; the bulk import is as fast.
      "PRAGMA page_size=8192; "
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
      // Savepoints (nested transactions) keep the pages they change in a statement journal:
      // in memory rather than a temporary file, which cost a write call per page and
      // savepoint (1.2 million in a full sync of 20,000 users).
      "PRAGMA temp_store=MEMORY;"));
  UPSYNC_RETURN_IF_ERROR(store->migrate().with_context("migrating " + path));
  return store;
}

Status SqliteStore::migrate() {
  // Up to date (the common case): no write lock taken, so opening a store does not wait for
  // a writer (a running import) to finish.
  UPSYNC_ASSIGN_OR_RETURN(int64_t current, db_->query_int("PRAGMA user_version"));
  if (current == current_schema_version()) return Status::ok();
  return in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(int64_t v, db_->query_int("PRAGMA user_version"));
    bool index_people = false;
    for (auto i = static_cast<size_t>(v); i < std::size(kMigrations); ++i) {
      UPSYNC_RETURN_IF_ERROR(db_->exec(kMigrations[i]));
      UPSYNC_RETURN_IF_ERROR(db_->exec("PRAGMA user_version = " + std::to_string(i + 1)));
      index_people |= kMigrations[i].data() == kPeopleSearchMigration.data() ||
                      kMigrations[i].data() == kPeopleSearchDepartmentMigration.data();
    }
    // The index of what was stored before it existed, in the migration's transaction.
    if (index_people) UPSYNC_RETURN_IF_ERROR(rebuild_people_search());
    return Status::ok();
  });
}

Status SqliteStore::read_snapshot(const std::function<Status()>& body) {
  if (tx_depth_ > 0 || db_->in_snapshot()) return body();
  UPSYNC_RETURN_IF_ERROR(db_->begin_snapshot());
  Status s = body();
  Status end = db_->end_snapshot();
  if (!s.is_ok()) return s;
  return end;
}

Status SqliteStore::in_bulk_transaction(const std::function<Status()>& body) {
  if (tx_depth_ > 0) return in_transaction(body);
  UPSYNC_RETURN_IF_ERROR(db_->end_snapshot());
  UPSYNC_ASSIGN_OR_RETURN(auto cache, db_->larger_cache(kBulkCacheKiB));
  bulk_ = true;
  Status s = in_transaction(body);
  bulk_ = false;
  return s;
}

Status SqliteStore::in_transaction(const std::function<Status()>& body) {
  // Nested calls are savepoints, all named "sp": SQLite releases and rolls back to the most
  // recent savepoint of a name, which is exactly the nesting. The statements are prepared
  // once (bulk writes nest a savepoint per profile).
  auto run = [&](std::string_view sql) -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto* st, db_->prepare(sql));
    return st->run();
  };
  const bool outer = tx_depth_ == 0;
  if (!outer && bulk_) {
    // Inside a bulk transaction a failure fails it all (Store::in_bulk_transaction): no
    // savepoint, whose statement journal copies every page the nested body changes.
    ++tx_depth_;
    Status s = body();
    --tx_depth_;
    return s;
  }
  if (outer) UPSYNC_RETURN_IF_ERROR(db_->end_snapshot());
  UPSYNC_RETURN_IF_ERROR(run(outer ? "BEGIN IMMEDIATE" : "SAVEPOINT sp"));
  if (outer) schema_checked_in_tx_ = false;
  ++tx_depth_;
  Status s = body();
  --tx_depth_;
  if (s.is_ok()) {
    Status c = outer ? flush_sequences() : Status::ok();
    if (c.is_ok()) c = run(outer ? "COMMIT" : "RELEASE sp");
    if (c.is_ok()) return s;
    s = c.with_context("committing");
  }
  // Roll back what the body wrote. A failed rollback (the connection lost its transaction)
  // is reported after the failure that caused it.
  Status r = outer ? run("ROLLBACK") : run("ROLLBACK TO sp");
  if (r.is_ok() && !outer) r = run("RELEASE sp");
  if (outer) {
    // A rolled-back savepoint keeps its sequence numbers taken (gaps are harmless: readers
    // ask for "after N"); a rolled-back transaction gives them all back.
    schema_cache_.clear();
    tx_seq_.clear();
  }
  if (!r.is_ok()) {
    return Status(s.code(), s.message() + " (and rolling back: " + r.message() + ")");
  }
  return s;
}

Status SqliteStore::check_tenant(TenantId tenant) {
  UPSYNC_ASSIGN_OR_RETURN(auto* s, db_->prepare("SELECT 1 FROM tenants WHERE id = ?"));
  s->bind(1, tenant);
  UPSYNC_ASSIGN_OR_RETURN(bool found, s->step());
  s->reset();
  if (!found) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
  return Status::ok();
}

Result<Tenant> SqliteStore::create_tenant(const NewTenant& t) {
  UPSYNC_RETURN_IF_ERROR(check_tenant_name(t.name));
  Tenant out;
  Status s = in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto* exists, db_->prepare("SELECT 1 FROM tenants WHERE name = ?"));
    exists->bind(1, t.name);
    UPSYNC_ASSIGN_OR_RETURN(bool found, exists->step());
    exists->reset();
    if (found) return already_exists("tenant '" + t.name + "' already exists");
    UPSYNC_ASSIGN_OR_RETURN(auto* ins,
                            db_->prepare("INSERT INTO tenants (name, kind, education, created_at) "
                                         "VALUES (?, ?, ?, ?)"));
    out.name = t.name;
    out.kind = t.kind;
    out.education = t.education;
    out.created_at = utc_now_iso();
    ins->bind(1, t.name);
    ins->bind(2, tenant_kind_name(t.kind));
    ins->bind(3, int64_t{t.education});
    ins->bind(4, out.created_at);
    UPSYNC_RETURN_IF_ERROR(ins->run());
    out.id = sqlite3_last_insert_rowid(db_->raw());
    return Status::ok();
  });
  if (!s) return s;
  return out;
}

Result<Tenant> SqliteStore::tenant(std::string_view name) {
  UPSYNC_ASSIGN_OR_RETURN(auto* s,
                          db_->prepare("SELECT id, name, kind, education, created_at FROM tenants "
                                       "WHERE name = ?"));
  s->bind(1, name);
  UPSYNC_ASSIGN_OR_RETURN(bool found, s->step());
  if (!found) {
    return not_found("tenant '" + quote_for_message(name) +
                     "' does not exist (see 'upsync tenant list')");
  }
  Tenant t = read_tenant(*s);
  s->reset();
  return t;
}

Result<std::vector<Tenant>> SqliteStore::tenants() {
  UPSYNC_ASSIGN_OR_RETURN(auto* s,
                          db_->prepare("SELECT id, name, kind, education, created_at FROM tenants "
                                       "ORDER BY name"));
  s->reset();
  std::vector<Tenant> out;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    out.push_back(read_tenant(*s));
  }
  s->reset();
  return out;
}

Result<const ProfileSchema*> SqliteStore::cached_schema(TenantId tenant) {
  // Another connection may have changed the schema: PRAGMA data_version moves when any other
  // connection commits, so the cache is dropped then. Inside a write transaction no other
  // connection can commit, so one check when the transaction starts is enough; the cache may
  // be older than the transaction, so that one check is needed.
  if (tx_depth_ == 0 || !schema_checked_in_tx_) {
    UPSYNC_ASSIGN_OR_RETURN(int64_t data_version, db_->query_int("PRAGMA data_version"));
    if (data_version != schema_cache_data_version_) {
      schema_cache_.clear();
      schema_cache_data_version_ = data_version;
    }
    schema_checked_in_tx_ = tx_depth_ > 0;
  }
  if (auto it = schema_cache_.find(tenant); it != schema_cache_.end()) return it->second.get();
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT name, display_name, type, multi_value, user_editable, "
                            "sync_to_sites, taxonomy_bound, max_length FROM custom_properties "
                            "WHERE tenant_id = ? ORDER BY position"));
  s->bind(1, tenant);
  std::vector<PropertyDefinition> custom;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    PropertyDefinition d;
    d.name = s->column_text(0);
    d.display_name = s->column_text(1);
    auto type = parse_data_type(s->column_text(2));
    if (!type) {
      s->reset();
      return data_loss("custom property '" + d.name + "' has an unknown stored type '" +
                       std::string(s->column_text(2)) + "'");
    }
    d.type = *type;
    d.multi_value = s->column_int(3) != 0;
    d.user_editable = s->column_int(4) != 0;
    d.sync_to_sites = s->column_int(5) != 0;
    d.taxonomy_bound = s->column_int(6) != 0;
    d.max_length = static_cast<int>(s->column_int(7));
    d.custom = true;
    custom.push_back(std::move(d));
  }
  s->reset();
  UPSYNC_ASSIGN_OR_RETURN(auto policies, read_property_policies(tenant));
  auto schema = std::make_unique<ProfileSchema>(std::move(custom), std::move(policies));
  const ProfileSchema* raw = schema.get();
  schema_cache_[tenant] = std::move(schema);
  return raw;
}

Result<ProfileSchema> SqliteStore::schema(TenantId tenant) {
  UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* s, cached_schema(tenant));
  return ProfileSchema(s->custom(), s->policies());
}

Result<std::unordered_map<std::string, PropertyPolicy>> SqliteStore::read_property_policies(
    TenantId tenant) {
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT name_key, privacy, user_can_override, show_on_profile, "
                            "show_in_edit FROM property_policies WHERE tenant_id = ?"));
  s->bind(1, tenant);
  std::unordered_map<std::string, PropertyPolicy> out;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    PropertyPolicy p;
    auto privacy = parse_privacy(s->column_text(1));
    if (!privacy) {
      std::string message = "the policy of property '" + std::string(s->column_text(0)) +
                            "' has an unknown stored privacy '" + std::string(s->column_text(1)) +
                            "'";
      s->reset();
      return data_loss(message);
    }
    p.privacy = *privacy;
    p.user_can_override = s->column_int(2) != 0;
    p.show_on_profile = s->column_int(3) != 0;
    p.show_in_edit = s->column_int(4) != 0;
    out.emplace(std::string(s->column_text(0)), p);
  }
  s->reset();
  return out;
}

Status SqliteStore::set_property_policy(TenantId tenant, std::string_view name,
                                        const PropertyPolicy& policy) {
  return in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* d, schema->require(name));
    UPSYNC_ASSIGN_OR_RETURN(
        auto* up, db_->prepare("INSERT INTO property_policies (tenant_id, name_key, privacy, "
                               "user_can_override, show_on_profile, show_in_edit) VALUES "
                               "(?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, name_key) DO UPDATE "
                               "SET privacy = excluded.privacy, user_can_override = "
                               "excluded.user_can_override, show_on_profile = "
                               "excluded.show_on_profile, show_in_edit = excluded.show_in_edit"));
    up->bind(1, tenant);
    up->bind(2, ascii_lower(d->name));
    up->bind(3, privacy_name(policy.privacy));
    up->bind(4, int64_t{policy.user_can_override});
    up->bind(5, int64_t{policy.show_on_profile});
    up->bind(6, int64_t{policy.show_in_edit});
    UPSYNC_RETURN_IF_ERROR(up->run());
    const std::string changed = d->name;
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", changed, ChangeOp::kUpsert).status();
  });
}

Result<PropertyDefinition> SqliteStore::add_custom_property(TenantId tenant,
                                                            const PropertyDefinition& def) {
  PropertyDefinition d = def;
  d.custom = true;
  if (d.display_name.empty()) d.display_name = d.name;
  UPSYNC_RETURN_IF_ERROR(ProfileSchema::check_custom_definition(d));
  Status s = in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    if (const PropertyDefinition* existing = schema->find(d.name)) {
      return already_exists("property '" + existing->name + "' already exists in this tenant");
    }
    UPSYNC_ASSIGN_OR_RETURN(
        auto* ins,
        db_->prepare("INSERT INTO custom_properties (tenant_id, name_key, name, display_name, "
                     "type, multi_value, user_editable, sync_to_sites, taxonomy_bound, "
                     "max_length, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                     "(SELECT COALESCE(MAX(position), 0) + 1 FROM custom_properties "
                     "WHERE tenant_id = ?1))"));
    ins->bind(1, tenant);
    ins->bind(2, ascii_lower(d.name));
    ins->bind(3, d.name);
    ins->bind(4, d.display_name);
    ins->bind(5, data_type_name(d.type));
    ins->bind(6, int64_t{d.multi_value});
    ins->bind(7, int64_t{d.user_editable});
    ins->bind(8, int64_t{d.sync_to_sites});
    ins->bind(9, int64_t{d.taxonomy_bound});
    ins->bind(10, int64_t{d.max_length});
    UPSYNC_RETURN_IF_ERROR(ins->run());
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", d.name, ChangeOp::kUpsert).status();
  });
  if (!s) return s;
  return d;
}

Status SqliteStore::remove_custom_property(TenantId tenant, std::string_view name) {
  return in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(const ProfileSchema* schema, cached_schema(tenant));
    const PropertyDefinition* d = schema->find(name);
    if (!d) {
      return not_found("property '" + quote_for_message(name) + "' does not exist in this tenant");
    }
    if (!d->custom) {
      return failed_precondition("property '" + d->name +
                                 "' is a default property of the catalog and cannot be removed");
    }
    const std::string canonical = d->name;
    UPSYNC_ASSIGN_OR_RETURN(auto* used,
                            db_->prepare("SELECT count(*) FROM profile_custom c JOIN profiles p "
                                         "ON p.id = c.id WHERE p.tenant_id = ? AND "
                                         "json_type(c.props, ?) IS NOT NULL"));
    used->bind(1, tenant);
    used->bind(2, "$.\"" + canonical + "\"");
    UPSYNC_ASSIGN_OR_RETURN(bool row, used->step());
    int64_t n = row ? used->column_int(0) : 0;
    used->reset();
    if (n > 0) {
      return failed_precondition("property '" + canonical + "' still has values in " +
                                 std::to_string(n) + " profile(s); clear them first");
    }
    UPSYNC_ASSIGN_OR_RETURN(
        auto* del,
        db_->prepare("DELETE FROM custom_properties WHERE tenant_id = ? AND name_key = ?"));
    del->bind(1, tenant);
    del->bind(2, ascii_lower(canonical));
    UPSYNC_RETURN_IF_ERROR(del->run());
    // A property defined again later starts from the default policy.
    UPSYNC_ASSIGN_OR_RETURN(
        auto* del_policy,
        db_->prepare("DELETE FROM property_policies WHERE tenant_id = ? AND name_key = ?"));
    del_policy->bind(1, tenant);
    del_policy->bind(2, ascii_lower(canonical));
    UPSYNC_RETURN_IF_ERROR(del_policy->run());
    UPSYNC_ASSIGN_OR_RETURN(
        auto* del_choices,
        db_->prepare("DELETE FROM privacy_choices WHERE tenant_id = ? AND name_key = ?"));
    del_choices->bind(1, tenant);
    del_choices->bind(2, ascii_lower(canonical));
    UPSYNC_RETURN_IF_ERROR(del_choices->run());
    schema_cache_.erase(tenant);
    return record_change(tenant, "schema", canonical, ChangeOp::kDelete).status();
  });
}

Result<int64_t> SqliteStore::next_seq(TenantId tenant) {
  if (tx_depth_ == 0)
    return internal_error("a change-feed sequence was taken outside a transaction");
  // The tenant's counter is read once per transaction and written back at commit: the write
  // lock (BEGIN IMMEDIATE) keeps other writers out meanwhile.
  auto it = tx_seq_.find(tenant);
  if (it == tx_seq_.end()) {
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_->prepare("SELECT last_seq FROM tenants WHERE id = ?"));
    q->bind(1, tenant);
    UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
    if (!row) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
    const int64_t last = q->column_int(0);
    q->reset();
    it = tx_seq_.emplace(tenant, last).first;
  }
  return ++it->second;
}

Status SqliteStore::flush_sequences() {
  UPSYNC_ASSIGN_OR_RETURN(auto* u, db_->prepare("UPDATE tenants SET last_seq = ? WHERE id = ?"));
  for (const auto& [tenant, seq] : tx_seq_) {
    u->bind(1, seq);
    u->bind(2, tenant);
    UPSYNC_RETURN_IF_ERROR(u->run());
  }
  tx_seq_.clear();
  return Status::ok();
}

Status SqliteStore::append_change(TenantId tenant, std::string_view feed, int64_t seq,
                                  std::string_view object_id, ChangeOp op, std::string_view at) {
  UPSYNC_ASSIGN_OR_RETURN(
      auto* ins, db_->prepare("INSERT INTO change_feed (tenant_id, feed, seq, object_id, op, "
                              "changed_at) VALUES (?, ?, ?, ?, ?, ?)"));
  ins->bind(1, tenant);
  ins->bind(2, feed);
  ins->bind(3, seq);
  ins->bind(4, object_id);
  ins->bind(5, static_cast<int64_t>(op));
  ins->bind(6, at);
  return ins->run();
}

Result<int64_t> SqliteStore::record_change(TenantId tenant, std::string_view feed,
                                           std::string_view object_id, ChangeOp op) {
  UPSYNC_ASSIGN_OR_RETURN(int64_t seq, next_seq(tenant));
  UPSYNC_RETURN_IF_ERROR(append_change(tenant, feed, seq, object_id, op, utc_now_iso()));
  return seq;
}

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
  if (!found) {
    s->reset();
    return std::optional<Profile>();
  }
  auto p = read_profile_row(*s, 0);
  s->reset();
  if (!p) return p.status();
  return std::optional<Profile>(std::move(*p));
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
  UPSYNC_ASSIGN_OR_RETURN(ManagerKeys keys, ManagerKeys::of(*schema, managers));
  // profiles_by_manager answers each key; only the account name is read from the row.
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT manager_key, json_extract(props, '$.AccountName') FROM "
                            "profiles WHERE tenant_id = ?1 AND manager_key IN "
                            "(SELECT value FROM json_each(?2)) ORDER BY id"));
  s->bind(1, tenant);
  s->bind(2, keys.json_array());
  UPSYNC_RETURN_IF_ERROR(s->each_row(
      [&] { keys.add(std::string(s->column_text(0)), std::string(s->column_text(1))); }));
  return keys.take();
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

Result<int64_t> SqliteStore::count_changes_after(TenantId tenant, std::string_view feed,
                                                 int64_t after_seq) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s,
      db_->prepare(
          "SELECT count(*) FROM change_feed WHERE tenant_id = ? AND feed = ? AND seq > ?"));
  s->bind(1, tenant);
  s->bind(2, feed);
  s->bind(3, after_seq);
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  const int64_t n = row ? s->column_int(0) : 0;
  s->reset();
  return n;
}

Result<std::vector<Change>> SqliteStore::changes_after(TenantId tenant, std::string_view feed,
                                                       int64_t after_seq, int limit) {
  if (limit < 1 || limit > 100000) {
    return invalid_argument("change batch size must be 1 to 100000, got " + std::to_string(limit));
  }
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  static constexpr std::string_view kSql =
      "SELECT seq, object_id, op, changed_at FROM change_feed "
      "WHERE tenant_id = ? AND feed = ? AND seq > ? ORDER BY seq LIMIT ?";
  UPSYNC_ASSIGN_OR_RETURN(auto* s, db_->prepare(kSql));
  s->bind(1, tenant);
  s->bind(2, feed);
  s->bind(3, after_seq);
  s->bind(4, int64_t{limit});
  sqlite3_stmt_status(s->raw(), SQLITE_STMTSTATUS_VM_STEP, 1);
  sqlite3_stmt_status(s->raw(), SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
  std::vector<Change> out;
  while (true) {
    UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
    if (!row) break;
    Change c;
    c.seq = s->column_int(0);
    c.feed = feed;
    c.object_id = s->column_text(1);
    c.op = static_cast<ChangeOp>(s->column_int(2));
    c.changed_at = s->column_text(3);
    out.push_back(std::move(c));
  }
  last_feed_read_cost_.vm_steps = sqlite3_stmt_status(s->raw(), SQLITE_STMTSTATUS_VM_STEP, 0);
  last_feed_read_cost_.fullscan_steps =
      sqlite3_stmt_status(s->raw(), SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
  s->reset();
  if (last_feed_read_cost_.query_plan.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(auto* plan, db_->prepare("EXPLAIN QUERY PLAN " + std::string(kSql)));
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(bool row, plan->step());
      if (!row) break;
      last_feed_read_cost_.query_plan += std::string(plan->column_text(3)) + "\n";
    }
    plan->reset();
  }
  return out;
}

Result<int64_t> SqliteStore::last_seq(TenantId tenant) {
  if (auto it = tx_seq_.find(tenant); it != tx_seq_.end()) return it->second;
  UPSYNC_ASSIGN_OR_RETURN(auto* s, db_->prepare("SELECT last_seq FROM tenants WHERE id = ?"));
  s->bind(1, tenant);
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  if (!row) return not_found("tenant #" + std::to_string(tenant) + " does not exist");
  int64_t v = s->column_int(0);
  s->reset();
  return v;
}

Result<int64_t> SqliteStore::cursor(TenantId tenant, std::string_view name) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT seq FROM feed_cursors WHERE tenant_id = ? AND name = ?"));
  s->bind(1, tenant);
  s->bind(2, name);
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  int64_t v = row ? s->column_int(0) : 0;
  s->reset();
  return v;
}

Status SqliteStore::set_cursor(TenantId tenant, std::string_view name, int64_t seq) {
  if (name.empty()) return invalid_argument("cursor name must not be empty");
  if (seq < 0) return invalid_argument("cursor position must not be negative");
  return in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_->prepare("INSERT INTO feed_cursors (tenant_id, name, seq, updated_at) "
                              "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, name) DO UPDATE "
                              "SET seq = excluded.seq, updated_at = excluded.updated_at"));
    s->bind(1, tenant);
    s->bind(2, name);
    s->bind(3, seq);
    s->bind(4, utc_now_iso());
    return s->run();
  });
}

Result<std::optional<std::string>> SqliteStore::source_state(TenantId tenant,
                                                             std::string_view name) {
  UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(
      auto* s, db_->prepare("SELECT value FROM source_states WHERE tenant_id = ? AND name = ?"));
  s->bind(1, tenant);
  s->bind(2, name);
  UPSYNC_ASSIGN_OR_RETURN(bool row, s->step());
  std::optional<std::string> v;
  if (row) v = s->column_text(0);
  s->reset();
  return v;
}

Status SqliteStore::set_source_state(TenantId tenant, std::string_view name,
                                     std::string_view value) {
  if (name.empty()) return invalid_argument("source state name must not be empty");
  return in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(check_tenant(tenant));
    UPSYNC_ASSIGN_OR_RETURN(
        auto* s, db_->prepare("INSERT INTO source_states (tenant_id, name, value, updated_at) "
                              "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, name) DO UPDATE "
                              "SET value = excluded.value, updated_at = excluded.updated_at"));
    s->bind(1, tenant);
    s->bind(2, name);
    s->bind(3, value);
    s->bind(4, utc_now_iso());
    return s->run();
  });
}

}  // namespace upsync
