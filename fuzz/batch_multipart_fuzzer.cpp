// libFuzzer target for the multipart reader and writer of SharePoint's $batch
// (src/http/batch_multipart.h). The input's first line is the Content-Type, the rest the body.
// The invariants: a clean InvalidArgument naming what is wrong, or at most `max` requests, each
// with an upper-case method, a target without spaces or control characters, headers whose
// names are tokens and whose values hold no control character (no header smuggled into a
// request), and a body that holds no delimiter line of the batch. Written back as answers, the
// requests give exactly one part each.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/batch_multipart.h"

namespace {

constexpr size_t kMax = 20;

void check(bool ok) {
  if (!ok) std::abort();
}

size_t count(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t lf = input.find('\n');
  std::string_view type = lf == std::string_view::npos ? input : input.substr(0, lf);
  std::string_view body = lf == std::string_view::npos ? std::string_view() : input.substr(lf + 1);
  auto parsed = upsync::parse_batch_request(type, body, kMax);
  if (!parsed) {
    check(parsed.status().code() == upsync::StatusCode::kInvalidArgument);
    check(!parsed.status().message().empty());
    return 0;
  }
  check(parsed->size() <= kMax);
  auto boundary = upsync::multipart_boundary(type);
  check(static_cast<bool>(boundary));
  std::vector<upsync::BatchPartResponse> answers;
  for (const auto& part : *parsed) {
    check(!part.method.empty());
    for (char c : part.method) check(c >= 'A' && c <= 'Z');
    check(!part.target.empty());
    for (unsigned char c : part.target) check(c > 0x20 && c != 0x7f);
    for (const auto& [name, value] : part.headers) {
      check(!name.empty());
      for (unsigned char c : name) check(c > 0x20 && c != ':' && c != 0x7f);
      for (unsigned char c : value) check(c >= 0x20 || c == '\t');
    }
    check(part.body.find("\n--" + *boundary + "\n") == std::string::npos);
    check(!part.body.starts_with("--" + *boundary + "\n"));
    answers.push_back({200, part.headers, part.body});
  }
  const std::string out_boundary = "batchresponse_0";
  auto written = upsync::write_batch_response(out_boundary, answers);
  if (written) {
    // Delimiters at the start of a line, which is where a reader looks for them (a header
    // value may hold the boundary's text mid-line).
    const std::string delimiter = "--" + out_boundary + "\r\n";
    check(count(*written, "\n" + delimiter) + (written->starts_with(delimiter) ? 1 : 0) ==
          answers.size());
    check(written->ends_with("--" + out_boundary + "--\r\n"));
  }
  return 0;
}
