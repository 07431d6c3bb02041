// Encryption at rest for everything the driver app keeps offline.
// AES-GCM through Web Crypto with non-extractable keys (the key object lives in IndexedDB but
// its bytes can never be read back out), and a fresh random 96-bit IV for every record.

const ALGORITHM = { name: "AES-GCM", length: 256 };
const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function generateKey() {
  return crypto.subtle.generateKey(ALGORITHM, false, ["encrypt", "decrypt"]);
}

export function freshIv() {
  return crypto.getRandomValues(new Uint8Array(IV_BYTES));
}

export async function encryptBytes(key, bytes) {
  const iv = freshIv();
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, bytes);
  return { iv, data };
}

export function decryptBytes(key, { iv, data }) {
  return crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, data);
}

export function encryptJson(key, value) {
  return encryptBytes(key, encoder.encode(JSON.stringify(value)));
}

export async function decryptJson(key, record) {
  return JSON.parse(decoder.decode(await decryptBytes(key, record)));
}

// Media stays a Blob at rest (never base64): the ciphertext is wrapped in a new Blob.
export async function encryptBlob(key, blob) {
  const { iv, data } = await encryptBytes(key, await blob.arrayBuffer());
  return { iv, blob: new Blob([data], { type: "application/octet-stream" }), type: blob.type };
}

export async function decryptBlob(key, { iv, blob, type }) {
  const bytes = await decryptBytes(key, { iv, data: await blob.arrayBuffer() });
  return new Blob([bytes], { type });
}

export async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
