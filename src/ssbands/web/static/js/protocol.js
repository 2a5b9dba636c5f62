// Decode one binary frame of the page's WebSocket (layout: ssbands.web.protocol).
//   "SSB1" | uint32 header length H | header JSON (H bytes) | zero padding to 8 | arrays (8-aligned)
// Arrays are little-endian float32 ("f4") or float64 ("f8"); the views share the frame's buffer.

const MAGIC = [0x53, 0x53, 0x42, 0x31]; // "SSB1"
const TYPES = { f4: Float32Array, f8: Float64Array };

export function decodeFrame(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error("not an ssbands frame (bad magic)");
  }
  const n = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const start = 8 + n + ((8 - ((8 + n) % 8)) % 8);
  const arrays = {};
  for (const spec of header.arrays) {
    const T = TYPES[spec.dtype];
    if (!T) throw new Error(`unknown dtype ${spec.dtype}`);
    arrays[spec.name] = new T(buffer, start + spec.offset, spec.length);
  }
  delete header.arrays;
  return { header, arrays };
}
