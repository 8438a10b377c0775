#include "core/property.h"

#include <algorithm>
#include <array>
#include <utility>

#include "core/text.h"

namespace upsync {
namespace {

struct TypeName {
  DataType type;
  std::string_view name;
};

// The first name of each type is the canonical one; the others are seed 001's spellings.
constexpr std::array kTypeNames = {
    TypeName{DataType::kString, "string"},
    TypeName{DataType::kHtml, "html"},
    TypeName{DataType::kPerson, "person"},
    TypeName{DataType::kEmail, "email"},
    TypeName{DataType::kEmail, "e-mail"},
    TypeName{DataType::kUrl, "url"},
    TypeName{DataType::kBinary, "binary"},
    TypeName{DataType::kInteger, "integer"},
    TypeName{DataType::kBigInteger, "big-integer"},
    TypeName{DataType::kBigInteger, "big integer"},
    TypeName{DataType::kFloat, "float"},
    TypeName{DataType::kBoolean, "boolean"},
    TypeName{DataType::kDate, "date"},
    TypeName{DataType::kDateTime, "date-time"},
    TypeName{DataType::kDateTime, "date time"},
    TypeName{DataType::kDateNoYear, "date-no-year"},
    TypeName{DataType::kDateNoYear, "date no year"},
    TypeName{DataType::kTimeZone, "time-zone"},
    TypeName{DataType::kTimeZone, "time zone"},
    TypeName{DataType::kUniqueIdentifier, "unique-identifier"},
    TypeName{DataType::kUniqueIdentifier, "unique identifier"},
};

}  // namespace

std::string_view data_type_name(DataType type) {
  for (const TypeName& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "unknown";
}

std::optional<DataType> parse_data_type(std::string_view name) {
  for (const TypeName& t : kTypeNames) {
    if (ascii_iequal(t.name, name)) return t.type;
  }
  return std::nullopt;
}

bool property_name_equal(std::string_view a, std::string_view b) { return ascii_iequal(a, b); }

}  // namespace upsync
