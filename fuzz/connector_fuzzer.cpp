// libFuzzer target for connector documents (parse_connector in src/sync/connector.cpp, TOML
// through toml++): every input is a connector or an error under the connector's name, never a
// crash, an escaped exception, a leak or undefined behaviour. A TOML syntax error names its
// line and column.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sync/connector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto c = upsync::parse_connector("dc1", input);
  if (!c) {
    const std::string& m = c.status().message();
    if (!m.starts_with("connector 'dc1': ")) std::abort();
    // A key error quotes the key ('TOML'), so only a syntax error starts with TOML.
    if (m.starts_with("connector 'dc1': TOML") && !m.starts_with("connector 'dc1': TOML line ")) {
      std::abort();
    }
    return 0;
  }
  if (c->toml != input || c->name != "dc1") std::abort();
  if (!c->ldap.url.starts_with("ldap://") && !c->ldap.url.starts_with("ldaps://")) std::abort();
  return 0;
}
