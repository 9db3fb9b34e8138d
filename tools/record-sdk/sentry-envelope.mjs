// Sentry envelope parsing (getsentry/sentry-docs develop-docs/sdk/data-model/envelopes.mdx):
// a header line, then items: an item header line and a payload of `length` bytes (or up to the
// next newline when the header has no length), each followed by an optional newline.
import zlib from 'node:zlib';

export function parseEnvelope(buf) {
  let pos = 0;
  const line = () => {
    let end = buf.indexOf(0x0a, pos);
    if (end < 0) end = buf.length;
    const s = buf.subarray(pos, end);
    pos = end + 1;
    return s;
  };
  const header = JSON.parse(line().toString('utf8'));
  const items = [];
  while (pos < buf.length) {
    const hl = line();
    if (!hl.length) continue;
    const ih = JSON.parse(hl.toString('utf8'));
    let payload;
    if (typeof ih.length === 'number') {
      payload = buf.subarray(pos, pos + ih.length);
      pos += ih.length;
      if (buf[pos] === 0x0a) pos += 1;
    } else payload = line();
    items.push({ header: ih, payload: Buffer.from(payload) });
  }
  return { header, items };
}

/** A replay_recording payload: `{"segment_id":N}\n` then the events, zlib-compressed or plain JSON. */
export function segmentEvents(payload) {
  const nl = payload.indexOf(0x0a);
  const head = JSON.parse(payload.subarray(0, nl).toString('utf8'));
  const body = payload.subarray(nl + 1);
  const compressed = body[0] === 0x78;
  const text = compressed ? zlib.inflateSync(body).toString('utf8') : body.toString('utf8');
  return { segment_id: head.segment_id, compression: compressed ? 'zlib' : 'none', events: JSON.parse(text) };
}
