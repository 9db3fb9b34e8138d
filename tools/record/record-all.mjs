// One command for the whole data side:
//   node record-all.mjs                 build shop, screenshots, all recordings, check
//   node record-all.mjs --only a,b      only the named recordings (no screenshots)
//   node record-all.mjs --no-screenshots
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { serve, REPO, HERE } from './lib.mjs';
import { runSession, RRWEB_VERSION } from './session.mjs';
import { SCENARIOS } from './scenarios.mjs';

const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1].split(',') : null;
const doShots = !only && !args.includes('--no-screenshots');

execFileSync(process.execPath, [path.join(REPO, 'tools', 'demo-shop', 'build.mjs')], { stdio: 'inherit' });
if (doShots) execFileSync(process.execPath, [path.join(HERE, 'screenshots.mjs')], { stdio: 'inherit' });

console.log(`rrweb ${RRWEB_VERSION}`);
const { server, port } = await serve();
const list = SCENARIOS.filter((s) => !only || only.includes(s.name));
if (only && list.length !== only.length) throw new Error('unknown scenario in --only');
for (const s of list) {
  const t = Date.now();
  try {
    const r = await runSession(port, s);
    console.log(`${r.name.padEnd(34)} events=${String(r.events).padStart(5)} clicks=${String(r.clicks).padStart(3)} pages=${r.pages} errors=${r.errors} custom=${r.customs} ${r.secs}s`);
  } catch (e) {
    console.error(`FAILED ${s.name} after ${Math.round((Date.now() - t) / 1000)}s:`, e);
    process.exitCode = 1;
  }
}
server.close();
execFileSync(process.execPath, [path.join(HERE, 'check-fixtures.mjs')], { stdio: 'inherit' });
