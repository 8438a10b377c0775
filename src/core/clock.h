// Wall-clock time as upsync stores and prints it.
#pragma once

#include <cstdint>
#include <string>

namespace upsync {

// Now, in UTC, as ISO 8601 with milliseconds: "2026-11-23T07:14:05.123Z".
std::string utc_now_iso();
// Now, as seconds since 1970-01-01 UTC (JWT "iat"/"exp").
int64_t unix_now();
// The same in milliseconds (lease expiries, job heartbeats).
int64_t unix_now_ms();

// A new random (version 4) GUID in lower case: "3f2b...-...".
std::string new_guid();
// A new time-ordered (version 7) GUID in lower case: the GUIDs one thread makes sort in the
// order it made them, so that rows keyed by them are appended to their indexes rather than
// scattered over them. For object ids, which are many and indexed.
std::string new_ordered_guid();

}  // namespace upsync
