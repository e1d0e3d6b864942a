//===- FrontendTest.cpp - Units of the source manager, diagnostics, parser
//                        and checker ------------------------------------===//

#include "nnc/Frontend/Frontend.h"
#include "nnc/AST/AST.h"
#include "nnc/Basic/Diagnostics.h"
#include "nnc/Parse/Parser.h"

#include <gtest/gtest.h>

using namespace nnc;

namespace {

TEST(SourceManagerTest, LineAndColumnCountCharacters) {
  SourceManager sm;
  FileID f = sm.addBuffer("t.nn", "ab\nxé z\n\nlast");
  EXPECT_EQ(sm.getLineCol(f, 0).line, 1u);
  EXPECT_EQ(sm.getLineCol(f, 1).col, 2u);
  // "xé z": 'z' is at byte 4+3=7 of the file, column 4 (é is 2 bytes).
  LineCol z = sm.getLineCol(f, 7);
  EXPECT_EQ(z.line, 2u);
  EXPECT_EQ(z.col, 4u);
  EXPECT_EQ(sm.getLineText(f, 7), "xé z");
  EXPECT_EQ(sm.getLineCol(f, 10).line, 4u);
  // Code point 4 ('é' is code point 4: a b \n x é) starts at byte 4.
  EXPECT_EQ(sm.codePointToByte(f, 4), 4u);
  EXPECT_EQ(sm.codePointToByte(f, 5), 6u);
}

TEST(SourceManagerTest, MissingFileGivesError) {
  SourceManager sm;
  std::string err;
  EXPECT_FALSE(sm.loadFile("/nonexistent/x.nn", err).has_value());
  EXPECT_EQ(err, "No such file or directory");
}

TEST(DiagnosticsTest, RendersCaretRangeAndNote) {
  SourceManager sm;
  FileID f = sm.addBuffer("m.nn", "let h = fc1(x)\n");
  DiagnosticEngine diags(sm);
  std::string out;
  diags.setSink([&](const std::string &s) { out += s; });
  diags.error({f, 12, 13}, "bad 'x'")
      .range({f, 8, 11})
      .note({f, 4, 5}, "'h' here");
  EXPECT_EQ(out, "m.nn:1:13: error: bad 'x'\n"
                 "    let h = fc1(x)\n"
                 "            ~~~ ^\n"
                 "m.nn:1:5: note: 'h' here\n"
                 "    let h = fc1(x)\n"
                 "        ^\n");
  EXPECT_EQ(diags.getNumErrors(), 1u);
}

TEST(DiagnosticsTest, DuplicatesAreReportedOnceAndLimitStops) {
  SourceManager sm;
  FileID f = sm.addBuffer("m.nn", "x\n");
  DiagnosticEngine diags(sm);
  std::string out;
  diags.setSink([&](const std::string &s) { out += s; });
  diags.setErrorLimit(2);
  diags.error({f, 0, 1}, "same");
  diags.error({f, 0, 1}, "same");
  EXPECT_EQ(diags.getNumErrors(), 1u);
  diags.error({f, 0, 1}, "other");
  diags.error({f, 0, 1}, "third");
  EXPECT_EQ(diags.getNumErrors(), 2u);
  EXPECT_TRUE(diags.shouldStop());
  EXPECT_NE(out.find("too many errors emitted"), std::string::npos);
}

std::unique_ptr<Program> parse(const std::string &text, SourceManager &sm,
                               DiagnosticEngine &diags) {
  FileID f = sm.addBuffer("p.nn", text);
  return parseProgram(f, sm, diags);
}

TEST(ParserTest, BuildsTypedTree) {
  SourceManager sm;
  DiagnosticEngine diags(sm);
  auto prog = parse("model M(n: int = 2) {\n  fc = Linear(n, 3)\n"
                    "  forward(x: f32[B, n]) -> f32[B, 3] { return fc(x) }\n}\n"
                    "let y = -a ** 2 @ b as f64\n",
                    sm, diags);
  ASSERT_TRUE(prog);
  ASSERT_EQ(prog->items.size(), 2u);
  auto *model = llvm::dyn_cast<ModelDecl>(prog->items[0].get());
  ASSERT_TRUE(model);
  EXPECT_EQ(model->name.name, "M");
  ASSERT_EQ(model->members.size(), 2u);
  EXPECT_EQ(model->members[1].kind, ModelMember::Kind::Method);
  EXPECT_EQ(model->members[1].method->params[0].type->dims.size(), 2u);
  // -a ** 2 @ b as f64  ==  ((-(a ** 2)) @ (b as f64))
  auto *let = llvm::dyn_cast<LetStmt>(prog->items[1].get());
  ASSERT_TRUE(let);
  auto *mm = llvm::dyn_cast<BinaryExpr>(let->init.get());
  ASSERT_TRUE(mm);
  EXPECT_EQ(mm->op, BinaryOp::MatMul);
  auto *neg = llvm::dyn_cast<UnaryExpr>(mm->lhs.get());
  ASSERT_TRUE(neg);
  EXPECT_TRUE(llvm::isa<BinaryExpr>(neg->operand.get()));
  EXPECT_TRUE(llvm::isa<CastExpr>(mm->rhs.get()));
}

TEST(ParserTest, ReportsSeveralSyntaxErrors) {
  SourceManager sm;
  DiagnosticEngine diags(sm);
  std::string out;
  diags.setSink([&](const std::string &s) { out += s; });
  auto prog = parse("let = 3\nlet y = 4\nlet z = (1 +)\n", sm, diags);
  EXPECT_FALSE(prog);
  EXPECT_GE(diags.getNumErrors(), 2u);
  EXPECT_NE(out.find("p.nn:1:5: error:"), std::string::npos) << out;
  EXPECT_NE(out.find("p.nn:3:"), std::string::npos) << out;
}

TEST(ParserTest, RejectsInvalidUtf8) {
  SourceManager sm;
  DiagnosticEngine diags(sm);
  diags.setSink([](const std::string &) {});
  EXPECT_FALSE(parse(std::string("let x = \xff\n"), sm, diags));
  EXPECT_EQ(diags.getNumErrors(), 1u);
}

/// Checks a script against the standard library; returns the messages.
std::vector<std::string> check(const std::string &text, bool *ok = nullptr) {
  FrontendOptions opts;
  opts.stdlibDir = NNC_STDLIB_DIR;
  Frontend fe(opts);
  std::vector<std::string> messages;
  fe.getDiagnostics().setConsumer([&](const Diagnostic &d) {
    LineCol lc =
        d.range.isValid()
            ? fe.getSourceManager().getLineCol(d.range.file, d.range.begin)
            : LineCol{};
    messages.push_back(std::to_string(lc.line) + ":" + std::to_string(lc.col) +
                       ": " + d.message);
  });
  bool loaded = fe.loadBuffer("s.nn", text);
  bool checked = loaded && fe.check();
  if (ok)
    *ok = checked;
  return messages;
}

TEST(SemaTest, AcceptsAWholeTrainingStep) {
  bool ok = false;
  auto msgs = check("import std\n"
                    "model M() {\n  fc = Linear(4, 2)\n"
                    "  forward(x: f32[B, 4]) -> f32[B, 2] { return fc(x) }\n}\n"
                    "let net = M()\nlet opt = SGD(net, lr = 0.1)\n"
                    "let x = randn([8, 4])\nlet y = zeros([8], dtype = i64)\n"
                    "let l = step opt minimize cross_entropy(net(x), y)\n",
                    &ok);
  EXPECT_TRUE(ok);
  EXPECT_TRUE(msgs.empty()) << msgs[0];
}

TEST(SemaTest, ShapeVariableMustAgreeAcrossArguments) {
  auto msgs = check("import std\nlet a = randn([8, 3])\nlet b = randn([4, 3])\n"
                    "let l = mse(a, b)\n");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], "4:16: 'mse' expects size 8 ('B') in dimension 0 of "
                     "'target', but 'b' has size 4");
}

TEST(SemaTest, FloatLabelsToCrossEntropy) {
  auto msgs = check("import std\nlet logits = randn([8, 10])\n"
                    "let y = zeros([8])\nlet l = cross_entropy(logits, y)\n");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], "4:31: 'cross_entropy' expects i64 for 'target', but "
                     "'y' is f32[8]");
}

TEST(SemaTest, DevicesMustAgree) {
  auto msgs = check("config { device = cuda }\nlet a = randn([2, 2])\n"
                    "let b = randn([2, 2]).to(cpu)\nlet c = a + b\n");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], "4:11: 'a' is on cuda, but 'b' is on cpu");
}

TEST(SemaTest, ConfigOverridesAreTyped) {
  FrontendOptions opts;
  opts.stdlibDir = NNC_STDLIB_DIR;
  opts.sema.overrides = {{"epochs", "ten"}};
  Frontend fe(opts);
  std::vector<std::string> messages;
  fe.getDiagnostics().setConsumer(
      [&](const Diagnostic &d) { messages.push_back(d.message); });
  ASSERT_TRUE(fe.loadBuffer("s.nn", "config { epochs = 10 }\n"));
  EXPECT_FALSE(fe.check());
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "invalid value in '--set epochs=ten': 'epochs' is "
                         "int, expected an integer");
}

} // namespace
