// Query-string parameters that carry secrets: OAuth 2.0 and OpenID Connect credentials and
// tokens (password, client_secret, client_assertion, assertion, code, code_verifier,
// access_token, refresh_token, id_token).
//
// A query string is kept where a body is not: in access logs (ours, a proxy's), in browser
// history, in Referer headers. So the token endpoint refuses a credential there, and the access
// log writes every such value as REDACTED:
//   redact_query_secrets("/t?password=x&scope=y")    // "/t?password=REDACTED&scope=y"
//   secret_in_query("/t?Client%5FSecret=x")           // "client_secret"
// Names are compared after percent-decoding and without case, so that no spelling of a name
// slips through.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace upsync {

// `name` as sent in a query (still percent-encoded) is one of the secret parameters.
bool is_secret_parameter(std::string_view encoded_name);
// The first secret parameter of `target`'s query, decoded and lower-cased, or nullopt.
std::optional<std::string> secret_in_query(std::string_view target);
// `target` with the value of every secret parameter of its query replaced by REDACTED; the
// path and the other parameters as they were.
std::string redact_query_secrets(std::string_view target);

}  // namespace upsync
