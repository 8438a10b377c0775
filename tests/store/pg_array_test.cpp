// pg_array.h's arrays, sent in binary form, against the tests' PostgreSQL server: every
// character, NULL, the empty array and bigint's extremes arrive as given; an array of the wrong
// element type and text that is not UTF-8 are refused with the server's message, and the
// connection goes on. A deferred insert's columns (pg_db.h insert_deferred) travel the same way.
#include "store/postgres/pg_array.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "store/pg_test_server.h"

namespace upsync {
namespace {

using testing::PgTestServer;

class PgArrayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = PgTestServer::fresh_database_url();
    ASSERT_TRUE(url) << url.status().to_string();
    auto db = PgDb::connect(*url, "the test database");
    ASSERT_TRUE(db) << db.status().to_string();
    db_ = std::move(*db);
  }

  // The elements of the array parameter as the server reads them back, in order ("NULL" for
  // NULL).
  std::vector<std::string> read_back(const PgParam& array, std::string_view type) {
    auto r = db_->query("SELECT v::text, v IS NULL FROM unnest($1::" + std::string(type) +
                            "[]) WITH ORDINALITY AS a(v, n) ORDER BY n",
                        {array});
    EXPECT_TRUE(r) << r.status().to_string();
    std::vector<std::string> out;
    for (int i = 0; r && i < r->rows(); ++i) {
      out.push_back(r->text(i, 1) == "t" ? "NULL" : std::string(r->text(i, 0)));
    }
    return out;
  }

  std::unique_ptr<PgDb> db_;
};

TEST_F(PgArrayTest, TextArraysArriveAsGivenWhateverTheyHold) {
  const std::vector<std::string> values = {"",
                                           "plain",
                                           "a \"quoted\" {braced}, back\\slash",
                                           "NULL",
                                           "é ü 日本 🙂",
                                           "{}",
                                           "\t\n ",
                                           std::string(100000, 'x')};
  EXPECT_EQ(read_back(pg_text_array(values), "text"), values);
  const std::vector<std::optional<std::string>> with_nulls = {"a", std::nullopt, "", std::nullopt};
  EXPECT_EQ(read_back(pg_text_array(with_nulls), "text"),
            (std::vector<std::string>{"a", "NULL", "", "NULL"}));
  auto none =
      db_->query_int("SELECT cardinality($1::text[])", {pg_text_array(std::vector<std::string>{})});
  ASSERT_TRUE(none) << none.status().to_string();
  EXPECT_EQ(*none, 0);
}

TEST_F(PgArrayTest, BigintArraysArriveAsGiven) {
  const std::vector<int64_t> values = {0,
                                       1,
                                       -1,
                                       4294967296,
                                       -4294967297,
                                       std::numeric_limits<int64_t>::min(),
                                       std::numeric_limits<int64_t>::max()};
  std::vector<std::string> texts;
  for (const int64_t v : values) texts.push_back(std::to_string(v));
  EXPECT_EQ(read_back(pg_bigint_array(values), "bigint"), texts);
  auto none =
      db_->query_int("SELECT cardinality($1::bigint[])", {pg_bigint_array(std::vector<int64_t>{})});
  ASSERT_TRUE(none) << none.status().to_string();
  EXPECT_EQ(*none, 0);
}

TEST_F(PgArrayTest, TheWrongElementTypeAndTextThatIsNotUtf8AreRefusedByTheServer) {
  auto r = db_->query("SELECT cardinality($1::bigint[])",
                      {pg_text_array(std::vector<std::string>{"1"})});
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("binary data has array element type 25 (text) instead of "
                                      "expected 20 (bigint)"),
            std::string::npos)
      << r.status().to_string();
  for (const std::string& bad : {std::string("\xff\xfe"), std::string("a\0b", 3)}) {
    r = db_->query("SELECT cardinality($1::text[])",
                   {pg_text_array(std::vector<std::string>{bad})});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().to_string();
    EXPECT_NE(r.status().message().find("invalid byte sequence for encoding \"UTF8\""),
              std::string::npos)
        << r.status().to_string();
  }
  auto one = db_->query_int("SELECT 1");
  ASSERT_TRUE(one) << one.status().to_string();
  EXPECT_EQ(*one, 1);
}

// A deferred insert's text and bigint columns go as binary arrays; a bigint column given text
// that is not a whole number goes as text for the server to refuse with its own message.
TEST_F(PgArrayTest, DeferredRowsTravelAsArraysAndABadNumberIsTheServersToRefuse) {
  static constexpr PgRowsInsert kRow{.table = "t", .columns = "k, n", .types = "text, bigint"};
  ASSERT_TRUE(db_->exec("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT)"));
  Status s = db_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(
        db_->insert_deferred(kRow, {"min", std::numeric_limits<int64_t>::min()}));
    UPSYNC_RETURN_IF_ERROR(db_->insert_deferred(kRow, {"none", std::nullopt}));
    return db_->insert_deferred(kRow, {"text", "42"});
  });
  ASSERT_TRUE(s) << s.to_string();
  auto r = db_->query("SELECT k, n::text, n IS NULL FROM t ORDER BY k");
  ASSERT_TRUE(r) << r.status().to_string();
  ASSERT_EQ(r->rows(), 3);
  EXPECT_EQ(r->text(0, 1), "-9223372036854775808");
  EXPECT_EQ(r->text(1, 2), "t");
  EXPECT_EQ(r->text(2, 1), "42");
  s = db_->in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(db_->insert_deferred(kRow, {"fine", 1}));
    return db_->insert_deferred(kRow, {"bad", "12 monkeys"});
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("invalid input syntax for type bigint: \"12 monkeys\""),
            std::string::npos)
      << s.message();
  auto n = db_->query_int("SELECT count(*) FROM t");
  ASSERT_TRUE(n) << n.status().to_string();
  EXPECT_EQ(*n, 3) << "nothing of the failed transaction stays";
}

}  // namespace
}  // namespace upsync
