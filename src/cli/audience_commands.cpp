// upsync audience add|list|show|members|compile|remove: a server tenant's audiences (seed 000,
// src/audiences/audiences.h); upsync hybrid set|show|clear: its hybrid settings
// (src/audiences/hybrid.h).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <ostream>

#include "audiences/audience_compiler.h"
#include "audiences/audience_json.h"
#include "cli/context.h"
#include "cli/output.h"
#include "core/text.h"

namespace upsync {

namespace {

constexpr int kPage = 1000;

struct AudienceArgs {
  std::string tenant;
  std::string name;
  std::string description;
  std::string match = "all";
  std::vector<std::string> rules;
  bool all = false;
};

Result<Audience> require_audience(AudienceStore& audiences, const Tenant& t,
                                  const std::string& name) {
  UPSYNC_ASSIGN_OR_RETURN(auto a, audiences.find(t.id, name));
  if (!a) {
    return not_found("no audience '" + quote_for_message(name) + "' in tenant '" + t.name +
                     "' (upsync audience list -t " + t.name + ")");
  }
  return *a;
}

void print_audience(std::ostream& out, const Audience& a) {
  out << "name:        " << a.name << "\n"
      << "id:          " << a.id << "\n"
      << "description: " << a.description << "\n"
      << "match:       " << audience_match_name(a.match) << " of its rules\n"
      << "members:     " << a.member_count << "\n"
      << "compiled at: " << a.compiled_at << "\n"
      << "rules:\n";
  for (const AudienceRule& r : a.rules) out << "  " << format_audience_rule(r) << "\n";
}

void add_audience_add(CLI::App& group, CliContext& ctx) {
  auto a = std::make_shared<AudienceArgs>();
  CLI::App* add = group.add_subcommand(
      "add", "define an audience by its rules and compile its members (server tenants)");
  add->add_option("--tenant,-t", a->tenant, "tenant name")->required();
  add->add_option("name", a->name, "the audience's name")->required();
  add->add_option("--rule,-r", a->rules,
                  "memberOf:<group>, <Property>=<value>, <Property>~=<value> (contains) or "
                  "reportsUnder:<account or UPN>; repeat for several")
      ->required();
  add->add_option("--match", a->match, "all (default) or any of the rules");
  add->add_option("--description", a->description, "what the audience is for");
  add->callback([&ctx, a] {
    ctx.action = [&ctx, a]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(a->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      NewAudience n;
      n.name = a->name;
      n.description = a->description;
      auto match = parse_audience_match(a->match);
      if (!match) return invalid_argument("--match '" + a->match + "': expected all or any");
      n.match = *match;
      for (const std::string& text : a->rules) {
        UPSYNC_ASSIGN_OR_RETURN(AudienceRule r, parse_audience_rule(text));
        n.rules.push_back(std::move(r));
      }
      UPSYNC_ASSIGN_OR_RETURN(Audience added, add_audience(*store, t, n));
      if (ctx.json) {
        print_json(*ctx.out, audience_json(added));
      } else {
        *ctx.out << "added audience " << added.name << " (" << added.member_count << " members)\n";
      }
      return Status::ok();
    };
  });
}

void add_audience_reads(CLI::App& group, CliContext& ctx) {
  auto la = std::make_shared<AudienceArgs>();
  CLI::App* list = group.add_subcommand("list", "the tenant's audiences with their member counts");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(la->tenant));
      UPSYNC_RETURN_IF_ERROR(require_server_tenant(t));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(auto all, audiences->list(t.id));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const Audience& a : all) arr.push_back(audience_json(a));
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"NAME", "MATCH", "RULES", "MEMBERS", "COMPILED"});
      for (const Audience& a : all) {
        table.add_row({a.name, std::string(audience_match_name(a.match)),
                       std::to_string(a.rules.size()), std::to_string(a.member_count),
                       a.compiled_at});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  auto sa = std::make_shared<AudienceArgs>();
  CLI::App* show = group.add_subcommand("show", "an audience's rules and member count");
  show->add_option("--tenant,-t", sa->tenant, "tenant name")->required();
  show->add_option("name", sa->name, "the audience's name or id")->required();
  show->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sa->tenant));
      UPSYNC_RETURN_IF_ERROR(require_server_tenant(t));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(Audience a, require_audience(*audiences, t, sa->name));
      if (ctx.json) {
        print_json(*ctx.out, audience_json(a));
      } else {
        print_audience(*ctx.out, a);
      }
      return Status::ok();
    };
  });

  auto ma = std::make_shared<AudienceArgs>();
  CLI::App* members = group.add_subcommand("members", "the account names of an audience's members");
  members->add_option("--tenant,-t", ma->tenant, "tenant name")->required();
  members->add_option("name", ma->name, "the audience's name or id")->required();
  members->callback([&ctx, ma] {
    ctx.action = [&ctx, ma]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(ma->tenant));
      UPSYNC_RETURN_IF_ERROR(require_server_tenant(t));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(Audience a, require_audience(*audiences, t, ma->name));
      nlohmann::json arr = nlohmann::json::array();
      ProfileId after = 0;
      // Page by page, so that a large audience is never held whole.
      while (true) {
        UPSYNC_ASSIGN_OR_RETURN(auto page, audiences->members(t.id, a.id, after, kPage));
        for (ProfileId id : page) {
          UPSYNC_ASSIGN_OR_RETURN(
              auto p, store->find_profile(t.id, {ProfileKeyKind::kId, std::to_string(id)}));
          if (!p) continue;  // deleted since: the next sync drops it
          if (ctx.json) {
            arr.push_back({{"id", p->id}, {"accountName", p->account_name}});
          } else {
            *ctx.out << p->account_name << "\n";
          }
        }
        if (static_cast<int>(page.size()) < kPage) break;
        after = page.back();
      }
      if (ctx.json) print_json(*ctx.out, arr);
      return Status::ok();
    };
  });
}

void add_audience_writes(CLI::App& group, CliContext& ctx) {
  auto ca = std::make_shared<AudienceArgs>();
  CLI::App* compile = group.add_subcommand(
      "compile", "compile an audience (or --all) from every profile now, not only what changed");
  compile->add_option("--tenant,-t", ca->tenant, "tenant name")->required();
  compile->add_option("name", ca->name, "the audience's name or id");
  compile->add_flag("--all", ca->all, "every audience of the tenant");
  compile->callback([&ctx, ca] {
    ctx.action = [&ctx, ca]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(ca->tenant));
      UPSYNC_RETURN_IF_ERROR(require_server_tenant(t));
      if (ca->all == !ca->name.empty()) {
        return invalid_argument("name one audience or give --all");
      }
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(*store));
      std::vector<Audience> which;
      if (ca->all) {
        UPSYNC_ASSIGN_OR_RETURN(which, audiences->list(t.id));
      } else {
        UPSYNC_ASSIGN_OR_RETURN(Audience a, require_audience(*audiences, t, ca->name));
        which.push_back(std::move(a));
      }
      nlohmann::json arr = nlohmann::json::array();
      for (const Audience& a : which) {
        UPSYNC_ASSIGN_OR_RETURN(int64_t n, compile_audience(*store, t, a));
        if (ctx.json) {
          arr.push_back({{"name", a.name}, {"memberCount", n}});
        } else {
          *ctx.out << "compiled " << a.name << ": " << n << " members\n";
        }
      }
      if (ctx.json) print_json(*ctx.out, arr);
      return Status::ok();
    };
  });

  auto ra = std::make_shared<AudienceArgs>();
  CLI::App* remove = group.add_subcommand("remove", "remove an audience and its membership");
  remove->add_option("--tenant,-t", ra->tenant, "tenant name")->required();
  remove->add_option("name", ra->name, "the audience's name or id")->required();
  remove->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(ra->tenant));
      UPSYNC_RETURN_IF_ERROR(require_server_tenant(t));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto audiences, open_audience_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(Audience a, require_audience(*audiences, t, ra->name));
      UPSYNC_RETURN_IF_ERROR(audiences->remove(t.id, a.id).status());
      if (!ctx.json) *ctx.out << "removed audience " << a.name << "\n";
      return Status::ok();
    };
  });
}

struct HybridArgs {
  std::string tenant;
  std::string online_url;
  std::string audience;
};

void print_hybrid(CliContext& ctx, const Tenant& t, const std::optional<HybridSettings>& s) {
  if (ctx.json) {
    print_json(*ctx.out, hybrid_settings_json(t, s));
    return;
  }
  if (!s) {
    *ctx.out << "tenant " << t.name << " has no hybrid settings: every profile stays here\n";
    return;
  }
  *ctx.out << "online URL:   " << s->online_url << "\n"
           << "hybrid users: "
           << (s->audience_id ? "the members of audience " + s->audience_name : "everyone") << "\n"
           << "updated at:   " << s->updated_at << "\n";
}

}  // namespace

void add_audience_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("audience", "a server tenant's audiences (seed 000)");
  group->require_subcommand(1);
  add_audience_add(*group, ctx);
  add_audience_reads(*group, ctx);
  add_audience_writes(*group, ctx);
}

void add_hybrid_settings_commands(CLI::App& hybrid, CliContext& ctx) {
  auto sa = std::make_shared<HybridArgs>();
  CLI::App* set = hybrid.add_subcommand(
      "set", "send hybrid users' profiles to the online tenant at URL (server tenants)");
  set->add_option("--tenant,-t", sa->tenant, "tenant name")->required();
  set->add_option("--online-url", sa->online_url,
                  "the online tenant's base URL, e.g. https://contoso-my.sharepoint.com")
      ->required();
  set->add_option("--audience", sa->audience,
                  "only the members of this audience are hybrid (default: everyone)");
  set->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      std::optional<std::string_view> audience;
      if (!sa->audience.empty()) audience = sa->audience;
      UPSYNC_ASSIGN_OR_RETURN(HybridSettings s,
                              set_hybrid_settings(*store, t, sa->online_url, audience));
      print_hybrid(ctx, t, s);
      return Status::ok();
    };
  });

  auto sh = std::make_shared<HybridArgs>();
  CLI::App* show = hybrid.add_subcommand("show", "the tenant's hybrid settings");
  show->add_option("--tenant,-t", sh->tenant, "tenant name")->required();
  show->callback([&ctx, sh] {
    ctx.action = [&ctx, sh]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(sh->tenant));
      UPSYNC_RETURN_IF_ERROR(require_server_tenant(t));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto hybrid_store, open_hybrid_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(auto s, hybrid_store->get(t.id));
      print_hybrid(ctx, t, s);
      return Status::ok();
    };
  });

  auto ca = std::make_shared<HybridArgs>();
  CLI::App* clear = hybrid.add_subcommand("clear", "no hybrid users: every profile stays here");
  clear->add_option("--tenant,-t", ca->tenant, "tenant name")->required();
  clear->callback([&ctx, ca] {
    ctx.action = [&ctx, ca]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(ca->tenant));
      UPSYNC_RETURN_IF_ERROR(require_server_tenant(t));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(auto hybrid_store, open_hybrid_store(*store));
      UPSYNC_ASSIGN_OR_RETURN(bool cleared, hybrid_store->clear(t.id));
      if (ctx.json) {
        print_json(*ctx.out, {{"tenant", t.name}, {"cleared", cleared}});
      } else {
        *ctx.out << (cleared ? "cleared the hybrid settings of " : "no hybrid settings in ")
                 << t.name << "\n";
      }
      return Status::ok();
    };
  });
}

}  // namespace upsync
