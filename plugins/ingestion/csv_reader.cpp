#include "csv_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <jobhost/sdk.hpp>

namespace jobhost::ingestion {

namespace {
constexpr size_t kBlock = 1 << 20;
}

CsvReader::CsvReader(std::string path, char delimiter) : path_(std::move(path)), delim_(delimiter), buf_(kBlock) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw FatalError(path_ + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

CsvReader::~CsvReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::string& CsvReader::slot(size_t i) {
  while (unescaped_.size() <= i) unescaped_.emplace_back();
  return unescaped_[i];
}

bool CsvReader::refill() {
  if (eof_) return false;
  bool first = base_ == 0 && end_ == 0;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    base_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);  // one record longer than the buffer
  ssize_t n;
  do {
    n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw FatalError(path_ + ": read error: " + std::strerror(errno));
  if (n == 0) eof_ = true;
  end_ += static_cast<size_t>(n);
  if (first && end_ >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) begin_ = 3;  // UTF-8 BOM
  return true;
}

bool CsvReader::next(CsvRecord& rec) {
  for (;;) {
    Parse r = parse(rec);
    if (r == Parse::ok) return true;
    if (r == Parse::end) return false;
    refill();
  }
}

CsvReader::Parse CsvReader::finish(CsvRecord& rec, size_t start, size_t content_end, size_t next,
                                   uint64_t extra_lines) {
  rec.raw = std::string_view(buf_.data() + start, content_end - start);
  rec.line = line_;
  line_ += 1 + extra_lines;
  begin_ = next;
  return Parse::ok;
}

CsvReader::Parse CsvReader::parse(CsvRecord& rec) {
  rec.fields.clear();
  rec.error.clear();
  const char* b = buf_.data();
  size_t p = begin_;
  // Blank lines carry no record.
  for (;;) {
    if (p >= end_) {
      if (!eof_) return Parse::need_more;
      return Parse::end;
    }
    if (b[p] == '\n') {
      begin_ = ++p;
      ++line_;
      continue;
    }
    if (b[p] == '\r') {
      if (p + 1 >= end_ && !eof_) return Parse::need_more;
      if (p + 1 < end_ && b[p + 1] == '\n') {
        begin_ = p += 2;
        ++line_;
        continue;
      }
    }
    break;
  }
  const size_t start = p;
  uint64_t extra_lines = 0;
  size_t nslot = 0;
  for (;;) {
    if (p < end_ && b[p] == '"') {
      std::string* un = nullptr;
      size_t q = p + 1, seg = q, close;
      for (;;) {
        const void* hit = q < end_ ? std::memchr(b + q, '"', end_ - q) : nullptr;
        if (!hit) {
          if (!eof_) return Parse::need_more;
          rec.error = "unterminated quoted field (field " + std::to_string(rec.fields.size() + 1) + ")";
          extra_lines = static_cast<uint64_t>(std::count(b + start, b + end_, '\n'));
          size_t content_end = end_;
          if (content_end > start && b[content_end - 1] == '\n') {
            --content_end;
            --extra_lines;
          }
          return finish(rec, start, content_end, end_, extra_lines);
        }
        size_t c = static_cast<size_t>(static_cast<const char*>(hit) - b);
        if (c + 1 >= end_ && !eof_) return Parse::need_more;
        if (c + 1 < end_ && b[c + 1] == '"') {  // "" stands for one quote
          if (!un) {
            un = &slot(nslot++);
            un->clear();
          }
          un->append(b + seg, c + 1 - seg);
          q = seg = c + 2;
          continue;
        }
        close = c;
        break;
      }
      extra_lines += static_cast<uint64_t>(std::count(b + p, b + close, '\n'));
      if (un) {
        un->append(b + seg, close - seg);
        rec.fields.emplace_back(*un);
      } else {
        rec.fields.emplace_back(b + p + 1, close - p - 1);
      }
      p = close + 1;
      if (p >= end_) return finish(rec, start, p, p, extra_lines);  // end of file
      char ch = b[p];
      if (ch == delim_) {
        ++p;
        continue;
      }
      if (ch == '\n') return finish(rec, start, p, p + 1, extra_lines);
      if (ch == '\r') {
        if (p + 1 >= end_) return finish(rec, start, p, p + 1, extra_lines);  // eof_: checked above
        if (b[p + 1] == '\n') return finish(rec, start, p, p + 2, extra_lines);
      }
      // Text after a closing quote: report it and resynchronise at the next line end.
      rec.error = "unexpected character after a closing quote (field " + std::to_string(rec.fields.size()) + ")";
      const void* nl = std::memchr(b + p, '\n', end_ - p);
      if (!nl && !eof_) return Parse::need_more;
      size_t line_end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - b) : end_;
      size_t content_end = line_end > start && b[line_end - 1] == '\r' ? line_end - 1 : line_end;
      return finish(rec, start, content_end, nl ? line_end + 1 : end_, extra_lines);
    }
    size_t e = p;
    const char d = delim_;
    while (e < end_ && b[e] != d && b[e] != '\n') ++e;
    if (e >= end_ && !eof_) return Parse::need_more;
    if (e < end_ && b[e] == d) {
      rec.fields.emplace_back(b + p, e - p);
      p = e + 1;
      continue;
    }
    size_t fe = e > p && b[e - 1] == '\r' ? e - 1 : e;
    rec.fields.emplace_back(b + p, fe - p);
    return finish(rec, start, fe, e < end_ ? e + 1 : e, extra_lines);
  }
}

}  // namespace jobhost::ingestion
