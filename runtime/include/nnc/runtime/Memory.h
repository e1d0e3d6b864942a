//===- Memory.h - The machine's memory, and sizes for people -------------===//
//
// Header-only, so that the checker (a tensor too big for the machine), the
// generator (a program too big) and the CPU device (an allocation that
// failed) compare against and print the same figures.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_MEMORY_H
#define NNC_RUNTIME_MEMORY_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace nnc::rt {

/// The physical memory of this machine in bytes (2^62 if unknown).
inline uint64_t physicalMemoryBytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && pageSize > 0 ? uint64_t(pages) * uint64_t(pageSize)
                                   : uint64_t(1) << 62;
}

/// \p bytes for a person: "37.3 GiB", "512.0 MiB".
inline std::string humanBytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (uint64_t(1) << 30))
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / (1 << 30));
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1 << 20));
  return buf;
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_MEMORY_H
