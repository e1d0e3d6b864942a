//===- AllocFailure.h - Allocation failures as errors ------------*- C++
//-*-===//
//
// Internal to the runtime's file readers: a corrupt or huge file can ask for
// more memory than there is; with exceptions enabled that becomes an error
// message instead of an abort.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_LIB_ALLOCFAILURE_H
#define NNC_RUNTIME_LIB_ALLOCFAILURE_H

#include <new>
#include <stdexcept>
#include <string>

namespace nnc::rt {

/// Runs \p body, turning a failed allocation (a corrupt or huge file) into
/// an error when the library is built with exceptions; without them, an
/// allocation failure aborts as usual.
template <typename Body>
bool catchAllocFailure(const std::string &path, std::string &error,
                       Body &&body) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  try {
    return body();
  } catch (const std::bad_alloc &) {
  } catch (const std::length_error &) {
  }
  error = "'" + path + "': out of memory";
  return false;
#else
  return body();
#endif
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_LIB_ALLOCFAILURE_H
