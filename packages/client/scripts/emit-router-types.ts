/**
 * Writes `build/app-router.d.ts`: the API's `AppRouter` type as the published client sees it,
 * self-contained. The router's own type drags in the whole server (its request context holds the
 * database, the job queue, the logger …, and its procedures' types point into `@swarm/db`,
 * drizzle, zod); a copy of the client installed outside this repository has none of that. So this
 * walks the router with the TypeScript checker and prints every procedure's input and output as
 * plain structural types (named types of ours keep their names, as local aliases), over
 * `@trpc/server`'s own router and procedure types, which the client depends on anyway. The
 * context, which a client never sees, becomes `object`.
 *
 * Run by `pnpm --filter @swarm/client build`, before tsdown bundles it into `dist/index.d.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const rootRouterFile = join(packageDir, '../api-router/src/routers/root.ts');
export const routerTypesFile = join(packageDir, 'build/app-router.d.ts');

const program = ts.createProgram([rootRouterFile], {
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.Preserve,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  resolveJsonModule: true,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
});
const checker = program.getTypeChecker();

/** Where a type was declared: our sources print as named aliases, libraries' structurally. */
function declaredIn(symbol: ts.Symbol | undefined): 'ours' | 'lib' | 'package' | undefined {
  const file = symbol?.declarations?.[0]?.getSourceFile();
  if (!file) return undefined;
  if (program.isSourceFileDefaultLibrary(file)) return 'lib';
  return file.fileName.includes(`${sep}node_modules${sep}`) ? 'package' : 'ours';
}

const aliases = new Map<ts.Type, string>();
const usedNames = new Set<string>();
const declarations: string[] = [];
const printing = new Set<ts.Type>();
const trpcImports = new Set<string>(['TRPCBuiltRouter']);

function aliasNameFor(symbol: ts.Symbol): string {
  let name = symbol.getName();
  for (let n = 2; usedNames.has(name); n++) name = `${symbol.getName()}${n}`;
  usedNames.add(name);
  return name;
}

const propertyKey = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

/** The type as TypeScript source that needs nothing but `@trpc/server`; `path` names it in errors. */
function print(type: ts.Type, path: string): string {
  const known = aliases.get(type);
  if (known) return known;

  // A named type of ours (alias or interface, no type arguments): declared once under its name.
  const named = type.aliasSymbol ?? (type.flags & ts.TypeFlags.Object ? type.symbol : undefined);
  const isInterface = named && (named.flags & ts.SymbolFlags.Interface) !== 0;
  if (
    named &&
    (type.aliasSymbol ? !type.aliasTypeArguments?.length : isInterface) &&
    declaredIn(named) === 'ours'
  ) {
    const name = aliasNameFor(named);
    aliases.set(type, name); // before the body, so recursive types refer to themselves
    declarations.push(`type ${name} = ${printStructure(type, name)};`);
    return name;
  }
  // A recursive type that is not ours (e.g. a library's JSON type): named where it recurs.
  if (printing.has(type)) {
    const name = aliasNameFor(named ?? ({ getName: () => 'Recursive' } as ts.Symbol));
    aliases.set(type, name);
    return name;
  }
  printing.add(type);
  const text = printStructure(type, path);
  printing.delete(type);
  const recurring = aliases.get(type);
  if (!recurring) return text;
  declarations.push(`type ${recurring} = ${text};`);
  return recurring;
}

function printStructure(type: ts.Type, path: string): string {
  const f = type.flags;
  if (f & ts.TypeFlags.Any) return 'any';
  if (f & ts.TypeFlags.Unknown) return 'unknown';
  if (f & ts.TypeFlags.Never) return 'never';
  if (f & ts.TypeFlags.Void) return 'void';
  if (f & ts.TypeFlags.Undefined) return 'undefined';
  if (f & ts.TypeFlags.Null) return 'null';
  if (f & (ts.TypeFlags.String | ts.TypeFlags.Number | ts.TypeFlags.Boolean | ts.TypeFlags.BigInt)) {
    return checker.typeToString(type);
  }
  if (f & ts.TypeFlags.StringLiteral) return JSON.stringify((type as ts.StringLiteralType).value);
  if (f & (ts.TypeFlags.NumberLiteral | ts.TypeFlags.BooleanLiteral | ts.TypeFlags.TemplateLiteral)) {
    return checker.typeToString(type);
  }
  if (f & ts.TypeFlags.NonPrimitive) return 'object';
  if (type.isUnion()) {
    const parts = type.types.map((t) => print(t, path));
    // `boolean` is `false | true` inside a union: print it back as `boolean`.
    if (parts.includes('false') && parts.includes('true')) {
      parts.splice(parts.indexOf('false'), 1, 'boolean');
      parts.splice(parts.indexOf('true'), 1);
    }
    return parts.map((p) => (/=>/.test(p) ? `(${p})` : p)).join(' | ');
  }
  if (type.isIntersection()) return type.types.map((t) => wrap(print(t, path))).join(' & ');
  if (!(f & ts.TypeFlags.Object)) {
    throw new Error(`${path}: cannot print ${checker.typeToString(type)} (flags ${f}) for the client`);
  }

  // tRPC's tracked events (`runs.events`): the client's types unwrap them, so keep tRPC's name.
  if (type.aliasSymbol?.getName() === 'TrackedEnvelope' && declaredIn(type.aliasSymbol) === 'package') {
    trpcImports.add('TrackedEnvelope');
    return `TrackedEnvelope<${print(type.aliasTypeArguments![0]!, `${path}<data>`)}>`;
  }
  if (checker.isTupleType(type)) {
    const target = (type as ts.TupleTypeReference).target;
    const elements = checker.getTypeArguments(type as ts.TypeReference).map((t, i) => {
      const flags = target.elementFlags[i]!;
      const text = print(t, `${path}[${i}]`);
      if (flags & ts.ElementFlags.Rest) return `...${wrap(text)}[]`;
      return flags & ts.ElementFlags.Optional ? `${wrap(text)}?` : text;
    });
    return `${target.readonly ? 'readonly ' : ''}[${elements.join(', ')}]`;
  }
  if (checker.isArrayType(type)) {
    const element = print(checker.getTypeArguments(type as ts.TypeReference)[0]!, `${path}[]`);
    const readonly = type.symbol?.getName() === 'ReadonlyArray' ? 'readonly ' : '';
    return `${readonly}${wrap(element)}[]`;
  }
  // Date, Map, AsyncGenerator …: the standard library's own types, by name.
  if (declaredIn(type.symbol) === 'lib' && !(type.symbol.flags & ts.SymbolFlags.TypeLiteral)) {
    const args = checker.getTypeArguments(type as ts.TypeReference);
    const printed = args.map((t, i) => print(t, `${path}<${i}>`));
    return printed.length ? `${type.symbol.getName()}<${printed.join(', ')}>` : type.symbol.getName();
  }
  if (type.getCallSignatures().length || type.getConstructSignatures().length) {
    throw new Error(`${path}: functions cannot cross the wire (${checker.typeToString(type)})`);
  }

  const members: string[] = [];
  for (const info of checker.getIndexInfosOfType(type)) {
    const key = checker.typeToString(info.keyType);
    members.push(`[key: ${key}]: ${print(info.type, `${path}[${key}]`)};`);
  }
  for (const property of checker.getPropertiesOfType(type)) {
    const name = property.getName();
    if (name.startsWith('__@')) {
      throw new Error(`${path}.${name}: symbol-keyed properties cannot be printed for the client`);
    }
    const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
    members.push(
      `${propertyKey(name)}${optional}: ${print(checker.getTypeOfSymbol(property), `${path}.${name}`)};`,
    );
  }
  return members.length ? `{ ${members.join(' ')} }` : '{}';
}

/** Parenthesises a union or function type before `[]`, `?` or `&`. */
const wrap = (text: string) => (/[|&]|=>/.test(text) && !/^[{[]/.test(text) ? `(${text})` : text);

const property = (type: ts.Type, name: string, path: string): ts.Type => {
  const symbol = type.getProperty(name);
  if (!symbol) throw new Error(`${path}: no property ${name}`);
  return checker.getTypeOfSymbol(symbol);
};

const PROCEDURE_TYPES = {
  query: 'TRPCQueryProcedure',
  mutation: 'TRPCMutationProcedure',
  subscription: 'TRPCSubscriptionProcedure',
} as const;

/** A router record: nested records as objects, each procedure as tRPC's procedure type. */
function printRecord(record: ts.Type, path: string, indent: string): string {
  const lines = checker.getPropertiesOfType(record).map((entry) => {
    const name = entry.getName();
    const at = path ? `${path}.${name}` : name;
    const value = checker.getTypeOfSymbol(entry);
    const def = value.getProperty('_def') ? property(value, '_def', at) : undefined;
    const kind = def?.getProperty('procedure') ? property(def, 'type', at) : undefined;
    if (!def || !kind) return `${indent}  ${propertyKey(name)}: ${printRecord(value, at, `${indent}  `)};`;
    const procedureType =
      PROCEDURE_TYPES[(kind as ts.StringLiteralType).value as keyof typeof PROCEDURE_TYPES];
    trpcImports.add(procedureType);
    const types = property(def, '$types', at);
    const input = print(property(types, 'input', at), `${at} input`);
    const output = print(property(types, 'output', at), `${at} output`);
    return `${indent}  ${propertyKey(name)}: ${procedureType}<{ input: ${input}; output: ${output}; meta: object }>;`;
  });
  return `{\n${lines.join('\n')}\n${indent}}`;
}

export function emitRouterTypes(): string {
  const source = program.getSourceFile(rootRouterFile);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  const routerSymbol = moduleSymbol?.exports?.get('appRouter' as ts.__String);
  if (!routerSymbol) throw new Error(`appRouter is not exported from ${rootRouterFile}`);
  const router = checker.getTypeOfSymbol(routerSymbol);
  const def = property(router, '_def', 'appRouter');
  const rootTypes = property(property(def, '_config', 'appRouter'), '$types', 'appRouter');
  const errorShape = print(property(rootTypes, 'errorShape', 'errorShape'), 'errorShape');
  const record = printRecord(property(def, 'record', 'appRouter'), '', '');

  const text = [
    '// @generated by packages/client/scripts/emit-router-types.ts from @swarm/api-router. Do not edit.',
    `import type { ${[...trpcImports].sort().join(', ')} } from '@trpc/server';`,
    '',
    ...declarations,
    '',
    `type ErrorShape = ${errorShape};`,
    '',
    '/** The SWARM API as its clients see it: every procedure with its input and output. */',
    'export type AppRouter = TRPCBuiltRouter<',
    '  { ctx: object; meta: object; errorShape: ErrorShape; transformer: true },',
    `  ${record.replaceAll('\n', '\n  ')}`,
    '>;',
    '',
  ].join('\n');
  mkdirSync(dirname(routerTypesFile), { recursive: true });
  writeFileSync(routerTypesFile, text);
  return text;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = emitRouterTypes();
  process.stdout.write(
    `wrote ${routerTypesFile} (${text.length} characters, ${declarations.length} named types)\n`,
  );
}
