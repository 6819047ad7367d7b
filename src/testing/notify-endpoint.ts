import { startSandbox, type Sandbox } from '../sandbox.js';
import type { SandboxClient } from '../client/index.js';
import { formatReport, type ConformanceReport } from '../notify/conformance.js';
import { SandboxAssertionError } from './assertions.js';

export interface NotifyEndpointOptions {
  /** Run from this sandbox (in-process or a client); default: a fresh in-process one, closed after. */
  sandbox?: Pick<Sandbox | SandboxClient, 'checkNotify'>;
  /** The merchant the endpoint verifies signs for (default: the default merchant). With `key`
   * and no `sandbox`, the fresh sandbox gets this merchant. */
  mchid?: string;
  key?: string;
}

/**
 * Runs the notify-endpoint conformance battery (the one of `payjs-sandbox check-notify`) against
 * `url` and resolves with the report; rejects with a SandboxAssertionError whose message is the
 * report, worst findings first, when a case failed.
 */
export async function assertNotifyEndpoint(url: string, options: NotifyEndpointOptions = {}): Promise<ConformanceReport> {
  if (!!options.key && !options.mchid) throw new TypeError('assertNotifyEndpoint: key goes with mchid (the merchant whose key signs the notifies)');
  const own = options.sandbox ? undefined : await startSandbox({ merchants: options.mchid && options.key ? [`${options.mchid}:${options.key}`] : [] });
  try {
    const report = await (options.sandbox ?? own!).checkNotify(url, { mchid: options.mchid });
    if (!report.passed) throw new SandboxAssertionError(formatReport(report), []);
    return report;
  } finally {
    await own?.close();
  }
}
