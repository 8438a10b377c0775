// The SQLite ProfileBatchWriter of the bulk import (src/bulkimport/profile_writer.h): one
// indexed SELECT and one write of the profile's custom row (profile_custom, the import writes
// only custom properties) per profile, the stored document patched in place
// (patch_single_values) rather than decoded and encoded, and one change-feed entry per
// changed profile, written by multi-row INSERTs; sequence numbers come from the store's
// per-transaction counter, like every other write.
#include <algorithm>
#include <optional>

#include "bulkimport/profile_writer.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/batch_writer_rules.h"
#include "store/profile_codec.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

class SqliteProfileBatchWriter : public ProfileBatchWriter {
 public:
  explicit SqliteProfileBatchWriter(SqliteStore& store) : store_(store), db_(store.db()) {}

  // A bulk job touches many pages: a larger page cache, and a checkpoint of the WAL into the
  // database (two fsyncs each) every kCheckpointPages written pages rather than SQLite's
  // default 1000, while the writer lives; both restored after. Durability settings
  // (journal_mode, synchronous) stay as the store set them: each commit is durable as before.
  Status tune() {
    UPSYNC_ASSIGN_OR_RETURN(auto cache, db_.larger_cache(kCacheKiB));
    cache_.emplace(std::move(cache));
    UPSYNC_ASSIGN_OR_RETURN(saved_checkpoint_, db_.query_int("PRAGMA wal_autocheckpoint"));
    return db_.exec("PRAGMA wal_autocheckpoint = " + std::to_string(kCheckpointPages));
  }
  ~SqliteProfileBatchWriter() override {
    if (saved_checkpoint_ == 0) return;
    // Best effort: the connection works with either setting.
    (void)db_.exec("PRAGMA wal_autocheckpoint = " + std::to_string(saved_checkpoint_));
  }

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
        auto* find, db_.prepare("SELECT p.id, c.props FROM profiles p LEFT JOIN profile_custom c "
                                "ON c.id = p.id WHERE p.tenant_id = ? AND p." +
                                column + " = ? ORDER BY p.id LIMIT 1"));
    const std::string now = utc_now_iso();

    changes_.clear();
    rules_.reset();
    std::vector<UpdateOutcome> out;
    out.reserve(updates.size());
    std::string key, props;
    for (const ProfileUpdate& u : updates) {
      key = u.key;
      for (char& c : key) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      find->bind(1, tenant);
      find->bind(2, key);
      UPSYNC_ASSIGN_OR_RETURN(bool found, find->step());
      if (!found) {
        find->reset();
        out.push_back(UpdateOutcome::kNotFound);
        continue;
      }
      const ProfileId id = find->column_int(0);
      if (!rules_.quick_path(u, schema)) {
        // A default property of the catalog (e.g. SPS-HireDate) lives in the profile's row
        // in profiles, and multi-value ones are checked as a whole: the store's own update
        // writes them, with the change-feed entry.
        find->reset();
        UPSYNC_ASSIGN_OR_RETURN(const UpdateOutcome o,
                                BatchWriterRules::update_through_store(store_, tenant, id, u));
        out.push_back(o);
        continue;
      }
      const std::string_view stored = find->column_is_null(1) ? "{}" : find->column_text(1);
      // Patched in place when the stored document allows it; otherwise decoded and encoded.
      std::optional<bool> changed = patch_single_values(stored, u.values, props);
      if (!changed) {
        auto decoded = decode_properties(stored);
        if (!decoded) {
          find->reset();
          return decoded.status();
        }
        changed = BatchWriterRules::set_single_values(*decoded, u.values);
        props = encode_properties(*decoded, schema);
      }
      find->reset();
      if (!*changed) {
        out.push_back(UpdateOutcome::kUnchanged);
        continue;
      }
      UPSYNC_ASSIGN_OR_RETURN(const int64_t seq, store_.next_seq(tenant));
      UPSYNC_RETURN_IF_ERROR(store_.write_custom_row(id, props == "{}" ? "" : props, seq, now));
      changes_.emplace_back(seq, id);
      if (changes_.size() == kFeedRows) UPSYNC_RETURN_IF_ERROR(flush_changes(tenant, now));
      out.push_back(UpdateOutcome::kChanged);
    }
    UPSYNC_RETURN_IF_ERROR(flush_changes(tenant, now));
    return out;
  }

 private:
  static constexpr int64_t kCacheKiB = 16 * 1024;
  static constexpr int64_t kCheckpointPages = 16 * 1024;
  // Change-feed entries go in by kFeedRows per INSERT.
  static constexpr size_t kFeedRows = 128;

  // Writes the buffered change-feed entries: one multi-row INSERT per kFeedRows entries, and
  // one of fewer rows for the rest.
  Status flush_changes(TenantId tenant, const std::string& now) {
    if (changes_.empty()) return Status::ok();
    std::string sql =
        "INSERT INTO change_feed (tenant_id, feed, seq, object_id, op, changed_at) VALUES ";
    for (size_t i = 0; i < changes_.size(); ++i) {
      sql += i ? ",(?1,?2,?" : "(?1,?2,?";
      sql += std::to_string(5 + 2 * i);
      sql += ",?";
      sql += std::to_string(6 + 2 * i);
      sql += ",?3,?4)";
    }
    UPSYNC_ASSIGN_OR_RETURN(auto* ins, db_.prepare(sql));
    ins->bind(1, tenant);
    ins->bind(2, kProfilesFeed);
    ins->bind(3, static_cast<int64_t>(ChangeOp::kUpsert));
    ins->bind(4, now);
    for (size_t i = 0; i < changes_.size(); ++i) {
      ins->bind(static_cast<int>(5 + 2 * i), changes_[i].first);
      ins->bind(static_cast<int>(6 + 2 * i), std::to_string(changes_[i].second));
    }
    changes_.clear();
    return ins->run();
  }

  SqliteStore& store_;
  SqliteDb& db_;
  std::vector<std::pair<int64_t, ProfileId>> changes_;  // (seq, profile) not yet in the feed
  BatchWriterRules rules_;
  std::optional<SqliteDb::LargerCache> cache_;
  int64_t saved_checkpoint_ = 0;
};

}  // namespace

Result<std::unique_ptr<ProfileBatchWriter>> SqliteStore::profile_batch_writer() {
  auto writer = std::make_unique<SqliteProfileBatchWriter>(*this);
  UPSYNC_RETURN_IF_ERROR(writer->tune());
  return std::unique_ptr<ProfileBatchWriter>(std::move(writer));
}

}  // namespace upsync
