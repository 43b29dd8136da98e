// png.js: text chunks in a PNG file, so that an exported heatmap carries
// its settings (PNG specification, 3rd edition, §11.3.3: tEXt and iTXt).
// A chunk is its data's length (4 bytes, big-endian), its type (4 ASCII
// letters), its data, and the CRC-32 of type and data; text chunks go
// anywhere between IHDR and IEND, so they are inserted before IEND.

// crcTable[n] is the CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected)
// of the byte n.
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

// crc32 returns the CRC-32 of the bytes of each of parts, in order.
export function crc32(...parts) {
  let c = 0xffffffff;
  for (const p of parts) for (const b of p) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (s) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const latin1 = (s) => /^[\x20-\x7e\xa0-\xff\n]*$/.test(s);

// chunk returns one chunk of type with data.
function chunk(type, data) {
  const t = ascii(type);
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(t, 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(t, data));
  return out;
}

// textChunk returns a tEXt chunk of keyword and text (Latin-1: keyword,
// NUL, text), or an iTXt chunk (UTF-8: keyword, NUL, no compression, no
// language tag or translated keyword) where text has a character that
// Latin-1 lacks.
export function textChunk(keyword, text) {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || /^ | $| {2}/.test(keyword)) {
    throw new Error(`png: invalid keyword ${JSON.stringify(keyword)}`);
  }
  if (latin1(text)) return chunk('tEXt', Uint8Array.from(`${keyword}\0${text}`, (ch) => ch.charCodeAt(0)));
  const head = Uint8Array.from(`${keyword}\0\0\0\0\0`, (ch) => ch.charCodeAt(0));
  const body = new TextEncoder().encode(text);
  const data = new Uint8Array(head.length + body.length);
  data.set(head);
  data.set(body, head.length);
  return chunk('iTXt', data);
}

// withText returns the PNG file png (a Uint8Array) with a text chunk for
// each [keyword, text] of entries inserted before its IEND chunk.
export function withText(png, entries) {
  if (png.length < 8 || signature.some((b, i) => png[i] !== b)) throw new Error('png: not a PNG file');
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at + 12 <= png.length; ) {
    const len = v.getUint32(at);
    if (String.fromCharCode(...png.subarray(at + 4, at + 8)) === 'IEND') {
      const texts = entries.map(([k, t]) => textChunk(k, t));
      const out = new Uint8Array(png.length + texts.reduce((n, c) => n + c.length, 0));
      out.set(png.subarray(0, at));
      let o = at;
      for (const c of texts) {
        out.set(c, o);
        o += c.length;
      }
      out.set(png.subarray(at), o);
      return out;
    }
    at += 12 + len;
  }
  throw new Error('png: no IEND chunk');
}
