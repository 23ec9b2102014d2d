/** The GenICam cameras Aravis finds from this host (GigE Vision by broadcast on every interface, USB3 Vision on USB). */
import { execFile } from 'node:child_process';
import { genicamChild, genicamPython } from './genicam.js';
import type { SourceSpec } from './uri.js';

export interface FoundCamera {
  readonly id: string;
  readonly physicalId: string;
  readonly address: string;
  readonly vendor: string;
  readonly model: string;
  readonly serial: string;
  readonly protocol: string;
}

/** Lists the cameras, through the capture child's `--list` (Aravis answers within about a second). */
export function listGenicamCameras(timeoutMs = 10_000): Promise<FoundCamera[]> {
  return new Promise((resolve, reject) => {
    execFile(genicamPython, [genicamChild, '--list'], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${genicamPython} ${genicamChild} --list: ${stderr.trim().split('\n').pop() || err.message}`));
      resolve(stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as FoundCamera));
    });
  });
}

/** Whether `found` is the camera a `genicam://` source names: by id, serial number, MAC or address, as Aravis opens it. */
export function isNamed(spec: Extract<SourceSpec, { kind: 'genicam' }>, found: FoundCamera): boolean {
  return [found.id, found.serial, found.physicalId, found.address].includes(spec.camera);
}
