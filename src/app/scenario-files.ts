import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Refusal } from '../core/errors.js';
import { checkScenarioFile, type ScenarioFile } from './scenario-inputs.js';
import { PACKAGE_ROOT } from './package-root.js';

/** The scenario files shipped with the package: the classic cases, in fixtures/scenarios/. */
export const SHIPPED_SCENARIOS_DIR = join(PACKAGE_ROOT, 'fixtures', 'scenarios');

/** A shipped scenario file, as the dashboard lists it. */
export interface ShippedScenario {
  /** The file name, e.g. `late-notify.json`. */
  file: string;
  name: string;
  description: string;
  rules: ScenarioFile['rules'];
}

/** Every shipped scenario file, checked, by file name. */
export function shippedScenarios(): ShippedScenario[] {
  return readdirSync(SHIPPED_SCENARIOS_DIR).filter((f) => f.endsWith('.json')).sort().map((file) => ({ file, ...readScenarioFile(join(SHIPPED_SCENARIOS_DIR, file)) }));
}

/** The shipped file called `file` (a bare name, with or without `.json`), or undefined. */
export function shippedScenario(file: string): ShippedScenario | undefined {
  const name = file.endsWith('.json') ? file : `${file}.json`;
  return shippedScenarios().find((s) => s.file === name);
}

/** Reads and checks a scenario file from disk; the refusal names the file and the path in it. */
export function readScenarioFile(path: string): ScenarioFile {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Refusal('BAD_BODY', [`${path}: ${(err as Error).message}`]);
  }
  return checkScenarioFile(value, basename(path));
}
