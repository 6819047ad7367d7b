/** `payjs-sandbox doctor` given something that is not a mini-program directory: exit 2 with a
 * line that says what to give, never a stack trace or a report about a missing app.json. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runToEnd, tempDir } from './cli-process.js';

describe('doctor with a wrong argument', () => {
  it('a missing directory exits 2: "no such directory"', async () => {
    const r = await runToEnd(['doctor', '/no/such/miniprogram']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('payjs-sandbox doctor: no such directory: /no/such/miniprogram');
    expect(r.stdout).toBe('');
  });

  it('a file exits 2 and asks for the directory with app.json', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'app.js'), 'App({})');
    const r = await runToEnd(['doctor', 'app.js'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("payjs-sandbox doctor: app.js is a file, not a directory: give the mini-program's directory (the one with app.json)");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
