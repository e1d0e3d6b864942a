//===- DeviceTest.cpp - The CPU device's memory pool ----------------------===//

#include "nnc/runtime/Device.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace nnc::rt;

namespace {

TEST(DeviceTest, FreedBlocksAreReusedBySize) {
  Device &cpu = cpuDevice();
  EXPECT_STREQ(cpu.name(), "cpu");
  void *a = cpu.allocate(1000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  std::memset(a, 1, 1000);
  PoolStats before = cpuPoolStats();
  cpu.release(a);
  // The same size (after rounding to 64 bytes) comes back from the pool.
  void *b = cpu.allocate(1010);
  EXPECT_EQ(b, a);
  PoolStats after = cpuPoolStats();
  EXPECT_EQ(after.fromSystem, before.fromSystem);
  EXPECT_EQ(after.allocations, before.allocations + 1);
  // Another size is new.
  void *c = cpu.allocate(5000);
  EXPECT_NE(c, b);
  EXPECT_EQ(cpuPoolStats().fromSystem, after.fromSystem + 1);
  cpu.release(b);
  cpu.release(c);
}

TEST(DeviceTest, MemoryItDidNotAllocateIsFreed) {
  // A runtime buffer made with malloc and handed to compiled code, which
  // frees it through the pool's free function: it goes to free(), not into
  // the pool.
  PoolStats before = cpuPoolStats();
  void *p = std::malloc(256);
  _mlir_memref_to_llvm_free(p);
  _mlir_memref_to_llvm_free(nullptr);
  PoolStats after = cpuPoolStats();
  EXPECT_EQ(after.releases, before.releases);
  EXPECT_EQ(after.bytesPooled, before.bytesPooled);
}

TEST(DeviceTest, GenericFunctionsServeCompiledCode) {
  void *p = _mlir_memref_to_llvm_aligned_alloc(64, 128);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  _mlir_memref_to_llvm_free(p);
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(128), p);
  _mlir_memref_to_llvm_free(p);
  // Stricter alignment than the pool's: from the system.
  void *q = _mlir_memref_to_llvm_aligned_alloc(4096, 100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 4096, 0u);
  _mlir_memref_to_llvm_free(q);
}

} // namespace
