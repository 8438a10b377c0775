#include "store/postgres/pg_storage.h"

#include "backup/database_copy.h"
#include "store/postgres/pg_database_copy.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_store.h"

namespace upsync {

Result<std::unique_ptr<PgDb>> PgPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<PgDb> db = std::move(idle_.back());
      idle_.pop_back();
      return db;
    }
  }
  return PgDb::connect(url_, where_);
}

void PgPool::release(std::unique_ptr<PgDb> db) {
  if (!db || !db->healthy()) return;
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(db));
}

size_t PgPool::idle() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

Result<std::unique_ptr<Storage>> PostgresStorage::at_url(const std::string& url, std::string where,
                                                         bool create) {
  return std::unique_ptr<Storage>(
      new PostgresStorage(std::make_shared<PgPool>(url, std::move(where)), create));
}

Result<std::unique_ptr<Store>> PostgresStorage::connect() {
  UPSYNC_ASSIGN_OR_RETURN(std::unique_ptr<PgDb> db, pool_->acquire());
  auto store = std::make_unique<PgStore>(pool_, std::move(db));
  {
    std::lock_guard lock(mu_);
    if (!schema_checked_) {
      // A database indexed by an older tokenizer has its people search index made again.
      auto reindex = [&](int64_t from) {
        return from >= 1 && from < kPeopleSearchRetokenized ? store->rebuild_people_search()
                                                            : Status::ok();
      };
      UPSYNC_RETURN_IF_ERROR(pg_migrate(store->db(), create_,
                                        "no upsync data in " + pool_->where() +
                                            " (create a tenant first: upsync tenant create NAME)",
                                        reindex));
      schema_checked_ = true;
    }
  }
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<DatabaseCopy>> PostgresStorage::database_copy() {
  return std::unique_ptr<DatabaseCopy>(
      std::make_unique<PgDatabaseCopy>(pool_->url(), pool_->where()));
}

}  // namespace upsync
