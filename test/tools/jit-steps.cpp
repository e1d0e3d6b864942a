//===- jit-steps.cpp - Run a script's compiled training step N times
//-------===//
//
// A test tool, for comparing nnc's compiled training step with PyTorch
// before the compiled host program exists:
//
//   jit-steps SCRIPT --steps N [--set name=value]... --init INIT.safetensors
//             --final FINAL.safetensors --losses LOSSES.txt [--time]
//
// --time prints the median time of one step (the call of the compiled
// @step and the freeing of the previous buffers; no data loading).
//
// It checks SCRIPT, generates its first training step (MLIRGen,
// nn-autodiff, inliner, CPU pipeline), JIT-compiles it, initialises the
// model with the compiled @init_<model>, writes those weights, then runs N
// steps on the script's training images in file order - batch k holds rows
// k*batch .. k*batch+batch-1, pixels / 255, as the Fashion-MNIST example's
// data declaration says (this tool reads the config entries `train_images`,
// `train_labels` and `batch` by name) - and writes the final weights and the
// loss of every step. Names are PyTorch's state-dict keys (`fc1.weight`).
// A script may instead name two .npy files, `train_x` and `train_y`
// (relative to the script), used as they are.
//
// Functions are called through MLIR's packed interface, so any model works:
// each memref argument is a descriptor {base, data, offset, sizes, strides}.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Pipeline.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/MLIRGen/MLIRGen.h"
#include "nnc/runtime/Dataset.h"
#include "nnc/runtime/HostABI.h"
#include "nnc/runtime/Safetensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>

using namespace nnc;

namespace {

[[noreturn]] void die(const std::string &msg) {
  std::cerr << "jit-steps: " << msg << "\n";
  std::exit(1);
}

/// A memref descriptor of any rank, laid out as the LLVM lowering expects:
/// {void *base, void *data, int64 offset, int64 sizes[r], int64 strides[r]}.
struct Desc {
  std::vector<int64_t> words;
  explicit Desc(size_t rank = 0) : words(3 + 2 * rank, 0) {}
  size_t rank() const { return (words.size() - 3) / 2; }
  void *base() const { return reinterpret_cast<void *>(words[0]); }
  void *data() const { return reinterpret_cast<void *>(words[1]); }
  int64_t size(size_t i) const { return words[3 + i]; }
  int64_t numElements() const {
    int64_t n = 1;
    for (size_t i = 0; i < rank(); ++i)
      n *= size(i);
    return n;
  }
  static Desc view(void *data, const std::vector<int64_t> &sizes) {
    Desc d(sizes.size());
    d.words[0] = d.words[1] = reinterpret_cast<int64_t>(data);
    int64_t stride = 1;
    for (size_t i = sizes.size(); i-- > 0;) {
      d.words[3 + i] = sizes[i];
      d.words[3 + sizes.size() + i] = stride;
      stride *= sizes[i];
    }
    return d;
  }
};

size_t rankOf(mlir::Type t) {
  return static_cast<size_t>(mlir::cast<mlir::ShapedType>(t).getRank());
}

/// Calls `_mlir_ciface_<name>` through the packed interface: results come
/// back as descriptors of the given ranks.
std::vector<Desc> call(mlir::ExecutionEngine &engine, const std::string &name,
                       std::vector<Desc> &args,
                       const std::vector<size_t> &resultRanks) {
  size_t words = 0;
  for (size_t r : resultRanks)
    words += 3 + 2 * r;
  std::vector<int64_t> results(words, 0);
  void *resultPtr = results.data();
  std::vector<void *> argPtrs;
  std::vector<void *> packed;
  argPtrs.reserve(args.size());
  packed.push_back(&resultPtr);
  for (Desc &d : args)
    argPtrs.push_back(d.words.data());
  for (void *&p : argPtrs)
    packed.push_back(&p);
  if (resultRanks.size() == 1) {
    // One result: the C interface takes a pointer to it directly.
  }
  llvm::Error err = engine.invokePacked("_mlir_ciface_" + name, packed);
  if (err)
    die("calling " + name + ": " + llvm::toString(std::move(err)));
  std::vector<Desc> out;
  size_t at = 0;
  for (size_t r : resultRanks) {
    Desc d(r);
    std::copy(results.begin() + at, results.begin() + at + 3 + 2 * r,
              d.words.begin());
    at += 3 + 2 * r;
    out.push_back(d);
  }
  return out;
}

void writeWeights(const std::string &path,
                  const std::vector<std::pair<std::string, Type>> &params,
                  const std::vector<Desc> &values) {
  std::vector<rt::TensorRecord> records;
  for (size_t i = 0; i < params.size(); ++i) {
    rt::TensorRecord r;
    r.name = params[i].first;
    r.dtype = "F32";
    for (size_t k = 0; k < values[i].rank(); ++k)
      r.shape.push_back(values[i].size(k));
    r.data = values[i].data();
    r.bytes = static_cast<size_t>(values[i].numElements()) * sizeof(float);
    records.push_back(r);
  }
  std::string err;
  if (!rt::writeSafetensors(path, records, {{"format", "pt"}}, err))
    die(err);
}

} // namespace

int main(int argc, char **argv) {
  // As nnc_rt_init does for `nnc run`.
  rt::keepLargeBlocksInHeap();
  std::string script, initPath, finalPath, lossesPath;
  int64_t steps = 10;
  bool timing = false;
  FrontendOptions opts;
  opts.stdlibDir = NNC_STDLIB_DIR;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--steps")
      steps = std::atol(next().c_str());
    else if (a == "--init")
      initPath = next();
    else if (a == "--final")
      finalPath = next();
    else if (a == "--losses")
      lossesPath = next();
    else if (a == "--time")
      timing = true;
    else if (a == "--set") {
      std::string kv = next();
      size_t eq = kv.find('=');
      if (eq == std::string::npos)
        die("--set needs name=value");
      opts.sema.overrides.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
    } else
      script = a;
  }
  if (script.empty())
    die("usage: jit-steps SCRIPT --steps N --init P --final P --losses P");

  Frontend fe(opts);
  if (!fe.load(script) || !fe.check())
    return 1;
  std::map<std::string, std::string> config;
  for (auto &[k, v] : fe.getSema().configValues())
    config[k] =
        v.size() >= 2 && v.front() == '"' ? v.substr(1, v.size() - 2) : v;
  // The training data: IDX images and labels (scaled by 1/255, as the
  // Fashion-MNIST example declares), or two .npy files used as they are.
  bool npy = config.count("train_x") && config.count("train_y");
  for (const char *k : {"train_images", "train_labels", "batch"})
    if (!config.count(k) && !(npy && std::string(k) != "batch"))
      die(std::string("the script has no config entry '") + k + "'");
  int64_t batch = std::atol(config["batch"].c_str());

  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      generateMLIR(context, *fe.getMain(), fe.getSema(), fe.getSourceManager(),
                   fe.getDiagnostics(), /*hostProgram=*/false);
  if (!module)
    return 1;
  std::string initName;
  for (auto fn : module->getOps<mlir::func::FuncOp>()) {
    if (fn.getName().starts_with("init_") &&
        !fn.getName().starts_with("init_state"))
      initName = fn.getName().str();
    fn->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(&context));
  }
  auto stepFn = module->lookupSymbol<mlir::func::FuncOp>("step_0");
  auto stateFn = module->lookupSymbol<mlir::func::FuncOp>("init_state_0");
  auto initFn = module->lookupSymbol<mlir::func::FuncOp>(initName);
  if (!stepFn || !stateFn || !initFn)
    die("the script has no training step or no model");
  std::vector<size_t> paramRanks, stateRanks, stepRanks;
  for (mlir::Type t : initFn.getResultTypes())
    paramRanks.push_back(rankOf(t));
  for (mlir::Type t : stateFn.getResultTypes())
    stateRanks.push_back(rankOf(t));
  for (mlir::Type t : stepFn.getResultTypes())
    stepRanks.push_back(rankOf(t));

  if (mlir::failed(runPipeline(*module, PipelineOptions())))
    die("lowering failed");
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
  if (!optimizer)
    die(hostError);
  engineOptions.transformer = optimizer;
  auto engine = mlir::ExecutionEngine::create(*module, engineOptions);
  if (!engine)
    die(llvm::toString(engine.takeError()));

  // The model's parameters, by the name of the model variable.
  const CheckedBody &scriptBody = fe.getSema().getBodies().front();
  std::vector<std::pair<std::string, Type>> params;
  for (auto &[e, t] : scriptBody.types)
    if (t.kind == Type::Kind::Model &&
        modelPath(t.model) == initName.substr(strlen("init_")))
      params = modelParameters(t.model);
  if (params.size() != paramRanks.size())
    die("cannot name the model's parameters");

  rt::Dataset data;
  std::string err;
  std::string dir = script.find('/') == std::string::npos
                        ? "."
                        : script.substr(0, script.rfind('/'));
  auto resolve = [&](const std::string &p) {
    return p.empty() || p[0] == '/' ? p : dir + "/" + p;
  };
  if (npy) {
    if (!rt::loadNpy(resolve(config["train_x"]), resolve(config["train_y"]),
                     data, err))
      die(err);
  } else {
    if (!rt::loadIdx(config["train_images"], config["train_labels"], data, err))
      die(err);
    rt::scale(data, 1.0f / 255.0f, 0.0f);
  }
  int64_t perSample = data.features.size() / data.n;
  std::vector<int64_t> sampleShape = data.featureShape;

  std::vector<Desc> none;
  std::vector<Desc> p = call(**engine, initName, none, paramRanks);
  if (!initPath.empty())
    writeWeights(initPath, params, p);
  std::vector<Desc> s = call(**engine, "init_state_0", p, stateRanks);
  std::ofstream losses(lossesPath.empty() ? "/dev/null" : lossesPath);
  std::vector<double> seconds;
  for (int64_t k = 0; k < steps; ++k) {
    auto start = std::chrono::steady_clock::now();
    if ((k + 1) * batch > data.n)
      die("not enough training samples");
    std::vector<int64_t> xShape{batch};
    xShape.insert(xShape.end(), sampleShape.begin(), sampleShape.end());
    std::vector<Desc> args = p;
    args.insert(args.end(), s.begin(), s.end());
    args.push_back(
        Desc::view(data.features.data() + k * batch * perSample, xShape));
    if (data.intTargets) {
      args.push_back(Desc::view(data.labels.data() + k * batch, {batch}));
    } else {
      std::vector<int64_t> yShape{batch};
      yShape.insert(yShape.end(), data.targetShape.begin(),
                    data.targetShape.end());
      int64_t perTarget = data.targetSize();
      args.push_back(
          Desc::view(data.targets.data() + k * batch * perTarget, yShape));
    }
    double t = static_cast<double>(k + 1);
    args.push_back(Desc::view(&t, {}));
    std::vector<Desc> r = call(**engine, "step_0", args, stepRanks);
    float loss = *static_cast<float *>(r[0].data());
    losses << k + 1 << " " << loss << "\n";
    // Free the previous buffers that no new value uses (results may share
    // buffers with each other and with arguments).
    std::set<void *> live, previous{r[0].base()};
    for (size_t i = 1; i < r.size(); ++i)
      live.insert(r[i].base());
    for (const Desc &d : p)
      previous.insert(d.base());
    for (const Desc &d : s)
      previous.insert(d.base());
    for (void *b : previous)
      if (!live.count(b))
        std::free(b);
    p.assign(r.begin() + 1, r.begin() + 1 + p.size());
    s.assign(r.begin() + 1 + p.size(), r.end());
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  if (timing && !seconds.empty()) {
    std::vector<double> sorted = seconds;
    std::sort(sorted.begin(), sorted.end());
    double median = sorted[sorted.size() / 2];
    std::cout << "steps " << steps << " batch " << batch << " median step ms "
              << median * 1e3 << " steps/s " << 1.0 / median << "\n";
  }
  if (!finalPath.empty())
    writeWeights(finalPath, params, p);
  // The last parameters and optimizer state, each buffer once.
  std::set<void *> last;
  for (const Desc &d : p)
    last.insert(d.base());
  for (const Desc &d : s)
    last.insert(d.base());
  for (void *b : last)
    std::free(b);
  return 0;
}
