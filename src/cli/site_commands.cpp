// upsync site user add|list|show|remove: a site collection's user information list
// (src/sites/site_users.h), which stage 3 of the sync keeps up to date from the profiles.
#include <CLI/CLI.hpp>
#include <charconv>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"
#include "sites/site_users.h"

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

}  // namespace

void add_site_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* site = app.add_subcommand("site", "site collections");
  site->require_subcommand(1);
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
