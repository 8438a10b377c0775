// The PostgreSQL ProfileBatchWriter of the bulk import (src/bulkimport/profile_writer.h): the
// SQLite writer's behaviour (sqlite_import_writer.cpp) in a few statements per batch rather
// than a few per profile, since every statement is a round trip to the server:
//  - one lookup of every key of the batch (one index scan of an array's elements, the
//    first profile by id per key),
//  - the custom rows patched in memory (patch_single_values), then written by one multi-row
//    upsert (unnest of arrays) and one delete for the rows left empty,
//  - the change-feed entries as one run (PgStore::append_change_run).
// The reads come before the tenant's turn (PgStore::take_tenant_turn), the writes in it, so
// that one import worker reads its batch while another writes its own; a batch whose profiles
// another writer changed in between (their change-feed entries tell) is read again in the
// turn, with nothing written from the first read.
// An update that sets a default property of the catalog, or a multi-value property, goes
// through the store's own update_profile, after what is pending has been written.
#include <algorithm>
#include <charconv>
#include <optional>
#include <span>
#include <unordered_map>

#include "bulkimport/profile_writer.h"
#include "core/clock.h"
#include "core/text.h"
#include "store/batch_writer_rules.h"
#include "store/postgres/pg_array.h"
#include "store/postgres/pg_store.h"
#include "store/profile_codec.h"

namespace upsync {
namespace {

class PgProfileBatchWriter : public ProfileBatchWriter {
 public:
  explicit PgProfileBatchWriter(PgStore& store) : store_(store), db_(store.db()) {}

  Result<std::vector<UpdateOutcome>> apply(TenantId tenant, ProfileKeyKind kind,
                                           const ProfileSchema& schema,
                                           const std::vector<ProfileUpdate>& updates) override {
    switch (kind) {
      case ProfileKeyKind::kEmail:
        column_ = "email_key";
        break;
      case ProfileKeyKind::kPrincipalName:
        column_ = "upn_key";
        break;
      case ProfileKeyKind::kCloudId:
        column_ = "cloud_id";
        break;
      default:
        return invalid_argument("the bulk import looks profiles up by e-mail, UPN or cloud id");
    }
    // First without the tenant's turn, so that this batch's reads overlap another writer's
    // turn (a second import worker's batch); if a profile it read was changed meanwhile, once
    // more in the turn (flush()).
    for (int attempt = 0; attempt < 2; ++attempt) {
      UPSYNC_ASSIGN_OR_RETURN(auto out, apply_once(tenant, schema, updates));
      if (out) return std::move(*out);
    }
    return internal_error("the import's batch found its profiles changed while it held its turn");
  }

 private:
  // One pass over the batch; nullopt when a profile it read before taking the tenant's turn
  // was changed by a writer that committed meanwhile: nothing was written, and the next pass
  // reads again in the turn.
  Result<std::optional<std::vector<UpdateOutcome>>> apply_once(
      TenantId tenant, const ProfileSchema& schema, const std::vector<ProfileUpdate>& updates) {
    const std::string now = utc_now_iso();
    found_.clear();
    pending_.clear();
    changes_.clear();
    read_ids_.clear();
    read_at_.reset();
    rules_.reset();
    std::vector<std::string>& keys = keys_;  // found_'s keys are views of these
    keys.clear();
    keys.reserve(updates.size());
    for (const ProfileUpdate& u : updates) keys.push_back(ascii_lower(u.key));
    UPSYNC_RETURN_IF_ERROR(look_up(tenant, keys));

    std::vector<UpdateOutcome> out;
    out.reserve(updates.size());
    std::string props;
    for (size_t i = 0; i < updates.size(); ++i) {
      const ProfileUpdate& u = updates[i];
      auto found = found_.find(keys[i]);
      if (found == found_.end()) {
        // Its row was written meanwhile.
        UPSYNC_RETURN_IF_ERROR(look_up(tenant, std::span(&keys[i], 1)));
        found = found_.find(keys[i]);
      }
      if (!found->second) {
        out.push_back(UpdateOutcome::kNotFound);
        continue;
      }
      Row& row = *found->second;
      if (!rules_.quick_path(u, schema)) {
        // A default property of the catalog (e.g. SPS-HireDate) lives in the profile's row
        // in profiles, and multi-value ones are checked as a whole: the store's own update
        // writes them, with the change-feed entry, over what this batch has written so far;
        // the profile is read again after it.
        UPSYNC_ASSIGN_OR_RETURN(const bool written, flush(tenant, now));
        if (!written) return std::optional<std::vector<UpdateOutcome>>();
        UPSYNC_ASSIGN_OR_RETURN(const UpdateOutcome o,
                                BatchWriterRules::update_through_store(store_, tenant, row.id, u));
        found_.erase(found);
        out.push_back(o);
        continue;
      }
      // Patched in place when the stored document allows it; otherwise decoded and encoded.
      std::optional<bool> changed = patch_single_values(row.props, u.values, props);
      if (!changed) {
        UPSYNC_ASSIGN_OR_RETURN(PropertyMap decoded, decode_properties(row.props));
        changed = BatchWriterRules::set_single_values(decoded, u.values);
        props = encode_properties(decoded, schema);
      }
      if (!*changed) {
        out.push_back(UpdateOutcome::kUnchanged);
        continue;
      }
      row.props.swap(props);  // props is written over by the next patch
      pending_[row.id].row = &row;
      changes_.push_back(row.id);
      out.push_back(UpdateOutcome::kChanged);
    }
    UPSYNC_ASSIGN_OR_RETURN(const bool written, flush(tenant, now));
    if (!written) return std::optional<std::vector<UpdateOutcome>>();
    found_.clear();
    return std::optional<std::vector<UpdateOutcome>>(std::move(out));
  }

  struct Row {
    ProfileId id = 0;
    std::string props;    // the custom properties as they are now ("{}" for none)
    bool stored = false;  // whether profile_custom has its row now
    bool has_props() const { return props != "{}"; }
  };
  // A custom row to write: the row's props as they are now (none deletes it).
  struct Pending {
    int64_t seq = 0;     // numbered by flush()
    Row* row = nullptr;  // in found_ (whose elements stay put)
  };

  // Reads the first profile (by id) of each of `keys` with its custom row into found_; a key
  // without a profile maps to nullopt. Outside the tenant's turn, also the tenant's last change
  // as of this read (read_at_), which flush() compares with the turn's.
  Status look_up(TenantId tenant, std::span<const std::string> keys) {
    const bool in_turn = store_.tenant_turn_taken_at(tenant).has_value();
    // The profiles of the keys by one index scan of them all (= ANY: the scan sorts the keys
    // and descends once per key, about 20% less of the server's time than a LATERAL probe per
    // key); a key shared by several profiles names the first by id, chosen below. The keys go
    // in as ARRAY(SELECT unnest($2)), whose length the planner cannot see: given the array
    // itself, it estimates a batch's 5,000 rows rightly and prefers a parallel scan of the
    // tenant's whole table, which took two more processes per batch and made two import
    // workers 10% slower. Then the custom rows of the profiles found, in one index scan of them
    // all (= ANY of their ids), which costs the server about a third of a probe per profile.
    // The tenant's counter comes in the same statement, so from the same snapshot: a writer's
    // changes and its counter commit together.
    UPSYNC_ASSIGN_OR_RETURN(
        PgResult r,
        db_.query("WITH found AS MATERIALIZED (SELECT " + column_ +
                      " AS key, id FROM profiles WHERE tenant_id = $1 AND " + column_ +
                      " = ANY (ARRAY(SELECT unnest($2::text[])))), custom AS MATERIALIZED "
                      "(SELECT id, props FROM profile_custom WHERE id = ANY (ARRAY(SELECT id FROM "
                      "found))) SELECT NULL::text, NULL::bigint, NULL::text, last_seq FROM "
                      "tenants WHERE id = $1 UNION ALL SELECT f.key, f.id, c.props, NULL::bigint "
                      "FROM found f LEFT JOIN custom c ON c.id = f.id",
                  {tenant, pg_text_array(keys)}));
    for (const std::string& k : keys) found_[k] = std::nullopt;
    for (int i = 0; i < r.rows(); ++i) {
      if (r.is_null(i, 0)) {
        if (!in_turn && !read_at_) read_at_ = r.int64(i, 3);
        continue;
      }
      const ProfileId id = r.int64(i, 1);
      if (!in_turn) read_ids_.push_back(id);
      auto slot = found_.find(r.text(i, 0));
      if (slot == found_.end()) continue;  // not a key asked for (the keys compare as bytes)
      std::optional<Row>& row = slot->second;
      if (row && row->id < id) continue;  // another profile with this key comes first
      row = Row{id, r.is_null(i, 2) ? std::string("{}") : std::string(r.text(i, 2)),
                !r.is_null(i, 2)};
    }
    if (!in_turn && !read_at_)
      return not_found("tenant #" + std::to_string(tenant) + " does not exist");
    return Status::ok();
  }

  // Takes the tenant's turn if this transaction has not, then writes the pending custom rows
  // and change-feed entries, numbered in the order of the changes. False, writing nothing,
  // when a profile read before the turn was changed by a writer that committed in between
  // (its change-feed entry numbered after read_at_): its document as read is out of date.
  Result<bool> flush(TenantId tenant, const std::string& now) {
    if (!store_.tenant_turn_taken_at(tenant)) {
      UPSYNC_RETURN_IF_ERROR(store_.take_tenant_turn(tenant));
      const int64_t turn_at = *store_.tenant_turn_taken_at(tenant);
      if (read_at_ && *read_at_ < turn_at && !read_ids_.empty()) {
        UPSYNC_ASSIGN_OR_RETURN(
            const std::vector<std::string> changed,
            store_.objects_changed_between(tenant, kProfilesFeed, *read_at_, turn_at));
        std::sort(read_ids_.begin(), read_ids_.end());
        for (const std::string& text : changed) {
          // The profiles feed names profiles by their ids; anything else is taken as a change
          // of a profile read, and the batch is read again.
          ProfileId id = 0;
          const char* end = text.data() + text.size();
          if (std::from_chars(text.data(), end, id).ptr != end) return false;
          if (std::binary_search(read_ids_.begin(), read_ids_.end(), id)) return false;
        }
      }
    }
    if (changes_.empty()) return true;
    // The numbers come from the store's counter, in a row, as the run of change-feed entries
    // written below needs them; a profile changed twice in the batch has two entries, and its
    // row the last number.
    UPSYNC_ASSIGN_OR_RETURN(const int64_t first_seq,
                            store_.next_seqs(tenant, static_cast<int64_t>(changes_.size())));
    std::vector<std::string> ids;  // the feed's object ids are text
    ids.reserve(changes_.size());
    for (size_t i = 0; i < changes_.size(); ++i) {
      pending_.at(changes_[i]).seq = first_seq + static_cast<int64_t>(i);
      ids.push_back(std::to_string(changes_[i]));
    }
    // The rows a profile has are upserted, the others inserted: a plain INSERT costs the server
    // about half an upsert's (which tries each row as an insert first). No other writer can
    // have added one since it was read: a change of the profile would have a feed entry after
    // read_at_ (checked above), or the read was in the turn.
    Rows added, changed;
    std::vector<int64_t> gone;
    for (const auto& [id, p] : pending_) {
      if (!p.row->has_props()) {
        gone.push_back(id);
        continue;
      }
      Rows& rows = p.row->stored ? changed : added;
      rows.ids.add(id);
      rows.props.add(p.row->props);
      rows.seqs.add(p.seq);
    }
    constexpr std::string_view kRows =
        "SELECT i, p, s, $4::text FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS r(i, p, "
        "s)";
    if (added.ids.size() > 0) {
      UPSYNC_RETURN_IF_ERROR(
          db_.run("INSERT INTO profile_custom (id, props, seq, updated_at) " + std::string(kRows),
                  {std::move(added.ids).take(), std::move(added.props).take(),
                   std::move(added.seqs).take(), now})
              .status());
    }
    if (changed.ids.size() > 0) {
      // An upsert rather than UPDATE ... FROM unnest(): the planner may join those by a merge
      // over the whole table, where an upsert probes its key once a row.
      UPSYNC_RETURN_IF_ERROR(
          db_.run("INSERT INTO profile_custom (id, props, seq, updated_at) " + std::string(kRows) +
                      " ON CONFLICT (id) DO UPDATE SET props = excluded.props, seq = "
                      "excluded.seq, updated_at = excluded.updated_at",
                  {std::move(changed.ids).take(), std::move(changed.props).take(),
                   std::move(changed.seqs).take(), now})
              .status());
    }
    if (!gone.empty()) {
      UPSYNC_RETURN_IF_ERROR(db_.run("DELETE FROM profile_custom WHERE id = ANY($1::bigint[])",
                                     {pg_bigint_array(gone)})
                                 .status());
    }
    UPSYNC_RETURN_IF_ERROR(
        store_.append_change_run(tenant, kProfilesFeed, first_seq, ids, ChangeOp::kUpsert, now));
    for (const auto& [id, p] : pending_) p.row->stored = p.row->has_props();
    pending_.clear();
    changes_.clear();
    return true;
  }

  // The custom rows of one statement, as its array parameters.
  struct Rows {
    PgArrayBuilder ids{PgArrayBuilder::kBigint}, props{PgArrayBuilder::kText},
        seqs{PgArrayBuilder::kBigint};
  };

  PgStore& store_;
  PgDb& db_;
  std::string column_;             // the profiles column of the key
  std::vector<std::string> keys_;  // the batch's keys in lower case
  std::unordered_map<std::string_view, std::optional<Row>> found_;  // key (in keys_) → profile
  std::map<ProfileId, Pending> pending_;                            // custom rows not yet written
  std::vector<ProfileId> changes_;                                  // changes not yet in the feed
  std::optional<int64_t> read_at_;   // the tenant's last change as of the reads before the turn
  std::vector<ProfileId> read_ids_;  // the profiles read before the turn
  BatchWriterRules rules_;
};

}  // namespace

Result<std::unique_ptr<ProfileBatchWriter>> PgStore::profile_batch_writer() {
  return std::unique_ptr<ProfileBatchWriter>(new PgProfileBatchWriter(*this));
}

}  // namespace upsync
