//===- JitTrainingTest.cpp - The compiled training step, run by the JIT ---===//
//
// End to end through every stage that exists: the Fashion-MNIST example is
// parsed and checked, MLIRGen emits @init_net, @init_state_0 and @step_0,
// nn-autodiff and the inliner make the step one function, the CPU pipeline
// lowers it to LLVM, and MLIR's ExecutionEngine runs it on real images from
// the runtime's IDX loader. The test asserts what training must do: the
// first loss is about ln(10) (random init, 10 classes) and Adam drives it
// well below that within a few dozen steps. It also establishes the calling
// convention later drivers use (C interface, memref descriptors).
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Pipeline.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/MLIRGen/MLIRGen.h"
#include "nnc/runtime/Dataset.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <set>
#include <sys/stat.h>

using namespace nnc;

namespace {

template <int N> using Desc = StridedMemRefType<float, N>;

template <int N> Desc<N> view(float *data, const int64_t (&sizes)[N]) {
  Desc<N> d;
  d.basePtr = d.data = data;
  d.offset = 0;
  int64_t stride = 1;
  for (int i = N - 1; i >= 0; --i) {
    d.sizes[i] = sizes[i];
    d.strides[i] = stride;
    stride *= sizes[i];
  }
  return d;
}

/// The four parameters of MLP(256): fc1.weight, fc1.bias, fc2.weight,
/// fc2.bias, as returned by the compiled functions.
struct Params {
  Desc<2> w1;
  Desc<1> b1;
  Desc<2> w2;
  Desc<1> b2;
};
struct State {
  Desc<2> m1, v1;
  Desc<1> mb1, vb1;
  Desc<2> m2, v2;
  Desc<1> mb2, vb2;
};
struct StepResults {
  Desc<0> loss;
  Params params;
  State state;
};

/// Buffers returned by compiled functions belong to the caller, but two
/// results may share one buffer (equal values are computed once - Adam's two
/// zero-initialised states, say), and a result may reuse an argument's
/// buffer. So buffers are tracked as a set and freed once, when no live value
/// uses them.
struct Buffers {
  std::set<void *> set;
  template <int N> void add(const Desc<N> &d) { set.insert(d.basePtr); }
  void add(const Params &p) { add(p.w1), add(p.b1), add(p.w2), add(p.b2); }
  void add(const State &s) {
    add(s.m1), add(s.v1), add(s.mb1), add(s.vb1);
    add(s.m2), add(s.v2), add(s.mb2), add(s.vb2);
  }
  /// Frees what is here and not in `live`.
  void freeExcept(const Buffers &live) const {
    for (void *b : set)
      if (!live.set.count(b))
        std::free(b);
  }
};

bool exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

TEST(JitTrainingTest, FashionMnistStepLearns) {
  const char *images =
      "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  const char *labels =
      "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
  if (!exists(images))
    GTEST_SKIP() << "Fashion-MNIST is not installed (scripts/setup.sh "
                    "installs dataset-fashion-mnist)";

  // Front end and MLIRGen.
  FrontendOptions opts;
  opts.stdlibDir = NNC_STDLIB_DIR;
  Frontend fe(opts);
  std::string errors;
  fe.getDiagnostics().setSink([&](const std::string &s) { errors += s; });
  ASSERT_TRUE(fe.load(NNC_EXAMPLES_DIR "/fashion_mnist/mlp.nn")) << errors;
  ASSERT_TRUE(fe.check()) << errors;
  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      generateMLIR(context, *fe.getMain(), fe.getSema(), fe.getSourceManager(),
                   fe.getDiagnostics(), /*hostProgram=*/false);
  ASSERT_TRUE(module) << errors;
  for (const char *name : {"init_net", "init_state_0", "step_0", "eval_0"})
    module->lookupSymbol<mlir::func::FuncOp>(name)->setAttr(
        "llvm.emit_c_interface", mlir::UnitAttr::get(&context));

  // Autodiff, one function per step, and the CPU pipeline.
  ASSERT_TRUE(mlir::succeeded(runPipeline(*module, PipelineOptions())));

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  mlir::ExecutionEngineOptions engineOptions;
  // No perf/gdb JIT dumps: MLIR writes one per run under ~/.debug by
  // default, which fills the disk and fails the run when it cannot write.
  engineOptions.enablePerfNotificationListener = false;
  engineOptions.enableGDBNotificationListener = false;
  std::string hostError;
  // ExecutionEngineOptions::transformer is a function_ref: the optimizer
  // must outlive ExecutionEngine::create.
  auto optimizer = makeHostOptimizer(hostError);
  ASSERT_TRUE(bool(optimizer)) << hostError;
  engineOptions.transformer = optimizer;
  auto engine = mlir::ExecutionEngine::create(*module, engineOptions);
  ASSERT_TRUE(bool(engine)) << llvm::toString(engine.takeError());
  auto lookup = [&](const char *name) {
    auto f = (*engine)->lookup(std::string("_mlir_ciface_") + name);
    EXPECT_TRUE(bool(f)) << name;
    return f ? *f : nullptr;
  };
  auto initNet = reinterpret_cast<void (*)(Params *)>(lookup("init_net"));
  auto initState =
      reinterpret_cast<void (*)(State *, Desc<2> *, Desc<1> *, Desc<2> *,
                                Desc<1> *)>(lookup("init_state_0"));
  using StepFn =
      void (*)(StepResults *, Desc<2> *, Desc<1> *, Desc<2> *, Desc<1> *,
               Desc<2> *, Desc<2> *, Desc<1> *, Desc<1> *, Desc<2> *, Desc<2> *,
               Desc<1> *, Desc<1> *, Desc<3> *, StridedMemRefType<int64_t, 1> *,
               StridedMemRefType<double, 0> *);
  auto step = reinterpret_cast<StepFn>(lookup("step_0"));
  struct EvalResults {
    Desc<0> loss, accuracy;
  };
  using EvalFn =
      void (*)(EvalResults *, Desc<2> *, Desc<1> *, Desc<2> *, Desc<1> *,
               Desc<3> *, StridedMemRefType<int64_t, 1> *);
  auto evaluate = reinterpret_cast<EvalFn>(lookup("eval_0"));
  ASSERT_TRUE(initNet && initState && step && evaluate);

  // Real data, in file order, through the runtime loader.
  rt::Dataset data;
  std::string err;
  ASSERT_TRUE(rt::loadIdx(images, labels, data, err)) << err;
  rt::scale(data, 1.0f / 255.0f, 0.0f);

  Params p;
  initNet(&p);
  ASSERT_EQ(p.w1.sizes[0], 256);
  ASSERT_EQ(p.w1.sizes[1], 784);
  // PyTorch's bounds: |w1| < 1/sqrt(784)
  float maxAbs = 0;
  for (int64_t i = 0; i < 256 * 784; ++i)
    maxAbs = std::max(maxAbs, std::fabs(p.w1.data[i]));
  EXPECT_LT(maxAbs, 1.0f / 28.0f);
  EXPECT_GT(maxAbs, 0.9f / 28.0f);
  State s;
  initState(&s, &p.w1, &p.b1, &p.w2, &p.b2);

  const int64_t batch = 32, steps = 60;
  std::vector<float> losses;
  for (int64_t k = 0; k < steps; ++k) {
    Desc<3> x =
        view<3>(data.features.data() + k * batch * 784, {batch, 28, 28});
    StridedMemRefType<int64_t, 1> y;
    y.basePtr = y.data = data.labels.data() + k * batch;
    y.offset = 0;
    y.sizes[0] = batch;
    y.strides[0] = 1;
    double tValue = static_cast<double>(k + 1);
    StridedMemRefType<double, 0> t{&tValue, &tValue, 0};
    StepResults r;
    step(&r, &p.w1, &p.b1, &p.w2, &p.b2, &s.m1, &s.v1, &s.mb1, &s.vb1, &s.m2,
         &s.v2, &s.mb2, &s.vb2, &x, &y, &t);
    losses.push_back(r.loss.data[r.loss.offset]);
    Buffers previous, live;
    previous.add(p), previous.add(s), previous.add(r.loss);
    live.add(r.params), live.add(r.state);
    previous.freeExcept(live);
    p = r.params;
    s = r.state;
  }
  // The compiled `evaluate ... { loss: cross_entropy, accuracy }` on 1000
  // images the model has not seen (rows 50000..50999): better than chance.
  const int64_t validRows = 1000, validFrom = 50000;
  Desc<3> vx =
      view<3>(data.features.data() + validFrom * 784, {validRows, 28, 28});
  StridedMemRefType<int64_t, 1> vy;
  vy.basePtr = vy.data = data.labels.data() + validFrom;
  vy.offset = 0;
  vy.sizes[0] = validRows;
  vy.strides[0] = 1;
  EvalResults ev;
  evaluate(&ev, &p.w1, &p.b1, &p.w2, &p.b2, &vx, &vy);
  float validLoss = ev.loss.data[ev.loss.offset];
  float validAccuracy = ev.accuracy.data[ev.accuracy.offset];
  std::cout << "validation: loss " << validLoss << ", accuracy "
            << validAccuracy << "\n";
  EXPECT_GT(validAccuracy, 0.6f);
  EXPECT_LT(validAccuracy, 1.0f);
  EXPECT_LT(validLoss, 1.2f);
  Buffers evalBuffers;
  evalBuffers.add(ev.loss), evalBuffers.add(ev.accuracy);
  evalBuffers.freeExcept(Buffers());

  Buffers remaining;
  remaining.add(p), remaining.add(s);
  remaining.freeExcept(Buffers());

  std::cout << "losses: first " << losses.front() << ", step 10 " << losses[10]
            << ", last " << losses.back() << "\n";
  // Random init over 10 classes: about ln(10) = 2.30.
  EXPECT_NEAR(losses.front(), std::log(10.0), 0.25);
  double last = 0;
  for (int64_t k = steps - 10; k < steps; ++k)
    last += losses[k] / 10;
  EXPECT_LT(last, 1.0) << "mean loss of the last 10 steps";
  for (float l : losses)
    EXPECT_TRUE(std::isfinite(l));
}

} // namespace
