// PostHog capture decoding and "Export to file" writing, following PostHog's own frontend code
// (PostHog/posthog frontend/src/scenes/session-recordings/):
//  - file-playback/types.ts: ExportedSessionRecordingFileV1 {version:'2022-12-02', data:{person, snapshotsByWindowId}}
//    and ExportedSessionRecordingFileV2 {version:'2023-04-28', data:{id, person, snapshots: RecordingSnapshot[]}}
//  - player/sessionRecordingDataLogic.ts createExportJSON: {version, data:{id: meta.id, person: meta.person, snapshots}}
//    where `snapshots` are the player's processed snapshots:
//  - snapshot-processing/snapshot-parsing-utils.ts processSnapshotLine: blob lines [windowId, event]; the window id
//    is registered to a number (1, 2, … in order of first appearance) and put first: {windowId, ...event}
//  - snapshot-processing/decompress.ts decompressEvent: events with cv "2024-10" get their gzip string fields
//    unzipped ({...ev, data: unzip(ev.data)} for FullSnapshot; adds/removes/texts/attributes for Mutation;
//    adds/removes for StyleSheetRule); the `cv` key stays
//  - snapshot-processing/process-all-snapshots.ts processAllSnapshots: sort by timestamp, drop exact duplicates
//    with the same timestamp, patch a Meta before a FullSnapshot when none was seen (not needed here: posthog-js
//    always emits Meta first), strip Chrome extension nodes (none here)
import zlib from 'node:zlib';

/** Decode one capture request body as posthog-js sends it (gzip-js / gzip / base64 form / plain JSON). */
export function decodeCaptureBody(req) {
  let buf = req.body;
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  let text = buf.toString('utf8');
  if (text.startsWith('data=')) {
    const v = decodeURIComponent(new URLSearchParams(text).get('data'));
    text = Buffer.from(v, 'base64').toString('utf8');
  }
  return JSON.parse(text);
}

function unzip(s) {
  if (s === undefined || s === null) return undefined;
  return JSON.parse(zlib.gunzipSync(Buffer.from(s, 'latin1')).toString('utf8'));
}

/** decompress.ts decompressEvent, in Node. */
export function decompressEvent(ev) {
  if (!ev || typeof ev !== 'object' || !('cv' in ev)) return ev;
  if (ev.cv !== '2024-10') return ev;
  if (ev.type === 2 && typeof ev.data === 'string') return { ...ev, data: unzip(ev.data) };
  if (ev.type === 3 && ev.data && typeof ev.data === 'object' && 'source' in ev.data) {
    if (ev.data.source === 8) return { ...ev, data: { ...ev.data, source: 8, adds: unzip(ev.data.adds), removes: unzip(ev.data.removes) } };
    if (ev.data.source === 0 && 'texts' in ev.data) {
      return { ...ev, data: { ...ev.data, source: 0, adds: unzip(ev.data.adds), removes: unzip(ev.data.removes), texts: unzip(ev.data.texts), attributes: unzip(ev.data.attributes) } };
    }
  }
  return ev;
}

/** [[windowIdString, event], …] in arrival order, from the $snapshot capture events. */
export function snapshotLines(captureEvents) {
  const lines = [];
  for (const e of captureEvents) {
    if (!e || e.event !== '$snapshot') continue;
    const p = e.properties || {};
    const data = Array.isArray(p.$snapshot_data) ? p.$snapshot_data : [p.$snapshot_data];
    for (const d of data) if (d) lines.push([p.$window_id, d]);
  }
  return lines;
}

export function sessionId(captureEvents) {
  const s = captureEvents.find((e) => e && e.event === '$snapshot');
  return s ? s.properties.$session_id : '';
}

function processAll(snapshots) {
  const sorted = snapshots.map((s, i) => [s, i]).sort((a, b) => a[0].timestamp - b[0].timestamp || a[1] - b[1]).map((x) => x[0]);
  const out = [];
  let prevTs = null;
  let seen = new Set();
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i];
    if (s.timestamp === prevTs) {
      const { delay, ...rest } = s; void delay;
      if (seen.size === 0) { const { delay: d2, ...p } = sorted[i - 1]; void d2; seen.add(JSON.stringify(p)); }
      const h = JSON.stringify(rest);
      if (seen.has(h)) continue;
      seen.add(h);
    } else seen = new Set();
    out.push(s);
    prevTs = s.timestamp;
  }
  return out;
}

export function posthogExportV2(captureEvents, person) {
  const registry = new Map();
  const snaps = snapshotLines(captureEvents).map(([w, ev]) => {
    if (!registry.has(w)) registry.set(w, registry.size + 1);
    return { windowId: registry.get(w), ...decompressEvent(ev) };
  });
  return { version: '2023-04-28', data: { id: sessionId(captureEvents), person, snapshots: processAll(snaps) } };
}

/** Legacy export as PostHog wrote it in 2022 (snapshots keyed by the window id string, plain rrweb events). */
export function posthogExportV1(captureEvents, person) {
  const byWindow = {};
  const lines = snapshotLines(captureEvents).map(([w, ev]) => ({ windowId: w, ...decompressEvent(ev) }));
  for (const s of processAll(lines)) {
    const { windowId, cv, ...ev } = s; void cv;
    (byWindow[windowId] = byWindow[windowId] || []).push(ev);
  }
  return { version: '2022-12-02', data: { person, snapshotsByWindowId: byWindow } };
}

/** A PersonType as PostHog's API returns it for the recording, built from the $identify event. */
export function personFromCapture(captureEvents) {
  const idf = captureEvents.find((e) => e && e.event === '$identify');
  if (!idf) return null;
  const p = idf.properties || {};
  const set = idf.$set || p.$set || {};
  const ids = [p.distinct_id, p.$anon_distinct_id].filter(Boolean);
  return {
    id: 1,
    uuid: '01930000-0000-7000-8000-000000000001',
    name: set.email || p.distinct_id,
    distinct_ids: ids,
    properties: { ...set, $initial_current_url: p.$current_url, $browser: p.$browser, $os: p.$os },
    created_at: idf.timestamp || null,
    is_identified: true,
  };
}
