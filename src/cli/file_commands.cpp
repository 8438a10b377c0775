// upsync file put|get|ls|rm: the tenant's document libraries (src/sites).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/context.h"
#include "cli/output.h"
#include "sites/sites.h"

namespace upsync {
namespace {

nlohmann::json file_json(const FileInfo& f) {
  return {{"url", f.url}, {"folder", f.folder}, {"size", f.size}, {"modifiedAt", f.modified_at}};
}

struct FileArgs {
  std::string tenant;
  std::string url;
  std::string local;
};

// The tenant and the URL, refusing a URL of another tenant's host.
Result<std::pair<Tenant, FileUrl>> resolve(CliContext& ctx, const FileArgs& a) {
  UPSYNC_ASSIGN_OR_RETURN(Tenant t, ctx.tenant(a.tenant));
  UPSYNC_ASSIGN_OR_RETURN(FileUrl url, parse_file_url(a.url));
  if (!url_in_tenant(url, t)) {
    return invalid_argument("'" + a.url + "' is not in tenant '" + t.name + "' (its host is " +
                            tenant_host(t) + ")");
  }
  return std::make_pair(t, url);
}

}  // namespace

void add_file_commands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("file", "files in the tenant's document libraries");
  group->require_subcommand(1);

  auto pa = std::make_shared<FileArgs>();
  CLI::App* put = group->add_subcommand("put", "upload a local file");
  put->add_option("--tenant,-t", pa->tenant, "tenant name")->required();
  put->add_option("local", pa->local, "local file")->required();
  put->add_option("url", pa->url, "e.g. '/sites/hr/Shared Documents/import/users.json'")
      ->required();
  put->callback([&ctx, pa] {
    ctx.action = [&ctx, pa]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tu, resolve(ctx, *pa));
      DocumentLibraries libs(ctx.data_dir);
      UPSYNC_RETURN_IF_ERROR(libs.put_file(tu.first, tu.second, pa->local));
      UPSYNC_ASSIGN_OR_RETURN(FileInfo f, libs.stat(tu.first, tu.second));
      if (ctx.json) {
        print_json(*ctx.out, file_json(f));
      } else {
        *ctx.out << "stored " << f.url << " (" << f.size << " bytes)\n";
      }
      return Status::ok();
    };
  });

  auto ga = std::make_shared<FileArgs>();
  CLI::App* get = group->add_subcommand("get", "download a file");
  get->add_option("--tenant,-t", ga->tenant, "tenant name")->required();
  get->add_option("url", ga->url, "file URL")->required();
  get->add_option("local", ga->local, "local destination")->required();
  get->callback([&ctx, ga] {
    ctx.action = [&ctx, ga]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tu, resolve(ctx, *ga));
      DocumentLibraries libs(ctx.data_dir);
      return libs.get_file(tu.first, tu.second, ga->local);
    };
  });

  auto la = std::make_shared<FileArgs>();
  CLI::App* ls = group->add_subcommand("ls", "list a folder or library");
  ls->add_option("--tenant,-t", la->tenant, "tenant name")->required();
  ls->add_option("url", la->url, "folder URL")->required();
  ls->callback([&ctx, la] {
    ctx.action = [&ctx, la]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tu, resolve(ctx, *la));
      DocumentLibraries libs(ctx.data_dir);
      UPSYNC_ASSIGN_OR_RETURN(auto files, libs.list(tu.first, tu.second));
      if (ctx.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& f : files) arr.push_back(file_json(f));
        print_json(*ctx.out, arr);
        return Status::ok();
      }
      TextTable table({"URL", "TYPE", "SIZE", "MODIFIED"});
      for (const auto& f : files) {
        table.add_row({f.url, f.folder ? "folder" : "file", std::to_string(f.size), f.modified_at});
      }
      table.print(*ctx.out);
      return Status::ok();
    };
  });

  auto ra = std::make_shared<FileArgs>();
  CLI::App* rm = group->add_subcommand("rm", "delete a file or folder");
  rm->add_option("--tenant,-t", ra->tenant, "tenant name")->required();
  rm->add_option("url", ra->url, "file or folder URL")->required();
  rm->callback([&ctx, ra] {
    ctx.action = [&ctx, ra]() -> Status {
      UPSYNC_ASSIGN_OR_RETURN(auto tu, resolve(ctx, *ra));
      DocumentLibraries libs(ctx.data_dir);
      UPSYNC_RETURN_IF_ERROR(libs.remove(tu.first, tu.second));
      if (!ctx.json) *ctx.out << "removed " << tu.second.server_relative() << "\n";
      return Status::ok();
    };
  });
}

}  // namespace upsync
