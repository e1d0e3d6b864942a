//===- fuzz_idx.cpp - Fuzz target of the IDX readers ----------------------===//
//
// Feeds an IDX image file and an IDX label file to readIdxHeader and loadIdx.
// The input is
//
//   byte 0     flags: bit 0 gzips the image file, bit 1 the label file;
//              bits 4-7 cut that many bytes off the end of each gzip
//              stream (a damaged or missing trailer)
//   bytes 1-2  the length of the image file, a little-endian u16
//   then       the image file, then the label file (the rest)
//
// so that the fuzzer mutates the decompressed IDX data while the readers
// still go through their gzip paths; a raw input that starts with the gzip
// magic 1f 8b reaches them too.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "nnc/runtime/DataHeaders.h"
#include "nnc/runtime/Dataset.h"

using namespace nnc;

static void checkHeader(const std::string &path) {
  rt::IdxHeader h;
  std::string error;
  if (!rt::readIdxHeader(path, h, error)) {
    fuzz::checkError(error, {path});
    return;
  }
  FUZZ_CHECK(rt::idxTypeName(h.typeCode) && rt::idxTypeSize(h.typeCode),
             "accepted an unknown type code");
  FUZZ_CHECK(!h.dims.empty() && h.dims.size() <= 8,
             "accepted " + std::to_string(h.dims.size()) + " dimensions");
  FUZZ_CHECK(h.headerBytes == 4 + 4 * h.dims.size(), "wrong header size");
  for (int64_t d : h.dims)
    FUZZ_CHECK(d >= 0 && d <= int64_t(UINT32_MAX), "dimension out of range");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::TempFile images(".idx"), labels(".idx");
  if (size < 1)
    return 0;
  const unsigned flags = data[0];
  std::string imageBytes, labelBytes;
  fuzz::splitTwoFiles(data + 1, size - 1, imageBytes, labelBytes);
  auto prepare = [&](std::string &bytes, bool gzip) {
    if (!gzip)
      return;
    bytes = fuzz::gzipBytes(bytes);
    bytes.resize(bytes.size() - std::min<size_t>(bytes.size(), flags >> 4));
  };
  prepare(imageBytes, flags & 1);
  prepare(labelBytes, flags & 2);
  images.write(imageBytes);
  labels.write(labelBytes);

  checkHeader(images.path());
  checkHeader(labels.path());

  rt::Dataset d;
  std::string error;
  bool ok = rt::loadIdx(images.path(), labels.path(), d, error);
  fuzz::checkDataset(ok, d, error, {images.path(), labels.path()});
  return 0;
}
