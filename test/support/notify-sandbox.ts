/** What a notify test stands on: a receiver and a sandbox on a frozen clock (2024-01-01 12:00
 * Beijing), so that the ladder moves only when the test advances it. The test closes both. */
import { SandboxClock, startSandbox, type Sandbox, type SandboxOptions } from '../../src/index.js';
import { startReceiver, type Receiver } from '../receiver.js';

/** The start of every frozen clock of these tests. */
export const FROZEN_START = Date.UTC(2024, 0, 1, 4);

export interface NotifySandbox {
  sandbox: Sandbox;
  receiver: Receiver;
  clock: SandboxClock;
}

export async function openNotifySandbox(options: SandboxOptions = {}): Promise<NotifySandbox> {
  const receiver = await startReceiver();
  const clock = new SandboxClock({ start: FROZEN_START, frozen: true });
  const sandbox = await startSandbox({ clock, ...options });
  return { sandbox, receiver, clock };
}
