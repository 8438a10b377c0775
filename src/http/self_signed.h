// TLS certificates for `upsync serve`: the files an admin gives, or a self-signed pair.
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

struct TlsPem {
  std::string cert;  // the certificate (and its chain), PEM
  std::string key;   // its private key, PEM
};

// Reads a certificate and its private key, checking that both parse and that the key is the
// certificate's, so that a wrong pair is refused naming the file rather than at handshake.
Result<TlsPem> read_tls_pair(const TlsFiles& files);

}  // namespace upsync
