// The PostgreSQL DirectoryStore (directory/directory_store.h), for the files that implement
// it: pg_directory.cpp (users, the layers' change feed), pg_directory_groups.cpp (groups,
// their members, nested membership). The SQLite backend's tables and behaviour
// (sqlite_directory.h): one row per user and layer, attributes as the canonical JSON text of
// directory/directory_codec.h (compared as stored text), change-feed entries through the
// store's sequence.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "directory/directory_store.h"
#include "store/postgres/pg_store.h"

namespace upsync {

class PgDirectoryStore : public DirectoryStore {
 private:
  static std::string_view layer_name(DirectoryLayer l) {
    return l == DirectoryLayer::kCloud ? "cloud" : "store";
  }

  // NULL for "": optional keys are NULL in the tables (partial indexes skip them).
  static PgParam key_or_null(const std::string& v) {
    if (v.empty()) return std::nullopt;
    return v;
  }

  // The members of group $3 in layer $2 through nested groups. UNION (not UNION ALL) keeps each
  // id once, which also ends the recursion on a cycle.
  static constexpr std::string_view kTransitiveSql =
      "WITH RECURSIVE t(id) AS (SELECT member_id FROM directory_group_members WHERE tenant_id "
      "= $1 AND layer = $2 AND group_id = $3 UNION SELECT m.member_id FROM "
      "directory_group_members m JOIN t ON m.group_id = t.id WHERE m.tenant_id = $1 AND "
      "m.layer = $2) SELECT id FROM t WHERE id <> $3";
  // The groups that hold $3 in layer $2, directly or through others.
  static constexpr std::string_view kAncestorsSql =
      "WITH RECURSIVE a(id) AS (SELECT group_id FROM directory_group_members WHERE tenant_id "
      "= $1 AND layer = $2 AND member_id = $3 UNION SELECT m.group_id FROM "
      "directory_group_members m JOIN a ON m.member_id = a.id WHERE m.tenant_id = $1 AND "
      "m.layer = $2) SELECT id FROM a";

  // What read_user() reads, in this order.
  static constexpr std::string_view kUserColumns = "object_id, source_anchor, attrs, deleted, seq";

  // A user's row as stored: whether there is one, its attributes, anchor and tombstone flag.
  struct StoredRow {
    bool exists = false;
    std::string attrs;
    std::string source_anchor;
    bool deleted = false;
  };

 public:
  explicit PgDirectoryStore(PgStore& s) : store_(s), db_(s.db()) {}

  Result<std::optional<DirectoryUser>> user(TenantId t, DirectoryLayer l,
                                            std::string_view id) override;
  Result<std::vector<DirectoryUser>> users_with_ids(TenantId t, DirectoryLayer l,
                                                    std::span<const std::string> ids) override;
  Result<std::vector<DirectoryUser>> users_with_anchors(
      TenantId t, DirectoryLayer l, std::span<const std::string> anchors) override;
  Result<std::optional<DirectoryUser>> user_by_anchor(TenantId t, DirectoryLayer l,
                                                      std::string_view anchor) override;
  Result<std::optional<DirectoryUser>> user_by_upn(TenantId t, DirectoryLayer l,
                                                   std::string_view upn) override;
  Result<std::optional<DirectoryUser>> cloud_user_by_dn(TenantId t, std::string_view dn) override;

  Result<std::vector<DirectoryUser>> cloud_users_with(TenantId t, CloudKey key,
                                                      std::span<const std::string> values,
                                                      const AttributeNames* only) override;
  Result<std::vector<DirectoryUser>> cloud_direct_reports(TenantId t,
                                                          std::string_view object_id) override;

  Result<PutOutcome> put(TenantId t, DirectoryLayer l, const DirectoryUser& u) override;

  Status add(TenantId t, DirectoryLayer l, const DirectoryUser& u) override;

  Result<std::optional<Copied>> copy_user_to_store(TenantId t, std::string_view id) override;

  // Two queries for all of them (the live cloud rows, the store rows), then the writes, sent
  // with the next statement (run_deferred).
  Result<std::vector<std::optional<Copied>>> copy_users_to_store(
      TenantId t, std::span<const std::string> ids) override;

  Result<bool> remove(TenantId t, DirectoryLayer l, std::string_view object_id) override;

  Result<std::vector<DirectoryUser>> users(TenantId t, DirectoryLayer l) override;

  Result<std::vector<DirectoryUser>> users_after(TenantId t, DirectoryLayer l,
                                                 std::string_view after_object_id,
                                                 int limit) override;

  Result<std::vector<AnchoredId>> anchored_user_ids(TenantId t, DirectoryLayer l) override;

  // ---- groups ----

  Result<std::optional<DirectoryGroup>> group(TenantId t, DirectoryLayer l,
                                              std::string_view id) override;
  Result<std::optional<DirectoryGroup>> group_by_anchor(TenantId t, DirectoryLayer l,
                                                        std::string_view anchor) override;
  Result<std::optional<DirectoryGroup>> cloud_group_by_dn(TenantId t, std::string_view dn) override;

  Result<PutOutcome> put_group(TenantId t, DirectoryLayer l, const DirectoryGroup& g) override;

  Result<bool> remove_group(TenantId t, DirectoryLayer l, std::string_view object_id) override;

  Result<std::vector<DirectoryGroup>> groups(TenantId t, DirectoryLayer l) override;
  Result<std::vector<DirectoryGroup>> groups_after(TenantId t, DirectoryLayer l,
                                                   std::string_view after_object_id,
                                                   int limit) override;
  Result<std::vector<DirectoryGroup>> anchored_groups(TenantId t, DirectoryLayer l) override;
  Result<std::vector<DirectoryGroup>> member_of(TenantId t, DirectoryLayer l,
                                                std::string_view object_id) override;

  Result<std::vector<std::string>> transitive_members(TenantId t, DirectoryLayer l,
                                                      std::string_view group_id) override;

  Result<int64_t> resolve_transitive_members(TenantId t,
                                             const std::vector<std::string>& group_ids) override;

  Result<std::vector<MemberChange>> member_changes(TenantId t, std::string_view group_id,
                                                   int64_t after_seq, int64_t upto_seq) override;

  Result<std::optional<DirectoryObject>> object(TenantId t, DirectoryLayer l,
                                                std::string_view object_id) override;

 private:
  // The users of the layer whose `column` (an indexed key) is one of `values`, in object id
  // order.
  Result<std::vector<DirectoryUser>> users_where_in(std::string_view column, TenantId t,
                                                    DirectoryLayer l,
                                                    const std::vector<std::string>& values);

  // The store layer's copy of a cloud user (its anchor and stored attributes) written;
  // `known`, when given, is the store row as it is now (else it is read).
  Result<std::optional<Copied>> copy_to_store(TenantId t, const std::string& object_id,
                                              const std::string& anchor, std::string attrs,
                                              const StoredRow* known);

  // A user's row as write_row() stores it; the keys are lower case, "" for NULL.
  struct UserRow {
    std::string object_id;
    std::string source_anchor;
    std::string upn_key;
    std::string_view attrs;  // encode_directory_attributes()'s text
    // Only the cloud layer is searched by DN, manager and mail.
    std::string dn_key;
    std::string manager_key;
    std::string mail_key;
  };

  static UserRow row_of(DirectoryLayer l, const DirectoryUser& u, std::string_view attrs);

  // Writes the row unless the layer has it already, as it is (compared as stored text: the
  // encoding is canonical, with sorted keys). A `fresh` row's object id is new to the layer:
  // it is not looked for.
  // Writes the row unless the layer holds it as it is; `known`, when given, is the stored row
  // as the caller read it in this transaction (else it is read here).
  Result<PutOutcome> write_row(TenantId t, DirectoryLayer l, const UserRow& row, bool fresh,
                               const StoredRow* known = nullptr);

  // The live cloud users whose `column` is one of `values` (lower-cased), in object id order.
  Result<std::vector<DirectoryUser>> cloud_users(std::string_view column, TenantId t,
                                                 std::span<const std::string> values,
                                                 const AttributeNames* only);

  // Records the members `after` has and `before` has not (added), and the reverse
  // (removed); both lists sorted.
  Status log_member_changes(TenantId t, const std::string& group_id, int64_t seq,
                            const std::vector<std::string>& before,
                            const std::vector<std::string>& after);

  Status clear_members(TenantId t, DirectoryLayer l, const std::string& group_id);

  // A removed object leaves every group that held it; each such group records a change.
  Status leave_groups(TenantId t, DirectoryLayer l, const std::string& id);

  Result<std::vector<std::string>> ids(std::string_view sql, std::initializer_list<PgParam> params);

  // The groups of the layer where `where` holds ($1 the tenant, $2 the layer, then `more`),
  // with their members: one query for the rows and one for all of their members.
  Result<std::vector<DirectoryGroup>> many_groups(const std::string& where, TenantId t,
                                                  DirectoryLayer l, std::vector<PgParam> more);

  Result<std::optional<DirectoryGroup>> one_group(const std::string& where, TenantId t,
                                                  DirectoryLayer l, const std::string& v);

  // The live users of the layer ($1 the tenant, $2 the layer, then `more`); `tail` goes on
  // after the WHERE clause's "deleted = 0". With `only`, just those attributes are read.
  Result<std::vector<DirectoryUser>> live_users(TenantId t, DirectoryLayer l,
                                                const std::string& tail, std::vector<PgParam> more,
                                                const AttributeNames* only = nullptr);

  static Result<std::vector<DirectoryUser>> read_users(const PgResult& r,
                                                       const AttributeNames* only = nullptr);

  // The first user of the layer where `where` holds ($3 is `v`).
  Result<std::optional<DirectoryUser>> one(const std::string& where, TenantId t, DirectoryLayer l,
                                           const std::string& v);

  PgStore& store_;
  PgDb& db_;
};

}  // namespace upsync
