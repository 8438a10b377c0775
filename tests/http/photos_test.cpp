// People's photos over HTTP (src/http/photo_routes.h) against the real `upsync serve`: Graph's
// photo calls and SharePoint's SetMyProfilePicture with images GD makes here, who may change
// whose photo, every bad image refused with nothing stored, and PictureURL following the photo.
#include <gd.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "auth/secret.h"
#include "directory/ldif.h"
#include "http/server_process.h"
#include "photos/photo_image.h"
#include "test_support.h"

namespace upsync {
namespace {

using nlohmann::json;
using upsync::testing::run;
using upsync::testing::run_output;
using upsync::testing::Server;
using upsync::testing::TempDir;
using upsync::testing::write_file;

const std::string kGraph = "/tenants/contoso/v1.0";
const std::string kPeople = "/tenants/contoso/_api/SP.UserProfiles.PeopleManager";

std::string make_image(bool png, int w, int h) {
  gdImagePtr im = gdImageCreateTrueColor(w, h);
  gdImageFilledRectangle(im, 0, 0, w - 1, h - 1, gdTrueColor(30, 120, 200));
  gdImageFilledEllipse(im, w / 2, h / 2, w / 2, h / 2, gdTrueColor(250, 200, 40));
  int size = 0;
  void* data = png ? gdImagePngPtr(im, &size) : gdImageJpegPtr(im, &size, 85);
  gdImageDestroy(im);
  std::string out(static_cast<const char*>(data), static_cast<size_t>(size));
  gdFree(data);
  return out;
}

std::string guid_b64(int n) {
  std::string bytes(16, '\0');
  bytes[0] = static_cast<char>(n);
  bytes[15] = static_cast<char>(0x5C);
  return base64_encode(bytes);
}

std::string people_ldif() {
  std::string out;
  int n = 1;
  for (const char* name : {"adele", "bob", "megan"}) {
    out += std::string("dn: CN=") + name + ",OU=Staff,DC=contoso,DC=com\nobjectClass: user\n" +
           "objectGUID:: " + guid_b64(n++) + "\nuserPrincipalName: " + name +
           "@contoso.com\nmail: " + name + "@contoso.com\ndisplayName: " + name + "\n\n";
  }
  return out;
}

class PhotosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    made_.fill(dir_.path(), [&] { make_folder(); });
    if (HasFatalFailure()) return;
    server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--no-worker"});
    ASSERT_GT(server_->port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    http_->set_url_encode(false);
  }
  void make_folder() {
    ASSERT_EQ(cli({"tenant", "create", "contoso"}), 0);
    auto app = json::parse(run_output(
        {"--data-dir", data(), "--json", "app", "add", "--tenant", "contoso", "photo-test"}));
    client_id_ = app["clientId"];
    secret_ = app["clientSecret"];
    const std::string file = dir_.str() + "/people.ldif";
    write_file(file, people_ldif());
    ASSERT_EQ(cli({"sync", "ldif", "--tenant", "contoso", file}), 0);
    ASSERT_EQ(cli({"user", "password", "set", "--tenant", "contoso", "adele@contoso.com", "--role",
                   "user", "--password", "correct horse battery"}),
              0);
    ASSERT_EQ(cli({"user", "password", "set", "--tenant", "contoso", "bob@contoso.com", "--role",
                   "user", "--password", "correct horse battery"}),
              0);
    ASSERT_EQ(cli({"user", "password", "set", "--tenant", "contoso", "megan@contoso.com", "--role",
                   "sharepoint-admin", "--password", "correct horse battery"}),
              0);
  }

  std::string data() const { return dir_.str() + "/data"; }
  int cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data()});
    return run(args);
  }
  // A token of `who` ("app" or a person's name) for Graph or SharePoint.
  std::string token(const std::string& who, bool sharepoint = false) {
    httplib::Params form = {{"client_id", client_id_},
                            {"scope", sharepoint ? "https://contoso.sharepoint.com/.default"
                                                 : "https://graph.microsoft.com/.default"}};
    if (who == "app") {
      form.emplace("grant_type", "client_credentials");
      form.emplace("client_secret", secret_);
    } else {
      form.emplace("grant_type", "password");
      form.emplace("username", who + "@contoso.com");
      form.emplace("password", "correct horse battery");
    }
    httplib::Client c("127.0.0.1", server_->port());
    auto r = c.Post("/contoso/oauth2/v2.0/token", form);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r && r->status == 200 ? json::parse(r->body)["access_token"].get<std::string>() : "";
  }
  httplib::Result put(const std::string& path, const std::string& who, const std::string& body,
                      const std::string& type) {
    httplib::Headers h = {{"Authorization", "Bearer " + token(who)}};
    return http_->Put(path.c_str(), h, body, type.c_str());
  }
  httplib::Result get(const std::string& path, const std::string& who) {
    return http_->Get(path.c_str(), {{"Authorization", "Bearer " + token(who)}});
  }
  httplib::Result del(const std::string& path, const std::string& who) {
    return http_->Delete(path.c_str(), {{"Authorization", "Bearer " + token(who)}});
  }
  // The Graph error code of an answer, after checking its status.
  std::string error_code(const httplib::Result& r, int status) {
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, status) << r->body;
    json j = json::parse(r->body, nullptr, false);
    return j.contains("error") ? j["error"]["code"].get<std::string>() : "(no error) " + r->body;
  }
  // PictureURL as SharePoint answers it for `who`'s own profile ("" when none).
  std::string picture_url(const std::string& who) {
    auto r = http_->Get((kPeople + "/GetMyProperties").c_str(),
                        {{"Authorization", "Bearer " + token(who, true)},
                         {"Accept", "application/json;odata=nometadata"}});
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    if (!r || r->status != 200) return "";
    json j = json::parse(r->body);
    return j["PictureUrl"].is_string() ? j["PictureUrl"].get<std::string>() : "";
  }

  static inline upsync::testing::FolderTemplate made_;
  static inline std::string client_id_, secret_;
  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(PhotosTest, APersonPutsTheirPhotoAndEveryoneReadsItInEachSize) {
  auto r = put(kGraph + "/me/photo/$value", "bob", make_image(true, 800, 400), "image/png");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;

  // The photo comes back as a JPEG of at most 648 pixels a side, to Bob and to anyone else.
  for (const char* who : {"bob", "adele", "app"}) {
    auto v = get(kGraph + "/users/bob@contoso.com/photo/$value", who);
    ASSERT_TRUE(v);
    ASSERT_EQ(v->status, 200) << who << ": " << v->body;
    EXPECT_EQ(v->get_header_value("Content-Type"), "image/jpeg");
    auto info = read_image_header(v->body);
    ASSERT_TRUE(info.has_value()) << info.status().message();
    EXPECT_EQ(info->format, ImageFormat::kJpeg);
    EXPECT_EQ(info->width, 648);
    EXPECT_EQ(info->height, 324);
  }
  auto mine = get(kGraph + "/me/photo/$value", "bob");
  ASSERT_TRUE(mine && mine->status == 200);

  auto meta = get(kGraph + "/me/photo", "bob");
  ASSERT_TRUE(meta && meta->status == 200) << (meta ? meta->body : "");
  json m = json::parse(meta->body);
  EXPECT_EQ(m["@odata.mediaContentType"], "image/jpeg");
  EXPECT_EQ(m["id"], "648X324");
  EXPECT_EQ(m["width"], 648);
  EXPECT_EQ(m["height"], 324);
  EXPECT_EQ(m["@odata.mediaEtag"], mine->get_header_value("ETag"));

  auto list = get(kGraph + "/users/bob@contoso.com/photos", "adele");
  ASSERT_TRUE(list && list->status == 200) << (list ? list->body : "");
  json l = json::parse(list->body);
  ASSERT_EQ(l["value"].size(), 4u);
  EXPECT_EQ(l["value"][0]["id"], "32X32");
  EXPECT_EQ(l["value"][0]["width"], 32);
  EXPECT_EQ(l["value"][0]["height"], 16);
  auto small = get(kGraph + "/users/bob@contoso.com/photos/96x96/$value", "adele");
  ASSERT_TRUE(small && small->status == 200);
  EXPECT_EQ(read_image_header(small->body)->width, 96);
  EXPECT_EQ(error_code(get(kGraph + "/me/photos/50X50", "bob"), 404), "ImageNotFound");

  // PictureURL links the medium size, and the link serves it to a signed-in colleague.
  std::string url = picture_url("bob");
  const std::string origin = "http://127.0.0.1:" + std::to_string(server_->port());
  ASSERT_EQ(url, origin +
                     "/tenants/contoso/sites/my/User%20Photos/Profile%20Pictures/"
                     "bob_40contoso_2Ecom_MThumb.jpg");
  auto linked = http_->Get(url.substr(origin.size()).c_str(),
                           {{"Authorization", "Bearer " + token("adele", true)}});
  ASSERT_TRUE(linked);
  ASSERT_EQ(linked->status, 200) << linked->body;
  EXPECT_EQ(linked->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(read_image_header(linked->body)->width, 96);
  auto anonymous = http_->Get(url.substr(origin.size()).c_str());
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
}

TEST_F(PhotosTest, NoPhotoIsImageNotFound) {
  EXPECT_EQ(error_code(get(kGraph + "/me/photo/$value", "adele"), 404), "ImageNotFound");
  EXPECT_EQ(error_code(get(kGraph + "/users/adele@contoso.com/photo", "bob"), 404),
            "ImageNotFound");
  EXPECT_EQ(error_code(get(kGraph + "/users/adele@contoso.com/photos", "bob"), 404),
            "ImageNotFound");
  EXPECT_EQ(error_code(get(kGraph + "/users/nobody@contoso.com/photo/$value", "bob"), 404),
            "Request_ResourceNotFound");
  EXPECT_EQ(error_code(get(kGraph + "/me/photo/$value", "app"), 400), "BadRequest");
  // Options the photo does not apply are refused, not ignored.
  EXPECT_EQ(error_code(get(kGraph + "/me/photo?$select=id", "adele"), 400),
            "Request_UnsupportedQuery");
}

TEST_F(PhotosTest, OnlyThePersonAdminsAndAppsChangeAPhoto) {
  const std::string png = make_image(true, 120, 120);
  // Bob may not write Adele's photo, nor remove it: 403, and nothing is stored.
  EXPECT_EQ(
      error_code(put(kGraph + "/users/adele@contoso.com/photo/$value", "bob", png, "image/png"),
                 403),
      "Authorization_RequestDenied");
  EXPECT_EQ(error_code(get(kGraph + "/users/adele@contoso.com/photo/$value", "adele"), 404),
            "ImageNotFound");
  EXPECT_EQ(picture_url("adele"), "");

  auto by_admin = put(kGraph + "/users/adele@contoso.com/photo/$value", "megan", png, "image/png");
  ASSERT_TRUE(by_admin && by_admin->status == 200) << (by_admin ? by_admin->body : "");
  auto by_app = put(kGraph + "/users/bob@contoso.com/photo/$value", "app", png, "image/png");
  ASSERT_TRUE(by_app && by_app->status == 200) << (by_app ? by_app->body : "");

  EXPECT_EQ(error_code(del(kGraph + "/users/adele@contoso.com/photo/$value", "bob"), 403),
            "Authorization_RequestDenied");
  EXPECT_TRUE(get(kGraph + "/users/adele@contoso.com/photo/$value", "adele")->status == 200);

  // Adele removes her own: gone, and PictureURL cleared.
  EXPECT_NE(picture_url("adele"), "");
  auto removed = del(kGraph + "/me/photo/$value", "adele");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 204) << removed->body;
  EXPECT_EQ(error_code(get(kGraph + "/me/photo/$value", "adele"), 404), "ImageNotFound");
  EXPECT_EQ(picture_url("adele"), "");
  EXPECT_EQ(error_code(del(kGraph + "/me/photo/$value", "adele"), 404), "ImageNotFound");
}

TEST_F(PhotosTest, ABadImageIsRefusedAndTheStoredPhotoStays) {
  ASSERT_EQ(
      put(kGraph + "/me/photo/$value", "bob", make_image(false, 300, 300), "image/jpeg")->status,
      200);
  auto before = get(kGraph + "/me/photo/$value", "bob");
  ASSERT_TRUE(before && before->status == 200);
  const std::string url_before = picture_url("bob");

  std::string png = make_image(true, 200, 200);
  std::string bomb = png;
  bomb[16] = bomb[17] = 0;  // IHDR width 0x0000EA60 = 60000
  bomb[18] = static_cast<char>(0xEA);
  bomb[19] = static_cast<char>(0x60);
  bomb[20] = bomb[21] = 0;
  bomb[22] = static_cast<char>(0xEA);
  bomb[23] = static_cast<char>(0x60);
  struct Case {
    const char* name;
    std::string body;
    const char* type;
    const char* message_part;
  } cases[] = {
      {"text", "certainly not a picture", "image/png", "not a JPEG, PNG or GIF"},
      {"lie", png, "image/jpeg", "content is image/png"},
      {"truncated", png.substr(0, png.size() / 2), "image/png", "truncated"},
      {"bomb", bomb, "image/png", "60000x60000 pixels"},
      {"empty", "", "image/png", "empty"},
  };
  for (const Case& c : cases) {
    auto r = put(kGraph + "/me/photo/$value", "bob", c.body, c.type);
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ(r->status, 400) << c.name << ": " << r->body;
    EXPECT_NE(r->body.find(c.message_part), std::string::npos) << c.name << ": " << r->body;
  }
  // Over 4 MB is the unit test's (tests/photos/photo_image_test.cpp OverFourMegabytes); here
  // the server's --max-body (4 MB by default) closes the connection mid-body, and a client
  // still writing would die of SIGPIPE.
  auto after = get(kGraph + "/me/photo/$value", "bob");
  ASSERT_TRUE(after && after->status == 200);
  EXPECT_EQ(after->body, before->body);
  EXPECT_EQ(picture_url("bob"), url_before);
}

TEST_F(PhotosTest, SetMyProfilePictureStoresTheCallersOwnPhoto) {
  auto r = http_->Post((kPeople + "/SetMyProfilePicture").c_str(),
                       {{"Authorization", "Bearer " + token("adele", true)},
                        {"Accept", "application/json;odata=verbose"}},
                       make_image(false, 500, 500),
                       // PnPjs's default Content-Type: says nothing of the bytes.
                       "application/json;odata=verbose;charset=utf-8");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto photo = get(kGraph + "/users/adele@contoso.com/photo", "bob");
  ASSERT_TRUE(photo && photo->status == 200) << (photo ? photo->body : "");
  EXPECT_EQ(json::parse(photo->body)["width"], 500);
  EXPECT_NE(picture_url("adele").find("adele_40contoso_2Ecom_MThumb.jpg"), std::string::npos);

  // Not an image: SharePoint's error, nothing stored for Bob.
  auto bad = http_->Post((kPeople + "/SetMyProfilePicture").c_str(),
                         {{"Authorization", "Bearer " + token("bob", true)}}, "GIF89a", "");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_NE(bad->body.find("GIF header is cut short"), std::string::npos) << bad->body;
  EXPECT_EQ(picture_url("bob"), "");
  // An app has no picture of its own.
  auto app = http_->Post((kPeople + "/SetMyProfilePicture").c_str(),
                         {{"Authorization", "Bearer " + token("app", true)}},
                         make_image(true, 10, 10), "image/png");
  ASSERT_TRUE(app);
  EXPECT_EQ(app->status, 403) << app->body;
}

}  // namespace
}  // namespace upsync
