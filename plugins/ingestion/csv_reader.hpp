// A streaming RFC 4180 record reader: quoted fields with delimiters, doubled quotes and line
// breaks inside, LF or CRLF line ends. Reads the file in large blocks; memory stays bounded
// by the longest record, not the file.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace jobhost::ingestion {

struct CsvRecord {
  std::vector<std::string_view> fields;  // valid until the next call to next()
  std::string_view raw;                  // the record's text without its line end
  uint64_t line = 0;                     // 1-based line where the record starts
  std::string error;                     // non-empty for a malformed record
};

class CsvReader {
 public:
  // FatalError "<path>: cannot open: <reason>" when the file cannot be read.
  CsvReader(std::string path, char delimiter);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The next record; false at end of file. Blank lines are skipped. A malformed record
  // (unterminated quote, text after a closing quote) comes back with `error` set and the
  // reader resynchronised at the next line.
  bool next(CsvRecord& rec);

  uint64_t bytes_consumed() const { return base_ + begin_; }
  uint64_t file_size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  enum class Parse { ok, need_more, end };
  Parse parse(CsvRecord& rec);
  Parse finish(CsvRecord& rec, size_t start, size_t content_end, size_t next, uint64_t extra_lines);
  // Moves the unparsed tail to the front and reads more; false at end of file.
  bool refill();
  std::string& slot(size_t i);

  std::string path_;
  char delim_;
  int fd_ = -1;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t line_ = 1;
  uint64_t base_ = 0;  // file offset of buf_[0]
  uint64_t size_ = 0;
  std::deque<std::string> unescaped_;  // deque: growing it keeps earlier strings in place
};

}  // namespace jobhost::ingestion
