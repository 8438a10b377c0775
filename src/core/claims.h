// Claims-encoded account names, as SharePoint writes them (seed 001's table).
//
//   i:0#.f|membership|m.smith@o365demo2015.onmicrosoft.com
//   │ │││└ issuer type (f = forms)     └ original issuer | claim value
//   │ ││└ claim value type (. = string)
//   │ │└ claim type (# = logon name)
//   │ └ reserved, always 0
//   └ identity claim (i) or any other claim (c); both prefixes are case-sensitive
//
// Windows (w) and local STS (s) issuers carry the value directly after the first '|'
// (`i:0#.w|contoso\bob`, `c:0+.w|S-1-5-21-...-513`, `c:0(.s|true`, `c:0!.s|windows`); the
// others carry the name of the original issuer first (`i:0#.f|membership|bob@contoso.com`,
// `i:05.t|adfs|bob@contoso.com`, `c:0o.c|federateddirectoryclaimprovider|<group id>`).
//
//   Result<Claim> c = parse_claim("i:0#.f|membership|bob@contoso.com");
//   if (!c) return c.status();   // "malformed claim '...' at position 6: unknown issuer ..."
//   c->value == "bob@contoso.com"; format_claim(*c) gives the text back byte for byte.
//
// The code tables (claim_type_codes() and friends) hold only encodings confirmed by two
// sources: seed 001; Microsoft's "claim types encoding" and "claim value types encoding"
// tables (MSDN gg481769) and the SPClaimEncodingManager port in Kraken.SharePoint, which
// agree on every character; the TechNet wiki "SharePoint 2013 and SharePoint 2010 claims
// encoding", which lists the same claim types but '/'. Left out, for want of a second source
// or because a farm assigns them at run time: 'h' (provider user key) and the non-ASCII
// characters SharePoint gives custom claim types (U+01F5 'ǵ' and up, different in every
// farm). 'o' and 't' are SharePoint Online's encodings for directory groups, seen in its
// Microsoft 365 group (`c:0o.c|federateddirectoryclaimprovider|<id>`) and security group
// (`c:0t.c|tenant|<id>`) claims.
//
// Error positions are 1-based and count characters (UTF-8 code points), not bytes.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace upsync {

enum class IdentityKind {
  kIdentity,  // 'i': the claim that identifies a user
  kClaim,     // 'c': any other claim (a group, a role, "all authenticated users")
};

enum class ClaimType {
  kIdentityProvider,          // '!'
  kUserIdentifier,            // '"'
  kLogonName,                 // '#'
  kDistributionList,          // '$'
  kFarmId,                    // '%'
  kProcessIdentitySid,        // '&'
  kProcessIdentityLogonName,  // '\''
  kIsAuthenticated,           // '('
  kPrimarySid,                // ')'
  kPrimaryGroupSid,           // '*'
  kGroupSid,                  // '+'
  kRole,                      // '-'
  kAnonymous,                 // '.'
  kAuthentication,            // '/'
  kAuthorizationDecision,     // '0'
  kCountry,                   // '1'
  kDateOfBirth,               // '2'
  kDenyOnlySid,               // '3'
  kDns,                       // '4'
  kEmail,                     // '5'
  kGender,                    // '6'
  kGivenName,                 // '7'
  kHash,                      // '8'
  kHomePhone,                 // '9'
  kLocality,                  // '<'
  kMobilePhone,               // '='
  kName,                      // '>'
  kNameIdentifier,            // '?'
  kOtherPhone,                // '@'
  kPostalCode,                // '['
  kPpid,                      // '\\': private personal identifier
  kRsa,                       // ']'
  kSid,                       // '^'
  kSpn,                       // '_'
  kStateOrProvince,           // '`'
  kStreetAddress,             // 'a'
  kSurname,                   // 'b'
  kSystem,                    // 'c'
  kThumbprint,                // 'd'
  kUpn,                       // 'e'
  kUri,                       // 'f'
  kWebpage,                   // 'g'
  kDirectoryGroup,            // 'o': SharePoint Online, a Microsoft 365 group
  kTenantGroup,               // 't': SharePoint Online, a directory security group
};

enum class ClaimValueType {
  kBase64Binary,       // '!'
  kBoolean,            // '"'
  kDate,               // '#'
  kDateTime,           // '$'
  kDaytimeDuration,    // '%'
  kDouble,             // '&'
  kDsaKeyValue,        // '\''
  kHexBinary,          // '('
  kInteger,            // ')'
  kKeyInfo,            // '*'
  kRfc822Name,         // '+'
  kRsaKeyValue,        // '-'
  kString,             // '.': what account names use
  kTime,               // '/'
  kX500Name,           // '0'
  kYearMonthDuration,  // '1'
};

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
  std::string original_issuer;  // always empty for the windows and local STS issuers
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

// The encoding tables, one row per enumerator, in code order.
std::span<const ClaimCode<ClaimType>> claim_type_codes();
std::span<const ClaimCode<ClaimValueType>> claim_value_type_codes();
std::span<const ClaimCode<IssuerType>> issuer_type_codes();

// Names for messages and the CLI: "identity claim", "logon name", "string", "forms".
std::string_view identity_kind_name(IdentityKind kind);
std::string_view claim_type_name(ClaimType type);
std::string_view claim_value_type_name(ClaimValueType type);
std::string_view issuer_type_name(IssuerType issuer);

// Whether the issuer's claims carry an original issuer name before the value
// (every issuer but windows and local STS).
bool issuer_has_original_issuer(IssuerType issuer);

// Parses `text`. A malformed claim is refused (InvalidArgument) with the position and what
// was expected there:
//   malformed claim 'i:0#.x|membership|a' at position 6: unknown issuer type 'x'
//   (expected one of w, s, m, r, t, p, c, f)
// Besides the grammar it refuses: an empty original issuer or value; leading or trailing
// spaces in either; control characters and invalid UTF-8; a windows logon name (#, w) that
// is not DOMAIN\user; a SID-typed claim (+ ) * 3 ^ &) whose value is not S-1-<n>[-<n>...].
// An accepted claim formats back to `text` byte for byte.
Result<Claim> parse_claim(std::string_view text);

// The encoded form. For a claim that validate_claim() accepts, parse_claim() returns it.
std::string format_claim(const Claim& claim);

// Applies parse_claim()'s rules to a claim built in code (e.g. by the helpers below);
// positions refer to format_claim(claim). Also refuses what format_claim() could not
// represent: an original issuer on a windows or local STS claim, or one containing '|'.
Status validate_claim(const Claim& claim);

// Whether `text` is meant as a claim: it starts with "i:" or "c:" in either case, so that a
// mistyped "I:0#.f|..." reaches parse_claim() and is told what is wrong rather than being
// taken for a plain login name.
bool looks_like_claim(std::string_view text);

// Builders; they do not check their argument (validate_claim() does).
// i:0#.f|membership|<upn>: a SharePoint Online user.
Claim membership_user(std::string_view upn);
// i:0#.w|<DOMAIN\user>: a Windows user of a SharePoint Server farm.
Claim windows_user(std::string_view domain_user);
// c:0+.w|<sid>: a Windows (Active Directory) security group.
Claim windows_group(std::string_view sid);

}  // namespace upsync
