// libFuzzer target for SharePoint's query options (src/http/sp_query.cpp). Every $filter
// parses or is refused with a message naming its position inside the input; a parsed filter
// evaluates on items whose values come from the input's last bytes, and "not (F)" matches
// exactly the items F does not. The same input as $orderby, $select and $skiptoken is parsed
// or refused, and applying a parsed query never yields more items than it was given.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/sp_query.h"

namespace {

const upsync::SpSchema kSchema{"SP.Data.UserInfoItem",
                               {{"ID", upsync::SpType::kInt},
                                {"Title", upsync::SpType::kString},
                                {"IsSiteAdmin", upsync::SpType::kBool},
                                {"Created", upsync::SpType::kDateTime},
                                {"UserId", upsync::SpType::kObject}},
                               "ID"};
const char* const kTexts[] = {"a", "A", "ab", "", "O'Neil"};
const char* const kDates[] = {"2026-01-01T00:00:00Z", "2026-01-02", "not a date"};

std::vector<nlohmann::json> items_from(const uint8_t* data, size_t size) {
  std::vector<nlohmann::json> items;
  for (size_t u = 0; u < 4; ++u) {
    uint8_t b = size > u ? data[size - 1 - u] : 0;
    nlohmann::json item = {{"ID", static_cast<int>(b % 5)}};
    if (b % 7) item["Title"] = kTexts[b % std::size(kTexts)];
    if (b % 3) item["IsSiteAdmin"] = b % 2 == 0;
    item["Created"] = kDates[b % std::size(kDates)];
    items.push_back(std::move(item));
  }
  return items;
}

void check_error(const upsync::Status& s) {
  if (s.is_ok() || s.message().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  const auto items = items_from(data, size);
  auto filter = upsync::SpFilter::parse(input, kSchema);
  if (!filter) {
    check_error(filter.status());
    const std::string& m = filter.status().message();
    size_t at = m.find("at position ");
    // (An input that spells "position" itself would be quoted before the real one.)
    if (input.find("position") == std::string::npos && at != std::string::npos &&
        std::strtoul(m.c_str() + at + 12, nullptr, 10) > size) {
      std::abort();
    }
  } else {
    auto negated = upsync::SpFilter::parse("not (" + input + ")", kSchema);
    for (const auto& item : items) {
      bool m = filter->matches(item);
      if (negated && negated->matches(item) == m) std::abort();
    }
  }
  for (const char* option : {"$orderby", "$select", "$skiptoken", "$top"}) {
    upsync::HttpParams params = {{option, input}};
    auto q = upsync::sp_parse_query(params, kSchema);
    if (!q) {
      check_error(q.status());
      continue;
    }
    if (upsync::sp_apply(*q, kSchema, items).items.size() > items.size()) std::abort();
  }
  return 0;
}
