// The sign-in form and the pages' cookie session against the real `upsync serve`
// (sign_in_fixture.h): wrong passwords and unknown accounts alike, lockout after repeated
// failures, login CSRF, the cookie's attributes, the CSRF rule on every write, sign-out, the
// session's ends (a password or role change, idleness), and where the sign-in may send back.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/sign_in_fixture.h"

namespace upsync {
namespace {

using testing::hidden_value;
using testing::run;
using testing::set_cookie;
using testing::set_cookie_line;
using testing::SignInTest;

TEST_F(SignInTest, AWrongPasswordAndAnUnknownAccountGetTheSameFormAndNoCode) {
  start();
  auto wrong = sign_in(authorize_query(), "adele@contoso.com", "not-the-password");
  auto unknown = sign_in(authorize_query(), "nobody@contoso.com", "not-the-password");
  for (const httplib::Result* r : {&wrong, &unknown}) {
    ASSERT_TRUE(*r);
    EXPECT_EQ((*r)->status, 200);
    EXPECT_FALSE((*r)->has_header("Location"));
    EXPECT_NE((*r)->body.find("Your account or password is incorrect."), std::string::npos);
    EXPECT_EQ(set_cookie(*r, "upsync-contoso"), "");
  }
  // The same page but for the name typed back into the field.
  auto strip = [](std::string html) {
    html = std::regex_replace(html, std::regex("value=\"[^\"]*\""), "");
    return html;
  };
  EXPECT_EQ(strip(wrong->body), strip(unknown->body));
}

TEST_F(SignInTest, RepeatedFailuresLockTheAccountEvenForTheRightPassword) {
  start({"--lockout-threshold", "3", "--lockout-seconds", "60"});
  for (int i = 0; i < 3; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = sign_in(authorize_query(), "adele@contoso.com", "wrong-" + std::to_string(i));
    ASSERT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("Your account or password is incorrect."), std::string::npos);
    // From the third failure in a row an answer waits (50 ms, doubling).
    if (i == 2) {
      EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
    }
  }
  auto locked = sign_in(authorize_query(), "adele@contoso.com", "pa55word!");
  ASSERT_EQ(locked->status, 200);
  EXPECT_FALSE(locked->has_header("Location"));
  EXPECT_NE(locked->body.find("Your account is locked"), std::string::npos) << locked->body;
  // An unknown name locks the same way: a lockout tells nothing about which accounts exist.
  for (int i = 0; i < 3; ++i) sign_in(authorize_query(), "ghost@contoso.com", "x");
  EXPECT_NE(
      sign_in(authorize_query(), "ghost@contoso.com", "x")->body.find("Your account is locked"),
      std::string::npos);
  // Another account from the same address still signs in (the address's limit is 15).
  EXPECT_EQ(sign_in(authorize_query(), "ga@contoso.com", "pa55word!")->status, 302);
}

TEST_F(SignInTest, TheSignInFormRefusesPostsWithoutItsOwnTokenLoginCsrf) {
  start();
  httplib::Params fields{{"username", "adele@contoso.com"},
                         {"password", "pa55word!"},
                         {"Source", "/tenants/contoso/_layouts/15/upsync/"}};
  // Another site's page posting straight to the form: no token, no cookie.
  auto r = cli_->Post("/tenants/contoso/_layouts/15/Authenticate.aspx", host_, fields);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(set_cookie(r, "upsync-contoso"), "");
  EXPECT_NE(r->body.find("expired or was sent from another site"), std::string::npos);
  // With a token of its own but not the browser's cookie.
  auto form = cli_->Get("/tenants/contoso/_layouts/15/Authenticate.aspx", host_);
  fields.emplace("flowToken", hidden_value(form->body, "flowToken"));
  EXPECT_EQ(cli_->Post("/tenants/contoso/_layouts/15/Authenticate.aspx", host_, fields)->status,
            400);
  // With both, but from another origin.
  httplib::Headers h = host_;
  h.emplace("Cookie", "upsync-signin=" + set_cookie(form, "upsync-signin"));
  h.emplace("Origin", "https://evil.example.com");
  EXPECT_EQ(cli_->Post("/tenants/contoso/_layouts/15/Authenticate.aspx", h, fields)->status, 400);
  // The same post from this server's page signs in.
  h.erase("Origin");
  h.emplace("Origin", "http://127.0.0.1:" + std::to_string(server_->port()));
  auto ok = cli_->Post("/tenants/contoso/_layouts/15/Authenticate.aspx", h, fields);
  EXPECT_EQ(ok->status, 303) << ok->body;
  EXPECT_NE(set_cookie(ok, "upsync-contoso"), "");
}

TEST_F(SignInTest, TheSessionCookieIsHttpOnlyStrictAndANewIdAtEverySignIn) {
  start();
  std::string planted = "PLANTEDPLANTEDPLANTEDPLANTEDPLANTEDPLANTED0";
  auto r = sign_in("/tenants/contoso/_layouts/15/Authenticate.aspx", "adele@contoso.com",
                   "pa55word!", "; upsync-contoso=" + planted);
  ASSERT_EQ(r->status, 303);
  std::string line = set_cookie_line(r, "upsync-contoso");
  EXPECT_NE(line.find("HttpOnly"), std::string::npos);
  EXPECT_NE(line.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(line.find("Path=/"), std::string::npos);
  std::string cookie = set_cookie(r, "upsync-contoso");
  EXPECT_NE(cookie, planted);
  EXPECT_EQ(session_get(planted)->status, 401);
  EXPECT_EQ(session_get(cookie)->status, 200);
  // A second sign-in from the same browser replaces the session: the old id is over.
  std::string again = page_session("adele@contoso.com", "; upsync-contoso=" + cookie);
  EXPECT_NE(again, cookie);
  EXPECT_EQ(session_get(cookie)->status, 401);
  EXPECT_EQ(session_get(again)->status, 200);
}

TEST_F(SignInTest, CookieWritesNeedTheCsrfTokenAndSignOutEndsTheSession) {
  start();
  std::string cookie = page_session();
  auto who = session_get(cookie);
  ASSERT_EQ(who->status, 200) << who->body;
  auto session = nlohmann::json::parse(who->body);
  EXPECT_EQ(session["upn"], "adele@contoso.com");
  EXPECT_EQ(session["role"], "user");
  std::string csrf = session["csrfToken"];
  // The cookie reads the API as the person's bearer token would.
  httplib::Headers h = host_;
  h.emplace("Cookie", "upsync-contoso=" + cookie);
  auto me = cli_->Get("/tenants/contoso/admin/v1/me", h);
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(nlohmann::json::parse(me->body)["userPrincipalName"], "adele@contoso.com");
  // A write with the cookie and without the token, or with another, is 403.
  std::string body =
      R"({"accountName":"i:0#.f|membership|adele@contoso.com","propertyName":"AboutMe","propertyValue":"x"})";
  const std::string set =
      "/tenants/contoso/_api/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty";
  EXPECT_EQ(cli_->Post(set, h, body, "application/json")->status, 403);
  httplib::Headers forged = h;
  forged.emplace("X-RequestDigest", "forged");
  EXPECT_EQ(cli_->Post(set, forged, body, "application/json")->status, 403);
  EXPECT_EQ(cli_->Post("/tenants/contoso/_layouts/15/upsync/signout", h, "", "text/plain")->status,
            403);
  EXPECT_EQ(session_get(cookie)->status, 200);  // still signed in
  // A refresh token Adele got elsewhere (offline_access) ends with her sign-out.
  auto offline = cli_->Post(
      "/contoso/oauth2/v2.0/token", host_,
      httplib::Params{{"grant_type", "password"},
                      {"client_id", client_id_},
                      {"username", "adele@contoso.com"},
                      {"password", "pa55word!"},
                      {"scope", "offline_access https://contoso.sharepoint.com/.default"}});
  ASSERT_EQ(offline->status, 200) << offline->body;
  const std::string refresh_token = nlohmann::json::parse(offline->body)["refresh_token"];
  httplib::Headers with_token = h;
  with_token.emplace("X-RequestDigest", csrf);
  auto out =
      cli_->Post("/tenants/contoso/_layouts/15/upsync/signout", with_token, "", "text/plain");
  ASSERT_EQ(out->status, 200) << out->body;
  EXPECT_NE(set_cookie_line(out, "upsync-contoso").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(session_get(cookie)->status, 401);
  EXPECT_EQ(cli_->Get("/tenants/contoso/admin/v1/me", h)->status, 401);
  auto refreshed =
      cli_->Post("/contoso/oauth2/v2.0/token", host_,
                 httplib::Params{{"grant_type", "refresh_token"},
                                 {"client_id", client_id_},
                                 {"refresh_token", refresh_token},
                                 {"scope", "https://contoso.sharepoint.com/.default"}});
  EXPECT_EQ(refreshed->status, 400) << refreshed->body;
  EXPECT_NE(refreshed->body.find("AADSTS9002313"), std::string::npos) << refreshed->body;
}

TEST_F(SignInTest, ABearerTokenIsTheCallerWhateverCookieComesWithIt) {
  start();
  std::string cookie = page_session("ga@contoso.com");
  auto t = cli_->Post("/contoso/oauth2/v2.0/token", host_,
                      httplib::Params{{"grant_type", "password"},
                                      {"client_id", client_id_},
                                      {"username", "adele@contoso.com"},
                                      {"password", "pa55word!"},
                                      {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_EQ(t->status, 200);
  httplib::Headers h = host_;
  h.emplace("Cookie", "upsync-contoso=" + cookie);
  h.emplace("Authorization",
            "Bearer " + nlohmann::json::parse(t->body)["access_token"].get<std::string>());
  auto me = cli_->Get("/tenants/contoso/admin/v1/me", h);
  EXPECT_EQ(nlohmann::json::parse(me->body)["userPrincipalName"], "adele@contoso.com");
  // The global admin's cookie does not lend its role to the user's token.
  EXPECT_EQ(cli_->Get("/tenants/contoso/admin/v1/apps", h)->status, 403);
  // A bearer write needs no CSRF token, cookie or not.
  auto post = cli_->Post("/tenants/contoso/_api/contextinfo", h, "", "application/json");
  EXPECT_EQ(post->status, 200) << post->body;
}

TEST_F(SignInTest, APasswordOrRoleChangeEndsTheSession) {
  start();
  std::string cookie = page_session();
  ASSERT_EQ(session_get(cookie)->status, 200);
  ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", "contoso",
                 "adele@contoso.com", "--role", "sharepoint-admin", "--password", "pa55word!"}),
            0);
  // Within the credential cache's bound (2 s).
  int status = 0;
  for (int i = 0; i < 40 && status != 401; ++i) {
    status = session_get(cookie)->status;
    if (status != 401) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 401);
}

// The expiries count whole seconds; the absolute expiry of a session in use is
// BrowserSignInTest.ASessionIsFoundOnlyWhileLive's (tests/auth).
TEST_F(SignInTest, AnIdleSessionEnds) {
  start({"--session-idle-seconds", "3"});
  std::string cookie = page_session();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(session_get(cookie)->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  // 4.5 s after sign-in: its use at 1 s was not written (at most once a minute).
  EXPECT_EQ(session_get(cookie)->status, 401);
}

TEST_F(SignInTest, ThePagesSignInSendsBackOnlyToPathsOfThisServer) {
  start();
  for (auto [source, want] : std::vector<std::pair<std::string, std::string>>{
           {"/tenants/contoso/_layouts/15/upsync/?x=1", "/tenants/contoso/_layouts/15/upsync/?x=1"},
           {"//evil.example.com/x", "/tenants/contoso/_layouts/15/upsync/"},
           {"/\\evil.example.com/x", "/tenants/contoso/_layouts/15/upsync/"},
           {"https://evil.example.com/x", "/tenants/contoso/_layouts/15/upsync/"},
           {"javascript:alert(1)", "/tenants/contoso/_layouts/15/upsync/"},
           {"/\r\nSet-Cookie: x=1", "/tenants/contoso/_layouts/15/upsync/"}}) {
    auto r = sign_in("/tenants/contoso/_layouts/15/Authenticate.aspx?Source=" + url_encode(source),
                     "adele@contoso.com", "pa55word!");
    ASSERT_EQ(r->status, 303) << source;
    EXPECT_EQ(r->get_header_value("Location"), want) << source;
  }
  auto extra = cli_->Get("/tenants/contoso/_layouts/15/Authenticate.aspx?ReturnUrl=x", host_);
  EXPECT_EQ(extra->status, 400);
}

TEST_F(SignInTest, PageFilesCarryTheirSecurityHeadersAndRevalidate) {
  start();
  auto home = cli_->Get("/tenants/contoso/_layouts/15/upsync/", host_);
  ASSERT_EQ(home->status, 200);
  EXPECT_EQ(home->get_header_value("Content-Type"), "text/html; charset=utf-8");
  std::string csp = home->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(home->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(home->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(home->get_header_value("Referrer-Policy"), "same-origin");
  EXPECT_EQ(home->get_header_value("Cache-Control"), "no-cache");
  std::string etag = home->get_header_value("ETag");
  ASSERT_EQ(etag.size(), 34u);
  httplib::Headers h = host_;
  h.emplace("If-None-Match", etag);
  auto again = cli_->Get("/tenants/contoso/_layouts/15/upsync/", h);
  EXPECT_EQ(again->status, 304);
  EXPECT_EQ(again->body, "");
  auto js = cli_->Get("/tenants/contoso/_layouts/15/upsync/upsync.js", host_);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(cli_->Get("/tenants/contoso/_layouts/15/upsync/nothing.js", host_)->status, 404);
  EXPECT_EQ(
      cli_->Get("/tenants/contoso/_layouts/15/upsync/..%2Ftemplates%2Fsignin.html", host_)->status,
      404);
  EXPECT_EQ(cli_->Get("/tenants/contoso/_layouts/15/upsync/upsync.css?$select=x", host_)->status,
            400);
  auto folder = cli_->Get("/tenants/contoso/_layouts/15/upsync", host_);
  EXPECT_EQ(folder->status, 301);
  EXPECT_EQ(folder->get_header_value("Location"), "/tenants/contoso/_layouts/15/upsync/");
}

}  // namespace
}  // namespace upsync
