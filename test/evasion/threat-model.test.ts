// docs/threat-model.md's matrix and test/evasion/cases.ts describe the same
// suite: every case id the matrix cites is a row of cases.ts with the layer
// the cell gives it, and every row of cases.ts is cited.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { ROOT } from "../run/helpers.js";
import { CASES, type Layer } from "./cases.js";

const ID = /\bE\d\d[a-z]\b/g;

interface Citation {
  id: string;
  layer: Layer;
  row: string;
}

/** The matrix: the first table after "## The matrix"; cells hold "LAYER: ids ..." segments split by "·". */
function matrixCitations(md: string): Citation[] {
  const start = md.indexOf("## The matrix");
  expect(start, "docs/threat-model.md has a '## The matrix' section").toBeGreaterThan(-1);
  const rest = md.slice(start);
  const end = rest.indexOf("\n## ", 5);
  const lines = (end === -1 ? rest : rest.slice(0, end)).split("\n").filter((l) => l.startsWith("|"));
  const out: Citation[] = [];
  for (const line of lines.slice(2)) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    const row = cells[0]!;
    for (const cell of cells.slice(1)) {
      for (const seg of cell.split("·")) {
        const m = /^\s*(S\+K|S|K|M):\s*(.*)$/s.exec(seg);
        const ids = seg.match(ID) ?? [];
        if (ids.length === 0) continue;
        expect(m, `matrix row "${row}": "${seg.trim()}" cites cases without a layer tag`).not.toBeNull();
        for (const id of ids) out.push({ id, layer: m![1] as Layer, row });
      }
    }
  }
  return out;
}

describe("threat model matrix ↔ test/evasion/cases.ts", () => {
  const md = readFileSync(join(ROOT, "docs", "threat-model.md"), "utf8");
  const cited = matrixCitations(md);
  const byId = new Map(CASES.map((c) => [c.id, c]));

  it("case_ids_are_unique_and_well_formed", () => {
    const ids = CASES.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^E\d\d[a-z]$/);
    expect(ids.length).toBeGreaterThanOrEqual(40);
  });

  it("every_case_the_matrix_cites_exists_with_that_layer", () => {
    const wrong = cited.filter((c) => !byId.has(c.id) || byId.get(c.id)!.layer !== c.layer);
    expect(wrong.map((c) => `${c.id} cited as ${c.layer} in "${c.row}", cases.ts: ${byId.get(c.id)?.layer ?? "missing"}`)).toEqual([]);
  });

  it("every_case_in_the_suite_is_cited_in_the_matrix", () => {
    const ids = new Set(cited.map((c) => c.id));
    expect(CASES.filter((c) => !ids.has(c.id)).map((c) => c.id)).toEqual([]);
  });

  it("no_case_id_appears_outside_the_catalogue_numbers_the_doc_mentions", () => {
    // ids in prose (outside the matrix) must exist too, or be a bare catalogue number (E38)
    const all = md.match(ID) ?? [];
    expect(all.filter((id) => !byId.has(id))).toEqual([]);
  });
});
