//===- Device.h - Where tensors live, and their memory ----------*- C++ -*-===//
//
// A device owns the memory of the tensors that compiled code computes on
// it. The CPU device is the only one so far; the CUDA device of a later
// release implements the same interface (memory of the GPU, copies to and
// from the host).
//
// The CPU device pools its memory. Compiled code allocates every buffer
// through it (MLIR's generic allocation functions, below, which the CPU
// pipeline calls instead of malloc and free when
// PipelineOptions::pooledMemory is set), and a buffer it frees goes back
// to the pool under its size. A training step asks for the same sizes
// every step (the last, shorter batch of an epoch adds one more set), so
// after the first steps of an epoch every allocation of the step is served
// from the pool: the training loop calls no malloc. Blocks are 64-byte
// aligned (a cache line, any vector register). NNC_POOL=0 in the
// environment turns the pool off, to measure it: on the Fashion-MNIST MLP
// the step takes the same time either way (glibc's malloc reuses freed
// blocks quickly too); what the pool adds is that the step's memory is
// the runtime's to place - the CUDA device needs exactly that.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_DEVICE_H
#define NNC_RUNTIME_DEVICE_H

#include <cstddef>
#include <cstdint>

namespace nnc::rt {

class Device {
public:
  virtual ~Device() = default;
  /// "cpu", "cuda:0", ...
  virtual const char *name() const = 0;
  /// \p bytes of memory aligned to 64 bytes (never null: out of memory is
  /// an error of the run).
  virtual void *allocate(size_t bytes) = 0;
  /// Returns memory from allocate(); null is ignored. Memory the device
  /// did not allocate (a runtime buffer handed to compiled code with
  /// malloc) is released with free().
  virtual void release(void *p) = 0;
};

/// The CPU device (a process-wide pool).
Device &cpuDevice();

/// What the CPU pool did so far.
struct PoolStats {
  uint64_t allocations = 0;     ///< allocate() calls
  uint64_t fromSystem = 0;      ///< of them, served by the system (new)
  uint64_t releases = 0;        ///< release() calls of pooled memory
  uint64_t bytesFromSystem = 0; ///< the sum of the new blocks' sizes
  uint64_t bytesPooled = 0;     ///< free bytes kept for reuse now
};
PoolStats cpuPoolStats();

} // namespace nnc::rt

extern "C" {
/// MLIR's generic allocation functions (finalize-memref-to-llvm with
/// use-generic-functions), served by the CPU device.
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);
}

#endif // NNC_RUNTIME_DEVICE_H
