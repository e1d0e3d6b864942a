//===- TestFiles.h - Temporary files for the unit tests ---------*- C++ -*-===//
//
// Shared by the runtime's unit tests: a temporary directory removed with
// everything in it, and in-memory gzip compression for IDX fixtures.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TEST_UNIT_TESTFILES_H
#define NNC_TEST_UNIT_TESTFILES_H

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace nnc::test {

/// A fresh temporary directory, removed with everything in it at the end
/// (its permissions are restored first, for tests that make it read-only).
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/nnc-unittest-XXXXXX";
    const char *d = mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    dir = d ? d : "/tmp";
  }
  ~TempDir() {
    chmod(dir.c_str(), 0700);
    removeAll(dir);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  std::string path(const std::string &name) const { return dir + "/" + name; }
  /// Writes \p bytes to a file called \p name and returns its path.
  std::string write(const std::string &name, const std::string &bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }
  /// The names in the directory (or its subdirectory \p sub), sorted.
  std::vector<std::string> list(const std::string &sub = "") const {
    std::vector<std::string> names;
    if (DIR *d = opendir((sub.empty() ? dir : path(sub)).c_str())) {
      while (dirent *e = readdir(d))
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
          names.push_back(e->d_name);
      closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir;

private:
  static void removeAll(const std::string &p) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0)
      return;
    if (S_ISDIR(st.st_mode)) {
      if (DIR *d = opendir(p.c_str())) {
        while (dirent *e = readdir(d))
          if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
            removeAll(p + "/" + e->d_name);
        closedir(d);
      }
      rmdir(p.c_str());
    } else {
      unlink(p.c_str());
    }
  }
};

/// gzip-compresses \p data in memory.
inline std::string gzipBytes(const std::string &data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef *>(&out[0]);
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

} // namespace nnc::test

#endif // NNC_TEST_UNIT_TESTFILES_H
