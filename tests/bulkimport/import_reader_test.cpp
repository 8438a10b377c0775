// The bulk import file readers (bulkimport/import_reader.h): the exact reader's records and
// places, and the quick reader, which reads well-formed files as the exact one does and leaves
// every problem to it.
#include "bulkimport/import_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_support.h"

namespace upsync {
namespace {

TEST(ImportReader, ReportsRecordsInOrderWithTheirPlace) {
  std::vector<ImportRecord> got;
  Status st =
      read_import_buffer("{\"value\":[\n {\"a\":\"1\"},\n {\"b\":\"2\",\"c\":\"\\u00e9\"}]}",
                         [&](const ImportRecord& r) {
                           got.push_back(r);
                           return Status::ok();
                         });
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].index, 1);
  EXPECT_EQ(got[1].line, 3);
  EXPECT_EQ(got[1].fields[1].second, "\xC3\xA9");
}

// The records the exact reader and the quick reader report, as (name, value) lists; nullopt
// when the reader refuses the input.
using Records = std::vector<std::vector<std::pair<std::string, std::string>>>;
std::optional<Records> exact_records(std::string_view data, const ImportReaderOptions& o = {}) {
  Records out;
  Status st = read_import_buffer(
      data,
      [&](const ImportRecord& r) {
        out.push_back(r.fields);
        return Status::ok();
      },
      o);
  if (!st.is_ok()) return std::nullopt;
  return out;
}
std::optional<Records> quick_records(std::string_view data, const ImportReaderOptions& o = {}) {
  Records out;
  Status st = quick_read_import_buffer(
      data,
      [&](const ImportRecordView& r) {
        EXPECT_EQ(r.index, static_cast<int64_t>(out.size()));
        out.emplace_back();
        for (const auto& f : r.fields) out.back().emplace_back(f.name, f.value);
        return Status::ok();
      },
      o);
  if (!st.is_ok()) {
    EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.to_string();
    return std::nullopt;
  }
  return out;
}

TEST(QuickImportReader, ReadsWellFormedFilesAsTheExactReaderDoes) {
  std::string big = "{\"value\":[";
  for (int i = 0; i < 40000; ++i) {
    big += i ? ",\n" : "\n";
    big += "{\"IdName\":\"user" + std::to_string(i) + "@contoso.com\",\"City\":\"Esp\\u00f6o \\\"" +
           std::to_string(i) + "\\\" [x],{y}\"}";
  }
  big += "\n]}\n";
  ASSERT_GT(big.size(), 2u << 20);  // several chunks
  const std::vector<std::string> files = {
      big,
      "{\"value\":[]}",
      "\xEF\xBB\xBF{\"value\":[{\"a\":\"1\"}]}",
      " \r\n\t{ \"value\" : [ { \"a\" : \"1\" } , {\"b\":\"\"} ] } \n",
      "{\"value\":[{}]}",
      "{\"value\":[{\"a\":\"\\ud83d\\ude00\"}]}",
  };
  for (const std::string& f : files) {
    auto exact = exact_records(f);
    ASSERT_TRUE(exact) << f.substr(0, 80);
    // The default chunk, and chunks so small that the file is cut between most user objects.
    for (size_t chunk : {size_t{1} << 20, size_t{4}, size_t{100}, size_t{5000}}) {
      auto quick = quick_records(f, {.quick_chunk_bytes = chunk});
      ASSERT_TRUE(quick) << chunk << ": " << f.substr(0, 80);
      EXPECT_EQ(*quick, *exact) << chunk << ": " << f.substr(0, 80);
    }
  }
  EXPECT_EQ(quick_records(big)->size(), 40000u);
  // A value that looks like the end of a user object where the chunk is cut: left to the
  // exact reader, which accepts it.
  ImportReaderOptions o{.max_value_bytes = 4 << 20};
  const std::string tricky = "{\"value\":[{\"a\":\"" + std::string(1100000, 'x') + "},{zz\"}]}";
  ASSERT_TRUE(exact_records(tricky, o));
  EXPECT_FALSE(quick_records(tricky, o));
  EXPECT_EQ((*quick_records(big))[39999][1].second, "Esp\xC3\xB6o \"39999\" [x],{y}");
}

TEST(QuickImportReader, LeavesEveryProblemToTheExactReader) {
  std::vector<std::string> files = {
      "",
      "\xEF\xBB\xBF",
      "[]",
      "{\"value\":{}}",
      "{\"Value\":[]}",
      "{\"value\":[],\"other\":1}",
      "{\"value\":[{\"a\":\"1\"},]}",
      "{\"value\":[,{\"a\":\"1\"}]}",
      "{\"value\":[{\"a\":\"1\"}}]}",
      "{\"value\":[{\"a\":\"1\"}]",
      "{\"value\":[{\"a\":\"1\"}]}x",
      "{\"value\":[{\"a\":1}]}",
      "{\"value\":[{\"a\":null}]}",
      "{\"value\":[{\"a\":[\"1\"]}]}",
      "{\"value\":[[]]}",
      "{\"value\":[\"a\"]}",
      "{\"value\":[{\"a\":\"1\",\"a\":\"2\"}]}",
      "{\"value\":[{\"a\":\"\xC3\x28\"}]}",
      "{\"value\":[{\"a\":\"tab\there\"}]}",
      "{\"value\":[{\"a\":\"\\x\"}]}",
      "{\"value\":[{\"a\":\"\\udc00\"}]}",  // a lone low surrogate
      "{\"value\":[{\"a\":\"1\"",
      "{\"value\":[{\"a\":\"1\"}]}{}",
  };
  for (const std::string& f : files) {
    for (size_t chunk : {size_t{1} << 20, size_t{4}, size_t{10}}) {
      EXPECT_FALSE(quick_records(f, {.quick_chunk_bytes = chunk})) << chunk << ": " << f;
    }
  }
  // A trailing comma right where a chunk is cut.
  ImportReaderOptions o{.max_value_bytes = 4 << 20};
  std::string cut = "{\"value\":[{\"a\":\"" + std::string(1100000, 'x') + "\"},]}";
  EXPECT_FALSE(exact_records(cut, o));
  EXPECT_FALSE(quick_records(cut, o));
  // A value over the limit.
  std::string longer = "{\"value\":[{\"a\":\"" + std::string(5000, 'x') + "\"}]}";
  EXPECT_FALSE(quick_records(longer, {.max_value_bytes = 4096}));
  EXPECT_TRUE(quick_records(longer, {.max_value_bytes = 5000}));
  // A refusal of the sink is returned as is.
  Status st = quick_read_import_buffer("{\"value\":[{\"a\":\"1\"}]}", [](const ImportRecordView&) {
    return invalid_argument("no");
  });
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "no");
}

// A pass resumed at a record reads from the chunk start before it, cutting where the first
// read cut: from every chunk start it reports exactly the records from there on, numbered as
// the first read numbered them, values holding "},{" included; a file changed since is
// unsure (kUnavailable), never read otherwise.
TEST(QuickImportReader, ResumesFromAChunkStartCuttingWhereTheFirstReadCut) {
  std::string file = "{\"value\":[";
  for (int i = 0; i < 300; ++i) {
    file += i ? ",\n" : "\n";
    file += "{\"IdName\":\"user" + std::to_string(i) + "@contoso.com\",\"City\":\"" +
            (i % 7 == 3 ? std::string("a},{b") : "Espoo") + std::to_string(i) + "\"}";
  }
  file += "\n]}\n";
  testing::TempDir tmp;
  const std::string path = (tmp.path() / "users.json").string();
  testing::write_file(path, file);
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  const ImportReaderOptions o{.quick_chunk_bytes = 400};
  Records all;
  std::vector<QuickChunkStart> starts;
  int64_t chunk_end = 0;
  Status st = quick_read_import_fd(
      fd,
      [&](const ImportRecordView& r) {
        if (r.end_offset != chunk_end) {
          if (chunk_end > 0) starts.push_back({r.index, chunk_end});
          chunk_end = r.end_offset;
        }
        all.emplace_back();
        for (const auto& f : r.fields) all.back().emplace_back(f.name, f.value);
        return Status::ok();
      },
      o);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  ASSERT_EQ(all.size(), 300u);
  ASSERT_GT(starts.size(), 20u);
  for (size_t k = 0; k < starts.size(); ++k) {
    Records tail;
    st = quick_read_import_fd_from(
        fd, starts[k], std::span(starts).subspan(k + 1),
        [&](const ImportRecordView& r) {
          EXPECT_EQ(r.index, starts[k].index + static_cast<int64_t>(tail.size()));
          tail.emplace_back();
          for (const auto& f : r.fields) tail.back().emplace_back(f.name, f.value);
          return Status::ok();
        },
        o);
    ASSERT_TRUE(st.is_ok()) << k << ": " << st.to_string();
    EXPECT_EQ(tail, Records(all.begin() + starts[k].index, all.end())) << k;
  }
  ::close(fd);

  // The same file with a byte before a cut changed: the cut is no longer where it was.
  std::string changed = file;
  changed.insert(static_cast<size_t>(starts[5].offset) - 2, " ");
  testing::write_file(path, changed);
  const int again = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(again, 0);
  st = quick_read_import_fd_from(
      again, starts[2], std::span(starts).subspan(3),
      [](const ImportRecordView&) { return Status::ok(); }, o);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.to_string();
  ::close(again);
}

}  // namespace
}  // namespace upsync
