#include "core/property_catalog.h"

#include <vector>

namespace upsync {
namespace {

enum Flag : unsigned {
  kMulti = 1,      // multi-value
  kEditable = 2,   // users may edit it
  kDirectory = 4,  // written by directory sync (seeds 002/003)
  kSites = 8,      // synced to sites (seed 002 "Yes")
  kTaxonomy = 16,  // bound to a term set
};

PropertyDefinition def(const char* name, const char* display, DataType type, unsigned flags) {
  PropertyDefinition d;
  d.name = name;
  d.display_name = display;
  d.type = type;
  d.multi_value = flags & kMulti;
  d.user_editable = flags & kEditable;
  d.directory_imported = flags & kDirectory;
  d.sync_to_sites = flags & kSites;
  d.taxonomy_bound = flags & kTaxonomy;
  return d;
}

std::vector<PropertyDefinition> build_catalog() {
  using enum DataType;
  constexpr unsigned kSynced = kDirectory | kSites;
  return {
      // Seed 001: "Default user profile properties", in the seed's order.
      def("AboutMe", "About me", kHtml, kEditable),
      def("AccountName", "Account name", kPerson, kSynced),
      def("ADGuid", "Active Directory Id", kBinary, kDirectory),
      def("Assistant", "Assistant", kPerson, kEditable),
      def("CellPhone", "Mobile phone", kString, kEditable),
      def("Department", "Department", kString, kSynced),
      def("Fax", "Fax", kString, kEditable),
      def("FirstName", "First name", kString, kSynced),
      def("HomePhone", "Home phone", kString, kEditable),
      def("LastName", "Last name", kString, kSynced),
      def("Manager", "Manager", kPerson, kSynced),
      def("Office", "Office", kString, kSynced),
      def("PersonalSpace", "Personal site", kUrl, 0),
      def("PictureURL", "Picture", kUrl, kEditable),
      def("PreferredName", "Name", kString, kSynced),
      def("PublicSiteRedirect", "Public site redirect", kUrl, kDirectory),
      def("QuickLinks", "Quick links", kString, 0),
      def("SID", "SID", kBinary, 0),
      def("SPS-Birthday", "Birthday", kDateNoYear, kEditable),
      def("SPS-ClaimID", "Claim User Identifier", kString, kDirectory),
      def("SPS-ClaimProviderID", "Claim Provider Identifier", kString, 0),
      def("SPS-ClaimProviderType", "Claim Provider Type", kString, 0),
      def("SPS-DataSource", "Data source", kString, 0),
      def("SPS-DisplayOrder", "Display Order", kInteger, 0),
      def("SPS-DistinguishedName", "Distinguished Name", kString, kDirectory),
      def("SPS-DontSuggestList", "Don't Suggest List", kPerson, kEditable),
      def("SPS-Dotted-line", "Dotted-line Manager", kPerson, 0),
      def("SPS-EmailOptin", "Email Notifications", kInteger, kEditable),
      def("SPS-HireDate", "Hire date", kDate, 0),
      def("SPS-Interests", "Interests", kString, kMulti | kEditable | kTaxonomy),
      def("SPS-JobTitle", "Job Title", kString, kSynced | kTaxonomy),
      def("SPS-LastColleagueAdded", "Last Colleague Added", kDate, 0),
      def("SPS-LastKeywordAdded", "Last Keyword Added", kDate, 0),
      def("SPS-Location", "Office Location", kString, kEditable | kTaxonomy),
      def("SPS-MemberOf", "MemberOf", kString, kMulti),
      def("SPS-MySiteUpgrade", "My Site Upgrade", kBoolean, 0),
      def("SPS-ObjectExists", "Object Exists", kString, 0),
      def("SPS-OWAUrl", "Outlook Web Access URL", kUrl, 0),
      def("SPS-PastProjects", "Past projects", kString, kMulti | kEditable | kTaxonomy),
      def("SPS-Peers", "Peers", kString, 0),
      def("SPS-PhoneticDisplayName", "Phonetic Display Name", kString, 0),
      def("SPS-PhoneticFirstName", "Phonetic First Name", kString, 0),
      def("SPS-PhoneticLastName", "Phonetic Last Name", kString, 0),
      def("SPS-ProxyAddresses", "Proxy addresses", kString, kMulti),
      def("SPS-ResourceSID", "Resource Forest SID", kBinary, 0),
      def("SPS-Responsibility", "Ask Me About", kString, kMulti | kEditable | kTaxonomy),
      def("SPS-SavedAccountName", "Saved Account Name", kString, 0),
      def("SPS-SavedSID", "Saved SID", kBinary, kDirectory),
      def("SPS-School", "Schools", kString, kMulti | kEditable | kTaxonomy),
      def("SPS-SipAddress", "SIP Address", kString, kSynced),
      def("SPS-Skills", "Skills", kString, kMulti | kEditable | kTaxonomy),
      def("SPS-SourceObjectDN", "Source Object Distinguished Name", kString, kMulti),
      def("SPS-StatusNotes", "Status Message", kString, kEditable),
      def("SPS-TimeZone", "Time Zone", kTimeZone, kEditable),
      def("Title", "Title", kString, kSynced),
      def("UserName", "User name", kString, kSynced),
      def("UserProfile_GUID", "Id", kUniqueIdentifier, 0),
      def("WebSite", "Web site", kUrl, kEditable),
      def("WorkEmail", "Work e-mail", kEmail, kSynced),
      def("WorkPhone", "Work phone", kString, kSynced),

      // Seed 002 ("Properties that are synced") and seed 003's FAQ table add these.
      def("SPS-UserPrincipalName", "User Principal Name", kString, kSynced),
      def("SPS-Department", "Department", kString, kSynced | kTaxonomy),
      def("SPS-MUILanguages", "Language Preferences", kString, kSynced),
      def("SPS-HideFromAddressLists", "SPS-HideFromAddressLists", kBoolean, kDirectory),
      def("msOnline-ObjectId", "msOnline-ObjectId", kUniqueIdentifier, kDirectory),
      def("SPS-RecipientTypeDetails", "Recipient Type Details", kBigInteger, kDirectory),
      def("SPS-UserType", "User Type", kInteger, kDirectory),
      def("IsUnifiedGroup", "Is Unified Group", kBoolean, kDirectory),
      def("IsPublic", "Is Public", kBoolean, kDirectory),
      def("GroupType", "Group Type", kString, kDirectory),
      def("SPO-IsSPO", "Is SharePoint Online Object", kBoolean, kDirectory),
  };
}

}  // namespace

std::span<const PropertyDefinition> default_property_catalog() {
  static const std::vector<PropertyDefinition> catalog = build_catalog();
  return catalog;
}

const PropertyDefinition* find_default_property(std::string_view name) {
  for (const PropertyDefinition& d : default_property_catalog()) {
    if (property_name_equal(d.name, name)) return &d;
  }
  return nullptr;
}

}  // namespace upsync
