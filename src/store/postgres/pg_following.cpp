// The PostgreSQL FollowingStore (src/sites/following.h): table follows, one row per follow
// (as sqlite_following.cpp).
#include "core/clock.h"
#include "sites/following.h"
#include "store/postgres/pg_store.h"

namespace upsync {
namespace {

class PgFollowingStore : public FollowingStore {
 public:
  explicit PgFollowingStore(PgStore& s) : store_(s), db_(s.db()) {}

  Result<FollowOutcome> follow(TenantId t, ProfileId follower, ProfileId followee) override {
    if (follower == followee) return invalid_argument("a person cannot follow themselves");
    FollowOutcome outcome = FollowOutcome::kFollowed;
    Status s = store_.in_transaction([&]() -> Status {
      outcome = FollowOutcome::kFollowed;  // the body may run again (a retried transaction)
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
      return db_
          .run(
              "INSERT INTO follows (tenant_id, follower_id, followee_id, seq, created_at) "
              "VALUES ($1, $2, $3, $4, $5)",
              {t, follower, followee, seq, utc_now_iso()})
          .status();
    });
    if (!s) return s;
    return outcome;
  }

  Result<bool> stop_following(TenantId t, ProfileId follower, ProfileId followee) override {
    UPSYNC_ASSIGN_OR_RETURN(const int64_t removed,
                            db_.run("DELETE FROM follows WHERE tenant_id = $1 AND follower_id = "
                                    "$2 AND followee_id = $3",
                                    {t, follower, followee}));
    return removed > 0;
  }

  Result<bool> is_following(TenantId t, ProfileId follower, ProfileId followee) override {
    // A person page asks on every view whether its viewer follows the person.
    UPSYNC_ASSIGN_OR_RETURN(ReadCache * cache, store_.read_cache());
    if (const bool* kept = cache ? cache->follows(t, follower, followee) : nullptr) return *kept;
    UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_.query("SELECT 1 FROM follows WHERE tenant_id = $1 "
                                                  "AND follower_id = $2 AND followee_id = $3",
                                                  {t, follower, followee}));
    if (cache) cache->keep_follows(t, follower, followee, r.rows() > 0);
    return r.rows() > 0;
  }

  Result<std::vector<ProfileId>> followed_by(TenantId t, ProfileId follower, int limit) override {
    return ids(
        "SELECT followee_id FROM follows WHERE tenant_id = $1 AND follower_id = $2 ORDER BY seq "
        "DESC LIMIT $3",
        t, follower, limit);
  }

  Result<std::vector<ProfileId>> followers_of(TenantId t, ProfileId followee, int limit) override {
    return ids(
        "SELECT follower_id FROM follows WHERE tenant_id = $1 AND followee_id = $2 ORDER BY seq "
        "DESC LIMIT $3",
        t, followee, limit);
  }

  Result<int64_t> count_followed_by(TenantId t, ProfileId follower) override {
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("SELECT count(*) FROM follows WHERE tenant_id = $1 AND follower_id = $2",
                  {t, follower}));
    return r.rows() > 0 ? r.int64(0, 0) : 0;
  }

 private:
  Result<std::vector<ProfileId>> ids(std::string_view sql, TenantId t, ProfileId id, int limit) {
    if (limit < 1) return invalid_argument("a list of follows needs a limit of at least 1");
    UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_.query(sql, {t, id, int64_t{limit}}));
    std::vector<ProfileId> out;
    out.reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.int64(i, 0));
    return out;
  }

  PgStore& store_;
  PgDb& db_;
};

}  // namespace

Result<std::unique_ptr<FollowingStore>> PgStore::following_store() {
  return std::unique_ptr<FollowingStore>(new PgFollowingStore(*this));
}

}  // namespace upsync
