#include "http/batch.h"

#include <vector>

#include "core/text.h"

namespace upsync {

namespace {

// Headers a part may not carry: the batch's own say who calls and where, and a body's framing
// is the part's, not a header's.
constexpr std::string_view kRefusedHeaders[] = {
    "Host", "Authorization", "Content-Length", "Transfer-Encoding", "Cookie", "Connection"};

Status check_inner(const Call& batch, const InnerRequest& inner, std::string_view path) {
  for (const auto& [name, value] : inner.headers) {
    for (std::string_view refused : kRefusedHeaders) {
      if (ascii_iequal(name, refused)) {
        return invalid_argument("The request " + inner.part + " of the batch carries a " +
                                std::string(refused) +
                                " header; a batch's requests take the batch's own.");
      }
    }
    if (name.empty() || value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos ||
        name.find_first_of(std::string_view(" \t\r\n:\0", 6)) != std::string::npos) {
      return invalid_argument("The request " + inner.part + " of the batch has a header " +
                              quote_for_message(name) +
                              " with a line break or a character a header may not have.");
    }
  }
  // The batch's tenant, addressed as the batch addressed it.
  const std::string lower = ascii_lower(path);
  const bool by_path = batch.tenant_base != batch.origin;
  const std::string prefix = "/tenants/" + ascii_lower(batch.tenant.name) + "/";
  if (by_path ? !lower.starts_with(prefix) : lower.starts_with("/tenants/")) {
    return invalid_argument("The request " + inner.part + " of the batch is for " +
                            quote_for_message(path) + ", outside the tenant '" + batch.tenant.name +
                            "' the batch was sent to.");
  }
  if (lower.ends_with("/$batch") || lower.ends_with("/$batch/")) {
    return invalid_argument("The request " + inner.part +
                            " of the batch is a batch itself; a batch cannot hold another.");
  }
  return Status::ok();
}

// A streamed answer's bytes, read into its body (at most `limit` of them; false past that).
bool read_streamed(HttpResponse& res, size_t limit) {
  if (res.reader_length > limit) return false;
  std::string body(res.reader_length, '\0');
  uint64_t at = 0;
  while (at < res.reader_length) {
    ssize_t n = res.reader(at, body.data() + at, static_cast<size_t>(res.reader_length - at));
    if (n <= 0) return false;
    at += static_cast<uint64_t>(n);
  }
  res.reader = nullptr;
  res.reader_length = 0;
  res.body = std::move(body);
  return true;
}

}  // namespace

std::string batch_query_option(const Call& batch) {
  for (const auto& [name, value] : batch.req.params) {
    if (name.starts_with("$") || name.starts_with("@")) return name;
  }
  return "";
}

HttpResponse run_inner_request(const Call& batch, InnerRequest inner, Surface surface,
                               size_t& budget) {
  HttpRequest req;
  req.method = inner.method;
  req.target = inner.target;
  req.remote_addr = batch.req.remote_addr;
  req.body = std::move(inner.body);
  std::string_view target = req.target;
  size_t q = target.find('?');
  req.path = url_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) parse_query(target.substr(q + 1), req.params);
  HttpResponse res;
  Status st = check_inner(batch, inner, req.path);
  req.headers = std::move(inner.headers);
  req.headers.emplace("Host", batch.req.get_header_value("Host"));
  if (batch.req.has_header("Authorization")) {
    req.headers.emplace("Authorization", batch.req.get_header_value("Authorization"));
  }
  if (!st.is_ok()) {
    write_error(req, res, surface, st);
  } else if (!batch.server.dispatch_part) {
    write_error(req, res, surface, internal_error("this server cannot answer a batch's requests"));
  } else {
    batch.server.dispatch_part(req, res, inner.part);
  }
  if (res.later) {
    // Only the token endpoint answers later, and no batch reaches it; refuse rather than wait.
    res = HttpResponse();
    write_error(
        req, res, surface,
        invalid_argument("The request " + inner.part +
                         " of the batch cannot be answered inside a batch; send it alone."));
  } else if (res.reader ? !read_streamed(res, budget) : res.body.size() > budget) {
    res = HttpResponse();
    write_error(req, res, surface,
                invalid_argument("The answers of this batch would exceed " +
                                 std::to_string(kMaxBatchAnswerBytes / (1024 * 1024)) +
                                 " MB with the request " + inner.part + "; send it alone."));
    res.status = 413;
  }
  budget -= std::min(budget, res.body.size());
  return res;
}

}  // namespace upsync
