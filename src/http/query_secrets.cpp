#include "http/query_secrets.h"

#include <array>

#include "core/text.h"
#include "http/http_message.h"

namespace upsync {

namespace {

constexpr std::array<std::string_view, 9> kSecretNames = {
    "password",      "client_secret", "client_assertion", "assertion", "code",
    "code_verifier", "access_token",  "refresh_token",    "id_token"};

// Calls `each(name, value_start, value_end)` for each parameter of the query of `target`,
// with offsets into `target` (value_start == value_end for a parameter without a value).
template <typename Each>
void for_each_parameter(std::string_view target, Each each) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return;
  size_t start = q + 1;
  while (start <= target.size()) {
    size_t end = target.find('&', start);
    if (end == std::string_view::npos) end = target.size();
    std::string_view part = target.substr(start, end - start);
    size_t eq = part.find('=');
    std::string_view name = part.substr(0, eq);
    size_t value_start = eq == std::string_view::npos ? end : start + eq + 1;
    if (!each(name, value_start, end)) return;
    start = end + 1;
  }
}

}  // namespace

bool is_secret_parameter(std::string_view encoded_name) {
  // Decoded twice: a proxy or framework in front may decode once more than we do.
  std::string name = ascii_lower(url_decode(url_decode(encoded_name, true), true));
  name = std::string(trim(name));
  for (std::string_view secret : kSecretNames) {
    if (name == secret) return true;
  }
  return false;
}

std::optional<std::string> secret_in_query(std::string_view target) {
  std::optional<std::string> found;
  for_each_parameter(target, [&](std::string_view name, size_t, size_t) {
    if (!is_secret_parameter(name)) return true;
    found = ascii_lower(url_decode(url_decode(name, true), true));
    return false;
  });
  return found;
}

std::string redact_query_secrets(std::string_view target) {
  std::string out;
  size_t copied = 0;
  for_each_parameter(target, [&](std::string_view name, size_t value_start, size_t value_end) {
    if (value_start < value_end && is_secret_parameter(name)) {
      out.append(target.substr(copied, value_start - copied));
      out += "REDACTED";
      copied = value_end;
    }
    return true;
  });
  out.append(target.substr(copied));
  return out;
}

}  // namespace upsync
