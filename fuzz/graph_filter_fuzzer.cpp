// libFuzzer target for Graph's $filter parser (src/http/graph_filter.cpp). Every input parses
// or is refused with a position inside it, in the standard mode and, when the input's first
// byte is odd, as an advanced query (ne, not, endswith, any() over proxyAddresses). A parsed filter
// is evaluated against users drawn from the input's last bytes, and every user it matches has a
// value among the filter's equality values (what lets an index lookup answer as a scan of everyone
// would).
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/text.h"
#include "http/graph_filter.h"

namespace {

const std::vector<upsync::FilterProperty> kProps = {
    {"id", upsync::FilterType::kString},
    {"userPrincipalName", upsync::FilterType::kString},
    {"displayName", upsync::FilterType::kString},
    {"mail", upsync::FilterType::kString},
    {"accountEnabled", upsync::FilterType::kBool},
    {"proxyAddresses", upsync::FilterType::kStrings},
};
constexpr size_t kScalarProps = 5;  // the rest are collections
const char* const kValues[] = {"a", "A", "b", "ab", "", "O'Neil"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto mode =
      size > 0 && (data[0] & 1) ? upsync::FilterMode::kAdvanced : upsync::FilterMode::kStandard;
  auto parsed = upsync::GraphFilter::parse(input, kProps, mode);
  if (auto* e = std::get_if<upsync::FilterError>(&parsed)) {
    if (e->position > input.size() || e->message.empty()) std::abort();
    return 0;
  }
  const auto& filter = std::get<upsync::GraphFilter>(parsed);
  // Three users, each property's value (or null) picked by a byte from the input's end.
  for (size_t u = 0; u < 3; ++u) {
    auto pick = [&](size_t k) -> std::optional<std::string> {
      size_t i = u * kProps.size() + k;
      uint8_t b = i < size ? data[size - 1 - i] : 0;
      size_t n = std::size(kValues);
      if (k == 4)
        return b % 3 == 0 ? std::nullopt
                          : std::optional<std::string>(b % 3 == 1 ? "true" : "false");
      if (b % (n + 1) == n) return std::nullopt;
      return std::string(kValues[b % (n + 1)]);
    };
    std::vector<std::optional<std::string>> user;
    for (size_t k = 0; k < kScalarProps; ++k) user.push_back(pick(k));
    auto lookup = [&](std::string_view property) -> std::optional<std::string> {
      for (size_t k = 0; k < kScalarProps; ++k) {
        if (kProps[k].name == property) return user[k];
      }
      std::abort();  // evaluation asked for a property the filter could not name
    };
    auto values = [&](std::string_view property) -> std::vector<std::string> {
      if (property != "proxyAddresses") std::abort();  // only collections go through any()
      std::vector<std::string> out;
      for (size_t k = 0; k < 3; ++k) {
        if (user[k]) out.push_back(*user[k]);
      }
      return out;
    };
    if (!filter.matches(lookup, values)) continue;
    for (size_t k = 0; k < kScalarProps; ++k) {
      auto bound = filter.equality_values(kProps[k].name);
      if (!bound) continue;
      bool listed = false;
      for (const auto& v : *bound)
        listed = listed || (user[k] && upsync::ascii_iequal(v, *user[k]));
      if (!listed) std::abort();
    }
  }
  return 0;
}
