// A self-signed TLS certificate for `upsync serve --tls-self-signed`.
#pragma once

#include <string>

#include "core/status.h"

namespace upsync {

struct TlsFiles {
  std::string cert;
  std::string key;
};

// Uses <dir>/self-signed-cert.pem and <dir>/self-signed-key.pem, creating them first when
// absent: RSA 2048, SHA-256, CN=localhost, subjectAltName DNS:localhost, IP:127.0.0.1,
// valid 365 days. The key file is written with mode 0600.
Result<TlsFiles> ensure_self_signed(const std::string& dir);

}  // namespace upsync
