// Profile properties: the data types of seed 001 and the definition of one property.
//
// A PropertyDefinition says what a property holds (its DataType, single or multi-value) and
// how the rest of upsync treats it: whether users may edit it, whether directory sync writes
// it (the "core directory" properties of seeds 002 and 003, shown with the sync icon and
// refused by the bulk import), whether stage 3 copies it into site user info lists, and
// whether it is bound to a term set. Names compare case-insensitively, as in SharePoint.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace upsync {

// The user profile service data types (seed 001's third column, plus the custom-property
// types SharePoint offers: big integer, float, date time).
enum class DataType {
  kString,            // "string (single-value)" / "string (multi-value)"
  kHtml,              // "HTML"
  kPerson,            // "Person": an account name, usually claims-encoded
  kEmail,             // "E-mail"
  kUrl,               // "URL"
  kBinary,            // "binary": base64 on the wire
  kInteger,           // "integer": 32-bit signed
  kBigInteger,        // "big integer": 64-bit signed
  kFloat,             // "float"
  kBoolean,           // "boolean"
  kDate,              // "date": YYYY-MM-DD
  kDateTime,          // "date time": YYYY-MM-DDTHH:MM:SSZ
  kDateNoYear,        // "date no year": MM-DD (birthdays)
  kTimeZone,          // "time zone": SharePoint's numeric time zone id
  kUniqueIdentifier,  // "unique identifier": a GUID
};

// The name used on the command line and in JSON ("string", "date-no-year", ...).
std::string_view data_type_name(DataType type);
// Accepts the names of data_type_name() and seed 001's spellings ("date no year", "E-mail").
std::optional<DataType> parse_data_type(std::string_view name);

struct PropertyDefinition {
  std::string name;          // e.g. "SPS-JobTitle"; unique per tenant, case-insensitively
  std::string display_name;  // e.g. "Job Title"
  DataType type = DataType::kString;
  bool multi_value = false;
  bool user_editable = false;
  // Written by directory sync (seeds 002/003): admin edits are overwritten by the next sync,
  // and the bulk import refuses it as a "core directory property".
  bool directory_imported = false;
  bool sync_to_sites = false;   // stage 3 copies it to each site's user info list
  bool taxonomy_bound = false;  // connected to a term set
  bool custom = false;          // defined by the tenant's admin, not part of the catalog
  // Longest accepted value in characters (each value, for multi-value properties).
  int max_length = 3600;
};

// Case-insensitive comparison of property names (ASCII, as SharePoint's names are).
bool property_name_equal(std::string_view a, std::string_view b);

}  // namespace upsync
