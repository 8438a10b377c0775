// Upload sessions (src/sites/upload_sessions.h): fragments kept or taken back, one writer at a
// time, the owner and file of a session, finishing into a library, cancelling, expiry, ids.
#include "sites/upload_sessions.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "test_support.h"

namespace upsync {
namespace {

using testing::TempDir;

const char* kId = "0123ABCD-0000-4000-8000-00000000000F";

class UploadSessionsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  UploadSessions uploads_{dir_.str()};
  DocumentLibraries libs_{dir_.str()};
  Tenant t_{.id = 1, .name = "contoso"};
  FileUrl file_ = *parse_file_url("/sites/hr/Docs/big.json");

  std::filesystem::path part() const {
    return dir_.path() / "uploads/contoso/0123abcd-0000-4000-8000-00000000000f.part";
  }
};

TEST_F(UploadSessionsTest, FragmentsAreKeptOrTakenBack) {
  {
    auto first = uploads_.start(t_, kId, "app a", file_);
    ASSERT_TRUE(first) << first.status().message();
    ASSERT_TRUE((*first)->append("0123456789").is_ok());
    (*first)->keep();
    EXPECT_EQ((*first)->end(), 10u);
  }
  auto s = uploads_.find(t_, kId);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "0123abcd-0000-4000-8000-00000000000f");
  EXPECT_EQ(s->owner, "app a");
  EXPECT_EQ(s->file, file_);
  EXPECT_EQ(s->size, 10u);
  {
    // Not kept (its client went away): cut back.
    auto next = uploads_.append(t_, *s);
    ASSERT_TRUE(next);
    EXPECT_EQ((*next)->end(), 10u);
    ASSERT_TRUE((*next)->append("lost bytes").is_ok());
    EXPECT_EQ((*next)->end(), 20u);
    // One fragment at a time.
    EXPECT_EQ(uploads_.append(t_, *s).status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(uploads_.cancel(t_, *s).code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(std::filesystem::file_size(part()), 10u);
  EXPECT_EQ(uploads_.find(t_, kId)->size, 10u);
}

TEST_F(UploadSessionsTest, StartingAgainRestartsOnlyTheSameOwnersSession) {
  {
    auto f = uploads_.start(t_, kId, "user adele", file_);
    ASSERT_TRUE(f);
    ASSERT_TRUE((*f)->append("abc").is_ok());
    (*f)->keep();
  }
  EXPECT_EQ(uploads_.start(t_, kId, "user alex", file_).status().code(),
            StatusCode::kAlreadyExists);
  auto other_file = *parse_file_url("/sites/hr/Docs/other.json");
  EXPECT_EQ(uploads_.start(t_, kId, "user adele", other_file).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(uploads_.find(t_, kId)->size, 3u);
  {
    auto again = uploads_.start(t_, kId, "user adele", file_);
    ASSERT_TRUE(again);
    EXPECT_EQ((*again)->end(), 0u);
    (*again)->keep();
  }
  EXPECT_EQ(uploads_.find(t_, kId)->size, 0u);
}

TEST_F(UploadSessionsTest, FinishMovesTheFileIntoTheLibraryAndEndsTheSession) {
  ASSERT_TRUE(libs_.put_text(t_, file_, "old").is_ok());
  {
    auto f = uploads_.start(t_, kId, "app a", file_);
    ASSERT_TRUE(f);
    ASSERT_TRUE((*f)->append("new content").is_ok());
    (*f)->keep();
  }
  // Until finished, the library has the old content.
  EXPECT_EQ(libs_.stat(t_, file_)->size, 3u);
  auto s = uploads_.find(t_, kId);
  ASSERT_TRUE(s);
  ASSERT_TRUE(uploads_.finish(t_, *s, libs_).is_ok());
  EXPECT_EQ(libs_.stat(t_, file_)->size, 11u);
  EXPECT_EQ(uploads_.find(t_, kId).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "uploads/contoso"));
}

TEST_F(UploadSessionsTest, CancelAndExpiryLeaveNothing) {
  for (const char* id : {kId, "11111111-2222-4333-8444-555555555555"}) {
    auto f = uploads_.start(t_, id, "app a", file_);
    ASSERT_TRUE(f);
    ASSERT_TRUE((*f)->append("x").is_ok());
    (*f)->keep();
  }
  ASSERT_TRUE(uploads_.cancel(t_, *uploads_.find(t_, kId)).is_ok());
  EXPECT_EQ(uploads_.find(t_, kId).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*uploads_.remove_expired(std::chrono::seconds(3600)), 0u);
  // Idle for two hours.
  auto other = dir_.path() / "uploads/contoso/11111111-2222-4333-8444-555555555555.part";
  timespec old[2] = {{time(nullptr) - 7200, 0}, {time(nullptr) - 7200, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, other.c_str(), old, 0), 0);
  EXPECT_EQ(*uploads_.remove_expired(std::chrono::seconds(3600)), 1u);
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "uploads/contoso"));
  // No uploads folder at all is no session.
  TempDir empty;
  EXPECT_EQ(*UploadSessions(empty.str()).remove_expired(std::chrono::seconds(1)), 0u);
}

TEST(UploadId, OnlyGuidsAreIds) {
  EXPECT_EQ(*upload_id("0123ABCD-0000-4000-8000-00000000000F"),
            "0123abcd-0000-4000-8000-00000000000f");
  for (const char* bad : {"", "nope", "0123abcd-0000-4000-8000-00000000000", "../../etc/passwd",
                          "0123abcd-0000-4000-8000-00000000000fx",
                          "0123abcd_0000-4000-8000-"
                          "00000000000f",
                          "{0123abcd-0000-4000-8000-00000000000f}"}) {
    auto r = upload_id(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

}  // namespace
}  // namespace upsync
