#include "core/status.h"

#include <gtest/gtest.h>

namespace upsync {
namespace {

Result<int> half(int v) {
  if (v % 2) return invalid_argument("odd: " + std::to_string(v));
  return v / 2;
}

Result<int> quarter(int v) {
  UPSYNC_ASSIGN_OR_RETURN(int h, half(v));
  return half(h);
}

TEST(StatusTest, ResultCarriesValueOrFailure) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().to_string(), "InvalidArgument: odd: 3");
}

TEST(StatusTest, UserErrorsAreTheCallersToFix) {
  EXPECT_TRUE(invalid_argument("x").is_user_error());
  EXPECT_TRUE(not_found("x").is_user_error());
  EXPECT_TRUE(data_loss("x").is_user_error());
  EXPECT_FALSE(internal_error("x").is_user_error());
  EXPECT_EQ(not_found("gone").with_context("reading").message(), "reading: gone");
}

TEST(StatusTest, AConflictWithAConcurrentWriterIsAborted) {
  const Status s = aborted("could not serialize access due to concurrent update");
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(s.to_string(), "Aborted: could not serialize access due to concurrent update");
  // Nothing is broken: the caller tries again.
  EXPECT_TRUE(s.is_user_error());
}

}  // namespace
}  // namespace upsync
