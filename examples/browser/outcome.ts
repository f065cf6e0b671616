/**
 * What the demo page publishes when it is done, as `globalThis.fusegradDemo` (a promise): the
 * page builds it, the test and the screenshot script decode it with this codec (it crosses from
 * the page to Node as JSON).
 */
import * as t from 'io-ts';

/** One epoch's line of the table. */
export const demoEpochCodec = t.type({
  epoch: t.number,
  trainLoss: t.number,
  trainAcc: t.number,
  testAcc: t.union([t.number, t.null]),
  seconds: t.number,
});

export const demoOutcomeCodec = t.union([
  t.type({
    ok: t.literal(true),
    /** The backend's name, e.g. `wasm`. */
    backend: t.string,
    description: t.string,
    /** `tried: reason` for every backend passed over. */
    fallbacks: t.array(t.string),
    trainSamples: t.number,
    testSamples: t.number,
    epochs: t.array(demoEpochCodec),
    /** Test accuracy after the last epoch. */
    testAcc: t.number,
    /** Seconds to fetch and decode the data. */
    loadSeconds: t.number,
  }),
  t.type({ ok: t.literal(false), error: t.string }),
]);

export type DemoEpoch = t.TypeOf<typeof demoEpochCodec>;
export type DemoOutcome = t.TypeOf<typeof demoOutcomeCodec>;
