// upsync site user add|list|show|remove: a site collection's user information list
// (src/sites/site_users.h), which stage 3 of the sync keeps up to date from the profiles.
// upsync site permission list|grant|revoke|break-inheritance|reset-inheritance: who may read
// and write the site's document libraries (src/sites/site_permissions.h).
#include <CLI/CLI.hpp>
#include <charconv>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"
#include "core/text.h"
#include "directory/directory_store.h"
#include "sites/site_permissions.h"
#include "sites/site_users.h"
#include "sites/sites.h"

namespace upsync {
namespace {

nlohmann::json site_user_json(const SiteUser& u) {
  return {{"site", "/" + u.site},       {"id", u.id},
          {"loginName", u.login_name},  {"siteAdmin", u.site_admin},
          {"properties", u.properties}, {"createdAt", u.created_at},
          {"updatedAt", u.updated_at}};
}

struct Opened {
  Store* store = nullptr;
  Tenant tenant;
  std::string site;
  std::unique_ptr<SiteUserStore> users;
};

Result<Opened> open(CliContext& ctx, const std::string& tenant, const std::string& site) {
  Opened o;
  UPSYNC_ASSIGN_OR_RETURN(o.tenant, ctx.tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(o.store, ctx.store());
  UPSYNC_ASSIGN_OR_RETURN(o.site, site_collection_key(site));
  UPSYNC_ASSIGN_OR_RETURN(o.users, open_site_user_store(*o.store));
  return o;
}

// A user of the site by id (a number) or by anything find_profile() resolves.
Result<SiteUser> find_site_user(Opened& o, const std::string& key) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  std::optional<SiteUser> u;
  if (ec == std::errc() && end == key.data() + key.size()) {
    UPSYNC_ASSIGN_OR_RETURN(u, o.users->by_id(o.tenant.id, o.site, id));
  } else {
    UPSYNC_ASSIGN_OR_RETURN(Profile p, find_profile(*o.store, o.tenant.id, key));
    UPSYNC_ASSIGN_OR_RETURN(u, o.users->by_login(o.tenant.id, o.site, p.account_name));
  }
  if (!u) return not_found("'" + key + "' is not in the user list of '/" + o.site + "'");
  return *u;
}

// ---- site permission ---------------------------------------------------------------------

struct PermissionArgs {
  std::string tenant;
  std::string site;
  std::string library;
  std::string role;
  std::string user;
  std::string group;
  bool everyone = false;
  bool empty = false;
};

struct OpenedPermissions {
  Opened site;
  std::unique_ptr<SitePermissionStore> perms;
  std::string library;  // as the library is named on disk, "" for the site collection
};

// The library's name as stored: it must exist (a folder at /<site>/<library>).
Result<std::string> existing_library(CliContext& ctx, const Opened& o, const std::string& name) {
  std::string escaped;  // parse_file_url decodes escapes; a '%' in a name is literal here
  for (char c : name) escaped += c == '%' ? std::string("%25") : std::string(1, c);
  auto url = parse_file_url("/" + o.site + "/" + escaped);
  if (url && url->path.empty()) {
    auto info = DocumentLibraries(ctx.data_dir).stat(o.tenant, *url);
    if (info && info->folder) return url->library;
  }
  return not_found("library '" + name + "' does not exist in '/" + o.site + "' of tenant '" +
                   o.tenant.name + "' (a library exists once a file is stored in it)");
}

Result<OpenedPermissions> open_permissions(CliContext& ctx, const PermissionArgs& a) {
  OpenedPermissions o;
  UPSYNC_ASSIGN_OR_RETURN(o.site, open(ctx, a.tenant, a.site));
  UPSYNC_ASSIGN_OR_RETURN(o.perms, open_site_permission_store(*o.site.store));
  if (!a.library.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(o.library, existing_library(ctx, o.site, a.library));
  }
  return o;
}

// A directory group of the directory store by object id, else by display name (unique).
Result<SitePrincipal> find_group_principal(Store& store, const Tenant& t, const std::string& key) {
  UPSYNC_ASSIGN_OR_RETURN(auto dir, open_directory_store(store));
  UPSYNC_ASSIGN_OR_RETURN(auto by_id, dir->group(t.id, DirectoryLayer::kStore, key));
  if (by_id && !by_id->deleted)
    return group_principal(by_id->object_id, by_id->first("displayName"));
  UPSYNC_ASSIGN_OR_RETURN(auto all, dir->groups(t.id, DirectoryLayer::kStore));
  std::vector<DirectoryGroup> named;
  for (DirectoryGroup& g : all) {
    if (ascii_iequal(g.first("displayName"), key)) named.push_back(std::move(g));
  }
  if (named.size() == 1) return group_principal(named[0].object_id, named[0].first("displayName"));
  if (named.empty()) {
    return not_found("unknown group '" + key + "': no group with that object id or name in the " +
                     "directory store of tenant '" + t.name + "' (run a sync first)");
  }
  std::string ids;
  for (const auto& g : named) ids += (ids.empty() ? "" : ", ") + g.object_id;
  return invalid_argument(std::to_string(named.size()) + " groups are named '" + key +
                          "'; give the object id (" + ids + ")");
}

// The principal the options name; a person is also added to the site's user list, where
// their principal id comes from (as SharePoint adds whoever gets a role).
Result<SitePrincipal> principal_of(OpenedPermissions& o, const PermissionArgs& a) {
  const int given = !a.user.empty() + !a.group.empty() + a.everyone;
  if (given != 1) {
    return invalid_argument("name exactly one principal: --user UPN, --group NAME or --everyone");
  }
  Opened& s = o.site;
  if (a.everyone) return everyone_principal();
  if (!a.group.empty()) return find_group_principal(*s.store, s.tenant, a.group);
  auto profile = find_profile(*s.store, s.tenant.id, a.user);
  if (!profile) {
    return Status(profile.status().code(),
                  "unknown user '" + a.user + "': " + std::string(profile.status().message()));
  }
  UPSYNC_RETURN_IF_ERROR(ensure_site_user(*s.store, *s.users, s.tenant, s.site, *profile).status());
  return person_principal(*profile);
}

Result<SiteRole> role_of(const std::string& name) {
  if (auto r = parse_site_role(name)) return *r;
  return invalid_argument("role '" + name + "' is not owner, member or visitor");
}

nlohmann::json scope_json(const PermissionScope& scope, bool defaults) {
  nlohmann::json assignments = nlohmann::json::array();
  for (const RoleAssignment& a : scope.assignments) {
    nlohmann::json roles = nlohmann::json::array();
    for (SiteRole r : a.roles) roles.push_back(site_role_name(r));
    assignments.push_back({{"kind", principal_kind_name(a.principal.kind)},
                           {"principal", a.principal.key},
                           {"name", a.principal.name},
                           {"login", principal_login(a.principal)},
                           {"roles", roles}});
  }
  return {{"site", "/" + scope.site},
          {"library", scope.library},
          {"default", defaults},
          {"assignments", assignments}};
}

Status list_permissions(CliContext& ctx, const PermissionArgs& a) {
  UPSYNC_ASSIGN_OR_RETURN(OpenedPermissions o, open_permissions(ctx, a));
  const TenantId t = o.site.tenant.id;
  std::vector<std::pair<PermissionScope, bool>> shown;  // scope, defaults
  if (!o.library.empty()) {
    UPSYNC_ASSIGN_OR_RETURN(PermissionScope s,
                            effective_scope(*o.perms, t, o.site.site, o.library));
    shown.emplace_back(s, false);
  } else {
    UPSYNC_ASSIGN_OR_RETURN(auto own, o.perms->scope(t, o.site.site, ""));
    UPSYNC_ASSIGN_OR_RETURN(PermissionScope site, effective_scope(*o.perms, t, o.site.site, ""));
    shown.emplace_back(site, !own);
    UPSYNC_ASSIGN_OR_RETURN(auto scopes, o.perms->scopes(t, o.site.site));
    for (const PermissionScope& s : scopes) {
      if (!s.library.empty()) shown.emplace_back(s, false);
    }
  }
  if (ctx.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& [scope, defaults] : shown) arr.push_back(scope_json(scope, defaults));
    print_json(*ctx.out, arr);
    return Status::ok();
  }
  *ctx.out << "Global admins, SharePoint admins and apps are owners of every library.\n";
  TextTable table({"SCOPE", "KIND", "PRINCIPAL", "NAME", "ROLES"});
  for (const auto& [scope, defaults] : shown) {
    std::string where = scope.library.empty() ? "/" + scope.site : scope.library + " (own)";
    if (defaults) where += " (default)";
    if (!o.library.empty() && scope.library.empty()) where = o.library + " (inherited)";
    for (const RoleAssignment& ra : scope.assignments) {
      std::string roles;
      for (SiteRole r : ra.roles)
        roles += (roles.empty() ? "" : ",") + std::string(site_role_name(r));
      table.add_row({where, std::string(principal_kind_name(ra.principal.kind)), ra.principal.key,
                     ra.principal.name, roles});
    }
  }
  table.print(*ctx.out);
  return Status::ok();
}

std::string scope_text(const OpenedPermissions& o) {
  return o.library.empty() ? "/" + o.site.site : "library '" + o.library + "' of /" + o.site.site;
}

void add_permission_commands(CLI::App& site, CliContext& ctx) {
  CLI::App* group = site.add_subcommand(
      "permission", "who reads and writes the site's document libraries (owner, member, visitor)");
  group->require_subcommand(1);
  auto common = [](CLI::App* cmd, PermissionArgs& a, bool library_required) {
    cmd->add_option("--tenant,-t", a.tenant, "tenant name")->required();
    cmd->add_option("site", a.site, "site collection: /sites/<name> or /teams/<name>")->required();
    auto* lib = cmd->add_option("--library", a.library,
                                "a document library by name (e.g. \"Shared Documents\")");
    if (library_required) lib->required();
  };
  auto principal = [](CLI::App* cmd, PermissionArgs& a) {
    cmd->add_option("--user", a.user, "a person: UPN, claims account name or work email");
    cmd->add_option("--group", a.group, "a directory group: object id or display name");
    cmd->add_flag("--everyone", a.everyone, "every signed-in person of the tenant");
  };

  auto la = std::make_shared<PermissionArgs>();
  CLI::App* list = group->add_subcommand("list", "the site's assignments and libraries' own");
  common(list, *la, false);
  list->callback([&ctx, la] { ctx.action = [&ctx, la] { return list_permissions(ctx, *la); }; });

  auto ga = std::make_shared<PermissionArgs>();
  CLI::App* grant_cmd = group->add_subcommand(
      "grant", "give a principal a role (replacing the roles it had in that scope)");
  common(grant_cmd, *ga, false);
  grant_cmd
      ->add_option("--role", ga->role,
                   "owner (Full Control), member (Contribute) or "
                   "visitor (Read)")
      ->required();
  principal(grant_cmd, *ga);
  grant_cmd->callback([&ctx, ga] {
    ctx.action = [&ctx, ga]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(SiteRole role, role_of(ga->role));
      UPSYNC_ASSIGN_OR_RETURN(OpenedPermissions o, open_permissions(ctx, *ga));
      return o.site.store->in_transaction([&]() -> Status {
        UPSYNC_RETURN_IF_ERROR(o.site.store->take_tenant_turn(o.site.tenant.id));
        UPSYNC_ASSIGN_OR_RETURN(SitePrincipal p, principal_of(o, *ga));
        UPSYNC_ASSIGN_OR_RETURN(bool changed, grant(*o.site.store, *o.perms, o.site.tenant.id,
                                                    o.site.site, o.library, p, role));
        if (!ctx.json) {
          *ctx.out << (changed ? "granted " : "unchanged: ") << p.key << " is "
                   << site_role_name(role) << " of " << scope_text(o) << "\n";
        }
        return Status::ok();
      });
    };
  });

  auto ra = std::make_shared<PermissionArgs>();
  CLI::App* revoke_cmd = group->add_subcommand("revoke", "remove a principal's roles");
  common(revoke_cmd, *ra, false);
  revoke_cmd->add_option("--role", ra->role, "remove only this role");
  principal(revoke_cmd, *ra);
  revoke_cmd->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      std::optional<SiteRole> only;
      if (!ra->role.empty()) {
        UPSYNC_ASSIGN_OR_RETURN(only, role_of(ra->role));
      }
      UPSYNC_ASSIGN_OR_RETURN(OpenedPermissions o, open_permissions(ctx, *ra));
      return o.site.store->in_transaction([&]() -> Status {
        UPSYNC_RETURN_IF_ERROR(o.site.store->take_tenant_turn(o.site.tenant.id));
        UPSYNC_ASSIGN_OR_RETURN(SitePrincipal p, principal_of(o, *ra));
        UPSYNC_RETURN_IF_ERROR(
            revoke(*o.site.store, *o.perms, o.site.tenant.id, o.site.site, o.library, p, only));
        if (!ctx.json) *ctx.out << "revoked " << p.key << " in " << scope_text(o) << "\n";
        return Status::ok();
      });
    };
  });

  auto ba = std::make_shared<PermissionArgs>();
  CLI::App* brk = group->add_subcommand(
      "break-inheritance", "give a library assignments of its own (a copy of the site's)");
  common(brk, *ba, true);
  brk->add_flag("--empty", ba->empty, "start with no assignments (only admins and apps reach it)");
  brk->callback([&ctx, ba] {
    ctx.action = [&ctx, ba]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(OpenedPermissions o, open_permissions(ctx, *ba));
      UPSYNC_ASSIGN_OR_RETURN(
          bool changed, break_inheritance(*o.site.store, *o.perms, o.site.tenant.id, o.site.site,
                                          o.library, !ba->empty));
      if (!ctx.json) {
        *ctx.out << (changed ? "" : "unchanged: ") << scope_text(o)
                 << " has assignments of its own\n";
      }
      return Status::ok();
    };
  });

  auto rs = std::make_shared<PermissionArgs>();
  CLI::App* reset = group->add_subcommand(
      "reset-inheritance", "drop a library's own assignments: it inherits the site's again");
  common(reset, *rs, true);
  reset->callback([&ctx, rs] {
    ctx.action = [&ctx, rs]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(OpenedPermissions o, open_permissions(ctx, *rs));
      UPSYNC_ASSIGN_OR_RETURN(
          bool changed, reset_inheritance(*o.perms, o.site.tenant.id, o.site.site, o.library));
      if (!ctx.json) {
        *ctx.out << (changed ? "" : "unchanged: ") << scope_text(o)
                 << " inherits the site's assignments\n";
      }
      return Status::ok();
    };
  });
}

}  // namespace

void add_site_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* site = app.add_subcommand("site", "site collections");
  site->require_subcommand(1);
  add_permission_commands(*site, ctx);
  CLI::App* group = site->add_subcommand(
      "user", "a site collection's user list (stage 3 of the sync keeps it current)");
  group->require_subcommand(1);
  struct Args {
    std::string tenant;
    std::string site;
    std::string key;
    bool admin = false;
  };
  auto common = [](CLI::App* cmd, Args& a) {
    cmd->add_option("--tenant,-t", a.tenant, "tenant name")->required();
    cmd->add_option("site", a.site, "site collection: /sites/<name>, /teams/<name> or /")
        ->required();
  };

  auto aa = std::make_shared<Args>();
  CLI::App* add = group->add_subcommand(
      "add", "add a person to the site's list from their profile (SharePoint's ensureUser)");
  common(add, *aa);
  add->add_option("account", aa->key, "account name, UPN, work email or cloud id")->required();
  add->add_flag("--site-admin", aa->admin, "make them a site collection administrator");
  add->callback([&ctx, aa] {
    ctx.action = [&ctx, aa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Opened o, open(ctx, aa->tenant, aa->site));
      return o.store->in_transaction([&]() -> Status {
        UPSYNC_ASSIGN_OR_RETURN(Profile p, find_profile(*o.store, o.tenant.id, aa->key));
        UPSYNC_ASSIGN_OR_RETURN(SiteUser u,
                                ensure_site_user(*o.store, *o.users, o.tenant, o.site, p));
        if (aa->admin) {
          UPSYNC_RETURN_IF_ERROR(o.users->set_site_admin(o.tenant.id, o.site, u.id, true).status());
          u.site_admin = true;
        }
        if (ctx.json) {
          print_json(*ctx.out, site_user_json(u));
        } else {
          *ctx.out << u.login_name << " is user " << u.id << " of /" << o.site << "\n";
        }
        return Status::ok();
      });
    };
  });

  auto la = std::make_shared<Args>();
  CLI::App* list = group->add_subcommand("list", "the site's user list");
  common(list, *la);
  list->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Opened o, open(ctx, la->tenant, la->site));
      UPSYNC_ASSIGN_OR_RETURN(auto users, o.users->list(o.tenant.id, o.site));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const SiteUser& u : users) arr.push_back(site_user_json(u));
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"ID", "LOGIN NAME", "NAME", "WORK EMAIL", "ADMIN", "UPDATED"});
      for (const SiteUser& u : users) {
        table.add_row({std::to_string(u.id), u.login_name, u.first("PreferredName"),
                       u.first("WorkEmail"), u.site_admin ? "yes" : "", u.updated_at});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  auto sa = std::make_shared<Args>();
  CLI::App* show =
      group->add_subcommand("show", "one user of the site, with the copied properties");
  common(show, *sa);
  show->add_option("user", sa->key, "the user's id in the site, or their account")->required();
  show->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Opened o, open(ctx, sa->tenant, sa->site));
      UPSYNC_ASSIGN_OR_RETURN(SiteUser u, find_site_user(o, sa->key));
      if (ctx.json) {
        print_json(*ctx.out, site_user_json(u));
        return Status::ok();
      }
      *ctx.out << "Id: " << u.id << "\nLoginName: " << u.login_name
               << "\nSiteAdmin: " << (u.site_admin ? "yes" : "no") << "\nUpdated: " << u.updated_at
               << "\n";
      for (const auto& [name, values] : u.properties) {
        for (const std::string& v : values) *ctx.out << name << ": " << v << "\n";
      }
      return Status::ok();
    };
  });

  auto ra = std::make_shared<Args>();
  CLI::App* remove = group->add_subcommand("remove", "remove a user from the site's list");
  common(remove, *ra);
  remove->add_option("user", ra->key, "the user's id in the site, or their account")->required();
  remove->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Opened o, open(ctx, ra->tenant, ra->site));
      UPSYNC_ASSIGN_OR_RETURN(SiteUser u, find_site_user(o, ra->key));
      UPSYNC_RETURN_IF_ERROR(o.users->remove(o.tenant.id, o.site, u.id).status());
      if (!ctx.json) *ctx.out << "removed " << u.login_name << " from /" << o.site << "\n";
      return Status::ok();
    };
  });
}

}  // namespace upsync
