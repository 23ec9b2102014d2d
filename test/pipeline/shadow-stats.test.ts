/** Where each side's thresholds came from, and when the rejects added and dropped are not the models' alone (issue 20, item 5). */
import { describe, expect, it } from 'vitest';
import { ShadowStats, thresholdCaveat } from '../../src/pipeline/shadow-stats.js';

describe('the shadow comparison\'s thresholds', () => {
  it('should count the frames each side decided with a threshold of each origin', () => {
    const stats = new ShadowStats('m@1', 'm@2');
    stats.add('a', 1, true, 1, false, { live: 'file', candidate: 'model' });
    stats.add('b', 1, true, 1, true, { live: 'live', candidate: 'model' });
    expect(stats.summary()).toMatchObject({ frames: 2, rejectsDropped: 1, thresholds: { live: { file: 1, live: 1 }, candidate: { model: 2 } } });
    expect(stats.summary().caveat).toMatch(/^the live model decided with thresholds from a thresholds file \(uniad-edge calibrate\) and set by an operator over MQTT, the candidate with thresholds from the model's sidecar/);
  });

  it('should see no caveat only where both sides took calibrated thresholds of one kind', () => {
    expect(thresholdCaveat({ file: 3 }, { file: 3 })).toBeNull();
    expect(thresholdCaveat({ model: 3 }, { model: 3 })).toBeNull();
    expect(thresholdCaveat({}, {})).toBeNull();
    // an operator's or a configured value is the live model's only: the candidate cannot have one
    expect(thresholdCaveat({ config: 3 }, { config: 3 })).not.toBeNull();
    expect(thresholdCaveat({ file: 2, model: 1 }, { file: 3 })).not.toBeNull();
  });
});
