//===- fuzz_npy.cpp - Fuzz target of the .npy readers ---------------------===//
//
// Feeds two .npy files, the inputs and the targets of a dataset, to
// readNpyHeader and loadNpy. The input is the length of the inputs file (a
// little-endian u16), the inputs file, then the targets file (the rest).
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "nnc/runtime/DataHeaders.h"
#include "nnc/runtime/Dataset.h"

using namespace nnc;

static void checkHeader(const std::string &path, size_t fileSize) {
  rt::NpyHeader h;
  std::string error;
  if (!rt::readNpyHeader(path, h, error)) {
    fuzz::checkError(error, {path});
    return;
  }
  FUZZ_CHECK(!h.descr.empty(), "accepted an empty descr");
  FUZZ_CHECK(h.dataOffset > 10 && h.dataOffset <= fileSize,
             "data offset " + std::to_string(h.dataOffset) +
                 " outside a file of " + std::to_string(fileSize) + " bytes");
  for (int64_t d : h.shape)
    FUZZ_CHECK(d >= 0, "negative dimension " + std::to_string(d));
  if (const char *name = rt::npyDTypeName(h.descr))
    FUZZ_CHECK(*name, "empty dtype name");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::TempFile inputs(".npy"), targets(".npy");
  std::string inputBytes, targetBytes;
  fuzz::splitTwoFiles(data, size, inputBytes, targetBytes);
  inputs.write(inputBytes);
  targets.write(targetBytes);

  checkHeader(inputs.path(), inputBytes.size());

  rt::Dataset d;
  std::string error;
  bool ok = rt::loadNpy(inputs.path(), targets.path(), d, error);
  fuzz::checkDataset(ok, d, error, {inputs.path(), targets.path()});
  return 0;
}
