//===- Sema.h - The checker of .nn programs -----------------------*- C++
//-*-===//
//
// Sema checks a whole program before anything runs: names, host and tensor
// types, shapes with symbolic dimensions, dtypes, devices, call arity and
// named arguments, definite assignment, the uses of models, optimizers and
// datasets. Errors are reported clang-style through the DiagnosticEngine,
// with notes at the other places involved.
//
// Later stages (MLIRGen) read the result through TypedProgram: the type of
// every expression of every checked body, per instantiation.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_SEMA_SEMA_H
#define NNC_SEMA_SEMA_H

#include "nnc/AST/AST.h"
#include "nnc/Basic/Diagnostics.h"
#include "nnc/Sema/Types.h"

#include <deque>
#include <map>
#include <unordered_map>

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace nnc {

struct SemaOptions {
  /// `--set name=value` overrides of config entries, in command-line order.
  std::vector<std::pair<std::string, std::string>> overrides;
  /// Directory against which relative data paths of the main script resolve.
  std::string scriptDir;
  /// Keep the type of every checked expression for dumpTypes().
  bool recordTypes = false;
};

class SemaImpl;

/// Read-only views of the checker's model and optimizer instances, for code
/// generation.
/// The instance's name in checkpoints: `net`, `net.fc1`.
std::string modelPath(const ModelInstance *m);
/// The constructor call it was made by: `Linear(784, 256)`.
std::string modelLabel(const ModelInstance *m);
/// Its trainable tensors in declaration order, named relative to the
/// instance (`fc1.weight`, `fc1.bias`, ...), with their types.
std::vector<std::pair<std::string, Type>>
modelParameters(const ModelInstance *m);
/// Where each parameter of modelParameters() comes from: the instance that
/// declares it and the member's name there.
struct ParameterOwner {
  const ModelInstance *owner;
  std::string field;
};
std::vector<ParameterOwner> modelParameterOwners(const ModelInstance *m);
const ModelDecl *modelDecl(const ModelInstance *m);
/// The model an optimizer updates, its declaration, and the compile-time
/// value of a hyper-parameter or constant (`lr`), if known.
const ModelInstance *optimizerModel(const OptimizerInstance *o);
const OptimizerDecl *optimizerDecl(const OptimizerInstance *o);
std::optional<ConstVal> optimizerConstant(const OptimizerInstance *o,
                                          const std::string &name);
/// The parameter names of a builtin function, in order (empty if `name` is
/// not a builtin).
std::vector<std::string> builtinParamNames(const std::string &name);

/// One checked body: the script, or a function, model method or optimizer
/// update as instantiated for one signature of argument types. Later stages
/// generate code per CheckedBody from the AST and these tables.
struct CheckedBody {
  std::string label;                      ///< `MLP.forward(x: f32[B, 28, 28])`
  const FnSignature *signature = nullptr; ///< null for the script
  const ModelInstance *self = nullptr;    ///< a method's model instance
  /// An optimizer's update: the instance and the parameter type it was
  /// checked for (one body per distinct parameter shape).
  const OptimizerInstance *optimizer = nullptr;
  Type paramType;
  /// The type of every expression checked in this body, and its
  /// compile-time value where known.
  std::unordered_map<const Expr *, Type> types;
  std::unordered_map<const Expr *, ConstVal> consts;
  std::vector<const Expr *> order; ///< expressions in checking order
  /// For each call of a function or method: the instantiation it reached.
  std::unordered_map<const Expr *, const CheckedBody *> callees;
  /// For each `evaluate`: the model's forward and each metric's body (null
  /// for a builtin metric), in the order of the metrics.
  struct Evaluation {
    const CheckedBody *forward = nullptr;
    std::vector<const CheckedBody *> metrics;
  };
  std::unordered_map<const Expr *, Evaluation> evaluations;
};

class Sema {
public:
  Sema(const SourceManager &sm, DiagnosticEngine &diags);
  ~Sema();

  /// Checks `main` together with the modules it imported (in dependency
  /// order). Returns true if no error was reported.
  bool check(const std::vector<const Program *> &imports, const Program &main,
             const SemaOptions &options);

  /// `--emit=typed`: every checked expression with its type, grouped by the
  /// body (and instantiation) it was checked in.
  void dumpTypes(std::ostream &os) const;

  /// A type as diagnostics spell it, symbols by name: `f32[B, 784]`
  /// (`nnc repl`'s `:type`).
  std::string typeName(const Type &t) const;

  /// Every checked body; the first is the script.
  const std::deque<CheckedBody> &getBodies() const;
  /// The body in which a model instance's members (its `let`s and the
  /// initialisers of its parameters) were checked.
  const CheckedBody *constructionBody(const ModelInstance *m) const;

  /// The config entries after overrides, as `name = value` lines (for
  /// `--help` of built programs and tests).
  std::vector<std::pair<std::string, std::string>> configValues() const;
  /// Every name expression that refers to a config entry, with the entry's
  /// name (for `nnc build`: an entry whose every use is a number of the
  /// host program can be changed when the program runs).
  const std::unordered_map<const Expr *, std::string> &configRefs() const;
  /// The config entries' types (int, float, bool, str, device), by name.
  std::map<std::string, Type> configTypes() const;

private:
  std::unique_ptr<SemaImpl> impl;
};

} // namespace nnc

#endif // NNC_SEMA_SEMA_H
