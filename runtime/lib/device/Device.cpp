//===- Device.cpp - The CPU device and its memory pool
//---------------------===//
//
// Free blocks are kept per size (rounded up to 64 bytes): a training step
// frees and allocates the same sizes every step, so exact sizes are all a
// pool needs to serve it from the second step on. The pool keeps at most
// kMaxPooledBytes of free memory; beyond that a freed block goes back to
// the system. Live blocks are known by address, so that a pointer the pool
// did not hand out is passed to free().
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Device.h"
#include "nnc/runtime/Memory.h"
#include "progress/Progress.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

namespace nnc::rt {
namespace {

/// A buffer of \p bytes could not be had: the error names the size, the
/// statement that was running (the runtime's current location) and the
/// machine's memory, and the run ends with 1.
[[noreturn]] void outOfMemory(size_t bytes) {
  nnc::rt::detail::fail(
      "out of memory: a buffer of " + std::to_string(bytes) + " bytes (" +
      humanBytes(bytes) + ") could not be allocated; this machine has " +
      humanBytes(physicalMemoryBytes()) +
      " of memory (a smaller batch, or smaller layers, need less)");
}

constexpr size_t kAlign = 64;
constexpr uint64_t kMaxPooledBytes = uint64_t(4) << 30;

class CPUDevice final : public Device {
public:
  const char *name() const override { return "cpu"; }

  void *allocate(size_t bytes) override {
    size_t size = roundUp(bytes);
    std::unique_lock<std::mutex> lock(mutex);
    ++stats.allocations;
    void *p = nullptr;
    auto it = pooling ? free.find(size) : free.end();
    if (it != free.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      stats.bytesPooled -= size;
    } else {
      p = std::aligned_alloc(kAlign, size);
      if (!p) {
        lock.unlock(); // exit's destructors may release buffers
        outOfMemory(size);
      }
      ++stats.fromSystem;
      stats.bytesFromSystem += size;
    }
    live[p] = size;
    return p;
  }

  void release(void *p) override {
    if (!p)
      return;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = live.find(p);
    if (it == live.end()) {
      std::free(p); // not ours: a runtime buffer given to compiled code
      return;
    }
    size_t size = it->second;
    live.erase(it);
    ++stats.releases;
    if (!pooling || stats.bytesPooled + size > kMaxPooledBytes) {
      std::free(p);
      return;
    }
    free[size].push_back(p);
    stats.bytesPooled += size;
  }

  PoolStats snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    return stats;
  }

private:
  static size_t roundUp(size_t bytes) {
    size_t size = bytes ? bytes : 1;
    return (size + kAlign - 1) / kAlign * kAlign;
  }

  /// NNC_POOL=0 turns the pool off (every buffer from the system), to
  /// measure what it saves.
  const bool pooling = [] {
    const char *v = std::getenv("NNC_POOL");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> free;
  std::unordered_map<void *, size_t> live;
  PoolStats stats;
};

CPUDevice &cpu() {
  // Never destroyed: compiled code may free buffers during static
  // destruction.
  static CPUDevice *device = new CPUDevice();
  return *device;
}

} // namespace

Device &cpuDevice() { return cpu(); }

PoolStats cpuPoolStats() { return cpu().snapshot(); }

} // namespace nnc::rt

extern "C" {

void *_mlir_memref_to_llvm_alloc(size_t size) {
  return nnc::rt::cpu().allocate(size);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  if (alignment > 64) {
    // Stricter than the pool's blocks: from the system, freed by free().
    void *p = nullptr;
    if (posix_memalign(&p, alignment, size ? size : 1) != 0)
      nnc::rt::outOfMemory(size);
    return p;
  }
  return nnc::rt::cpu().allocate(size);
}

void _mlir_memref_to_llvm_free(void *ptr) { nnc::rt::cpu().release(ptr); }

} // extern "C"
