import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';

const base = { site: 's', node: 'n', model: { path: '/models/m.onnx' } };
const camera = { id: 'top', line: 'l1', product: 'pcb', source: 'test:' };
const refusal = (cam: object): string => {
  try {
    parseConfig({ ...base, cameras: [{ ...camera, ...cam }] });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
};

describe('regions in the config', () => {
  it('should take regions, tiles and ignore areas, filling in the tiles defaults', () => {
    const cfg = parseConfig({
      ...base,
      cameras: [{
        ...camera,
        size: { width: 2448, height: 2048 },
        regions: [{ name: 'board', x: 0, y: 560, width: 2448, height: 900, tiles: {} }, { name: 'label', x: 1900, y: 80, width: 400, height: 300, product: 'label', threshold: 55 }],
        ignore: [{ x: 0, y: 560, width: 60, height: 900 }, { polygon: [[2300, 560], [2448, 560], [2448, 1460]] }],
      }],
    });
    expect(cfg.cameras[0]!.regions).toEqual([
      { name: 'board', x: 0, y: 560, width: 2448, height: 900, tiles: { scale: 1, overlap: 32 } },
      { name: 'label', x: 1900, y: 80, width: 400, height: 300, product: 'label', threshold: 55 },
    ]);
    expect(cfg.cameras[0]!.ignore).toHaveLength(2);
  });

  it('should name a region outside the camera image with the image size and what to change', () => {
    expect(refusal({ size: { width: 2448, height: 2048 }, regions: [{ name: 'belt', x: 2000, y: 0, width: 600, height: 2100 }] })).toBe(
      'config: cameras[0].regions[0]: lies outside the 2448x2048 camera image (cameras[].size): x 2000 + width 600 = 2600 px is past its right edge, y 0 + height 2100 = 2100 px is past its bottom edge (move or shrink the region, or correct size)',
    );
  });

  it('should ask for the camera size, refuse a crop beside regions, twice a name, and a GenICam camera with two regions', () => {
    expect(refusal({ regions: [{ name: 'a', x: 0, y: 0, width: 10, height: 10 }] })).toMatch(/cameras\[0\]\.size: give the camera's resolution, e\.g\. size: \{width: 2448, height: 2048\}: regions are placed in its pixels/);
    expect(refusal({ ignore: [{ x: 0, y: 0, width: 10, height: 10 }] })).toMatch(/cameras\[0\]\.size: .*ignore areas are placed in its pixels/);
    const two = [{ name: 'a', x: 0, y: 0, width: 10, height: 10 }, { name: 'a', x: 10, y: 0, width: 10, height: 10 }];
    const msg = refusal({ size: { width: 640, height: 480 }, crop: { x: 0, y: 0, width: 10, height: 10 }, regions: two });
    expect(msg).toMatch(/cameras\[0\]\.crop: a camera with regions takes no crop \(make the crop one of its regions\)/);
    expect(msg).toMatch(/cameras\[0\]\.regions\[1\]\.name: "a" is used by another region of this camera/);
    expect(refusal({ source: 'genicam://40012345', size: { width: 640, height: 480 }, regions: [two[0], { ...two[1], name: 'b' }] })).toMatch(/cameras\[0\]\.regions: a GenICam camera takes one region, this one has 2 .*genicam\.roi/);
  });

  it('should say what is wrong with a tiles setting, a region name and an ignore area', () => {
    const msg = refusal({
      size: { width: 640, height: 480 },
      regions: [{ name: 'a b', x: 0, y: 0, width: 10, height: 10, tiles: { scale: 0, overlap: 1.5 } }],
      ignore: [{ polygon: [[0, 0], [1, 1]] }, { x: 1 }],
    });
    expect(msg).toMatch(/cameras\[0\]\.regions\[0\]\.name: .*use letters, digits, "_" and "-"/);
    expect(msg).toMatch(/cameras\[0\]\.regions\[0\]\.tiles\.scale: 0 is out of range: 0\.01 to 8 — tile pixels per camera pixel/);
    expect(msg).toMatch(/cameras\[0\]\.regions\[0\]\.tiles\.overlap: 1\.5 is out of range: whole numbers 0 to 4096 px/);
    expect(msg).toMatch(/cameras\[0\]\.ignore\[0\]\.polygon: a polygon needs 3 points or more/);
    expect(msg).toMatch(/cameras\[0\]\.ignore\[1\]: give a rectangle \{x, y, width, height\} or a polygon/);
  });
});
