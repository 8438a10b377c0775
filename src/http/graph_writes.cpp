#include "http/graph_writes.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "auth/credentials.h"
#include "auth/secret.h"
#include "core/clock.h"
#include "core/text.h"
#include "directory/directory_store.h"
#include "http/answer_later.h"
#include "http/graph_group.h"
#include "http/graph_user.h"
#include "http/graph_write_body.h"

namespace upsync {

namespace {

using ojson = nlohmann::ordered_json;

constexpr std::string_view kGraphJson =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8";
constexpr std::string_view kSyncedObject =
    "Unable to update the specified properties for on-premises mastered Directory Sync objects "
    "or objects currently undergoing migration.";

// A Graph answer other than success, decided before anything is written.
using Refusal = GraphRefusal;
using Changes = GraphChanges;

Status write_refusal(Call& call, const Refusal& r) {
  write_graph_error(call.req, call.res, r.http_status, r.code, r.message);
  return Status::ok();
}

Refusal insufficient_privileges() {
  return {403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."};
}

Refusal not_found(std::string_view key) {
  return {404, "Request_ResourceNotFound",
          "Resource '" + quote_for_message(key, 200) +
              "' does not exist or one of its queried reference-property objects are not "
              "present."};
}

// Writers: an app (User.ReadWrite.All, Group.ReadWrite.All) or a global admin.
std::optional<Refusal> check_writer(const Call& call, Principal& who) {
  auto p = call.caller();
  if (!p) return Refusal{401, "InvalidAuthenticationToken", p.status().message()};
  who = *p;
  if (who.role != Role::kApp && who.role != Role::kGlobalAdmin) return insufficient_privileges();
  return std::nullopt;
}

// Writes apply no query option: each one is refused by name.
std::optional<Refusal> check_no_options(const Call& call) {
  for (const auto& [name, value] : call.req.params) {
    if (name.starts_with("$")) {
      return Refusal{400, "Request_UnsupportedQuery",
                     "The query option " + name + " is not supported by upsync on " +
                         call.req.method + " " + call.path + "."};
    }
  }
  return std::nullopt;
}

void write_created(Call& call, const ojson& body, const std::string& id, const char* set) {
  call.res.status = 201;
  call.res.set_header("Location", call.tenant_base + "/v1.0/" + set + "/" + id);
  call.res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       std::string(kGraphJson));
}

bool looks_like_guid(std::string_view s) {
  return referenced_object_id("/users/" + std::string(s)) != std::nullopt;
}

// ---- Users ----

Result<std::optional<DirectoryUser>> find_user(Call& call, DirectoryStore& dir,
                                               std::string_view key) {
  std::optional<DirectoryUser> user;
  if (looks_like_guid(key)) {
    UPSYNC_ASSIGN_OR_RETURN(user, dir.user(call.tenant.id, DirectoryLayer::kCloud, key));
  } else {
    UPSYNC_ASSIGN_OR_RETURN(user, dir.user_by_upn(call.tenant.id, DirectoryLayer::kCloud, key));
  }
  if (user && user->deleted) user.reset();
  return user;
}

Refusal upn_taken() {
  return {400, "Request_BadRequest",
          "Another object with the same value for property userPrincipalName already exists."};
}

// The sign-in password stored for `upn`, if any (credentials.h).
Result<std::optional<PasswordSignIn>> password_of(CredentialStore& creds, TenantId tenant,
                                                  std::string_view upn) {
  auto found = creds.person_with_password(tenant, upn);
  if (!found) {
    if (found.status().code() == StatusCode::kNotFound) return std::optional<PasswordSignIn>();
    return found.status();
  }
  return std::optional<PasswordSignIn>(found->first);
}

bool is_admin_role(Role r) { return r == Role::kGlobalAdmin || r == Role::kSharePointAdmin; }

// A step that hashes a password (about 150 ms at kPasswordIterations) runs on the sign-in pool
// (auth/hash_pool.h), as the token endpoint's hashing does, with a Call of the pool thread's
// own store: the request loop serves other connections meanwhile. A full pool answers 503
// with Retry-After.
Status on_hash_pool(Call& call, std::function<Status(Call&)> step) {
  return answer_on_pool(call, *call.server.sign_in_pool, std::move(step),
                        [](const HttpRequest& req, HttpResponse& busy) {
                          write_graph_error(req, busy, 503, "serviceNotAvailable",
                                            "The service is busy hashing passwords; retry after "
                                            "1 second.");
                        });
}

// The checks against what is stored, and the writes, of a creation: in one transaction, after
// the hashing, so that two creations of one UPN cannot both pass.
Status create_user_now(Call& call, const Changes& c) {
  const std::string upn = c.set.at("userPrincipalName")[0];
  UPSYNC_ASSIGN_OR_RETURN(std::string hash, hash_secret(*c.password, kPasswordIterations));
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  DirectoryUser u;
  u.object_id = new_ordered_guid();
  u.attributes = c.set;
  u.attributes["licensed"] = {"true"};
  std::optional<Refusal> refused;
  UPSYNC_RETURN_IF_ERROR(call.store.in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto existing, find_user(call, *dir, upn));
    UPSYNC_ASSIGN_OR_RETURN(auto password, password_of(*creds, call.tenant.id, upn));
    // A password already set for this UPN belongs to someone the directory does not list (an
    // admin, say): a new user must not take it over.
    if (existing || password) {
      refused = upn_taken();
      return Status::ok();
    }
    UPSYNC_RETURN_IF_ERROR(dir->add(call.tenant.id, DirectoryLayer::kCloud, u));
    return creds->set_password(call.tenant.id, {upn, Role::kUser, utc_now_iso()}, hash);
  }));
  if (refused) return write_refusal(call, *refused);
  ojson out = ojson::object();
  out["@odata.context"] = call.tenant_base + "/v1.0/$metadata#users/$entity";
  ojson fields = graph_user_json(u, default_user_select());
  for (auto& [k, v] : fields.items()) out[k] = std::move(v);
  write_created(call, out, u.object_id, "users");
  return Status::ok();
}

Status create_user(Call& call) {
  Principal who;
  if (auto no = check_writer(call, who)) return write_refusal(call, *no);
  if (auto no = check_no_options(call)) return write_refusal(call, *no);
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  Changes c;
  if (auto no = read_graph_body(body, true, true, c)) return write_refusal(call, *no);
  if (auto no = check_graph_required(
          c,
          {"accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"},
          "User")) {
    return write_refusal(call, *no);
  }
  return on_hash_pool(call, [c](Call& pooled) { return create_user_now(pooled, c); });
}

// The user a PATCH or DELETE acts on, or why not: missing, synced, or an admin's account
// that only a global admin may change.
Result<std::variant<DirectoryUser, Refusal>> user_to_change(Call& call, const Principal& who,
                                                            const std::string& key,
                                                            DirectoryStore& dir,
                                                            CredentialStore& creds) {
  using Out = std::variant<DirectoryUser, Refusal>;
  UPSYNC_ASSIGN_OR_RETURN(auto user, find_user(call, dir, key));
  if (!user) return Out(not_found(key));
  if (!user->source_anchor.empty())
    return Out(Refusal{400, "Request_BadRequest", std::string(kSyncedObject)});
  UPSYNC_ASSIGN_OR_RETURN(auto password,
                          password_of(creds, call.tenant.id, user->first("userPrincipalName")));
  if (password && is_admin_role(password->role) && who.role != Role::kGlobalAdmin) {
    return Out(insufficient_privileges());
  }
  return Out(std::move(*user));
}

// A PATCH's checks against what is stored, and its writes, in one transaction (after the
// hashing of a new password, if any).
Status update_user_now(Call& call, const Principal& who, const std::string& key, const Changes& c) {
  std::optional<std::string> hash;
  if (c.password) {
    UPSYNC_ASSIGN_OR_RETURN(hash, hash_secret(*c.password, kPasswordIterations));
  }
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  std::optional<Refusal> refused;
  UPSYNC_RETURN_IF_ERROR(call.store.in_transaction([&]() -> Status {
    UPSYNC_ASSIGN_OR_RETURN(auto target, user_to_change(call, who, key, *dir, *creds));
    if (auto* no = std::get_if<Refusal>(&target)) {
      refused = *no;
      return Status::ok();
    }
    DirectoryUser u = std::get<DirectoryUser>(std::move(target));
    const std::string old_upn = u.first("userPrincipalName");
    std::string upn = old_upn;
    if (graph_body_gave(c, "userPrincipalName")) upn = c.set.at("userPrincipalName")[0];
    UPSYNC_ASSIGN_OR_RETURN(auto password, password_of(*creds, call.tenant.id, old_upn));
    if (!ascii_iequal(upn, old_upn)) {
      // A rename must not land on another user, nor on someone's password. A sign-in password
      // is stored by UPN, so a user who has one is renamed with a new one in the same request
      // (it moves to the new name; the old name signs in no more).
      UPSYNC_ASSIGN_OR_RETURN(auto other, find_user(call, *dir, upn));
      UPSYNC_ASSIGN_OR_RETURN(auto taken, password_of(*creds, call.tenant.id, upn));
      if (other || taken) {
        refused = upn_taken();
        return Status::ok();
      }
      if (password && !hash) {
        refused = Refusal{400, "Request_BadRequest",
                          "Renaming a user who has a sign-in password needs a new "
                          "passwordProfile in the same request."};
        return Status::ok();
      }
    }
    for (const auto& [attr, values] : c.set) {
      if (values.empty()) {
        u.attributes.erase(attr);
      } else {
        u.attributes[attr] = values;
      }
    }
    UPSYNC_RETURN_IF_ERROR(dir->put(call.tenant.id, DirectoryLayer::kCloud, u).status());
    if (!hash) return Status::ok();
    Role role = password ? password->role : Role::kUser;
    if (password && !ascii_iequal(upn, old_upn)) {
      UPSYNC_RETURN_IF_ERROR(creds->remove_password(call.tenant.id, old_upn));
    }
    return creds->set_password(call.tenant.id, {upn, role, utc_now_iso()}, *hash);
  }));
  if (refused) return write_refusal(call, *refused);
  call.res.status = 204;
  return Status::ok();
}

Status update_user(Call& call) {
  Principal who;
  if (auto no = check_writer(call, who)) return write_refusal(call, *no);
  if (auto no = check_no_options(call)) return write_refusal(call, *no);
  const std::string key = call.match[1].str();
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  Changes c;
  if (auto no = read_graph_body(body, false, true, c)) return write_refusal(call, *no);
  if (!c.password) return update_user_now(call, who, key, c);
  return on_hash_pool(call,
                      [who, key, c](Call& pooled) { return update_user_now(pooled, who, key, c); });
}

Status delete_user(Call& call) {
  Principal who;
  if (auto no = check_writer(call, who)) return write_refusal(call, *no);
  if (auto no = check_no_options(call)) return write_refusal(call, *no);
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto target,
                          user_to_change(call, who, call.match[1].str(), *dir, *creds));
  if (auto* no = std::get_if<Refusal>(&target)) return write_refusal(call, *no);
  const DirectoryUser& u = std::get<DirectoryUser>(target);
  const std::string upn = u.first("userPrincipalName");
  UPSYNC_ASSIGN_OR_RETURN(auto password, password_of(*creds, call.tenant.id, upn));
  // A deleted user signs in no more: their password goes with them, and with it their tokens.
  UPSYNC_RETURN_IF_ERROR(call.store.in_transaction([&]() -> Status {
    UPSYNC_RETURN_IF_ERROR(
        dir->remove(call.tenant.id, DirectoryLayer::kCloud, u.object_id).status());
    if (!password) return Status::ok();
    return creds->remove_password(call.tenant.id, upn);
  }));
  call.res.status = 204;
  return Status::ok();
}

// ---- Groups ----

// The live cloud group a request names, or why not (missing; synced when `writing`).
Result<std::variant<DirectoryGroup, Refusal>> group_to_change(Call& call, DirectoryStore& dir) {
  using Out = std::variant<DirectoryGroup, Refusal>;
  const std::string key = call.match[1].str();
  if (!looks_like_guid(key)) return Out(not_found(key));
  UPSYNC_ASSIGN_OR_RETURN(auto g,
                          dir.group(call.tenant.id, DirectoryLayer::kCloud, ascii_lower(key)));
  if (!g || g->deleted) return Out(not_found(key));
  if (!g->source_anchor.empty())
    return Out(Refusal{400, "Request_BadRequest", std::string(kSyncedObject)});
  return Out(std::move(*g));
}

// The live member `id` names, or a refusal.
Result<std::optional<Refusal>> check_member(Call& call, DirectoryStore& dir,
                                            const DirectoryGroup& group, const std::string& id) {
  if (id == group.object_id) {
    return std::optional<Refusal>(
        Refusal{400, "Request_BadRequest", "A group cannot be a member of itself."});
  }
  UPSYNC_ASSIGN_OR_RETURN(auto obj, dir.object(call.tenant.id, DirectoryLayer::kCloud, id));
  if (!obj) return std::optional<Refusal>(not_found(id));
  return std::optional<Refusal>();
}

Status create_group(Call& call) {
  Principal who;
  if (auto no = check_writer(call, who)) return write_refusal(call, *no);
  if (auto no = check_no_options(call)) return write_refusal(call, *no);
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  Changes c;
  if (auto no = read_graph_body(body, true, false, c)) return write_refusal(call, *no);
  if (auto no = check_graph_required(
          c, {"displayName", "mailEnabled", "mailNickname", "securityEnabled"}, "Group")) {
    return write_refusal(call, *no);
  }
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  DirectoryGroup g;
  g.object_id = new_ordered_guid();
  g.attributes = std::move(c.set);
  for (const std::string& id : c.members) {
    UPSYNC_ASSIGN_OR_RETURN(auto no, check_member(call, *dir, g, id));
    if (no) return write_refusal(call, *no);
  }
  g.members = std::move(c.members);
  UPSYNC_RETURN_IF_ERROR(dir->put_group(call.tenant.id, DirectoryLayer::kCloud, g).status());
  UPSYNC_ASSIGN_OR_RETURN(auto stored,
                          dir->group(call.tenant.id, DirectoryLayer::kCloud, g.object_id));
  if (!stored) return internal_error("the group just written is not in the cloud directory");
  ojson out = ojson::object();
  out["@odata.context"] = call.tenant_base + "/v1.0/$metadata#groups/$entity";
  ojson fields = group_type().json(view_of(*stored), group_type().default_select());
  for (auto& [k, v] : fields.items()) out[k] = std::move(v);
  write_created(call, out, g.object_id, "groups");
  return Status::ok();
}

Status update_group(Call& call) {
  Principal who;
  if (auto no = check_writer(call, who)) return write_refusal(call, *no);
  if (auto no = check_no_options(call)) return write_refusal(call, *no);
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto target, group_to_change(call, *dir));
  if (auto* no = std::get_if<Refusal>(&target)) return write_refusal(call, *no);
  DirectoryGroup g = std::get<DirectoryGroup>(std::move(target));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  Changes c;
  if (auto no = read_graph_body(body, false, false, c)) return write_refusal(call, *no);
  for (auto& [attr, values] : c.set) {
    if (values.empty()) {
      g.attributes.erase(attr);
    } else {
      g.attributes[attr] = std::move(values);
    }
  }
  UPSYNC_RETURN_IF_ERROR(dir->put_group(call.tenant.id, DirectoryLayer::kCloud, g).status());
  call.res.status = 204;
  return Status::ok();
}

Status delete_group(Call& call) {
  Principal who;
  if (auto no = check_writer(call, who)) return write_refusal(call, *no);
  if (auto no = check_no_options(call)) return write_refusal(call, *no);
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto target, group_to_change(call, *dir));
  if (auto* no = std::get_if<Refusal>(&target)) return write_refusal(call, *no);
  UPSYNC_RETURN_IF_ERROR(dir->remove_group(call.tenant.id, DirectoryLayer::kCloud,
                                           std::get<DirectoryGroup>(target).object_id)
                             .status());
  call.res.status = 204;
  return Status::ok();
}

Status add_member(Call& call) {
  Principal who;
  if (auto no = check_writer(call, who)) return write_refusal(call, *no);
  if (auto no = check_no_options(call)) return write_refusal(call, *no);
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto target, group_to_change(call, *dir));
  if (auto* no = std::get_if<Refusal>(&target)) return write_refusal(call, *no);
  DirectoryGroup g = std::get<DirectoryGroup>(std::move(target));
  UPSYNC_ASSIGN_OR_RETURN(nlohmann::json body, json_body(call.req));
  if (!body.is_object() || body.size() != 1 || !body.contains("@odata.id")) {
    return write_refusal(call, Refusal{400, "BadRequest",
                                       "The request body must be {\"@odata.id\": "
                                       "\"https://graph.microsoft.com/v1.0/directoryObjects/"
                                       "{id}\"} and nothing else."});
  }
  auto id = referenced_object_id(body["@odata.id"]);
  if (!id) {
    return write_refusal(call,
                         Refusal{400, "Request_BadRequest",
                                 "Invalid object identifier '" +
                                     quote_for_message(body["@odata.id"].dump(), 200) + "'."});
  }
  UPSYNC_ASSIGN_OR_RETURN(auto no, check_member(call, *dir, g, *id));
  if (no) return write_refusal(call, *no);
  if (std::find(g.members.begin(), g.members.end(), *id) != g.members.end()) {
    return write_refusal(call, Refusal{400, "Request_BadRequest",
                                       "One or more added object references already exist for "
                                       "the following modified properties: 'members'."});
  }
  g.members.push_back(*id);
  UPSYNC_RETURN_IF_ERROR(dir->put_group(call.tenant.id, DirectoryLayer::kCloud, g).status());
  call.res.status = 204;
  return Status::ok();
}

Status remove_member(Call& call) {
  Principal who;
  if (auto no = check_writer(call, who)) return write_refusal(call, *no);
  if (auto no = check_no_options(call)) return write_refusal(call, *no);
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(call.store));
  UPSYNC_ASSIGN_OR_RETURN(auto target, group_to_change(call, *dir));
  if (auto* no = std::get_if<Refusal>(&target)) return write_refusal(call, *no);
  DirectoryGroup g = std::get<DirectoryGroup>(std::move(target));
  const std::string member = ascii_lower(call.match[2].str());
  auto it = std::find(g.members.begin(), g.members.end(), member);
  if (it == g.members.end()) return write_refusal(call, not_found(call.match[2].str()));
  g.members.erase(it);
  UPSYNC_RETURN_IF_ERROR(dir->put_group(call.tenant.id, DirectoryLayer::kCloud, g).status());
  call.res.status = 204;
  return Status::ok();
}

}  // namespace

void add_graph_write_routes(Router& router) {
  // Writes check their caller themselves (check_writer), to answer in Graph's words.
  auto add = [&](const char* method, const char* pattern, Handler h) {
    router.add(method, pattern, Surface::kGraph, Access::kSignedIn, std::move(h));
  };
  add("POST", R"(^/v1\.0/users/?$)", create_user);
  add("PATCH", R"(^/v1\.0/users/([^/]+)$)", update_user);
  add("DELETE", R"(^/v1\.0/users/([^/]+)$)", delete_user);
  add("POST", R"(^/v1\.0/groups/?$)", create_group);
  add("PATCH", R"(^/v1\.0/groups/([^/]+)$)", update_group);
  add("DELETE", R"(^/v1\.0/groups/([^/]+)$)", delete_group);
  add("POST", R"(^/v1\.0/groups/([^/]+)/members/\$ref$)", add_member);
  add("DELETE", R"(^/v1\.0/groups/([^/]+)/members/([^/]+)/\$ref$)", remove_member);
}

}  // namespace upsync
