// Loaded with NODE_OPTIONS=--require: makes every capture child (and nothing else) take 3 s longer to start, as a
// loaded machine does. Sleeps without spinning, so it adds no load of its own.
if (process.env.UNIAD_CAPTURE_LAUNCH) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
