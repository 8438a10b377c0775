#include "sync/server_import.h"

#include <map>
#include <set>

#include "audiences/audience_compiler.h"
#include "core/claims.h"
#include "core/text.h"

namespace upsync {

namespace {

constexpr std::string_view kSpecific = "<specific to connection>";
const std::string kDryRun = "upsync-server-import-dry-run";

bool is_user_entry(const LdifRecord& e, const std::string& username_attribute) {
  // An AD group has a sAMAccountName too: not a person, no profile.
  if (is_group_entry(e)) return false;
  for (const std::string& c : e.values("objectClass")) {
    if (ascii_iequal(c, "user") || ascii_iequal(c, "inetOrgPerson")) {
      return !ascii_iequal(c, "computer");
    }
  }
  return !username_attribute.empty() && !e.first(username_attribute).empty();
}

// "CN=Bob,OU=Staff,DC=contoso,DC=com" → "CONTOSO".
std::string domain_of(std::string_view dn) {
  size_t at = 0;
  while (at < dn.size()) {
    size_t end = dn.find(',', at);
    if (end == std::string_view::npos) end = dn.size();
    std::string_view rdn = trim(dn.substr(at, end - at));
    if (rdn.size() > 3 && ascii_iequal(rdn.substr(0, 3), "dc=")) {
      std::string d(rdn.substr(3));
      for (char& c : d) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return d;
    }
    at = end + 1;
  }
  return "";
}

// Mappings are edited in server tenants only.
Status check_server(const Tenant& tenant) {
  if (tenant.kind == TenantKind::kServer) return Status::ok();
  return failed_precondition("tenant '" + tenant.name +
                             "' is an online tenant: its directory mappings are fixed "
                             "(seed 002); only server tenants edit them");
}

}  // namespace

const std::vector<AttributeMapping>& default_server_mappings() {
  static const std::vector<AttributeMapping> kRows = {
      {"SPS-DistinguishedName", "dn"},
      {"SID", "objectSid"},
      {"Manager", "manager"},
      {"PreferredName", "displayName"},
      {"FirstName", "givenName"},
      {"LastName", "sn"},
      {"SPS-PhoneticDisplayName", "msDS-PhoneticDisplayName"},
      {"SPS-PhoneticFirstName", "msDS-PhoneticFirstName"},
      {"SPS-PhoneticLastName", "msDS-PhoneticLastName"},
      {"WorkPhone", "telephoneNumber"},
      {"WorkEmail", "Mail/proxyAddress"},
      {"Office", "physicalDeliveryOfficeName"},
      {"SPS-JobTitle", "title"},
      {"Department", "department"},
      {"UserName", "sAMAccountName"},
      {"PublicSiteRedirect", "wWWHomePage"},
      {"SPS-ProxyAddresses", "proxyAddresses"},
      {"SPS-SourceObjectDN", "msDS-SourceObjectDN"},
      {"SPS-ClaimID", std::string(kSpecific)},
      {"SPS-ClaimProviderID", std::string(kSpecific)},
      {"SPS-ClaimProviderType", std::string(kSpecific)},
  };
  return kRows;
}

Result<std::vector<AttributeMapping>> MappingStore::mappings(const Tenant& tenant) {
  UPSYNC_RETURN_IF_ERROR(check_server(tenant));
  UPSYNC_ASSIGN_OR_RETURN(std::vector<AttributeMapping> edits, stored_edits(tenant.id));
  auto is_default = [](const AttributeMapping& e) {
    for (const AttributeMapping& d : default_server_mappings()) {
      if (property_name_equal(e.property, d.property)) return true;
    }
    return false;
  };
  std::vector<AttributeMapping> out;
  for (const AttributeMapping& d : default_server_mappings()) {
    AttributeMapping m = d;
    for (const AttributeMapping& e : edits) {
      if (property_name_equal(e.property, d.property)) m = {d.property, e.attribute, true};
    }
    if (!m.attribute.empty()) out.push_back(m);
  }
  // An edit of a property removed before removals took their edits with them (a store written
  // by an earlier upsync) maps nothing: not listed, and the import skips it.
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store_.schema(tenant.id));
  for (AttributeMapping& e : edits) {
    if (is_default(e) || e.attribute.empty() || !schema.find(e.property)) continue;
    out.push_back({e.property, e.attribute, true});
  }
  return out;
}

Status MappingStore::set(const Tenant& tenant, const std::string& property,
                         const std::string& attribute) {
  UPSYNC_RETURN_IF_ERROR(check_server(tenant));
  return store_.in_tenant_turn(tenant.id, [&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store_.schema(tenant.id));
    UPSYNC_ASSIGN_OR_RETURN(const PropertyDefinition* def, schema.require(property));
    if (property_name_equal(def->name, "AccountName")) {
      return invalid_argument("AccountName is made from the domain and UserName; map UserName");
    }
    if (attribute.find_first_of(" ,;=") != std::string::npos) {
      return invalid_argument("'" + attribute + "' is not a directory attribute name");
    }
    return store_edit(tenant.id, def->name, attribute);
  });
}

Status MappingStore::reset(const Tenant& tenant, const std::string& property) {
  UPSYNC_RETURN_IF_ERROR(check_server(tenant));
  UPSYNC_ASSIGN_OR_RETURN(const int64_t removed, remove_edits(tenant.id, ascii_lower(property)));
  if (!property.empty() && removed == 0) {
    return not_found("property '" + property + "' has no edited mapping in tenant '" + tenant.name +
                     "'");
  }
  return Status::ok();
}

Result<SyncReport> import_server_profiles(Store& store, const Tenant& tenant,
                                          const std::vector<LdifRecord>& entries,
                                          const SyncOptions& options,
                                          const ServerImportOptions& server) {
  if (tenant.kind != TenantKind::kServer) {
    return failed_precondition("tenant '" + tenant.name +
                               "' is an online tenant: its profiles come from the cloud "
                               "directory (upsync sync run)");
  }
  UPSYNC_ASSIGN_OR_RETURN(auto mapping_store, open_mapping_store(store));
  UPSYNC_ASSIGN_OR_RETURN(auto mappings, mapping_store->mappings(tenant));
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, store.schema(tenant.id));
  std::string username_attribute;
  for (const auto& m : mappings) {
    if (property_name_equal(m.property, "UserName")) username_attribute = m.attribute;
  }
  if (username_attribute.empty()) {
    return failed_precondition("tenant '" + tenant.name +
                               "' maps no attribute to UserName: profiles need it for their "
                               "account name (upsync mapping set -t " +
                               tenant.name + " UserName=sAMAccountName)");
  }

  // Pass 1: each user entry's account name, by DN (for managers).
  struct Entry {
    const LdifRecord* record;
    std::string domain_user;  // CONTOSO\bob
    std::string account;      // i:0#.w|CONTOSO\bob
  };
  std::vector<Entry> users;
  std::map<std::string, std::string> account_by_dn;  // lower-case DN → account
  StageReport report;
  report.stage = "connector-to-profiles";
  for (const LdifRecord& e : entries) {
    if (e.change != LdifChange::kContent && e.change != LdifChange::kAdd) continue;
    if (!is_user_entry(e, username_attribute)) continue;
    ++report.read;
    std::string login = e.first(username_attribute);
    if (login.empty()) {
      ++report.skipped["no " + username_attribute + " (UserName)"];
      continue;
    }
    std::string domain = server.netbios_domain.empty() ? domain_of(e.dn) : server.netbios_domain;
    if (domain.empty()) {
      ++report.skipped["no DC= in the DN to name the domain"];
      continue;
    }
    Entry u{&e, domain + "\\" + login, ""};
    u.account = format_claim(windows_user(u.domain_user));
    if (Status st = validate_claim(windows_user(u.domain_user)); !st.is_ok()) {
      ++report.skipped["not a valid Windows account name"];
      continue;
    }
    account_by_dn[ascii_lower(e.dn)] = u.account;
    users.push_back(std::move(u));
  }

  auto values_for = [&](const Entry& u, const AttributeMapping& m,
                        const PropertyDefinition& def) -> std::vector<std::string> {
    const LdifRecord& e = *u.record;
    std::vector<std::string> v;
    if (m.attribute == "dn") {
      v = {e.dn};
    } else if (m.attribute == "Mail/proxyAddress") {
      v = {e.first("mail")};
      if (v[0].empty()) {
        v.clear();
        for (const std::string& p : e.values("proxyAddresses")) {
          if (p.rfind("SMTP:", 0) == 0) v = {p.substr(5)};
        }
      }
    } else if (m.attribute == "manager") {
      auto it = account_by_dn.find(ascii_lower(e.first("manager")));
      if (it != account_by_dn.end()) v = {it->second};
    } else if (m.attribute == kSpecific) {
      if (property_name_equal(def.name, "SPS-ClaimID")) v = {ascii_lower(u.domain_user)};
      if (property_name_equal(def.name, "SPS-ClaimProviderID")) v = {"Windows"};
      if (property_name_equal(def.name, "SPS-ClaimProviderType")) v = {"Windows"};
    } else {
      v = e.values(m.attribute);
      if (def.type == DataType::kBinary) {
        for (auto& x : v) x = base64_encode(x);
      }
    }
    std::erase(v, std::string());
    if (!def.multi_value && v.size() > 1) v.resize(1);
    return v;
  };

  int64_t deletes = 0;
  StageReport sites;
  StageReport audiences;
  Status st = store.in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(store.take_tenant_turn(tenant.id));
    std::set<int64_t> seen;
    for (const Entry& u : users) {
      std::vector<PropertyChange> changes;
      for (const auto& m : mappings) {
        if (m.attribute.empty()) continue;
        const PropertyDefinition* def = schema.find(m.property);
        if (!def) continue;  // a mapping to a property removed since
        changes.push_back({def->name, values_for(u, m, *def)});
      }
      auto existing = store.profile(tenant.id, {ProfileKeyKind::kAccountName, u.account});
      if (!existing && existing.status().code() != StatusCode::kNotFound) {
        return existing.status();
      }
      if (!existing) {
        // Only properties with values on creation.
        std::vector<PropertyChange> initial;
        for (auto& c : changes) {
          if (!c.values.empty()) initial.push_back(c);
        }
        auto made = store.create_profile(tenant.id, u.account, initial);
        if (!made) {
          if (made.status().code() != StatusCode::kInvalidArgument) return made.status();
          ++report.skipped["a value the schema refuses"];
          report.changes.push_back("! " + u.account + ": " + made.status().message());
          continue;
        }
        seen.insert(made->id);
        ++report.added;
        report.changes.push_back("+ " + u.account);
        continue;
      }
      seen.insert(existing->id);
      auto updated = store.update_profile(tenant.id, existing->id, changes);
      if (!updated) {
        if (updated.status().code() != StatusCode::kInvalidArgument) return updated.status();
        ++report.skipped["a value the schema refuses"];
        report.changes.push_back("! " + u.account + ": " + updated.status().message());
        continue;
      }
      if (updated->seq != existing->seq) {
        ++report.updated;
        report.changes.push_back("~ " + u.account);
      } else {
        ++report.unchanged;
      }
    }
    // Profiles of users no longer in the export (those that came from a directory: they have
    // a DN), deleted, unless more than the threshold.
    std::vector<std::pair<int64_t, std::string>> gone;
    ProfileQuery q;
    q.limit = 1000;
    while (true) {
      UPSYNC_ASSIGN_OR_RETURN(ProfilePage page, store.list_profiles(tenant.id, q));
      for (const Profile& p : page.profiles) {
        if (!seen.count(p.id) && !p.first("SPS-DistinguishedName").empty()) {
          gone.emplace_back(p.id, p.account_name);
        }
      }
      if (!page.next_after_id) break;
      q.after_id = *page.next_after_id;
    }
    if (static_cast<int64_t>(gone.size()) > options.deletion_threshold) {
      return failed_precondition("this run would delete " + std::to_string(gone.size()) +
                                 " profiles, more than the deletion threshold of " +
                                 std::to_string(options.deletion_threshold) +
                                 "; if that is intended, rerun with --deletion-threshold " +
                                 std::to_string(gone.size()));
    }
    for (const auto& [id, account] : gone) {
      UPSYNC_RETURN_IF_ERROR(store.delete_profile(tenant.id, id));
      ++deletes;
      report.changes.push_back("- " + account);
    }
    report.deleted = deletes;
    UPSYNC_ASSIGN_OR_RETURN(sites, sync_profiles_to_sites(store, tenant, options));
    // Seed 000's audiences follow the profiles they are made of, in the same transaction.
    UPSYNC_ASSIGN_OR_RETURN(audiences, run_audience_stage(store, tenant, options));
    if (options.dry_run) return failed_precondition(kDryRun);
    if (options.before_commit) {
      SyncReport so_far;
      so_far.stages = {report, sites, audiences};
      return options.before_commit(so_far);
    }
    return Status::ok();
  });
  if (!st.is_ok() && !(options.dry_run && st.message() == kDryRun)) return st;
  SyncReport out;
  out.stages.push_back(std::move(report));
  out.stages.push_back(std::move(sites));
  out.stages.push_back(std::move(audiences));
  return out;
}

}  // namespace upsync
