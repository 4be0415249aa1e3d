// The fast dev powers of tau generator (scripts/circuits/devPtau.ts): its file equals, byte for byte,
// what snarkjs `prepare phase2` makes of its own sections 1-7; `snarkjs powersoftau verify` accepts
// it; a Groth16 setup on the fixture circuit from it verifies against the r1cs and proves/verifies;
// and a flipped byte in the tauG1 section is caught (so these checks can fail).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import * as snarkjs from "snarkjs";
import { generateDevPtau } from "../../../scripts/circuits/devPtau.ts";
import {
  readPtauHeader,
  readR1csHeader,
  releaseSnarkjs,
  requiredPower,
} from "../../../scripts/circuits/pipeline.ts";

const require = createRequire(import.meta.url);
const ROOT = join(import.meta.dirname, "..", "..", "..");
const FIXTURE = join(ROOT, "scripts", "circuits", "fixtures", "fixture.circom");
const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const BASE_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** circom2 resolves paths from the project root, so the scratch folder lives under build/. */
const SCRATCH = join(ROOT, "build", `test-devptau-${process.pid}-${randomBytes(3).toString("hex")}`);

/** Sections of an iden3 binfile: id → [offset of the data, size]. */
function sectionsOf(buf: Buffer): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  let pos = 12;
  for (let i = 0; i < buf.readUInt32LE(8); i++) {
    const id = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    out.set(id, [pos + 12, size]);
    pos += 12 + size;
  }
  assert.equal(pos, buf.length, "sections cover the file");
  return out;
}

/** A copy of the file with a byte of point `index` of `section` flipped. */
async function tamperedCopy(file: string, section: number, index: number, pointBytes: number) {
  const buf = await readFile(file);
  const [offset] = sectionsOf(buf).get(section) ?? [0];
  assert.ok(offset > 0);
  buf[offset + index * pointBytes + 5] = (buf[offset + index * pointBytes + 5] ?? 0) ^ 0x01;
  const copy = join(SCRATCH, `tampered-${section}-${index}.ptau`);
  await writeFile(copy, buf);
  return copy;
}

const errors: string[] = [];
const logger = {
  debug: () => {},
  log: () => {},
  info: () => {},
  warn: () => {},
  error: (m: string) => {
    errors.push(m);
  },
};

before(async () => {
  await mkdir(SCRATCH, { recursive: true });
});

after(async () => {
  await releaseSnarkjs();
  await rm(SCRATCH, { recursive: true, force: true });
});

describe("dev powers of tau generator", () => {
  const ptau8 = join(SCRATCH, "dev8.ptau");
  /** Sized for the fixture (power 9 at --O2). */
  const ptauFixture = join(SCRATCH, "dev-fixture.ptau");

  it("rejects a power out of range and leaves no file", async () => {
    await assert.rejects(
      generateDevPtau(0, join(SCRATCH, "bad.ptau")),
      /power must be an integer in 1\.\.27/,
    );
    await assert.rejects(generateDevPtau(28, join(SCRATCH, "bad.ptau")), /power must be an integer/);
    assert.equal(existsSync(join(SCRATCH, "bad.ptau")), false);
  });

  it("power 8 equals byte for byte what snarkjs prepare phase2 makes of its sections 1-7", async (t) => {
    const lines: string[] = [];
    await generateDevPtau(8, ptau8, (m) => lines.push(m));
    t.diagnostic(lines.join("\n"));
    assert.equal(existsSync(`${ptau8}.tmp`), false);
    assert.deepEqual(await readPtauHeader(ptau8), { power: 8, prepared: true });
    const mine = await readFile(ptau8);
    const sections = sectionsOf(mine);
    assert.deepEqual([...sections.keys()], [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]);
    const sizes = Object.fromEntries([...sections].map(([id, [, size]]) => [id, size]));
    assert.equal(sizes[2], (2 * 256 - 1) * 64);
    assert.equal(sizes[3], 256 * 128);
    assert.equal(sizes[12], (4 * 256 - 1) * 64);
    assert.equal(sizes[13], (2 * 256 - 1) * 128);

    // The same file without sections 12-15 (they are last; 7 sections), through snarkjs.
    const end = (sections.get(7)?.[0] ?? 0) + (sections.get(7)?.[1] ?? 0);
    const phase1 = Buffer.from(mine.subarray(0, end));
    phase1.writeUInt32LE(7, 8);
    const phase1File = join(SCRATCH, "dev8-phase1.ptau");
    const preparedFile = join(SCRATCH, "dev8-prepared.ptau");
    await writeFile(phase1File, phase1);
    await snarkjs.powersOfTau.preparePhase2(phase1File, preparedFile);
    const prepared = await readFile(preparedFile);
    const theirs = sectionsOf(prepared);
    for (const id of [12, 13, 14, 15]) {
      const [a, n] = sections.get(id) ?? [0, 0];
      const [b, m] = theirs.get(id) ?? [0, 0];
      assert.equal(n, m, `section ${id} size`);
      assert.ok(mine.subarray(a, a + n).equals(prepared.subarray(b, b + m)), `section ${id} differs`);
    }
    assert.ok(prepared.equals(mine), "whole file");
  });

  it("snarkjs powersoftau verify accepts it (contribution record, hashes, powers, Lagrange)", async () => {
    errors.length = 0;
    assert.equal(await snarkjs.powersOfTau.verify(ptau8, logger), true, errors.join("; "));
  });

  it("a fresh file has fresh secrets", async () => {
    const again = join(SCRATCH, "dev8-again.ptau");
    await generateDevPtau(8, again);
    const a = await readFile(ptau8);
    const b = await readFile(again);
    const [offset] = sectionsOf(a).get(2) ?? [0];
    // Point 0 is the generator in both; point 1 is [tau]G1.
    assert.ok(a.subarray(offset, offset + 64).equals(b.subarray(offset, offset + 64)));
    assert.ok(!a.subarray(offset + 64, offset + 128).equals(b.subarray(offset + 64, offset + 128)));
  });

  describe("Groth16 on the fixture circuit", () => {
    const out = join(SCRATCH, "fixture");
    const r1cs = join(out, "fixture.r1cs");
    const wasm = join(out, "fixture_js", "fixture.wasm");
    const zkey = join(out, "fixture.zkey");
    let vkey: snarkjs.VerificationKey;
    let power = 0;

    before(async () => {
      await mkdir(out, { recursive: true });
      const run = spawnSync(
        process.execPath,
        [
          require.resolve("circom2/cli.js"),
          relative(ROOT, FIXTURE),
          "--r1cs",
          "--wasm",
          "--O2",
          "-l",
          "node_modules",
          "-o",
          relative(ROOT, out),
        ],
        { cwd: ROOT, encoding: "utf8" },
      );
      assert.equal(run.status, 0, run.stdout + run.stderr);
      power = requiredPower(await readR1csHeader(r1cs));
      assert.ok(power >= 9 && power <= 10, `fixture needs power ${power}`);
      await generateDevPtau(power, ptauFixture);
    });

    it("zkey new + verify against r1cs and ptau; a proof verifies, a tampered one does not", async () => {
      errors.length = 0;
      assert.notEqual(await snarkjs.zKey.newZKey(r1cs, ptauFixture, zkey, logger), -1, errors.join("; "));
      assert.equal(
        await snarkjs.zKey.verifyFromR1cs(r1cs, ptauFixture, zkey, logger),
        true,
        errors.join("; "),
      );
      vkey = await snarkjs.zKey.exportVerificationKey(zkey);
      const input = { a: 3n, b: 5n, ctx: 7n };
      const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, wasm, zkey);
      assert.equal(publicSignals[1], "15");
      assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, proof), true);
      const y = BigInt(proof.pi_a[1] ?? 0);
      const tampered = { ...proof, pi_a: [proof.pi_a[0] ?? "0", (BASE_Q - y).toString(), "1"] };
      assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, tampered), false);
      const wrong = [publicSignals[0] ?? "", publicSignals[1] ?? "", ((7n + 1n) % FIELD).toString()];
      assert.equal(await snarkjs.groth16.verify(vkey, wrong, proof), false);
    });

    it("a flipped byte in the tauG1 section fails zkey verify and powersoftau verify", async () => {
      const bad = await tamperedCopy(ptauFixture, 2, 1, 64);
      errors.length = 0;
      assert.equal(await snarkjs.zKey.verifyFromR1cs(r1cs, bad, zkey, logger), false);
      assert.ok(errors.length > 0);
      errors.length = 0;
      assert.equal(await snarkjs.powersOfTau.verify(bad, logger), false);
    });

    it("a flipped byte in a Lagrange section breaks the proofs of a zkey made from it", async () => {
      // Point 3 of the Lagrange basis of the circuit's domain (2^power points start at 2^power - 1).
      const bad = await tamperedCopy(ptauFixture, 12, 2 ** power - 1 + 3, 64);
      const badZkey = join(out, "fixture-bad.zkey");
      errors.length = 0;
      assert.notEqual(await snarkjs.zKey.newZKey(r1cs, bad, badZkey, logger), -1, errors.join("; "));
      const badVkey = await snarkjs.zKey.exportVerificationKey(badZkey);
      const { proof, publicSignals } = await snarkjs.groth16.fullProve(
        { a: 3n, b: 5n, ctx: 7n },
        wasm,
        badZkey,
      );
      assert.equal(await snarkjs.groth16.verify(badVkey, publicSignals, proof), false);
    });
  });
});
