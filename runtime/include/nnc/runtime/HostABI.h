//===- HostABI.h - The C ABI of the compiled host program -------*- C++ -*-===//
//
// The contract between MLIRGen's `@main` (the script around the training
// steps: loops, data, print, save/load, best/since_best, write) and the
// runtime. Everything that is not tensor math is a call to one of the
// `extern "C"` functions below, all prefixed `nnc_rt_`. This header is what
// MLIRGen codes against; the rules here are the whole contract.
//
// Each function's signature is also a line of HostABI.def, the one table of
// the ABI: the JIT's symbol table (hostABISymbols) is generated from it, a
// prototype here that differs from its line does not compile (HostABI.cpp),
// and MLIRGen declares every call from it and refuses one whose types
// differ (nnc/runtime/HostABITable.h, compiler/lib/MLIRGen/RuntimeABI.cpp).
// So adding a function is its prototype here, its definition and its line
// there.
//
// How the compiled module declares and calls them
// -----------------------------------------------
// * Scalar-only functions (every argument and result an integer, a float or
//   a pointer) are declared WITHOUT `llvm.emit_c_interface` and called by
//   their plain name, e.g.
//     func.func private @nnc_rt_print_i64(i64)
//   The runtime defines only the plain name for these.
// * Functions that take or return memrefs are declared WITH
//   `llvm.emit_c_interface`; the lowering then calls `_mlir_ciface_<name>`,
//   which is the only symbol the runtime defines for them (the plain-named
//   wrapper is generated, `private`, inside the module). The C interface
//   passes each memref argument as a pointer to its descriptor, and a memref
//   RESULT as a pointer to caller-provided storage for the descriptor, put
//   first, before the other arguments:
//     func.func private @nnc_rt_loader_x_f32_3(i64) -> memref<?x28x28xf32>
//         attributes {llvm.emit_c_interface}
//     -> void _mlir_ciface_nnc_rt_loader_x_f32_3(
//            StridedMemRefType<float, 3> *result, int64_t loader)
//   Ranked descriptors are `StridedMemRefType<T, N>` (CRunnerUtils.h):
//   {T *basePtr; T *data; int64_t offset; int64_t sizes[N];
//   int64_t strides[N]}. Unranked arguments (`memref<*xf32>`, made with
//   memref.cast) are `UnrankedMemRefType<T>` {int64_t rank; void *descriptor}
//   where descriptor points to a ranked descriptor of that rank.
// * MLIR types: i64 <-> int64_t, i32 <-> int32_t, f64 <-> double, i1 result
//   <-> bool, `!llvm.ptr` <-> `const char *`. Strings are NUL-terminated
//   (pointers to `llvm.mlir.global` constants); the runtime copies what it
//   keeps. Flags are passed as i32 (0 or 1; any non-zero is true), never as
//   i1, because an i1 argument's upper register bits are undefined in LLVM's
//   C calling convention.
// * From tensor code: declare the functions on memrefs (one-shot-bufferize
//   rejects a bodiless function that returns a tensor, and a tensor.cast to
//   an unranked tensor conflicts with later reads). A batch is
//   `%x = bufferization.to_tensor %m restrict`; a tensor to print, save or
//   write is `bufferization.to_memref %t` then memref.cast to memref<*xT>;
//   a parameter to load is a `memref.alloc`, the load call, then
//   `bufferization.to_tensor %buf restrict writable`.
//
// Memory ownership
// ----------------
// * Memref ARGUMENTS are borrowed for the duration of the call: the runtime
//   reads (print, save, write) or fills (load) them and keeps no pointer.
//   Any strides and offset are honoured.
// * Memref RESULTS (the loader's batches) are LENT BY THE RUNTIME: the
//   descriptor's `data` points into the loader's pool of batch buffers
//   (64-byte aligned, offset 0, identity row-major strides) and its
//   `basePtr` - the allocated pointer, which only deallocation uses - is
//   NULL. The CPU pipeline's ownership-based buffer deallocation assumes
//   that a call's memref result is owned and frees it with
//   `memref.dealloc`, which lowers to free(basePtr): free(NULL) does
//   nothing, so `bufferization.to_tensor %m restrict` (not writable: a
//   write into the batch makes a copy) needs no special handling, and no
//   batch is allocated or copied per step. The buffer stays valid and
//   unchanged until the next nnc_rt_loader_next, _start or _seek of the
//   same loader (or nnc_rt_finish), when the loader takes it back; the
//   generated code uses a batch only inside the loop iteration that got
//   it. Callers written in C++ may free(basePtr) as before.
//
// Errors
// ------
// Every error - a bad data file, a checkpoint that does not match the
// model, an unwritable output, a handle or rank the generated code got
// wrong - flushes stdout, prints one line to stderr,
//   [<location>: ]error: <what>
// where <location> is the last nnc_rt_set_location() string and <what>
// names the file, the line/sample/tensor and what is wrong, e.g.
//   mlp.nn:106:1: error: 'runs/mlp.safetensors': tensor 'fc1.weight' has
//   shape [128, 784], but the model expects [256, 784]
// and exits the process with status 1 (std::exit, so stdio is flushed). No
// function returns after an error, and none crashes or throws: an
// allocation failure is reported as "out of memory". Files are replaced
// atomically (temporary file, fsync, rename), so a checkpoint or CSV that
// was written before is never lost or left half-written.
//
// State
// -----
// The runtime keeps one process-global state (datasets, loaders, metric
// trackers, the print line, a pending save or load), created by
// nnc_rt_init() and released by nnc_rt_finish(). Handles of datasets and
// loaders are int64_t ids (1, 2, ...; never 0), plain i64 values for the
// generated code. Not thread-safe: call from one thread.
//
// Paths
// -----
// Every path argument (data files, checkpoints, CSV outputs) that is
// relative is resolved against the directory set by nnc_rt_set_script_dir()
// ("Relative paths are resolved next to the script"); with no script
// directory, against the current directory. Messages show the resolved
// path. Outputs (save, write) create missing parent directories.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_HOSTABI_H
#define NNC_RUNTIME_HOSTABI_H

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

extern "C" {

//===----------------------------------------------------------------------===//
// Run
//===----------------------------------------------------------------------===//

/// Starts a run: discards everything an earlier run left (datasets, loaders,
/// metric trackers, a pending save or load, a half-printed line, the script
/// directory, the location) and sets the run's \p seed, from which every
/// loader's shuffle order derives. Call first.
void nnc_rt_init(int64_t seed);

/// Ends a run: flushes stdout and releases all state. Returns the process
/// exit status for `@main` to return: 0, or 1 (after an error message) when
/// stdout could not be written or a save/load was begun and not ended.
int32_t nnc_rt_finish(void);

/// Sets the directory that relative paths are resolved against (usually
/// the script's directory). "" or NULL: the current directory.
void nnc_rt_set_script_dir(const char *dir);

/// Sets the source location that error messages start with, e.g.
/// "mlp.nn:99:3" for the statement about to run; NULL or "" clears it. The
/// string is copied. Optional; cheap enough to call before every statement
/// that may fail.
void nnc_rt_set_location(const char *location);

//===----------------------------------------------------------------------===//
// Run options: what the driver (`nnc run`) was asked for on its command
// line, set with nnc::rt::setRunOptions() before `@nnc_main` runs. They are
// not part of the run's state: nnc_rt_init() keeps them.
//===----------------------------------------------------------------------===//

/// `--max-steps N`: the number of optimizer steps after which every loop
/// that trains ends; -1 when there is no limit.
int64_t nnc_rt_max_steps(void);

/// `--save-init PATH`: where to write every model's parameters before the
/// first step; NULL when not asked for.
const char *nnc_rt_save_init_path(void);

/// `--save-final PATH`: where to write every model's parameters at the end
/// of the run; NULL when not asked for.
const char *nnc_rt_save_final_path(void);

/// Called after every optimizer step: with `--time`, the run ends with a
/// line on stderr giving the number of steps and the median time from one
/// step to the next (the whole training loop per step: batch assembly,
/// the step, the script's own statements; once-per-epoch work such as
/// validation falls outside the median).
void nnc_rt_step_done(void);

/// The loss of optimizer step \p step (counting from 1 over the run) is
/// NaN or infinite: reports it ("training diverged"), with advice, and exits
/// with 1. Checkpoints already written are left as they are.
void nnc_rt_loss_not_finite(int64_t step, double loss);

/// A batch holds class label \p label, outside [0, \p classes) of the loss
/// or metric that uses it (cross_entropy's one_hot): reports it with the
/// current location (the step or evaluate) and exits with 1, as PyTorch's
/// "Target N is out of bounds".
void nnc_rt_label_out_of_range(int64_t label, int64_t classes);

/// A size known only at run time (a batch) met a fixed size of the script
/// where broadcasting needs them equal (`y + zeros([4])` with a batch `y`):
/// reports "<location>: error: ..." with both sizes and exits with 1.
void nnc_rt_size_mismatch(int64_t size, int64_t expected, const char *location);

/// Integer arithmetic of host code went wrong where the checker's constant
/// folding would have refused it: \p op (one of `+ - * % ^`, `^` for `**`,
/// or `n` for negation) on \p x and \p y overflowed int's 64 bits, or `%`
/// met a zero divisor, or `**` a negative exponent. Reports
/// "<location>: error: ..." with the operation and its operands and exits
/// with 1.
void nnc_rt_int_error(int32_t op, int64_t x, int64_t y, const char *location);

/// `x as int` (or a float result read as an int) met \p value, which is NaN
/// or outside int's range: reports it at \p location and exits with 1.
void nnc_rt_to_int_error(double value, const char *location);

/// `x ** y` of two ints (\p y >= 0), with overflow reported as
/// nnc_rt_int_error does.
int64_t nnc_rt_pow_i64(int64_t x, int64_t y, const char *location);

//===----------------------------------------------------------------------===//
// Training progress: the progress bar or lines on stderr, the per-epoch
// summary, `--metrics PATH` (CSV) and `--plot PATH` (PNG); runtime/lib/
// progress/Progress.cpp and Plot.cpp, documented in docs/language.md.
//
// A training loop is a `for (x, y) in batches(...)` loop whose body runs a
// `step`; each run of it is one epoch:
//
//   nnc_rt_loader_start(%l, -1)
//   nnc_rt_epoch_begin(%l, %n, %N)        // epoch n of N (-1: not known)
//   loop: nnc_rt_loader_next(%l) ... step ... nnc_rt_step_loss(%loss)
//   nnc_rt_epoch_end(%l)
//   ... nnc_rt_epoch_metric("valid_loss", %m) for each metric of an
//       `evaluate` inside a loop that trains ...
//
// The progress output goes to stderr; the script's print to stdout. On a
// terminal, print clears the bar first and redraws it after its line.
//===----------------------------------------------------------------------===//

/// A training loop over loader \p loader starts epoch \p epoch (1-based;
/// -1: the loader's own count) of \p epochs (-1: not known). Ends the
/// previous epoch's summary line if it is still open.
void nnc_rt_epoch_begin(int64_t loader, int64_t epoch, int64_t epochs);

/// The training loop over \p loader ended (all batches, `break` or the
/// step budget): the epoch's row of --metrics is written and its summary
/// waits for the metrics of the evaluates that follow.
void nnc_rt_epoch_end(int64_t loader);

/// The loss of the optimizer step just taken (after nnc_rt_step_done); its
/// batch is the current batch of the running training loop, whose size
/// weights it in the epoch's mean train loss.
void nnc_rt_step_loss(double loss);

/// The value of metric \p name (e.g. "valid_accuracy") of an `evaluate` in
/// a loop that trains: a column of --metrics and a curve of --plot, for the
/// epoch that began last. Ignored before the first epoch.
void nnc_rt_epoch_metric(const char *name, double value);

//===----------------------------------------------------------------------===//
// Datasets
//
// A dataset holds n samples in memory: float32 features of a fixed shape,
// and targets that are either int64 class labels or float32 values. Every
// function returns a NEW dataset (its own copy of the data); the argument is
// unchanged, as datasets are values in the language. Ids stay valid until
// nnc_rt_dataset_release() or nnc_rt_finish().
//===----------------------------------------------------------------------===//

/// `idx(images, labels)`: loads an IDX image file and an IDX label file
/// (each raw or gzip, detected by content). Features have the image file's
/// shape without its first dimension (e.g. [28, 28]), unscaled; integer
/// label files give int64 labels, f32/f64 ones float targets, of the label
/// file's shape without its first dimension (usually []).
int64_t nnc_rt_dataset_idx(const char *images, const char *labels);

/// `csv(path, target, features, target_dtype)`: loads a CSV file with a
/// header line. The target column is \p targetIndex (0-based) when it is
/// >= 0, else the column named \p target. \p features lists the feature
/// columns, in the order wanted, separated by the ASCII unit separator
/// '\x1f' (so names may hold commas): names, or with \p featuresByIndex
/// 0-based decimal indices; "" or NULL means every column except the
/// target, in file order. With \p intTarget the target column must hold
/// integers >= 0 and the samples get int64 labels of shape [] (one class id
/// each); otherwise float targets of shape [1] (`f32[1]`, matching a
/// regression model's [B, 1] output). Features have shape [F]. The whole
/// file is read and validated here; when its samples take more than the
/// memory limit (NNC_DATA_MEMORY_LIMIT, CsvStream.h) the dataset is
/// streamed from the file instead of kept (its scalings, splits and
/// standardizations then apply as the rows are read).
int64_t nnc_rt_dataset_csv(const char *path, const char *target,
                           int64_t targetIndex, const char *features,
                           int32_t featuresByIndex, int32_t intTarget);

/// `npy(inputs, targets)`: loads two .npy files with the same first
/// dimension. Features: the inputs' shape without the first dimension,
/// converted to float32. Targets: float arrays give float32 targets,
/// integer and bool arrays int64 labels, of the targets' shape without the
/// first dimension ([] for a 1-d array).
int64_t nnc_rt_dataset_npy(const char *inputs, const char *targets);

/// `data * s`, `data / s`, `data + s`, `data - s`: a copy of dataset \p id
/// with every feature x replaced by float(x * mul + add), computed in
/// float32 with mul and add rounded to float first (`/ 255.0` is
/// mul = 1.0 / 255.0, add = 0). Targets are unchanged.
int64_t nnc_rt_dataset_scale(int64_t id, double mul, double add);

/// `split(data, fraction)`: part 0 is the first floor(n * fraction) samples
/// in file order (a product within 1e-9 of an integer counts as it), part
/// 1 the rest; \p part must be 0 or 1. The split is computed once per (id,
/// fraction): asking for both parts returns the same two ids every time, so
/// `data (a, b) = split(d, f)` is two calls and one copy of the data.
/// Error: the part asked for has no samples.
int64_t nnc_rt_dataset_split(int64_t id, double fraction, int32_t part);

/// `standardize(data, like = other)`: a copy of dataset \p id whose features
/// are (x - mean) / std per feature position, with the mean and population
/// standard deviation of dataset \p likeId (a std of 0 counts as 1).
/// \p likeId may be \p id (`standardize(data)`). Errors: different feature
/// shapes, or \p likeId has no samples.
int64_t nnc_rt_dataset_standardize(int64_t id, int64_t likeId);

/// `len(data)`: the number of samples of dataset \p id.
int64_t nnc_rt_dataset_size(int64_t id);

/// Frees dataset \p id's memory once the script no longer uses it (an
/// unscaled `idx(...)` after `/ 255.0`, say). Loaders made from it keep
/// their data; any later use of the id itself is an error.
void nnc_rt_dataset_release(int64_t id);

//===----------------------------------------------------------------------===//
// Loaders: `batches(data, size, shuffle = ..., drop_last = ...)`
//
// The protocol of `for (x, y) in batches(d, 64, shuffle = true) { ... }`:
//
//   %l = nnc_rt_loader(%d, 64, 1, 0)               // once, outside loops
//   nnc_rt_loader_start(%l, -1)                     // each time the loop
//   scf.while: %rows = nnc_rt_loader_next(%l)       //   starts; next epoch
//              condition %rows > 0
//     %x = nnc_rt_loader_x_f32_3(%l) : memref<?x28x28xf32>   // lent
//     %y = nnc_rt_loader_y_i64_1(%l) : memref<?xi64>         // lent
//     ... body ...
//
// Batch k of an epoch holds samples k*batch .. k*batch + batch - 1 of the
// epoch's order: file order, or with shuffling the permutation that depends
// only on (seed, epoch) (nnc::rt::BatchLoader; for a streamed CSV dataset
// the block/window order of Prefetch.h; reproducible and resumable). The
// last batch may be short unless dropLast. The x/y functions may be called
// any number of times per batch; each call lends the same buffer (see
// "Memory ownership"). The loader assembles the next batches on a
// background thread (NNC_PREFETCH=0: on the caller's, when asked); the
// batches are the same either way. An error met while assembling a batch
// is reported by the nnc_rt_loader_next that asks for it.
//===----------------------------------------------------------------------===//

/// Names the call site (a stable name within the program) of the loader
/// that the next nnc_rt_loader() creates, by which a training state
/// records it ("nnc.loaders").
void nnc_rt_loader_site(const char *site);

/// Creates a loader over dataset \p dataset with batches of \p batch (>= 1)
/// samples; shuffled when \p shuffle, the short last batch dropped when
/// \p dropLast. It shuffles with the run's seed (nnc_rt_init). It is
/// positioned at the start of epoch 0.
int64_t nnc_rt_loader(int64_t dataset, int64_t batch, int32_t shuffle,
                      int32_t dropLast);

/// Starts epoch \p epoch (>= 0) at its first batch; a negative \p epoch
/// means the next one: 0 on the loader's first start, then the previous
/// started epoch + 1. Forgets the current batch.
void nnc_rt_loader_start(int64_t loader, int64_t epoch);

/// Moves to batch \p batchIndex (clamped to [0, number of batches]) of the
/// current epoch, for resuming a run mid-epoch. Forgets the current batch.
void nnc_rt_loader_seek(int64_t loader, int64_t batchIndex);

/// The number of batches in an epoch.
int64_t nnc_rt_loader_num_batches(int64_t loader);

/// Advances to the next batch of the epoch and returns its number of rows
/// (samples), or 0 at the end of the epoch (and every call after it, until
/// the next start).
int64_t nnc_rt_loader_next(int64_t loader);

/// Checks, once per loader and class count, that every class label of the
/// loader's dataset (the whole dataset, not just the batches a run gets
/// to) lies in [0, \p classes), the classes of \p user ("the loss", ...)
/// at \p location. Called before the first step or evaluation that feeds
/// the loader's labels to cross_entropy or accuracy, so that a bad label
/// stops the run at once, naming the labels' file and the sample:
/// "<location>: error: 'labels.idx': sample 5 has the class label 12, but
/// the loss here has 3 classes (labels 0..2)"; exits with 1.
void nnc_rt_loader_check_labels(int64_t loader, int64_t classes,
                                const char *location, const char *user);

/// The current batch's features, lent (see "Memory ownership"): shape [rows,
/// feature shape...], so the rank R is 1 + the rank of one sample's features.
/// Errors: no current batch (next() was not called or returned 0), or R does
/// not match the dataset.
void _mlir_ciface_nnc_rt_loader_x_f32_1(StridedMemRefType<float, 1> *result,
                                        int64_t loader);
void _mlir_ciface_nnc_rt_loader_x_f32_2(StridedMemRefType<float, 2> *result,
                                        int64_t loader);
void _mlir_ciface_nnc_rt_loader_x_f32_3(StridedMemRefType<float, 3> *result,
                                        int64_t loader);
void _mlir_ciface_nnc_rt_loader_x_f32_4(StridedMemRefType<float, 4> *result,
                                        int64_t loader);
void _mlir_ciface_nnc_rt_loader_x_f32_5(StridedMemRefType<float, 5> *result,
                                        int64_t loader);

/// The current batch's int64 labels, lent, of shape
/// [rows, target shape...] (rank 1 for class ids). Errors as for x, and a
/// dataset with float targets.
void _mlir_ciface_nnc_rt_loader_y_i64_1(StridedMemRefType<int64_t, 1> *result,
                                        int64_t loader);
void _mlir_ciface_nnc_rt_loader_y_i64_2(StridedMemRefType<int64_t, 2> *result,
                                        int64_t loader);
void _mlir_ciface_nnc_rt_loader_y_i64_3(StridedMemRefType<int64_t, 3> *result,
                                        int64_t loader);

/// The current batch's targets as float32, lent, of shape [rows, target
/// shape...] (rank 2 for a CSV regression target, [rows, 1]). Int64 labels are
/// converted to float.
void _mlir_ciface_nnc_rt_loader_y_f32_1(StridedMemRefType<float, 1> *result,
                                        int64_t loader);
void _mlir_ciface_nnc_rt_loader_y_f32_2(StridedMemRefType<float, 2> *result,
                                        int64_t loader);
void _mlir_ciface_nnc_rt_loader_y_f32_3(StridedMemRefType<float, 3> *result,
                                        int64_t loader);

//===----------------------------------------------------------------------===//
// Printing: `print(a, b, ...)`
//
// Each value is one call; the first value of a line is printed as is, every
// later one after a single space; nnc_rt_print_end() ends the line ("\n")
// and flushes stdout. So print("epoch", 3, 0.5) is print_str, print_i64,
// print_f64, print_end and gives "epoch 3 0.5".
//===----------------------------------------------------------------------===//

/// Prints the string \p s as is (no quotes).
void nnc_rt_print_str(const char *s);

/// Prints an int in decimal: -12.
void nnc_rt_print_i64(int64_t value);

/// Prints a float as Python's repr does: the shortest digits that read back
/// as the same double; fixed notation with at least one digit after the
/// point when 1e-4 <= |v| < 1e16, else d.ddde-XX: 0.1, 3.0, 1e-05, 1e+16,
/// -0.0, inf, -inf, nan.
void nnc_rt_print_f64(double value);

/// Prints a bool as the language spells it: true or false (\p value != 0).
void nnc_rt_print_bool(int32_t value);

/// Prints a tensor as PyTorch does (precision 4, line width 80, summarised
/// with 3 edge items when it has more than 1000 elements), followed by its
/// shape for rank >= 1:
///   tensor([[ 0.1000, -2.0000],
///           [ 3.5000,  4.0000]], shape=[2, 2])
///   tensor(0.6931)
///   tensor([1., 2.], shape=[2])
/// Fixed or scientific notation and integer mode follow PyTorch's
/// _Formatter; nan and inf print as nan, inf, -inf. f64 tensors add
/// ", dtype=f64"; i64 elements print as integers, i1 as true/false.
void _mlir_ciface_nnc_rt_print_tensor_f32(UnrankedMemRefType<float> *tensor);
void _mlir_ciface_nnc_rt_print_tensor_f64(UnrankedMemRefType<double> *tensor);
void _mlir_ciface_nnc_rt_print_tensor_i64(UnrankedMemRefType<int64_t> *tensor);
/// i1 memrefs hold one byte per element; non-zero is true.
void _mlir_ciface_nnc_rt_print_tensor_i1(UnrankedMemRefType<uint8_t> *tensor);

/// Ends the line: prints "\n" and flushes stdout.
void nnc_rt_print_end(void);

//===----------------------------------------------------------------------===//
// Metrics: `best(value, mode = ...)`, `since_best(value, mode = ...)`
//
// Each call site of best/since_best in the script has its own tracker,
// named by \p site, a number MLIRGen assigns (unique per call site). A
// value is the best when it is strictly better than every earlier value at
// that site (lower, or higher with \p modeMax); the first value is the best
// unless it is NaN, and NaN is never the best.
//===----------------------------------------------------------------------===//

/// True when \p value is the best so far at \p site (see above).
bool nnc_rt_best(int64_t site, double value, int32_t modeMax);

/// The number of calls at \p site since the last one whose value was the
/// best: 0 when \p value is the best, 1 on the next call if it is not, ...
/// (With only NaNs so far: the number of calls.)
int64_t nnc_rt_since_best(int64_t site, double value, int32_t modeMax);

//===----------------------------------------------------------------------===//
// Checkpoints: `save net to PATH`, `load net from PATH`
//
// save: nnc_rt_save_begin(path), one nnc_rt_save_<dtype>(name, tensor) per
// parameter (PyTorch's state-dict names, "fc1.weight"), nnc_rt_save_end().
// The file is a safetensors file with metadata {"format": "pt"}, so that
// safetensors.torch.load_file reads it; written atomically at save_end.
//
// load: nnc_rt_load_begin(path, model) reads and validates the whole file
// (checksums, when nnc wrote it), nnc_rt_load_<dtype>(name, buffer) fills
// each parameter's buffer, nnc_rt_load_end() checks that every tensor of
// the file was loaded (as PyTorch's strict load_state_dict does). A file
// may name the parameters as `save` does ("fc1.weight") or as --save-final
// does, after the model variable ("net.fc1.weight"; the other models of
// such a file are ignored).
//
// Only one save or load is open at a time; a begin while one is open, or a
// tensor call or an end with none open, is an error.
//===----------------------------------------------------------------------===//

/// Starts a checkpoint to \p path.
void nnc_rt_save_begin(const char *path);

/// Adds tensor \p name with \p tensor's shape and elements, copied out in C
/// order at once (any strides; the buffer may change or be freed after the
/// call). Errors: an empty or duplicate name.
void _mlir_ciface_nnc_rt_save_f32(const char *name,
                                  UnrankedMemRefType<float> *tensor);
void _mlir_ciface_nnc_rt_save_f64(const char *name,
                                  UnrankedMemRefType<double> *tensor);
void _mlir_ciface_nnc_rt_save_i64(const char *name,
                                  UnrankedMemRefType<int64_t> *tensor);
/// Booleans (memref<i1>, one byte per element) as safetensors BOOL.
void _mlir_ciface_nnc_rt_save_i1(const char *name,
                                 UnrankedMemRefType<uint8_t> *tensor);

/// Writes the checkpoint atomically (creating missing parent directories).
/// On failure the old file at the path, if any, is untouched.
void nnc_rt_save_end(void);

/// Opens the checkpoint at \p path for the model variable \p model: reads
/// and validates the whole file.
void nnc_rt_load_begin(const char *path, const char *model);

/// Copies tensor \p name of the open checkpoint into \p tensor's buffer
/// (any strides). Errors, naming the file and the tensor: no tensor of that
/// name (listing the names the file has), a different dtype (F32/F64/I64),
/// a different shape (expected and found), both "name" and
/// "<model>.name" in the file (ambiguous), a NaN or infinite weight (`load`;
/// a training state's values are restored as saved) or a BOOL other than 0
/// or 1.
void _mlir_ciface_nnc_rt_load_f32(const char *name,
                                  UnrankedMemRefType<float> *tensor);
void _mlir_ciface_nnc_rt_load_f64(const char *name,
                                  UnrankedMemRefType<double> *tensor);
void _mlir_ciface_nnc_rt_load_i64(const char *name,
                                  UnrankedMemRefType<int64_t> *tensor);
void _mlir_ciface_nnc_rt_load_i1(const char *name,
                                 UnrankedMemRefType<uint8_t> *tensor);

/// Closes the checkpoint. Error: a tensor of the file that no load call
/// asked for ("unexpected tensor").
void nnc_rt_load_end(void);

//===----------------------------------------------------------------------===//
// Training state: `--state PATH` and `--resume PATH`
//
// A training state is a safetensors file with everything a run needs to go
// on exactly where it was: every model's parameters (PyTorch's names), the
// optimizers' state and step counters, the script's variables, loop
// counters and loader positions (the program's memref.globals, by symbol
// name), and the runtime's best()/since_best() trackers
// ("nnc.tracker.<site>", F64[3]). Its metadata marks it as a state
// ("nnc.training_state": "1") and records the resume point (which place in
// the script it was written at), the step count, and the program's layout:
// "name:type;..." of every global, so that a state of another script is
// refused, naming what differs. It also records what the run was made of:
// the seed ("nnc.seed"), each data file's size and XXH3 ("nnc.data") and
// each loader's batch size, shuffle, drop_last and sample count
// ("nnc.loaders"), in the order the run opened them; a resumed run that
// differs is refused, saying what changed, unless `--resume-changed`. Every
// counter is checked against the program before the run goes on.
//
// Writing: `if (nnc_rt_state_wanted(budgetStop))` then
// nnc_rt_state_save_begin(), nnc_rt_save_<dtype>(name, global) for every
// global, nnc_rt_state_save_end(point, steps, layout), which writes the file
// atomically (temp file, fsync, rename; a kill at any moment leaves the
// previous state whole).
//
// Resuming: nnc_rt_resume_point(layout) at the start of `@nnc_main`; when it
// returns a point, nnc_rt_state_load_begin(), nnc_rt_load_<dtype>(name,
// global) for every global, nnc_rt_load_end(); the program then skips ahead
// to the point (HostGen.cpp, "Resuming").
//===----------------------------------------------------------------------===//

/// `--state`: the path (absolute), or null when not given.
const char *nnc_rt_state_path(void);

/// Whether to write the state now: 1 when `--state` was given and no state
/// was written yet at the stop of the step budget. \p budgetStop: this
/// write is that stop's (later writes of the run are then refused, so that
/// the state stays the one at the stop).
int32_t nnc_rt_state_wanted(int32_t budgetStop);

/// Starts writing the state to the `--state` path; then nnc_rt_save_*.
void nnc_rt_state_save_begin(void);

/// Adds the trackers and the metadata (resume point \p point, \p steps
/// done, the program's \p layout) and writes the file atomically.
void nnc_rt_state_save_end(int64_t point, int64_t steps, const char *layout);

/// Config entry \p name as the run sees it: the `--set` value given to a
/// built program, else \p dflt (its value when the script was compiled).
int64_t nnc_rt_config_i64(const char *name, int64_t dflt);
double nnc_rt_config_f64(const char *name, double dflt);
int32_t nnc_rt_config_bool(const char *name, int32_t dflt);

/// The step budget (--max-steps) stopped a run with `--state`: the state
/// was written after \p steps steps, and the run ends (a pause). Prints
/// how to go on.
void nnc_rt_paused(int64_t steps);

/// Ends the process with \p status (after nnc_rt_finish()), flushing
/// stdout and stderr.
void nnc_rt_exit(int32_t status);

/// `--resume`: reads and checks the file (a training state, of the program
/// whose layout is \p layout) and returns its resume point (>= 1); 0 when
/// `--resume` was not given. Errors name the file and what differs.
int64_t nnc_rt_resume_point(const char *layout);

/// Opens the `--resume` file for nnc_rt_load_*() and restores the trackers,
/// after checking the counters: "steps" (>= 0, the metadata's step count),
/// the trackers, and the optimizers' step counters named in \p stepCounters
/// (";"-separated: each in 0..steps; their sum is steps when
/// \p stepsAreSum). Close with nnc_rt_load_end().
void nnc_rt_state_load_begin(const char *stepCounters, int32_t stepsAreSum);

/// A resumed run's check of the restored state entry \p entry against the
/// program: \p value must be in \p min..\p max, which \p what describes
/// ("the batches of an epoch"). Else an error names the file, the entry,
/// its value and the range.
void nnc_rt_resume_check(const char *entry, int64_t value, int64_t min,
                         int64_t max, const char *what);

/// The same for the counter of `for v in lo..hi` (\p inclusive for `..=`):
/// lo..hi, or lo..hi+1 when \p atTop (the state was written at the loop's
/// condition, which may find it past the end).
void nnc_rt_resume_check_counter(const char *entry, int64_t value, int64_t lo,
                                 int64_t hi, int32_t inclusive, int32_t atTop);

//===----------------------------------------------------------------------===//
// Predictions: `write TENSOR to PATH`
//
// Writes a CSV file, atomically (creating missing parent directories): a
// header line, then one line per row i of the tensor (ids from 0), "\n"
// line ends. A rank-1 tensor gives "id,prediction" and rows "i,v"; a rank-2
// tensor [n, k] gives "id,p0,...,p<k-1>" and rows "i,v0,...,v<k-1>".
// Integers print in decimal, floats as the shortest digits that read back
// as the same float32 (f32) or double (f64), in the notation of
// nnc_rt_print_f64 (0.1, 3.0, 1e-05). Error: any other rank.
//===----------------------------------------------------------------------===//

void _mlir_ciface_nnc_rt_write_csv_i64(const char *path,
                                       UnrankedMemRefType<int64_t> *tensor);
void _mlir_ciface_nnc_rt_write_csv_f32(const char *path,
                                       UnrankedMemRefType<float> *tensor);
void _mlir_ciface_nnc_rt_write_csv_f64(const char *path,
                                       UnrankedMemRefType<double> *tensor);

} // extern "C"

namespace nnc::rt {

/// The options of a run (see "Run options" above).
struct RunOptions {
  int64_t maxSteps = -1;
  std::string saveInit, saveFinal;
  bool timeSteps = false; ///< `--time`: report the step rate at the end
  std::string statePath;  ///< `--state`: the training state, written here
  std::string resumePath; ///< `--resume`: the training state to go on from
  /// `--resume-changed`: resume even if the data files, batch sizes or seed
  /// differ from the state's run (each difference is a warning).
  bool resumeChanged = false;
  /// `--set name=value` of a built program, for the config entries it reads
  /// when it runs (checked by main(): known, changeable, well-typed).
  std::map<std::string, std::string> config;
  /// `--progress`: Auto is Bar when stderr is a terminal (and TERM is not
  /// "dumb"), else Lines; Off (`--quiet`) prints no progress at all.
  enum class Progress { Auto, Bar, Lines, Off } progress = Progress::Auto;
  std::string metricsPath; ///< `--metrics PATH`: per-epoch CSV
  std::string plotPath;    ///< `--plot PATH`: learning curves, PNG
};

/// Sets the progress options of \p options from a command line: `--progress
/// MODE` (auto, bar, lines or off; \p modeGiven when it was given),
/// `--quiet`, `--metrics PATH`, `--plot PATH` ("" when not given). Returns
/// the problem for a usage error, or "": an unknown mode, --quiet with a
/// mode other than off, --metrics and --plot naming the same file.
std::string setProgressOptions(RunOptions &options, const std::string &mode,
                               bool modeGiven, bool quiet,
                               const std::string &metrics,
                               const std::string &plot);

/// The problem with \p options' output files, for a usage error, or "":
/// two of --state, --save-init, --save-final, --metrics and --plot naming
/// the same file (after resolving symbolic links and relative paths, or
/// the same inode), or one of them naming the --resume file (other than
/// --state, which goes on writing the state it resumed).
std::string checkOutputPaths(const RunOptions &options);

/// Sets the options that nnc_rt_max_steps() and friends report. Relative
/// paths are the command line's: they are made absolute against the
/// current directory here (paths in the script are relative to the script).
void setRunOptions(const RunOptions &options);

/// Keeps large freed blocks in the heap instead of returning them to the
/// system (glibc's mmap and trim thresholds), so that buffers a training
/// step allocates and frees every step are not page-faulted in again every
/// step. nnc_rt_init() calls it; so does any host of compiled steps.
void keepLargeBlocksInHeap();

/// One entry point of the host ABI: its symbol name and address.
struct HostSymbol {
  const char *name;
  void *address;
};

/// Every function of HostABI.def, by the symbol name the compiled module
/// calls (`_mlir_ciface_...` for the memref ones), MLIR's `memrefCopy`
/// (libmlir_c_runner_utils), which copies between strided buffers, and the
/// generic allocation functions the CPU device serves. A JIT
/// registers them with ExecutionEngine::registerSymbols, which also makes the
/// linker keep them when the runtime is a static library.
const std::vector<HostSymbol> &hostABISymbols();

} // namespace nnc::rt

#endif // NNC_RUNTIME_HOSTABI_H
