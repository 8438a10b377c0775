// The person page, at SharePoint's addresses for it:
//   GET [/tenants/<t>]/person.aspx?accountname=<claims or UPN>
//   GET [/tenants/<t>]/my/Person.aspx?accountname=...
// (names without case, as SharePoint's; without accountname, the caller's own page). The
// answer is the static page (src/pages/templates/person.html, its assets under
// /_layouts/15/upsync/); the page fetches the profile, the schema with its policies and the
// org chart from the HTTP API with the caller's session (page_assets.h), so the policies are
// applied where the data is answered, and the route itself reads nothing of the profile.
// PeopleManager's UserUrl, PersonalUrl (without a personal site) and EditProfileLink point here.
#pragma once

#include <string>
#include <string_view>

#include "http/router.h"

namespace upsync {

// The address of `account_name`'s person page: /person.aspx, or /my/Person.aspx with `my`.
std::string person_page_url(const Call& call, std::string_view account_name, bool my);

void add_person_page_routes(Router& router);

}  // namespace upsync
