/**
 * What a tapped `<navigator>` does. `target="miniProgram"` jumps exactly as
 * `wx.navigateToMiniProgram` does with its `app-id`, `path`, `extra-data` and `version` (PAYJS's
 * own fallback when a jump needs the user's tap, docs/protocol.md §12), then fires its `success` /
 * `fail` / `complete` events on the tag; otherwise `url` opens with its `open-type` (navigate,
 * redirect, switchTab, reLaunch, navigateBack with `delta`).
 */
import type { Element } from 'domhandler';
import { nodeInfo } from './events.js';
import type { Fn } from './instance.js';

/** The navigator a tap on `el` activates: `el` or its nearest navigator ancestor. */
export function navigatorOf(el: Element): Element | undefined {
  for (let n: Element | null = el; n && n.type === 'tag'; n = n.parent as Element | null) if (n.name === 'navigator') return n;
  return undefined;
}

/** Performs the navigator's action with `wx`; `fire(type, detail)` sends its events. */
export function followNavigator(nav: Element, wx: Record<string, Fn>, fire: (type: string, detail: unknown) => void): void {
  const a = nodeInfo.get(nav)?.attrs ?? {};
  const callbacks = { success: (r: unknown) => fire('success', r), fail: (r: unknown) => fire('fail', r), complete: (r: unknown) => fire('complete', r) };
  if (a.target === 'miniProgram') {
    if ((a['open-type'] ?? 'navigate') === 'exit') return;
    wx.navigateToMiniProgram({ appId: a['app-id'], path: a.path, extraData: a['extra-data'], envVersion: a.version ?? 'release', ...callbacks });
    return;
  }
  const type = String(a['open-type'] ?? 'navigate');
  const api = { navigate: 'navigateTo', redirect: 'redirectTo', switchTab: 'switchTab', reLaunch: 'reLaunch', navigateBack: 'navigateBack' }[type];
  if (!api) return;
  wx[api](api === 'navigateBack' ? { delta: Number(a.delta ?? 1), ...callbacks } : { url: a.url, ...callbacks });
}
