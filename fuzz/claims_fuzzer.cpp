// libFuzzer target for the claims parser (src/core/claims.cpp): an accepted claim formats back
// to its text byte for byte and validates; a refused one says at which position.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/claims.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  upsync::looks_like_claim(input);
  auto claim = upsync::parse_claim(input);
  if (!claim) {
    if (claim.status().message().find(" at position ") == std::string::npos) std::abort();
    return 0;
  }
  if (upsync::format_claim(*claim) != input) std::abort();
  if (!upsync::validate_claim(*claim).is_ok()) std::abort();
  return 0;
}
