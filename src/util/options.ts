/**
 * Options as typed values. An option is declared once — name, type, default, help, bounds — with
 * literal types (`opt`), and everything else is derived from the declarations: the experiment's
 * configuration type from its option list (`ConfigOf`), an algorithm's config type from the options
 * that set its keys (`KeyedConfigOf`), and at run time the algorithm's config values and defaults
 * (`keyedConfig`). Adding an option is one `opt(...)` in the list it belongs to.
 */

export type OptionType = "string" | "int" | "number" | "boolean";

/** The values an option of type `T` takes (before `choices` narrow a string). */
export type ValueOfType<T extends OptionType> = T extends "boolean" ? boolean : T extends "string" ? string : number;

/** One option of the configuration (what `lemol train --help` lists, what the notebook API accepts). */
export interface OptionDef {
  readonly name: string;
  readonly type: OptionType;
  /** null: none (the value stays null unless given, or the resolved config computes it: `computed`). */
  readonly default: string | number | boolean | null;
  readonly help: string;
  /** Inclusive bounds for numbers; `exclusiveMin` for strictly positive reals. */
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: number;
  readonly choices?: readonly string[];
  /** False: recognised (the original has it) but not available yet; using it is an error. */
  readonly implemented: boolean;
  /** Why it is not implemented, or where it will come from. */
  readonly note?: string;
  /** How the run is executed, not what it computes (a resumed run may change it). */
  readonly execution?: boolean;
  /** A null default that the resolved configuration fills in (so its value is never null there). */
  readonly computed?: boolean;
  /**
   * The field of an algorithm's config this option sets (e.g. `batchSize` for `--batch_size`), in
   * every algorithm whose option list holds it: `keyedConfig` maps it, `KeyedConfigOf` types it.
   */
  readonly key?: string;
  /** The config value from the option's, where they differ (e.g. a negation); default: the same. */
  readonly toConfig?: (value: never) => unknown;
}

/** What `opt` takes besides name, type, default and help. */
export interface OptionExtra<T extends OptionType> {
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: number;
  readonly choices?: readonly string[];
  readonly implemented?: boolean;
  readonly note?: string;
  readonly execution?: boolean;
  readonly computed?: boolean;
  readonly key?: string;
  readonly toConfig?: (value: ValueOfType<T>) => unknown;
}

/**
 * An option, with its name, type, default and extras as literal types (so `ConfigOf` can type the
 * configuration it belongs to). `implemented` defaults to true.
 */
export function opt<
  const N extends string,
  const T extends OptionType,
  const D extends ValueOfType<T> | null,
  const E extends OptionExtra<T> = Record<never, never>,
>(name: N, type: T, def: D, help: string, extra?: E): Option<N, T, D, E> {
  return { name, type, default: def, help, implemented: true, ...extra } as Option<N, T, D, E>;
}

/** An option as `opt` declares it: an {@link OptionDef} whose name, type, default and extras are literal types. */
export type Option<N extends string, T extends OptionType, D, E> = OptionDef & { readonly name: N; readonly type: T; readonly default: D } & E;

/** The type of an option's value in a resolved configuration. */
export type ValueOf<O extends OptionDef> =
  | (O extends { readonly choices: readonly (infer C)[] } ? C : ValueOfType<O["type"]>)
  | (O["default"] extends null ? (O extends { readonly computed: true } ? never : null) : never);

/** The configuration of an option list: one field per option, named as the option, typed by it. */
export type ConfigOf<L extends readonly OptionDef[]> = { -readonly [O in L[number] as O["name"]]: ValueOf<O> };

/** The config value an option gives its `key` (after `toConfig`). */
export type KeyedValueOf<O extends OptionDef> = O extends { readonly toConfig: (value: never) => infer R } ? R : ValueOf<O>;

/** An algorithm's config fields set by options: one per option of `L` with a `key`, typed by it. */
export type KeyedConfigOf<L extends readonly OptionDef[]> = {
  -readonly [O in L[number] as O extends { readonly key: infer K extends string } ? K : never]: KeyedValueOf<O>;
};

/**
 * The config fields `options` set (each option with a `key`), from option values by option name
 * (`values`: a configuration, or the options' defaults when omitted). The one mapping from options
 * to every algorithm's config.
 */
export function keyedConfig<L extends readonly OptionDef[]>(options: L, values?: { readonly [name: string]: unknown }): KeyedConfigOf<L> {
  const out: { [key: string]: unknown } = {};
  for (const o of options) {
    if (o.key === undefined) continue;
    if (values !== undefined && !(o.name in values)) throw new Error(`option ${o.name} (config key ${o.key}) has no value`);
    const value = values === undefined ? o.default : values[o.name];
    out[o.key] = o.toConfig ? (o.toConfig as (v: unknown) => unknown)(value) : value;
  }
  return out as KeyedConfigOf<L>;
}

/**
 * The configuration of `options` from `values` by option name, in `values`' key order: checks that
 * every option has a value (bounds and types are the caller's to check). Where a configuration's
 * type is made from its values (`resolveConfig`), so the assertion lives once, here.
 */
export function configOf<L extends readonly OptionDef[]>(options: L, values: { readonly [name: string]: unknown }): ConfigOf<L> {
  const known = new Set(options.map((o) => o.name));
  for (const name of known) if (!(name in values)) throw new Error(`option ${name} has no value`);
  const out: { [name: string]: unknown } = {};
  for (const [name, value] of Object.entries(values)) {
    if (!known.has(name)) throw new Error(`unknown option ${name}`);
    out[name] = value;
  }
  return out as ConfigOf<L>;
}

/**
 * `T`'s fields as fields of `C`: a field `C` lacks becomes `never` (so a value of `T` no longer fits
 * and the mismatch fails to compile). Checks options' keys against a hand-written options type.
 */
export type AsFieldsOf<T, C> = { [K in keyof T]: K extends keyof C ? C[K] : never };
