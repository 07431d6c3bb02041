import assert from "node:assert/strict";
import { test } from "node:test";

import { decryptBlob, decryptJson, encryptBlob, encryptJson, generateKey, sha256Hex } from "../js/crypto.js";

test("keys are AES-GCM and cannot be exported", async () => {
  const key = await generateKey();
  assert.equal(key.algorithm.name, "AES-GCM");
  assert.equal(key.extractable, false);
  await assert.rejects(crypto.subtle.exportKey("raw", key));
});

test("a JSON record round-trips and its ciphertext does not contain the plaintext", async () => {
  const key = await generateKey();
  const sealed = await encryptJson(key, { address: "臺北市大安區忠孝東路100號", amount: 850 });
  const raw = Buffer.from(sealed.data).toString("latin1");
  assert.ok(!raw.includes("850"));
  assert.ok(!Buffer.from(sealed.data).includes(Buffer.from("忠孝東路")));
  assert.deepEqual(await decryptJson(key, sealed), { address: "臺北市大安區忠孝東路100號", amount: 850 });
});

test("every record gets a fresh 96-bit IV", async () => {
  const key = await generateKey();
  const first = await encryptJson(key, "same");
  const second = await encryptJson(key, "same");
  assert.equal(first.iv.length, 12);
  assert.notDeepEqual(first.iv, second.iv);
  assert.notDeepEqual(Buffer.from(first.data), Buffer.from(second.data));
});

test("another key or a tampered record cannot be decrypted", async () => {
  const key = await generateKey();
  const sealed = await encryptJson(key, { cash: 1200 });
  await assert.rejects(decryptJson(await generateKey(), sealed));
  const tampered = new Uint8Array(sealed.data.slice(0));
  tampered[0] ^= 1;
  await assert.rejects(decryptJson(key, { iv: sealed.iv, data: tampered.buffer }));
});

test("a Blob is encrypted into a Blob and comes back with its type", async () => {
  const key = await generateKey();
  const photo = new Blob([new Uint8Array([255, 216, 255, 224, 1, 2, 3])], { type: "image/jpeg" });
  const sealed = await encryptBlob(key, photo);
  assert.ok(sealed.blob instanceof Blob);
  assert.equal(sealed.blob.type, "application/octet-stream");
  const back = await decryptBlob(key, sealed);
  assert.equal(back.type, "image/jpeg");
  assert.deepEqual(new Uint8Array(await back.arrayBuffer()), new Uint8Array([255, 216, 255, 224, 1, 2, 3]));
});

test("sha256Hex matches the known digest of 'abc'", async () => {
  assert.equal(
    await sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
