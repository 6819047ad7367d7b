import type { SandboxClock } from '../clock/clock.js';
import type { Gateway } from '../app/gateway.js';
import type { ApiCall } from '../app/api-call.js';
import type { Notifier } from '../notify/notifier.js';
import type { ScenarioBook } from '../app/scenario-book.js';
import type { CallLog } from '../app/call-log.js';
import type { Admin } from '../app/admin.js';
import type { EventHub } from '../app/event-hub.js';

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
  /** When set, the control API and the dashboard require it (the sandbox is not on loopback). */
  controlToken?: string;
  /** The sandbox's own URL, for links when a request carries no Host header. */
  url: () => string;
  log: (line: string) => void;
}
