#include "http/graph_query.h"

#include <gtest/gtest.h>

#include "http/graph_group.h"
#include "http/graph_user.h"

namespace upsync {
namespace {

using Tokens = std::vector<std::string>;

TEST(GraphSearchTokens, SplitAsGraphsIndexDoes) {
  EXPECT_EQ(search_tokens("OneVideo"), Tokens({"one", "video"}));
  EXPECT_EQ(search_tokens("Contoso-Test  Group_2"), Tokens({"contoso", "test", "group", "2"}));
  EXPECT_EQ(search_tokens("Room42b"), Tokens({"room", "42", "b"}));
  EXPECT_EQ(search_tokens("HRTeam"), Tokens({"hrteam"}));  // upper to lower does not split
  EXPECT_EQ(search_tokens("Zoë Ödegaard"), Tokens({"zoë", "Ödegaard"}));
  EXPECT_EQ(search_tokens(" -- "), Tokens());
}

DirectoryUser user(const std::string& display_name, const std::string& mail) {
  DirectoryUser u;
  u.object_id = "00000000-0000-0000-0000-000000000001";
  u.attributes["displayName"] = {display_name};
  u.attributes["mail"] = {mail};
  return u;
}

bool found(std::string_view search, const DirectoryUser& u) {
  auto parsed = GraphSearch::parse(search, user_type());
  if (auto* r = std::get_if<QueryRefusal>(&parsed)) {
    ADD_FAILURE() << search << ": " << r->code << " " << r->message;
    return false;
  }
  return std::get<GraphSearch>(parsed).matches(user_type(), view_of(u));
}

TEST(GraphSearch, ClausesMatchWordPrefixesWithAndOr) {
  const DirectoryUser bob = user("Bob OneVideo", "bob@contoso.com");
  EXPECT_TRUE(found("\"displayName:video\"", bob));
  EXPECT_TRUE(found("\"displayName:BOB one\"", bob));
  EXPECT_TRUE(found("\"displayName:one bob\"", bob));  // each word, in any order
  EXPECT_FALSE(found("\"displayName:ob\"", bob));
  EXPECT_FALSE(found("\"displayName:bob zed\"", bob));
  EXPECT_TRUE(found("\"mail:bob@con\"", bob));
  EXPECT_FALSE(found("\"mail:contoso\"", bob));  // startswith of the whole value
  EXPECT_TRUE(found("\"displayName:zed\" OR \"mail:bob\"", bob));
  EXPECT_FALSE(found("\"displayName:zed\" AND \"mail:bob\"", bob));
  // AND binds tighter than OR.
  EXPECT_TRUE(found("\"displayName:zed\" AND \"mail:x\" OR \"displayName:bob\"", bob));
  EXPECT_TRUE(found("\"displayName:bob\"   and   \"mail:bob\"", bob));
  EXPECT_FALSE(found("\"jobTitle:x\"", bob));  // no value: no match
}

QueryRefusal refusal(std::string_view search, const GraphObjectType& type = user_type()) {
  auto parsed = GraphSearch::parse(search, type);
  if (auto* r = std::get_if<QueryRefusal>(&parsed)) return *r;
  ADD_FAILURE() << search << " parsed";
  return {};
}

TEST(GraphSearch, BadSearchesAreRefusedWithGraphsErrors) {
  QueryRefusal r = refusal("displayName:ade");
  EXPECT_EQ(r.code, "BadRequest");
  EXPECT_EQ(r.message,
            "Syntax error: character ':' is not valid at position 11 in 'displayName:ade'.");
  EXPECT_EQ(refusal("\"displayName:a\" XOR \"mail:b\"").code, "BadRequest");
  EXPECT_EQ(refusal("\"displayName:a\" \"mail:b\"").code, "BadRequest");
  EXPECT_EQ(refusal("\"displayName:a").code, "BadRequest");
  for (const char* bad : {"", "   ", "ade", "\"ade\"", "\"colour:red\"", "\"displayName:\"",
                          "\"displayName: -- \"", "\"accountEnabled:true\""}) {
    EXPECT_EQ(refusal(bad).code, "Request_UnsupportedQuery") << bad;
  }
  EXPECT_EQ(refusal("\"userPrincipalName:a\"", group_type()).code, "Request_UnsupportedQuery");
  EXPECT_TRUE(std::holds_alternative<GraphSearch>(
      GraphSearch::parse("\"description:sell\"", group_type())));
}

TEST(GraphOrderBy, ParsesOnePropertyAndRefusesOthersAsGraph) {
  auto order = [](std::string_view text, const GraphObjectType& type = user_type()) {
    auto parsed = parse_orderby(text, type, "User");
    EXPECT_TRUE(std::holds_alternative<GraphOrder>(parsed)) << text;
    return std::holds_alternative<GraphOrder>(parsed) ? std::get<GraphOrder>(parsed) : GraphOrder{};
  };
  EXPECT_EQ(order("displayName").property, "displayName");
  EXPECT_FALSE(order("displayName").descending);
  EXPECT_TRUE(order("USERPRINCIPALNAME desc").descending);
  EXPECT_EQ(order("USERPRINCIPALNAME desc").property, "userPrincipalName");
  EXPECT_FALSE(order("mail asc").descending);
  EXPECT_EQ(order("displayName", group_type()).property, "displayName");

  auto refused = [](std::string_view text, const GraphObjectType& type, std::string_view res) {
    auto parsed = parse_orderby(text, type, res);
    EXPECT_TRUE(std::holds_alternative<QueryRefusal>(parsed)) << text;
    return std::holds_alternative<QueryRefusal>(parsed) ? std::get<QueryRefusal>(parsed)
                                                        : QueryRefusal{};
  };
  QueryRefusal r = refused("createdDateTime desc", user_type(), "User");
  EXPECT_EQ(r.code, "Request_UnsupportedQuery");
  EXPECT_EQ(r.message, "Unsupported sort property 'createdDateTime' for 'User'.");
  EXPECT_EQ(refused("userPrincipalName", group_type(), "Group").message,
            "Unsupported sort property 'userPrincipalName' for 'Group'.");
  EXPECT_EQ(refused("displayName,mail", user_type(), "User").code, "Request_UnsupportedQuery");
  EXPECT_EQ(refused("displayName upward", user_type(), "User").code, "BadRequest");
}

TEST(GraphOrderBy, KeysIgnoreCaseAndMissingValuesAreNull) {
  DirectoryUser u = user("Adele", "ADELE@contoso.com");
  EXPECT_EQ(order_key({"mail", false}, user_type(), view_of(u)), "adele@contoso.com");
  u.attributes.erase("mail");
  EXPECT_EQ(order_key({"mail", false}, user_type(), view_of(u)), std::nullopt);
}

}  // namespace
}  // namespace upsync
