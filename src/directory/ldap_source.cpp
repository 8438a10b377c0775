#include "directory/ldap_source.h"

#include <ldap.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <memory>

#include "core/text.h"

namespace upsync {
namespace {

struct MessageDeleter {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
using Message = std::unique_ptr<LDAPMessage, MessageDeleter>;
struct BerDeleter {
  void operator()(BerElement* b) const { ber_free(b, 1); }
};
using Ber = std::unique_ptr<BerElement, BerDeleter>;
struct ControlsDeleter {
  void operator()(LDAPControl** c) const { ldap_controls_free(c); }
};
using Controls = std::unique_ptr<LDAPControl*, ControlsDeleter>;

// RFC 4533's Sync Request control: the server offers it in the root DSE's supportedControl.
constexpr std::string_view kSyncRequestOid = LDAP_CONTROL_SYNC;

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

// The error of a failed operation: the result code's words, and the server's own text.
Status server_failure(int err, const char* text, const std::string& what) {
  Status s = ldap_failure(err, what);
  if (text && *text) return Status(s.code(), s.message() + " (" + text + ")");
  return s;
}

LdifRecord read_entry(LDAP* ld, LDAPMessage* e) {
  LdifRecord r;
  // The DN, names and values as bervals pointing into the message (no copy per attribute,
  // as ldap_get_values_len makes), each copied once into the record.
  BerElement* ber = nullptr;
  berval dn{};
  if (ldap_get_dn_ber(ld, e, &ber, &dn) != LDAP_SUCCESS) {
    if (ber) ber_free(ber, 0);
    return r;
  }
  r.dn.assign(dn.bv_val, dn.bv_len);
  berval name{};
  BerVarray values = nullptr;
  while (ldap_get_attribute_ber(ld, e, ber, &name, &values) == LDAP_SUCCESS && name.bv_val) {
    const std::string attr(name.bv_val, name.bv_len);
    for (int i = 0; values && values[i].bv_val; ++i) {
      r.attributes.push_back({attr, std::string(values[i].bv_val, values[i].bv_len)});
    }
    ber_memfree(values);
    values = nullptr;
  }
  ber_free(ber, 0);
  return r;
}

std::string text_of(const berval& b) { return b.bv_val ? std::string(b.bv_val, b.bv_len) : ""; }

Result<std::string> uuid_of(const berval& b, std::string_view where) {
  if (b.bv_len != 16) {
    return data_loss(std::string(where) + ": a syncUUID must be 16 bytes, got " +
                     std::to_string(b.bv_len));
  }
  return uuid_text(std::string_view(b.bv_val, b.bv_len));
}

// The optional cookie, then the optional boolean, of the SEQUENCEs of RFC 4533 §2.5 and
// §2.7 (syncDoneValue, refreshDelete, refreshPresent, syncIdSet), from inside the sequence.
bool read_cookie_and_flag(BerElement* ber, std::optional<std::string>& cookie, bool& flag) {
  ber_len_t len = 0;
  if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE) {
    berval c{};
    if (ber_scanf(ber, "m", &c) == LBER_ERROR) return false;
    cookie = text_of(c);
  }
  if (ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDELETES) {
    ber_int_t b = 0;
    if (ber_scanf(ber, "b", &b) == LBER_ERROR) return false;
    flag = b != 0;
  }
  return true;
}

// Root DSE values of `attr`.
std::vector<std::string> values_of(const LdifRecord& r, std::string_view attr) {
  return r.values(attr);
}

std::string scope_filter(const std::string& filter) {
  if (!filter.empty() && filter.front() == '(') return filter;
  return "(" + filter + ")";
}

}  // namespace

std::string uuid_text(std::string_view b) {
  if (b.size() != 16) return "";
  auto u = [&](int i) { return static_cast<unsigned>(static_cast<unsigned char>(b[i])); };
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u(0), u(1),
                u(2), u(3), u(4), u(5), u(6), u(7), u(8), u(9), u(10), u(11), u(12), u(13), u(14),
                u(15));
  return buf;
}

void LdapSource::Unbind::operator()(ldap* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }

LdapSource::~LdapSource() = default;

Result<std::unique_ptr<LdapSource>> LdapSource::connect(const LdapSourceConfig& c) {
  if (c.page_size < 1 || c.page_size > 100000) {
    return invalid_argument("LDAP page size must be 1 to 100000, got " +
                            std::to_string(c.page_size));
  }
  if (c.timeout_seconds < 1) {
    return invalid_argument("LDAP timeout must be at least 1 second, got " +
                            std::to_string(c.timeout_seconds));
  }
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, c.url.c_str());
  if (rc != LDAP_SUCCESS) return ldap_failure(rc, "LDAP URL '" + c.url + "'");
  std::unique_ptr<ldap, Unbind> ld(raw);
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
  return std::unique_ptr<LdapSource>(new LdapSource(c, std::move(ld)));
}

Result<LdapServerInfo> LdapSource::server_info() {
  char* attrs[] = {const_cast<char*>("objectClass"), const_cast<char*>("supportedControl"),
                   const_cast<char*>("highestCommittedUSN"), nullptr};
  timeval timeout{config_.timeout_seconds, 0};
  LDAPMessage* raw = nullptr;
  int rc = ldap_search_ext_s(ld_.get(), "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, nullptr,
                             nullptr, &timeout, 1, &raw);
  Message res(raw);
  LdapServerInfo info;
  // A server that hides its root DSE offers nothing we can rely on: plain reads.
  if (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_INSUFFICIENT_ACCESS) return info;
  if (rc != LDAP_SUCCESS) return ldap_failure(rc, "reading the root DSE of " + config_.url);
  LDAPMessage* e = ldap_first_entry(ld_.get(), res.get());
  if (!e) return info;
  const LdifRecord dse = read_entry(ld_.get(), e);
  for (const std::string& oid : values_of(dse, "supportedControl")) {
    if (oid == kSyncRequestOid) info.syncrepl = true;
  }
  for (const std::string& cls : values_of(dse, "objectClass")) {
    if (ascii_iequal(cls, "OpenLDAProotDSE")) info.openldap = true;
  }
  const std::string usn = dse.first("highestCommittedUSN");
  if (!usn.empty()) {
    try {
      size_t used = 0;
      const int64_t v = std::stoll(usn, &used);
      if (used != usn.size() || v < 0) throw std::invalid_argument(usn);
      info.highest_committed_usn = v;
    } catch (const std::exception&) {
      return data_loss("the root DSE of " + config_.url + " has highestCommittedUSN '" + usn +
                       "', which is not a count");
    }
  }
  return info;
}

Status LdapSource::read_entries(std::string_view extra_filter, const LdapEntrySink& sink) {
  const LdapSourceConfig& c = config_;
  const std::string filter = extra_filter.empty()
                                 ? c.filter
                                 : "(&" + scope_filter(c.filter) + std::string(extra_filter) + ")";
  timeval timeout{c.timeout_seconds, 0};
  size_t received = 0;
  char* attrs[] = {const_cast<char*>("*"), const_cast<char*>("+"), nullptr};
  berval* cookie = nullptr;
  int page = 0;
  while (true) {
    ++page;
    LDAPControl* page_control = nullptr;
    int rc = ldap_create_page_control(ld_.get(), static_cast<ber_int_t>(c.page_size), cookie, 1,
                                      &page_control);
    ber_bvfree(cookie);
    cookie = nullptr;
    if (rc != LDAP_SUCCESS) return ldap_failure(rc, "creating the paged-results control");
    LDAPControl* server_controls[] = {page_control, nullptr};
    LDAPMessage* res_raw = nullptr;
    rc = ldap_search_ext_s(ld_.get(), c.base.c_str(),
                           c.one_level ? LDAP_SCOPE_ONELEVEL : LDAP_SCOPE_SUBTREE, filter.c_str(),
                           attrs, 0, server_controls, nullptr, &timeout, 0, &res_raw);
    ldap_control_free(page_control);
    Message res(res_raw);
    if (rc != LDAP_SUCCESS) {
      return ldap_failure(rc, "searching " + c.base + " with " + filter + " on " + c.url +
                                  " (page " + std::to_string(page) + ", after " +
                                  std::to_string(received) + " entries)");
    }
    for (LDAPMessage* e = ldap_first_entry(ld_.get(), res.get()); e;
         e = ldap_next_entry(ld_.get(), e)) {
      LdifRecord entry = read_entry(ld_.get(), e);
      UPSYNC_RETURN_IF_ERROR(complete_ranged_values(entry));
      ++received;
      sink(std::move(entry));
    }
    int err = 0;
    LDAPControl** controls = nullptr;
    rc = ldap_parse_result(ld_.get(), res.get(), &err, nullptr, nullptr, nullptr, &controls, 0);
    if (rc != LDAP_SUCCESS) return ldap_failure(rc, "reading the search result");
    Controls owned(controls);
    if (err != LDAP_SUCCESS) return ldap_failure(err, "searching " + c.base + " on " + c.url);
    LDAPControl* response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls, nullptr);
    ber_int_t estimate = 0;
    berval next{};
    bool more = false;
    if (response &&
        ldap_parse_pageresponse_control(ld_.get(), response, &estimate, &next) == LDAP_SUCCESS) {
      more = next.bv_len > 0;
      if (more) cookie = ber_bvdup(&next);
      ber_memfree(next.bv_val);
    }
    if (!more) break;
  }
  return Status::ok();
}

Status LdapSource::complete_ranged_values(LdifRecord& entry) {
  const bool any =
      std::any_of(entry.attributes.begin(), entry.attributes.end(), [](const LdifAttribute& a) {
        return ascii_lower(a.name).find(";range=") != std::string::npos;
      });
  if (!any) return Status::ok();
  // "name;range=low-high" (high "*" for the last range): the values of each ranged attribute.
  struct Ranged {
    std::string name;
    std::vector<std::string> values;
    std::string high;
  };
  std::vector<Ranged> ranged;
  std::vector<LdifAttribute> plain;
  for (LdifAttribute& a : entry.attributes) {
    const std::string lower = ascii_lower(a.name);
    const size_t at = lower.find(";range=");
    if (at == std::string::npos) {
      plain.push_back(std::move(a));
      continue;
    }
    const std::string name = a.name.substr(0, at);
    const std::string range = a.name.substr(at + 7);
    const size_t dash = range.find('-');
    if (dash == std::string::npos) {
      return data_loss("entry " + entry.dn + ": attribute '" + a.name + "' has a malformed range");
    }
    auto it = std::find_if(ranged.begin(), ranged.end(),
                           [&](const Ranged& r) { return ascii_iequal(r.name, name); });
    if (it == ranged.end()) it = ranged.insert(ranged.end(), Ranged{name, {}, ""});
    it->values.push_back(std::move(a.value));
    it->high = range.substr(dash + 1);
  }
  timeval timeout{config_.timeout_seconds, 0};
  for (Ranged& r : ranged) {
    while (r.high != "*") {
      int64_t high = 0;
      const auto [end, ec] = std::from_chars(r.high.data(), r.high.data() + r.high.size(), high);
      if (ec != std::errc() || end != r.high.data() + r.high.size()) {
        return data_loss("entry " + entry.dn + ": attribute '" + r.name + "' has range end '" +
                         r.high + "'");
      }
      std::string want = r.name + ";range=" + std::to_string(high + 1) + "-*";
      char* attrs[] = {want.data(), nullptr};
      LDAPMessage* raw = nullptr;
      const int rc =
          ldap_search_ext_s(ld_.get(), entry.dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
                            0, nullptr, nullptr, &timeout, 1, &raw);
      Message res(raw);
      if (rc != LDAP_SUCCESS) {
        return ldap_failure(rc, "reading " + want + " of " + entry.dn + " on " + config_.url);
      }
      LDAPMessage* e = ldap_first_entry(ld_.get(), res.get());
      if (!e) return data_loss(entry.dn + " vanished while its " + r.name + " values were read");
      const LdifRecord more = read_entry(ld_.get(), e);
      std::string next_high;
      for (const LdifAttribute& a : more.attributes) {
        const size_t at = ascii_lower(a.name).find(";range=");
        if (at == std::string::npos || !ascii_iequal(a.name.substr(0, at), r.name)) continue;
        r.values.push_back(a.value);
        const std::string range = a.name.substr(at + 7);
        next_high = range.substr(range.find('-') + 1);
      }
      if (next_high.empty()) break;  // the server has no more values
      r.high = next_high;
    }
    for (std::string& v : r.values) plain.push_back({r.name, std::move(v)});
  }
  entry.attributes = std::move(plain);
  return Status::ok();
}

Result<LdapSyncRefresh> LdapSource::sync_refresh(std::string_view cookie,
                                                 const LdapEntrySink& sink) {
  const LdapSourceConfig& c = config_;
  const std::string where = "RFC 4533 refresh of " + c.base + " on " + c.url;
  // syncRequestValue ::= SEQUENCE { mode ENUMERATED, cookie syncCookie OPTIONAL,
  //                                 reloadHint BOOLEAN DEFAULT FALSE }
  Ber request(ber_alloc_t(LBER_USE_DER));
  if (!request) return internal_error(where + ": out of memory");
  berval cookie_bv{cookie.size(), const_cast<char*>(cookie.data())};
  int rc = cookie.empty()
               ? ber_printf(request.get(), "{e}", static_cast<ber_int_t>(LDAP_SYNC_REFRESH_ONLY))
               : ber_printf(request.get(), "{eO}", static_cast<ber_int_t>(LDAP_SYNC_REFRESH_ONLY),
                            &cookie_bv);
  berval value{};
  if (rc == -1 || ber_flatten2(request.get(), &value, 0) == -1) {
    return internal_error(where + ": cannot encode the Sync Request control");
  }
  LDAPControl* sync_control = nullptr;
  rc = ldap_control_create(LDAP_CONTROL_SYNC, 1, &value, 1, &sync_control);
  if (rc != LDAP_SUCCESS) return ldap_failure(rc, where + ": creating the Sync Request control");
  LDAPControl* server_controls[] = {sync_control, nullptr};
  char* attrs[] = {const_cast<char*>("*"), const_cast<char*>("+"), nullptr};
  int msgid = 0;
  // No paging (see the header) and no client size limit: 0 would mean the server's soft limit.
  rc = ldap_search_ext(ld_.get(), c.base.c_str(),
                       c.one_level ? LDAP_SCOPE_ONELEVEL : LDAP_SCOPE_SUBTREE, c.filter.c_str(),
                       attrs, 0, server_controls, nullptr, nullptr, INT_MAX, &msgid);
  ldap_control_free(sync_control);
  if (rc != LDAP_SUCCESS) return ldap_failure(rc, "searching " + c.filter + " in " + where);

  LdapSyncRefresh out;
  // Decodes each entry's Sync State control where it lies (ber_init2); freed without the
  // buffer, which the control owns.
  std::unique_ptr<BerElement, decltype([](BerElement* b) { ber_free(b, 0); })> state_reader(
      ber_alloc_t(LBER_USE_DER));
  if (!state_reader) return internal_error(where + ": out of memory");
  std::optional<std::string> last_cookie;
  std::vector<std::string> present;
  bool present_seen = false;
  size_t received = 0;  // entries added or changed
  while (true) {
    timeval timeout{c.timeout_seconds, 0};
    LDAPMessage* raw = nullptr;
    const int type = ldap_result(ld_.get(), msgid, LDAP_MSG_ONE, &timeout, &raw);
    Message msg(raw);
    if (type == 0) {
      return unavailable(where + ": no answer within " + std::to_string(c.timeout_seconds) +
                         " s after " + std::to_string(received) + " entries");
    }
    if (type == -1) {
      int err = LDAP_OTHER;
      ldap_get_option(ld_.get(), LDAP_OPT_RESULT_CODE, &err);
      return ldap_failure(err, where + " after " + std::to_string(received) + " entries");
    }
    if (type == LDAP_RES_SEARCH_ENTRY) {
      LDAPControl** controls = nullptr;
      ldap_get_entry_controls(ld_.get(), msg.get(), &controls);
      Controls owned(controls);
      LDAPControl* state = ldap_control_find(LDAP_CONTROL_SYNC_STATE, controls, nullptr);
      LdifRecord entry = read_entry(ld_.get(), msg.get());
      if (!state) {
        return data_loss(where + ": entry " + entry.dn + " came without a Sync State control");
      }
      // syncStateValue ::= SEQUENCE { state ENUMERATED, entryUUID syncUUID,
      //                               cookie syncCookie OPTIONAL }
      // Read in place by the one decoder (ber_init would copy it into a buffer of its own).
      BerElement* ber = state_reader.get();
      ber_init2(ber, &state->ldctl_value, LBER_USE_DER);
      ber_int_t st = -1;
      berval uuid{};
      if (ber_scanf(ber, "{em", &st, &uuid) == LBER_ERROR) {
        return data_loss(where + ": the Sync State control of " + entry.dn + " is malformed");
      }
      UPSYNC_ASSIGN_OR_RETURN(std::string id, uuid_of(uuid, where + ", entry " + entry.dn));
      ber_len_t len = 0;
      if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE) {
        berval cv{};
        if (ber_scanf(ber, "m", &cv) != LBER_ERROR) last_cookie = text_of(cv);
      }
      switch (st) {
        case LDAP_SYNC_ADD:
        case LDAP_SYNC_MODIFY:
          UPSYNC_RETURN_IF_ERROR(complete_ranged_values(entry));
          ++received;
          sink(std::move(entry));
          break;
        case LDAP_SYNC_DELETE:
          out.deleted.push_back(std::move(id));
          break;
        case LDAP_SYNC_PRESENT:
          present_seen = true;
          present.push_back(std::move(id));
          break;
        default:
          return data_loss(where + ": entry " + entry.dn + " has unknown sync state " +
                           std::to_string(st));
      }
      continue;
    }
    if (type == LDAP_RES_INTERMEDIATE) {
      char* oid = nullptr;
      berval* data = nullptr;
      rc = ldap_parse_intermediate(ld_.get(), msg.get(), &oid, &data, nullptr, 0);
      std::unique_ptr<char, decltype(&ldap_memfree)> oid_owned(oid, ldap_memfree);
      std::unique_ptr<berval, decltype(&ber_bvfree)> data_owned(data, ber_bvfree);
      if (rc != LDAP_SUCCESS) return ldap_failure(rc, where + ": reading an intermediate message");
      if (!oid || std::string_view(oid) != LDAP_SYNC_INFO) continue;  // not ours
      if (!data) return data_loss(where + ": a Sync Info message without a value");
      Ber ber(ber_init(data));
      if (!ber) return internal_error(where + ": out of memory");
      ber_len_t len = 0;
      const ber_tag_t tag = ber_peek_tag(ber.get(), &len);
      const std::string malformed = where + ": malformed Sync Info message";
      if (tag == LDAP_TAG_SYNC_NEW_COOKIE) {
        berval cv{};
        if (ber_scanf(ber.get(), "m", &cv) == LBER_ERROR) return data_loss(malformed);
        last_cookie = text_of(cv);
      } else if (tag == LDAP_TAG_SYNC_REFRESH_DELETE || tag == LDAP_TAG_SYNC_REFRESH_PRESENT) {
        bool done = true;
        if (ber_scanf(ber.get(), "{") == LBER_ERROR ||
            !read_cookie_and_flag(ber.get(), last_cookie, done)) {
          return data_loss(malformed);
        }
        if (tag == LDAP_TAG_SYNC_REFRESH_PRESENT) present_seen = true;
      } else if (tag == LDAP_TAG_SYNC_ID_SET) {
        bool refresh_deletes = false;
        if (ber_scanf(ber.get(), "{") == LBER_ERROR ||
            !read_cookie_and_flag(ber.get(), last_cookie, refresh_deletes)) {
          return data_loss(malformed);
        }
        BerVarray uuids = nullptr;
        if (ber_scanf(ber.get(), "[W]", &uuids) == LBER_ERROR) return data_loss(malformed);
        std::unique_ptr<berval, decltype(&ber_bvarray_free)> uuids_owned(uuids, ber_bvarray_free);
        for (int i = 0; uuids && uuids[i].bv_val; ++i) {
          UPSYNC_ASSIGN_OR_RETURN(std::string id, uuid_of(uuids[i], malformed));
          if (refresh_deletes) {
            out.deleted.push_back(std::move(id));
          } else {
            present_seen = true;
            present.push_back(std::move(id));
          }
        }
      } else {
        return data_loss(malformed + " (tag " + std::to_string(tag) + ")");
      }
      continue;
    }
    if (type != LDAP_RES_SEARCH_RESULT) continue;  // references: referrals are off

    int err = 0;
    char* text = nullptr;
    LDAPControl** controls = nullptr;
    rc = ldap_parse_result(ld_.get(), msg.get(), &err, nullptr, &text, nullptr, &controls, 0);
    std::unique_ptr<char, decltype(&ldap_memfree)> text_owned(text, ldap_memfree);
    Controls owned(controls);
    if (rc != LDAP_SUCCESS) return ldap_failure(rc, where + ": reading the search result");
    const std::string server_text = text ? text : "";
    // e-syncRefreshRequired (RFC 4533 §3.4); slapd says "consumer state is newer than
    // provider!" with unwillingToPerform for a cookie from its future (a restored database,
    // another server).
    if (err == LDAP_SYNC_REFRESH_REQUIRED ||
        (err == LDAP_UNWILLING_TO_PERFORM && !cookie.empty())) {
      LdapSyncRefresh again;
      again.refresh_required =
          server_text.empty() ? std::string(ldap_err2string(err)) : server_text;
      return again;
    }
    if (err == LDAP_SIZELIMIT_EXCEEDED) {
      return ldap_failure(
          err, where + ": the server stopped after " + std::to_string(received) + " entries; let " +
                   (c.bind_dn.empty() ? "anonymous" : c.bind_dn) +
                   " read without a size limit (slapd: limits dn.exact=\"" + c.bind_dn +
                   "\" size=unlimited), or use --delta-method "
                   "timestamp, which pages");
    }
    if (err != LDAP_SUCCESS)
      return server_failure(err, text, "searching " + c.filter + " in " + where);
    // syncDoneValue ::= SEQUENCE { cookie syncCookie OPTIONAL,
    //                              refreshDeletes BOOLEAN DEFAULT FALSE }
    bool refresh_deletes = false;
    if (LDAPControl* done = ldap_control_find(LDAP_CONTROL_SYNC_DONE, controls, nullptr)) {
      Ber ber(ber_init(&done->ldctl_value));
      if (!ber || ber_scanf(ber.get(), "{") == LBER_ERROR ||
          !read_cookie_and_flag(ber.get(), last_cookie, refresh_deletes)) {
        return data_loss(where + ": malformed Sync Done control");
      }
    } else {
      return data_loss(where + ": the search ended without a Sync Done control");
    }
    // With a cookie, refreshDeletes FALSE means a present phase: whatever the server did not
    // name (present, added or modified) is gone, even when it named nothing. (slapd answers
    // "nothing changed" with refreshDeletes TRUE and no cookie.)
    if (!cookie.empty() && (present_seen || !refresh_deletes)) out.present = std::move(present);
    out.cookie = last_cookie.value_or("");
    return out;
  }
}

Result<std::vector<LdifRecord>> read_ldap_entries(const LdapSourceConfig& config) {
  UPSYNC_ASSIGN_OR_RETURN(auto source, LdapSource::connect(config));
  std::vector<LdifRecord> out;
  UPSYNC_RETURN_IF_ERROR(
      source->read_entries("", [&](LdifRecord&& e) { out.push_back(std::move(e)); }));
  return out;
}

}  // namespace upsync
