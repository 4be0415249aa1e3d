import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Deployment, parseDeployment } from "./deployments.ts";
import { DeploymentError } from "./errors.ts";

/** Folder holding `<chainId>.json` deployment files, at the repository root. */
export const DEPLOYMENTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "deployments");

/**
 * Reads the deployment of `chainId` (written by `npm run chain` locally, committed for public chains).
 *
 * @example
 * const { jobMarket } = readDeployment(31337);
 */
export function readDeployment(chainId: number, dir: string = DEPLOYMENTS_DIR): Deployment {
  const file = join(dir, `${chainId}.json`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new DeploymentError(`no deployment for chain ${chainId}`, {
      details: `${file} is missing; for the local chain run \`npm run chain\` first`,
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new DeploymentError(`${file} is not valid JSON`, {
      details: "delete it and run `npm run chain` again",
      cause,
    });
  }
  return parseDeployment(parsed, file);
}

/** Writes a deployment file atomically (temp file + rename), so a crash never leaves half a file. */
export function writeDeployment(deployment: Deployment, dir: string = DEPLOYMENTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${deployment.chainId}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(deployment, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}
