// Raw-data commitments (sdk/rawData.ts, docs/RAW_DATA.md) against an independent implementation of
// the spec on node:crypto, and every way a row, a salt or a proof can be wrong.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { type Hex, toHex } from "viem";
import {
  commitRawData,
  MAX_RAW_TEXT_BYTES,
  RAW_DATA_DOMAIN,
  RawDataError,
  type RawRow,
  rawCommitmentOf,
  rawRowProof,
  rawRowsRoot,
  verifyRawData,
  verifyRawRowProof,
} from "../../sdk/rawData.ts";

const SALT: Hex = `0x${"5a".repeat(32)}`;
const OTHER_SALT: Hex = `0x${"a5".repeat(32)}`;

/** The spec, written again with node:crypto and Buffers (no code shared with the SDK). */
const reference = {
  leaf(row: RawRow): Buffer {
    const text = Buffer.from(row.text, "utf8");
    const head = Buffer.alloc(9);
    head.writeUInt8(0, 0);
    head.writeUInt32BE(row.label, 1);
    head.writeUInt32BE(text.length, 5);
    return createHash("sha256").update(head).update(text).digest();
  },
  root(rows: RawRow[]): Buffer {
    let level = rows.map((r) => reference.leaf(r));
    while (level.length > 1) {
      const next: Buffer[] = [];
      for (let i = 0; i < level.length; i += 2) {
        const [l, r] = [level[i] as Buffer, level[i + 1]];
        next.push(
          r === undefined
            ? l
            : createHash("sha256")
                .update(Buffer.from([1]))
                .update(l)
                .update(r)
                .digest(),
        );
      }
      level = next;
    }
    return level[0] as Buffer;
  },
  commitment(rows: RawRow[], salt: Hex): Hex {
    const count = Buffer.alloc(8);
    count.writeBigUInt64BE(BigInt(rows.length));
    const h = createHash("sha256")
      .update(RAW_DATA_DOMAIN, "utf8")
      .update(Buffer.from(salt.slice(2), "hex"))
      .update(count)
      .update(reference.root(rows))
      .digest();
    // Reduced modulo BN254's scalar field order r (the market takes commitments as field elements).
    const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    return toHex(BigInt(`0x${h.toString("hex")}`) % r, { size: 32 });
  },
};

const rowsOf = (n: number): RawRow[] =>
  Array.from({ length: n }, (_, i) => ({
    text: `row ${i}: book a table for ${i % 7} — café ☕`,
    label: i % 5,
  }));

/** Some row other than row `i` (row `i` itself when there is only one). */
const other = (rows: RawRow[], i: number): RawRow => rows[(i + 1) % rows.length] as RawRow;

const expectRawDataError = (f: () => unknown, pattern: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof RawDataError && pattern.test(e.message));

describe("raw-data commitments (sdk/rawData.ts)", () => {
  it("equals an independent implementation of the spec for 1 to 33 rows (odd levels carried up)", () => {
    for (let n = 1; n <= 33; n++) {
      const rows = rowsOf(n);
      const c = commitRawData(rows, SALT);
      assert.equal(c.commitment, reference.commitment(rows, SALT), `${n} rows`);
      assert.equal(c.root, toHex(reference.root(rows)));
      assert.equal(c.rowCount, n);
      assert.equal(c.salt, SALT);
    }
  });

  it("the salt makes two jobs over the same rows unlinkable; a fresh salt is drawn when none is given", () => {
    const rows = rowsOf(10);
    assert.notEqual(commitRawData(rows, SALT).commitment, commitRawData(rows, OTHER_SALT).commitment);
    const a = commitRawData(rows);
    const b = commitRawData(rows);
    assert.notEqual(a.salt, b.salt);
    assert.notEqual(a.commitment, b.commitment);
    assert.equal(a.root, b.root, "the root alone is not what is posted");
  });

  it("verifyRawData accepts the rows and rejects a flipped byte, a changed label, reordering, a dropped or added row, another salt", () => {
    const rows = rowsOf(12);
    const { commitment } = commitRawData(rows, SALT);
    verifyRawData(rows, SALT, commitment);
    verifyRawData(rows, SALT, commitment.toUpperCase().replace("0X", "0x") as Hex);
    const variants: [string, RawRow[], Hex][] = [
      [
        "flipped byte",
        rows.map((r, i) => (i === 7 ? { ...r, text: r.text.replace("row", "rox") } : r)),
        SALT,
      ],
      ["changed label", rows.map((r, i) => (i === 3 ? { ...r, label: r.label + 1 } : r)), SALT],
      ["swapped rows", [rows[1], rows[0], ...rows.slice(2)] as RawRow[], SALT],
      ["dropped row", rows.slice(0, -1), SALT],
      ["added row", [...rows, { text: "extra", label: 0 }], SALT],
      ["duplicated last row", [...rows, rows[rows.length - 1] as RawRow], SALT],
      ["other salt", rows, OTHER_SALT],
    ];
    for (const [what, variant, salt] of variants) {
      expectRawDataError(
        () => verifyRawData(variant, salt, commitment),
        /do not open the raw-data commitment/,
      );
      assert.ok(what);
    }
  });

  it("text and label are bound separately: moving a digit from the text into the label changes the leaf", () => {
    const a = commitRawData([{ text: "a1", label: 2 }], SALT).commitment;
    const b = commitRawData([{ text: "a", label: 12 }], SALT).commitment;
    assert.notEqual(a, b);
  });

  it("a membership proof verifies for every row of 1 to 17 rows, and fails for a tampered row, sibling, index or extra sibling", () => {
    for (let n = 1; n <= 17; n++) {
      const rows = rowsOf(n);
      const opening = { root: rawRowsRoot(rows), rowCount: n };
      for (let i = 0; i < n; i++) {
        const proof = rawRowProof(rows, i);
        const row = rows[i] as RawRow;
        assert.equal(verifyRawRowProof(row, proof, opening), true, `${n} rows, row ${i}`);
        assert.equal(
          verifyRawRowProof({ ...row, label: row.label + 1 }, proof, opening),
          false,
          "changed label",
        );
        if (n > 1) {
          const other = rows[(i + 1) % n] as RawRow;
          assert.equal(verifyRawRowProof(other, proof, opening), false, "another row at this index");
          const first = proof.siblings[0] as Hex;
          const flipped = [
            `${first.slice(0, -1)}${first.endsWith("0") ? "1" : "0"}` as Hex,
            ...proof.siblings.slice(1),
          ];
          assert.equal(
            verifyRawRowProof(row, { ...proof, siblings: flipped }, opening),
            false,
            "tampered sibling",
          );
          assert.equal(
            verifyRawRowProof(row, { ...proof, index: (i + 1) % n }, opening),
            false,
            "wrong index",
          );
        }
        const extra = { ...proof, siblings: [...proof.siblings, opening.root] };
        assert.equal(verifyRawRowProof(row, extra, opening), false, "an extra sibling");
        assert.equal(verifyRawRowProof(row, { ...proof, index: n }, opening), false, "index past the count");
        if (n > 1) {
          const wrongRoot = toHex(reference.leaf(other(rows, i)));
          assert.equal(verifyRawRowProof(row, proof, { ...opening, root: wrongRoot }), false, "another root");
        }
      }
    }
  });

  it("refuses rows it cannot commit to, with the row named", () => {
    expectRawDataError(() => commitRawData([], SALT), /no rows/);
    expectRawDataError(
      () =>
        commitRawData(
          [
            { text: "ok", label: 0 },
            { text: "x", label: 1.5 },
          ],
          SALT,
        ),
      /row 1: label/,
    );
    expectRawDataError(() => commitRawData([{ text: "x", label: -1 }], SALT), /row 0: label/);
    expectRawDataError(() => commitRawData([{ text: "x", label: 2 ** 32 }], SALT), /label/);
    expectRawDataError(
      () => commitRawData([{ text: 5 as unknown as string, label: 0 }], SALT),
      /text must be a string/,
    );
    expectRawDataError(() => commitRawData([null as unknown as RawRow], SALT), /row 0 is not an object/);
    expectRawDataError(
      () => commitRawData([{ text: "broken \uD800 surrogate", label: 0 }], SALT),
      /lone surrogate/,
    );
    expectRawDataError(() => commitRawData([{ text: "\uDC00", label: 0 }], SALT), /lone surrogate/);
    commitRawData([{ text: "paired \uD83D\uDE00 emoji", label: 0 }], SALT);
    expectRawDataError(
      () => commitRawData([{ text: "é".repeat(MAX_RAW_TEXT_BYTES / 2 + 1), label: 0 }], SALT),
      /bytes, over/,
    );
    expectRawDataError(() => commitRawData(rowsOf(2), "0x1234"), /salt must be 32 bytes/);
    expectRawDataError(
      () => commitRawData(rowsOf(2), `0x${"zz".repeat(32)}` as Hex),
      /salt must be 32 bytes/,
    );
    expectRawDataError(() => rawCommitmentOf(rawRowsRoot(rowsOf(1)), 0, SALT), /row count/);
    expectRawDataError(() => rawRowProof(rowsOf(3), 3), /out of range/);
  });
});
