// The SQLite schema's first 18 migrations (sqlite_migrations.h): tenants and profiles, bulk
// import, directory sync, sign-in, sync runs and schedules, site user lists, connectors,
// directory groups, custom-property rows, token generations, library permissions and app
// certificates. The later ones are in sqlite_migrations.cpp. Never edit one that has shipped.
#include "store/sqlite/sqlite_migrations.h"

namespace upsync {
namespace {

constexpr std::string_view kFirstMigrations[] = {
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
};

}  // namespace

std::span<const std::string_view> sqlite_first_migrations() { return kFirstMigrations; }

}  // namespace upsync
