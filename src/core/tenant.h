// Tenants: the unit of isolation (an Office 365 tenant or a SharePoint Server farm).
//
// Each tenant has its own directory, profiles, schema, sites, import jobs and apps; nothing
// crosses tenants. `online` tenants behave like SharePoint Online (fixed directory mapping,
// custom properties through the bulk import); `server` tenants like SharePoint Server
// (editable mappings, no bulk import, hybrid settings).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace upsync {

enum class TenantKind { kOnline, kServer };

std::string_view tenant_kind_name(TenantKind kind);  // "online" / "server"
std::optional<TenantKind> parse_tenant_kind(std::string_view name);

using TenantId = int64_t;

struct Tenant {
  TenantId id = 0;
  std::string name;  // "contoso": lower-case letters, digits and '-', as in contoso.sharepoint.com
  TenantKind kind = TenantKind::kOnline;
  bool education = false;  // seed 002: sync creates no profiles; first access makes a stub
  std::string created_at;  // UTC, ISO 8601
};

// A tenant name is 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'
// (it becomes a host name label).
Status check_tenant_name(std::string_view name);

}  // namespace upsync
