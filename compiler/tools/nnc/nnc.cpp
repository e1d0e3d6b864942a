//===- nnc.cpp - The nnc driver
//---------------------------------------------===//
//
//   nnc check FILE [--set name=value ...]   check a script, report errors
//   nnc run FILE [--set ...] [--max-steps N] [--save-init P] [--save-final P]
//                [--state P] [--resume P] [--time]
//                                            compile the script and run it
//   nnc --emit=tokens|ast|typed|nn|autodiff|linalg|llvm FILE   print a stage
//
// Exit codes: 0 success, 1 errors in the user's input, 2 bad command line,
// 3 internal error (a bug in nnc, reported with the position being
// processed).
//
//===----------------------------------------------------------------------===//

#include "nnc/AST/ASTPrinter.h"
#include "nnc/Basic/CrashContext.h"
#include "nnc/Basic/Verifier.h"
#include "nnc/Conversion/Pipeline.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/MLIRGen/MLIRGen.h"
#include "nnc/Parse/Parser.h"

#include "Repl.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "nnc/runtime/HostABI.h"
#include "nnc/runtime/Safetensors.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <pthread.h>
#include <unistd.h>

using namespace nnc;
namespace cl = llvm::cl;

namespace {

enum class Emit { None, Tokens, AST, Typed, NN, Autodiff, Linalg, LLVM };

cl::OptionCategory nncCategory("nnc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<script.nn>"),
                               cl::cat(nncCategory));

cl::opt<Emit>
    emit("emit", cl::desc("Print the output of a stage and stop"),
         cl::values(clEnumValN(Emit::Tokens, "tokens", "the tokens"),
                    clEnumValN(Emit::AST, "ast", "the syntax tree"),
                    clEnumValN(Emit::Typed, "typed",
                               "every expression with its checked type"),
                    clEnumValN(Emit::NN, "nn", "the program in the nn dialect"),
                    clEnumValN(Emit::Autodiff, "autodiff",
                               "after automatic differentiation and "
                               "inlining"),
                    clEnumValN(Emit::Linalg, "linalg",
                               "after lowering to linalg and fusion"),
                    clEnumValN(Emit::LLVM, "llvm",
                               "the LLVM dialect the CPU code is made of")),
         cl::init(Emit::None), cl::cat(nncCategory));

cl::list<std::string>
    setOptions("set", cl::desc("Override a config entry: --set name=value"),
               cl::value_desc("name=value"), cl::cat(nncCategory));

cl::opt<std::string> stdlibDir("stdlib",
                               cl::desc("Directory of the standard library"),
                               cl::value_desc("dir"), cl::init(""),
                               cl::cat(nncCategory));

cl::opt<std::string>
    colorOpt("diagnostics-color",
             cl::desc("Colour diagnostics: auto, always, never"),
             cl::init("auto"), cl::cat(nncCategory));

cl::opt<unsigned> errorLimit("error-limit",
                             cl::desc("Stop after N errors (0: no limit)"),
                             cl::init(20), cl::cat(nncCategory));

cl::opt<bool> verifyDiags(
    "verify", cl::desc("Check the diagnostics against expected-error comments"),
    cl::init(false), cl::cat(nncCategory));

cl::opt<int64_t> maxSteps(
    "max-steps",
    cl::desc("nnc run: stop training after N optimizer steps (the script "
             "goes on after its training loops)"),
    cl::value_desc("N"), cl::init(-1), cl::cat(nncCategory));
cl::opt<std::string> saveInit(
    "save-init",
    cl::desc("nnc run: write every model's parameters to this safetensors "
             "file before the first step"),
    cl::value_desc("path"), cl::init(""), cl::cat(nncCategory));
cl::opt<std::string> saveFinal(
    "save-final",
    cl::desc("nnc run: write every model's parameters to this safetensors "
             "file at the end of the run"),
    cl::value_desc("path"), cl::init(""), cl::cat(nncCategory));
cl::opt<std::string> statePath(
    "state",
    cl::desc("nnc run: write the whole training state (parameters, optimizer "
             "state, counters, loader positions) to this file at the end of "
             "each epoch and when the step budget stops the run"),
    cl::value_desc("path"), cl::init(""), cl::cat(nncCategory));
cl::opt<std::string> resumePath(
    "resume",
    cl::desc("nnc run: go on from a training state written by --state, "
             "exactly as the uninterrupted run would have"),
    cl::value_desc("path"), cl::init(""), cl::cat(nncCategory));
cl::opt<bool> resumeChanged(
    "resume-changed",
    cl::desc("nnc run: with --resume, go on even if the data files, batch "
             "sizes or seed differ from those of the run that wrote the "
             "state (each difference is a warning)"),
    cl::init(false), cl::cat(nncCategory));
cl::opt<bool> timeRun(
    "time",
    cl::desc("nnc run: report the compile time and, at the end, the median "
             "time per training step"),
    cl::init(false), cl::cat(nncCategory));
cl::opt<bool> mlirTiming(
    "mlir-timing",
    cl::desc("nnc run, nnc build: report the time of every MLIR pass"),
    cl::Hidden, cl::init(false));
cl::opt<std::string> dumpStage(
    "dump-stage",
    cl::desc("nnc run, nnc build: write the module at this stage of the "
             "pipeline (nn, autodiff, linalg, llvm) to --dump-file as it "
             "compiles"),
    cl::Hidden);
cl::opt<std::string> dumpFile("dump-file",
                              cl::desc("Where --dump-stage writes the module"),
                              cl::Hidden, cl::init("-"));
cl::opt<std::string> progressMode(
    "progress",
    cl::desc("nnc run: how training progress shows on stderr: auto (a bar "
             "on a terminal, else a line every 10 s and one per epoch), bar, "
             "lines or off"),
    cl::value_desc("mode"), cl::init("auto"), cl::cat(nncCategory));
cl::opt<bool> quiet("quiet",
                    cl::desc("nnc run: no progress output (--progress=off)"),
                    cl::init(false), cl::cat(nncCategory));
cl::opt<std::string> metricsFile(
    "metrics",
    cl::desc("nnc run: write one CSV row per training epoch (steps, train "
             "loss, time, the metrics of the evaluates in the epoch)"),
    cl::value_desc("path"), cl::init(""), cl::cat(nncCategory));
cl::opt<std::string> plotFile(
    "plot",
    cl::desc("nnc run: draw the loss and accuracy curves per epoch into a "
             "PNG file (needs libcairo2)"),
    cl::value_desc("path"), cl::init(""), cl::cat(nncCategory));
cl::opt<unsigned> buildOptLevel(
    "O", cl::Prefix,
    cl::desc("nnc build: LLVM's optimization level, -O0 to -O3 (default -O3)"),
    cl::init(3), cl::cat(nncCategory));
cl::opt<std::string> targetCPU(
    "target-cpu",
    cl::desc("nnc build: the CPU to compile for: generic (the default: the "
             "program runs on any machine of this architecture), native "
             "(this machine's CPU) or an LLVM CPU name (x86-64-v3, znver3)"),
    cl::value_desc("cpu"), cl::init("generic"), cl::cat(nncCategory));
cl::opt<std::string> outputFile("o",
                                cl::desc("nnc build: the program to write"),
                                cl::value_desc("path"), cl::init(""),
                                cl::cat(nncCategory));
cl::opt<bool> debugCrash("debug-crash",
                         cl::desc("Crash after parsing (tests the internal "
                                  "error report)"),
                         cl::Hidden, cl::init(false));

void printLocation() {
  const SourceManager *sm = CrashContext::sourceManager;
  SourceRange r = CrashContext::range;
  if (sm && r.isValid() && r.file <= sm->getNumFiles()) {
    LineCol lc = sm->getLineCol(r.file, r.begin);
    std::string name(sm->getName(r.file));
    std::fprintf(stderr, "%s:%u:%u: ", name.c_str(), lc.line, lc.col);
  }
}

[[noreturn]] void internalError(const char *what) {
  std::fprintf(stderr, "\n");
  printLocation();
  std::fprintf(stderr,
               "internal error: %s while %s\n"
               "note: this is a bug in nnc, not in your script; please report "
               "it with the script that triggers it\n",
               what, CrashContext::stage);
  std::fflush(stderr);
  _exit(ExitInternal);
}

void onSignal(int sig) {
  const char *what = sig == SIGSEGV   ? "segmentation fault"
                     : sig == SIGABRT ? "abort"
                     : sig == SIGBUS  ? "bus error"
                     : sig == SIGFPE  ? "arithmetic exception"
                                      : "illegal instruction";
  internalError(what);
}

void installCrashHandlers() {
  // The handler runs on its own stack so that a stack overflow is reported.
  static char altStack[1 << 16];
  stack_t ss{};
  ss.ss_sp = altStack;
  ss.ss_size = sizeof altStack;
  sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sa.sa_flags = SA_ONSTACK;
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL})
    sigaction(sig, &sa, nullptr);
  llvm::install_fatal_error_handler(
      [](void *, const char *reason, bool) { internalError(reason); });
}

enum class Verb { None, Check, Run, Build, Repl };

/// The run's seed: the config entry `seed`, if the script has one.
uint64_t configSeed(const Sema &sema) {
  for (auto &[k, v] : sema.configValues())
    if (k == "seed")
      return static_cast<uint64_t>(std::strtoll(v.c_str(), nullptr, 10));
  return 0;
}

/// Seconds since \p start.
double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// The compile stages of `nnc run --time`: what `nnc check` does, MLIR
/// generation, lowering to the LLVM dialect, and LLVM's optimisation and
/// machine code (the JIT).
struct StageTimes {
  double check = 0, generate = 0, lower = 0;
};

/// The pipeline `nnc run`, `nnc build` and `--emit` run on a script's
/// module: @nnc_main and @nnc_program_config are called from outside; the
/// steps, initialisers and evaluations inline into them and are dropped.
PipelineOptions scriptPipeline(uint64_t seed, Stage last) {
  PipelineOptions options;
  options.last = last;
  options.entryPoints = {"nnc_main", "nnc_program_config"};
  options.seed = seed;
  options.pooledMemory = true; // the runtime's CPU device serves buffers
  return options;
}

/// Lowers the module for the CPU: the whole pipeline.
bool lowerModule(mlir::ModuleOp module, uint64_t seed,
                 DiagnosticEngine &diags) {
  CrashContext::stage = "compiling";
  PipelineRun run;
  run.timing = mlirTiming;
  if (!dumpStage.empty()) {
    run.dumpAt = parseStage(dumpStage);
    run.dump = [](mlir::ModuleOp m) {
      std::error_code ec;
      llvm::raw_fd_ostream os(dumpFile, ec);
      if (ec)
        llvm::errs() << "nnc: error: cannot write '" << dumpFile
                     << "': " << ec.message() << "\n";
      else
        m.print(os);
    };
  }
  if (mlir::failed(
          runPipeline(module, scriptPipeline(seed, Stage::LLVM), run))) {
    diags.error({}, "internal error: the script could not be compiled");
    return false;
  }
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  mlir::registerBuiltinDialectTranslation(*module.getContext());
  mlir::registerLLVMDialectTranslation(*module.getContext());
  return true;
}

/// Copies the linked program \p from to \p to (mode 0755) through a
/// temporary file beside it, fsync and rename, so that a full disk or a
/// file-size limit is an error naming \p to and leaves no partial program.
bool installProgram(const std::string &from, const std::string &to,
                    std::string &error) {
  auto bytes = llvm::MemoryBuffer::getFile(from, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!bytes) {
    error = "cannot read the linked program: " + bytes.getError().message();
    return false;
  }
  nnc::rt::removeStaleTemporaries(to); // of a build that was killed
  std::string tmp = to + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (fd < 0) {
    error = "cannot write '" + to + "': " + std::strerror(errno);
    return false;
  }
  llvm::StringRef data = (*bytes)->getBuffer();
  size_t done = 0;
  bool ok = true;
  // A file-size limit raises SIGXFSZ, which would kill nnc: let write fail
  // with EFBIG instead.
  auto oldXfsz = std::signal(SIGXFSZ, SIG_IGN);
  while (ok && done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = ENOSPC;
      ok = false;
      break;
    }
    done += size_t(n);
  }
  if (ok && ::fsync(fd) != 0)
    ok = false;
  int e = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    e = errno;
  }
  std::signal(SIGXFSZ, oldXfsz);
  if (ok && ::rename(tmp.c_str(), to.c_str()) != 0) {
    ok = false;
    e = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    error = "cannot write '" + to + "': " + std::strerror(e);
  }
  return ok;
}

/// `nnc build`: the lowered module as an object file for this machine,
/// linked with the runtime (and main() from runtime/lib/abi/Main.cpp) into the
/// executable \p output.
int buildProgram(mlir::ModuleOp module, const std::string &output,
                 DiagnosticEngine &diags) {
  CrashContext::stage = "writing the program";
  auto fail = [&](const std::string &what) {
    diags.error({}, what);
    diags.printSummary();
    return ExitUserError;
  };
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return fail("internal error: the script could not be translated to LLVM "
                "IR");
  std::string machineError;
  std::shared_ptr<llvm::TargetMachine> machine =
      makeTargetMachine(targetCPU, buildOptLevel, /*pic=*/true, machineError);
  if (!machine)
    return fail("--target-cpu: " + machineError);
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple().getTriple());
  auto optimizer = makeOptimizer(machine, buildOptLevel);
  if (llvm::Error e = optimizer(llvmModule.get()))
    return fail("internal error: " + llvm::toString(std::move(e)));
  llvm::SmallString<128> object;
  int fd = -1;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("nnc-build", "o", fd, object))
    return fail("cannot create a temporary object file: " + ec.message());
  llvm::FileRemover removeObject(object);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    llvm::legacy::PassManager emit;
    if (machine->addPassesToEmitFile(emit, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return fail("internal error: this machine cannot write object files");
    emit.run(*llvmModule);
    os.flush();
    if (os.has_error())
      return fail("cannot write '" + std::string(object) +
                  "': " + os.error().message());
  }
  // Link with nnc's runtime (static) and the system's OpenBLAS and zlib.
  auto linker = llvm::sys::findProgramByName("clang++-19");
  if (!linker)
    linker = llvm::sys::findProgramByName("c++");
  if (!linker)
    return fail("cannot find a C++ linker driver (clang++-19 or c++)");
  // The program is linked into a temporary file and then copied into
  // place: lld maps its output and dies of SIGBUS ("PLEASE submit a bug
  // report") when the disk fills, while a plain write says ENOSPC, and the
  // old program at \p output stays whole until the new one is complete.
  llvm::SmallString<128> linked, linkLog;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("nnc-build", "", linked))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeLinked(linked);
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("nnc-build", "log", linkLog))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeLog(linkLog);
  std::string libDir = NNC_LIB_DIR;
  std::vector<std::string> args = {*linker,
                                   std::string(object),
                                   "-o",
                                   std::string(linked),
                                   "-fuse-ld=lld",
                                   "-L" + libDir,
                                   "-lnncMain",
                                   "-lnncHostABI",
                                   "-lnncRuntimeData",
                                   "-lnnc_blas_static",
                                   "-lopenblas",
                                   "-lz",
                                   "-lm"};
#ifdef NNC_SANITIZE_LINK_FLAGS
  // This nnc's runtime libraries are built with the sanitizers.
  args.push_back(NNC_SANITIZE_LINK_FLAGS);
#endif
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string linkError;
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, linkLog.str(),
                                                linkLog.str()};
  int status = llvm::sys::ExecuteAndWait(*linker, argRefs, std::nullopt,
                                         redirects, 0, 0, &linkError);
  if (status != 0) {
    // The linker's own error lines, without its crash report.
    std::string log;
    if (auto buf = llvm::MemoryBuffer::getFile(linkLog)) {
      llvm::SmallVector<llvm::StringRef> lines;
      (*buf)->getBuffer().split(lines, '\n', -1, false);
      for (llvm::StringRef line : lines)
        if (line.contains("error:") && log.size() < 4096)
          log += "\n  " + line.str();
    }
    return fail("linking '" + output + "' failed" +
                (linkError.empty() ? "" : ": " + linkError) + log);
  }
  std::string error;
  if (!installProgram(std::string(linked), output, error))
    return fail(error);
  return ExitOK;
}

/// Compiles the lowered module with MLIR's JIT and runs @nnc_main; returns
/// its exit status.
int runModule(mlir::ModuleOp module,
              std::chrono::steady_clock::time_point compileStart,
              const StageTimes &stages, DiagnosticEngine &diags) {
  auto jitStart = std::chrono::steady_clock::now();
  mlir::ExecutionEngineOptions engineOptions;
  // No perf/gdb JIT dumps: MLIR writes one per run under ~/.debug by
  // default, which fills the disk and fails the run when it cannot write.
  engineOptions.enablePerfNotificationListener = false;
  engineOptions.enableGDBNotificationListener = false;
  std::string hostError;
  // ExecutionEngineOptions::transformer is a function_ref: the optimizer
  // must outlive ExecutionEngine::create.
  auto optimizer = makeHostOptimizer(hostError);
  engineOptions.transformer = optimizer;
  if (!optimizer) {
    diags.error({}, "internal error: " + hostError);
    return ExitInternal;
  }
  auto engine = mlir::ExecutionEngine::create(module, engineOptions);
  if (!engine) {
    diags.error({}, "internal error: " + llvm::toString(engine.takeError()));
    return ExitInternal;
  }
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    for (const rt::HostSymbol &s : rt::hostABISymbols())
      map[interner(s.name)] = {llvm::orc::ExecutorAddr::fromPtr(s.address),
                               llvm::JITSymbolFlags::Exported};
    return map;
  });
  auto entry = (*engine)->lookup("nnc_main");
  if (!entry) {
    diags.error({}, "internal error: " + llvm::toString(entry.takeError()));
    return ExitInternal;
  }
  rt::RunOptions run;
  run.maxSteps = maxSteps.getNumOccurrences() ? int64_t(maxSteps) : -1;
  run.saveInit = saveInit;
  run.saveFinal = saveFinal;
  run.timeSteps = timeRun;
  run.statePath = statePath;
  run.resumePath = resumePath;
  run.resumeChanged = resumeChanged;
  rt::setProgressOptions(run, progressMode,
                         progressMode.getNumOccurrences() > 0, quiet,
                         metricsFile, plotFile); // checked in main()
  rt::setRunOptions(run);
  if (timeRun) {
    std::fprintf(stderr,
                 "nnc: compile stages: checking %.2f s, MLIR generation %.2f "
                 "s, lowering %.2f s, LLVM and machine code %.2f s\n",
                 stages.check, stages.generate, stages.lower,
                 secondsSince(jitStart));
    std::fprintf(stderr, "nnc: compiled in %.2f s\n",
                 secondsSince(compileStart));
  }
  CrashContext::stage = "running the script";
  CrashContext::sourceManager = nullptr;
  auto *main = reinterpret_cast<int32_t (*)()>(*entry);
  return main() == 0 ? ExitOK : ExitUserError;
}

int runJob(Verb verb) {
  if (verb == Verb::Repl) {
    ReplOptions repl;
    repl.stdlibDir = stdlibDir.empty() ? std::string(NNC_STDLIB_DIR)
                                       : std::string(stdlibDir);
    if (const char *env = std::getenv("NNC_STDLIB"); env && stdlibDir.empty())
      repl.stdlibDir = env;
    repl.loadFile = inputFile;
    repl.color =
        colorOpt == "always" || (colorOpt == "auto" && isatty(STDERR_FILENO) &&
                                 std::getenv("NO_COLOR") == nullptr);
    repl.errorLimit = errorLimit;
    repl.time = timeRun;
    for (const std::string &s : setOptions) {
      size_t eq = s.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "nnc: error: '--set " << s
                  << "' must have the form name=value\n";
        return ExitUsage;
      }
      repl.overrides.push_back({s.substr(0, eq), s.substr(eq + 1)});
    }
    return runRepl(repl);
  }
  FrontendOptions opts;
  opts.stdlibDir =
      stdlibDir.empty() ? std::string(NNC_STDLIB_DIR) : std::string(stdlibDir);
  if (const char *env = std::getenv("NNC_STDLIB"); env && stdlibDir.empty())
    opts.stdlibDir = env;
  for (const std::string &s : setOptions) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "nnc: error: '--set " << s
                << "' must have the form name=value\n";
      return ExitUsage;
    }
    opts.sema.overrides.push_back({s.substr(0, eq), s.substr(eq + 1)});
  }
  opts.sema.recordTypes = emit == Emit::Typed;

  Frontend fe(opts);
  DiagnosticEngine &diags = fe.getDiagnostics();
  diags.setErrorLimit(errorLimit);
  bool color =
      colorOpt == "always" || (colorOpt == "auto" && isatty(STDERR_FILENO) &&
                               std::getenv("NO_COLOR") == nullptr);
  diags.setColor(color);
  CrashContext::sourceManager = &fe.getSourceManager();
  Verifier verifier(fe.getSourceManager());
  if (verifyDiags) {
    diags.setErrorLimit(0);
    diags.setConsumer([&](const Diagnostic &d) { verifier.record(d); });
  }

  auto finish = [&](bool ok) {
    if (verifyDiags)
      return verifier.verify(std::cerr) ? ExitOK : ExitUserError;
    diags.printSummary();
    return ok && !diags.hasErrors() ? ExitOK : ExitUserError;
  };

  if (emit == Emit::Tokens) {
    CrashContext::stage = "reading tokens";
    std::string err;
    std::optional<FileID> id = fe.getSourceManager().loadFile(inputFile, err);
    if (!id) {
      diags.error({}, "cannot read '" + inputFile + "': " + err);
      return finish(false);
    }
    std::vector<TokenInfo> tokens;
    bool ok = tokenize(*id, fe.getSourceManager(), diags, tokens);
    for (const TokenInfo &t : tokens) {
      LineCol lc =
          fe.getSourceManager().getLineCol(t.range.file, t.range.begin);
      std::string text = t.kind == "NL" ? "\\n" : t.text;
      std::cout << lc.line << ":" << lc.col << " " << t.kind << " '" << text
                << "'\n";
    }
    return finish(ok);
  }

  CrashContext::stage = "parsing";
  StageTimes stages;
  auto checkStart = std::chrono::steady_clock::now();
  if (!fe.load(inputFile))
    return finish(false);
  if (debugCrash)
    std::raise(SIGSEGV);
  if (emit == Emit::AST) {
    dumpAST(*fe.getMain(), fe.getSourceManager(), std::cout);
    return finish(true);
  }
  CrashContext::stage = "checking";
  bool ok = fe.check();
  stages.check = secondsSince(checkStart);
  if (emit == Emit::Typed && ok)
    fe.getSema().dumpTypes(std::cout);
  if ((verb == Verb::Run || verb == Verb::Build) && ok && emit == Emit::None) {
    CrashContext::stage = "generating MLIR";
    mlir::DialectRegistry registry;
    registerPipelineDialects(registry);
    mlir::MLIRContext context(registry);
    auto generateStart = std::chrono::steady_clock::now();
    mlir::OwningOpRef<mlir::ModuleOp> module = generateMLIR(
        context, *fe.getMain(), fe.getSema(), fe.getSourceManager(), diags);
    if (!module)
      return finish(false);
    auto lowerStart = std::chrono::steady_clock::now();
    stages.generate = secondsSince(generateStart);
    int status = ExitInternal;
    bool lowered = lowerModule(*module, configSeed(fe.getSema()), diags);
    stages.lower = secondsSince(lowerStart);
    if (lowered)
      status = verb == Verb::Run ? runModule(*module, checkStart, stages, diags)
                                 : buildProgram(*module, outputFile, diags);
    if (status == ExitInternal)
      diags.printSummary();
    return status;
  }
  if (emit >= Emit::NN && ok) {
    CrashContext::stage = "generating MLIR";
    mlir::DialectRegistry registry;
    registerPipelineDialects(registry);
    mlir::MLIRContext context(registry);
    mlir::OwningOpRef<mlir::ModuleOp> module = generateMLIR(
        context, *fe.getMain(), fe.getSema(), fe.getSourceManager(), diags);
    if (!module)
      return finish(false);
    CrashContext::stage = "differentiating and lowering";
    Stage last = emit == Emit::NN         ? Stage::NN
                 : emit == Emit::Autodiff ? Stage::Autodiff
                 : emit == Emit::Linalg   ? Stage::Linalg
                                          : Stage::LLVM;
    if (mlir::failed(runPipeline(
            *module, scriptPipeline(configSeed(fe.getSema()), last))))
      return finish(false);
    module->print(llvm::outs());
    llvm::outs().flush();
  }
  return finish(ok);
}

struct ThreadArgs {
  Verb verb;
  int result;
};

void *threadMain(void *p) {
  auto *args = static_cast<ThreadArgs *>(p);
  args->result = runJob(args->verb);
  return nullptr;
}

} // namespace

/// Moves the command (`check`, `run`, `build`, `repl`) to the front of
/// \p args when options come before it (`nnc --quiet run x.nn`): the first
/// argument that is neither an option nor the value of the option before it
/// is the command or the script.
void commandFirst(std::vector<const char *> &args) {
  const llvm::StringMap<cl::Option *> &known = cl::getRegisteredOptions();
  for (size_t i = 1; i < args.size(); ++i) {
    llvm::StringRef arg = args[i];
    if (arg == "--")
      return;
    if (!arg.starts_with("-")) {
      if (i > 1 &&
          (arg == "check" || arg == "run" || arg == "build" || arg == "repl")) {
        const char *verb = args[i];
        args.erase(args.begin() + i);
        args.insert(args.begin() + 1, verb);
      }
      return;
    }
    llvm::StringRef name = arg.ltrim('-');
    if (name.contains('='))
      continue;
    auto it = known.find(name);
    if (it != known.end() &&
        it->second->getValueExpectedFlag() == cl::ValueRequired)
      ++i; // the option's value
  }
}

int main(int argc, char **argv) {
  installCrashHandlers();
  // `nnc check FILE ...`: the verb comes first.
  std::vector<const char *> args(argv, argv + argc);
  commandFirst(args);
  Verb verb = Verb::None;
  if (args.size() > 1 && std::strcmp(args[1], "repl") == 0) {
    verb = Verb::Repl;
    args.erase(args.begin() + 1);
  } else if (args.size() > 1 && (std::strcmp(args[1], "check") == 0 ||
                                 std::strcmp(args[1], "run") == 0 ||
                                 std::strcmp(args[1], "build") == 0)) {
    verb = std::strcmp(args[1], "run") == 0     ? Verb::Run
           : std::strcmp(args[1], "build") == 0 ? Verb::Build
                                                : Verb::Check;
    args.erase(args.begin() + 1);
  } else if (args.size() > 1 && args[1][0] != '-' &&
             std::strcmp(args[1] + std::strlen(args[1]) -
                             std::min<size_t>(3, std::strlen(args[1])),
                         ".nn") != 0) {
    std::cerr
        << "nnc: error: unknown command '" << args[1]
        << "'\nusage: nnc check FILE [--set name=value]...\n"
           "       nnc run FILE [--set name=value]... [--max-steps N]\n"
           "       nnc build FILE -o PROGRAM [--set name=value]...\n"
           "       nnc repl [FILE]\n"
           "       nnc --emit=tokens|ast|typed|nn|autodiff|linalg|llvm FILE\n";
    return ExitUsage;
  }
  cl::HideUnrelatedOptions(nncCategory);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "nnc " << NNC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  std::string errors;
  llvm::raw_string_ostream errs(errors);
  if (!cl::ParseCommandLineOptions(
          static_cast<int>(args.size()), args.data(),
          "nnc: compiler for the .nn neural-network training language\n\n"
          "  nnc check FILE            check a script without running it\n"
          "  nnc run FILE              compile the script and run it\n"
          "  nnc build FILE -o PROG    compile the script into a program\n"
          "  nnc repl [FILE]           an interactive session (FILE: load it "
          "first)\n"
          "  nnc --emit=STAGE FILE     print a stage: tokens, ast, typed, nn, "
          "autodiff, linalg, llvm\n",
          &errs)) {
    errs.flush();
    std::cerr << errors;
    return ExitUsage;
  }
  if (inputFile.empty() && verb != Verb::Repl) {
    std::cerr << "nnc: error: no input file\nusage: nnc check FILE "
                 "[--set name=value]...\n";
    return ExitUsage;
  }
  if (colorOpt != "auto" && colorOpt != "always" && colorOpt != "never") {
    std::cerr << "nnc: error: --diagnostics-color takes auto, always or "
                 "never, but it is '"
              << colorOpt << "'\n";
    return ExitUsage;
  }
  if ((verb == Verb::Run || verb == Verb::Build) && emit != Emit::None) {
    std::cerr << "nnc: error: --emit prints a stage and runs nothing, so it "
                 "is not an option of 'nnc "
              << (verb == Verb::Run ? "run" : "build")
              << "': use 'nnc --emit=STAGE FILE'\n";
    return ExitUsage;
  }
  for (cl::opt<std::string> *path : {&saveInit, &saveFinal, &statePath,
                                     &resumePath, &outputFile, &stdlibDir})
    if (path->getNumOccurrences() && path->empty()) {
      std::cerr << "nnc: error: " << (path->ArgStr.size() == 1 ? "-" : "--")
                << path->ArgStr.str() << " needs a path, but it is empty\n";
      return ExitUsage;
    }
  if (verb == Verb::None && emit == Emit::None) {
    std::cerr << "nnc: error: nothing to do: use 'nnc check FILE', 'nnc run "
                 "FILE' or '--emit=STAGE'\n";
    return ExitUsage;
  }
  if (verb == Verb::Repl &&
      (emit != Emit::None || verifyDiags || maxSteps.getNumOccurrences() ||
       saveInit.getNumOccurrences() || saveFinal.getNumOccurrences())) {
    std::cerr << "nnc: error: 'nnc repl' takes --stdlib, --set, --time and "
                 "an optional script to load\n";
    return ExitUsage;
  }
  if (verb != Verb::Run &&
      (maxSteps.getNumOccurrences() || saveInit.getNumOccurrences() ||
       saveFinal.getNumOccurrences() ||
       (timeRun.getNumOccurrences() && verb != Verb::Repl) ||
       statePath.getNumOccurrences() || resumePath.getNumOccurrences())) {
    std::cerr << "nnc: error: --max-steps, --save-init, --save-final, "
                 "--state, --resume and --time are options of 'nnc run'\n";
    return ExitUsage;
  }
  if (!dumpStage.empty() && !parseStage(dumpStage)) {
    std::cerr << "nnc: error: --dump-stage takes nn, autodiff, linalg or "
                 "llvm, not '"
              << dumpStage << "'\n";
    return ExitUsage;
  }
  if (resumeChanged && resumePath.empty()) {
    std::cerr << "nnc: error: --resume-changed goes with --resume\n";
    return ExitUsage;
  }
  if (verb != Verb::Run &&
      (progressMode.getNumOccurrences() || quiet.getNumOccurrences() ||
       metricsFile.getNumOccurrences() || plotFile.getNumOccurrences())) {
    std::cerr << "nnc: error: --progress, --quiet, --metrics and --plot are "
                 "options of 'nnc run'\n";
    return ExitUsage;
  }
  for (cl::opt<std::string> *path : {&metricsFile, &plotFile})
    if (path->getNumOccurrences() && path->empty()) {
      std::cerr << "nnc: error: --" << path->ArgStr.str() << " needs a path\n";
      return ExitUsage;
    }
  rt::RunOptions progressCheck;
  if (std::string problem = rt::setProgressOptions(
          progressCheck, progressMode, progressMode.getNumOccurrences() > 0,
          quiet, metricsFile, plotFile);
      !problem.empty()) {
    std::cerr << "nnc: error: " << problem << "\n";
    return ExitUsage;
  }
  progressCheck.statePath = statePath;
  progressCheck.saveInit = saveInit;
  progressCheck.saveFinal = saveFinal;
  progressCheck.resumePath = resumePath;
  if (std::string problem = rt::checkOutputPaths(progressCheck);
      !problem.empty()) {
    std::cerr << "nnc: error: " << problem << "\n";
    return ExitUsage;
  }
  if (verb == Verb::Build && outputFile.empty()) {
    std::cerr << "nnc: error: 'nnc build' needs the program to write: -o "
                 "PATH\n";
    return ExitUsage;
  }
  if (verb != Verb::Build &&
      (buildOptLevel.getNumOccurrences() || targetCPU.getNumOccurrences())) {
    std::cerr << "nnc: error: -O and --target-cpu are options of 'nnc build'\n";
    return ExitUsage;
  }
  if (buildOptLevel > 3) {
    std::cerr << "nnc: error: -O takes 0, 1, 2 or 3, but it is " +
                     std::to_string(buildOptLevel) + "\n";
    return ExitUsage;
  }
  if (verb == Verb::Build) {
    llvm::InitializeNativeTarget();
    std::string error;
    if (!makeTargetMachine(targetCPU, buildOptLevel, true, error)) {
      std::cerr << "nnc: error: --target-cpu: " << error << "\n";
      return ExitUsage;
    }
  }
  if (verb != Verb::Build && outputFile.getNumOccurrences()) {
    std::cerr << "nnc: error: -o is an option of 'nnc build'\n";
    return ExitUsage;
  }
  if (maxSteps.getNumOccurrences() && maxSteps < 0) {
    std::cerr << "nnc: error: --max-steps must be 0 or more, but it is "
              << maxSteps << "\n";
    return ExitUsage;
  }
  // Deeply nested input recurses deeply: run on a thread with a big stack.
  ThreadArgs targs{verb, ExitInternal};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512u << 20);
  pthread_t thread;
  if (pthread_create(&thread, &attr, threadMain, &targs) != 0)
    return runJob(verb);
  pthread_join(thread, nullptr);
  return targs.result;
}
