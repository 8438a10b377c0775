// One HTTP request and its answer, as the handlers of `upsync serve` see them.
//
// The engine (http_server.h) fills an HttpRequest from the wire: the raw target as sent, the
// percent-decoded path, the query's parameters (and a form body's, for
// application/x-www-form-urlencoded POSTs such as the OAuth2 token request), the headers
// (names compared without case, as HTTP does) and the whole body. A handler fills the
// HttpResponse: a status, headers, and either a body or a reader that streams a large one.
// A route that takes a file's content asks, from the headers alone, for its body to go to a
// BodySink instead of memory (http_server.h: BodyPlan).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/text.h"

namespace upsync {

struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

using HttpHeaders = std::multimap<std::string, std::string, CaseInsensitiveLess>;
using HttpParams = std::multimap<std::string, std::string, std::less<>>;

// Where a streamed request body goes: the engine hands it each piece of the body as it arrives
// and keeps none. A sink that fails keeps its first error and says no; the engine then reads
// and drops the rest of the body and still calls the handler, which asks the sink (through
// its own type) how it went. Destroyed before its handler finished with it (the client went
// away mid-body), a sink undoes what it stored.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // Stores the next piece of the body; false once storing has failed.
  virtual bool write(std::string_view piece) = 0;
};

struct HttpRequest {
  std::string method;       // "GET", "POST", ... as sent; "GET" for a HEAD request
  bool head = false;        // a HEAD request: served as its GET, the engine sends no body
  std::string target;       // the request target as sent: path and query, still encoded
  std::string path;         // the target's path, percent-decoded
  std::string remote_addr;  // the client's IP address
  HttpHeaders headers;
  HttpParams params;  // query parameters, then a form body's, decoded
  std::string body;
  // Set when the route streamed the body (`body` is then empty): where it went.
  std::shared_ptr<BodySink> body_sink;

  bool has_header(std::string_view name) const;
  // The first value of header `name`, or "".
  std::string get_header_value(std::string_view name) const;
  bool has_param(std::string_view name) const;
  // The first value of parameter `name`, or "".
  std::string get_param_value(std::string_view name) const;
};

// Streams a body: writes up to `max` bytes from `offset` into `buf` and returns how many, 0 or
// less when the content cannot be read (the connection is then closed).
using ContentReader = std::function<ssize_t(uint64_t offset, char* buf, size_t max)>;

struct HttpResponse;

// What the engine does with a request's body, decided from its headers (http_server.h).
struct BodyPlan {
  std::shared_ptr<BodySink> sink;        // set: the body streams here, with no --max-body limit
  std::unique_ptr<HttpResponse> answer;  // set: the request is answered now, its body unread
};

// Sends the answer of a request answered later; call it once, from any thread.
using FinishAnswer = std::function<void(HttpResponse)>;

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  ContentReader reader;  // set instead of `body` for a streamed answer
  uint64_t reader_length = 0;
  // Set by a handler that answers later (its work waits on a pool of its own): the engine
  // frees its thread for other connections, then calls `later` with the function that sends
  // the answer. The rest of this response is then unused.
  std::function<void(FinishAnswer)> later;

  // Replaces every value of header `name`.
  void set_header(std::string_view name, std::string value);
  void set_content(std::string content, std::string_view content_type);
  void set_content_provider(uint64_t length, std::string_view content_type, ContentReader r);
  // The answer's length in bytes, whichever way it is sent.
  uint64_t content_length() const { return reader ? reader_length : body.size(); }
};

// `s` with %XX escapes decoded, and '+' as a space when `plus_as_space` (form encoding). An
// escape that is not two hex digits stays as written, as browsers and proxies leave it.
std::string url_decode(std::string_view s, bool plus_as_space);
// Adds the parameters of "a=1&b=x%20y" (form encoding: '+' is a space) to `params`.
void parse_query(std::string_view query, HttpParams& params);

}  // namespace upsync
