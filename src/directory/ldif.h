// LDIF (RFC 2849): the on-premises directory as a file.
//
//   auto records = parse_ldif(text);   // every error names its line: "LDIF line 12: ..."
//
// Handles the version line, comments, folded lines (a line starting with one space continues
// the previous one), base64 values ("attr:: dGV4dA=="), and content and change records
// (changetype add, delete, modify with add/delete/replace, modrdn/moddn). URL values
// ("attr:< file://...") are refused: a sync source must not read arbitrary local files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace upsync {

enum class LdifChange { kContent, kAdd, kDelete, kModify, kModRdn };

struct LdifAttribute {
  std::string name;   // as written (attribute names compare case-insensitively)
  std::string value;  // decoded bytes
};

struct LdifModification {
  enum class Op { kAdd, kDelete, kReplace };
  Op op = Op::kReplace;
  std::string attribute;
  std::vector<std::string> values;
};

struct LdifRecord {
  int line = 0;  // where the record's dn line is
  std::string dn;
  LdifChange change = LdifChange::kContent;
  std::vector<LdifAttribute> attributes;        // content and add records
  std::vector<LdifModification> modifications;  // modify records
  std::string new_rdn;                          // modrdn
  bool delete_old_rdn = true;
  std::string new_superior;  // modrdn, optional

  // The values of `name` (case-insensitive).
  std::vector<std::string> values(std::string_view name) const;
  std::string first(std::string_view name) const;
};

Result<std::vector<LdifRecord>> parse_ldif(std::string_view text);

// Checks that `dn` is an RFC 4514 distinguished name: RDNs "type=value" separated by unescaped
// commas (multi-valued RDNs joined by '+'), types as names or OIDs. The error says what is
// wrong ("RDN 2 'Staff' has no '='").
Status check_dn(std::string_view dn);

// Standard base64 to bytes; nullopt-like failure as a Status naming the bad character.
Result<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace upsync
