// The grammar of the .nn language.
//
// Statements are separated by newlines or ';'. The lexer emits every newline
// as an NL token; nnc's token filter (lexAndFilter in
// compiler/lib/Parse/Parser.cpp) keeps an NL only where it can end a
// statement (Go's rule: after an identifier,
// literal, `)`, `]`, `}` or one of a few keywords, outside () and []), so an
// expression may continue on the next line after an operator or a comma.
//
// The same rule set parses whole files (`program`) and single REPL inputs
// (`replInput`): any top-level item, statement or expression.
grammar NN;

program : sep* (topLevel (sep+ topLevel)*)? sep* EOF ;

replInput : sep* (topLevel (sep+ topLevel)*)? sep* EOF ;

sep : NL | ';' ;

// Declarations are statements of the grammar (see nestedDeclaration); the
// parser reports them anywhere but at the top level.
topLevel
  : statement
  ;

// ---------------------------------------------------------------- declarations

importDecl : IMPORT (dottedName | STRING) ;

dottedName : ID ('.' ID)* ;

configDecl : CONFIG '{' listSep* (configEntry (listSep+ configEntry)*)? listSep* '}' ;

listSep : NL | ',' | ';' ;

configEntry : ID (':' typeExpr)? '=' expr ;

dataDecl : DATA bindTarget '=' expr ;

bindTarget
  : ID                                   # bindName
  | '(' ID (',' ID)+ ','? ')'            # bindTuple
  ;

fnDecl : FN ID '(' paramList? ')' ('->' typeExpr)? block ;

paramList : param (',' param)* ','? ;

param : ID (':' typeExpr)? ('=' expr)? ;

modelDecl : MODEL ID ('(' paramList? ')')? '{' sep* (modelMember (sep+ modelMember)*)? sep* '}' ;

modelMember
  : ID '=' expr                                          # memberField
  | LET ID (':' typeExpr)? '=' expr                      # memberLet
  | ID '(' paramList? ')' ('->' typeExpr)? block         # memberMethod
  ;

optimizerDecl : OPTIMIZER ID '(' paramList? ')' '{' sep* (optimizerMember (sep+ optimizerMember)*)? sep* '}' ;

optimizerMember
  : STATE ID '=' expr                                    # optState
  | LET ID (':' typeExpr)? '=' expr                      # optLet
  | ID '(' paramList? ')' block                          # optMethod
  ;

// ---------------------------------------------------------------- statements

block : '{' sep* (statement (sep+ statement)*)? sep* '}' ;

statement
  : LET bindTarget (':' typeExpr)? ('=' expr)?           # letStmt
  | FOR bindTarget IN expr block                         # forStmt
  | ifStatement                                          # ifStmt
  | WHILE expr block                                     # whileStmt
  | BREAK                                                # breakStmt
  | CONTINUE                                             # continueStmt
  | RETURN expr?                                         # returnStmt
  | SAVE expr TO expr (IF expr)?                         # saveStmt
  | LOAD expr FROM expr                                  # loadStmt
  | WRITE expr TO expr                                   # writeStmt
  | expr op=('=' | '+=' | '-=' | '*=' | '/=') expr       # assignStmt
  | expr                                                 # exprStmt
  | nestedDeclaration                                    # nestedDecl
  ;

// Declarations. Inside a block they are parsed only to say that they belong
// at the top level.
nestedDeclaration
  : importDecl | configDecl | dataDecl | fnDecl | modelDecl | optimizerDecl ;

ifStatement : IF expr block (ELSE (ifStatement | block))? ;

// ---------------------------------------------------------------- expressions
// Alternatives are listed from the tightest binding to the loosest.

expr
  : primary                                              # primaryExpr
  | expr '.' memberName                                  # memberExpr
  | expr '(' argList? ')'                                # callExpr
  | expr '[' sliceList ']'                               # indexExpr
  | <assoc=right> expr op='**' expr                      # binaryExpr
  | op=('-' | '+') expr                                  # unaryExpr
  | expr AS typeExpr                                     # castExpr
  | expr op=('*' | '/' | '%' | '@') expr                 # binaryExpr
  | expr op=('+' | '-') expr                             # binaryExpr
  | expr op=('..' | '..<') expr                          # rangeExpr
  | expr op=('<' | '<=' | '>' | '>=' | '==' | '!=') expr # binaryExpr
  | op=NOT expr                                          # unaryExpr
  | expr op=AND expr                                     # binaryExpr
  | expr op=OR expr                                      # binaryExpr
  ;

primary
  : INT                                                  # intLit
  | FLOAT                                                # floatLit
  | STRING                                               # stringLit
  | (TRUE | FALSE)                                       # boolLit
  | ID                                                   # nameRef
  | DTYPE                                                # dtypeRef
  | '(' expr ')'                                         # parenExpr
  | '(' expr ',' (expr (',' expr)*)? ','? ')'            # tupleExpr
  | '[' (expr (',' expr)* ','?)? ']'                     # listExpr
  | STEP expr MINIMIZE expr                              # stepExpr
  | EVALUATE expr ON expr '{' listSep* (metric (listSep+ metric)*)? listSep* '}' # evaluateExpr
  ;

metric : ID (':' expr)? ;

// After '.', a few keywords are ordinary names: `x.to(cuda)`.
memberName : ID | TO | FROM | ON | IN | DATA | STATE | LOAD | SAVE | WRITE | STEP ;

argList : arg (',' arg)* ','? ;

arg : (memberName '=')? expr ;

sliceList : sliceItem (',' sliceItem)* ','? ;

sliceItem
  : expr? ':' expr? (':' expr?)?                         # sliceRange
  | '...'                                                # sliceEllipsis
  | expr                                                 # sliceIndex
  ;

// ---------------------------------------------------------------- types
// `f32` is a scalar (rank-0) tensor, `f32[B, 784]` a tensor with a symbolic
// batch dimension; `int float bool str` are host values; any other name is a
// model or optimizer type.

typeExpr
  : name=(DTYPE | ID) ('[' (dim (',' dim)* ','?)? ']')? # tensorOrNamedType
  | '(' typeExpr (',' typeExpr)+ ','? ')'                # tupleType
  ;

dim : expr ;

// ---------------------------------------------------------------- lexer

IMPORT : 'import' ;
CONFIG : 'config' ;
DATA : 'data' ;
FN : 'fn' ;
MODEL : 'model' ;
OPTIMIZER : 'optimizer' ;
STATE : 'state' ;
LET : 'let' ;
FOR : 'for' ;
IN : 'in' ;
IF : 'if' ;
ELSE : 'else' ;
WHILE : 'while' ;
BREAK : 'break' ;
CONTINUE : 'continue' ;
RETURN : 'return' ;
SAVE : 'save' ;
LOAD : 'load' ;
WRITE : 'write' ;
TO : 'to' ;
FROM : 'from' ;
STEP : 'step' ;
MINIMIZE : 'minimize' ;
EVALUATE : 'evaluate' ;
ON : 'on' ;
AS : 'as' ;
AND : 'and' ;
OR : 'or' ;
NOT : 'not' ;
TRUE : 'true' ;
FALSE : 'false' ;

DTYPE : 'f32' | 'f64' | 'f16' | 'bf16' | 'i32' | 'i64' ;

ID : [a-zA-Z_] [a-zA-Z_0-9]* ;

FLOAT
  : DIGITS '.' DIGITS EXPONENT?
  | '.' DIGITS EXPONENT?
  | DIGITS EXPONENT
  ;

INT : DIGITS ;

fragment DIGITS : [0-9] ('_'? [0-9])* ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;

STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;

// A string that reaches the end of its line: reported as such by the parser.
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* ;

LPAREN : '(' ;
RPAREN : ')' ;
LBRACK : '[' ;
RBRACK : ']' ;
LBRACE : '{' ;
RBRACE : '}' ;
ELLIPSIS : '...' ;
RANGE_EXCL : '..<' ;
RANGE : '..' ;
DOT : '.' ;
ARROW : '->' ;
POW : '**' ;
PLUS_ASSIGN : '+=' ;
MINUS_ASSIGN : '-=' ;
STAR_ASSIGN : '*=' ;
SLASH_ASSIGN : '/=' ;
EQ : '==' ;
NE : '!=' ;
LE : '<=' ;
GE : '>=' ;
LT : '<' ;
GT : '>' ;
ASSIGN : '=' ;
PLUS : '+' ;
MINUS : '-' ;
STAR : '*' ;
SLASH : '/' ;
PERCENT : '%' ;
MATMUL : '@' ;
COMMA : ',' ;
COLON : ':' ;
SEMI : ';' ;

NL : '\r'? '\n' ;

WS : [ \t\f]+ -> skip ;

LINE_COMMENT : '#' ~[\r\n]* -> skip ;

// Any other character: the token filter reports it and drops it.
ERROR_CHAR : . ;
