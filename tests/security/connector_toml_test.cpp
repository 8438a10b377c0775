// Connector documents that toml++ 3.3.0 (Debian 12) asserts on or reaches an unreachable point
// with when it is built with assertions: an unclosed table header and a non-ASCII bare key.
// The shipped library answers them with parse errors; each must be refused with its line and
// column, through the parser and through the CLI, and leave the stored connectors as they were.
// (fuzz/corpus/connector/ keeps them for the connector fuzzer too.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "cli/app.h"
#include "sync/connector.h"
#include "test_support.h"

namespace upsync {
namespace {

using testing::TempDir;

const std::string kGood = "url = \"ldap://dc1.contoso.com\"\nbase = \"DC=contoso,DC=com\"\n";

// Each with the line the error must name.
const struct {
  std::string toml;
  int line;
} kHostile[] = {
    {"[\n", 1},
    {"[", 1},
    {"caf\xC3\xA9 = 1\n", 1},
    {"[caf\xC3\xA9]\n", 1},
    {kGood + "[flows]\ncaf\xC3\xA9 = \"title\"\n", 4},
    {kGood + "[\n", 3},
    {kGood + "[flows\n", 3},
    {"\xC3\xA9", 1},
    {"caf\xC3 = 1\n", 1},  // a cut UTF-8 sequence
};

class ConnectorTomlTest : public ::testing::Test {
 protected:
  struct Out {
    int code;
    std::string out, err;
  };
  Out run(std::vector<std::string> args) {
    args.insert(args.begin(), {"upsync", "--data-dir", dir_.str()});
    std::ostringstream out, err;
    int code = run_cli(args, out, err);
    return {code, out.str(), err.str()};
  }
  std::string file(const std::string& text) {
    std::string path = dir_.str() + "/connector-" + std::to_string(files_++) + ".toml";
    testing::write_file(path, text);
    return path;
  }
  TempDir dir_;
  int files_ = 0;
};

TEST_F(ConnectorTomlTest, TomlThatAssertsInDebugTomlPlusPlusIsRefusedWithItsLine) {
  for (const auto& c : kHostile) {
    auto parsed = parse_connector("dc1", c.toml);
    ASSERT_FALSE(parsed) << c.toml;
    const std::string& m = parsed.status().message();
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << m;
    std::smatch where;
    ASSERT_TRUE(std::regex_search(
        m, where, std::regex("^connector 'dc1': TOML line ([0-9]+), column [0-9]+: .")))
        << m;
    EXPECT_EQ(std::stoi(where[1]), c.line) << m;
  }
}

// Found by the connector fuzzer: a float too large for an integer, where a whole number is
// expected, was converted to one before its type was checked (undefined behaviour that UBSan
// stops at). Each is refused by its type, naming the key and where it is.
TEST_F(ConnectorTomlTest, AFloatWhereAWholeNumberIsExpectedIsRefusedByItsType) {
  for (std::string key : {"page_size", "timeout_seconds", "full_compare_hours"}) {
    for (std::string value : {"2.2e69", "-1e300", "inf", "nan", "25.0"}) {
      auto parsed = parse_connector("dc1", kGood + key + " = " + value + "\n");
      ASSERT_FALSE(parsed) << key << " = " << value;
      EXPECT_NE(parsed.status().message().find("'" + key + "' (line 3, column " +
                                               std::to_string(key.size() + 4) +
                                               "): expected a whole number from "),
                std::string::npos)
          << parsed.status().message();
    }
  }
}

TEST_F(ConnectorTomlTest, TheCliRefusesThemAndKeepsWhatWasStored) {
  ASSERT_EQ(run({"tenant", "create", "contoso"}).code, 0);
  for (const auto& c : kHostile) {
    Out add = run({"connector", "add", "-t", "contoso", "dc1", "-f", file(c.toml)});
    EXPECT_NE(add.code, 0) << c.toml;
    EXPECT_NE(add.err.find("connector 'dc1': TOML line " + std::to_string(c.line) + ", column "),
              std::string::npos)
        << add.err;
  }
  Out list = run({"--json", "connector", "list", "-t", "contoso"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out), nlohmann::json::array());

  ASSERT_EQ(run({"connector", "add", "-t", "contoso", "dc1", "-f", file(kGood)}).code, 0);
  for (const auto& c : kHostile) {
    Out set = run({"connector", "set", "-t", "contoso", "dc1", "-f", file(c.toml)});
    EXPECT_NE(set.code, 0) << c.toml;
    EXPECT_NE(set.err.find("TOML line " + std::to_string(c.line)), std::string::npos) << set.err;
  }
  Out show = run({"connector", "show", "-t", "contoso", "dc1"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_EQ(show.out, kGood);
}

}  // namespace
}  // namespace upsync
