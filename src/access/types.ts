// The raw facts a source hands to the model; the types live in the model (src/model/raw.ts).
export * from '../model/raw.js';
