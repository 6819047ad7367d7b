import type { SandboxClock } from '../clock/clock.js';
import type { Gateway } from '../app/gateway.js';
import type { ApiCall } from '../app/api-call.js';
import type { Notifier } from '../notify/notifier.js';
import type { ScenarioBook } from '../app/scenario-book.js';
import type { CallLog } from '../app/call-log.js';
import type { Admin } from '../app/admin.js';
import type { EventHub } from '../app/event-hub.js';
import type { InterceptionInfo } from '../proxy/interception.js';
import type { ConformanceRuns } from '../app/conformance-runs.js';

/** What the HTTP app is given: the use cases and collaborators its routers call. */
export interface AppOptions {
  gateway: Gateway;
  /** The PAYJS surface's pipeline (app/api-call.ts), which the /api routes hand every call to. */
  apiCall: ApiCall;
  notifier: Notifier;
  scenarios: ScenarioBook;
  clock: SandboxClock;
  callLog: CallLog;
  admin: Admin;
  events: EventHub;
  /** The notify-endpoint conformance battery and its last reports. */
  conformance: ConformanceRuns;
  /** When set, the control API and the dashboard require it (the sandbox is not on loopback). */
  controlToken?: string;
  /** Host names the control API and dashboard answer to besides loopback names and IPs. */
  allowedHosts?: string[];
  /** The sandbox's own URL, for links when a request carries no Host header. */
  url: () => string;
  log: (line: string) => void;
  /** The CA and what intercepts payjs.cn (src/proxy/interception.ts). */
  interception: { caPem(): string; info(url: string): InterceptionInfo };
}
