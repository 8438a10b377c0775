// The fixture of the browser sign-in suites (sign_in_test.cpp, page_session_test.cpp): the real
// `upsync serve` over a data folder with tenant contoso, two apps with a redirect URI and two
// people with passwords, spoken to as a browser and an OAuth client would.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "auth/secret.h"
#include "http/http_message.h"
#include "http/server_process.h"
#include "test_support.h"

namespace upsync::testing {

constexpr const char* kRedirect = "https://app.example.com/callback";
constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk0123";

inline std::string challenge_of(const std::string& verifier) {
  return base64url_encode(sha256_digest(verifier));
}

// The value of cookie `name` that an answer sets, or "".
inline std::string set_cookie(const httplib::Result& r, const std::string& name) {
  auto [from, to] = r->headers.equal_range("Set-Cookie");
  for (auto it = from; it != to; ++it) {
    if (it->second.starts_with(name + "=")) {
      return it->second.substr(name.size() + 1, it->second.find(';') - name.size() - 1);
    }
  }
  return "";
}

inline std::string set_cookie_line(const httplib::Result& r, const std::string& name) {
  auto [from, to] = r->headers.equal_range("Set-Cookie");
  for (auto it = from; it != to; ++it) {
    if (it->second.starts_with(name + "=")) return it->second;
  }
  return "";
}

inline std::string hidden_value(const std::string& html, const std::string& name) {
  std::smatch m;
  std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

// The query parameters of a Location header.
inline HttpParams location_params(const std::string& location) {
  HttpParams params;
  size_t q = location.find_first_of("?#");
  if (q != std::string::npos) parse_query(location.substr(q + 1), params);
  return params;
}

inline std::string param(const HttpParams& p, const std::string& name) {
  auto it = p.find(name);
  return it == p.end() ? "" : it->second;
}

inline nlohmann::json jwt_claims(const std::string& jwt) {
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
                              const std::string& extra = "",
                              const std::string& client_id = client_id_) {
    return "/contoso/oauth2/v2.0/authorize?response_type=code&client_id=" + client_id +
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
  static inline FolderTemplate made_;
  static inline std::string client_id_, secret_, other_id_;
};

}  // namespace upsync::testing
