import type { ConformanceReport } from './conformance.js';

/**
 * A conformance report as JUnit XML, the format CI dashboards (GitLab, Jenkins, GitHub test
 * reporters) read: one <testsuite>, one <testcase> per case, <failure> for a failed one, <skipped>
 * for an information-only one. A small writer of our own rather than a builder library: the
 * document has four element types, and what must be right is the escaping, done here once.
 */

/** Characters XML 1.0 cannot carry at all, even escaped (C0 controls but tab, LF, CR; lone
 * surrogates; U+FFFE/FFFF). */
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text or attribute value, escaped for XML (invalid characters become U+FFFD). */
export function xmlEscape(value: string): string {
  return value.replace(INVALID, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const attrs = (a: Record<string, string | number>) => Object.entries(a).map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`).join('');
const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function junitXml(report: ConformanceReport): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suite = { name: `PAYJS notify endpoint ${report.url}`, tests: report.cases.length, failures: report.summary.fail, errors: 0, skipped: report.summary.info, time: seconds(report.ms), timestamp: new Date(report.at).toISOString() };
  out.push(`<testsuites${attrs({ name: 'payjs-sandbox check-notify', tests: suite.tests, failures: suite.failures, errors: 0, time: suite.time })}>`);
  out.push(`  <testsuite${attrs(suite)}>`);
  for (const c of report.cases) {
    const time = seconds(c.sends.reduce((n, s) => n + s.ms, 0));
    out.push(`    <testcase${attrs({ classname: `notify.${c.id}`, name: c.title, time })}>`);
    const detail = [`expected ${c.expected}; got ${c.got}`, ...(c.timing ? [`p50 ${c.timing.p50} ms, max ${c.timing.max} ms over ${c.timing.sends} sends`] : []), ...(c.finding ? [`why: ${c.finding.why}`, `fix: ${c.finding.fix}`, `rule: ${c.finding.rule}`] : [])].join('\n');
    if (c.verdict === 'fail') out.push(`      <failure${attrs({ type: c.severity, message: `${c.severity}: expected ${c.expected}; got ${c.got}` })}>${xmlEscape(detail)}</failure>`);
    if (c.verdict === 'info') out.push(`      <skipped${attrs({ message: `information only: ${c.got}` })}/>`);
    out.push(`      <system-out>${xmlEscape(detail)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
