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
  './typeorm': 'src/store/typeorm/index.ts',
  './drizzle': 'src/store/drizzle/index.ts',
  './prisma': 'src/store/prisma/index.ts',
  './mikro-orm': 'src/store/mikro-orm/index.ts',
  './event-emitter': 'src/bridges/event-emitter.ts',
  './cqrs': 'src/bridges/cqrs.ts',
  './testing': 'src/testing/index.ts',
};

export interface ApiEntry {
  readonly name: string;
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
        return {
          name: exported.name,
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

/** The report text of one entry point. */
export function reportText(subpath: string, entries: readonly ApiEntry[]): string {
  const lines = entries.map((e) => `${e.kind} ${e.name}`);
  return `# nestjs-transition-guard${subpath === '.' ? '' : subpath.slice(1)}: public API (npm run api:report)\n${lines.join('\n')}\n`;
}

export const reportFile = (subpath: string) =>
  join(root, 'api', `${subpath === '.' ? 'index' : subpath.slice(2)}.api.txt`);

/**
 * The declaration files each entry point's types reach (following relative imports), with every
 * line that uses `any` as a type, comments and strings aside.
 */
export function anyInPublicDeclarations(): string[] {
  const p = program();
  const emitted = new Map<string, string>();
  p.emit(
    undefined,
    (name, text) => {
      if (name.endsWith('.d.ts')) emitted.set(resolve(name), text);
    },
    undefined,
    true,
  );
  const { outDir = 'dist', rootDir = 'src' } = p.getCompilerOptions();
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
          `${relative(root, file)} is stale: the exports changed. Run npm run api:report and review the diff.`,
        );
      }
      continue;
    }
    writeFileSync(file, text);
    console.log(
      `${relative(root, file)}: ${entries.length} exports${before === text ? '' : ' (changed)'}`,
    );
  }
  if (stale) process.exitCode = 1;
}
