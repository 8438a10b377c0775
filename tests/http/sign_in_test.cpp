// A person's sign-in in a browser against the real `upsync serve`, spoken as a browser and an
// OAuth client would: the authorize endpoint's form and its checks, the one-time code and its
// redemption with PKCE, the pages' cookie session with its CSRF rule and expiries, and the
// attacks on each (open redirects, replayed or stolen codes, login CSRF, session fixation).
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "auth/secret.h"
#include "http/http_message.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::run;
using testing::run_output;
using testing::Server;
using testing::TempDir;

constexpr const char* kRedirect = "https://app.example.com/callback";
constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk0123";

std::string challenge_of(const std::string& verifier) {
  return base64url_encode(sha256_digest(verifier));
}

// The value of cookie `name` that an answer sets, or "".
std::string set_cookie(const httplib::Result& r, const std::string& name) {
  auto [from, to] = r->headers.equal_range("Set-Cookie");
  for (auto it = from; it != to; ++it) {
    if (it->second.starts_with(name + "=")) {
      return it->second.substr(name.size() + 1, it->second.find(';') - name.size() - 1);
    }
  }
  return "";
}

std::string set_cookie_line(const httplib::Result& r, const std::string& name) {
  auto [from, to] = r->headers.equal_range("Set-Cookie");
  for (auto it = from; it != to; ++it) {
    if (it->second.starts_with(name + "=")) return it->second;
  }
  return "";
}

std::string hidden_value(const std::string& html, const std::string& name) {
  std::smatch m;
  std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

// The query parameters of a Location header.
HttpParams location_params(const std::string& location) {
  HttpParams params;
  size_t q = location.find_first_of("?#");
  if (q != std::string::npos) parse_query(location.substr(q + 1), params);
  return params;
}

std::string param(const HttpParams& p, const std::string& name) {
  auto it = p.find(name);
  return it == p.end() ? "" : it->second;
}

nlohmann::json jwt_claims(const std::string& jwt) {
  size_t a = jwt.find('.'), b = jwt.find('.', a + 1);
  return nlohmann::json::parse(*base64url_decode(jwt.substr(a + 1, b - a - 1)));
}

class SignInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { setup_data(); });
  }
  void setup_data() {
    ASSERT_EQ(run({"--data-dir", data(), "tenant", "create", "contoso"}), 0);
    auto app = nlohmann::json::parse(run_output({"--data-dir", data(), "--json", "app", "add", "-t",
                                                 "contoso", "web", "--redirect-uri", kRedirect}));
    client_id_ = app["clientId"];
    secret_ = app["clientSecret"];
    auto other =
        nlohmann::json::parse(run_output({"--data-dir", data(), "--json", "app", "add", "-t",
                                          "contoso", "other", "--redirect-uri", kRedirect}));
    other_id_ = other["clientId"];
    for (auto [upn, role] :
         {std::pair{"adele@contoso.com", "user"}, std::pair{"ga@contoso.com", "global-admin"}}) {
      ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", "contoso", upn,
                     "--role", role, "--password", "pa55word!"}),
                0);
    }
  }
  std::string data() const { return dir_.str() + "/data"; }
  void start(std::vector<std::string> extra = {}) {
    server_ = std::make_unique<Server>(dir_, extra);
    ASSERT_GT(server_->port(), 0) << server_->log();
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    host_ = {{"Host", "127.0.0.1:" + std::to_string(server_->port())}};
  }

  std::string authorize_query(const std::string& redirect = kRedirect,
                              const std::string& extra = "") {
    return "/contoso/oauth2/v2.0/authorize?response_type=code&client_id=" + client_id_ +
           "&redirect_uri=" + url_encode(redirect) + "&scope=" + url_encode("openid profile") +
           "&state=st4te&nonce=n0nce&code_challenge=" + challenge_of(kVerifier) +
           "&code_challenge_method=S256" + extra;
  }

  // The form of `path` (GET), then its post with `fields` (the form's hidden fields and its
  // login-CSRF cookie added). Returns the post's answer.
  httplib::Result sign_in(const std::string& path, const std::string& username,
                          const std::string& password, const std::string& cookie_extra = "") {
    auto form = cli_->Get(path, host_);
    EXPECT_TRUE(form);
    EXPECT_EQ(form->status, 200) << form->body;
    std::string flow = set_cookie(form, "upsync-signin");
    httplib::Params fields;
    std::regex hidden("name=\"([^\"]+)\" value=\"([^\"]*)\"");
    for (std::sregex_iterator it(form->body.begin(), form->body.end(), hidden), end; it != end;
         ++it) {
      std::string value = (*it)[2].str();
      // The form's values are HTML-escaped; the test's are plain but for &amp;.
      value = std::regex_replace(value, std::regex("&amp;"), "&");
      fields.emplace((*it)[1].str(), value);
    }
    fields.emplace("username", username);
    fields.emplace("password", password);
    std::smatch action;
    EXPECT_TRUE(std::regex_search(form->body, action, std::regex("action=\"([^\"]+)\"")));
    httplib::Headers h = host_;
    h.emplace("Cookie", "upsync-signin=" + flow + cookie_extra);
    return cli_->Post(action[1].str(), h, fields);
  }

  // Signs in at the authorize endpoint and returns the code.
  std::string code(const std::string& user = "adele@contoso.com") {
    auto r = sign_in(authorize_query(), user, "pa55word!");
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 302) << r->body;
    auto p = location_params(r->get_header_value("Location"));
    EXPECT_EQ(param(p, "state"), "st4te");
    return param(p, "code");
  }

  httplib::Result redeem(const std::string& code, const std::string& client_id,
                         const std::string& verifier = kVerifier,
                         const std::string& redirect = kRedirect) {
    return cli_->Post(
        "/contoso/oauth2/v2.0/token", host_,
        httplib::Params{{"grant_type", "authorization_code"},
                        {"client_id", client_id},
                        {"code", code},
                        {"redirect_uri", redirect},
                        {"code_verifier", verifier},
                        {"client_info", "1"},
                        {"scope", "openid profile https://contoso.sharepoint.com/.default"}});
  }

  // Signs in on the pages' form; returns the session cookie's value.
  std::string page_session(const std::string& user = "adele@contoso.com",
                           const std::string& cookie_extra = "") {
    auto r =
        sign_in("/tenants/contoso/_layouts/15/Authenticate.aspx", user, "pa55word!", cookie_extra);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 303) << r->body;
    return set_cookie(r, "upsync-contoso");
  }
  httplib::Result session_get(const std::string& cookie) {
    httplib::Headers h = host_;
    h.emplace("Cookie", "upsync-contoso=" + cookie);
    return cli_->Get("/tenants/contoso/_layouts/15/upsync/session", h);
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> cli_;
  httplib::Headers host_;
  static inline testing::FolderTemplate made_;
  static inline std::string client_id_, secret_, other_id_;
};

TEST_F(SignInTest, ARegisteredClientGetsACodeThatRedeemsForTokensWithTheNonce) {
  start();
  std::string c = code();
  ASSERT_EQ(c.size(), 43u);
  auto r = redeem(c, client_id_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto answer = nlohmann::json::parse(r->body);
  auto id = jwt_claims(answer["id_token"]);
  EXPECT_EQ(id["nonce"], "n0nce");
  EXPECT_EQ(id["aud"], client_id_);
  EXPECT_EQ(id["preferred_username"], "adele@contoso.com");
  auto info = nlohmann::json::parse(*base64url_decode(answer["client_info"].get<std::string>()));
  EXPECT_EQ(info["uid"], "adele@contoso.com");
  EXPECT_EQ(info["utid"], "contoso");
  auto access = jwt_claims(answer["access_token"]);
  EXPECT_EQ(access["aud"], "https://contoso.sharepoint.com");
  EXPECT_EQ(access["azp"], client_id_);
  httplib::Headers h = host_;
  h.emplace("Authorization", "Bearer " + answer["access_token"].get<std::string>());
  auto me = cli_->Get("/tenants/contoso/admin/v1/me", h);
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200) << me->body;
  EXPECT_EQ(nlohmann::json::parse(me->body)["userPrincipalName"], "adele@contoso.com");
}

TEST_F(SignInTest, ACodeIsGoodOnceAndOnlyForItsClientRedirectAndVerifier) {
  start();
  std::string c = code();
  ASSERT_EQ(redeem(c, client_id_)->status, 200);
  auto replay = redeem(c, client_id_);
  EXPECT_EQ(replay->status, 400);
  EXPECT_NE(replay->body.find("AADSTS54005"), std::string::npos) << replay->body;

  auto wrong_verifier = redeem(code(), client_id_, std::string(kVerifier) + "x");
  EXPECT_EQ(wrong_verifier->status, 400);
  EXPECT_NE(wrong_verifier->body.find("AADSTS501481"), std::string::npos) << wrong_verifier->body;

  // A wrong try spends the code: the right verifier after it is a replay.
  std::string spent = code();
  EXPECT_EQ(redeem(spent, client_id_, std::string(kVerifier) + "y")->status, 400);
  EXPECT_NE(redeem(spent, client_id_)->body.find("AADSTS54005"), std::string::npos);

  auto other_client = redeem(code(), other_id_);
  EXPECT_EQ(other_client->status, 400);
  EXPECT_NE(other_client->body.find("another client"), std::string::npos) << other_client->body;

  auto other_redirect = redeem(code(), client_id_, kVerifier, "https://app.example.com/other");
  EXPECT_EQ(other_redirect->status, 400);
  EXPECT_NE(other_redirect->body.find("AADSTS50011"), std::string::npos);

  auto made_up = redeem("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", client_id_);
  EXPECT_EQ(made_up->status, 400);
  EXPECT_NE(made_up->body.find("AADSTS9002313"), std::string::npos);
}

TEST_F(SignInTest, APasswordChangeAfterSignInMakesTheCodeUseless) {
  start();
  std::string c = code();
  ASSERT_EQ(run({"--data-dir", data(), "user", "password", "set", "-t", "contoso",
                 "adele@contoso.com", "--password", "an0ther-pass"}),
            0);
  auto r = redeem(c, client_id_);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("AADSTS50173"), std::string::npos) << r->body;
}

TEST_F(SignInTest, ARedirectUriNotRegisteredIsRefusedOnThePageNeverFollowed) {
  start();
  for (std::string bad : {"https://evil.example.com/callback", "https://app.example.com/callback/",
                          "https://app.example.com/callback?x=1", "https://app.example.com",
                          "HTTPS://APP.EXAMPLE.COM/callback", "//evil.example.com/callback",
                          "https://app.example.com.evil.example.com/callback"}) {
    auto r = cli_->Get(authorize_query(bad), host_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_FALSE(r->has_header("Location")) << bad;
    EXPECT_NE(r->body.find("AADSTS50011"), std::string::npos) << bad;
    // The form's POST is held to the same rule.
    auto post = cli_->Post(
        "/contoso/oauth2/v2.0/authorize", host_,
        httplib::Params{
            {"client_id", client_id_}, {"redirect_uri", bad}, {"response_type", "code"}});
    EXPECT_EQ(post->status, 400);
    EXPECT_FALSE(post->has_header("Location"));
  }
  auto unknown = cli_->Get(
      "/contoso/oauth2/v2.0/authorize?response_type=code&client_id=nobody"
      "&redirect_uri=" +
          url_encode(kRedirect),
      host_);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("AADSTS700016"), std::string::npos);
  EXPECT_FALSE(unknown->has_header("Location"));
}

TEST_F(SignInTest, BadRequestsForARegisteredRedirectGoBackAsErrors) {
  start();
  struct Case {
    std::string query;
    std::string error;
    std::string code;
  };
  std::string base = "/contoso/oauth2/v2.0/authorize?client_id=" + client_id_ +
                     "&redirect_uri=" + url_encode(kRedirect) + "&scope=openid";
  std::string s256 = "&code_challenge=" + challenge_of(kVerifier) + "&code_challenge_method=S256";
  for (const Case& c : std::vector<Case>{
           {"&response_type=token&state=s" + s256, "unsupported_response_type", "700054"},
           {"&response_type=code" + s256, "invalid_request", "900144"},    // no state
           {"&response_type=code&state=s", "invalid_request", "9002325"},  // no PKCE
           {"&response_type=code&state=s&code_challenge=" + challenge_of(kVerifier) +
                "&code_challenge_method=plain",
            "invalid_request", "9002326"},
           {"&response_type=code&state=s&code_challenge=" + std::string(kVerifier) +
                "&code_challenge_method=S256",
            "invalid_request", "9002326"},
           {"&response_type=code&state=s&prompt=none" + s256, "login_required", "50058"},
       }) {
    auto r = cli_->Get(base + c.query, host_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 302) << c.query << r->body;
    std::string location = r->get_header_value("Location");
    EXPECT_TRUE(location.starts_with(std::string(kRedirect) + "?")) << location;
    auto p = location_params(location);
    EXPECT_EQ(param(p, "error"), c.error) << c.query;
    EXPECT_NE(param(p, "error_description").find("AADSTS" + c.code), std::string::npos)
        << param(p, "error_description");
  }
}

TEST_F(SignInTest, ResponseModesFragmentAndFormPost) {
  start();
  auto frag = sign_in(authorize_query(kRedirect, "&response_mode=fragment"), "adele@contoso.com",
                      "pa55word!");
  ASSERT_EQ(frag->status, 302);
  std::string location = frag->get_header_value("Location");
  EXPECT_TRUE(location.starts_with(std::string(kRedirect) + "#code=")) << location;
  auto post = sign_in(authorize_query(kRedirect, "&response_mode=form_post"), "adele@contoso.com",
                      "pa55word!");
  ASSERT_EQ(post->status, 200);
  EXPECT_NE(post->body.find("action=\"https://app.example.com/callback\""), std::string::npos);
  EXPECT_EQ(hidden_value(post->body, "state"), "st4te");
  EXPECT_EQ(hidden_value(post->body, "code").size(), 43u);
  EXPECT_EQ(post->body.find("<script>"), std::string::npos);  // no inline script
  EXPECT_NE(post->get_header_value("Content-Security-Policy")
                .find("form-action 'self' https://app.example.com;"),
            std::string::npos);
}

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

TEST_F(SignInTest, RedirectUrisAreCheckedWhenRegistered) {
  for (std::string bad : {"http://app.example.com/cb", "ftp://x/cb", "https://app.example.com/cb#x",
                          "https://user@app.example.com/cb", "not a uri", "https:///cb"}) {
    EXPECT_EQ(
        run({"--data-dir", data(), "app", "add", "-t", "contoso", "bad", "--redirect-uri", bad}), 1)
        << bad;
  }
  auto apps = nlohmann::json::parse(
      run_output({"--data-dir", data(), "--json", "app", "list", "-t", "contoso"}));
  EXPECT_EQ(apps.size(), 2u);  // nothing half-registered
  EXPECT_EQ(run({"--data-dir", data(), "app", "add", "-t", "contoso", "native", "--redirect-uri",
                 "http://localhost:3000/cb"}),
            0);
}

}  // namespace
}  // namespace upsync

namespace upsync {
namespace {

TEST_F(SignInTest, TheAdminApiRegistersRedirectUrisAllOrNothing) {
  start();
  auto t = cli_->Post("/contoso/oauth2/v2.0/token", host_,
                      httplib::Params{{"grant_type", "password"},
                                      {"client_id", client_id_},
                                      {"username", "ga@contoso.com"},
                                      {"password", "pa55word!"},
                                      {"scope", "https://contoso.sharepoint.com/.default"}});
  ASSERT_EQ(t->status, 200) << t->body;
  httplib::Headers h = host_;
  h.emplace("Authorization",
            "Bearer " + nlohmann::json::parse(t->body)["access_token"].get<std::string>());
  for (std::string bad : {R"({"name":"x","redirectUris":["http://evil.example.com/cb"]})",
                          R"({"name":"x","redirectUris":"https://app.example.com/cb"})",
                          R"({"name":"x","redirectUris":[1]})",
                          R"({"name":"x","redirect_uris":["https://app.example.com/cb"]})"}) {
    auto r = cli_->Post("/tenants/contoso/admin/v1/apps", h, bad, "application/json");
    EXPECT_EQ(r->status, 400) << bad << r->body;
  }
  auto listed = nlohmann::json::parse(cli_->Get("/tenants/contoso/admin/v1/apps", h)->body);
  EXPECT_EQ(listed["value"].size(), 2u);  // nothing half-registered
  auto made = cli_->Post("/tenants/contoso/admin/v1/apps", h,
                         R"({"name":"spa","redirectUris":["https://spa.example.com/"]})",
                         "application/json");
  ASSERT_EQ(made->status, 201) << made->body;
  auto app = nlohmann::json::parse(made->body);
  EXPECT_EQ(app["redirectUris"], nlohmann::json::array({"https://spa.example.com/"}));
  listed = nlohmann::json::parse(cli_->Get("/tenants/contoso/admin/v1/apps", h)->body);
  ASSERT_EQ(listed["value"].size(), 3u);
  for (const auto& a : listed["value"]) {
    if (a["clientId"] == app["clientId"]) {
      EXPECT_EQ(a["redirectUris"], app["redirectUris"]);
    }
  }
  client_id_ = app["clientId"];
  EXPECT_EQ(cli_->Get(authorize_query("https://spa.example.com/"), host_)->status, 200);
}

}  // namespace
}  // namespace upsync
