// Claims-encoded account names, as SharePoint writes them (seed 001's table).
//
//   i:0#.f|membership|m.smith@o365demo2015.onmicrosoft.com
//   │ │││└ issuer type (f = forms)     └ original issuer | claim value
//   │ ││└ claim value type (. = string)
//   │ │└ claim type (# = logon name)
//   │ └ reserved (0)
//   └ identity claim (i) or other claim (c)
//
// Windows (w) and local STS (s) issuers carry the value directly after the first '|'
// (`i:0#.w|contoso\bob`, `c:0+.w|S-1-5-21-...`, `c:0(.s|true`); the others carry the name
// of the original issuer first (`i:0#.f|membership|bob@contoso.com`, `i:05.t|adfs|bob@x`).
//
//   Result<Claim> c = parse_claim("i:0#.f|membership|bob@contoso.com");
//   c->value == "bob@contoso.com"; format_claim(*c) gives the text back byte for byte.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace upsync {

enum class IdentityKind { kIdentity, kClaim };  // 'i' / 'c'

// Claim types: seed 001 names #, 5, -, +, % and !; the others are the rest of SharePoint's
// encoding of its well-known claim types.
enum class ClaimType {
  kIdentityProvider,          // '!'
  kUserIdentifier,            // '"'
  kLogonName,                 // '#'
  kDistributionList,          // '$'
  kFarm,                      // '%'
  kProcessIdentitySid,        // '&'
  kProcessIdentityLogonName,  // '\''
  kIsAuthenticated,           // '('
  kPrimarySid,                // ')'
  kPrimaryGroupSid,           // '*'
  kGroup,                     // '+': a group SID
  kRole,                      // '-'
  kEmail,                     // '5'
  kUpn,                       // 'e'
  kName,                      // '>'
  kNameIdentifier,            // '?'
  kSid,                       // '^'
  kObjectId,                  // 'o': SharePoint Online's directory object claim
  kTenant,                    // 't': SharePoint Online's tenant claim
};

enum class ClaimValueType { kString };  // '.'

enum class IssuerType {
  kWindows,        // 'w'
  kLocalSts,       // 's'
  kMembership,     // 'm'
  kRole,           // 'r'
  kTrustedSts,     // 't'
  kPersonal,       // 'p'
  kClaimProvider,  // 'c'
  kForms,          // 'f'
};

struct Claim {
  IdentityKind kind = IdentityKind::kIdentity;
  ClaimType claim_type = ClaimType::kLogonName;
  ClaimValueType value_type = ClaimValueType::kString;
  IssuerType issuer = IssuerType::kForms;
  std::string original_issuer;  // empty for the windows and local STS issuers
  std::string value;

  bool operator==(const Claim&) const = default;
};

// One row of an encoding table: the code character and the name used in messages.
template <typename E>
struct ClaimCode {
  char code;
  E value;
  std::string_view name;
};

std::span<const ClaimCode<ClaimType>> claim_type_codes();
std::span<const ClaimCode<ClaimValueType>> claim_value_type_codes();
std::span<const ClaimCode<IssuerType>> issuer_type_codes();

// Whether the issuer's claims carry an original issuer name before the value.
bool issuer_has_original_issuer(IssuerType issuer);

// Parses `text`; a malformed claim is refused with the 1-based position and what was
// expected there:
//   malformed claim 'i:0#.x|a' at position 6: unknown issuer type 'x' (expected one of ...)
Result<Claim> parse_claim(std::string_view text);
std::string format_claim(const Claim& claim);

// Whether `text` is meant as a claim (starts with "i:" or "c:"); parse_claim() decides
// whether it is a well-formed one.
bool looks_like_claim(std::string_view text);

// i:0#.f|membership|<upn>: a SharePoint Online user.
Claim membership_user(std::string_view upn);
// i:0#.w|<domain\user>: a Windows user of a SharePoint Server farm.
Claim windows_user(std::string_view domain_user);
// c:0+.w|<sid>: a Windows (Active Directory) security group.
Claim windows_group(std::string_view sid);

}  // namespace upsync
