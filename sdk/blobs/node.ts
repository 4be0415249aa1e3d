// Node-only blob storage: the local-folder store (the default) and the HTTP server.
export * from "./httpServer.node.ts";
export * from "./localFolder.node.ts";
