/**
 * `node --import payjs-sandbox/register app.js` (or NODE_OPTIONS=--import=payjs-sandbox/register):
 * an unmodified Node app's requests to payjs.cn go to the sandbox at PAYJS_SANDBOX_URL.
 * PAYJS_SANDBOX_INTERCEPT_HOSTS (comma-separated) adds PAYJS-compatible hosts.
 */
import { interceptPayjs } from './index.js';

const url = process.env.PAYJS_SANDBOX_URL;
if (url) {
  interceptPayjs(url, { hosts: (process.env.PAYJS_SANDBOX_INTERCEPT_HOSTS ?? '').split(',').filter(Boolean) });
} else if (!process.env.PAYJS_SANDBOX_REGISTER_WARNED) {
  // Once for the whole process tree: children that inherit NODE_OPTIONS inherit the marker too.
  process.env.PAYJS_SANDBOX_REGISTER_WARNED = '1';
  process.stderr.write('payjs-sandbox/register: PAYJS_SANDBOX_URL is not set, so nothing is intercepted: set it to the running sandbox, e.g. PAYJS_SANDBOX_URL=http://127.0.0.1:3000\n');
}
