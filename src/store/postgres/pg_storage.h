// PostgresStorage: the PostgreSQL backend's Storage (store/storage.h), for URLs
// postgresql://... and postgres://... (libpq's connection URIs: user, password, host or a
// socket folder in ?host=, port, database, and libpq's parameters such as sslmode).
//
// The process keeps a small pool of connections (PgPool): connect() hands each Store a
// connection of its own, from the pool when one is idle, and the Store gives it back when it
// goes; a connection that was lost, or is still in a transaction, is closed instead. The first
// connect() brings the database to this build's schema (pg_schema.h).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/pg_db.h"
#include "store/storage.h"

namespace upsync {

class PgPool {
 public:
  PgPool(std::string url, std::string where) : url_(std::move(url)), where_(std::move(where)) {}

  // An idle connection, or a new one.
  Result<std::unique_ptr<PgDb>> acquire();
  // Takes `db` back: kept for the next acquire() when it is healthy and fewer than kMaxIdle
  // are kept, closed otherwise.
  void release(std::unique_ptr<PgDb> db);
  static constexpr size_t kMaxIdle = 16;

  const std::string& where() const { return where_; }
  const std::string& url() const { return url_; }  // with its password: for connections only
  size_t idle() const;

 private:
  const std::string url_;
  const std::string where_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<PgDb>> idle_;
};

class PostgresStorage : public Storage {
 public:
  // `url` is the whole URL (postgresql://...); `where` the same without its password.
  static Result<std::unique_ptr<Storage>> at_url(const std::string& url, std::string where,
                                                 bool create);

  std::string_view backend() const override { return "postgresql"; }
  std::string where() const override { return pool_->where(); }
  Result<std::unique_ptr<Store>> connect() override;
  // pg_dump and pg_restore (pg_database_copy.h).
  Result<std::unique_ptr<DatabaseCopy>> database_copy() override;

  PgPool& pool() { return *pool_; }

 private:
  PostgresStorage(std::shared_ptr<PgPool> pool, bool create)
      : pool_(std::move(pool)), create_(create) {}

  std::shared_ptr<PgPool> pool_;
  bool create_;
  std::mutex mu_;
  bool schema_checked_ = false;  // the first connect() brought the schema up to date
};

}  // namespace upsync
