//===- fuzz_csv.cpp - Fuzz target of the CSV readers ----------------------===//
//
// Feeds a CSV file to readCsvHeader and loadCsv. The input's first byte
// chooses loadCsv's arguments, the rest is the file:
//
//   bit 0      intTarget (class labels) rather than float targets
//   bits 1-3   the target column's index t (0 to 7)
//   bit 4      name the target column (header column t, or "label" if the
//              header has fewer columns) instead of giving its index
//   bits 5-6   the feature columns: 0 every other column; 1 {t + 1};
//              2 {the name of header column 0, index 2}; 3 {index -2}
//   bit 7      list the first feature column twice
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "nnc/runtime/DataHeaders.h"
#include "nnc/runtime/Dataset.h"

#include <cmath>

using namespace nnc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::TempFile file(".csv");
  if (size < 1)
    return 0;
  const unsigned opts = data[0];
  file.write(data + 1, size - 1);
  const std::string &path = file.path();

  rt::CsvHeader header;
  std::string error;
  bool haveHeader = rt::readCsvHeader(path, header, error);
  if (haveHeader) {
    FUZZ_CHECK(!header.columns.empty(), "a header without columns");
    for (size_t k = 0; k < header.columns.size(); ++k)
      if (!header.columns[k].empty())
        FUZZ_CHECK(rt::findCsvColumn(header, header.columns[k]) == int(k),
                   "findCsvColumn does not find column " + std::to_string(k));
  } else {
    fuzz::checkError(error, {path});
  }

  const bool intTarget = opts & 1;
  const int t = int((opts >> 1) & 7);
  rt::CsvColumn target(t);
  if (opts & 16)
    target = rt::CsvColumn(haveHeader && size_t(t) < header.columns.size()
                               ? header.columns[size_t(t)]
                               : std::string("label"));
  std::vector<rt::CsvColumn> features;
  switch ((opts >> 5) & 3) {
  case 0:
    break;
  case 1:
    features.push_back(rt::CsvColumn(t + 1));
    break;
  case 2:
    features.push_back(
        rt::CsvColumn(haveHeader ? header.columns[0] : std::string("x")));
    features.push_back(rt::CsvColumn(2));
    break;
  case 3:
    features.push_back(rt::CsvColumn(-2));
    break;
  }
  if ((opts & 128) && !features.empty())
    features.push_back(features.front());

  rt::Dataset d;
  error.clear();
  bool ok = rt::loadCsv(path, target, features, intTarget, d, error);
  fuzz::checkDataset(ok, d, error, {path});
  if (ok) {
    FUZZ_CHECK(haveHeader, "loadCsv accepted a file whose header is invalid");
    FUZZ_CHECK(d.n > 0, "loadCsv accepted a file without data rows");
    FUZZ_CHECK(d.featureShape.size() == 1 && d.targetShape.empty(),
               "unexpected CSV dataset shapes");
    FUZZ_CHECK(d.intTargets == intTarget, "wrong target kind");
    for (int64_t label : d.labels)
      FUZZ_CHECK(label >= 0, "negative class label");
    for (float x : d.features)
      FUZZ_CHECK(std::isfinite(x), "a feature that is not finite");
    for (float y : d.targets)
      FUZZ_CHECK(std::isfinite(y), "a target that is not finite");
  }
  return 0;
}
