// libFuzzer target for the LDIF reader (src/directory/ldif.cpp): every input is records or an
// error naming its line, never a crash, a leak or undefined behaviour. Base64 round-trips
// every input, and check_dn() answers for every input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "directory/ldif.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto records = upsync::parse_ldif(input);
  if (!records) {
    if (!records.status().message().starts_with("LDIF line ")) std::abort();
  } else {
    for (const auto& r : *records) {
      if (r.line < 1) std::abort();
      r.first("objectClass");
    }
  }
  auto decoded = upsync::base64_decode(upsync::base64_encode(input));
  if (!decoded || *decoded != input) std::abort();
  upsync::base64_decode(input);
  upsync::check_dn(input);
  return 0;
}
