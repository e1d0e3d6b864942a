//===- DataHeaders.h - Metadata readers for nnc data files ------*- C++ -*-===//
//
// Reads the headers, and only the headers, of the three data file formats
// that .nn programs can load: IDX (LeCun's MNIST format, raw or
// gzip-compressed), CSV and NumPy .npy. The checker uses them to learn
// dataset shapes and element types at compile time; the data loader builds on
// them at run time.
//
// No function here throws. Every failure returns false and fills `error` with
// a lowercase, clang-style message that names the file and, where it applies,
// the byte offset or line involved, e.g.
//
//   'x.idx.gz': truncated header: expected 16 bytes, found 9
//   'data.csv': line 1: empty header
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_DATAHEADERS_H
#define NNC_RUNTIME_DATAHEADERS_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::rt {

//===----------------------------------------------------------------------===//
// Opening
//===----------------------------------------------------------------------===//

/// Opens the data file at \p path for reading and returns its descriptor
/// (close-on-exec, blocking). A data file must be a regular file: anything
/// else is refused with an error that names the path and what it is, e.g.
/// "cannot open '/dev/zero': a character device, not a regular file" (a
/// directory keeps the system's "Is a directory"). A FIFO does not block
/// the open: the file is opened non-blocking and checked with fstat before
/// anything is read. Returns -1, with \p error, on failure.
int openDataFile(const std::string &path, std::string &error);

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

/// The header of an IDX file: two zero bytes, a type code byte, a dimension
/// count byte (1 to 8), then that many big-endian u32 sizes.
struct IdxHeader {
  /// Element type code: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32,
  /// 0x0E f64.
  uint8_t typeCode = 0;
  /// The sizes, outermost first (e.g. 60000, 28, 28).
  std::vector<int64_t> dims;
  /// Size of the header, i.e. the offset of the first element in the
  /// (decompressed) stream: 4 + 4 * dims.size().
  size_t headerBytes = 0;
};

/// Reads the header of the IDX file at \p path into \p out. The file may be
/// raw or gzip-compressed; compression is detected by the gzip magic bytes
/// 1f 8b, not by the file name. A size of 0 after the first (samples of
/// no elements) is an error. For a raw file the size is also checked
/// against the data the header declares: bytes missing or bytes after it
/// are errors (the loader checks the same for a gzip file, whose data
/// must be inflated to be measured). On failure returns false, leaves
/// \p out unspecified and sets \p error.
bool readIdxHeader(const std::string &path, IdxHeader &out, std::string &error);

/// Name of the element type of an IDX type code ("u8", "i8", "i16", "i32",
/// "f32", "f64"), or nullptr if \p code is not a valid IDX type code.
const char *idxTypeName(uint8_t code);

/// Size in bytes of one element of an IDX type code, or 0 if \p code is not a
/// valid IDX type code.
size_t idxTypeSize(uint8_t code);

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

/// The header record of a CSV file: the column names, in order.
struct CsvHeader {
  std::vector<std::string> columns;
};

/// Reads the first record of the CSV file at \p path as column names. Quoting
/// follows RFC 4180 ("a,b" is one name, "" inside quotes is a quote, quoted
/// names may span lines); unquoted names have surrounding spaces and tabs
/// stripped; \n, \r\n and \r all end the record; a leading UTF-8 BOM is
/// skipped. Empty names are allowed (pandas writes one for the index column);
/// an empty header line and duplicate non-empty names are errors.
bool readCsvHeader(const std::string &path, CsvHeader &out, std::string &error);

/// Index of the column named \p name in \p h, or -1 if there is none.
int findCsvColumn(const CsvHeader &h, const std::string &name);

//===----------------------------------------------------------------------===//
// NumPy .npy
//===----------------------------------------------------------------------===//

/// The header of a .npy file (format versions 1.0, 2.0 and 3.0).
struct NpyHeader {
  /// The array-protocol type string exactly as written, e.g. "<f4".
  std::string descr;
  /// True if the data is stored in column-major order.
  bool fortranOrder = false;
  /// The shape; empty for a 0-d (scalar) array.
  std::vector<int64_t> shape;
  /// Offset of the first data byte in the file.
  size_t dataOffset = 0;
};

/// Reads the header of the .npy file at \p path into \p out: the magic
/// "\x93NUMPY", the version, the header length and the Python dict literal
/// {'descr': ..., 'fortran_order': ..., 'shape': (...), }. Any descr string is
/// accepted here; use npyDTypeName() to check that nnc supports it. For a
/// supported descr the file size is also checked against the data the header
/// declares. On failure returns false, leaves \p out unspecified and sets
/// \p error.
bool readNpyHeader(const std::string &path, NpyHeader &out, std::string &error);

/// Maps a .npy descr to nnc's dtype name: '<f2' "f16", '<f4' "f32", '<f8'
/// "f64", '|i1' "i8", '<i2' "i16", '<i4' "i32", '<i8' "i64", '|u1' "u8",
/// '<u2' "u16", '<u4' "u32", '<u8' "u64", '|b1' "bool". Multi-byte types must
/// be little-endian ('<', or '=' meaning native, which is little-endian on
/// every target nnc supports); one-byte types accept any byte-order mark.
/// Returns nullptr for anything else, including big-endian ('>f4'),
/// structured, string, complex and object types.
const char *npyDTypeName(const std::string &descr);

//===----------------------------------------------------------------------===//
// Messages
//===----------------------------------------------------------------------===//

/// Bytes from a data file as they appear in an error message: printable
/// ASCII and well-formed UTF-8 as they are, every other byte (control
/// characters, DEL, bytes of malformed UTF-8) as \xHH, and a backslash as
/// \\. At most \p maxBytes bytes of \p bytes are shown, followed by "..."
/// when there were more. Not quoted.
std::string escapeBytes(const std::string &bytes, size_t maxBytes = 80);

} // namespace nnc::rt

#endif // NNC_RUNTIME_DATAHEADERS_H
