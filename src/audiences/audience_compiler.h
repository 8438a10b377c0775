// Compiling audiences (audiences.h) into their stored membership, in full or from the change
// feeds.
//
//   compile_audience(store, farm, audience);      // every profile, once (an audience added)
//   auto r = run_audience_stage(store, farm, {}); // what changed since the last run
//
// run_audience_stage() is the sync's stage after profiles (sync/server_import.h runs it at
// the end of a server tenant's import, in the import's transaction). It reads two feeds from
// its own cursors: the profiles feed ("audiences.profiles") and the directory store's groups
// feed ("audiences.groups"), and re-evaluates only
//   - each changed profile, against every audience (a deleted one leaves them all);
//   - below each changed profile, when an audience has a "reports under" rule: its reports,
//     transitively (a manager change moves a whole branch in or out);
//   - for a changed group, every audience with a "member of" rule naming it or a group that
//     holds it: the group's transitive members and the audience's current members.
// With options.full (or for an audience compiled for the first time) it compiles every
// audience from all profiles instead. The tenant's audiences are few; its profiles many.
#pragma once

#include <cstdint>

#include "audiences/audiences.h"
#include "core/status.h"
#include "store/store.h"
#include "sync/pipeline.h"

namespace upsync {

inline constexpr std::string_view kAudienceProfilesCursor = "audiences.profiles";
inline constexpr std::string_view kAudienceGroupsCursor = "audiences.groups";

// Evaluates `audience` over every profile of the tenant and stores the membership. Returns
// the member count.
Result<int64_t> compile_audience(Store& store, const Tenant& tenant, const Audience& audience);

// The stage: StageReport.stage is "profiles-to-audiences"; `read` counts the feed entries
// read, `added` / `deleted` memberships gained and lost, `unchanged` re-evaluations that
// changed nothing. Nothing for online tenants (an empty report). With options.dry_run the
// caller's transaction is rolled back by the caller, as for the other stages.
Result<StageReport> run_audience_stage(Store& store, const Tenant& tenant,
                                       const SyncOptions& options);

}  // namespace upsync
