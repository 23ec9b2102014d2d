// Loaded with NODE_OPTIONS=--require: every capture child's stopped pipeline keeps its last bus poll, as one on a
// loaded machine may. The child then cannot exit by itself and ends by its own SIGKILL after its exit grace
// (capture-child.ts), with every frame delivered.
if (process.env.UNIAD_CAPTURE_LAUNCH) {
  const Module = require('node:module');
  const load = Module._load;
  // Patched where the child loads the addon: loaded here, before the child, it crashes in its first findChild.
  Module._load = function (request, ...rest) {
    const exports = load.call(this, request, ...rest);
    if (request !== 'gstreamer-superficial' || exports.Pipeline.prototype.stuck) return exports;
    const { pollBus, stop } = exports.Pipeline.prototype;
    const stopped = new WeakSet();
    Object.assign(exports.Pipeline.prototype, {
      stuck: true,
      stop() {
        stopped.add(this);
        return stop.call(this);
      },
      pollBus(onMessage) {
        return pollBus.call(this, (message) => {
          if (!stopped.has(this)) onMessage(message);
        });
      },
    });
    return exports;
  };
}
