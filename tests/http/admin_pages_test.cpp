// The admin pages' server-side gate (src/http/admin_pages.cpp) on the real `upsync serve`: no
// caller is sent to sign-in, a user gets a 403 page saying so, admins get the pages, each page
// carries the same navigation, and the pages' files take no query.
#include <gtest/gtest.h>

#include <regex>

#include "http/admin_fixture.h"
#include "http/http_message.h"

namespace upsync {
namespace {

const char* const kAdminPages[] = {"index.html", "profiles.html", "properties.html", "apps.html",
                                   "tenant.html"};
const std::string kAdmin = "/tenants/contoso/_layouts/15/upsync/admin/";

class AdminPagesTest : public testing::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    start();
  }
  httplib::Result get(const std::string& path, const std::string& tok = "") {
    httplib::Headers h;
    if (!tok.empty()) h.emplace("Authorization", "Bearer " + tok);
    return cli_->Get(path, h);
  }
};

TEST_F(AdminPagesTest, WithoutASessionTheBrowserIsSentToSignIn) {
  for (const char* page : kAdminPages) {
    auto r = get(kAdmin + page);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 302) << page;
    // Back to the page after sign-in (however the path is escaped in the query).
    EXPECT_EQ(url_decode(r->get_header_value("Location"), false),
              "/tenants/contoso/_layouts/15/Authenticate.aspx?Source=" + kAdmin + page)
        << page;
  }
}

TEST_F(AdminPagesTest, APersonWhoIsNotAnAdminGetsA403PageSayingSo) {
  const std::string user = token("adele@contoso.com");
  for (const std::string& file : {std::string("index.html"), std::string("apps.html"),
                                  std::string("admin.js"), std::string("")}) {
    auto r = get(kAdmin + file, user);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << file;
    EXPECT_NE(r->body.find("Administrators only"), std::string::npos) << file;
    EXPECT_NE(r->body.find("adele@contoso.com"), std::string::npos) << file;
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'none'"),
              std::string::npos);
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
    EXPECT_EQ(r->body.find("<nav"), std::string::npos) << "no admin page leaks: " << file;
  }
}

TEST_F(AdminPagesTest, AnAppOrABadTokenGetsNoAdminPage) {
  // An app is not a person at a browser: it manages the tenant through the API, not here.
  std::string out = dir_.str() + "/robot.json";
  ASSERT_EQ(std::system((testing::binary() + " --data-dir " + data() +
                         " --json app add -t contoso robot > " + out)
                            .c_str()),
            0);
  auto robot = nlohmann::json::parse(testing::read_file(out));
  auto t = cli_->Post("/contoso/oauth2/v2.0/token",
                      httplib::Params{{"grant_type", "client_credentials"},
                                      {"client_id", robot["clientId"]},
                                      {"client_secret", robot["clientSecret"]},
                                      {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_TRUE(t && t->status == 200);
  auto r = get(kAdmin + "index.html", nlohmann::json::parse(t->body)["access_token"]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body.find("<nav"), std::string::npos);
  // Another tenant's admin, and a forged token, get no page either.
  for (const std::string& tok : {token("ga@farm.local", "farm"), std::string("not.a.token")}) {
    r = get(kAdmin + "index.html", tok);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_EQ(r->body.find("<nav"), std::string::npos);
  }
}

TEST_F(AdminPagesTest, AdminsGetEveryPageWithTheSameNavigation) {
  const std::regex link(R"re(<li><a href="([a-z]+\.html)"[^>]*>([^<]+)</a></li>)re");
  for (const std::string who : {"ga@contoso.com", "spa@contoso.com"}) {
    const std::string tok = token(who);
    for (const char* page : kAdminPages) {
      auto r = get(kAdmin + page, tok);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << who << " " << page << " " << r->body;
      EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
      EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache, private");
      EXPECT_FALSE(r->get_header_value("Content-Security-Policy").empty());
      size_t open = r->body.find("<nav aria-label=\"Administration\">");
      size_t close = r->body.find("</nav>", open);
      ASSERT_NE(open, std::string::npos) << page;
      std::string links;
      std::string labels;
      std::string block = r->body.substr(open, close - open);
      for (std::sregex_iterator it(block.begin(), block.end(), link), end; it != end; ++it) {
        links += (*it)[1].str() + " ";
        labels += (*it)[2].str() + "|";
        if (std::string(page) == (*it)[1].str()) {
          EXPECT_NE(it->str().find("aria-current=\"page\""), std::string::npos) << page;
        }
      }
      EXPECT_EQ(links,
                "index.html profiles.html properties.html import.html sync.html apps.html "
                "tenant.html ")
          << page;
      EXPECT_EQ(labels,
                "Overview|Profiles|Properties|Bulk import|Directory sync|Apps and people|Tenant|")
          << page;
    }
    auto js = get(kAdmin + "admin.js", tok);
    ASSERT_TRUE(js);
    EXPECT_EQ(js->status, 200);
    EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  }
}

TEST_F(AdminPagesTest, TheFolderAndItsFilesTakeNoQueryAndNoOtherPath) {
  const std::string ga = token("ga@contoso.com");
  auto r = get("/tenants/contoso/_layouts/15/upsync/admin", ga);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 301);
  EXPECT_EQ(r->get_header_value("Location"), "/tenants/contoso/_layouts/15/upsync/admin/");
  r = get(kAdmin, ga);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("<title>Overview"), std::string::npos);
  for (const std::string bad : {"index.html?x=1", "index.html?$filter=x", "nothing.html",
                                "..%2Findex.html", "../upsync.css", "%2e%2e/upsync.js"}) {
    r = get(kAdmin + bad, ga);
    ASSERT_TRUE(r) << bad;
    EXPECT_TRUE(r->status == 400 || r->status == 404) << bad << " " << r->status;
    EXPECT_EQ(r->body.find("<nav aria-label"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace upsync
