// The SQLite FollowingStore (src/sites/following.h): table follows, one row per follow.
#include "core/clock.h"
#include "sites/following.h"
#include "store/sqlite/sqlite_store.h"

namespace upsync {
namespace {

class SqliteFollowingStore : public FollowingStore {
 public:
  explicit SqliteFollowingStore(SqliteStore& s) : store_(s), db_(s.db()) {}

  Result<FollowOutcome> follow(TenantId t, ProfileId follower, ProfileId followee) override {
    if (follower == followee) return invalid_argument("a person cannot follow themselves");
    FollowOutcome outcome = FollowOutcome::kFollowed;
    Status s = store_.in_transaction([&]() -> Status {
      for (ProfileId id : {follower, followee}) {
        UPSYNC_ASSIGN_OR_RETURN(auto p,
                                store_.find_profile(t, {ProfileKeyKind::kId, std::to_string(id)}));
        if (!p) return not_found("no profile with id '" + std::to_string(id) + "'");
      }
      UPSYNC_ASSIGN_OR_RETURN(bool already, is_following(t, follower, followee));
      if (already) {
        outcome = FollowOutcome::kAlreadyFollowing;
        return Status::ok();
      }
      UPSYNC_ASSIGN_OR_RETURN(int64_t count, count_followed_by(t, follower));
      if (count >= kMaxFollowedPeople) {
        outcome = FollowOutcome::kLimitReached;
        return Status::ok();
      }
      // The tenant's counter orders follows without a change-feed entry: following is not
      // part of any synced store.
      UPSYNC_ASSIGN_OR_RETURN(int64_t seq, store_.next_seq(t));
      UPSYNC_ASSIGN_OR_RETURN(auto* ins,
                              db_.prepare("INSERT INTO follows (tenant_id, follower_id, "
                                          "followee_id, seq, created_at) VALUES (?, ?, ?, ?, ?)"));
      ins->bind(1, t);
      ins->bind(2, follower);
      ins->bind(3, followee);
      ins->bind(4, seq);
      ins->bind(5, utc_now_iso());
      return ins->run();
    });
    if (!s) return s;
    return outcome;
  }

  Result<bool> stop_following(TenantId t, ProfileId follower, ProfileId followee) override {
    UPSYNC_ASSIGN_OR_RETURN(auto* del, db_.prepare("DELETE FROM follows WHERE tenant_id = ? AND "
                                                   "follower_id = ? AND followee_id = ?"));
    del->bind(1, t);
    del->bind(2, follower);
    del->bind(3, followee);
    UPSYNC_RETURN_IF_ERROR(del->run());
    return db_.changes() > 0;
  }

  Result<bool> is_following(TenantId t, ProfileId follower, ProfileId followee) override {
    // A person page asks on every view whether its viewer follows the person.
    UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, store_.read_cache());
    if (const bool* kept = cache ? cache->follows(t, follower, followee) : nullptr) return *kept;
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_.prepare("SELECT 1 FROM follows WHERE tenant_id = ? AND "
                                                 "follower_id = ? AND followee_id = ?"));
    q->bind(1, t);
    q->bind(2, follower);
    q->bind(3, followee);
    UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
    q->reset();
    if (cache) cache->keep_follows(t, follower, followee, row);
    return row;
  }

  Result<std::vector<ProfileId>> followed_by(TenantId t, ProfileId follower, int limit) override {
    return ids(
        "SELECT followee_id FROM follows WHERE tenant_id = ? AND follower_id = ? "
        "ORDER BY seq DESC LIMIT ?",
        t, follower, limit);
  }

  Result<std::vector<ProfileId>> followers_of(TenantId t, ProfileId followee, int limit) override {
    return ids(
        "SELECT follower_id FROM follows WHERE tenant_id = ? AND followee_id = ? "
        "ORDER BY seq DESC LIMIT ?",
        t, followee, limit);
  }

  Result<int64_t> count_followed_by(TenantId t, ProfileId follower) override {
    UPSYNC_ASSIGN_OR_RETURN(
        auto* q,
        db_.prepare("SELECT count(*) FROM follows WHERE tenant_id = ? AND follower_id = ?"));
    q->bind(1, t);
    q->bind(2, follower);
    UPSYNC_ASSIGN_OR_RETURN(bool row, q->step());
    const int64_t n = row ? q->column_int(0) : 0;
    q->reset();
    return n;
  }

 private:
  Result<std::vector<ProfileId>> ids(std::string_view sql, TenantId t, ProfileId id, int limit) {
    if (limit < 1) return invalid_argument("a list of follows needs a limit of at least 1");
    UPSYNC_ASSIGN_OR_RETURN(auto* q, db_.prepare(sql));
    q->bind(1, t);
    q->bind(2, id);
    q->bind(3, int64_t{limit});
    std::vector<ProfileId> out;
    while (true) {
      auto row = q->step();
      if (!row) {
        q->reset();
        return row.status();
      }
      if (!*row) break;
      out.push_back(q->column_int(0));
    }
    q->reset();
    return out;
  }

  SqliteStore& store_;
  SqliteDb& db_;
};

}  // namespace

Status SqliteStore::delete_follows_of(TenantId tenant, ProfileId id) {
  UPSYNC_ASSIGN_OR_RETURN(auto* del, db_->prepare("DELETE FROM follows WHERE tenant_id = ? AND "
                                                  "(follower_id = ? OR followee_id = ?)"));
  del->bind(1, tenant);
  del->bind(2, id);
  del->bind(3, id);
  return del->run();
}

Result<std::unique_ptr<FollowingStore>> SqliteStore::following_store() {
  return std::unique_ptr<FollowingStore>(new SqliteFollowingStore(*this));
}

}  // namespace upsync
