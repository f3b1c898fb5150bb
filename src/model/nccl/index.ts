// NCCL's view of the machine: its topology, path types, P2P/SHM/NET and GPUDirect RDMA decisions.
export * from './rules.js';
export * from './env.js';
export * from './system.js';
export * from './paths.js';
export * from './decide.js';
