//===- Repl.cpp - `nnc repl`, the interactive session ---------------------===//
//
// Statements and expressions are compiled and run one input at a time over
// the same JIT as `nnc run`, and what they define stays alive:
//
//   1. An input is a line, or the lines up to where the brackets it opened
//      close (a block). It becomes a source buffer of its own, padded with
//      newlines (and spaces for a command's argument) so that diagnostics
//      give the session's line and column.
//   2. The checker sees the whole session: the accepted inputs' buffers and
//      the new one, parsed as one script (Frontend::loadBuffers), so types,
//      symbolic shapes and compile-time constants carry over. Diagnostics
//      are shown for the new input only; an input with an error is dropped
//      and the session goes on as it was.
//   3. Only the new input is compiled (generateReplMLIR, ReplGen.cpp): its
//      top-level statements become `@nnc_repl`, in a module of its own with
//      its own ExecutionEngine. The session's variables live in public
//      globals defined by the module of the input that declared them; later
//      modules declare them external, and their addresses (looked up in the
//      defining engine, which the session keeps) go to the new engine with
//      the runtime's symbols. Nothing earlier runs again.
//   4. Commands: `:type`, `:grad`, `:emit` check (and compile) an
//      expression against the session without keeping it; `:load` runs a
//      file's statements into the session; `:reset` starts over.
//
// On a terminal, input comes through libedit (line editing, history in
// ~/.nnc_history); otherwise stdin is read as a script, without prompts.
//
//===----------------------------------------------------------------------===//

#include "Repl.h"

#include "nnc/Basic/CrashContext.h"
#include "nnc/Conversion/Pipeline.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/MLIRGen/MLIRGen.h"
#include "nnc/Parse/Parser.h"
#include "nnc/runtime/HostABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <unistd.h>

#include <editline/readline.h>

using namespace nnc;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

/// The longest line the REPL reads from a pipe or file: the parser's line
/// limit, so that input without newlines (`nnc repl < /dev/zero`) ends the
/// session instead of filling memory.
constexpr size_t maxInputLine = ParseLimits().maxLineBytes;

enum class LineRead { Line, End, TooLong };

/// Reads one line of \p in (without its newline) into \p text, at most
/// maxInputLine bytes of it.
LineRead readInputLine(std::istream &in, std::string &text) {
  text.clear();
  std::streambuf *buf = in.rdbuf();
  for (;;) {
    int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof())
      return text.empty() ? LineRead::End : LineRead::Line;
    if (c == '\n')
      return LineRead::Line;
    if (text.size() == maxInputLine)
      return LineRead::TooLong;
    text.push_back(char(c));
  }
}

/// Brackets opened and not closed in \p text, outside strings and comments:
/// an input goes on while this is positive.
int openBrackets(const std::string &text) {
  int depth = 0;
  bool inString = false, comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (comment) {
      comment = c != '\n';
      continue;
    }
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"' || c == '\n')
        inString = false;
      continue;
    }
    if (c == '#')
      comment = true;
    else if (c == '"')
      inString = true;
    else if (c == '{' || c == '(' || c == '[')
      ++depth;
    else if (c == '}' || c == ')' || c == ']')
      --depth;
  }
  return depth;
}

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

const char *helpText =
    "Statements and expressions run one at a time; what they define stays.\n"
    "An expression prints its value. A line that leaves a '{', '(' or '['\n"
    "open goes on with a '...' prompt.\n"
    "\n"
    "  :type EXPR                  the type of EXPR (dtype and shape)\n"
    "  :grad EXPR wrt NAME         the gradient of the scalar EXPR with\n"
    "                              respect to the tensor variable NAME, or\n"
    "                              to the parameters of the model NAME\n"
    "  :emit nn|autodiff|llvm EXPR the compiled code of EXPR at that stage\n"
    "  :load FILE                  run the statements of a .nn file here\n"
    "  :reset                      forget everything defined so far\n"
    "  :help                       this text\n"
    "  :quit                       leave (so does end of input, Ctrl-D)\n";

enum class Mode { Run, Type, Grad, EmitNN, EmitAutodiff, EmitLLVM };

/// One input for the session: the buffer to check and what to do with it.
struct Request {
  Mode mode = Mode::Run;
  std::string name; ///< buffer name: <stdin> or a file
  std::string text; ///< padded to the session's line and column
  std::string wrt;  ///< :grad
};

class Session {
public:
  explicit Session(const ReplOptions &options) : opts(options) {
    registerPipelineDialects(registry);
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    reset();
  }

  /// Handles one complete input starting on session line \p line. Returns
  /// false after an error.
  bool handle(const std::string &input, unsigned line);
  bool quit = false;

private:
  bool evaluate(const Request &r);
  bool command(const std::string &input, unsigned line);
  void reset();
  /// Shows the diagnostics of the new buffer (all errors if the new buffer
  /// has none, which happens when it makes an earlier input wrong).
  void report(DiagnosticEngine &diags, const std::vector<Diagnostic> &all,
              FileID fresh, const std::vector<SourceRange> &quiet);
  bool lower(mlir::ModuleOp module, Mode mode, uint64_t seed);
  bool run(mlir::ModuleOp module, ReplInput &in, DiagnosticEngine &diags);

  ReplOptions opts;
  mlir::DialectRegistry registry;
  std::unique_ptr<mlir::MLIRContext> context;
  std::function<llvm::Error(llvm::Module *)> optimizer;
  std::vector<std::pair<std::string, std::string>> accepted;
  std::vector<std::unique_ptr<mlir::ExecutionEngine>> engines;
  std::map<std::string, void *> symbols; ///< the session's globals
  int64_t nextStream = 0;
  unsigned inputs = 0;
};

void Session::reset() {
  engines.clear();
  symbols.clear();
  accepted.clear();
  nextStream = 0;
  context = std::make_unique<mlir::MLIRContext>(registry);
  context->loadAllAvailableDialects();
  mlir::registerBuiltinDialectTranslation(*context);
  mlir::registerLLVMDialectTranslation(*context);
  // Relative paths resolve against the working directory.
  nnc_rt_init(0);
  nnc_rt_set_script_dir("");
}

bool Session::handle(const std::string &input, unsigned line) {
  std::string t = trim(input);
  if (t.empty())
    return true;
  if (t[0] == ':')
    return command(input, line);
  Request r;
  r.name = "<stdin>";
  // Without the last newline, the end of the input is on its last line
  // (`let y = x +` ends after the '+', not on the next line).
  r.text = std::string(line ? line - 1 : 0, '\n') +
           input.substr(0, input.find_last_not_of('\n') + 1);
  return evaluate(r);
}

bool Session::command(const std::string &input, unsigned line) {
  size_t start = input.find(':');
  size_t end = input.find_first_of(" \t\n", start);
  std::string word =
      input.substr(start, end == std::string::npos ? end : end - start);
  size_t argAt = end == std::string::npos ? input.size()
                                          : input.find_first_not_of(" \t", end);
  if (argAt == std::string::npos)
    argAt = input.size();
  std::string arg = input.substr(argAt);
  auto padded = [&](size_t column, const std::string &text) {
    return std::string(line ? line - 1 : 0, '\n') + std::string(column, ' ') +
           text;
  };
  auto usage = [&](const std::string &msg) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", msg.c_str());
    return false;
  };
  if (word == ":quit" || word == ":q" || word == ":exit") {
    quit = true;
    return true;
  }
  if (word == ":help" || word == ":h" || word == ":?") {
    std::fputs(helpText, stdout);
    std::fflush(stdout);
    return true;
  }
  if (word == ":reset") {
    reset();
    std::puts("the session is empty");
    std::fflush(stdout);
    return true;
  }
  if (word == ":load") {
    std::string path = trim(arg);
    if (path.empty())
      return usage("':load' needs a file: :load FILE");
    Request r;
    std::string err;
    if (!SourceManager::readFile(path, r.text, err))
      return usage("cannot read '" + path + "': " + err);
    r.name = path;
    return evaluate(r);
  }
  Request r;
  r.name = "<stdin>";
  if (word == ":type" || word == ":t") {
    if (trim(arg).empty())
      return usage("':type' needs an expression: :type EXPR");
    r.mode = Mode::Type;
    r.text = padded(argAt, arg);
    return evaluate(r);
  }
  if (word == ":grad") {
    size_t w = arg.rfind(" wrt ");
    if (w == std::string::npos || trim(arg.substr(w + 5)).empty())
      return usage("':grad' needs an expression and a name: :grad EXPR wrt "
                   "NAME");
    r.mode = Mode::Grad;
    r.wrt = trim(arg.substr(w + 5));
    r.text = padded(argAt, arg.substr(0, w));
    return evaluate(r);
  }
  if (word == ":emit") {
    size_t sp = arg.find_first_of(" \t");
    std::string stage = arg.substr(0, sp);
    size_t exprAt =
        sp == std::string::npos ? arg.size() : arg.find_first_not_of(" \t", sp);
    if (exprAt == std::string::npos)
      exprAt = arg.size();
    if (stage == "nn")
      r.mode = Mode::EmitNN;
    else if (stage == "autodiff")
      r.mode = Mode::EmitAutodiff;
    else if (stage == "llvm")
      r.mode = Mode::EmitLLVM;
    else
      return usage("':emit' needs a stage and an expression: :emit "
                   "nn|autodiff|llvm EXPR");
    if (trim(arg.substr(exprAt)).empty())
      return usage("':emit' needs an expression: :emit " + stage + " EXPR");
    r.text = padded(argAt + exprAt, arg.substr(exprAt));
    return evaluate(r);
  }
  return usage("unknown command '" + word + "'; ':help' lists the commands");
}

void Session::report(DiagnosticEngine &diags,
                     const std::vector<Diagnostic> &all, FileID fresh,
                     const std::vector<SourceRange> &quiet) {
  bool freshErrors = false;
  for (const Diagnostic &d : all)
    freshErrors |= d.severity == Severity::Error &&
                   (d.range.file == fresh || !d.range.isValid());
  std::string out;
  for (const Diagnostic &d : all) {
    bool mine = d.range.file == fresh || !d.range.isValid();
    if (!mine && (freshErrors || d.severity != Severity::Error))
      continue;
    bool silenced = false;
    for (const SourceRange &q : quiet)
      silenced |= d.severity == Severity::Warning && d.range.file == q.file &&
                  d.range.begin == q.begin && d.range.end == q.end;
    if (!silenced)
      out += diags.render(d);
  }
  if (out.empty())
    return;
  std::fflush(stdout);
  std::cerr << out << std::flush;
}

bool Session::evaluate(const Request &r) {
  Clock::time_point t0 = Clock::now();
  ++inputs;
  FrontendOptions fo;
  fo.stdlibDir = opts.stdlibDir;
  fo.sema.overrides = opts.overrides;
  Frontend fe(fo);
  DiagnosticEngine &diags = fe.getDiagnostics();
  diags.setErrorLimit(opts.errorLimit);
  diags.setColor(opts.color);
  std::vector<Diagnostic> collected;
  diags.setConsumer([&](const Diagnostic &d) { collected.push_back(d); });
  CrashContext::sourceManager = &fe.getSourceManager();
  struct ClearCrashContext {
    ~ClearCrashContext() { CrashContext::sourceManager = nullptr; }
  } clearCrashContext;

  std::vector<std::pair<std::string, std::string>> buffers = accepted;
  buffers.push_back({r.name, r.text});
  std::vector<FileID> ids;
  CrashContext::stage = "parsing";
  bool ok = fe.loadBuffers(buffers, ids);
  FileID fresh = ids.back();
  if (ok) {
    CrashContext::stage = "checking";
    ok = fe.check();
  }
  // The new items; a top-level expression's "unused" warning is moot here.
  const Program *main = fe.getMain();
  size_t firstItem = main ? main->items.size() : 0;
  std::vector<SourceRange> quiet;
  if (main)
    for (size_t i = 0; i < main->items.size(); ++i) {
      if (main->items[i]->range.file != fresh)
        continue;
      firstItem = std::min(firstItem, i);
      if (const auto *e = llvm::dyn_cast<ExprStmt>(main->items[i].get()))
        quiet.push_back(e->expr->range);
    }
  const Expr *single = nullptr;
  if (main && firstItem + 1 == main->items.size())
    if (const auto *e = llvm::dyn_cast<ExprStmt>(main->items[firstItem].get()))
      single = e->expr.get();
  const Sema &sema = fe.getSema();
  const CheckedBody *script =
      ok && !sema.getBodies().empty() ? &sema.getBodies().front() : nullptr;
  const Type *singleType = nullptr;
  if (single && script) {
    auto it = script->types.find(single);
    if (it != script->types.end())
      singleType = &it->second;
  }
  double checkMs = msSince(t0);
  // --time: one line per input, for bench/repl.sh.
  auto reportTime = [&](double check, double rest) {
    if (opts.time)
      std::fprintf(stderr,
                   "nnc: input %u: checked in %.1f ms, compiled and ran in "
                   "%.1f ms, %.1f ms in all\n",
                   inputs, check, rest, msSince(t0));
  };
  if (ok && r.mode != Mode::Run && !single) {
    diags.error({fresh, 0, 0}, "expected one expression");
    ok = false;
  }
  if (ok && r.mode == Mode::Grad && singleType &&
      !(singleType->isTensor() && singleType->shape.empty() &&
        isFloatDType(singleType->dtype))) {
    diags.error(single->range,
                "':grad' needs a scalar float expression, but it is " +
                    sema.typeName(*singleType));
    ok = false;
  }
  if (!ok || !script) {
    report(diags, collected, fresh, quiet);
    return false;
  }
  report(diags, collected, fresh, quiet);
  collected.clear();

  // A value with no run-time part (a model, a dataset) is described here.
  auto describe = [&]() -> std::string {
    if (!singleType)
      return "";
    if (singleType->kind == Type::Kind::Model) {
      std::string out = modelLabel(singleType->model);
      for (auto &[name, t] : modelParameters(singleType->model))
        out += "\n  " + name + ": " + sema.typeName(t);
      return out;
    }
    switch (singleType->kind) {
    case Type::Kind::Tensor:
    case Type::Kind::Int:
    case Type::Kind::Float:
    case Type::Kind::Bool:
    case Type::Kind::Str:
    case Type::Kind::Record:
    case Type::Kind::Void:
      return "";
    default:
      return sema.typeName(*singleType);
    }
  };
  if (r.mode == Mode::Type) {
    std::string t = singleType ? sema.typeName(*singleType) : "?";
    if (singleType && singleType->kind == Type::Kind::Model)
      t = describe();
    std::printf("%s\n", t.c_str());
    std::fflush(stdout);
    reportTime(checkMs, 0);
    return true;
  }

  ReplInput in;
  in.firstItem = firstItem;
  in.streamBase = nextStream;
  for (auto &[name, address] : symbols)
    in.known.push_back(name);
  if (r.mode == Mode::Grad) {
    in.gradOf = single;
    in.wrt = r.wrt;
  }
  CrashContext::stage = "generating MLIR";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      generateReplMLIR(*context, *main, sema, fe.getSourceManager(), diags, in);
  if (!module) {
    report(diags, collected, fresh, {});
    return false;
  }
  uint64_t seed = 0;
  for (auto &[k, v] : sema.configValues())
    if (k == "seed")
      seed = static_cast<uint64_t>(std::strtoll(v.c_str(), nullptr, 10));
  Clock::time_point t1 = Clock::now();
  if (!lower(*module, r.mode, seed)) {
    diags.error({}, "internal error: the input could not be compiled");
    report(diags, collected, fresh, {});
    return false;
  }
  if (r.mode == Mode::EmitNN || r.mode == Mode::EmitAutodiff ||
      r.mode == Mode::EmitLLVM) {
    module->print(llvm::outs());
    llvm::outs().flush();
    reportTime(checkMs, msSince(t1));
    return true;
  }
  if (!run(*module, in, diags)) {
    report(diags, collected, fresh, {});
    return false;
  }
  if (std::string d = describe(); !d.empty() && r.mode == Mode::Run) {
    std::printf("%s\n", d.c_str());
    std::fflush(stdout);
  }
  if (r.mode == Mode::Run) {
    accepted.push_back({r.name, r.text});
    nextStream = in.streamEnd;
  }
  reportTime(checkMs, msSince(t1));
  return true;
}

bool Session::lower(mlir::ModuleOp module, Mode mode, uint64_t seed) {
  CrashContext::stage = "compiling";
  PipelineOptions options;
  options.last = mode == Mode::EmitNN         ? Stage::NN
                 : mode == Mode::EmitAutodiff ? Stage::Autodiff
                                              : Stage::LLVM;
  options.entryPoints = {"nnc_repl"};
  options.seed = seed;
  options.pooledMemory = true; // the runtime's CPU device serves buffers
  return mlir::succeeded(runPipeline(module, options));
}

bool Session::run(mlir::ModuleOp module, ReplInput &in,
                  DiagnosticEngine &diags) {
  if (!optimizer) {
    std::string error;
    optimizer = makeHostOptimizer(error);
    if (!optimizer) {
      diags.error({}, "internal error: " + error);
      return false;
    }
  }
  mlir::ExecutionEngineOptions engineOptions;
  engineOptions.enablePerfNotificationListener = false;
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.transformer = optimizer;
  auto engine = mlir::ExecutionEngine::create(module, engineOptions);
  if (!engine) {
    diags.error({}, "internal error: " + llvm::toString(engine.takeError()));
    return false;
  }
  (*engine)->registerSymbols([&](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    for (const rt::HostSymbol &s : rt::hostABISymbols())
      map[interner(s.name)] = {llvm::orc::ExecutorAddr::fromPtr(s.address),
                               llvm::JITSymbolFlags::Exported};
    for (auto &[name, address] : symbols)
      map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                             llvm::JITSymbolFlags::Exported};
    return map;
  });
  auto entry = (*engine)->lookup("nnc_repl");
  if (!entry) {
    diags.error({}, "internal error: " + llvm::toString(entry.takeError()));
    return false;
  }
  std::map<std::string, void *> defined;
  for (const std::string &name : in.defined) {
    auto address = (*engine)->lookup(name);
    if (!address) {
      diags.error({}, "internal error: " + llvm::toString(address.takeError()));
      return false;
    }
    defined[name] = *address;
  }
  CrashContext::stage = "running the input";
  auto *fn = reinterpret_cast<int32_t (*)()>(*entry);
  fn();
  std::fflush(stdout);
  engines.push_back(std::move(*engine));
  for (auto &[name, address] : defined)
    symbols[name] = address;
  return true;
}

std::string historyPath() {
  const char *home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.nnc_history";
}

} // namespace

int nnc::runRepl(const ReplOptions &options) {
  bool tty = isatty(STDIN_FILENO);
  Session session(options);
  bool allOk = true;
  if (!options.loadFile.empty())
    allOk = session.handle(":load " + options.loadFile, 0);
  std::string history = historyPath();
  if (tty) {
    using_history();
    read_history(history.c_str());
    std::printf("nnc %s REPL - ':help' lists the commands, ':quit' leaves\n",
                NNC_VERSION);
    std::fflush(stdout);
  }
  std::string pending;
  unsigned line = 0, start = 0;
  while (!session.quit) {
    std::string text;
    if (tty) {
      char *l = readline(pending.empty() ? ">>> " : "... ");
      if (!l) {
        std::printf("\n");
        break;
      }
      text = l;
      std::free(l);
      if (!trim(text).empty()) {
        add_history(text.c_str());
        write_history(history.c_str());
      }
    } else {
      LineRead got = readInputLine(std::cin, text);
      if (got == LineRead::End)
        break;
      if (got == LineRead::TooLong) {
        std::fflush(stdout);
        std::fprintf(stderr,
                     "<stdin>:%u: error: the input line is longer than %zu "
                     "bytes, the longest line a script may have; the session "
                     "ends here\n",
                     line + 1, maxInputLine);
        return 1;
      }
    }
    ++line;
    if (pending.size() + text.size() >= SourceManager::maxFileBytes) {
      std::fflush(stdout);
      std::fprintf(stderr,
                   "<stdin>:%u: error: the input that starts here is longer "
                   "than %zu bytes, the largest a script may be; the session "
                   "ends here\n",
                   start, SourceManager::maxFileBytes);
      return 1;
    }
    if (pending.empty()) {
      if (trim(text).empty())
        continue;
      start = line;
    }
    pending += text + "\n";
    if (trim(pending)[0] != ':' && openBrackets(pending) > 0)
      continue;
    allOk = session.handle(pending, start) && allOk;
    pending.clear();
  }
  if (!pending.empty() && !session.quit)
    allOk = session.handle(pending, start) && allOk;
  return tty || allOk ? 0 : 1;
}
