/**
 * 7. The reply agent's rule engine on its corpus (packages/core/src/reply-agent/corpus.ts): intent
 * accuracy, callback-time accuracy, keywords left to compliance, and classification speed. No database,
 * no network; the same numbers as the corpus test. `node bench/reply-agent.js` prints them alone.
 */
import { fileURLToPath } from 'node:url';
import { REPLY_CORPUS, evaluateCorpus } from '../packages/core/dist/index.js';

export function benchReplyAgent(rows) {
  const t = process.hrtime.bigint();
  const rounds = 20;
  let report;
  for (let i = 0; i < rounds; i++) report = evaluateCorpus();
  const perReplyUs = Number(process.hrtime.bigint() - t) / 1000 / (rounds * REPLY_CORPUS.length);
  const ok = report.intentAccuracy >= 0.9 && report.complianceLeft === report.complianceTotal;
  rows.push({
    scenario: `7. reply agent rules on the corpus (${report.total} replies, English and Spanish)`,
    database: '—',
    result:
      `intent ${report.intentCorrect}/${report.total} (${(report.intentAccuracy * 100).toFixed(1)}%), ` +
      `callback time ${report.timeCorrect}/${report.timeTotal}, keywords left to compliance ${report.complianceLeft}/${report.complianceTotal}; ` +
      `${perReplyUs.toFixed(0)} µs per reply`,
    baseline: '—',
    ratio: '—',
    target: ok ? 'PASS (≥ 90% intent, 100% keywords)' : 'FAIL (≥ 90% intent, 100% keywords)',
  });
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = [];
  const report = benchReplyAgent(rows);
  console.log(rows[0].result);
  for (const miss of report.misses) console.log(`miss: ${JSON.stringify(miss)}`);
  if (!rows[0].target.startsWith('PASS')) process.exitCode = 1;
}
