#include "directory/ldap_source.h"

#include <ldap.h>

#include <memory>

namespace upsync {
namespace {

struct LdapDeleter {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
struct MessageDeleter {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};

Status ldap_failure(int rc, const std::string& what) {
  std::string m = what + ": " + ldap_err2string(rc);
  switch (rc) {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMEOUT:
    case LDAP_UNAVAILABLE:
    case LDAP_BUSY:
      return unavailable(m);
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
      return permission_denied(m);
    case LDAP_NO_SUCH_OBJECT:
      return not_found(m);
    case LDAP_FILTER_ERROR:
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_PARAM_ERROR:
      return invalid_argument(m);
    default:
      return unavailable(m);
  }
}

}  // namespace

Result<std::vector<LdifRecord>> read_ldap_entries(const LdapSourceConfig& c) {
  if (c.page_size < 1 || c.page_size > 100000) {
    return invalid_argument("LDAP page size must be 1 to 100000, got " +
                            std::to_string(c.page_size));
  }
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, c.url.c_str());
  if (rc != LDAP_SUCCESS) return ldap_failure(rc, "LDAP URL '" + c.url + "'");
  std::unique_ptr<LDAP, LdapDeleter> ld(raw);
  const int version = LDAP_VERSION3;
  ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  timeval timeout{c.timeout_seconds, 0};
  ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &timeout);
  ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &timeout);
  if (c.start_tls) {
    rc = ldap_start_tls_s(ld.get(), nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return ldap_failure(rc, "StartTLS with " + c.url);
  }
  berval cred{};
  cred.bv_val = const_cast<char*>(c.password.c_str());
  cred.bv_len = c.password.size();
  rc = ldap_sasl_bind_s(ld.get(), c.bind_dn.empty() ? nullptr : c.bind_dn.c_str(), LDAP_SASL_SIMPLE,
                        &cred, nullptr, nullptr, nullptr);
  if (rc != LDAP_SUCCESS) {
    return ldap_failure(
        rc, "binding as " + (c.bind_dn.empty() ? "anonymous" : c.bind_dn) + " to " + c.url);
  }

  std::vector<LdifRecord> out;
  char* attrs[] = {const_cast<char*>("*"), const_cast<char*>("+"), nullptr};
  berval* cookie = nullptr;
  int page = 0;
  while (true) {
    ++page;
    LDAPControl* page_control = nullptr;
    rc = ldap_create_page_control(ld.get(), static_cast<ber_int_t>(c.page_size), cookie, 1,
                                  &page_control);
    ber_bvfree(cookie);
    cookie = nullptr;
    if (rc != LDAP_SUCCESS) return ldap_failure(rc, "creating the paged-results control");
    LDAPControl* server_controls[] = {page_control, nullptr};
    LDAPMessage* res_raw = nullptr;
    rc = ldap_search_ext_s(ld.get(), c.base.c_str(),
                           c.one_level ? LDAP_SCOPE_ONELEVEL : LDAP_SCOPE_SUBTREE, c.filter.c_str(),
                           attrs, 0, server_controls, nullptr, &timeout, 0, &res_raw);
    ldap_control_free(page_control);
    std::unique_ptr<LDAPMessage, MessageDeleter> res(res_raw);
    if (rc != LDAP_SUCCESS) {
      return ldap_failure(rc, "searching " + c.base + " with " + c.filter + " on " + c.url +
                                  " (page " + std::to_string(page) + ", after " +
                                  std::to_string(out.size()) + " entries)");
    }
    for (LDAPMessage* e = ldap_first_entry(ld.get(), res.get()); e;
         e = ldap_next_entry(ld.get(), e)) {
      LdifRecord r;
      char* dn = ldap_get_dn(ld.get(), e);
      r.dn = dn ? dn : "";
      ldap_memfree(dn);
      BerElement* ber = nullptr;
      for (char* a = ldap_first_attribute(ld.get(), e, &ber); a;
           a = ldap_next_attribute(ld.get(), e, ber)) {
        berval** values = ldap_get_values_len(ld.get(), e, a);
        for (int i = 0; values && values[i]; ++i) {
          r.attributes.push_back({a, std::string(values[i]->bv_val, values[i]->bv_len)});
        }
        ldap_value_free_len(values);
        ldap_memfree(a);
      }
      if (ber) ber_free(ber, 0);
      out.push_back(std::move(r));
    }
    int err = 0;
    LDAPControl** controls = nullptr;
    rc = ldap_parse_result(ld.get(), res.get(), &err, nullptr, nullptr, nullptr, &controls, 0);
    if (rc != LDAP_SUCCESS) return ldap_failure(rc, "reading the search result");
    if (err != LDAP_SUCCESS) {
      ldap_controls_free(controls);
      return ldap_failure(err, "searching " + c.base + " on " + c.url);
    }
    LDAPControl* response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls, nullptr);
    ber_int_t estimate = 0;
    berval next{};
    bool more = false;
    if (response &&
        ldap_parse_pageresponse_control(ld.get(), response, &estimate, &next) == LDAP_SUCCESS) {
      more = next.bv_len > 0;
      if (more) cookie = ber_bvdup(&next);
      ber_memfree(next.bv_val);
    }
    ldap_controls_free(controls);
    if (!more) break;
  }
  return out;
}

}  // namespace upsync
