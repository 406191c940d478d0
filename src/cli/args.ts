/** A small, strict command-line parser: `--name value`, `--name=value`, `--flag`; unknown options are errors. */

/** A command-line problem: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export type OptionType = "string" | "int" | "number" | "boolean";

export interface OptionSpec {
  type: OptionType;
  default?: string | number | boolean;
  help: string;
  /** Inclusive lower bound for numbers. */
  min?: number;
  /** Allowed values for strings. */
  choices?: readonly string[];
}

export interface Parsed {
  options: Record<string, string | number | boolean | undefined>;
  positionals: string[];
}

function convert(name: string, spec: OptionSpec, raw: string): string | number | boolean {
  switch (spec.type) {
    case "string":
      if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`--${name}: "${raw}" is not one of ${spec.choices.join(", ")}`);
      return raw;
    case "boolean":
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      throw new UsageError(`--${name}: expected true or false, got "${raw}"`);
    case "int":
    case "number": {
      const v = Number(raw);
      // decimal only: Number() also takes " 7", "0x10", "0b1" and "0o7", which are typos here
      if (!DECIMAL.test(raw) || !Number.isFinite(v)) throw new UsageError(`--${name}: expected a number, got "${raw}"`);
      if (spec.type === "int" && !Number.isInteger(v)) throw new UsageError(`--${name}: expected an integer, got "${raw}"`);
      if (spec.min !== undefined && v < spec.min) throw new UsageError(`--${name}: must be >= ${spec.min}, got ${raw}`);
      return v;
    }
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses `argv` against `specs`; throws {@link UsageError} naming the problem. */
export function parseArgs(argv: readonly string[], specs: Record<string, OptionSpec>, maxPositionals = Infinity): Parsed {
  const options: Parsed["options"] = {};
  const positionals: string[] = [];
  for (const [k, s] of Object.entries(specs)) options[k] = s.default;
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (seen.has(name)) throw new UsageError(`--${name} is given twice; give each option once`);
    seen.add(name);
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.type === "boolean" && (i + 1 >= argv.length || argv[i + 1].startsWith("--") || !["true", "false", "0", "1"].includes(argv[i + 1])))
      raw = "true";
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      raw = argv[++i];
    }
    options[name] = convert(name, spec, raw);
  }
  if (positionals.length > maxPositionals) throw new UsageError(`unexpected argument "${positionals[maxPositionals]}"`);
  return { options, positionals };
}

/** Help text listing every option with its default. */
export function formatHelp(usage: string, description: string, specs: Record<string, OptionSpec>): string {
  const lines = [`usage: ${usage}`, "", description, "", "options:"];
  for (const [k, s] of Object.entries(specs)) {
    const def = s.default === undefined ? "" : ` (default: ${String(s.default)})`;
    lines.push(`  --${k.padEnd(22)} ${s.help}${def}`);
  }
  return lines.join("\n");
}
