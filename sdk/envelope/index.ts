// Hybrid encryption envelopes to an attested enclave's X25519 key: X25519 + HKDF-SHA256 +
// AES-256-GCM in fixed-size chunks, one-shot or streaming (sdk/envelope/FORMAT.md). Browser-safe:
// noble for X25519 and HKDF, WebCrypto for AES-GCM, Web Streams for streaming; no node: imports.
export * from "./envelope.ts";
export * from "./errors.ts";
export {
  ENVELOPE_DEFAULT_CHUNK_SIZE,
  ENVELOPE_FORMAT_VERSION,
  ENVELOPE_HEADER_LENGTH,
  ENVELOPE_MAGIC,
  ENVELOPE_MAX_CHUNK_SIZE,
  ENVELOPE_MIN_CHUNK_SIZE,
  ENVELOPE_SUITE_X25519_HKDF_SHA256_AES256GCM,
  ENVELOPE_TAG_LENGTH,
  type EnvelopeHeader,
  envelopeLength,
  parseEnvelopeHeader,
} from "./format.ts";
export {
  type AeadBackend,
  aeadBackend,
  ENVELOPE_KDF_LABEL,
  generateRecipientKeyPair,
  type RecipientKeyPair,
  setAeadBackend,
  webCryptoAead,
} from "./keySchedule.ts";
export type {
  EnvelopeTestingOptions,
  OpenOptions as EnvelopeOpenOptions,
  SealOptions as EnvelopeSealOptions,
} from "./session.ts";
export * from "./stream.ts";
