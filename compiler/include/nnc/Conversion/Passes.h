//===- Passes.h - Lowerings of the nn dialect -------------------*- C++ -*-===//
//
// The passes of nnc outside the nn dialect's own (nn-autodiff): the
// conversions (convert-nn-to-linalg, nnc-linalg-to-blas) and the transforms
// of the pipeline (nnc-fuse-elementwise, nnc-duplicate-fills, ...), declared
// from Passes.td. The pipeline that assembles them is in Pipeline.h.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_CONVERSION_PASSES_H
#define NNC_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <memory>

namespace nnc {

#define GEN_PASS_DECL
#include "nnc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nnc/Conversion/Passes.h.inc"

} // namespace nnc

#endif // NNC_CONVERSION_PASSES_H
