// Records every SDK scenario and writes the fixtures:
//   tests/fixtures/posthog/<name>.capture.jsonl      one decoded capture request body per line (/s/, /e/, /i/v0/e/)
//   tests/fixtures/posthog/<name>.export-v2.json     PostHog "Export to file" (version 2023-04-28)
//   tests/fixtures/posthog/<name>.export-v1.json     legacy export (version 2022-12-02), --v1 recordings only
//   tests/fixtures/posthog/<name>.capture/           exact request bodies as received (--raw recordings only)
//   tests/fixtures/sentry/<name>/segment-NNNN.bin    replay_recording payloads exactly as sent
//   tests/fixtures/sentry/<name>/recording-segments.json   API download form: [[events of segment 0], …]
//   tests/fixtures/sentry/<name>/replay-events.json  replay_event items (+ envelope headers)
//   tests/fixtures/{posthog,sentry}/<name>.truth.json ground truth
// Usage: node record-all.mjs [--only a,b]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import esbuild from 'esbuild';
import { REPO } from '../record/lib.mjs';
import { startServer } from './server.mjs';
import { runSdkSession, VERSIONS } from './session.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { decodeCaptureBody, posthogExportV2, posthogExportV1, personFromCapture } from './posthog-export.mjs';
import { parseEnvelope, segmentEvents } from './sentry-envelope.mjs';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const OUT = { posthog: path.join(REPO, 'tests', 'fixtures', 'posthog'), sentry: path.join(REPO, 'tests', 'fixtures', 'sentry') };
const RAW_BODIES = new Set(['ph-mpa-purchase']);
const V1_EXPORT = new Set(['ph-mpa-purchase']);

const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? new Set(args[onlyIdx + 1].split(',')) : null;

const bundle = await esbuild.build({ entryPoints: [path.join(HERE, 'src', 'sentry-entry.js')], bundle: true, format: 'iife', minify: true, write: false, target: 'es2020' });
const { server, run } = await startServer();
run.sentryBundle = Buffer.from(bundle.outputFiles[0].contents);

const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

for (const spec of SCENARIOS) {
  if (only && !only.has(spec.name)) continue;
  const { truth, requests, secs } = await runSdkSession({ run, port: run.port }, spec);
  const unknown = requests.filter((r) => r.kind === 'unknown').map((r) => r.method + ' ' + r.path);
  if (unknown.length) console.error(`${spec.name}: unanswered requests: ${[...new Set(unknown)].join(', ')}`);
  if (spec.sdk === 'posthog') writePosthog(spec, truth, requests);
  else writeSentry(spec, truth, requests);
  console.log(`${spec.name}: ${secs}s, ${truth.routes.length} routes, ${truth.clicks.length} clicks, ${truth.custom_events.length} custom events, ${requests.length} requests`);
}
server.close();

function writeTruth(dir, name, truth, extra) {
  const { description, ...rest } = truth;
  const ordered = { recording: extra.recording, description, ...extra, ...rest };
  fs.writeFileSync(path.join(dir, `${name}.truth.json`), JSON.stringify(ordered, null, 1) + '\n');
}

function writePosthog(spec, truth, requests) {
  const dir = OUT.posthog; fs.mkdirSync(dir, { recursive: true });
  const capture = requests.filter((r) => r.kind === 'posthog-capture');
  const decoded = capture.map((r) => ({ req: r, body: decodeCaptureBody(r) }));
  fs.writeFileSync(path.join(dir, `${spec.name}.capture.jsonl`), decoded.map((d) => JSON.stringify(d.body)).join('\n') + '\n');
  if (RAW_BODIES.has(spec.name)) {
    const rawDir = path.join(dir, `${spec.name}.capture`);
    fs.rmSync(rawDir, { recursive: true, force: true }); fs.mkdirSync(rawDir);
    const manifest = capture.map((r, i) => {
      const file = `${String(i).padStart(4, '0')}${r.path.replace(/\//g, '_').replace(/_+$/, '')}.body${r.body[0] === 0x1f && r.body[1] === 0x8b ? '.gz' : ''}`;
      fs.writeFileSync(path.join(rawDir, file), r.body);
      return { file, received_at_ms: r.t_ms, method: r.method, path: r.path, query: r.query, content_type: r.headers['content-type'], content_encoding: r.headers['content-encoding'], bytes: r.body.length };
    });
    fs.writeFileSync(path.join(rawDir, 'requests.json'), JSON.stringify(manifest, null, 1) + '\n');
  }
  const events = decoded.flatMap((d) => (Array.isArray(d.body) ? d.body : (d.body && Array.isArray(d.body.batch) ? d.body.batch : [d.body])));
  const person = spec.identify ? personFromCapture(events) : null;
  const v2 = posthogExportV2(events, person);
  fs.writeFileSync(path.join(dir, `${spec.name}.export-v2.json`), JSON.stringify(v2));
  if (V1_EXPORT.has(spec.name)) fs.writeFileSync(path.join(dir, `${spec.name}.export-v1.json`), JSON.stringify(posthogExportV1(events, person)));
  // exact recorded times of the custom events the shop sent (rrweb custom events in the recording)
  const customs = v2.data.snapshots.filter((e) => e.type === 5);
  for (const c of truth.custom_events) {
    const m = customs.find((e) => e.data.tag === c.name && sameJson(e.data.payload, c.payload));
    c.t_ms = m ? m.timestamp : c.called_at_ms;
    c.in_recording = !!m;
  }
  truth.custom_events = truth.custom_events.map(({ t_ms, called_at_ms, in_recording, name, payload }) => ({ t_ms, called_at_ms, in_recording, name, payload }));
  const snaps = events.filter((e) => e.event === '$snapshot');
  writeTruth(dir, spec.name, truth, {
    recording: `${spec.name}.export-v2.json`,
    files: { capture: `${spec.name}.capture.jsonl`, export_v2: `${spec.name}.export-v2.json`, export_v1: V1_EXPORT.has(spec.name) ? `${spec.name}.export-v1.json` : undefined, raw_bodies: RAW_BODIES.has(spec.name) ? `${spec.name}.capture/` : undefined },
    session_id: v2.data.id,
    window_ids: [...new Set(snaps.map((e) => e.properties.$window_id))],
    distinct_ids: [...new Set(events.map((e) => e.properties && e.properties.distinct_id).filter(Boolean))],
    sdk_init: { api_host: 'http://127.0.0.1:<port>', opt_out_useragent_filter: true, capture_pageview: 'history_change', person_profiles: 'identified_only', disable_session_recording: false },
    versions: VERSIONS,
  });
}

function writeSentry(spec, truth, requests) {
  const dir = path.join(OUT.sentry, spec.name);
  fs.rmSync(dir, { recursive: true, force: true }); fs.mkdirSync(dir, { recursive: true });
  const envs = requests.filter((r) => r.kind === 'sentry-envelope').map((r) => ({ req: r, env: parseEnvelope(r.body) }));
  const segments = [], replayEvents = [];
  const replayIds = new Set();
  for (const { req, env } of envs) {
    for (const item of env.items) {
      if (item.header.type === 'replay_event') {
        const ev = JSON.parse(item.payload.toString('utf8'));
        replayIds.add(ev.replay_id);
        replayEvents.push({ received_at_ms: req.t_ms, envelope_header: env.header, item_header: item.header, replay_event: ev });
      } else if (item.header.type === 'replay_recording') {
        segments.push({ received_at_ms: req.t_ms, payload: item.payload });
      }
    }
  }
  const parsed = segments.map((s) => ({ ...s, ...segmentEvents(s.payload) })).sort((a, b) => a.segment_id - b.segment_id);
  for (const s of parsed) fs.writeFileSync(path.join(dir, `segment-${String(s.segment_id).padStart(4, '0')}.bin`), s.payload);
  fs.writeFileSync(path.join(dir, 'recording-segments.json'), JSON.stringify(parsed.map((s) => s.events)));
  fs.writeFileSync(path.join(dir, 'replay-events.json'), JSON.stringify(replayEvents, null, 1) + '\n');
  const all = parsed.flatMap((s) => s.events);
  for (const c of truth.custom_events) {
    const m = all.find((e) => e.type === 5 && e.data && e.data.tag === 'breadcrumb' && e.data.payload && e.data.payload.category === 'shop' && e.data.payload.message === c.name);
    c.t_ms = m ? m.timestamp : c.called_at_ms;
    c.in_recording = !!m;
  }
  truth.custom_events = truth.custom_events.map(({ t_ms, called_at_ms, in_recording, name, payload }) => ({ t_ms, called_at_ms, in_recording, name, payload }));
  writeTruth(OUT.sentry, spec.name, truth, {
    recording: `${spec.name}/`,
    files: { segments: parsed.map((s) => `${spec.name}/segment-${String(s.segment_id).padStart(4, '0')}.bin`), recording_segments: `${spec.name}/recording-segments.json`, replay_events: `${spec.name}/replay-events.json` },
    replay_ids: [...replayIds],
    segment_compression: parsed.map((s) => s.compression),
    sdk_init: { dsn: 'http://public@127.0.0.1:<port>/1', integrations: ['replayIntegration() with defaults'], replaysSessionSampleRate: 1.0, replaysOnErrorSampleRate: 1.0 },
    versions: VERSIONS,
  });
}
