//===- Frontend.cpp - From a .nn file to a checked program
//-----------------===//
//
// Imports are resolved depth-first so a module's own imports come before it;
// each file is read once (by canonical path) and a cycle is an error that
// shows the chain.
//
//===----------------------------------------------------------------------===//

#include "nnc/Frontend/Frontend.h"
#include "nnc/Parse/Parser.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <dirent.h>
#include <sys/stat.h>

using namespace nnc;

namespace {
std::string dirName(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

std::string canonical(const std::string &path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf))
    return buf;
  return path;
}

bool isDir(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isFile(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// The .nn files of a directory, sorted by name.
std::vector<std::string> nnFiles(const std::string &dir) {
  std::vector<std::string> out;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 3 && n.compare(n.size() - 3, 3, ".nn") == 0)
        out.push_back(dir + "/" + n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}
} // namespace

Frontend::Frontend(FrontendOptions opts)
    : options(std::move(opts)), diags(sm), sema(sm, diags) {}

Frontend::~Frontend() = default;

const Program *Frontend::parseFile(FileID id) {
  std::unique_ptr<Program> prog = parseProgram(id, sm, diags);
  if (!prog)
    return nullptr;
  programs.push_back(std::move(prog));
  return programs.back().get();
}

bool Frontend::load(const std::string &path) {
  std::string err;
  std::optional<FileID> id = sm.loadFile(path, err);
  if (!id) {
    diags.error({}, "cannot read '" + path + "': " + err);
    return false;
  }
  main = parseFile(*id);
  if (!main)
    return false;
  if (options.sema.scriptDir.empty())
    options.sema.scriptDir = dirName(path);
  std::vector<std::string> stack{canonical(path)};
  loadedPaths.push_back(canonical(path));
  return loadImports(*main, dirName(path), stack);
}

bool Frontend::loadBuffer(const std::string &name, const std::string &text) {
  FileID id = sm.addBuffer(name, text);
  main = parseFile(id);
  if (!main)
    return false;
  std::vector<std::string> stack{name};
  return loadImports(*main, ".", stack);
}

bool Frontend::loadBuffers(
    const std::vector<std::pair<std::string, std::string>> &buffers,
    std::vector<FileID> &ids) {
  auto merged = std::make_unique<Program>();
  bool ok = true;
  for (auto &[name, text] : buffers) {
    FileID id = sm.addBuffer(name, text);
    ids.push_back(id);
    if (ids.size() == 1)
      merged->file = id;
    std::unique_ptr<Program> prog = parseProgram(id, sm, diags);
    if (!prog) {
      ok = false;
      continue;
    }
    std::vector<std::string> stack{canonical(name)};
    ok = loadImports(*prog, dirName(name), stack) && ok;
    for (StmtPtr &s : prog->items)
      merged->items.push_back(std::move(s));
  }
  programs.push_back(std::move(merged));
  main = programs.back().get();
  return ok;
}

bool Frontend::loadImports(const Program &prog, const std::string &dir,
                           std::vector<std::string> &stack) {
  bool ok = true;
  for (const StmtPtr &s : prog.items) {
    const auto *imp = llvm::dyn_cast<ImportDecl>(s.get());
    if (!imp)
      continue;
    std::vector<std::string> files;
    if (imp->isPath) {
      std::string p = imp->module.empty() || imp->module[0] == '/'
                          ? imp->module
                          : dir + "/" + imp->module;
      if (!isFile(p)) {
        diags
            .error(imp->nameRange,
                   "cannot find imported file '" + imp->module + "'")
            .note({}, "looked for '" + p + "'");
        ok = false;
        continue;
      }
      files.push_back(p);
    } else {
      // `import std` -> <stdlib>/std/*.nn (or <stdlib>/std.nn);
      // `import std.layers` -> <stdlib>/std/layers.nn
      std::string rel = imp->module;
      std::replace(rel.begin(), rel.end(), '.', '/');
      std::string base = options.stdlibDir + "/" + rel;
      if (isDir(base))
        files = nnFiles(base);
      else if (isFile(base + ".nn"))
        files.push_back(base + ".nn");
      if (files.empty()) {
        diags.error(imp->nameRange, "no module named '" + imp->module + "'")
            .note({}, "modules are looked up in the standard library at '" +
                          options.stdlibDir + "'");
        ok = false;
        continue;
      }
    }
    for (const std::string &f : files) {
      std::string c = canonical(f);
      if (std::find(stack.begin(), stack.end(), c) != stack.end()) {
        diags.error(imp->nameRange, "import cycle: '" + f +
                                        "' imports itself through '" +
                                        imp->module + "'");
        ok = false;
        continue;
      }
      if (std::find(loadedPaths.begin(), loadedPaths.end(), c) !=
          loadedPaths.end())
        continue;
      loadedPaths.push_back(c);
      std::string err;
      std::optional<FileID> id = sm.loadFile(f, err);
      if (!id) {
        diags.error(imp->nameRange, "cannot read '" + f + "': " + err);
        ok = false;
        continue;
      }
      const Program *p = parseFile(*id);
      if (!p) {
        ok = false;
        continue;
      }
      stack.push_back(c);
      ok = loadImports(*p, dirName(f), stack) && ok;
      stack.pop_back();
      imports.push_back(p);
    }
  }
  return ok;
}

bool Frontend::check() {
  if (!main)
    return false;
  return sema.check(imports, *main, options.sema);
}
