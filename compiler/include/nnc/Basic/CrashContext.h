//===- CrashContext.h - What the compiler was doing when it crashed -*- C++
//-*-//
//
// A crash of nnc is a bug in nnc. The driver's signal handler prints it as an
// "internal error" with the stage and the user's source position that was
// being processed, read from here; the stages update it as they go.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BASIC_CRASHCONTEXT_H
#define NNC_BASIC_CRASHCONTEXT_H

#include "nnc/Basic/SourceManager.h"

namespace nnc {

struct CrashContext {
  static inline const SourceManager *sourceManager = nullptr;
  static inline SourceRange range;
  static inline const char *stage = "starting";
};

} // namespace nnc

#endif // NNC_BASIC_CRASHCONTEXT_H
