//===- SourceManager.cpp - Source files and locations ---------------------===//
//
// Line tables are built once per file; columns are counted in code points so
// that they match what an editor shows for UTF-8 text.
//
//===----------------------------------------------------------------------===//

#include "nnc/Basic/SourceManager.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace nnc;

static bool isContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

/// What a file that is not a regular file is, for an error message.
static const char *fileKind(mode_t mode) {
  if (S_ISDIR(mode))
    return "is a directory";
  if (S_ISFIFO(mode))
    return "is a FIFO (named pipe), not a regular file";
  if (S_ISCHR(mode))
    return "is a character device, not a regular file";
  if (S_ISBLK(mode))
    return "is a block device, not a regular file";
  if (S_ISSOCK(mode))
    return "is a socket, not a regular file";
  return "is not a regular file";
}

bool SourceManager::readFile(const std::string &path, std::string &text,
                             std::string &error) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever;
  // the file is refused below before anything is read from it.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = fileKind(st.st_mode);
    ::close(fd);
    return false;
  }
  auto tooLarge = [&](uint64_t bytes) {
    error = "the file is " + std::to_string(bytes) +
            " bytes; a script may be at most " + std::to_string(maxFileBytes) +
            " bytes (16 MiB)";
    ::close(fd);
    return false;
  };
  if (uint64_t(st.st_size) > maxFileBytes)
    return tooLarge(uint64_t(st.st_size));
  text.clear();
  text.reserve(size_t(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      error = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0)
      break;
    // The file may grow while it is read.
    if (text.size() + size_t(n) > maxFileBytes)
      return tooLarge(text.size() + size_t(n));
    text.append(buf, size_t(n));
  }
  ::close(fd);
  return true;
}

std::optional<FileID> SourceManager::loadFile(const std::string &path,
                                              std::string &error) {
  std::string text;
  if (!readFile(path, text, error))
    return std::nullopt;
  return addBuffer(path, std::move(text));
}

FileID SourceManager::addBuffer(std::string name, std::string text) {
  auto file = std::make_unique<File>();
  file->name = std::move(name);
  file->text = std::move(text);
  file->lineStarts.push_back(0);
  const std::string &t = file->text;
  for (size_t i = 0; i < t.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (c == '\n')
      file->lineStarts.push_back(static_cast<uint32_t>(i + 1));
    if (c >= 0x80)
      file->ascii = false;
  }
  files.push_back(std::move(file));
  return static_cast<FileID>(files.size());
}

std::string_view SourceManager::getName(FileID id) const {
  return get(id).name;
}

std::string_view SourceManager::getText(FileID id) const {
  return get(id).text;
}

uint32_t SourceManager::getLineStart(FileID id, uint32_t offset) const {
  const File &f = get(id);
  auto it = std::upper_bound(f.lineStarts.begin(), f.lineStarts.end(), offset);
  return *(it - 1);
}

LineCol SourceManager::getLineCol(FileID id, uint32_t offset) const {
  const File &f = get(id);
  offset = std::min<uint32_t>(offset, f.text.size());
  auto it = std::upper_bound(f.lineStarts.begin(), f.lineStarts.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - f.lineStarts.begin());
  uint32_t start = *(it - 1);
  uint32_t col = 1;
  if (f.ascii) {
    col += offset - start;
  } else {
    for (uint32_t i = start; i < offset; ++i)
      if (!isContinuationByte(static_cast<unsigned char>(f.text[i])))
        ++col;
  }
  return {line, col};
}

std::string_view SourceManager::getLineText(FileID id, uint32_t offset) const {
  const File &f = get(id);
  offset = std::min<uint32_t>(offset, f.text.size());
  uint32_t start = getLineStart(id, offset);
  size_t end = f.text.find('\n', start);
  if (end == std::string::npos)
    end = f.text.size();
  if (end > start && f.text[end - 1] == '\r')
    --end;
  return std::string_view(f.text).substr(start, end - start);
}

uint32_t SourceManager::codePointToByte(FileID id, size_t codePoint) const {
  const File &f = get(id);
  if (f.ascii)
    return static_cast<uint32_t>(std::min(codePoint, f.text.size()));
  if (f.cpOffsets.empty()) {
    for (size_t i = 0; i < f.text.size(); ++i)
      if (!isContinuationByte(static_cast<unsigned char>(f.text[i])))
        f.cpOffsets.push_back(static_cast<uint32_t>(i));
  }
  if (codePoint >= f.cpOffsets.size())
    return static_cast<uint32_t>(f.text.size());
  return f.cpOffsets[codePoint];
}
