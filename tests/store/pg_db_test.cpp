// PgDb (store/postgres/pg_db.h) against the tests' PostgreSQL server: parameters, the
// statement cache, errors as Status, nested transactions, retries, snapshots and COPY.
#include "store/postgres/pg_db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <thread>

#include "backup/database_copy.h"
#include "storage/open_storage.h"
#include "store/pg_test_server.h"
#include "store/postgres/pg_storage.h"

namespace upsync {
namespace {

using testing::PgTestServer;

class PgDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = PgTestServer::fresh_database_url();
    ASSERT_TRUE(url) << url.status().to_string();
    url_ = *url;
    db_ = connect();
    ASSERT_TRUE(db_);
    ASSERT_TRUE(db_->exec("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT, note TEXT)"));
  }

  std::unique_ptr<PgDb> connect() {
    auto db = PgDb::connect(url_, "the test database");
    EXPECT_TRUE(db) << db.status().to_string();
    return db ? std::move(*db) : nullptr;
  }

  int64_t count() { return *db_->query_int("SELECT count(*) FROM t"); }

  std::string url_;
  std::unique_ptr<PgDb> db_;
};

// Every connection runs without JIT compilation, which costs more than upsync's statements run.
TEST_F(PgDbTest, ConnectionsRunWithoutJit) {
  auto r = db_->query("SHOW jit");
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->text(0, 0), "off");
}

TEST_F(PgDbTest, ParametersTravelAsTextAndNull) {
  auto r = db_->query(
      "SELECT $1::text, $2::bigint, $3::text IS NULL, $4::boolean, $5::bigint, "
      "$6::float8",
      {"tab\there 'quoted' \\ é", int64_t{-9007199254740993}, std::nullopt, true, 7, 0.1});
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->text(0, 0), "tab\there 'quoted' \\ é");
  EXPECT_EQ(r->int64(0, 1), -9007199254740993);
  EXPECT_TRUE(r->boolean(0, 2));
  EXPECT_TRUE(r->boolean(0, 3));
  EXPECT_EQ(r->int64(0, 4), 7);
  EXPECT_DOUBLE_EQ(r->real(0, 5), 0.1);
  auto nulls = db_->query("SELECT NULL::text");
  ASSERT_TRUE(nulls);
  EXPECT_TRUE(nulls->is_null(0, 0));
  EXPECT_EQ(nulls->optional_text(0, 0), std::nullopt);
}

TEST_F(PgDbTest, StatementsArePreparedOncePerSqlText) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(db_->run("INSERT INTO t (k, n) VALUES ($1, $2)", {"k" + std::to_string(i), i}));
  }
  auto prepared = db_->query_int(
      "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO t %'");
  ASSERT_TRUE(prepared) << prepared.status().to_string();
  EXPECT_EQ(*prepared, 1);
  EXPECT_EQ(count(), 3);
  auto changed = db_->run("UPDATE t SET n = n + 1 WHERE n >= $1", {1});
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 2);
}

TEST_F(PgDbTest, ErrorsBecomeStatusesWithTheServersMessage) {
  ASSERT_TRUE(db_->run("INSERT INTO t (k) VALUES ($1)", {"a"}));
  auto dup = db_->run("INSERT INTO t (k) VALUES ($1)", {"a"});
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("duplicate key value violates unique constraint"),
            std::string::npos)
      << dup.status().message();
  EXPECT_NE(dup.status().message().find("Key (k)=(a) already exists"), std::string::npos)
      << dup.status().message();
  auto bad_number = db_->query("SELECT $1::bigint", {"twelve"});
  EXPECT_EQ(bad_number.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_number.status().message().find("twelve"), std::string::npos);
  auto typo = db_->query("SELEKT 1");
  EXPECT_EQ(typo.status().code(), StatusCode::kInternal);
  EXPECT_NE(typo.status().message().find("syntax error"), std::string::npos);
  EXPECT_EQ(db_->exec("INSERT INTO missing VALUES (1)").code(), StatusCode::kInternal);
  EXPECT_EQ(db_->query_int("SELECT n FROM t WHERE k = $1", {"none"}).status().code(),
            StatusCode::kNotFound);
  // The connection still works after each failure.
  EXPECT_EQ(count(), 1);
}

TEST_F(PgDbTest, ALostConnectionIsUnavailableAndNotPooledAgain) {
  auto other = connect();
  auto pid = db_->query_int("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid);
  ASSERT_TRUE(other->query("SELECT pg_terminate_backend($1::int)", {*pid}));
  auto after = db_->query("SELECT 1");
  EXPECT_EQ(after.status().code(), StatusCode::kUnavailable) << after.status().to_string();
  EXPECT_FALSE(db_->healthy());
  EXPECT_TRUE(other->healthy());
}

TEST_F(PgDbTest, NestedTransactionsAreSavepoints) {
  Status s = db_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(db_->run("INSERT INTO t (k) VALUES ('outer')").status());
    EXPECT_EQ(db_->transaction_depth(), 1);
    // A nested failure (here a unique violation, which aborts what it is in) rolls back only
    // its savepoint; the outer transaction goes on.
    Status inner = db_->in_transaction([&]() -> Status {
      EXPECT_EQ(db_->transaction_depth(), 2);
      UPSYNC_RETURN_IF_ERROR(db_->run("INSERT INTO t (k) VALUES ('inner')").status());
      return db_->run("INSERT INTO t (k) VALUES ('outer')").status();
    });
    EXPECT_EQ(inner.code(), StatusCode::kAlreadyExists);
    return db_->run("INSERT INTO t (k) VALUES ('after')").status();
  });
  ASSERT_TRUE(s) << s.to_string();
  auto keys = db_->query("SELECT string_agg(k, ',' ORDER BY k) FROM t");
  EXPECT_EQ(keys->text(0, 0), "after,outer");

  // An outer failure rolls everything back, nested work included.
  s = db_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(db_->in_transaction(
        [&] { return db_->run("INSERT INTO t (k) VALUES ('gone')").status(); }));
    return invalid_argument("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(count(), 2);
  EXPECT_EQ(db_->transaction_depth(), 0);
}

TEST_F(PgDbTest, AFailureIgnoredInsideATransactionFailsItsCommit) {
  Status s = db_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(db_->run("INSERT INTO t (k) VALUES ('kept?')").status());
    (void)db_->query("SELECT 1/0");  // its failure dropped: the server aborted the transaction
    return Status::ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("ignored"), std::string::npos) << s.message();
  EXPECT_EQ(count(), 0);
}

// A bulk transaction that grows a table from nothing refreshes the planner's statistics as it
// goes (PgDb::count_bulk_rows): the table's row estimate, as the transaction itself sees it,
// follows its rows, and a lookup by the whole primary key takes the primary key, not the
// shorter index that would read every row of the tenant (what made a full sync's time grow
// with the square of its users). The table has directory_users' keys and indexes. Each table
// is counted on its own: another table that grew first (a sync's earlier stages) does not put
// this one's refresh off, and an INSERT ... RETURNING counts (a profile's row is written so).
// Each refresh samples few rows (statistics target 10): the plans need the table's size.
TEST_F(PgDbTest, ABulkTransactionKeepsThePlannersStatisticsAsItsTablesGrow) {
  ASSERT_TRUE(
      db_->exec("CREATE TABLE users (tenant_id BIGINT NOT NULL, layer TEXT COLLATE \"C\" NOT NULL, "
                "object_id TEXT COLLATE \"C\" NOT NULL, upn_key TEXT COLLATE \"C\" NOT NULL, "
                "PRIMARY KEY (tenant_id, layer, object_id)); "
                "CREATE INDEX users_by_upn ON users (tenant_id, layer, upn_key)"));
  constexpr int kRows = 9000;
  std::string plan;
  double estimate = 0;
  int64_t buckets = 0;
  std::string target_after;
  ASSERT_TRUE(db_->exec("CREATE TABLE earlier (k BIGINT)"));
  Status s = db_->in_bulk_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(
        db_->run("INSERT INTO earlier SELECT generate_series(1, 30000)").status());
    for (int i = 0; i < kRows; ++i) {
      const std::string id = "object-" + std::to_string(i);
      UPSYNC_RETURN_IF_ERROR(db_->query("INSERT INTO users VALUES (1, 'cloud', $1, $2) RETURNING "
                                        "object_id",
                                        {id, id + "@contoso.com"})
                                 .status());
    }
    UPSYNC_ASSIGN_OR_RETURN(PgResult tuples,
                            db_->query("SELECT reltuples FROM pg_class WHERE relname = 'users'"));
    estimate = tuples.real(0, 0);
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult explained,
        db_->query("EXPLAIN SELECT upn_key FROM users WHERE tenant_id = 1 AND layer = 'cloud' "
                   "AND object_id = 'object-77'"));
    for (int i = 0; i < explained.rows(); ++i) plan += std::string(explained.text(i, 0)) + "\n";
    UPSYNC_ASSIGN_OR_RETURN(
        buckets, db_->query_int("SELECT array_length(histogram_bounds::text::text[], 1) FROM "
                                "pg_stats WHERE tablename = 'users' AND attname = 'upn_key'"));
    UPSYNC_ASSIGN_OR_RETURN(PgResult target, db_->query("SHOW default_statistics_target"));
    target_after = target.text(0, 0);
    return Status::ok();
  });
  ASSERT_TRUE(s) << s.to_string();
  // Refreshed at 1,000 rows, then at 2,000, 4,000 and 8,000: the last estimate counts at least
  // 8,000.
  EXPECT_GE(estimate, 8000) << plan;
  EXPECT_NE(plan.find("users_pkey"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("users_by_upn"), std::string::npos) << plan;
  // Sampled with a statistics target of 10 (a histogram of at most 11 bounds, 101 with the
  // default), which is the default again for the rest of the transaction.
  EXPECT_GT(buckets, 1);
  EXPECT_LE(buckets, 11);
  EXPECT_EQ(target_after, "100");
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM users"), kRows);
}

// Deferred writes (PgDb::run_deferred) go to the server with the transaction's next
// statement, in order, before it; outside a transaction a write runs at once.
TEST_F(PgDbTest, DeferredWritesGoWithTheNextStatementInOrder) {
  ASSERT_TRUE(db_->run_deferred("INSERT INTO t (k, n) VALUES ($1, $2)", {"outside", 1}));
  EXPECT_EQ(count(), 1) << "outside a transaction it ran at once";
  int64_t seen = -1;
  std::string last;
  Status s = db_->in_transaction([&]() -> Status {
    for (int i = 0; i < 300; ++i) {  // more than wait at once: some go before the SELECT
      UPSYNC_RETURN_IF_ERROR(db_->run_deferred("INSERT INTO t (k, n) VALUES ($1, $2)",
                                               {"k" + std::to_string(i), int64_t{i}}));
    }
    UPSYNC_RETURN_IF_ERROR(
        db_->run_deferred("UPDATE t SET note = 'after the inserts' WHERE n = $1", {299}));
    UPSYNC_ASSIGN_OR_RETURN(seen, db_->query_int("SELECT count(*) FROM t"));
    UPSYNC_ASSIGN_OR_RETURN(PgResult r, db_->query("SELECT note FROM t WHERE k = 'k299'"));
    last = r.text(0, 0);
    // The last ones go with the commit.
    return db_->run_deferred("INSERT INTO t (k, n) VALUES ('at commit', 0)");
  });
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(seen, 301);
  EXPECT_EQ(last, "after the inserts");
  EXPECT_EQ(count(), 302);
}

// A deferred write that fails is the failure of the statement that sends it (naming the
// write) and of its transaction: nothing of it stays. A rollback to a savepoint drops the
// writes deferred after it, unsent.
TEST_F(PgDbTest, AFailedDeferredWriteFailsItsTransactionAndARollbackDropsThem) {
  ASSERT_TRUE(db_->run("INSERT INTO t (k, n) VALUES ('taken', 1)"));
  Status failed_select;
  Status s = db_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(db_->run_deferred("INSERT INTO t (k, n) VALUES ('fine', 2)"));
    UPSYNC_RETURN_IF_ERROR(db_->run_deferred("INSERT INTO t (k, n) VALUES ('taken', 3)"));
    failed_select = db_->query("SELECT 1").status();
    return failed_select;
  });
  EXPECT_EQ(failed_select.code(), StatusCode::kAlreadyExists) << failed_select.to_string();
  EXPECT_NE(failed_select.message().find("a deferred write ('INSERT INTO t (k, n) VALUES "
                                         "('taken', 3)')"),
            std::string::npos)
      << failed_select.message();
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(count(), 1) << "the transaction was rolled back";

  // At the commit: the commit fails.
  s = db_->in_transaction(
      [&]() -> Status { return db_->run_deferred("INSERT INTO t (k, n) VALUES ('taken', 4)"); });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.to_string();
  EXPECT_EQ(count(), 1);

  // A savepoint rolled back takes its deferred writes with it; the transaction goes on.
  s = db_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(db_->run_deferred("INSERT INTO t (k, n) VALUES ('before', 5)"));
    Status inner = db_->in_transaction([&]() -> Status {
      UPSYNC_RETURN_IF_ERROR(db_->run_deferred("INSERT INTO t (k, n) VALUES ('dropped', 6)"));
      return invalid_argument("the nested body fails");
    });
    EXPECT_EQ(inner.code(), StatusCode::kInvalidArgument);
    return db_->run_deferred("INSERT INTO t (k, n) VALUES ('after', 7)");
  });
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM t WHERE k IN ('before', 'after')"), 2);
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM t WHERE k = 'dropped'"), 0);
}

// Rows of one PgRowsInsert (PgDb::insert_deferred) go as one statement with the transaction's
// next statement, up to 4,096 a statement, passing statements of other tables deferred between
// them; a statement that names their table keeps its place: rows deferred after it come after
// it. Outside a transaction a row is written at once.
TEST_F(PgDbTest, DeferredRowsGoAsOneInsertAndKeepTheirPlaceBesideTheirTable) {
  static constexpr PgRowsInsert kRow{
      .table = "t", .columns = "k, n, note", .types = "text, bigint, text"};
  static constexpr PgRowsInsert kRowUnlessThere{.table = "t",
                                                .columns = "k, n, note",
                                                .types = "text, bigint, text",
                                                .tail = "ON CONFLICT DO NOTHING"};
  ASSERT_TRUE(db_->exec(
      "CREATE TABLE other (n BIGINT); CREATE TABLE inserts (n BIGINT); INSERT INTO inserts "
      "VALUES (0); CREATE FUNCTION count_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "UPDATE inserts SET n = n + 1; RETURN NULL; END $$; CREATE TRIGGER counted AFTER INSERT "
      "ON t FOR EACH STATEMENT EXECUTE FUNCTION count_insert()"));
  ASSERT_TRUE(db_->insert_deferred(kRow, {"outside", 1, std::nullopt}));
  EXPECT_EQ(count(), 1) << "outside a transaction it ran at once";
  const std::string odd = "a \"quoted\" {braced}, back\\slash, NULL, é";
  Status s = db_->in_transaction([&]() -> Status {
    for (int i = 0; i < 5000; ++i) {
      UPSYNC_RETURN_IF_ERROR(db_->insert_deferred(
          kRow, {"k" + std::to_string(i), int64_t{i},
                 i % 2 ? PgParam(std::nullopt) : PgParam(odd + std::to_string(i))}));
      // Another table's statements do not hold the rows back.
      if (i % 100 == 0) UPSYNC_RETURN_IF_ERROR(db_->run_deferred("INSERT INTO other VALUES (1)"));
    }
    // Names t: the rows before it are written first, the rows after it after it.
    UPSYNC_RETURN_IF_ERROR(db_->run_deferred("UPDATE t SET note = 'updated' WHERE n >= 4990"));
    UPSYNC_RETURN_IF_ERROR(db_->insert_deferred(kRow, {"after the update", 4999, std::nullopt}));
    // Another statement of t: the same, and the rows of each keep their order.
    UPSYNC_RETURN_IF_ERROR(db_->insert_deferred(kRowUnlessThere, {"k7", 7, "not written"}));
    return db_->insert_deferred(kRow, {"last", 5000, "last"});
  });
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(count(), 5003);  // k7 was there already
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM other"), 50);
  EXPECT_EQ(*db_->query_int("SELECT n FROM inserts"), 1 + 2 + 3)
      << "outside; 5,000 rows in two statements; the rows after the update in three";
  auto r = db_->query(
      "SELECT note FROM t WHERE k IN ('k4990', 'k4991', 'after the update', "
      "'k7', 'k10', 'k11') ORDER BY k");
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ(r->rows(), 6);
  EXPECT_TRUE(r->is_null(0, 0)) << "'after the update' came after it";
  EXPECT_EQ(r->text(1, 0), odd + "10");
  EXPECT_TRUE(r->is_null(2, 0));
  EXPECT_EQ(r->text(3, 0), "updated");
  EXPECT_EQ(r->text(4, 0), "updated");
  EXPECT_TRUE(r->is_null(5, 0)) << "k7 was there: not written again";
}

// A row that fails fails its statement's transaction, naming the statement; nothing of it
// stays. A row of the wrong width is refused before anything is sent.
TEST_F(PgDbTest, AFailedDeferredRowFailsItsTransaction) {
  static constexpr PgRowsInsert kRow{.table = "t", .columns = "k, n", .types = "text, bigint"};
  ASSERT_TRUE(db_->run("INSERT INTO t (k, n) VALUES ('taken', 1)"));
  Status s = db_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(db_->insert_deferred(kRow, {"fine", 2}));
    return db_->insert_deferred(kRow, {"taken", 3});
  });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.to_string();
  EXPECT_NE(
      s.message().find("a deferred write ('INSERT INTO t (k, n) SELECT * FROM unnest($1::text[], "
                       "$2::bigint[])')"),
      std::string::npos)
      << s.message();
  EXPECT_EQ(count(), 1);
  s = db_->in_transaction([&]() -> Status { return db_->insert_deferred(kRow, {"narrow"}); });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "a row of 1 values for the 2 columns of t");
  EXPECT_EQ(count(), 1);
}

TEST_F(PgDbTest, CommitHooksRunAroundTheOutermostTransaction) {
  std::vector<std::string> events;
  db_->set_before_commit([&] {
    events.push_back("before");
    return db_->run("INSERT INTO t (k) VALUES ('from the hook')").status();
  });
  db_->set_after_end([&](bool committed) { events.push_back(committed ? "committed" : "ended"); });
  ASSERT_TRUE(
      db_->in_transaction([&] { return db_->in_transaction([] { return Status::ok(); }); }));
  EXPECT_EQ(events, (std::vector<std::string>{"before", "committed"}));
  EXPECT_EQ(count(), 1);
  events.clear();
  // A failing hook rolls the transaction back.
  db_->set_before_commit([] { return failed_precondition("no"); });
  Status s =
      db_->in_transaction([&] { return db_->run("INSERT INTO t (k) VALUES ('x')").status(); });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(events, (std::vector<std::string>{"ended"}));
  EXPECT_EQ(count(), 1);
  db_->set_before_commit(nullptr);
  db_->set_after_end(nullptr);
}

TEST_F(PgDbTest, DeadlocksAreRetriedAsAWholeTransaction) {
  ASSERT_TRUE(db_->exec("INSERT INTO t (k, n) VALUES ('a', 0), ('b', 0)"));
  // Two transactions lock a and b in opposite orders, meeting in the middle: PostgreSQL
  // aborts one (deadlock_detected), and in_transaction runs it again, which then succeeds.
  std::barrier meet(2);
  std::atomic<int> attempts{0};
  auto worker = [&](std::string first, std::string second) {
    auto db = connect();
    bool first_attempt = true;
    Status s = db->in_transaction([&]() -> Status {
      ++attempts;
      UPSYNC_RETURN_IF_ERROR(db->run("UPDATE t SET n = n + 1 WHERE k = $1", {first}).status());
      if (first_attempt) {
        first_attempt = false;
        meet.arrive_and_wait();
      }
      return db->run("UPDATE t SET n = n + 1 WHERE k = $1", {second}).status();
    });
    EXPECT_TRUE(s) << s.to_string();
  };
  std::thread one(worker, "a", "b");
  std::thread two(worker, "b", "a");
  one.join();
  two.join();
  // At least one retry; more when the retry meets the other transaction again before it has
  // taken its second row (a busy machine schedules them so).
  EXPECT_GE(attempts, 3);
  EXPECT_EQ(*db_->query_int("SELECT sum(n) FROM t"), 4);
}

TEST_F(PgDbTest, ReadSnapshotsSeeOneStateUntilAWrite) {
  ASSERT_TRUE(db_->run("INSERT INTO t (k) VALUES ('first')"));
  auto other = connect();
  ASSERT_TRUE(db_->begin_snapshot());
  EXPECT_TRUE(db_->in_snapshot());
  EXPECT_EQ(count(), 1);
  ASSERT_TRUE(other->run("INSERT INTO t (k) VALUES ('second')"));
  EXPECT_EQ(count(), 1);  // the snapshot's state
  // A write ends the snapshot first; the reads after it see the latest state.
  ASSERT_TRUE(db_->run("INSERT INTO t (k) VALUES ('third')"));
  EXPECT_FALSE(db_->in_snapshot());
  EXPECT_EQ(count(), 3);
  // The snapshot's BEGIN goes with its first read: one that read nothing sent nothing, and
  // the connection is idle after either.
  ASSERT_TRUE(db_->begin_snapshot());
  ASSERT_TRUE(db_->end_snapshot());
  EXPECT_TRUE(db_->healthy());
  ASSERT_TRUE(db_->begin_snapshot());
  EXPECT_EQ(count(), 3);
  ASSERT_TRUE(other->run("INSERT INTO t (k) VALUES ('fourth')"));
  EXPECT_EQ(count(), 3);
  ASSERT_TRUE(db_->end_snapshot());
  EXPECT_TRUE(db_->healthy());
  EXPECT_EQ(count(), 4);
}

// A snapshot's COMMIT is sent, not waited for: the transaction ends on the server at once (no
// connection stays idle in a transaction, holding back vacuum), the connection counts as
// healthy for the pool meanwhile, and whatever the connection sends next reads its answer
// first: a statement, a new statement's preparation, a script, deferred writes and a COPY.
TEST_F(PgDbTest, ASnapshotsCommitEndsItAtOnceAndTheNextUseReadsItsAnswer) {
  auto other = connect();
  auto pid = db_->query_int("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid);
  auto state = [&]() -> std::string {
    auto r = other->query("SELECT state FROM pg_stat_activity WHERE pid = $1::int", {*pid});
    return r && r->rows() == 1 ? std::string(r->text(0, 0)) : "?";
  };
  auto read_then_end = [&] {
    ASSERT_TRUE(db_->begin_snapshot());
    EXPECT_TRUE(db_->query("SELECT count(*) FROM t"));
    ASSERT_TRUE(db_->end_snapshot());
    EXPECT_TRUE(db_->healthy());
  };
  read_then_end();
  std::string seen = state();
  for (int i = 0; i < 500 && seen != "idle"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = state();
  }
  EXPECT_EQ(seen, "idle");
  EXPECT_EQ(count(), 0);
  read_then_end();  // its BEGIN goes out with its first read, after the last COMMIT's answer
  read_then_end();
  EXPECT_TRUE(db_->query("SELECT count(*) + 1 FROM t"));  // a statement not prepared yet
  read_then_end();
  EXPECT_TRUE(db_->exec("SET application_name = 'after a snapshot'"));
  read_then_end();
  Status s = db_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(db_->run_deferred("INSERT INTO t (k) VALUES ('deferred')"));
    return db_->query("SELECT 1").status();
  });
  EXPECT_TRUE(s) << s.to_string();
  read_then_end();
  auto copied =
      db_->copy_in("COPY t (k) FROM STDIN", [](PgCopyIn& copy) { return copy.row({"copied"}); });
  ASSERT_TRUE(copied) << copied.status().to_string();
  EXPECT_EQ(count(), 2);
  EXPECT_EQ(*db_->query_int("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int AND "
                            "state = 'idle in transaction'",
                            {*pid}),
            0);
}

// The server going away while a snapshot's COMMIT is unanswered: the next use says the
// connection is lost, and the pool would not take it back.
TEST_F(PgDbTest, ALostConnectionAfterASnapshotsCommitIsUnavailable) {
  auto other = connect();
  auto pid = db_->query_int("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid);
  ASSERT_TRUE(db_->begin_snapshot());
  EXPECT_EQ(count(), 0);
  ASSERT_TRUE(db_->end_snapshot());
  ASSERT_TRUE(other->query("SELECT pg_terminate_backend($1::int)", {*pid}));
  auto after = db_->query("SELECT 1");
  EXPECT_EQ(after.status().code(), StatusCode::kUnavailable) << after.status().to_string();
  EXPECT_FALSE(db_->healthy());
}

TEST_F(PgDbTest, CopyWritesRowsWithEveryCharacterAndNull) {
  const std::vector<std::string> awkward = {"tab\t",    "new\nline", "back\\slash", "\\N", "cr\r",
                                            "é ü 日本", ""};
  auto copied = db_->copy_in("COPY t (k, n, note) FROM STDIN", [&](PgCopyIn& copy) -> Status {
    for (size_t i = 0; i < awkward.size(); ++i) {
      UPSYNC_RETURN_IF_ERROR(copy.row({awkward[i], static_cast<int64_t>(i), std::nullopt}));
    }
    // Enough rows to be sent in several pieces.
    for (int i = 0; i < 20000; ++i) {
      UPSYNC_RETURN_IF_ERROR(copy.row({"row " + std::to_string(i), i, std::string(40, 'x')}));
    }
    return Status::ok();
  });
  ASSERT_TRUE(copied) << copied.status().to_string();
  EXPECT_EQ(*copied, 20000 + static_cast<int64_t>(awkward.size()));
  for (size_t i = 0; i < awkward.size(); ++i) {
    auto r = db_->query("SELECT k, note IS NULL FROM t WHERE n = $1 AND k NOT LIKE 'row %'",
                        {static_cast<int64_t>(i)});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->rows(), 1) << i;
    EXPECT_EQ(r->text(0, 0), awkward[i]);
    EXPECT_TRUE(r->boolean(0, 1));
  }
}

TEST_F(PgDbTest, AFailedCopyLeavesNothingAndTheConnectionWorks) {
  // The writer's own failure.
  auto stopped = db_->copy_in("COPY t (k) FROM STDIN", [&](PgCopyIn& copy) -> Status {
    UPSYNC_RETURN_IF_ERROR(copy.row({"one"}));
    return invalid_argument("record 2 is bad");
  });
  EXPECT_EQ(stopped.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(stopped.status().message(), "record 2 is bad");
  // The server's: a duplicate key inside the copy.
  auto refused = db_->copy_in("COPY t (k) FROM STDIN", [&](PgCopyIn& copy) -> Status {
    UPSYNC_RETURN_IF_ERROR(copy.row({"same"}));
    return copy.row({"same"});
  });
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(count(), 0);
  auto bad_sql = db_->copy_in("COPY nowhere FROM STDIN", [](PgCopyIn&) { return Status::ok(); });
  EXPECT_EQ(bad_sql.status().code(), StatusCode::kInternal);
  EXPECT_EQ(count(), 0);
}

TEST(PgConnectTest, AFailedConnectionNamesWhereWithoutThePassword) {
  // Nothing listens on port 1.
  auto storage = open_storage({.url = "postgresql://upsync:s3cret-pw@127.0.0.1:1/upsync?"
                                      "password=other-s3cret&connect_timeout=2",
                               .data_dir = "",
                               .create = true});
  ASSERT_TRUE(storage) << storage.status().to_string();
  EXPECT_EQ((*storage)->backend(), "postgresql");
  EXPECT_EQ((*storage)->where().find("s3cret"), std::string::npos) << (*storage)->where();
  auto store = (*storage)->connect();
  ASSERT_FALSE(store);
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store.status().message().find("s3cret"), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("127.0.0.1:1"), std::string::npos)
      << store.status().message();
  auto bad = open_storage({.url = "postgresql:upsync", .data_dir = "", .create = true});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  // A backup's copy of it fails as the connection does, without the password, leaving no file.
  auto copy = (*storage)->database_copy();
  ASSERT_TRUE(copy) << copy.status().to_string();
  testing::TempDir dir;
  const std::string dest = (dir.path() / "copy.dump").string();
  auto facts = (*copy)->copy_to(dest);
  EXPECT_EQ(facts.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(facts.status().message().find("s3cret"), std::string::npos) << facts.status().message();
  EXPECT_FALSE(std::filesystem::exists(dest));
}

}  // namespace
}  // namespace upsync

namespace upsync {
namespace {

TEST(PgStorageTest, StoresGetConnectionsOfTheirOwnAndGiveThemBackToThePool) {
  auto url = testing::PgTestServer::fresh_database_url();
  ASSERT_TRUE(url) << url.status().to_string();
  auto storage = open_storage({.url = *url, .data_dir = "", .create = true});
  ASSERT_TRUE(storage) << storage.status().to_string();
  auto a = (*storage)->connect();
  auto b = (*storage)->connect();
  ASSERT_TRUE(a && b);
  // Two Stores at once: two connections, each with its own transaction.
  ASSERT_TRUE((*a)->create_tenant({.name = "contoso"}));
  Status s = (*a)->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR((*a)->create_tenant({.name = "fabrikam"}).status());
    // Not committed yet: the other connection does not see it.
    auto seen = (*b)->tenant("fabrikam");
    return seen ? internal_error("another connection saw an uncommitted tenant") : Status::ok();
  });
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_TRUE((*b)->tenant("fabrikam"));
  // A Store's connection goes back to the pool when the Store goes, and the next one takes it.
  auto* pg = dynamic_cast<PostgresStorage*>(storage->get());
  ASSERT_NE(pg, nullptr);
  EXPECT_EQ(pg->pool().idle(), 0u);
  a->reset();
  EXPECT_EQ(pg->pool().idle(), 1u);
  auto c = (*storage)->connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(pg->pool().idle(), 0u);
  EXPECT_EQ((*c)->tenants()->size(), 2u);
  // A Store may outlive its Storage: it holds the pool it gives its connection back to.
  storage->reset();
  EXPECT_EQ((*b)->tenants()->size(), 2u);
}

}  // namespace
}  // namespace upsync
