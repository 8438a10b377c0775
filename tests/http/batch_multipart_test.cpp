// The multipart/mixed reader and writer of SharePoint's $batch (src/http/batch_multipart.h):
// PnPjs's own body (LF lines) and the same in CRLF, changesets, and a corpus of hostile bodies
// each refused with the line it names.
#include "http/batch_multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace upsync {
namespace {

const std::string kType = "multipart/mixed; boundary=batch_1234";

// What PnPjs 4 writes for two reads and a changeset of two writes (batching.js).
const std::string kPnPjsBody =
    "--batch_1234\n"
    "Content-Type: application/http\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "GET https://h/tenants/t/_api/web HTTP/1.1\n"
    "Accept: application/json\n"
    "Content-Type: application/json;charset=utf-8\n"
    "\n"
    "--batch_1234\n"
    "Content-Type: multipart/mixed; boundary=\"changeset_abcd\"\n"
    "\n"
    "--changeset_abcd\n"
    "Content-Type: application/http\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "POST https://h/tenants/t/_api/SP.UserProfiles.PeopleManager/SetSingleValueProfileProperty "
    "HTTP/1.1\n"
    "Accept: application/json\n"
    "Content-Type: application/json;charset=utf-8\n"
    "\n"
    "{\"accountName\":\"a\",\"propertyName\":\"City\",\"propertyValue\":\"Oslo\"}\n"
    "\n"
    "--changeset_abcd\n"
    "Content-Type: application/http\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "DELETE https://h/tenants/t/_api/web/siteusers/removebyid(7) HTTP/1.1\n"
    "Accept: application/json\n"
    "\n"
    "--changeset_abcd--\n"
    "\n"
    "--batch_1234\n"
    "Content-Type: application/http\n"
    "Content-Transfer-Encoding: binary\n"
    "\n"
    "GET https://h/tenants/t/_api/web/currentuser HTTP/1.1\n"
    "Accept: application/json;odata=verbose\n"
    "\n"
    "--batch_1234--\n";

std::string crlf(const std::string& lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

void expect_pnpjs_parts(const std::vector<BatchPartRequest>& parts) {
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0].method, "GET");
  EXPECT_EQ(parts[0].target, "https://h/tenants/t/_api/web");
  EXPECT_EQ(parts[0].changeset, -1);
  ASSERT_EQ(parts[0].headers.size(), 2u);
  EXPECT_EQ(parts[0].headers[0].first, "Accept");
  EXPECT_EQ(parts[0].headers[0].second, "application/json");
  EXPECT_EQ(parts[0].body, "");
  EXPECT_EQ(parts[1].method, "POST");
  EXPECT_EQ(parts[1].changeset, 0);
  EXPECT_EQ(parts[1].body, R"({"accountName":"a","propertyName":"City","propertyValue":"Oslo"})");
  EXPECT_EQ(parts[2].method, "DELETE");
  EXPECT_EQ(parts[2].changeset, 0);
  EXPECT_EQ(parts[2].target, "https://h/tenants/t/_api/web/siteusers/removebyid(7)");
  EXPECT_EQ(parts[3].changeset, -1);
  EXPECT_EQ(parts[3].headers[0].second, "application/json;odata=verbose");
}

TEST(BatchMultipart, ReadsPnPjsBodyWithLfLines) {
  auto parts = parse_batch_request(kType, kPnPjsBody, 100);
  ASSERT_TRUE(parts) << parts.status().message();
  expect_pnpjs_parts(*parts);
}

TEST(BatchMultipart, ReadsTheSameBodyWithCrlfLines) {
  auto parts = parse_batch_request(kType, crlf(kPnPjsBody), 100);
  ASSERT_TRUE(parts) << parts.status().message();
  expect_pnpjs_parts(*parts);
}

TEST(BatchMultipart, QuotedBoundaryPreambleAndPaddingAreRead) {
  std::string body =
      "this is a preamble\n--batch_1234  \nContent-Type: application/http\n\n"
      "GET /_api/web HTTP/1.1\n\n--batch_1234--\nepilogue\n";
  auto parts = parse_batch_request("Multipart/Mixed; boundary=\"batch_1234\"", body, 100);
  ASSERT_TRUE(parts) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].target, "/_api/web");
}

TEST(BatchMultipart, AnEmptyBatchHasNoRequests) {
  auto parts = parse_batch_request(kType, "--batch_1234--\n", 100);
  ASSERT_TRUE(parts) << parts.status().message();
  EXPECT_TRUE(parts->empty());
}

TEST(BatchMultipart, ABodyKeepsItsInnerLineBreaks) {
  std::string body =
      "--batch_1234\nContent-Type: application/http\n\nPOST /_api/x HTTP/1.1\n\nline 1\r\n\r\n"
      "line 3\n\n--batch_1234--\n";
  auto parts = parse_batch_request(kType, body, 100);
  ASSERT_TRUE(parts) << parts.status().message();
  EXPECT_EQ((*parts)[0].body, "line 1\r\n\r\nline 3");
}

struct HostileBody {
  const char* name;
  std::string content_type;
  std::string body;
  const char* message;  // a part of the error's message
};

const std::string kPart = "--batch_1234\nContent-Type: application/http\n\n";

std::vector<HostileBody> hostile_bodies() {
  std::string many;
  for (int i = 0; i < 101; ++i) many += kPart + "GET /_api/web HTTP/1.1\n\n";
  many += "--batch_1234--\n";
  return {
      {"NotMultipart", "application/json", kPnPjsBody, "must be multipart/mixed"},
      {"NoBoundary", "multipart/mixed", kPnPjsBody, "has no boundary"},
      {"EmptyBoundary", "multipart/mixed; boundary=", kPnPjsBody, "1 to 70 characters"},
      {"LongBoundary", "multipart/mixed; boundary=" + std::string(71, 'b'), kPnPjsBody,
       "1 to 70 characters"},
      {"UnclosedQuote", "multipart/mixed; boundary=\"batch_1234", kPnPjsBody, "no closing quote"},
      {"BadBoundaryCharacter", "multipart/mixed; boundary=ba<tch", kPnPjsBody, "RFC 2046"},
      {"NoDelimiter", kType, "GET /_api/web HTTP/1.1\n\n", "no --batch_1234 delimiter"},
      {"EmptyBody", kType, "", "no --batch_1234 delimiter"},
      {"TruncatedInHeaders", kType, "--batch_1234\nContent-Type: application/http\n",
       "ends inside a part"},
      {"TruncatedInRequest", kType, kPart + "GET /_api/web HTTP/1.1\nAccept: x\n",
       "ends inside a request"},
      {"TruncatedBody", kType,
       kPart + "POST /_api/web HTTP/1.1\n\n{\"a\":", "no closing delimiter --batch_1234--"},
      {"NoRequestLine", kType, kPart + "--batch_1234--\n", "a part has no request"},
      {"NotARequestLine", kType, kPart + "hello\n\n--batch_1234--\n", "expected a request line"},
      {"LowerCaseMethod", kType, kPart + "get /_api/web HTTP/1.1\n\n--batch_1234--\n",
       "not an HTTP method"},
      {"NoVersion", kType, kPart + "GET /_api/web HTTP/2\n\n--batch_1234--\n", "expected HTTP/1.1"},
      {"SpaceInUrl", kType, kPart + "GET /_api/web x HTTP/1.1\n\n--batch_1234--\n",
       "expected a request line"},
      {"ControlInUrl", kType,
       kPart + "GET /_api/w\x01"
               "eb HTTP/1.1\n\n--batch_1234--\n",
       "control character"},
      {"FoldedHeader", kType,
       kPart + "GET /_api/web HTTP/1.1\nAccept: a\n Host: evil\n\n--batch_1234--\n", "folded"},
      {"BareCrInHeader", kType,
       kPart + "GET /_api/web HTTP/1.1\nAccept: a\rHost: evil\n\n--batch_1234--\n",
       "control character"},
      {"NulInHeader", kType,
       kPart + "GET /_api/web HTTP/1.1\nAccept: a" + std::string(1, '\0') + "\n\n--batch_1234--\n",
       "control character"},
      {"HeaderWithoutColon", kType, kPart + "GET /_api/web HTTP/1.1\nAccept\n\n--batch_1234--\n",
       "expected a header"},
      {"BadHeaderName", kType, kPart + "GET /_api/web HTTP/1.1\nAc cept: x\n\n--batch_1234--\n",
       "header name"},
      {"TooManyHeaders", kType,
       [] {
         std::string h;
         for (int i = 0; i < 65; ++i) h += "X-" + std::to_string(i) + ": v\n";
         return kPart + "GET /_api/web HTTP/1.1\n" + h + "\n--batch_1234--\n";
       }(),
       "more than 64 headers"},
      {"Base64Part", kType,
       "--batch_1234\nContent-Type: application/http\nContent-Transfer-Encoding: base64\n\n"
       "R0VU\n--batch_1234--\n",
       "must be binary"},
      {"NoPartType", kType, "--batch_1234\n\nGET /_api/web HTTP/1.1\n\n--batch_1234--\n",
       "no Content-Type"},
      {"OtherPartType", kType,
       "--batch_1234\nContent-Type: text/plain\n\nGET /_api/web HTTP/1.1\n\n--batch_1234--\n",
       "application/http or a multipart/mixed changeset"},
      {"NestedChangeset", kType,
       "--batch_1234\nContent-Type: multipart/mixed; boundary=cs_1\n\n--cs_1\n"
       "Content-Type: multipart/mixed; boundary=cs_2\n\n--cs_2--\n--cs_1--\n--batch_1234--\n",
       "cannot hold another changeset"},
      {"ChangesetWithBatchBoundary", kType,
       "--batch_1234\nContent-Type: multipart/mixed; boundary=batch_1234\n\n--batch_1234--\n",
       "must differ"},
      {"ChangesetNeverClosed", kType,
       "--batch_1234\nContent-Type: multipart/mixed; boundary=cs_1\n\n--cs_1\n"
       "Content-Type: application/http\n\nPOST /_api/x HTTP/1.1\n\n{}\n--batch_1234--\n",
       "is not closed"},
      {"TextAfterChangeset", kType,
       "--batch_1234\nContent-Type: multipart/mixed; boundary=cs_1\n\n--cs_1--\nsmuggled\n"
       "--batch_1234--\n",
       "text after a changeset"},
      {"TooManyRequests", kType, many, "at most 100 requests"},
  };
}

class HostileBatchBody : public ::testing::TestWithParam<HostileBody> {};

TEST_P(HostileBatchBody, IsRefusedNamingWhatAndWhere) {
  const HostileBody& c = GetParam();
  for (const std::string& body : {c.body, crlf(c.body)}) {
    auto parts = parse_batch_request(c.content_type, body, 100);
    ASSERT_FALSE(parts) << c.name;
    EXPECT_EQ(parts.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parts.status().message().find(c.message), std::string::npos)
        << parts.status().message();
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, HostileBatchBody, ::testing::ValuesIn(hostile_bodies()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(BatchMultipart, AHugePartCountStopsAtTheLimitWithoutReadingOn) {
  std::string body;
  for (int i = 0; i < 100000; ++i) body += kPart + "GET /_api/web HTTP/1.1\n\n";
  auto parts = parse_batch_request(kType, body, 20);
  ASSERT_FALSE(parts);
  EXPECT_NE(parts.status().message().find("at most 20 requests"), std::string::npos);
  EXPECT_NE(parts.status().message().find("line 102:"), std::string::npos)
      << parts.status().message();
}

TEST(BatchMultipart, WritesSharePointsAnswerInCrlfLines) {
  std::vector<BatchPartResponse> parts(2);
  parts[0].status = 200;
  parts[0].headers = {{"Content-Type", "application/json;odata=nometadata"}};
  parts[0].body = R"({"a":1})";
  parts[1].status = 204;
  auto text = write_batch_response("batchresponse_9", parts);
  ASSERT_TRUE(text) << text.status().message();
  EXPECT_EQ(*text,
            "--batchresponse_9\r\nContent-Type: application/http\r\n"
            "Content-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 200 OK\r\n"
            "Content-Type: application/json;odata=nometadata\r\n\r\n{\"a\":1}\r\n"
            "--batchresponse_9\r\nContent-Type: application/http\r\n"
            "Content-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n"
            "--batchresponse_9--\r\n");
}

TEST(BatchMultipart, AnAnswerHoldingTheBoundaryIsNotWritten) {
  std::vector<BatchPartResponse> parts(1);
  parts[0].body = "text\r\n--batchresponse_9\r\nHTTP/1.1 200 OK";
  EXPECT_FALSE(write_batch_response("batchresponse_9", parts));
  EXPECT_TRUE(write_batch_response("batchresponse_8", parts));
}

TEST(BatchMultipart, AHeaderWithALineBreakIsNotWrittenIntoTheAnswer) {
  std::vector<BatchPartResponse> parts(1);
  parts[0].headers = {{"X-A", "1\r\nX-Injected: 2"}, {"X-B", "3"}};
  auto text = write_batch_response("b", parts);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find("X-Injected"), std::string::npos);
  EXPECT_NE(text->find("X-B: 3\r\n"), std::string::npos);
}

TEST(BatchMultipart, ReasonPhrases) {
  EXPECT_EQ(http_reason(200), "OK");
  EXPECT_EQ(http_reason(403), "Forbidden");
  EXPECT_EQ(http_reason(424), "Failed Dependency");
  EXPECT_EQ(http_reason(299), "Unknown");
}

}  // namespace
}  // namespace upsync
