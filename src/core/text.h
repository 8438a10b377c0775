// Small text utilities shared by the subsystems: ASCII case folding, UTF-8 checks, trimming.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace upsync {

bool ascii_iequal(std::string_view a, std::string_view b);
std::string ascii_lower(std::string_view s);
std::string_view trim(std::string_view s);

// The byte offset of the first byte that is not part of valid UTF-8 (overlongs, surrogates
// and code points above U+10FFFF are invalid), or npos when `s` is valid.
size_t invalid_utf8_offset(std::string_view s);

// The value of a hexadecimal digit (either case), or -1.
int hex_digit(char c);

// Whether `s` goes into a JSON string as it is: no control character, '"', '\\' or byte
// outside ASCII (whose UTF-8 a JSON writer checks).
bool json_plain(std::string_view s);

// `s` with %XX escapes decoded (no '+' rule: that is for form bodies). A '%' not followed by
// two hex digits gives nullopt and its 0-based offset in `*bad_at`, for the caller's message.
std::optional<std::string> percent_decode(std::string_view s, size_t* bad_at);

// `s` encoded for a URL query parameter's value: everything but unreserved characters escaped.
std::string url_encode(std::string_view s);

// `s` with control characters escaped, cut to `max` bytes with "..." for error messages.
std::string quote_for_message(std::string_view s, size_t max = 80);

}  // namespace upsync
