// What the sync pipeline makes of objects (sync/pipeline.h): stage 0's attribute flows from an
// on-premises entry to a cloud user or group (Azure AD Connect's defaults, the inetOrgPerson
// preset, a connector's own flows), and stage 2's mapping of a directory-store user to profile
// properties (seed 002's table, seed 003's FAQ table).
#include <cstdio>

#include "core/claims.h"
#include "core/text.h"
#include "sync/pipeline.h"
#include "sync/stages.h"

namespace upsync {
namespace {

// AD's objectGUID bytes → its text form (the first three groups are little-endian).
std::string guid_text(const std::string& b) {
  auto u = [&](int i) { return static_cast<unsigned>(static_cast<unsigned char>(b[i])); };
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u(3), u(2),
                u(1), u(0), u(5), u(4), u(7), u(6), u(8), u(9), u(10), u(11), u(12), u(13), u(14),
                u(15));
  return buf;
}

void flow(DirectoryAttributes& out, const LdifRecord& e, std::string_view from,
          const std::string& to) {
  std::vector<std::string> v = e.values(from);
  if (!v.empty()) out[to] = std::move(v);
}

// The DNS domain of a DN: its DC= components joined by dots ("" without any), as Azure AD
// Connect sets onPremisesDomainName.
std::string dn_domain(std::string_view dn) {
  std::string out;
  size_t start = 0;
  while (start < dn.size()) {
    size_t comma = dn.find(',', start);
    if (comma == std::string_view::npos) comma = dn.size();
    std::string_view rdn = trim(dn.substr(start, comma - start));
    if (rdn.size() > 3 && ascii_iequal(rdn.substr(0, 3), "dc=")) {
      out += (out.empty() ? "" : ".") + std::string(trim(rdn.substr(3)));
    }
    start = comma + 1;
  }
  return ascii_lower(out);
}

// The value of a DN's first RDN ("Sales" of "CN=Sales,OU=Groups,..."), unescaped.
std::string first_rdn_value(std::string_view dn) {
  const size_t eq = dn.find('=');
  if (eq == std::string_view::npos) return "";
  std::string out;
  for (size_t i = eq + 1; i < dn.size(); ++i) {
    if (dn[i] == '\\' && i + 1 < dn.size()) {
      out += dn[++i];
    } else if (dn[i] == ',' || dn[i] == '+') {
      break;
    } else {
      out += dn[i];
    }
  }
  return std::string(trim(out));
}

}  // namespace

namespace sync_internal {

bool has_class(const LdifRecord& e, std::string_view cls) {
  // Walked in place: stage 0 asks up to seven times per entry.
  for (const LdifAttribute& a : e.attributes) {
    if (ascii_iequal(a.name, "objectClass") && ascii_iequal(a.value, cls)) return true;
  }
  return false;
}

Status line_error(int64_t line, const std::string& dn, const std::string& what) {
  // Entries read over LDAP have no line.
  if (line == 0) return invalid_argument("entry " + dn + ": " + what);
  return invalid_argument("LDIF line " + std::to_string(line) + " (" + dn + "): " + what);
}

Status line_error(const LdifRecord& e, const std::string& what) {
  return line_error(e.line, e.dn, what);
}

Result<SourceAnchor> source_anchor_of(const LdifRecord& e, std::string_view kind,
                                      std::string_view ldap_class) {
  const std::string guid = e.first("objectGUID");
  if (!guid.empty()) {
    if (guid.size() != 16) {
      return line_error(e,
                        "objectGUID must be 16 bytes (base64 in LDIF: 'objectGUID:: ...'), "
                        "got " +
                            std::to_string(guid.size()));
    }
    return SourceAnchor{true, base64_encode(guid), guid_text(guid)};
  }
  const std::string uuid = ascii_lower(e.first("entryUUID"));
  if (uuid.empty()) {
    return line_error(e, "no source anchor: an Active Directory " + std::string(kind) +
                             " needs objectGUID, an LDAP " + std::string(ldap_class) +
                             " entryUUID");
  }
  return SourceAnchor{false, uuid, uuid};
}

std::string member_dn(std::string_view value) {
  const size_t hash = value.rfind("#'");
  if (hash != std::string_view::npos && value.ends_with("'B"))
    return std::string(value.substr(0, hash));
  return std::string(value);
}

}  // namespace sync_internal

bool dn_within(std::string_view dn, const std::vector<std::string>& ous) {
  const std::string d = ascii_lower(dn);
  for (const std::string& ou : ous) {
    const std::string o = ascii_lower(trim(ou));
    if (o.empty()) continue;
    if (d == o || (d.size() > o.size() && d.ends_with(o) && d[d.size() - o.size() - 1] == ',')) {
      return true;
    }
  }
  return false;
}

void apply_attribute_flows(DirectoryUser& user, const LdifRecord& entry,
                           const std::map<std::string, std::string>& flows) {
  for (const auto& [cloud, directory] : flows) {
    std::vector<std::string> v;
    if (!directory.empty()) v = entry.values(directory);
    if (v.empty()) {
      user.attributes.erase(cloud);
    } else {
      user.attributes[cloud] = std::move(v);
    }
  }
}

std::optional<std::string> skip_reason(const DirectoryUser& u) {
  if (!u.flag("accountEnabled", true)) return "account disabled";
  if (u.flag("signInBlocked", false)) return "sign-in blocked";
  if (!u.flag("licensed", false)) return "no license";
  if (u.first("userPrincipalName").empty()) return "no user principal name";
  return std::nullopt;
}

std::vector<PropertyChange> profile_properties_for(const DirectoryUser& u,
                                                   const std::string& manager_account) {
  auto one = [&](std::string_view attr) -> std::vector<std::string> {
    std::string v = u.first(attr);
    if (v.empty()) return {};
    return {v};
  };
  // proxyAddresses: the upper-case "SMTP:" value is the primary address (WorkEmail);
  // "SIP:" (any case) is the SIP address. Without a primary, mail stands in (seed 001).
  std::vector<std::string> work_email, sip;
  auto proxies = u.attributes.find("proxyAddresses");
  if (proxies != u.attributes.end()) {
    for (const std::string& p : proxies->second) {
      if (p.starts_with("SMTP:") && work_email.empty()) work_email = {p.substr(5)};
      if (p.size() > 4 && ascii_iequal(p.substr(0, 4), "sip:") && sip.empty()) {
        sip = {p.substr(4)};
      }
    }
  }
  if (work_email.empty()) work_email = one("mail");
  const std::vector<std::string> upn = one("userPrincipalName");
  std::vector<std::string> manager;
  if (!manager_account.empty()) manager = {manager_account};
  std::vector<std::string> hide;
  if (!u.first("msExchHideFromAddressList").empty()) hide = {u.first("msExchHideFromAddressList")};
  return {
      {"UserName", upn},
      {"SPS-UserPrincipalName", upn},
      {"SPS-ClaimID", upn},
      {"PreferredName", one("displayName")},
      {"FirstName", one("givenName")},
      {"LastName", one("surname")},
      {"WorkPhone", one("telephoneNumber")},
      {"WorkEmail", work_email},
      {"SPS-SipAddress", sip},
      {"Office", one("physicalDeliveryOfficeName")},
      {"Title", one("jobTitle")},
      {"SPS-JobTitle", one("jobTitle")},
      {"Department", one("department")},
      {"SPS-Department", one("department")},
      {"PublicSiteRedirect", one("wWWHomePage")},
      {"SPS-MUILanguages", one("preferredLanguage")},
      {"SPS-HideFromAddressLists", hide},
      {"Manager", manager},
      {"SPS-SavedSID", one("objectSid")},
      {"ADGuid", one("objectGuidBytes")},
      {"SPS-DistinguishedName", one("distinguishedName")},
      {"msOnline-ObjectId", {u.object_id}},
      {"SPS-RecipientTypeDetails", one("msExchRecipientTypeDetails")},
  };
}

Result<DirectoryUser> cloud_user_from_entry(const LdifRecord& e) {
  DirectoryUser u;
  DirectoryAttributes& a = u.attributes;
  UPSYNC_ASSIGN_OR_RETURN(sync_internal::SourceAnchor id,
                          sync_internal::source_anchor_of(e, "user", "inetOrgPerson"));
  u.source_anchor = id.anchor;
  a["objectGuid"] = {id.guid};
  if (id.ad) {
    a["objectGuidBytes"] = {u.source_anchor};
    flow(a, e, "userPrincipalName", "userPrincipalName");
    flow(a, e, "sn", "surname");
    flow(a, e, "displayName", "displayName");
    flow(a, e, "title", "jobTitle");
    flow(a, e, "department", "department");
    flow(a, e, "wWWHomePage", "wWWHomePage");
    flow(a, e, "sAMAccountName", "onPremisesSamAccountName");
    flow(a, e, "userPrincipalName", "onPremisesUserPrincipalName");
    flow(a, e, "company", "companyName");
    flow(a, e, "employeeID", "employeeId");
    flow(a, e, "otherMailbox", "otherMails");
    flow(a, e, "co", "country");
    for (int i = 1; i <= 15; ++i) {
      const std::string name = "extensionAttribute" + std::to_string(i);
      flow(a, e, name, name);
    }
    if (std::string sid = e.first("objectSid"); !sid.empty()) a["objectSid"] = {base64_encode(sid)};
    const std::string uac = e.first("userAccountControl");
    if (!uac.empty()) {
      long v = 0;
      try {
        v = std::stol(uac);
      } catch (const std::exception&) {
        return sync_internal::line_error(e, "userAccountControl '" + uac + "' is not a number");
      }
      // Bit 0x2 is ACCOUNTDISABLE.
      a["accountEnabled"] = {(v & 0x2) ? "false" : "true"};
    }
  } else {
    // inetOrgPerson preset: mail is the sign-in name.
    flow(a, e, "mail", "userPrincipalName");
    flow(a, e, "sn", "surname");
    flow(a, e, e.first("displayName").empty() ? "cn" : "displayName", "displayName");
    flow(a, e, "title", "jobTitle");
    flow(a, e,
         !e.first("department").empty()         ? "department"
         : !e.first("departmentNumber").empty() ? "departmentNumber"
                                                : "ou",
         "department");
    flow(a, e, "labeledURI", "wWWHomePage");
    flow(a, e, "uid", "onPremisesSamAccountName");
    flow(a, e, "mail", "onPremisesUserPrincipalName");
    flow(a, e, "o", "companyName");
    flow(a, e, "employeeNumber", "employeeId");
    flow(a, e, e.first("co").empty() ? "c" : "co", "country");
    a["accountEnabled"] = {e.first("pwdAccountLockedTime").empty() ? "true" : "false"};
  }
  flow(a, e, "mail", "mail");
  flow(a, e, "proxyAddresses", "proxyAddresses");
  flow(a, e, "givenName", "givenName");
  flow(a, e, "telephoneNumber", "telephoneNumber");
  flow(a, e, "physicalDeliveryOfficeName", "physicalDeliveryOfficeName");
  flow(a, e, "preferredLanguage", "preferredLanguage");
  flow(a, e, "msExchHideFromAddressList", "msExchHideFromAddressList");
  flow(a, e, "msExchRecipientTypeDetails", "msExchRecipientTypeDetails");
  flow(a, e, "manager", "manager");
  flow(a, e, "mobile", "mobile");
  flow(a, e, "l", "city");
  if (std::string domain = dn_domain(e.dn); !domain.empty()) a["onPremisesDomainName"] = {domain};
  a["distinguishedName"] = {e.dn};
  return u;
}

bool is_group_entry(const LdifRecord& e) {
  return sync_internal::has_class(e, "group") || sync_internal::has_class(e, "groupOfNames") ||
         sync_internal::has_class(e, "groupOfUniqueNames");
}

Result<GroupEntry> cloud_group_from_entry(const LdifRecord& e) {
  GroupEntry out;
  DirectoryGroup& g = out.group;
  DirectoryAttributes& a = g.attributes;
  UPSYNC_ASSIGN_OR_RETURN(sync_internal::SourceAnchor id,
                          sync_internal::source_anchor_of(e, "group", "groupOfNames"));
  g.source_anchor = id.anchor;
  a["objectGuid"] = {id.guid};
  flow(a, e, e.first("displayName").empty() ? "cn" : "displayName", "displayName");
  if (!a.count("displayName")) {
    if (std::string rdn = first_rdn_value(e.dn); !rdn.empty()) a["displayName"] = {rdn};
  }
  flow(a, e, "description", "description");
  flow(a, e, "mail", "mail");
  flow(a, e, "proxyAddresses", "proxyAddresses");
  flow(a, e, "sAMAccountName", "onPremisesSamAccountName");
  if (std::string sid = e.first("objectSid"); !sid.empty()) a["objectSid"] = {base64_encode(sid)};
  // mailNickname: AD's own, else the mail's local part, else the account or common name.
  std::string nickname = e.first("mailNickname");
  if (nickname.empty()) nickname = e.first("mail").substr(0, e.first("mail").find('@'));
  if (nickname.empty()) nickname = e.first("sAMAccountName");
  if (nickname.empty()) nickname = e.first("cn");
  if (!nickname.empty()) a["mailNickname"] = {nickname};
  bool security = true;  // an LDAP group of names grants access: a security group
  if (const std::string type = e.first("groupType"); !type.empty()) {
    long long v = 0;
    size_t used = 0;
    try {
      v = std::stoll(type, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != type.size() || v < INT32_MIN || v > UINT32_MAX) {
      return sync_internal::line_error(
          e, "groupType '" + quote_for_message(type) + "' is not a 32-bit number");
    }
    security = (static_cast<uint32_t>(v) & 0x80000000u) != 0;  // GROUP_TYPE_SECURITY_ENABLED
  }
  a["securityEnabled"] = {security ? "true" : "false"};
  a["mailEnabled"] = {e.first("mail").empty() ? "false" : "true"};
  a["distinguishedName"] = {e.dn};
  for (const char* attr : {"member", "uniqueMember"}) {
    for (const std::string& v : e.values(attr)) {
      std::string dn = sync_internal::member_dn(v);
      if (Status s = check_dn(dn); !s) {
        return sync_internal::line_error(e, std::string(attr) + " value '" + quote_for_message(v) +
                                                "' is not a distinguished name: " + s.message());
      }
      out.member_dns.push_back(std::move(dn));
    }
  }
  return out;
}

}  // namespace upsync
