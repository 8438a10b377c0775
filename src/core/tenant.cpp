#include "core/tenant.h"

#include "core/text.h"

namespace upsync {

std::string_view tenant_kind_name(TenantKind kind) {
  return kind == TenantKind::kOnline ? "online" : "server";
}

std::optional<TenantKind> parse_tenant_kind(std::string_view name) {
  if (name == "online") return TenantKind::kOnline;
  if (name == "server") return TenantKind::kServer;
  return std::nullopt;
}

Status check_tenant_name(std::string_view name) {
  if (name.empty() || name.size() > 63) {
    return invalid_argument("tenant name must be 1 to 63 characters, got " +
                            std::to_string(name.size()));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return invalid_argument("tenant name '" + quote_for_message(name) + "' has '" +
                              quote_for_message(name.substr(i, 1)) + "' at position " +
                              std::to_string(i + 1) +
                              " (allowed: lower-case letters, digits and '-')");
    }
  }
  if (name.front() == '-' || name.back() == '-') {
    return invalid_argument("tenant name '" + std::string(name) +
                            "' must not start or end with '-'");
  }
  return Status::ok();
}

}  // namespace upsync
