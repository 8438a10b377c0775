// Wall-clock time as upsync stores and prints it.
#pragma once

#include <string>

namespace upsync {

// Now, in UTC, as ISO 8601 with milliseconds: "2026-11-23T07:14:05.123Z".
std::string utc_now_iso();

// A new random (version 4) GUID in lower case: "3f2b...-...".
std::string new_guid();

}  // namespace upsync
