#include "http/person_page.h"

#include <nlohmann/json.hpp>

#include "audiences/hybrid.h"
#include "core/text.h"
#include "http/page_assets.h"
#include "http/sharepoint_common.h"
#include "http/sign_in_form.h"

namespace upsync {

namespace {

// Seed 000: on a server tenant, a hybrid user's person page is their page online, for every
// viewer, hybrid or not. Decided once the viewer is signed in: an anonymous request gets the
// page, which signs in and comes back here, so that nobody learns who exists without signing
// in. An account the lookup refuses (unknown, malformed) gets the page too, which asks the
// same API and shows its answer.
Result<std::optional<std::string>> hybrid_redirect(Call& call, const std::string& account) {
  if (call.tenant.kind != TenantKind::kServer) return std::optional<std::string>();
  auto who = call.caller();
  if (!who) return std::optional<std::string>();
  Result<Profile> target =
      account.empty() ? sp_own_profile(call, *who) : sp_find_account(call, account);
  if (!target) return std::optional<std::string>();
  return hybrid_person_url(call.store, call.tenant, *target);
}

Status person_page(Call& call) {
  // The page reads accountname itself (from its address); anything else would be ignored.
  std::string account;
  for (const auto& [name, value] : call.req.params) {
    if (!ascii_iequal(name, "accountname")) {
      return invalid_argument("the query parameter '" + name + "' is not supported on " +
                              call.req.path + ": the person page takes accountname only");
    }
    account = value;
  }
  UPSYNC_ASSIGN_OR_RETURN(std::optional<std::string> online, hybrid_redirect(call, account));
  if (online) {
    call.res.status = 302;
    call.res.set_header("Location", *online);
    call.res.set_header("Cache-Control", "no-store");
    return Status::ok();
  }
  call.res.status = 200;
  call.res.set_header("Cache-Control", "no-cache");
  set_page_security_headers(call.res);
  call.res.set_content(render_template("person.html", {{"base", pages_base(call)}}),
                       "text/html; charset=utf-8");
  return Status::ok();
}

// One property's values from the edit body: a string, null (clears it), or, for a multi-value
// property, an array of strings.
Result<std::vector<std::string>> edited_values(const PropertyDefinition& d,
                                               const nlohmann::json& v) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
    return out;
  }
  if (v.is_array() && d.multi_value) {
    for (const auto& item : v) {
      if (!item.is_string()) return invalid_argument("each value must be a string");
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  return invalid_argument(d.multi_value ? "must be a string or an array of strings"
                                        : "must be a string");
}

// POST /_layouts/15/upsync/profile?accountname=...  {"AboutMe":"...","SPS-Skills":["a","b"]}
// The person page's save: every property of the body is checked first (who may change it,
// then its values, with the store's own message), and nothing is written unless all pass;
// then all are written in one update. A person changes their own user-editable properties;
// tenant admins and apps change any property of anyone except those directory sync writes
// (the next sync would overwrite them). A refusal is 400 (403 for a property the caller may
// not change) with the admin API's error, and one entry per property in error.details:
// {"target":"SPS-Birthday","message":"..."}, for the page to show beside each field.
Status save_profile(Call& call) {
  UPSYNC_ASSIGN_OR_RETURN(Principal who, call.caller());
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object() || body.empty()) {
    return invalid_argument("the body must be a JSON object of property names and values");
  }
  for (const auto& [name, value] : call.req.params) {
    if (name != "accountname") {
      return invalid_argument("the query parameter '" + name + "' is not supported on " +
                              call.req.path + ": it takes accountname only");
    }
  }
  Result<Profile> target = call.req.has_param("accountname")
                               ? sp_find_account(call, call.req.get_param_value("accountname"))
                               : sp_own_profile(call, who);
  if (!target) return target.status();
  const bool own = sp_is_own_profile(who, *target);
  UPSYNC_ASSIGN_OR_RETURN(ProfileSchema schema, call.store.schema(call.tenant.id));
  nlohmann::json details = nlohmann::json::array();
  bool forbidden = false;
  std::vector<PropertyChange> changes;
  for (const auto& [name, value] : body.items()) {
    auto fail = [&](const std::string& message) {
      details.push_back({{"target", name}, {"message", message}});
    };
    const PropertyDefinition* d = schema.find(name);
    if (!d) {
      fail("no property '" + name + "' in the profile schema");
      continue;
    }
    if (d->directory_imported || property_name_equal(d->name, "AccountName") ||
        property_name_equal(d->name, "UserProfile_GUID")) {
      forbidden = true;
      fail("'" + d->display_name + "' comes from the directory: only the directory changes it");
      continue;
    }
    if (!who.manages_tenant() && !(own && d->user_editable)) {
      forbidden = true;
      fail(who.describe() + " may not change '" + d->display_name + "' of " + target->account_name);
      continue;
    }
    auto values = edited_values(*d, value);
    if (!values) {
      fail("'" + d->name + "' " + values.status().message());
      continue;
    }
    if (auto normalized = schema.normalize(d->name, *values); !normalized) {
      fail(normalized.status().message());
      continue;
    }
    changes.push_back({d->name, std::move(*values)});
  }
  if (!details.empty()) {
    std::string message = details.size() == 1 ? details[0]["message"].get<std::string>()
                                              : std::to_string(details.size()) +
                                                    " properties were refused; nothing was "
                                                    "saved";
    write_json(call.res, forbidden ? 403 : 400,
               {{"error",
                 {{"code", forbidden ? "Forbidden" : "InvalidValue"},
                  {"message", message},
                  {"details", details}}}});
    return Status::ok();
  }
  auto updated = call.store.update_profile(call.tenant.id, target->id, changes);
  if (!updated) return updated.status();
  write_json(call.res, 200, {{"accountName", updated->account_name}, {"saved", changes.size()}});
  return Status::ok();
}

}  // namespace

std::string person_page_url(const Call& call, std::string_view account_name, bool my) {
  return call.tenant_base + (my ? "/my/Person.aspx" : "/person.aspx") +
         "?accountname=" + url_encode(account_name);
}

void add_person_page_routes(Router& router) {
  router.add("GET", R"(^/(?:my/)?person\.aspx$)", Surface::kPlain, Access::kPublic, person_page);
  router.add("POST", R"(^/_layouts/15/upsync/profile$)", Surface::kAdmin, Access::kSignedIn,
             save_profile);
}

}  // namespace upsync
