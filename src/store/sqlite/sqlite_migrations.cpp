// The SQLite schema's migrations (sqlite_migrations.h).
#include "store/sqlite/sqlite_migrations.h"

#include <iterator>

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
    kImportArraysMigration,
    kImportRangesMigration,
};

}  // namespace

std::span<const std::string_view> sqlite_migrations() { return kMigrations; }

bool sqlite_migration_reindexes_people(size_t i) {
  return i < std::size(kMigrations) &&
         (kMigrations[i].data() == kPeopleSearchMigration.data() ||
          kMigrations[i].data() == kPeopleSearchDepartmentMigration.data());
}

}  // namespace upsync
