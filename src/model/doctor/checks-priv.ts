// Privileges: which functions showed only part of their config space, and what root would add.
import type { CheckDef } from './types.js';
import { capped } from './util.js';

/** Checks that need config space past byte 64 (capabilities) or past 256 (extended capabilities). */
export const NEEDS_FULL_CONFIG = [
  'acs.redirect (ACS control)', 'p2p.pairs (verdicts that depend on ACS)', 'link.mps / link.mrrs / link.relaxed-ordering (Device Control)',
  'link.aer (AER status registers)', 'mem.gpu-bar (Resizable BAR)',
];

export const privilegesCheck: CheckDef = {
  id: 'priv.config-space',
  group: 'priv',
  title: 'Config space visibility',
  describe: 'Functions whose config space could be read only in part (non-root readers get 64 bytes; lspci -x dumps hold 64, -xxx 256): the checks that could not look, and what running as root adds.',
  run({ fabric }) {
    const total = fabric.devices.length;
    const short64 = fabric.devices.filter((d) => d.configBytes <= 64);
    const noExt = fabric.devices.filter((d) => d.configBytes > 64 && d.configBytes < 4096 && !d.capabilities.complete);
    const isDump = fabric.source.method === 'dump';
    if (short64.length === 0 && noExt.length === 0) {
      return {
        status: 'ok',
        evidence: [`all ${total} function(s) show their whole config space${fabric.host.isRoot === true ? ' (running as root)' : ''}`],
        devices: [],
      };
    }
    const evidence: string[] = [];
    if (short64.length) evidence.push(`${short64.length} of ${total} function(s) show only 64 bytes of config space: ${capped(short64.map((d) => d.bdf), 6).join(', ')}`);
    if (noExt.length) evidence.push(`${noExt.length} of ${total} function(s) show no extended config space (bytes 256-4095): ${capped(noExt.map((d) => d.bdf), 6).join(', ')}`);
    if (fabric.host.isRoot === false) evidence.push('p2p is not running as root: the kernel hands non-root readers the first 64 bytes only');
    evidence.push(`could not look (reported as skip or partial): ${NEEDS_FULL_CONFIG.join('; ')}`);
    evidence.push('nothing here is reported ok on the strength of unread bytes; unread registers are unknown, not zero');
    const fix = isDump
      ? ['capture the dump as root with every byte: sudo lspci -xxxx > dump.txt (then p2p doctor --dump dump.txt)']
      : fabric.source.method === 'sysfs' && fabric.source.location !== '/'
        ? ['capture the tree as root (sysfs config files then hold 4096 bytes), or run p2p doctor as root on the machine itself']
        : ['run as root: sudo p2p doctor (root adds ACS, AER, MPS/MRRS, relaxed ordering and Resizable BAR, and decides the ACS-dependent P2P verdicts)'];
    return { status: 'warn', evidence, fix, devices: [...short64, ...noExt].map((d) => d.bdf) };
  },
};
