#include "core/clock.h"

#include <uuid/uuid.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

namespace upsync {

std::string utc_now_iso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  // A sync stamps hundreds of thousands of change-feed entries, many in the same millisecond.
  thread_local int64_t last_ms = -1;
  thread_local std::string last;
  if (ms == last_ms) return last;
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  last_ms = ms;
  last = buf;
  return last;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// A per-thread generator seeded from the system's entropy: libuuid's random GUIDs read
// /dev/urandom on every call, which dominated profile creation.
std::mt19937_64& guid_rng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  return rng;
}

std::string guid_text(const uuid_t id) {
  char buf[37];
  uuid_unparse_lower(id, buf);
  return buf;
}

}  // namespace

std::string new_guid() {
  std::mt19937_64& rng = guid_rng();
  uuid_t id;
  uint64_t hi = rng(), lo = rng();
  std::memcpy(id, &hi, 8);
  std::memcpy(id + 8, &lo, 8);
  id[6] = static_cast<unsigned char>((id[6] & 0x0F) | 0x40);  // version 4
  id[8] = static_cast<unsigned char>((id[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return guid_text(id);
}

std::string new_ordered_guid() {
  // RFC 9562's version 7: 48 bits of Unix milliseconds, then 12 bits that count up within a
  // millisecond (method 1, "fixed bit-length dedicated counter"), then 62 random bits. The
  // counter starts at a random value below 2048 each millisecond; when it runs out, the
  // timestamp moves on by one, so that the GUIDs of a thread never go back.
  thread_local uint64_t last_ms = 0;
  thread_local uint64_t counter = 0;
  std::mt19937_64& rng = guid_rng();
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  if (ms <= last_ms) {
    ms = last_ms;
    if (++counter > 0xFFF) {
      ++ms;
      counter = rng() & 0x7FF;
    }
  } else {
    counter = rng() & 0x7FF;
  }
  last_ms = ms;
  const uint64_t tail = rng();
  uuid_t id;
  for (int i = 0; i < 6; ++i) id[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  id[6] = static_cast<unsigned char>(0x70 | ((counter >> 8) & 0x0F));  // version 7
  id[7] = static_cast<unsigned char>(counter & 0xFF);
  for (int i = 0; i < 8; ++i) id[8 + i] = static_cast<unsigned char>(tail >> (56 - 8 * i));
  id[8] = static_cast<unsigned char>((id[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return guid_text(id);
}

}  // namespace upsync
