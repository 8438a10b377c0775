// upsync app add|list|remove and upsync user password set|remove, user list: who may get a
// token from `upsync serve` (src/auth).
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "auth/browser_sign_in.h"
#include "auth/credentials.h"
#include "cli/context.h"
#include "cli/output.h"
#include "core/files.h"

namespace upsync {
namespace {

struct AuthArgs {
  std::string tenant;
  std::string name;  // app name, or UPN
  std::string role = "user";
  std::string password;  // --password; else read from stdin
  bool password_stdin = false;
  std::vector<std::string> redirect_uris;  // app add --redirect-uri
};

Result<std::pair<Tenant, std::unique_ptr<CredentialStore>>> open_creds(CliContext& ctx,
                                                                       std::string_view tenant) {
  UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(tenant));
  UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
  UPSYNC_ASSIGN_OR_RETURN(auto creds, open_credential_store(*store));
  return std::make_pair(std::move(t), std::move(creds));
}

void add_cert_commands(CLI::App& group, CliContext& ctx);

void add_app_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("app", "apps that sign in with a client id and secret");
  group->require_subcommand(1);

  auto aa = std::make_shared<AuthArgs>();
  CLI::App* add = group->add_subcommand(
      "add", "register an app; prints its client id and secret (the secret only this once)");
  add->add_option("--tenant,-t", aa->tenant, "tenant name")->required();
  add->add_option("name", aa->name, "a name for people, e.g. hr-sync")->required();
  add->add_option("--redirect-uri", aa->redirect_uris,
                  "where the sign-in page may send people back with a code (repeat it): "
                  "https://..., or http://localhost... for apps on the person's machine");
  add->callback([&ctx, aa] {
    ctx.action = [&ctx, aa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(Tenant tenant, ctx.tenant(aa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
      UPSYNC_ASSIGN_OR_RETURN(NewApp made, register_app_with_redirect_uris(*store, tenant, aa->name,
                                                                           aa->redirect_uris));
      if (ctx.json) {
        print_json(*ctx.out, {{"clientId", made.app.client_id},
                              {"clientSecret", made.secret},
                              {"name", made.app.name},
                              {"redirectUris", aa->redirect_uris},
                              {"tenant", tenant.name}});
      } else {
        *ctx.out << "client id:     " << made.app.client_id << "\n"
                 << "client secret: " << made.secret << "\n"
                 << "(the secret is not stored and cannot be shown again)\n";
      }
      return Status::ok();
    };
  });

  auto la = std::make_shared<AuthArgs>();
  CLI::App* list = group->add_subcommand("list", "list the tenant's apps");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tc, open_creds(ctx, la->tenant));
      UPSYNC_ASSIGN_OR_RETURN(auto apps, tc.second->apps(tc.first.id));
      if (ctx.json) {
        UPSYNC_ASSIGN_OR_RETURN(Store * store, ctx.store());
        UPSYNC_ASSIGN_OR_RETURN(auto sign_ins, open_sign_in_store(*store));
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& a : apps) {
          UPSYNC_ASSIGN_OR_RETURN(auto uris, sign_ins->redirect_uris(tc.first.id, a.client_id));
          arr.push_back({{"clientId", a.client_id},
                         {"name", a.name},
                         {"createdAt", a.created_at},
                         {"redirectUris", uris}});
        }
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"CLIENT ID", "NAME", "CREATED"});
      for (const auto& a : apps) table.add_row({a.client_id, a.name, a.created_at});
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  auto ra = std::make_shared<AuthArgs>();
  CLI::App* rm =
      group->add_subcommand("remove", "remove an app (its tokens stop working within 2 s)");
  rm->add_option("--tenant,-t", ra->tenant, "tenant name")->required();
  rm->add_option("client-id", ra->name, "the app's client id")->required();
  rm->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tc, open_creds(ctx, ra->tenant));
      UPSYNC_RETURN_IF_ERROR(tc.second->remove_app(tc.first.id, ra->name));
      if (!ctx.json) *ctx.out << "removed app " << ra->name << "\n";
      return Status::ok();
    };
  });
  add_cert_commands(*group, ctx);
}

struct CertArgs {
  std::string tenant;
  std::string client_id;
  std::string arg;  // the PEM file (add) or the thumbprint (remove)
};

// upsync app cert add|list|remove: certificate credentials (auth/app_certificate.h).
void add_cert_commands(CLI::App& group, CliContext& ctx) {
  CLI::App* cert = group.add_subcommand("cert", "an app's certificates (client assertions)");
  cert->require_subcommand(1);

  auto aa = std::make_shared<CertArgs>();
  CLI::App* add = cert->add_subcommand(
      "add", "register a certificate (PEM, public part only) the app signs assertions with");
  add->add_option("--tenant,-t", aa->tenant, "tenant name")->required();
  add->add_option("client-id", aa->client_id, "the app's client id")->required();
  add->add_option("pem-file", aa->arg, "the certificate, PEM")->required();
  add->callback([&ctx, aa] {
    ctx.action = [&ctx, aa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(std::string pem, read_whole_file(aa->arg));
      UPSYNC_ASSIGN_OR_RETURN(auto tc, open_creds(ctx, aa->tenant));
      UPSYNC_ASSIGN_OR_RETURN(AppCertificate c,
                              add_app_certificate(*tc.second, tc.first, aa->client_id, pem));
      if (ctx.json) {
        print_json(*ctx.out, app_certificate_json(c));
      } else {
        *ctx.out << "added certificate " << c.thumbprint_sha1 << " (" << c.subject
                 << ", valid until " << c.not_after << ")\n";
      }
      return Status::ok();
    };
  });

  auto la = std::make_shared<CertArgs>();
  CLI::App* list = cert->add_subcommand("list", "list an app's certificates");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->add_option("client-id", la->client_id, "the app's client id")->required();
  list->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tc, open_creds(ctx, la->tenant));
      UPSYNC_RETURN_IF_ERROR(tc.second->app_with_secret(tc.first.id, la->client_id).status());
      UPSYNC_ASSIGN_OR_RETURN(auto certs, tc.second->certificates(tc.first.id, la->client_id));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& c : certs) arr.push_back(app_certificate_json(c));
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"THUMBPRINT (SHA-1)", "SHA-256", "SUBJECT", "NOT BEFORE", "NOT AFTER"});
      for (const auto& c : certs) {
        table.add_row(
            {c.thumbprint_sha1, c.thumbprint_sha256, c.subject, c.not_before, c.not_after});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  auto ra = std::make_shared<CertArgs>();
  CLI::App* rm = cert->add_subcommand(
      "remove", "remove a certificate (the app's tokens stop working within 2 s)");
  rm->add_option("--tenant,-t", ra->tenant, "tenant name")->required();
  rm->add_option("client-id", ra->client_id, "the app's client id")->required();
  rm->add_option("thumbprint", ra->arg, "its SHA-1 or SHA-256 thumbprint (hex)")->required();
  rm->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tc, open_creds(ctx, ra->tenant));
      UPSYNC_RETURN_IF_ERROR(tc.second->remove_certificate(tc.first.id, ra->client_id, ra->arg));
      if (!ctx.json) *ctx.out << "removed certificate " << ra->arg << "\n";
      return Status::ok();
    };
  });
}

void add_user_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("user", "people who sign in with a password");
  group->require_subcommand(1);
  CLI::App* password = group->add_subcommand("password", "set or remove a person's password");
  password->require_subcommand(1);

  auto sa = std::make_shared<AuthArgs>();
  CLI::App* set = password->add_subcommand("set", "set a password and role for a person");
  set->add_option("--tenant,-t", sa->tenant, "tenant name")->required();
  set->add_option("upn", sa->name, "user principal name, e.g. adele@contoso.com")->required();
  set->add_option("--role", sa->role, "global-admin, sharepoint-admin or user")
      ->check(CLI::IsMember({"global-admin", "sharepoint-admin", "user"}));
  set->add_option("--password", sa->password, "the password (else --password-stdin)");
  set->add_flag("--password-stdin", sa->password_stdin, "read the password from stdin");
  set->callback([&ctx, sa] {
    ctx.action = [&ctx, sa]() -> Status {
      if (sa->password_stdin == !sa->password.empty()) {
        return invalid_argument(
            "give the password with exactly one of --password and "
            "--password-stdin");
      }
      std::string pw = sa->password;
      if (sa->password_stdin && !std::getline(std::cin, pw)) {
        return invalid_argument("--password-stdin: nothing to read on stdin");
      }
      UPSYNC_ASSIGN_OR_RETURN(auto tc, open_creds(ctx, sa->tenant));
      UPSYNC_RETURN_IF_ERROR(
          set_password(*tc.second, tc.first, sa->name, *parse_role(sa->role), pw));
      if (!ctx.json) *ctx.out << "password set for " << sa->name << " (" << sa->role << ")\n";
      return Status::ok();
    };
  });

  auto ra = std::make_shared<AuthArgs>();
  CLI::App* rm = password->add_subcommand("remove", "remove a person's password");
  rm->add_option("--tenant,-t", ra->tenant, "tenant name")->required();
  rm->add_option("upn", ra->name, "user principal name")->required();
  rm->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tc, open_creds(ctx, ra->tenant));
      UPSYNC_RETURN_IF_ERROR(tc.second->remove_password(tc.first.id, ra->name));
      if (!ctx.json) *ctx.out << "removed the password of " << ra->name << "\n";
      return Status::ok();
    };
  });

  auto la = std::make_shared<AuthArgs>();
  CLI::App* list = group->add_subcommand("list", "list the people who have a password");
  list->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  list->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tc, open_creds(ctx, la->tenant));
      UPSYNC_ASSIGN_OR_RETURN(auto people, tc.second->people(tc.first.id));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& p : people) {
          arr.push_back({{"upn", p.upn}, {"role", role_name(p.role)}, {"updatedAt", p.updated_at}});
        }
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"UPN", "ROLE", "UPDATED"});
      for (const auto& p : people) {
        table.add_row({p.upn, std::string(role_name(p.role)), p.updated_at});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });
}

}  // namespace

void add_auth_commands(CLI::App& app, CliContext& ctx) {
  add_app_commands(app, ctx);
  add_user_commands(app, ctx);
}

}  // namespace upsync
