// SharePoint's multipart `_api/$batch` (sharepoint_batch.h).
#include "http/sharepoint_batch.h"

#include <vector>

#include "core/clock.h"
#include "core/text.h"
#include "http/batch.h"
#include "http/batch_multipart.h"
#include "http/sharepoint_common.h"

namespace upsync {

namespace {

HttpResponse part_error(std::string_view accept, const Status& status) {
  HttpRequest req;
  if (!accept.empty()) req.headers.emplace("Accept", std::string(accept));
  HttpResponse res;
  write_error(req, res, Surface::kSharePoint, status);
  return res;
}

std::string part_header(const PartHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (ascii_iequal(n, name)) return v;
  }
  return "";
}

// The request target on this server of a part's URL: an absolute URL of the batch's own
// origin (PnPjs writes these), or a path; and under _api/.
Result<std::string> part_target(const Call& call, const BatchPartRequest& part,
                                std::string_view id) {
  std::string_view url = part.target;
  if (!url.starts_with("/")) {
    size_t scheme = url.find("://");
    size_t path = scheme == std::string_view::npos ? url.npos : url.find('/', scheme + 3);
    std::string_view origin = url.substr(0, path);
    if (scheme == std::string_view::npos || !ascii_iequal(origin, call.origin)) {
      return invalid_argument("The request " + std::string(id) + " of the batch is for " +
                              quote_for_message(part.target) +
                              ": a batch's requests go to the server it was sent to, " +
                              call.origin + ".");
    }
    url = path == std::string_view::npos ? std::string_view("/") : url.substr(path);
  }
  std::string path = ascii_lower(url_decode(url.substr(0, url.find('?')), false));
  if (path.find("/_api/") == std::string::npos) {
    return invalid_argument("The request " + std::string(id) + " of the batch is for " +
                            quote_for_message(part.target) +
                            ": only REST requests (under /_api/) can be batched.");
  }
  return std::string(url);
}

BatchPartResponse run_part(const Call& call, const BatchPartRequest& part, size_t index,
                           size_t& budget) {
  const std::string id = std::to_string(index + 1);
  const std::string accept = part_header(part.headers, "Accept");
  HttpResponse res;
  if (part.changeset >= 0 && part.method == "GET") {
    // OData: a changeset holds changes; reads go directly in the batch.
    res = part_error(accept, invalid_argument("The request " + id +
                                              " of the batch is a GET inside a changeset; "
                                              "put reads directly in the batch."));
  } else if (auto target = part_target(call, part, id); !target) {
    res = part_error(accept, target.status());
  } else {
    InnerRequest inner{part.method, std::move(*target), {}, part.body, id};
    for (const auto& [name, value] : part.headers) inner.headers.emplace(name, value);
    res = run_inner_request(call, std::move(inner), Surface::kSharePoint, budget);
  }
  BatchPartResponse out;
  out.status = res.status;
  for (const auto& [name, value] : res.headers) out.headers.emplace_back(name, value);
  out.body = std::move(res.body);
  return out;
}

Status sharepoint_batch(Call& call) {
  if (std::string option = batch_query_option(call); !option.empty()) {
    return invalid_argument("The query option '" + option + "' does not apply to $batch.");
  }
  UPSYNC_ASSIGN_OR_RETURN(std::vector<BatchPartRequest> parts,
                          parse_batch_request(call.req.get_header_value("Content-Type"),
                                              call.req.body, kMaxSharePointBatchRequests));
  // SharePoint runs the parts in order and a changeset is not a transaction: each of its
  // requests is applied or refused on its own, and a failure rolls nothing back.
  std::vector<BatchPartResponse> answers;
  answers.reserve(parts.size());
  size_t budget = kMaxBatchAnswerBytes;
  for (size_t i = 0; i < parts.size(); ++i) {
    answers.push_back(run_part(call, parts[i], i, budget));
  }
  // A body holding the boundary would cut its part short: take another (a GUID; twice is
  // already beyond chance, so the third failure is a body made to collide with all three).
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string boundary = "batchresponse_" + new_guid();
    auto text = write_batch_response(boundary, answers);
    if (!text) continue;
    call.res.status = 200;
    call.res.set_content(std::move(*text), "multipart/mixed; boundary=" + boundary);
    return Status::ok();
  }
  return internal_error("the batch's answers could not be framed: a body holds every boundary");
}

}  // namespace

void add_sharepoint_batch_routes(Router& router) {
  router.add("POST", std::string(kSitePrefix) + R"(\$batch$)", Surface::kSharePoint,
             Access::kSignedIn, sharepoint_batch);
}

}  // namespace upsync
