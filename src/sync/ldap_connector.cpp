#include "sync/ldap_connector.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

#include "core/text.h"

namespace upsync {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool all_hex(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// GeneralizedTime as OpenLDAP writes modifyTimestamp: YYYYMMDDHHMMSS[.f]Z.
bool is_generalized_time(std::string_view t) {
  if (t.size() < 15 || t.back() != 'Z' || !all_digits(t.substr(0, 14))) return false;
  std::string_view rest = t.substr(14, t.size() - 15);
  return rest.empty() || (rest.size() > 1 && rest[0] == '.' && all_digits(rest.substr(1)));
}

// An OpenLDAP CSN: 20261123101543.565814Z#000000#000#000000.
bool is_csn(std::string_view c) {
  if (c.size() != 40 || c[14] != '.' || c[21] != 'Z' || c[22] != '#' || c[29] != '#' ||
      c[33] != '#') {
    return false;
  }
  return all_digits(c.substr(0, 14)) && all_digits(c.substr(15, 6)) && all_hex(c.substr(23, 6)) &&
         all_hex(c.substr(30, 3)) && all_hex(c.substr(34, 6));
}

// Whether slapd could have issued `cookie` ("rid=000,csn=<csn>[;<csn>...][,delcsn=<csn>]").
// slapd answers a cookie it cannot parse as if there were none: everything, as adds, with
// refreshDeletes TRUE, which would read as "nothing was deleted" and lose the deletions.
bool plausible_openldap_cookie(std::string_view cookie) {
  bool rid = false, csn = false;
  size_t pos = 0;
  while (pos <= cookie.size()) {
    size_t comma = cookie.find(',', pos);
    if (comma == std::string_view::npos) comma = cookie.size();
    const std::string_view field = cookie.substr(pos, comma - pos);
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "rid") {
      if (value.size() != 3 || !all_digits(value)) return false;
      rid = true;
    } else if (key == "sid") {
      if (!all_hex(value)) return false;
    } else if (key == "csn" || key == "delcsn") {
      size_t p = 0;
      while (p <= value.size()) {
        size_t semi = value.find(';', p);
        if (semi == std::string_view::npos) semi = value.size();
        if (!is_csn(value.substr(p, semi - p))) return false;
        p = semi + 1;
      }
      if (key == "csn") csn = true;
    } else {
      return false;
    }
    pos = comma + 1;
  }
  return rid && csn;
}

struct StoredState {
  DeltaMethod method;
  std::string token;
};

std::optional<StoredState> parse_state(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  const size_t colon = value->find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto method = parse_delta_method(std::string_view(*value).substr(0, colon));
  if (!method) return std::nullopt;
  return StoredState{*method, value->substr(colon + 1)};
}

std::string state_value(DeltaMethod method, std::string_view token) {
  return std::string(delta_method_name(method)) + ":" + std::string(token);
}

}  // namespace

Result<DeltaMethod> parse_delta_method(std::string_view name) {
  if (name == "auto") return DeltaMethod::kAuto;
  if (name == "syncrepl") return DeltaMethod::kSyncrepl;
  if (name == "usn") return DeltaMethod::kUsn;
  if (name == "timestamp") return DeltaMethod::kTimestamp;
  if (name == "none") return DeltaMethod::kNone;
  return invalid_argument("delta method '" + quote_for_message(name) +
                          "' is not one of auto, syncrepl, usn, timestamp, none");
}

std::string_view delta_method_name(DeltaMethod method) {
  switch (method) {
    case DeltaMethod::kAuto:
      return "auto";
    case DeltaMethod::kSyncrepl:
      return "syncrepl";
    case DeltaMethod::kUsn:
      return "usn";
    case DeltaMethod::kTimestamp:
      return "timestamp";
    case DeltaMethod::kNone:
      return "none";
  }
  return "none";
}

std::string ldap_source_name(const LdapSourceConfig& c) {
  return "ldap " + c.url + " " + (c.one_level ? "one" : "sub") + " " + ascii_lower(c.base) + " " +
         c.filter;
}

Result<SyncReport> run_ldap_sync(Store& store, const Tenant& tenant, const LdapSourceConfig& config,
                                 DeltaMethod method, const SyncOptions& options) {
  UPSYNC_ASSIGN_OR_RETURN(auto ldap, LdapSource::connect(config));
  UPSYNC_ASSIGN_OR_RETURN(LdapServerInfo info, ldap->server_info());
  if (method == DeltaMethod::kAuto) {
    method = info.syncrepl                ? DeltaMethod::kSyncrepl
             : info.highest_committed_usn ? DeltaMethod::kUsn
                                          : DeltaMethod::kTimestamp;
  } else if (method == DeltaMethod::kSyncrepl && !info.syncrepl) {
    return failed_precondition(config.url +
                               " does not offer RFC 4533 sync (its root DSE's supportedControl "
                               "lacks 1.3.6.1.4.1.4203.1.9.1.1; on OpenLDAP, load the syncprov "
                               "overlay); use --delta-method timestamp or usn");
  } else if (method == DeltaMethod::kUsn && !info.highest_committed_usn) {
    return failed_precondition(config.url +
                               " has no highestCommittedUSN in its root DSE (not Active "
                               "Directory?); use --delta-method timestamp");
  }

  SourceRead source;
  std::vector<std::string> notes;  // what the read had to work around, for the report
  const std::string method_name(delta_method_name(method));
  if (method != DeltaMethod::kNone) source.state_name = ldap_source_name(config);
  // The position this read starts from, when a delta is possible.
  std::optional<std::string> token;
  if (!source.state_name.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(source.state_before, store.source_state(tenant.id, source.state_name));
    auto stored = parse_state(source.state_before);
    if (source.state_before && !stored) {
      notes.push_back("the stored position of this source is unreadable ('" +
                      quote_for_message(*source.state_before) + "'); read everything");
    } else if (stored && stored->method != method) {
      notes.push_back("the last run read this source by " +
                      std::string(delta_method_name(stored->method)) + ", this one by " +
                      method_name + "; read everything");
    } else if (stored && !options.full && !stored->token.empty()) {
      token = stored->token;
    }
  }

  // What to read, decided before the read; the read itself runs while stage 0 does
  // (SourceRead::stream), and sets where the next one starts.
  std::string filter;
  std::string after;
  if (method == DeltaMethod::kSyncrepl) {
    if (token && info.openldap && !plausible_openldap_cookie(*token)) {
      notes.push_back("the stored sync cookie '" + quote_for_message(*token) +
                      "' is not one this server issues; read everything");
      token.reset();
    }
  } else if (method == DeltaMethod::kTimestamp) {
    if (token && !is_generalized_time(*token)) {
      notes.push_back("the stored modifyTimestamp mark '" + quote_for_message(*token) +
                      "' is not a GeneralizedTime; read everything");
      token.reset();
    }
    // ">=": changes later in the mark's second are read again rather than missed.
    if (token) filter = "(modifyTimestamp>=" + *token + ")";
    after = token.value_or("");
  } else if (method == DeltaMethod::kUsn) {
    if (token && !all_digits(*token)) {
      notes.push_back("the stored uSNChanged mark '" + quote_for_message(*token) +
                      "' is not a number; read everything");
      token.reset();
    }
    // The mark is taken before the read: what changes during it is read again next time.
    after = std::to_string(*info.highest_committed_usn);
    if (token) {
      int64_t last = 0;
      const auto [end, ec] = std::from_chars(token->data(), token->data() + token->size(), last);
      if (ec != std::errc() || end != token->data() + token->size() ||
          last == std::numeric_limits<int64_t>::max()) {
        notes.push_back("the stored uSNChanged mark '" + quote_for_message(*token) +
                        "' is out of range; read everything");
        token.reset();
      } else {
        filter = "(uSNChanged>=" + std::to_string(last + 1) + ")";
      }
    }
  } else {
    token.reset();
  }
  bool complete = !token;  // the read's, once it has run
  source.complete = complete;
  source.stream = [&](EntrySink& sink, SourceRead& read) -> Status {
    const LdapEntrySink to_sink = [&](LdifRecord&& e) { sink.add(std::move(e)); };
    if (method == DeltaMethod::kSyncrepl) {
      UPSYNC_ASSIGN_OR_RETURN(LdapSyncRefresh refresh,
                              ldap->sync_refresh(token.value_or(""), to_sink));
      if (refresh.refresh_required) {
        notes.push_back("the server refused the stored sync cookie (" + *refresh.refresh_required +
                        "); read everything");
        token.reset();
        sink.restart();
        UPSYNC_ASSIGN_OR_RETURN(refresh, ldap->sync_refresh("", to_sink));
        if (refresh.refresh_required) {
          return unavailable("RFC 4533 refresh of " + config.base + " on " + config.url +
                             ": the server asks for a full refresh even without a cookie (" +
                             *refresh.refresh_required + ")");
        }
      }
      read.complete = !token;
      if (token) {
        read.deleted_anchors = std::move(refresh.deleted);
        read.present_anchors = std::move(refresh.present);
      }
      // No cookie in the answer: nothing changed since the one sent.
      after = refresh.cookie.empty() ? token.value_or("") : refresh.cookie;
    } else if (method == DeltaMethod::kTimestamp) {
      UPSYNC_RETURN_IF_ERROR(ldap->read_entries(filter, [&](LdifRecord&& e) {
        const std::string t = e.first("modifyTimestamp");
        if (is_generalized_time(t) &&
            t.substr(0, 14) > after.substr(0, std::min<size_t>(14, after.size()))) {
          after = t;
        }
        sink.add(std::move(e));
      }));
    } else {
      UPSYNC_RETURN_IF_ERROR(ldap->read_entries(filter, to_sink));
    }
    read.state_after = state_value(method, after);
    complete = read.complete;
    return Status::ok();
  };

  UPSYNC_ASSIGN_OR_RETURN(SyncReport report, run_source_sync(store, tenant, source, options));
  report.source_method = method_name + (complete ? " full" : " delta");
  report.notes = std::move(notes);
  return report;
}

}  // namespace upsync
