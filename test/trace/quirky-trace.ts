// Builds a small Bitbrains-format folder with every quirk the reader and importer must
// survive, with hand-computed expectations (see import.test.ts).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HEADER =
  'Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tCPU usage [%];\tMemory capacity provisioned [KB];\tMemory usage [KB];\tDisk read throughput [KB/s];\tDisk write throughput [KB/s];\tNetwork received throughput [KB/s];\tNetwork transmitted throughput [KB/s]';

/** 2013-06-30T22:03:24Z, 204 s after a bucket start, like the real traces */
export const B = 1372629804;
export const B0 = 1372629600;

export function row(ts: number, cores: number, capMhz: number, usageMhz: number, memProvKiB: number, memUseKiB: number, io = [1, 2, 3, 4]): string {
  const pct = capMhz > 0 ? (usageMhz / capMhz) * 100 : 0;
  return [ts, cores, capMhz.toFixed(1), usageMhz, pct, memProvKiB.toExponential(), memUseKiB, ...io].join(';\t');
}

/** Creates the folder under `parent` (the caller removes it). */
export function makeQuirkyTrace(parent: string = tmpdir()): string {
  const dir = mkdtempSync(join(parent, 'virtzone-trace-'));
  mkdirSync(join(dir, '2013-7'));
  mkdirSync(join(dir, '2013-8'));
  const vm1m7 = [
    HEADER,
    row(B, 2, 4000, 1000, 4194304, 1048576), // 0.5 cores, 1024 MiB
    row(B + 300, 2, 4000, 5000, 4194304, 2097152), // 125 %: 2.5 cores, 2048 MiB
    row(B + 300, 2, 4000, 3000, 4194304, 1048576), // repeated timestamp: 1.5 cores, 1024 MiB
    '1372630404;\t2;\t4000', // broken: 3 fields
    // gap: B + 600 missing
    row(B + 900, 2, 4000, 1000, 4194304, 1048576).replace(';\t1000;', ';\tabc;'), // not a number
    row(B + 1200, 0, 0, 0, 0, 0, [0, 0, 0, 0]), // not provisioned
    row(B + 1500, 0, 0, 0, 4194304, 1048576), // 0 cores / 0 MHz, memory set
    row(B + 1800, 2, 4000, 0, 4194304, 0), // idle, 0 memory usage: kept
    row(B + 2100, 4, 8000, 2000, 8388608, 2097152), // resized: 4 vCPUs, 8 GiB; 1.0 core
  ];
  writeFileSync(join(dir, '2013-7', '1.csv.gz'), gzipSync(vm1m7.join('\n') + '\n'));
  const vm1m8 = [
    HEADER,
    row(B + 2400, 4, 8000, 1000, 8388608, 1048576), // 0.5 cores
    row(B + 2430, 4, 8000, 3000, 8388608, 1048576), // same bucket: 1.5 cores -> mean 1.0
  ];
  writeFileSync(join(dir, '2013-8', '1.csv.gz'), gzipSync(vm1m8.join('\r\n') + '\r\n')); // CRLF
  const vm2 = [
    HEADER,
    row(B, 1, 2000, 1000, 1048576, 524288), // 0.5 cores, 512 MiB
    row(B + 300, 1, 2000, 2000, 1048576, 524288), // 1.0
    row(B + 600, 1, 2000, 2000, 1048576, 524288), // 1.0
    '',
  ];
  writeFileSync(join(dir, '2013-7', '2.csv'), vm2.join('\n')); // plain CSV next to .csv.gz
  writeFileSync(join(dir, '2013-7', 'README.txt'), 'not a trace file\n');
  return dir;
}
