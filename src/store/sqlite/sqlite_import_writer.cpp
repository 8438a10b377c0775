// The SQLite ProfileBatchWriter of the bulk import (src/bulkimport/profile_writer.h): one
// indexed SELECT and one UPDATE per profile and one change-feed entry per changed profile;
// sequence numbers come from the store's per-transaction counter, like every other write.
#include "bulkimport/profile_writer.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/profile_codec.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

class SqliteProfileBatchWriter : public ProfileBatchWriter {
 public:
  explicit SqliteProfileBatchWriter(SqliteStore& store) : store_(store), db_(store.db()) {}

  Result<std::vector<UpdateOutcome>> apply(TenantId tenant, ProfileKeyKind kind,
                                           const ProfileSchema& schema,
                                           const std::vector<ProfileUpdate>& updates) override {
    std::string column;
    switch (kind) {
      case ProfileKeyKind::kEmail:
        column = "email_key";
        break;
      case ProfileKeyKind::kPrincipalName:
        column = "upn_key";
        break;
      case ProfileKeyKind::kCloudId:
        column = "cloud_id";
        break;
      default:
        return invalid_argument("the bulk import looks profiles up by e-mail, UPN or cloud id");
    }
    UPSYNC_ASSIGN_OR_RETURN(
        auto* find, db_.prepare("SELECT id, props FROM profiles WHERE tenant_id = ? AND " + column +
                                " = ? ORDER BY id LIMIT 1"));
    UPSYNC_ASSIGN_OR_RETURN(
        auto* write,
        db_.prepare("UPDATE profiles SET props = ?, seq = ?, updated_at = ? WHERE id = ?"));
    const std::string now = utc_now_iso();

    std::vector<UpdateOutcome> out;
    out.reserve(updates.size());
    for (const ProfileUpdate& u : updates) {
      find->bind(1, tenant);
      find->bind(2, ascii_lower(u.key));
      UPSYNC_ASSIGN_OR_RETURN(bool found, find->step());
      if (!found) {
        find->reset();
        out.push_back(UpdateOutcome::kNotFound);
        continue;
      }
      const ProfileId id = find->column_int(0);
      auto props = decode_properties(find->column_text(1));
      find->reset();
      if (!props) return props.status();
      bool changed = false;
      for (const auto& [name, value] : u.values) {
        auto it = props->find(name);
        if (value.empty()) {
          if (it != props->end()) {
            props->erase(it);
            changed = true;
          }
        } else if (it == props->end() || it->second.size() != 1 || it->second[0] != value) {
          (*props)[name] = PropertyValues{value};
          changed = true;
        }
      }
      if (!changed) {
        out.push_back(UpdateOutcome::kUnchanged);
        continue;
      }
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(tenant));
      write->bind(1, encode_properties(*props, schema));
      write->bind(2, seq);
      write->bind(3, now);
      write->bind(4, id);
      UPSYNC_RETURN_IF_ERROR(write->run());
      UPSYNC_RETURN_IF_ERROR(store_.append_change(tenant, kProfilesFeed, seq, std::to_string(id),
                                                  ChangeOp::kUpsert, now));
      out.push_back(UpdateOutcome::kChanged);
    }
    return out;
  }

 private:
  SqliteStore& store_;
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<ProfileBatchWriter>> open_profile_batch_writer(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  if (!sqlite) return failed_precondition("the bulk import's batch writer needs the SQLite store");
  return std::unique_ptr<ProfileBatchWriter>(new SqliteProfileBatchWriter(*sqlite));
}

}  // namespace upsync
