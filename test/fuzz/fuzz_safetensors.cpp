//===- fuzz_safetensors.cpp - Fuzz target of the safetensors reader -------===//
//
// Feeds the input, as a file, to readSafetensors. A file that it accepts
// must satisfy everything the reader promises (every tensor within the data
// section, with exactly the bytes its dtype and shape need, the tensors
// tiling the section), and must survive a round trip: written again with
// writeSafetensors and read back, it holds the same tensors, bytes and
// metadata.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "nnc/runtime/Safetensors.h"

#include <map>

using namespace nnc;

/// product(shape) * element size, which the reader checked fits in 64 bits.
static uint64_t byteCount(const rt::SafetensorsTensor &t) {
  uint64_t n = rt::safetensorsDTypeSize(t.dtype);
  for (int64_t d : t.shape)
    n *= uint64_t(d);
  return n;
}

static void checkFile(const rt::SafetensorsFile &f) {
  uint64_t expect = 0;
  for (const rt::SafetensorsTensor &t : f.tensors) {
    FUZZ_CHECK(!t.name.empty() && t.name != "__metadata__",
               "accepted the tensor name '" + t.name + "'");
    FUZZ_CHECK(rt::safetensorsDTypeSize(t.dtype) != 0,
               "accepted the dtype '" + t.dtype + "'");
    for (int64_t d : t.shape)
      FUZZ_CHECK(d >= 0, "negative dimension");
    FUZZ_CHECK(t.begin == expect, "tensors do not tile the data section");
    FUZZ_CHECK(t.end >= t.begin && t.end <= f.data.size(),
               "tensor '" + t.name + "' runs past the data section");
    FUZZ_CHECK(t.end - t.begin == byteCount(t),
               "tensor '" + t.name + "' has the wrong number of bytes");
    const rt::SafetensorsTensor *found = f.find(t.name);
    FUZZ_CHECK(found && found->begin == t.begin && found->end == t.end,
               "find() does not find tensor '" + t.name + "'");
    expect = t.end;
  }
  FUZZ_CHECK(expect == f.data.size(), "bytes after the last tensor");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::TempFile file(".safetensors"), copy(".safetensors");
  file.write(data, size);

  rt::SafetensorsFile f;
  std::string error;
  bool ok = rt::readSafetensors(file.path(), f, error);
  fuzz::report("read", ok, error,
               std::to_string(f.tensors.size()) + " tensors, " +
                   std::to_string(f.metadata.size()) + " metadata entries");
  if (!ok) {
    fuzz::checkError(error, {file.path()});
    FUZZ_CHECK(f.tensors.empty() && f.metadata.empty() && f.data.empty(),
               "a failed read left data behind: " + error);
    return 0;
  }
  checkFile(f);

  // Round trip.
  std::vector<rt::TensorRecord> records;
  for (const rt::SafetensorsTensor &t : f.tensors)
    records.push_back({t.name, t.dtype, t.shape, f.bytes(t), t.end - t.begin});
  FUZZ_CHECK(rt::writeSafetensors(copy.path(), records, f.metadata, error),
             "cannot write back a file that was read: " + error);
  rt::SafetensorsFile g;
  FUZZ_CHECK(rt::readSafetensors(copy.path(), g, error),
             "cannot read back a file that was written: " + error);
  checkFile(g);
  FUZZ_CHECK(g.metadata == f.metadata, "the metadata changed");
  FUZZ_CHECK(g.tensors.size() == f.tensors.size(), "the tensor count changed");
  for (const rt::SafetensorsTensor &t : f.tensors) {
    const rt::SafetensorsTensor *u = g.find(t.name);
    FUZZ_CHECK(u, "tensor '" + t.name + "' was lost");
    FUZZ_CHECK(u->dtype == t.dtype && u->shape == t.shape,
               "tensor '" + t.name + "' changed its type");
    const uint64_t n = t.end - t.begin;
    FUZZ_CHECK(u->end - u->begin == n &&
                   (n == 0 || std::memcmp(g.bytes(*u), f.bytes(t), n) == 0),
               "tensor '" + t.name + "' changed its data");
  }
  return 0;
}
