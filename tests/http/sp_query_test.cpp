// SharePoint's query options (src/http/sp_query.h): $select, $filter, $orderby, $top, $skip
// and $skiptoken on neutral items, and the errors that name what and where.
#include "http/sp_query.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace upsync {
namespace {

using json = nlohmann::json;

const SpSchema& schema() {
  static const SpSchema kSchema{"SP.Data.UserInfoItem",
                                {{"ID", SpType::kInt},
                                 {"Title", SpType::kString},
                                 {"EMail", SpType::kString},
                                 {"IsSiteAdmin", SpType::kBool},
                                 {"Created", SpType::kDateTime},
                                 {"UserId", SpType::kObject}},
                                "ID"};
  return kSchema;
}

std::vector<json> items() {
  return {
      {{"ID", 3},
       {"Title", "Megan Bowen"},
       {"EMail", "megan@contoso.com"},
       {"IsSiteAdmin", true},
       {"Created", "2026-01-03T10:00:00Z"}},
      {{"ID", 1},
       {"Title", "Adele Vance"},
       {"EMail", "adele@contoso.com"},
       {"IsSiteAdmin", false},
       {"Created", "2026-01-01T10:00:00Z"}},
      {{"ID", 2},
       {"Title", "Alex O'Neil"},
       {"EMail", nullptr},
       {"IsSiteAdmin", false},
       {"Created", "2026-01-02T12:30:00+02:00"}},
  };
}

// The IDs `filter` keeps, in input order.
std::vector<int> ids(std::string_view filter) {
  auto f = SpFilter::parse(filter, schema());
  EXPECT_TRUE(f.has_value()) << filter << ": " << f.status().message();
  std::vector<int> out;
  if (!f.has_value()) return out;
  for (const auto& i : items()) {
    if (f->matches(i)) out.push_back(i["ID"]);
  }
  return out;
}

std::string filter_error(std::string_view filter) {
  auto f = SpFilter::parse(filter, schema());
  EXPECT_FALSE(f.has_value()) << filter;
  return f.has_value() ? "" : f.status().message();
}

TEST(SpQueryTest, FilterComparesEachTypeAsItsField) {
  EXPECT_EQ(ids("EMail eq 'adele@contoso.com'"), std::vector<int>({1}));
  EXPECT_EQ(ids("EMail eq 'ADELE@contoso.com'"), std::vector<int>({1})) << "text without case";
  EXPECT_EQ(ids("EMail eq 'nobody@x.com'"), std::vector<int>({}));
  EXPECT_EQ(ids("EMail ne 'adele@contoso.com'"), std::vector<int>({3, 2}));
  EXPECT_EQ(ids("EMail eq null"), std::vector<int>({2}));
  EXPECT_EQ(ids("EMail ne null"), std::vector<int>({3, 1}));
  EXPECT_EQ(ids("ID gt 1"), std::vector<int>({3, 2}));
  EXPECT_EQ(ids("ID ge 2 and ID le 2"), std::vector<int>({2}));
  EXPECT_EQ(ids("ID lt 2 or ID eq 3"), std::vector<int>({3, 1}));
  EXPECT_EQ(ids("IsSiteAdmin eq true"), std::vector<int>({3}));
  EXPECT_EQ(ids("IsSiteAdmin eq 0"), std::vector<int>({1, 2}));
  EXPECT_EQ(ids("Title lt 'Alex'"), std::vector<int>({1}));
  // 2026-01-02T12:30+02:00 is 10:30 UTC, after the 1st and before the 3rd.
  EXPECT_EQ(ids("Created gt datetime'2026-01-02T10:00:00Z'"), std::vector<int>({3, 2}));
  EXPECT_EQ(ids("Created lt datetime'2026-01-02T10:31:00Z'"), std::vector<int>({1, 2}));
  EXPECT_EQ(ids("Created ge datetime'2026-01-03'"), std::vector<int>({3}));
}

TEST(SpQueryTest, FilterHasFunctionsNotAndParentheses) {
  EXPECT_EQ(ids("startswith(Title,'a')"), std::vector<int>({1, 2}));
  EXPECT_EQ(ids("substringof('vance',Title)"), std::vector<int>({1}));
  EXPECT_EQ(ids("substringof('O''Neil',Title)"), std::vector<int>({2})) << "'' is a quote";
  EXPECT_EQ(ids("startswith(Title,'a') eq false"), std::vector<int>({3}));
  EXPECT_EQ(ids("not startswith(Title,'a')"), std::vector<int>({3}));
  EXPECT_EQ(ids("not (ID eq 1 or ID eq 2)"), std::vector<int>({3}));
  EXPECT_EQ(ids("(ID eq 1 or ID eq 3) and IsSiteAdmin eq false"), std::vector<int>({1}));
  EXPECT_EQ(ids("ID eq 1 or ID eq 3 and IsSiteAdmin eq false"), std::vector<int>({1}))
      << "and binds tighter than or";
  EXPECT_EQ(ids("startswith(EMail,'a')"), std::vector<int>({1})) << "null starts with nothing";
}

TEST(SpQueryTest, FilterErrorsNameWhatAndWhere) {
  EXPECT_NE(filter_error("Mail eq 'x'")
                .find("The property 'Mail' does not exist on type "
                      "'SP.Data.UserInfoItem'"),
            std::string::npos);
  EXPECT_NE(filter_error("ID eq 'x'").find("position 6"), std::string::npos);
  EXPECT_NE(filter_error("ID eq 'x'").find("Edm.Int32"), std::string::npos);
  EXPECT_NE(filter_error("Title eq 5").find("Edm.String"), std::string::npos);
  EXPECT_NE(filter_error("IsSiteAdmin eq 'yes'").find("true or false"), std::string::npos);
  EXPECT_NE(filter_error("Created gt '2026-01-01'").find("datetime'"), std::string::npos);
  EXPECT_NE(filter_error("Created gt datetime'yesterday'").find("ISO 8601"), std::string::npos);
  EXPECT_NE(filter_error("Title eq 'open").find("not closed"), std::string::npos);
  EXPECT_NE(filter_error("(ID eq 1").find("expected ')' at the end"), std::string::npos);
  EXPECT_NE(filter_error("ID eq 1)").find("position 7"), std::string::npos);
  EXPECT_NE(filter_error("ID has 1").find("expected an operator"), std::string::npos);
  EXPECT_NE(filter_error("ID lt null").find("eq and ne only"), std::string::npos);
  EXPECT_NE(filter_error("startswith(ID,'1')").find("text property"), std::string::npos);
  EXPECT_NE(filter_error("Author/Title eq 'x'").find("another entity"), std::string::npos);
  EXPECT_NE(filter_error("UserId eq 'x'").find("complex type"), std::string::npos);
  EXPECT_NE(filter_error("ID eq 1 # 2").find("unexpected character '#'"), std::string::npos);
  EXPECT_FALSE(filter_error("").empty());
  std::string deep(200, '(');
  EXPECT_NE(filter_error(deep + "ID eq 1").find("nested too deeply"), std::string::npos);
}

TEST(SpQueryTest, SelectKeepsTheNamedPropertiesAndRefusesUnknownOnes) {
  auto sel = sp_parse_select("title, id,Title", schema());
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(*sel, std::vector<std::string>({"Title", "ID"})) << "spelled as the type spells them";
  json p = sp_project(items()[0], *sel);
  EXPECT_EQ(p, json({{"Title", "Megan Bowen"}, {"ID", 3}}));
  EXPECT_TRUE(sp_parse_select("*", schema())->empty());
  auto bad = sp_parse_select("Title,Mail", schema());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.status().message(),
            "The property 'Mail' does not exist on type 'SP.Data.UserInfoItem'. Make sure to only "
            "use property names that are defined by the type.");
  EXPECT_FALSE(sp_parse_select("Title,", schema()).has_value());
  EXPECT_FALSE(sp_parse_select("Author/Title", schema()).has_value());
}

SpQuery query(HttpParams params) {
  auto q = sp_parse_query(params, schema());
  EXPECT_TRUE(q.has_value()) << q.status().message();
  return q.has_value() ? std::move(*q) : SpQuery{};
}

std::vector<int> page_ids(const SpPage& p) {
  std::vector<int> out;
  for (const auto& i : p.items) out.push_back(i.value("ID", -1));
  return out;
}

TEST(SpQueryTest, OrderbyTopAndSkiptokenPageAsListItemsPage) {
  SpPage p = sp_apply(query({{"$orderby", "IsSiteAdmin desc, Title"}}), schema(), items());
  EXPECT_EQ(page_ids(p), std::vector<int>({3, 1, 2}));
  EXPECT_TRUE(p.next_skiptoken.empty());
  p = sp_apply(query({{"$orderby", "Created desc"}}), schema(), items());
  EXPECT_EQ(page_ids(p), std::vector<int>({3, 2, 1}));

  // List items: ID order, $top cuts, the token carries the last ID.
  p = sp_apply(query({{"$top", "2"}}), schema(), items());
  EXPECT_EQ(page_ids(p), std::vector<int>({1, 2}));
  EXPECT_EQ(p.next_skiptoken, "Paged=TRUE&p_ID=2");
  p = sp_apply(query({{"$top", "2"}, {"$skiptoken", "Paged=TRUE&p_ID=2"}}), schema(), items());
  EXPECT_EQ(page_ids(p), std::vector<int>({3}));
  EXPECT_TRUE(p.next_skiptoken.empty()) << "the last page has no next";
  p = sp_apply(query({{"$top", "1"}, {"$filter", "IsSiteAdmin eq false"}, {"$select", "Title"}}),
               schema(), items());
  ASSERT_EQ(p.items.size(), 1u);
  EXPECT_EQ(p.items[0], json({{"Title", "Adele Vance"}}));
  EXPECT_EQ(p.next_skiptoken, "Paged=TRUE&p_ID=1");
  p = sp_apply(query({{"$top", "0"}}), schema(), items());
  EXPECT_TRUE(p.items.empty());
}

TEST(SpQueryTest, SkipPagesOtherCollectionsAndEachOptionIsChecked) {
  SpSchema users = schema();
  users.paging_field.clear();
  auto q = sp_parse_query({{"$skip", "1"}, {"$top", "1"}}, users);
  ASSERT_TRUE(q.has_value());
  SpPage p = sp_apply(*q, users, items());
  EXPECT_EQ(page_ids(p), std::vector<int>({1})) << "in the collection's order";
  EXPECT_TRUE(p.next_skiptoken.empty());

  auto error = [](HttpParams params, const SpSchema& s) {
    auto r = sp_parse_query(params, s);
    return r.has_value() ? std::string() : r.status().message();
  };
  EXPECT_NE(error({{"$skiptoken", "Paged=TRUE&p_ID=1"}}, users).find("$skiptoken pages list items"),
            std::string::npos);
  EXPECT_NE(error({{"$skip", "1"}}, schema()).find("not supported on list items"),
            std::string::npos);
  EXPECT_NE(error({{"$top", "-1"}}, schema()).find("$top '-1'"), std::string::npos);
  EXPECT_NE(error({{"$top", "5001"}}, schema()).find("0 to 5000"), std::string::npos);
  EXPECT_NE(error({{"$top", "ten"}}, schema()).find("$top 'ten'"), std::string::npos);
  EXPECT_NE(error({{"$skip", "x"}}, users).find("$skip 'x'"), std::string::npos);
  EXPECT_NE(error({{"$skiptoken", "p_ID=2"}}, schema()).find("Paged=TRUE"), std::string::npos);
  EXPECT_NE(error({{"$skiptoken", "Paged=TRUE&p_ID=x"}}, schema()).find("p_ID 'x'"),
            std::string::npos);
  EXPECT_NE(error({{"$skiptoken", "Paged=TRUE&p_ID=2&p_Title=A"}}, schema()).find("p_Title=A"),
            std::string::npos);
  EXPECT_NE(error({{"$skiptoken", "Paged=TRUE&p_ID=2"}, {"$orderby", "Title"}}, schema())
                .find("in ID order only"),
            std::string::npos);
  EXPECT_NE(error({{"$orderby", "Title sideways"}}, schema()).find("asc or desc"),
            std::string::npos);
  EXPECT_NE(error({{"$orderby", "UserId"}}, schema()).find("complex type"), std::string::npos);
  EXPECT_NE(error({{"$orderby", "Nope"}}, schema()).find("'Nope' does not exist"),
            std::string::npos);
}

}  // namespace
}  // namespace upsync
