// The SQLite ProfileBatchWriter of the bulk import (src/bulkimport/profile_writer.h): one
// indexed SELECT and one UPDATE per profile, one change-feed INSERT per changed profile, and
// the tenant's sequence moved once per batch.
#include "bulkimport/profile_writer.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/profile_codec.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class SqliteProfileBatchWriter : public ProfileBatchWriter {
 public:
  explicit SqliteProfileBatchWriter(SqliteStore& store) : db_(store.db()) {}

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
    UPSYNC_ASSIGN_OR_RETURN(auto* seq_q, db_.prepare("SELECT last_seq FROM tenants WHERE id = ?"));
    UPSYNC_ASSIGN_OR_RETURN(
        auto* write,
        db_.prepare("UPDATE profiles SET props = ?, seq = ?, updated_at = ? WHERE id = ?"));
    UPSYNC_ASSIGN_OR_RETURN(
        auto* feed, db_.prepare("INSERT INTO change_feed (tenant_id, feed, seq, object_id, op, "
                                "changed_at) VALUES (?, ?, ?, ?, ?, ?)"));
    UPSYNC_ASSIGN_OR_RETURN(auto* seq_w,
                            db_.prepare("UPDATE tenants SET last_seq = ? WHERE id = ?"));
    seq_q->bind(1, tenant);
    UPSYNC_ASSIGN_OR_RETURN(bool has_tenant, seq_q->step());
    if (!has_tenant) {
      seq_q->reset();
      return not_found("tenant #" + std::to_string(tenant) + " does not exist");
    }
    int64_t seq = seq_q->column_int(0);
    seq_q->reset();
    const int64_t first_seq = seq;
    const std::string now = utc_now_iso();

    std::vector<UpdateOutcome> out;
    out.reserve(updates.size());
    for (const ProfileUpdate& u : updates) {
      find->bind(1, tenant);
      find->bind(2, lower_ascii(u.key));
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
      ++seq;
      write->bind(1, encode_properties(*props, schema));
      write->bind(2, seq);
      write->bind(3, now);
      write->bind(4, id);
      UPSYNC_RETURN_IF_ERROR(write->run());
      feed->bind(1, tenant);
      feed->bind(2, kProfilesFeed);
      feed->bind(3, seq);
      feed->bind(4, std::to_string(id));
      feed->bind(5, static_cast<int64_t>(ChangeOp::kUpsert));
      feed->bind(6, now);
      UPSYNC_RETURN_IF_ERROR(feed->run());
      out.push_back(UpdateOutcome::kChanged);
    }
    if (seq != first_seq) {
      seq_w->bind(1, seq);
      seq_w->bind(2, tenant);
      UPSYNC_RETURN_IF_ERROR(seq_w->run());
    }
    return out;
  }

 private:
  SqliteDb& db_;
};

}  // namespace

Result<std::unique_ptr<ProfileBatchWriter>> open_profile_batch_writer(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  if (!sqlite) return failed_precondition("the bulk import's batch writer needs the SQLite store");
  return std::unique_ptr<ProfileBatchWriter>(new SqliteProfileBatchWriter(*sqlite));
}

}  // namespace upsync
