// The sync pipeline's tests on every storage backend (pipeline_test.cpp, site_sync_test.cpp,
// group_sync_test.cpp): a store with a tenant (StoreTest), its directory store, and LDIF
// entries shaped as Active Directory and OpenLDAP export them.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/store_fixture.h"
#include "sync/pipeline.h"

namespace upsync::testing {

// 16 bytes of objectGUID, base64 for LDIF.
inline std::string guid_b64(int n) {
  std::string bytes(16, '\0');
  bytes[0] = static_cast<char>(n);
  bytes[15] = static_cast<char>(0x5A);
  return base64_encode(bytes);
}

inline std::string ad_user(int n, const std::string& upn, const std::string& extra) {
  return "dn: CN=User " + std::to_string(n) +
         ",OU=Staff,DC=contoso,DC=com\n"
         "objectClass: top\nobjectClass: person\nobjectClass: user\n"
         "objectGUID:: " +
         guid_b64(n) +
         "\n"
         "userPrincipalName: " +
         upn +
         "\n"
         "userAccountControl: 512\n" +
         extra + "\n";
}

class SyncTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto d = open_directory_store(*store_);
    ASSERT_TRUE(d);
    directory_ = std::move(*d);
  }
  std::unique_ptr<DirectoryStore> directory_;  // the directory layers of store_
  // The cloud directory's user with `upn` (an empty one, and a failure, when there is none).
  DirectoryUser cloud_user(const std::string& upn) {
    auto u = directory_->user_by_upn(tenant_.id, DirectoryLayer::kCloud, upn);
    EXPECT_TRUE(u && *u) << upn;
    return (u && *u) ? **u : DirectoryUser{};
  }
  Result<SyncReport> sync(const std::string& ldif, SyncOptions o = {}) {
    auto records = parse_ldif(ldif);
    if (!records) return records.status();
    return run_sync(*store_, tenant_, &records.value(), o);
  }
  Profile by_upn(const std::string& upn) {
    auto p = store_->profile(tenant_.id, {ProfileKeyKind::kPrincipalName, upn});
    EXPECT_TRUE(p) << upn << ": " << p.status().to_string();
    return p ? *p : Profile{};
  }
  bool has_profile(const std::string& upn) {
    return store_->profile(tenant_.id, {ProfileKeyKind::kPrincipalName, upn}).has_value();
  }
  Result<SyncReport> sync_stages() { return run_sync(*store_, tenant_, nullptr, {}); }
  const StageReport& stage(const SyncReport& r, const std::string& name) {
    for (const StageReport& s : r.stages) {
      if (s.stage == name) return s;
    }
    ADD_FAILURE() << "no stage " << name;
    return r.stages.front();
  }

  const std::string kDirectory =
      ad_user(1, "megan@contoso.com",
              "givenName: Megan\nsn: Bowen\ndisplayName: Megan Bowen\ntitle: CEO\n"
              "department: Executive\ntelephoneNumber: (123) 456-7890\n"
              "physicalDeliveryOfficeName: Redmond\nmail: megan@contoso.com\n"
              "proxyAddresses: smtp:megan.old@contoso.com\n"
              "proxyAddresses: SMTP:megan.bowen@contoso.com\n"
              "proxyAddresses: SIP:megan@contoso.com\n"
              "preferredLanguage: en-US\nwWWHomePage: https://contoso.com/megan\n"
              "msExchHideFromAddressList: TRUE\n") +
      ad_user(2, "vesa@contoso.com",
              "givenName: Vesa\nsn: Juvonen\ntitle: PM\n"
              "manager: CN=User 1,OU=Staff,DC=contoso,DC=com\n") +
      ad_user(3, "bert@contoso.com",
              "givenName: Bert\nmail: bert@contoso.com\n"
              "manager: CN=User 2,OU=Staff,DC=contoso,DC=com\n") +
      // Disabled on premises: userAccountControl 514 has bit 0x2.
      "dn: CN=Gone,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nobjectGUID:: " + guid_b64(4) +
      "\nuserPrincipalName: gone@contoso.com\nuserAccountControl: 514\n\n" +
      // An OpenLDAP inetOrgPerson: entryUUID anchor, mail as the sign-in name.
      "dn: uid=erwin,ou=people,dc=contoso,dc=com\nobjectClass: inetOrgPerson\n"
      "entryUUID: 6A1F3C52-1111-4C3B-9D7E-0123456789AB\ncn: Erwin van Hunen\nsn: van Hunen\n"
      "mail: erwin@contoso.com\n\n" +
      // A group: not a user, no profile.
      "dn: CN=Admins,OU=Groups,DC=contoso,DC=com\nobjectClass: group\ncn: Admins\n"
      "objectGUID:: " +
      guid_b64(90) + "\nmember: CN=User 1,OU=Staff,DC=contoso,DC=com\n\n";
};

}  // namespace upsync::testing
