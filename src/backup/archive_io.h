// What the backup writer and the restore share: a streaming SHA-256 and errno messages.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace upsync {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  std::string hex();  // lower-case; ends the digest

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// "<what>: <strerror(errno)>"
std::string errno_message(std::string_view what);

}  // namespace upsync
