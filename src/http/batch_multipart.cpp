#include "http/batch_multipart.h"

#include <cctype>

#include "core/text.h"

namespace upsync {

namespace {

// A part's MIME headers, or its request's headers: more is an attack, not a request.
constexpr size_t kMaxHeaderLines = 64;
// RFC 2046: a boundary is 1 to 70 characters.
constexpr size_t kMaxBoundary = 70;

Status at_line(size_t line, const std::string& message) {
  return invalid_argument("$batch body, line " + std::to_string(line) + ": " + message);
}

// The body's lines, each without its LF and one CR before it; `start` is where the last line
// read begins.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    start_ = pos_;
    size_t lf = text_.find('\n', pos_);
    size_t end = lf == std::string_view::npos ? text_.size() : lf;
    pos_ = lf == std::string_view::npos ? text_.size() : lf + 1;
    line = text_.substr(start_, end - start_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number_;
    return true;
  }
  size_t number() const { return number_; }
  size_t start() const { return start_; }  // of the last line read
  size_t pos() const { return pos_; }      // of the next line
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t number_ = 0;
};

enum class Delimiter { kNone, kNext, kClose };

Delimiter delimiter(std::string_view line, std::string_view boundary) {
  if (line.size() < boundary.size() + 2 || !line.starts_with("--") ||
      line.substr(2, boundary.size()) != boundary) {
    return Delimiter::kNone;
  }
  std::string_view rest = line.substr(2 + boundary.size());
  // Transport padding (RFC 2046): spaces and tabs after the delimiter.
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  if (rest.empty()) return Delimiter::kNext;
  if (rest == "--") return Delimiter::kClose;
  return Delimiter::kNone;
}

bool is_token_char(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// A header line "Name: value": a token name, and a value without control characters (a CR
// left inside a line, a NUL), which is how a header is smuggled into another.
Status check_header(std::string_view line, size_t number, std::string& name, std::string& value) {
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    return at_line(number, "a folded header line (starting with a space or tab) is not accepted");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return at_line(number, "expected a header 'Name: value', got " + quote_for_message(line));
  }
  for (unsigned char c : line.substr(0, colon)) {
    if (!is_token_char(c)) {
      return at_line(number, "the header name " + quote_for_message(line.substr(0, colon)) +
                                 " has a character a header name may not have");
    }
  }
  std::string_view v = line.substr(colon + 1);
  for (unsigned char c : v) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return at_line(number, "the header " + std::string(line.substr(0, colon)) +
                                 " has a control character in its value");
    }
  }
  name = std::string(line.substr(0, colon));
  value = std::string(trim(v));
  return Status::ok();
}

// Headers up to the blank line that ends them.
Result<PartHeaders> read_headers(Lines& lines, std::string_view what) {
  PartHeaders out;
  std::string_view line;
  while (true) {
    if (!lines.next(line)) {
      return at_line(lines.number(), "the body ends inside " + std::string(what) +
                                         " (no blank line after its headers)");
    }
    if (line.empty()) return out;
    if (out.size() == kMaxHeaderLines) {
      return at_line(lines.number(), std::string(what) + " has more than " +
                                         std::to_string(kMaxHeaderLines) + " headers");
    }
    std::string name, value;
    UPSYNC_RETURN_IF_ERROR(check_header(line, lines.number(), name, value));
    out.emplace_back(std::move(name), std::move(value));
  }
}

std::string header(const PartHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (ascii_iequal(n, name)) return v;
  }
  return "";
}

// "GET https://host/_api/web HTTP/1.1"
Status parse_request_line(std::string_view line, size_t number, BatchPartRequest& out) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return at_line(number,
                   "expected a request line 'METHOD URL HTTP/1.1', got " + quote_for_message(line));
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || method.size() > 16) {
    return at_line(number, "the method " + quote_for_message(method) + " is not an HTTP method");
  }
  for (char c : method) {
    if (c < 'A' || c > 'Z') {
      return at_line(number, "the method " + quote_for_message(method) + " is not an HTTP method");
    }
  }
  if (target.empty()) return at_line(number, "the request line has no URL");
  for (unsigned char c : target) {
    if (c < 0x21 || c == 0x7f) {
      return at_line(number, "the URL has a control character");
    }
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return at_line(number, "expected HTTP/1.1 at the end of the request line, got " +
                               quote_for_message(version));
  }
  out.method = std::string(method);
  out.target = std::string(target);
  return Status::ok();
}

// One application/http part, from the line after its MIME headers up to the delimiter of
// `boundary` that ends it (read too, and returned). A delimiter of `outer` (the batch's, when
// this part is in a changeset) before that is a changeset left open.
Result<Delimiter> read_request(Lines& lines, std::string_view boundary, std::string_view outer,
                               BatchPartRequest& out) {
  std::string_view line;
  if (!lines.next(line)) {
    return at_line(lines.number(), "the body ends where a request line was expected");
  }
  if (delimiter(line, boundary) != Delimiter::kNone) {
    return at_line(lines.number(), "a part has no request");
  }
  UPSYNC_RETURN_IF_ERROR(parse_request_line(line, lines.number(), out));
  UPSYNC_ASSIGN_OR_RETURN(out.headers, read_headers(lines, "a request"));
  size_t body_start = lines.pos();
  while (lines.next(line)) {
    Delimiter d = delimiter(line, boundary);
    if (d == Delimiter::kNone && !outer.empty() && delimiter(line, outer) != Delimiter::kNone) {
      return at_line(lines.number(), "the changeset --" + std::string(boundary) +
                                         " is not closed before the next part of the batch");
    }
    if (d == Delimiter::kNone) continue;
    std::string_view body = lines.text().substr(body_start, lines.start() - body_start);
    // The line break before a delimiter is the delimiter's (RFC 2046); PnPjs adds one more.
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
    out.body = std::string(body);
    return d;
  }
  return at_line(lines.number(), "the body ends inside a part: no closing delimiter --" +
                                     std::string(boundary) + "--");
}

// Reads parts until `boundary`'s closing delimiter; the opening delimiter has been read.
// `changeset` is the index for the requests read, `outer` the batch's boundary inside one.
Status read_parts(Lines& lines, std::string_view boundary, std::string_view outer, int changeset,
                  int& changesets, size_t max_requests, std::vector<BatchPartRequest>& out);

Status read_changeset(Lines& lines, std::string_view inner, std::string_view outer, int index,
                      int& changesets, size_t max_requests, std::vector<BatchPartRequest>& out) {
  // Blank lines (a preamble) up to the changeset's first delimiter.
  std::string_view line;
  while (true) {
    if (!lines.next(line)) {
      return at_line(lines.number(),
                     "the body ends before the changeset's first --" + std::string(inner));
    }
    Delimiter d = delimiter(line, inner);
    if (d == Delimiter::kNext) break;
    if (d == Delimiter::kClose) return Status::ok();  // an empty changeset
    if (!trim(line).empty()) {
      return at_line(lines.number(),
                     "expected --" + std::string(inner) + ", got " + quote_for_message(line));
    }
  }
  UPSYNC_RETURN_IF_ERROR(read_parts(lines, inner, outer, index, changesets, max_requests, out));
  return Status::ok();
}

Status read_parts(Lines& lines, std::string_view boundary, std::string_view outer, int changeset,
                  int& changesets, size_t max_requests, std::vector<BatchPartRequest>& out) {
  const bool in_changeset = !outer.empty();
  while (true) {
    size_t start = lines.number() + 1;
    UPSYNC_ASSIGN_OR_RETURN(PartHeaders mime, read_headers(lines, "a part"));
    std::string type = ascii_lower(header(mime, "Content-Type"));
    std::string media = std::string(trim(std::string_view(type).substr(0, type.find(';'))));
    if (media == "application/http") {
      std::string encoding = ascii_lower(header(mime, "Content-Transfer-Encoding"));
      if (!encoding.empty() && encoding != "binary") {
        return at_line(
            start, "Content-Transfer-Encoding must be binary, got " + quote_for_message(encoding));
      }
      if (out.size() == max_requests) {
        return at_line(start,
                       "a batch holds at most " + std::to_string(max_requests) + " requests");
      }
      BatchPartRequest request;
      request.changeset = changeset;
      request.line = start;
      UPSYNC_ASSIGN_OR_RETURN(Delimiter d, read_request(lines, boundary, outer, request));
      out.push_back(std::move(request));
      if (d == Delimiter::kClose) return Status::ok();
      continue;
    }
    if (media == "multipart/mixed") {
      if (in_changeset) return at_line(start, "a changeset cannot hold another changeset");
      UPSYNC_ASSIGN_OR_RETURN(std::string inner, multipart_boundary(header(mime, "Content-Type")));
      if (inner == boundary || inner.starts_with(boundary) || boundary.starts_with(inner)) {
        return at_line(start, "a changeset's boundary must differ from the batch's");
      }
      const int index = changesets++;
      UPSYNC_RETURN_IF_ERROR(
          read_changeset(lines, inner, boundary, index, changesets, max_requests, out));
      // Up to the batch's next delimiter: only blank lines after the changeset's close.
      std::string_view line;
      while (true) {
        if (!lines.next(line)) {
          return at_line(lines.number(), "the body ends inside a part: no closing delimiter --" +
                                             std::string(boundary) + "--");
        }
        Delimiter d = delimiter(line, boundary);
        if (d == Delimiter::kClose) return Status::ok();
        if (d == Delimiter::kNext) break;
        if (!trim(line).empty()) {
          return at_line(lines.number(),
                         "text after a changeset's end: " + quote_for_message(line));
        }
      }
      continue;
    }
    return at_line(start,
                   "a part must be application/http or a multipart/mixed changeset, got " +
                       (type.empty() ? std::string("no Content-Type") : quote_for_message(type)));
  }
}

}  // namespace

Result<std::string> multipart_boundary(std::string_view content_type) {
  std::string lower = ascii_lower(content_type);
  if (!std::string_view(lower).starts_with("multipart/mixed")) {
    return invalid_argument("a $batch body must be multipart/mixed, got Content-Type " +
                            quote_for_message(content_type));
  }
  size_t at = lower.find("boundary=");
  if (at == std::string::npos) {
    return invalid_argument("the Content-Type " + quote_for_message(content_type) +
                            " has no boundary (multipart/mixed; boundary=batch_<guid>)");
  }
  std::string_view rest = content_type.substr(at + 9);
  std::string boundary;
  if (!rest.empty() && rest[0] == '"') {
    size_t close = rest.find('"', 1);
    if (close == std::string_view::npos) {
      return invalid_argument("the boundary in " + quote_for_message(content_type) +
                              " has no closing quote");
    }
    boundary = std::string(rest.substr(1, close - 1));
  } else {
    boundary = std::string(trim(rest.substr(0, rest.find(';'))));
  }
  if (boundary.empty() || boundary.size() > kMaxBoundary) {
    return invalid_argument("a multipart boundary has 1 to 70 characters, got " +
                            quote_for_message(boundary));
  }
  for (unsigned char c : boundary) {
    if (!std::isalnum(c) &&
        std::string_view("'()+_,-./:=? ").find(static_cast<char>(c)) == std::string_view::npos) {
      return invalid_argument("the boundary " + quote_for_message(boundary) +
                              " has a character RFC 2046 does not allow");
    }
  }
  if (boundary.back() == ' ') {
    return invalid_argument("a multipart boundary cannot end with a space");
  }
  return boundary;
}

Result<std::vector<BatchPartRequest>> parse_batch_request(std::string_view content_type,
                                                          std::string_view body,
                                                          size_t max_requests) {
  UPSYNC_ASSIGN_OR_RETURN(std::string boundary, multipart_boundary(content_type));
  Lines lines(body);
  std::string_view line;
  // A preamble, ignored, up to the first delimiter.
  while (true) {
    if (!lines.next(line)) {
      return at_line(lines.number(), "no --" + boundary + " delimiter in the body");
    }
    Delimiter d = delimiter(line, boundary);
    if (d == Delimiter::kClose) return std::vector<BatchPartRequest>();
    if (d == Delimiter::kNext) break;
  }
  std::vector<BatchPartRequest> out;
  int changesets = 0;
  UPSYNC_RETURN_IF_ERROR(read_parts(lines, boundary, "", -1, changesets, max_requests, out));
  return out;
}

std::string_view http_reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 424:
      return "Failed Dependency";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

Result<std::string> write_batch_response(std::string_view boundary,
                                         const std::vector<BatchPartResponse>& parts) {
  const std::string delimiter = "--" + std::string(boundary);
  std::string out;
  for (const auto& part : parts) {
    if (part.body.find(delimiter) != std::string::npos) {
      return invalid_argument("an answer's body holds the boundary " + std::string(boundary));
    }
    out += delimiter;
    out += "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n";
    out += "HTTP/1.1 " + std::to_string(part.status) + " ";
    out += http_reason(part.status);
    out += "\r\n";
    for (const auto& [name, value] : part.headers) {
      // Our own handlers' headers; a line break in one would end the part's header block.
      if (name.find_first_of("\r\n:") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        continue;
      }
      out += name + ": " + value + "\r\n";
    }
    out += "\r\n";
    out += part.body;
    out += "\r\n";
  }
  out += delimiter + "--\r\n";
  return out;
}

}  // namespace upsync
