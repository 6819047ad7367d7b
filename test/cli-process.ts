/** The CLI as a child process, for the tests that run it as a user would: started in a temp
 * directory of its own (or the one given), killed at the end of the file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(ROOT, 'dist', 'cli', 'bin.js');

const dirs: string[] = [];
const children: ChildProcess[] = [];

/** A fresh temp directory, removed after the file's tests. */
export function tempDir(prefix = 'payjs-cli-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
}

export interface LaunchOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts `node <args>` and resolves once it prints the banner's first line. */
export function launch(args: string[], options: LaunchOptions = {}): Promise<Running> {
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? tempDir(), env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no banner within 10 s:\n${text}`)), 10_000);
    const read = (chunk: Buffer) => {
      text += chunk.toString();
      const m = /^payjs-sandbox \S+ listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(text);
      if (m) clearTimeout(deadline), resolve({ child, url: m[1], output: () => text });
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code, signal) => (clearTimeout(deadline), reject(new Error(`exited ${code ?? signal} before the banner:\n${text}`))));
  });
}

/** Runs the CLI to its end: exit code and what it printed. */
export async function runToEnd(args: string[], options: LaunchOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? tempDir(), env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}
