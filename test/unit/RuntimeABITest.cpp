//===- RuntimeABITest.cpp - The runtime's C ABI, one table ----------------===//
//
// HostABI.def is the one description of the runtime's C ABI: the JIT's
// symbol table is made of it (every entry has a symbol), and MLIRGen's
// calls are checked against it (checkRuntimeCall refuses a call whose
// types differ). That the C prototypes agree with it is checked when the
// runtime compiles (static_assert in HostABI.cpp).
//
//===----------------------------------------------------------------------===//

#include "nnc/MLIRGen/RuntimeABI.h"
#include "nnc/runtime/HostABI.h"
#include "nnc/runtime/HostABITable.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace nnc;

namespace {

TEST(RuntimeABITest, EveryEntryHasItsSymbolAndNoOther) {
  std::set<std::string> symbols;
  for (const rt::HostSymbol &s : rt::hostABISymbols())
    symbols.insert(s.name);
  size_t n = 0;
  for (const rt::abi::Entry &e : rt::abi::entries) {
    std::string symbol =
        (e.cInterface ? "_mlir_ciface_" : "") + std::string(e.name);
    EXPECT_EQ(symbols.count(symbol), 1u) << symbol;
    ++n;
  }
  // The table's entries, and MLIR's memrefCopy and the three generic
  // allocation functions.
  EXPECT_EQ(rt::hostABISymbols().size(), n + 4);
  EXPECT_EQ(rt::abi::find("nnc_rt_loader_x_f32_2")->params[0].kind,
            rt::abi::Kind::I64);
  EXPECT_EQ(rt::abi::find("no_such_function"), nullptr);
}

class CallCheck : public ::testing::Test {
protected:
  CallCheck() : b(&ctx) { ctx.loadDialect<mlir::LLVM::LLVMDialect>(); }
  mlir::MLIRContext ctx;
  mlir::Builder b;
  mlir::Type ptr() { return mlir::LLVM::LLVMPointerType::get(&ctx); }
};

TEST_F(CallCheck, MatchingCallsPass) {
  bool c = true;
  EXPECT_EQ(checkRuntimeCall("nnc_rt_init", {b.getI64Type()}, {}, c), "");
  EXPECT_FALSE(c);
  EXPECT_EQ(checkRuntimeCall("nnc_rt_config_f64", {ptr(), b.getF64Type()},
                             {b.getF64Type()}, c),
            "");
  // A ranked memref of any sizes, with the element and rank of the table.
  auto batch =
      mlir::MemRefType::get({mlir::ShapedType::kDynamic, 784}, b.getF32Type());
  EXPECT_EQ(
      checkRuntimeCall("nnc_rt_loader_x_f32_2", {b.getI64Type()}, {batch}, c),
      "");
  EXPECT_TRUE(c);
  auto unranked = mlir::UnrankedMemRefType::get(b.getI1Type(), 0);
  EXPECT_EQ(checkRuntimeCall("nnc_rt_save_i1", {ptr(), unranked}, {}, c), "");
  EXPECT_EQ(checkRuntimeCall("nnc_rt_best",
                             {b.getI64Type(), b.getF64Type(), b.getI32Type()},
                             {b.getI1Type()}, c),
            "");
}

TEST_F(CallCheck, MismatchesAreNamed) {
  bool c = false;
  EXPECT_EQ(checkRuntimeCall("nnc_rt_init", {b.getI32Type()}, {}, c),
            "the call of 'nnc_rt_init' does not match HostABI.def: argument "
            "0 is i32, not I64");
  EXPECT_EQ(checkRuntimeCall("nnc_rt_init", {}, {}, c),
            "the call of 'nnc_rt_init' does not match HostABI.def: 0 "
            "arguments for 1 parameters");
  EXPECT_EQ(checkRuntimeCall("nnc_rt_max_steps", {}, {b.getI32Type()}, c),
            "the call of 'nnc_rt_max_steps' does not match HostABI.def: the "
            "result is i32, not I64");
  EXPECT_EQ(checkRuntimeCall("nnc_rt_max_steps", {}, {}, c),
            "the call of 'nnc_rt_max_steps' does not match HostABI.def: 0 "
            "results for 1");
  auto rank3 = mlir::MemRefType::get({2, 3, 4}, b.getF32Type());
  EXPECT_EQ(
      checkRuntimeCall("nnc_rt_loader_x_f32_2", {b.getI64Type()}, {rank3}, c),
      "the call of 'nnc_rt_loader_x_f32_2' does not match HostABI.def: "
      "the result is memref<2x3x4xf32>, not a ranked memref of rank 2");
  auto f16 = mlir::UnrankedMemRefType::get(b.getF16Type(), 0);
  EXPECT_EQ(checkRuntimeCall("nnc_rt_print_tensor_f32", {f16}, {}, c),
            "the call of 'nnc_rt_print_tensor_f32' does not match "
            "HostABI.def: argument 0 is memref<*xf16>, not an unranked "
            "memref");
  EXPECT_EQ(checkRuntimeCall("nnc_rt_print_tensor_f16", {f16}, {}, c),
            "'nnc_rt_print_tensor_f16' is not an entry point of the runtime "
            "(runtime/include/nnc/runtime/HostABI.def)");
}

} // namespace
