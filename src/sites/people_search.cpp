#include "sites/people_search.h"

#include <algorithm>

#include "core/claims.h"
#include "core/text.h"

namespace upsync {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Characters that start a new word after them in names and titles ("Jean-Luc", "Smith,
// John", "Sales (EMEA)", "R&D").
bool is_word_break(char c) {
  return is_space(c) || c == '-' || c == ',' || c == '(' || c == ')' || c == '/' || c == '&' ||
         c == '.' || c == '"';
}

// Every word's remainder of `text`: "sales (emea) lead" → itself, "emea) lead", "lead".
void add_word_tokens(std::string_view text, std::vector<std::string>& out) {
  const std::string normal = people_search_normal(text);
  for (size_t i = 0; i < normal.size(); ++i) {
    if (is_word_break(normal[i])) continue;
    if (i == 0 || is_word_break(normal[i - 1])) out.push_back(normal.substr(i));
  }
}

void add_whole_token(std::string_view text, std::vector<std::string>& out) {
  std::string normal = people_search_normal(text);
  if (!normal.empty()) out.push_back(std::move(normal));
}

}  // namespace

int picker_kind_bit(PickerKind kind) {
  switch (kind) {
    case PickerKind::kUser:
      return kPickerUsers;
    case PickerKind::kDistributionList:
      return kPickerDistributionLists;
    case PickerKind::kSecurityGroup:
      return kPickerSecurityGroups;
  }
  return 0;
}

std::string people_search_normal(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  bool space = false;
  for (char c : trim(query)) {
    if (is_space(c)) {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

PickerEntry picker_entry_for_profile(const Profile& p) {
  PickerEntry e;
  e.kind = PickerKind::kUser;
  e.principal = std::to_string(p.id);
  e.key = p.account_name;
  const std::string upn = p.first("SPS-UserPrincipalName");
  e.display_text = p.first("PreferredName");
  if (e.display_text.empty()) {
    e.display_text = std::string(trim(p.first("FirstName") + " " + p.first("LastName")));
  }
  if (e.display_text.empty()) e.display_text = upn;
  e.email = p.first("WorkEmail");
  e.description = !upn.empty() ? upn : !e.email.empty() ? e.email : p.account_name;
  e.title = p.first("Title");
  if (e.title.empty()) e.title = p.first("SPS-JobTitle");
  e.department = p.first("Department");
  if (e.department.empty()) e.department = p.first("SPS-Department");
  e.mobile_phone = p.first("CellPhone");
  e.object_id = p.first("msOnline-ObjectId");
  if (!upn.empty()) e.accounts.push_back(upn);
  if (auto claim = parse_claim(p.account_name)) {
    e.accounts.push_back(claim->value);
    // DOMAIN\user: the user alone too.
    if (size_t slash = claim->value.rfind('\\'); slash != std::string::npos) {
      e.accounts.push_back(claim->value.substr(slash + 1));
    }
  }
  if (std::string user = p.first("UserName"); !user.empty()) e.accounts.push_back(user);
  return e;
}

PickerEntry picker_entry_for_group(std::string_view object_id, std::string_view display_name,
                                   std::string_view mail, bool security_enabled) {
  PickerEntry e;
  e.kind = security_enabled ? PickerKind::kSecurityGroup : PickerKind::kDistributionList;
  e.principal = ascii_lower(object_id);
  e.key = "c:0t.c|tenant|" + e.principal;
  e.display_text = display_name.empty() ? e.principal : std::string(display_name);
  e.email = std::string(mail);
  e.description = e.email.empty() ? e.display_text : e.email;
  e.object_id = e.principal;
  return e;
}

std::vector<std::string> people_search_tokens(const PickerEntry& e) {
  std::vector<std::string> out;
  add_word_tokens(e.display_text, out);
  add_word_tokens(e.title, out);
  add_word_tokens(e.department, out);
  add_whole_token(e.email, out);
  add_whole_token(e.key, out);
  for (const std::string& a : e.accounts) add_whole_token(a, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace upsync
