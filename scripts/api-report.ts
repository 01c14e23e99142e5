/**
 * The public API, as a reviewer reads it: every export of each entry point with its kind, one per
 * line, in `api/<entry>.api.txt`. `npm run api:report` rewrites the files; a test fails when they
 * differ from the code (an export added or removed by accident shows up in review), when a public
 * function or class has no TSDoc `@example`, or when a public declaration file says `any`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Entry points of the package's `exports` map, by subpath, with their source. */
export const ENTRIES: Readonly<Record<string, string>> = {
  '.': 'src/index.ts',
  './core': 'src/core/index.ts',
  './store': 'src/store/index.ts',
  './typeorm': 'src/store/typeorm/index.ts',
  './drizzle': 'src/store/drizzle/index.ts',
  './prisma': 'src/store/prisma/index.ts',
  './mikro-orm': 'src/store/mikro-orm/index.ts',
  './event-emitter': 'src/bridges/event-emitter.ts',
  './cqrs': 'src/bridges/cqrs.ts',
  './testing': 'src/testing/index.ts',
};

export interface ApiEntry {
  /** The name it is exported as. */
  readonly name: string;
  /** The name of its declaration (differs for `export { a as b }`). */
  readonly declaredName: string;
  /** Its TSDoc says `@deprecated`: kept for a minor version, named in the CHANGELOG. */
  readonly deprecated: boolean;
  readonly kind: string;
  /** The exported thing is a function or a class (a runtime value a user calls or extends). */
  readonly callable: boolean;
  readonly hasExample: boolean;
  readonly file: string;
}

let built: ts.Program | undefined;

function program(): ts.Program {
  return (built ??= createProgram());
}

function createProgram(): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.build.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (!config) throw new Error('tsconfig.build.json could not be read');
  return ts.createProgram({ rootNames: config.fileNames, options: config.options });
}

function kindOf(symbol: ts.Symbol): string {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Variable) return 'const';
  return 'other';
}

/** Every export of each entry point, sorted by name. */
export function collectApi(): Record<string, ApiEntry[]> {
  const p = program();
  const checker = p.getTypeChecker();
  const out: Record<string, ApiEntry[]> = {};
  for (const [subpath, file] of Object.entries(ENTRIES)) {
    const source = p.getSourceFile(join(root, file));
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${file}: not a module`);
    out[subpath] = checker
      .getExportsOfModule(moduleSymbol)
      .map((exported) => {
        const symbol =
          exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        const declaration = symbol.declarations?.[0];
        const kind = kindOf(symbol);
        const docs = declaration ? ts.getJSDocTags(declaration) : [];
        const isConstFunction =
          kind === 'const' && checker.getTypeOfSymbol(symbol).getCallSignatures().length > 0;
        const statement = declaration?.parent.parent;
        const deprecated = [
          ...docs,
          ...(statement && ts.isVariableStatement(statement) ? ts.getJSDocTags(statement) : []),
        ].some((t) => t.tagName.text === 'deprecated');
        return {
          name: exported.name,
          declaredName: symbol.name,
          deprecated,
          kind,
          callable: kind === 'class' || kind === 'function' || isConstFunction,
          hasExample: hasExampleTag(declaration, docs),
          file: declaration ? relative(root, declaration.getSourceFile().fileName) : '?',
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  return out;
}

function hasExampleTag(declaration: ts.Node | undefined, tags: readonly ts.JSDocTag[]): boolean {
  if (tags.some((t) => t.tagName.text === 'example')) return true;
  // `export const X = ...`: the TSDoc sits on the variable statement.
  const statement = declaration?.parent.parent;
  return statement !== undefined && ts.isVariableStatement(statement)
    ? ts.getJSDocTags(statement).some((t) => t.tagName.text === 'example')
    : false;
}

/** The declaration files the build emits, in memory: path -> text. */
let declarations: Map<string, string> | undefined;

function emittedDeclarations(): Map<string, string> {
  if (declarations) return declarations;
  const emitted = new Map<string, string>();
  program().emit(
    undefined,
    (name, text) => {
      if (name.endsWith('.d.ts')) emitted.set(resolve(name), text);
    },
    undefined,
    true,
  );
  return (declarations = emitted);
}

/** The emitted declaration file of a source file (`src/x.ts` -> `dist/x.d.ts`). */
function declarationFileOf(sourceFile: string): string {
  const { outDir = 'dist', rootDir = 'src' } = program().getCompilerOptions();
  return resolve(outDir, relative(rootDir, resolve(root, sourceFile))).replace(/\.ts$/, '.d.ts');
}

const parsed = new Map<string, ts.SourceFile>();

function parse(file: string): ts.SourceFile | undefined {
  const text = emittedDeclarations().get(file);
  if (text === undefined) return undefined;
  let source = parsed.get(file);
  if (!source) {
    source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    parsed.set(file, source);
  }
  return source;
}

function declaredName(statement: ts.Statement): string | undefined {
  if (
    ts.isClassDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isFunctionDeclaration(statement) ||
    ts.isEnumDeclaration(statement)
  ) {
    return statement.name?.text;
  }
  if (ts.isVariableStatement(statement)) {
    const first = statement.declarationList.declarations.at(0);
    return first && ts.isIdentifier(first.name) ? first.name.text : undefined;
  }
  return undefined;
}

/** The top-level statements of a declaration file that declare `name` (several for overloads). */
function statementsDeclaring(file: string, name: string): ts.Statement[] {
  return parse(file)?.statements.filter((s) => declaredName(s) === name) ?? [];
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/** The signature of an export, as its declaration file states it (comments left out). */
export function signatureOf(entry: ApiEntry): string {
  const file = declarationFileOf(entry.file);
  const statements = statementsDeclaring(file, entry.declaredName);
  if (!statements.length)
    return `(no declaration of ${entry.declaredName} in ${relative(root, file)})`;
  const source = statements[0].getSourceFile();
  return statements
    .map((s) =>
      printer
        .printNode(ts.EmitHint.Unspecified, s, source)
        .replace(/^export declare /, '')
        .replace(/^export /, ''),
    )
    .join('\n');
}

/** The report text of one entry point: each export's kind, name and signature. */
export function reportText(subpath: string, entries: readonly ApiEntry[]): string {
  const parts = entries.map((e) => {
    const alias = e.name === e.declaredName ? '' : ` (exported as ${e.name})`;
    const deprecated = e.deprecated ? ' (deprecated)' : '';
    return `## ${e.kind} ${e.declaredName}${alias}${deprecated}\n${signatureOf(e)}\n`;
  });
  return `# nestjs-transition-guard${subpath === '.' ? '' : subpath.slice(1)}: public API (npm run api:report), ${entries.length} names\n\n${parts.join('\n')}`;
}

/**
 * Names a public declaration mentions that no app's inferred type can contain: the base class
 * `ConfigurableModuleBuilder` builds for the module (an app names `TransitionGuardModule`).
 */
const NAMED_BY_NO_APP = new Set(['TransitionGuardConfigurableModule']);

/**
 * Types that a public signature names but no entry point exports. An app compiled with
 * `declaration: true` (the Nest starter's default) cannot name them when TypeScript infers them
 * (TS2883, "cannot be named without a reference to ..."): each must be exported, or the
 * signature must not name it.
 */
export function unnameableTypes(api: Record<string, ApiEntry[]> = collectApi()): string[] {
  const exported = new Set<string>();
  for (const entries of Object.values(api)) {
    for (const e of entries) exported.add(`${declarationFileOf(e.file)}#${e.declaredName}`);
  }
  const problems = new Set<string>();
  const seen = new Set<string>();
  const visitDeclaration = (file: string, name: string, from: string): void => {
    const key = `${file}#${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const source = parse(file);
    if (!source) return;
    const typeParameters = new Set<string>();
    const walk = (node: ts.Node): void => {
      if (ts.isTypeParameterDeclaration(node)) typeParameters.add(node.name.text);
      if (ts.isInferTypeNode(node)) typeParameters.add(node.typeParameter.name.text);
      if (ts.isMappedTypeNode(node)) typeParameters.add(node.typeParameter.name.text);
      ts.forEachChild(node, walk);
    };
    const statements = statementsDeclaring(file, name);
    statements.forEach(walk);
    const check = (target: { file: string; name: string } | undefined, at: string): void => {
      if (!target || NAMED_BY_NO_APP.has(target.name)) return;
      const targetKey = `${target.file}#${target.name}`;
      if (exported.has(targetKey)) return;
      if (!statementsDeclaring(target.file, target.name).length) return;
      problems.add(
        `${target.name} (${relative(root, target.file)}) is named by the public ${at} but no entry point exports it`,
      );
      visitDeclaration(target.file, target.name, at);
    };
    const refer = (node: ts.Node): void => {
      if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
        const expression = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
        const head = ts.isIdentifier(expression) ? expression.text : undefined;
        if (head && !typeParameters.has(head)) check(resolveName(source, head), from);
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && node.qualifier) {
        const spec = (node.argument.literal as ts.StringLiteral).text;
        const qualifier = ts.isIdentifier(node.qualifier) ? node.qualifier.text : undefined;
        if (spec.startsWith('.') && qualifier) {
          check(
            { file: resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')), name: qualifier },
            from,
          );
        }
      }
      ts.forEachChild(node, refer);
    };
    for (const statement of statements) {
      // A class's private members are not part of what an app names.
      ts.forEachChild(statement, (child) => {
        const isPrivate =
          ts.canHaveModifiers(child) &&
          ts.getModifiers(child)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
        if (!isPrivate) refer(child);
      });
    }
  };
  for (const [subpath, entries] of Object.entries(api)) {
    for (const e of entries) {
      visitDeclaration(
        declarationFileOf(e.file),
        e.declaredName,
        `${e.declaredName} of ${subpath}`,
      );
    }
  }
  return [...problems].sort();
}

/** Where a name used in a declaration file is declared: in the file itself, or imported from a relative file. */
function resolveName(
  source: ts.SourceFile,
  name: string,
): { file: string; name: string } | undefined {
  for (const statement of source.statements) {
    if (declaredName(statement) === name) return { file: source.fileName, name };
    if (
      ts.isImportDeclaration(statement) &&
      ts.isStringLiteral(statement.moduleSpecifier) &&
      statement.moduleSpecifier.text.startsWith('.')
    ) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          if (element.name.text === name) {
            return {
              file: resolve(
                dirname(source.fileName),
                statement.moduleSpecifier.text.replace(/\.js$/, '.d.ts'),
              ),
              name: (element.propertyName ?? element.name).text,
            };
          }
        }
      }
    }
  }
  return undefined;
}

export const reportFile = (subpath: string) =>
  join(root, 'api', `${subpath === '.' ? 'index' : subpath.slice(2)}.api.txt`);

/**
 * The declaration files each entry point's types reach (following relative imports), with every
 * line that uses `any` as a type, comments and strings aside.
 */
export function anyInPublicDeclarations(): string[] {
  const emitted = emittedDeclarations();
  const { outDir = 'dist', rootDir = 'src' } = program().getCompilerOptions();
  const problems: string[] = [];
  const seen = new Set<string>();
  const queue = Object.values(ENTRIES).map((f) =>
    resolve(outDir, relative(rootDir, join(root, f))).replace(/\.ts$/, '.d.ts'),
  );
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = emitted.get(file);
    if (text === undefined) continue;
    const scanner = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.AnyKeyword) {
        const { line } = scanner.getLineAndCharacterOfPosition(node.getStart());
        problems.push(`${relative(outDir, file)}:${line + 1}: ${text.split('\n')[line].trim()}`);
      }
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier) &&
        node.moduleSpecifier.text.startsWith('.')
      ) {
        queue.push(resolve(dirname(file), node.moduleSpecifier.text.replace(/\.js$/, '.d.ts')));
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        const spec = (node.argument.literal as ts.StringLiteral).text;
        if (spec.startsWith('.'))
          queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')));
      }
      ts.forEachChild(node, visit);
    };
    visit(scanner);
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [subpath, entries] of Object.entries(collectApi())) {
    const file = reportFile(subpath);
    const text = reportText(subpath, entries);
    let before = '';
    try {
      before = readFileSync(file, 'utf8');
    } catch {
      // No report yet.
    }
    if (check) {
      if (before !== text) {
        stale++;
        console.error(
          `${relative(root, file)} is stale: the exports or their signatures changed. Run npm run api:report and review the diff.`,
        );
      }
      continue;
    }
    writeFileSync(file, text);
    console.log(
      `${relative(root, file)}: ${entries.length} exports${before === text ? '' : ' (changed)'}`,
    );
  }
  const unnameable = unnameableTypes();
  for (const problem of unnameable) console.error(`not nameable by apps (TS2883): ${problem}`);
  if (stale || unnameable.length) process.exitCode = 1;
}
