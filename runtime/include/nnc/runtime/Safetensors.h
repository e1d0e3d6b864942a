//===- Safetensors.h - Checkpoints in the safetensors format ----*- C++ -*-===//
//
// Reads and writes checkpoints in Hugging Face's safetensors format, so that
// the parameters a compiled .nn program saves load in PyTorch
// (safetensors.torch.load_file) and the other way round. A file is:
//
//   8 bytes   N, the header length, a little-endian u64
//   N bytes   a JSON object: for each tensor
//               "name": {"dtype": "F32", "shape": [2, 3],
//                        "data_offsets": [begin, end]}
//             and optionally "__metadata__": {"key": "value", ...};
//             padded with spaces so that N is a multiple of 8
//   the rest  the tensors' raw little-endian bytes, C order; data_offsets are
//             relative to the start of this section, and the tensors cover
//             it exactly, without gaps or overlaps
//
// The writer lays tensors out as the reference implementation does (largest
// element type first, then by name, so every tensor is aligned to its
// element size) and replaces the file atomically. nnc's own saves also
// record checksums in the metadata (XXH3-64, from libxxhash): one per
// tensor's bytes, "nnc.xxh3.<name>", and one of the rest of the header,
// "nnc.xxh3"; the reader verifies them when a file has them and reads
// files without them (written by PyTorch or the reference implementation)
// as before. The reader validates everything before it returns a tensor.
// Nothing throws; every failure returns false and fills `error` with a
// lowercase, clang-style message naming the file and what is wrong, e.g.
//
//   'ckpt.safetensors': tensor 'fc1.weight': data_offsets [0, 12] give 12
//   bytes, but F32[2, 3] needs 24
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_SAFETENSORS_H
#define NNC_RUNTIME_SAFETENSORS_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace nnc::rt {

/// Size in bytes of one element of a safetensors dtype: BOOL, U8, I8,
/// F8_E5M2 and F8_E4M3 1; I16, U16, F16 and BF16 2; I32, U32 and F32 4;
/// I64, U64 and F64 8. Returns 0 for any other string.
size_t safetensorsDTypeSize(const std::string &dtype);

/// One tensor to write. The data is not copied; it must stay valid during
/// the call.
struct TensorRecord {
  /// The tensor's name (PyTorch's state-dict key, e.g. "fc1.weight"):
  /// non-empty, valid UTF-8, unique, and not "__metadata__".
  std::string name;
  /// One of the dtypes safetensorsDTypeSize() knows.
  std::string dtype;
  /// The shape; {} for a scalar. Dimensions must be >= 0.
  std::vector<int64_t> shape;
  /// The elements, little-endian, C order.
  const void *data = nullptr;
  /// Size of \p data in bytes: must be the product of the shape times the
  /// element size.
  size_t bytes = 0;
};

/// Whether writeSafetensors() records checksums in the metadata.
enum class Checksums {
  /// None: the file is byte for byte what the reference implementation
  /// writes for the same tensors and metadata.
  None,
  /// "nnc.xxh3.<name>" for each tensor (the XXH3-64 of its bytes) and
  /// "nnc.xxh3" (of the metadata and the tensors' names, dtypes, shapes and
  /// offsets), each 16 lowercase hex digits.
  XXH3,
};

/// The most keys one JSON object of a header may hold: at most this many
/// tensors, and this many metadata entries. (The header length limit alone
/// would allow millions.)
constexpr size_t kSafetensorsMaxKeys = 1000000;

/// Writes \p tensors and \p metadata (omitted from the header when empty) to
/// \p path, atomically: the file is written to "<path>.tmp.<pid>" in the
/// same directory, flushed with fsync, renamed over \p path, and the
/// directory is fsynced. If anything fails before the rename, the temporary
/// file is removed and any old file at \p path is untouched. (If only the
/// final directory fsync fails, the new file is in place but the function
/// still reports the failure.) All records are validated before anything
/// is written. Temporary files that an earlier writer of \p path left when
/// it was killed are removed first (removeStaleTemporaries). With
/// Checksums::XXH3 the checksums are added to \p metadata, whose keys must
/// then not start with "nnc.xxh3".
bool writeSafetensors(const std::string &path,
                      const std::vector<TensorRecord> &tensors,
                      const std::map<std::string, std::string> &metadata,
                      std::string &error,
                      Checksums checksums = Checksums::None);

/// Removes the temporary files "<path>.tmp.<pid>" (the pattern of
/// writeSafetensors() and of the runtime's other atomic writers) whose
/// writer is gone: exactly that name, decimal digits after ".tmp.", a
/// regular file, and no process of that id (kill(pid, 0) fails with
/// ESRCH). The files of live processes, this one's included, and every
/// other name are left alone. Errors are ignored: this only tidies up.
void removeStaleTemporaries(const std::string &path);

/// A tensor of a file that was read.
struct SafetensorsTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  /// The tensor's bytes are data[begin, end) of its SafetensorsFile.
  uint64_t begin = 0, end = 0;
};

/// The contents of a safetensors file.
struct SafetensorsFile {
  /// The tensors, in the order of their data in the file.
  std::vector<SafetensorsTensor> tensors;
  /// The "__metadata__" entries; empty if the header has none.
  std::map<std::string, std::string> metadata;
  /// The data section: every byte after the header.
  std::vector<unsigned char> data;

  /// The tensor named \p name, or nullptr (in constant time for a file that
  /// readSafetensors() filled, which indexes the names).
  const SafetensorsTensor *find(const std::string &name) const;
  /// Index of each tensor by name; filled by readSafetensors().
  std::unordered_map<std::string, size_t> byName;
  /// The first byte of \p t's data. Tensors written by the reference
  /// implementation or by writeSafetensors() are aligned to their element
  /// size; others may not be, so copy out with memcpy.
  const unsigned char *bytes(const SafetensorsTensor &t) const {
    return data.data() + t.begin;
  }
};

/// Reads and validates the safetensors file at \p path into \p out: the
/// header length (at most 100,000,000 bytes, as in the reference
/// implementation, and within the file), the header (strict JSON, valid
/// UTF-8, an object; no duplicate keys), each tensor (a known dtype, a shape
/// of integers >= 0, data_offsets of two integers with begin <= end, and
/// exactly product(shape) * element size bytes), that the tensors cover the
/// data section exactly, without gaps or overlaps, and that the metadata
/// maps strings to strings. Keys of a tensor entry other than dtype, shape
/// and data_offsets are ignored, as the reference reader does. An object
/// of more than kSafetensorsMaxKeys keys is refused; parsing takes time
/// linear in the header's length. When the metadata holds nnc's checksums
/// (see Checksums), every tensor must have one and match it, and the
/// header must match "nnc.xxh3"; the checksum entries are then removed
/// from \p out's metadata. On failure returns false and leaves \p out
/// empty.
bool readSafetensors(const std::string &path, SafetensorsFile &out,
                     std::string &error);

} // namespace nnc::rt

#endif // NNC_RUNTIME_SAFETENSORS_H
