//===- SourceManager.h - Source files and locations -------------*- C++ -*-===//
//
// Owns the text of every file the compiler reads (the user's script, imported
// files, the standard library, REPL inputs) and turns byte offsets into
// line:column positions. Every AST node carries a SourceRange; diagnostics and
// later MLIR locations are computed from it here.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BASIC_SOURCEMANAGER_H
#define NNC_BASIC_SOURCEMANAGER_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nnc {

/// Identifies a file registered with the SourceManager. 0 means "no file".
using FileID = uint32_t;

/// A half-open byte range [begin, end) inside one file.
struct SourceRange {
  FileID file = 0;
  uint32_t begin = 0;
  uint32_t end = 0;

  bool isValid() const { return file != 0; }
  /// The range from the start of this one to the end of `other`.
  SourceRange to(const SourceRange &other) const {
    if (!isValid())
      return other;
    if (!other.isValid() || other.file != file)
      return *this;
    return {file, begin < other.begin ? begin : other.begin,
            end > other.end ? end : other.end};
  }
  bool operator==(const SourceRange &o) const {
    return file == o.file && begin == o.begin && end == o.end;
  }
  bool operator!=(const SourceRange &o) const { return !(*this == o); }
};

/// A 1-based line and column; the column counts characters (code points).
struct LineCol {
  uint32_t line = 0;
  uint32_t col = 0;
};

class SourceManager {
public:
  /// The largest script file accepted (16 MiB): a script is read whole, so
  /// the bound keeps a mistaken path (a log, a data set) from filling memory.
  static constexpr size_t maxFileBytes = size_t(16) << 20;

  /// Reads a file from disk. Returns std::nullopt and sets `error` when it
  /// cannot be read (see readFile).
  std::optional<FileID> loadFile(const std::string &path, std::string &error);
  /// Reads the script at \p path into \p text. Only a regular file of at
  /// most maxFileBytes is read: a FIFO, a device (`/dev/zero`) or a
  /// directory is refused without blocking or reading it, with \p error
  /// saying what the path is.
  static bool readFile(const std::string &path, std::string &text,
                       std::string &error);
  /// Registers text that did not come from disk (REPL input, tests).
  FileID addBuffer(std::string name, std::string text);

  std::string_view getName(FileID id) const;
  std::string_view getText(FileID id) const;
  size_t getNumFiles() const { return files.size(); }

  LineCol getLineCol(FileID id, uint32_t offset) const;
  /// The text of the line that holds `offset`, without its newline.
  std::string_view getLineText(FileID id, uint32_t offset) const;
  /// Byte offset of the start of the line holding `offset`.
  uint32_t getLineStart(FileID id, uint32_t offset) const;

  /// Converts a 0-based code point index (as ANTLR reports it) into a byte
  /// offset.
  uint32_t codePointToByte(FileID id, size_t codePoint) const;

private:
  struct File {
    std::string name;
    std::string text;
    std::vector<uint32_t> lineStarts;
    bool ascii = true;
    /// For non-ASCII files: byte offset of each code point.
    mutable std::vector<uint32_t> cpOffsets;
  };
  const File &get(FileID id) const { return *files[id - 1]; }
  std::vector<std::unique_ptr<File>> files;
};

} // namespace nnc

#endif // NNC_BASIC_SOURCEMANAGER_H
