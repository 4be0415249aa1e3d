// Content-addressed blob storage for ciphertext. Browser-safe; the local-folder store and the HTTP
// server are in `./node.ts` (node:fs, node:http).
export * from "./blobStore.ts";
export * from "./http.ts";
