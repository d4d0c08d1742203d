// Name resolution: consts and lists become concrete values, env() is read
// from --var values and then the environment. Every later pass asks Scope for
// values, so a const is resolved (and its errors reported) exactly once.

import type { ConstDecl, ListDecl, Loc, Policy, Value } from "./ast.js";
import type { Diagnostics } from "./diagnostics.js";
import { closest } from "./diagnostics.js";

/** A value with names and env() replaced; lists are flattened. */
export type RValue =
  | { t: "str"; value: string; loc: Loc }
  | { t: "num"; value: bigint; loc: Loc }
  | { t: "regex"; source: string; flags: string; loc: Loc }
  | { t: "ip"; text: string; loc: Loc }
  | { t: "duration"; ms: number; loc: Loc }
  | { t: "list"; items: RValue[]; loc: Loc };

export interface ResolveOptions {
  /** --var NAME=VALUE, consulted before the environment. */
  vars?: Record<string, string>;
  /** The environment env() reads; defaults to none (explicit is reproducible). */
  env?: Record<string, string | undefined>;
}

type Entry = { decl: ConstDecl | ListDecl; state: "todo" | "busy" | "done"; value: RValue | null };

export class Scope {
  private readonly names = new Map<string, Entry>();
  /** Names being resolved right now, outermost first: the chain a cycle reports. */
  private readonly resolving: string[] = [];

  constructor(
    policy: Policy,
    private readonly opts: ResolveOptions,
    private readonly diags: Diagnostics,
  ) {
    for (const d of policy.decls) {
      if (d.type !== "const" && d.type !== "list") continue;
      // Duplicates are reported by check/names.ts; the first one wins here.
      if (!this.names.has(d.name.name)) this.names.set(d.name.name, { decl: d, state: "todo", value: null });
    }
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Resolve a value; null (with a diagnostic already reported) if it cannot be. */
  resolve(v: Value): RValue | null {
    switch (v.type) {
      case "string":
        return { t: "str", value: v.value, loc: v.loc };
      case "number":
        return { t: "num", value: BigInt(v.value), loc: v.loc };
      case "regex":
        return { t: "regex", source: v.source, flags: v.flags, loc: v.loc };
      case "ip":
        return { t: "ip", text: v.text, loc: v.loc };
      case "duration":
        return { t: "duration", ms: v.ms, loc: v.loc };
      case "env": {
        const name = v.name.value;
        const got = this.opts.vars?.[name] ?? this.opts.env?.[name] ?? v.fallback?.value;
        if (got === undefined) {
          this.diags.error("env-unset", v.loc, `environment variable \`${name}\` is not set and has no default`,
            `set it, pass --var ${name}=VALUE, or give a default: env("${name}", "...")`);
          return null;
        }
        return { t: "str", value: got, loc: v.loc };
      }
      case "list": {
        const items: RValue[] = [];
        for (const it of v.items) {
          const r = this.resolve(it);
          if (r === null) return null;
          if (r.t === "list") items.push(...r.items);
          else items.push(r);
        }
        return { t: "list", items, loc: v.loc };
      }
      case "ref":
        return this.lookup(v.name, v.loc);
    }
  }

  private lookup(name: string, loc: Loc): RValue | null {
    const e = this.names.get(name);
    if (!e) {
      const guess = closest(name, this.names.keys());
      this.diags.error("undefined-name", loc, `\`${name}\` is not defined`,
        guess ? `did you mean \`${guess}\`?` : "define it with `const` or `list`, or quote it to make it a string");
      return null;
    }
    if (e.state === "busy") {
      const chain = [...this.resolving.slice(this.resolving.indexOf(name)), name].join(" → ");
      this.diags.error("undefined-name", loc, `\`${name}\` is defined in terms of itself: ${chain}`, "break the cycle");
      return null;
    }
    if (e.state === "todo") {
      e.state = "busy";
      this.resolving.push(name);
      const d = e.decl;
      const r = d.type === "const" ? this.resolve(d.value) : this.resolve({ type: "list", items: d.items, loc: d.loc });
      this.resolving.pop();
      e.value = r;
      e.state = "done";
    }
    // The value keeps its definition's location: an error inside a pattern
    // must point into the literal where it is written, not at the use.
    return e.value;
  }

  /** Resolve a const or list by name, once (for the checker's declaration pass). */
  resolveName(name: string, loc: Loc): RValue | null {
    return this.lookup(name, loc);
  }
}
