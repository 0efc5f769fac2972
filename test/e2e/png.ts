import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * A real PNG (a sunset over green hills), made here so the test needs no fixture file: the
 * browser shows it, and the archiver stores exactly these bytes. Another `tint` makes other bytes
 * of the same size (a rich menu's new image).
 */
export function samplePng(width = 240, height = 160, tint = 0): Uint8Array<ArrayBuffer> {
  const raw = new Uint8Array((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      const hill = height * 0.7 + Math.sin(x / 23) * 12;
      const sun = (x - width * 0.68) ** 2 + (y - height * 0.42) ** 2 < (height * 0.16) ** 2;
      const [r, g, b] =
        y > hill
          ? [40, 150 + ((x + y) % 20), 70]
          : sun
            ? [255, 214, 90]
            : [250 - y - tint, 140 + y / 2, 120 + y + tint];
      raw.set(
        [r, g, b].map((v) => Math.max(0, Math.min(255, Math.round(v)))),
        row + 1 + x * 3,
      );
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  const parts = [
    new Uint8Array(signature),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array()),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    png.set(part, offset);
    offset += part.length;
  }
  return png;
}
