// Solves the sale's proof-of-work off the page's thread, so the page stays responsive and can
// show progress. The rule is the server's (antibot/ProofOfWork.java): find a decimal counter
// such that SHA-256(challenge + ":" + counter) starts with `difficulty` zero bits.
// SHA-256 is written out here rather than taken from WebCrypto: crypto.subtle exists only on
// secure origins, and one synchronous hash per try is faster than an awaited digest.
'use strict';

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
const W = new Uint32Array(64);
const H = new Uint32Array(8);

/** SHA-256 of `length` bytes of `bytes` (which must have room for the padding); result in H. */
function sha256(bytes, length) {
  const padded = Math.ceil((length + 9) / 64) * 64;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, padded);
  const bits = length * 8;
  bytes[padded - 4] = bits >>> 24;
  bytes[padded - 3] = bits >>> 16;
  bytes[padded - 2] = bits >>> 8;
  bytes[padded - 1] = bits;
  H.set([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  for (let block = 0; block < padded; block += 64) {
    for (let i = 0; i < 16; i++) {
      const at = block + i * 4;
      W[i] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    }
    for (let i = 16; i < 64; i++) {
      const w15 = W[i - 15];
      const w2 = W[i - 2];
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[i] = W[i - 16] + s0 + W[i - 7] + s1;
    }
    let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
}

function leadingZeroBits() {
  let bits = 0;
  for (let i = 0; i < 8; i++) {
    if (H[i] !== 0) {
      return bits + Math.clz32(H[i]);
    }
    bits += 32;
  }
  return bits;
}

function solve(challenge, difficulty) {
  const prefix = new TextEncoder().encode(challenge + ':');
  const bytes = new Uint8Array(prefix.length + 20 + 72);
  bytes.set(prefix);
  const expected = Math.pow(2, difficulty);
  for (let counter = 0; ; counter++) {
    const digits = String(counter);
    for (let i = 0; i < digits.length; i++) {
      bytes[prefix.length + i] = digits.charCodeAt(i);
    }
    sha256(bytes, prefix.length + digits.length);
    if (leadingZeroBits() >= difficulty) {
      return { solution: digits, tried: counter + 1 };
    }
    if ((counter & 0x3fff) === 0x3fff) {
      postMessage({ type: 'progress', tried: counter + 1, expected });
    }
  }
}

self.onmessage = (message) => {
  const { challenge, difficulty } = message.data;
  const found = solve(challenge, difficulty);
  postMessage({ type: 'solved', solution: found.solution, tried: found.tried });
};

// Lets a test (or node) check the hash against known answers without a worker.
if (typeof module !== 'undefined') {
  module.exports = { sha256, H, solve, leadingZeroBits };
}
