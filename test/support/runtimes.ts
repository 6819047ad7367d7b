/** The other languages' runtimes that some tests drive as real clients, and how those tests skip
 * on a machine that lacks one: `describe.runIf(needs('php'))(…)`. `npm test` passes with only
 * Node; `.ci/run` installs these, so in CI the tests run and count. */
import { spawnSync } from 'node:child_process';

/** Each runtime: the command that proves it usable, what it is, and how to get it. */
export const RUNTIMES = {
  python: { probe: ['python3', '-c', 'import requests'], what: 'python3 with requests', install: 'apt-get install python3-requests (or pip install requests)' },
  php: { probe: ['php', '-r', 'exit(function_exists("curl_init") ? 0 : 1);'], what: 'php with its curl extension', install: 'apt-get install php-cli php-curl' },
  curl: { probe: ['curl', '--version'], what: 'curl', install: 'apt-get install curl' },
  openssl: { probe: ['openssl', 'version'], what: 'the openssl command', install: 'apt-get install openssl' },
} as const;

export type Runtime = keyof typeof RUNTIMES;

/** Why `runtime` cannot be used on this machine, or undefined when it can. */
export function missing(runtime: Runtime, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { probe, what, install } = RUNTIMES[runtime];
  const [command, ...args] = probe;
  const run = spawnSync(command, args, { env, stdio: 'ignore', timeout: 10_000 });
  if (run.status === 0) return undefined;
  const why = run.error ? `${command} not found` : `\`${probe.join(' ')}\` failed`;
  return `${what} is not available (${why}): ${install}`;
}

const asked = new Map<Runtime, boolean>();

/** Whether `runtime` is here; when it is not, prints once why the tests needing it are skipped. */
export function needs(runtime: Runtime): boolean {
  let here = asked.get(runtime);
  if (here === undefined) {
    const reason = missing(runtime);
    if (reason) console.warn(`skipped: the tests that need ${runtime} — ${reason}`);
    asked.set(runtime, (here = !reason));
  }
  return here;
}
