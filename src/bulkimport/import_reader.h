// The streaming reader of bulk import data files (seed 003's format):
//
//   {"value": [ {"IdName": "vesaj@contoso.com", "City": "Helsinki"}, ... ]}
//
// RapidJSON's SAX reader over a 64 KiB chunked stream: memory stays bounded by the largest
// user object, whatever the file size. One call per user object; the first problem stops
// the read with an InvalidArgument whose message is the log line, in seed 003's form:
//
//   DataFileNotJson - JsonToken EndObject is not valid for closing JsonType Array.
//   Path 'value', line 8, position 10.
//
// Problems and their messages (the import turns each into InvalidDataFile):
//  - not JSON (truncated, bad syntax, invalid UTF-8, trailing text, empty file):
//    "DataFileNotJson - <what is wrong>. Path '<path>', line L, position P."
//  - JSON of the wrong shape (top level not an object, no 'value' array, another root
//    property, a user object that is not an object, a value that is not a string, a
//    property twice in one user object, a value longer than the limit):
//    "InvalidDataFile - <what is wrong>. Path '<path>', line L, position P."
// With ImportReaderOptions::arrays (the import's multi-value extension, importer.h), a value
// may also be a JSON array of strings; an item that is not a string, is longer than the
// limit, or one item too many is InvalidDataFile, its path naming the item
// ("value[3].Certifications[1]"). The quick reader leaves arrays to the exact one.
// A UTF-8 byte order mark at the start is skipped.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace upsync {

struct ImportRecord {
  int64_t index = 0;                                        // position in the 'value' array, from 0
  std::vector<std::pair<std::string, std::string>> fields;  // string values, in file order
  // Values that are JSON arrays of strings (ImportReaderOptions::arrays only), in file order.
  std::vector<std::pair<std::string, std::vector<std::string>>> arrays;
  int64_t line = 0;  // where the user object starts
  int64_t position = 0;
  int64_t end_offset = 0;  // bytes of the file read through the end of this user object
};

struct ImportReaderOptions {
  size_t max_value_bytes = 1 << 20;    // longest accepted string value
  size_t quick_chunk_bytes = 1 << 20;  // the quick reader parses about this much at a time
  bool arrays = false;                 // a value may be a JSON array of strings
  size_t max_array_items = 1000;       // the most items of one array
};

// The sink may take the record's fields (move them): the reader clears them for the next one.
using ImportRecordSink = std::function<Status(ImportRecord&)>;

// A user object as the quick reader sees it: views into its buffer, valid during the call.
struct ImportFieldView {
  std::string_view name;
  std::string_view value;
  const std::vector<std::string>* items = nullptr;  // set when the value is an array
};
struct ImportRecordView {
  int64_t index = 0;
  std::span<const ImportFieldView> fields;  // in file order
  int64_t end_offset = 0;  // bytes of the file read through the end of the chunk holding it
};
using ImportRecordViewSink = std::function<Status(const ImportRecordView&)>;

// The quick reader, for a pass that only checks the file: the 'value' array is cut into
// chunks of about a megabyte between user objects, and each chunk is parsed by simdjson as an
// array. Memory stays bounded by the chunk and the largest user object.
//
// It returns ok when the whole file is well-formed by the rules above and `sink` accepted
// every record, and the sink's failure as is when it refused one. Anything else (a problem of
// the file, or a construct it leaves to the exact reader, such as a lone UTF-16 surrogate
// escape or a value holding "},{" where a chunk is cut) is kUnavailable with no position: the
// caller then reads the file with read_import_file, which finds the first problem and names
// its line and position. The sink may see records of a file that turns out not to be
// well-formed.
Status quick_read_import_file(const std::string& path, const ImportRecordViewSink& sink,
                              const ImportReaderOptions& options = {});
Status quick_read_import_buffer(std::string_view data, const ImportRecordViewSink& sink,
                                const ImportReaderOptions& options = {});

// Where the quick reader began a chunk of the file: the index of its first user object, and
// the offset of the byte after the comma before it (an ImportRecordView's end_offset of the
// chunk before).
struct QuickChunkStart {
  int64_t index = 0;
  int64_t offset = 0;
};

// Reads the file at `path`. A failure of `sink` stops the read and is returned as is.
Status read_import_file(const std::string& path, const ImportRecordSink& sink,
                        const ImportReaderOptions& options = {});

// The two readers over an open file, from its start (through a duplicate of `fd`, which
// stays open; the offset it shares with the duplicate moves). For a file opened beneath a
// tenant's folder (DocumentLibraries::open_file), never reopened by its path.
Status quick_read_import_fd(int fd, const ImportRecordViewSink& sink,
                            const ImportReaderOptions& options = {});
Status read_import_fd(int fd, const ImportRecordSink& sink,
                      const ImportReaderOptions& options = {});
// The quick reader over `fd` from `from`, a chunk start of an earlier quick read of the same
// bytes with the same options, cutting the file exactly where that read did: at each of
// `later` (that read's chunk starts after `from`, in order), so that each chunk parses as it
// did. Records are numbered from from.index. A read that does not go as the earlier one
// went (the bytes changed) is kUnavailable, as a file the quick reader is unsure of.
Status quick_read_import_fd_from(int fd, QuickChunkStart from,
                                 std::span<const QuickChunkStart> later,
                                 const ImportRecordViewSink& sink,
                                 const ImportReaderOptions& options = {});
// The same over bytes in memory (tests, the fuzzer).
Status read_import_buffer(std::string_view data, const ImportRecordSink& sink,
                          const ImportReaderOptions& options = {});

}  // namespace upsync
