"""Capture child for GenICam cameras (GigE Vision, USB3 Vision), through Aravis.

The twin of capture-child.ts for one camera that Aravis drives: it sets the camera's GenICam features and reads each
back, takes the camera's frames from an Aravis stream, converts them to the model's RGB in GStreamer (appsrc, then the
launch description capture.ts gives: bayer2rgb for Bayer, crop, letterbox, videoconvert, appsink) and speaks
capture-child.ts's protocol to the parent (protocol.ts): frames on fd 3 (framing.ts), status as newline-delimited
JSON on Node's IPC channel, the outcome as exit code. Over IPC it also takes software triggers.

Why not the aravissrc element (gst-plugins of libaravis 0.8.26): with no frame for max(2 s, 3 frame periods) it
stops its pipeline with "Internal data stream error", so a triggered camera on a stopped line dies every two seconds;
its caps negotiation calls arv_camera_set_frame_rate, which clears the trigger settings; and it cannot be asked for
a software trigger, stream options or its incomplete frames. Python because the parent's GStreamer binding
(gstreamer-superficial) cannot call GObject methods: PyGObject reaches Aravis through GObject introspection.

In: the camera and its settings as JSON in UNIAD_CAPTURE_GENICAM (genicam.ts builds it).
"""
import json
import os
import signal
import sys
import struct
import threading
import time
from collections import deque

import gi

gi.require_version('Aravis', '0.8')
gi.require_version('Gst', '1.0')
from gi.repository import Aravis, GLib, Gst  # noqa: E402

SPEC_ENV = 'UNIAD_CAPTURE_GENICAM'
FRAME_FD = 3
EXIT_FAILED = 1
EXIT_TERMINATED = 143
# framing.ts: payload bytes, width, height, trigger (0: none), uint32 little-endian.
HEADER = struct.Struct('<IIII')
# Buffers Aravis fills while the previous frames are converted: a burst of hardware triggers waits here.
STREAM_BUFFERS = 16
# How often the stream loop looks up from an empty stream: trigger timeouts and stopping are seen this late at most.
POLL_US = 100_000
# Float features read back within this share of the value asked for are taken: cameras quantise exposure to their
# line time and gain to their steps.
FLOAT_TOLERANCE = 0.01
# GevHeartbeatTimeout of a camera that does not say (the GigE Vision default).
DEFAULT_HEARTBEAT_TIMEOUT_MS = 3000
# How long stopping the camera and the pipeline may take before the process ends anyway.
EXIT_GRACE_S = 3.0
# Incomplete frames are told at most this often, with their count since the last time.
INCOMPLETE_REPORT_S = 1.0


class TriggerMatcher:
    """The software triggers the camera still owes a frame, matched to its frames in order.

    The camera answers triggers in the order it got them, so a frame belongs to the oldest trigger still owed, but
    only to one sent before the frame began to arrive. A trigger owed longer than its timeout is missed; the
    triggers still owed at that moment are missed with it ("resync"): a frame arriving now could be the late one's
    or theirs, and a part judged on another part's frame is worse than a part rejected for want of one.
    Pure: times are given, in nanoseconds of the wall clock Aravis stamps frames with.
    """

    def __init__(self, timeout_ns):
        self.timeout_ns = timeout_ns
        self.owed = deque()

    def fired(self, seq, at_ns):
        self.owed.append((seq, at_ns))

    def cancel(self, seq):
        """A trigger the camera never got (its command failed): it owes no frame."""
        self.owed = deque(t for t in self.owed if t[0] != seq)

    def expire(self, now_ns):
        """The triggers missed by `now_ns`, with why: [(seq, 'timeout' | 'resync')]."""
        if not self.owed or now_ns - self.owed[0][1] < self.timeout_ns:
            return []
        missed = [(seq, 'timeout' if i == 0 else 'resync') for i, (seq, _) in enumerate(self.owed)]
        self.owed.clear()
        return missed

    def frame(self, arrived_ns):
        """The trigger a frame that began to arrive at `arrived_ns` answers, or 0 when it answers none."""
        if self.owed and self.owed[0][1] <= arrived_ns:
            return self.owed.popleft()[0]
        return 0


def frames_skipped(last_id, frame_id):
    """Frames the camera numbered between two it sent (block ids: 16 bits on GigE Vision 1.x, 0 never used)."""
    if last_id is None:
        return 0
    if frame_id > last_id:
        return frame_id - last_id - 1
    if last_id <= 0xFFFF:
        return (0xFFFF - last_id) + max(frame_id - 1, 0)
    return 0


class Refused(Exception):
    """The camera refused a feature or a value: the parent reports it as GENICAM_FEATURE."""

    def __init__(self, feature, value, reason):
        super().__init__(f'{feature}={value}: {reason}')
        self.feature = feature
        self.value = value
        self.reason = reason


class Parent:
    """The IPC channel Node opened on NODE_CHANNEL_FD: one JSON object a line, both ways."""

    def __init__(self):
        fd = os.environ.get('NODE_CHANNEL_FD')
        self.fd = int(fd) if fd is not None else None
        self.lock = threading.Lock()

    def send(self, message):
        if self.fd is None:
            return
        data = (json.dumps(message) + '\n').encode()
        with self.lock:
            try:
                while data:
                    data = data[os.write(self.fd, data):]
            except OSError:
                pass

    def messages(self):
        """Yields the parent's messages until it goes away."""
        if self.fd is None:
            return
        pending = b''
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            *lines, pending = (pending + chunk).split(b'\n')
            for line in lines:
                if line.strip():
                    yield json.loads(line)


def same(node_value, asked, is_float):
    if str(node_value) == str(asked):
        return True
    try:
        got, want = float(node_value), float(asked)
    except ValueError:
        return str(node_value).lower() == str(asked).lower()
    return abs(got - want) <= FLOAT_TOLERANCE * abs(want) if is_float else got == want


class Settings:
    """Sets the camera's features in an order that works on GenICam cameras, and reads each back."""

    def __init__(self, camera):
        self.camera = camera
        self.device = camera.get_device()
        self.read_back = []

    def apply(self, feature, asked, set_value, get_value, is_float=False):
        try:
            set_value()
            got = get_value()
        except GLib.Error as err:
            raise Refused(feature, asked, err.message) from err
        if not same(got, asked, is_float):
            raise Refused(feature, asked, f'the camera reads back {got}')
        self.read_back.append({'feature': feature, 'value': str(asked), 'readBack': str(got)})

    def string(self, feature, value):
        self.apply(feature, value, lambda: self.camera.set_string(feature, value), lambda: self.camera.get_string(feature))

    def all(self, spec):
        cam = self.camera
        if spec.get('pixelFormat') is not None:
            fmt = spec['pixelFormat']
            self.apply('PixelFormat', fmt, lambda: cam.set_pixel_format_from_string(fmt), cam.get_pixel_format_as_string)
        roi = spec.get('roi')
        if roi is not None:
            asked = f"{roi['x']},{roi['y']} {roi['width']}x{roi['height']}"

            def region():
                r = cam.get_region()
                return f'{r.x},{r.y} {r.width}x{r.height}'

            self.apply('region (OffsetX,OffsetY WidthxHeight)', asked, lambda: cam.set_region(roi['x'], roi['y'], roi['width'], roi['height']), region)
        # Before the trigger: arv_camera_set_frame_rate turns the triggers off on the way.
        if spec.get('frameRate') is not None:
            self.apply('frame rate', spec['frameRate'], lambda: cam.set_frame_rate(spec['frameRate']), cam.get_frame_rate, True)
        if spec.get('exposureUs') is not None:
            if cam.is_exposure_auto_available():
                cam.set_exposure_time_auto(Aravis.Auto.OFF)
            self.apply('exposure (µs)', spec['exposureUs'], lambda: cam.set_exposure_time(spec['exposureUs']), cam.get_exposure_time, True)
        if spec.get('gain') is not None:
            if cam.is_gain_auto_available():
                cam.set_gain_auto(Aravis.Auto.OFF)
            self.apply('gain', spec['gain'], lambda: cam.set_gain(spec['gain']), cam.get_gain, True)
        self.trigger(spec['trigger'])
        if spec.get('packetSize') is not None and cam.is_gv_device():
            size = spec['packetSize']
            self.apply('GevSCPSPacketSize', size, lambda: cam.gv_set_packet_size(size), cam.gv_get_packet_size)
        for name, value in spec.get('features', []):
            self.feature(name, value)

    def trigger(self, trigger):
        cam = self.camera
        # Every selector off first (AcquisitionStart, FrameBurstStart, ...): only FrameStart may trigger a frame.
        try:
            cam.clear_triggers()
        except GLib.Error:
            pass
        if trigger['mode'] == 'off':
            # Read back where the camera can say it: no trigger holds its frames back.
            if cam.is_feature_available('TriggerMode'):
                if cam.is_feature_available('TriggerSelector'):
                    self.string('TriggerSelector', 'FrameStart')
                self.string('TriggerMode', 'Off')
            return
        self.string('TriggerSelector', 'FrameStart')
        self.string('TriggerMode', 'On')
        self.string('TriggerSource', 'Software' if trigger['mode'] == 'software' else trigger['source'])
        if trigger.get('activation') is not None:
            self.string('TriggerActivation', trigger['activation'])

    def feature(self, name, value):
        node = self.device.get_feature(name)
        if node is None:
            raise Refused(name, value, 'the camera has no such feature')
        if isinstance(node, Aravis.GcCommand):
            try:
                node.execute()
            except GLib.Error as err:
                raise Refused(name, value, err.message) from err
            self.read_back.append({'feature': name, 'value': str(value), 'readBack': '(command executed)'})
            return
        self.apply(name, value, lambda: node.set_value_from_string(str(value)), node.get_value_as_string, isinstance(node, Aravis.GcFloat))


class Capture:
    """One camera's life in this process: open and set it, stream its frames through the conversion to the parent,
    fire its software triggers, and end on the first reason to (an error, SIGTERM, the parent gone)."""

    def __init__(self, spec, parent):
        self.spec = spec
        self.parent = parent
        self.mode = spec['trigger']['mode']
        self.matcher = TriggerMatcher(spec['trigger'].get('timeoutMs', 1000) * 1_000_000)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.outcome = None
        self.camera = None
        self.stream = None
        self.pipeline = None
        self.appsrc = None
        # Frames on their way through GStreamer, by PTS: the trigger each answers.
        self.in_flight = {}
        self.incomplete = 0
        self.incomplete_told = time.monotonic()
        self.t0 = time.monotonic_ns()
        self.out_lock = threading.Lock()

    # -- ending ------------------------------------------------------------------------------------------------------

    def finish(self, message, code):
        """The first reason to end wins; the main loop acts on it."""
        with self.lock:
            if self.outcome is not None:
                return
            self.outcome = (message, code)
        self.stopping.set()

    def fail(self, text):
        self.finish({'type': 'error', 'message': text}, EXIT_FAILED)

    # -- setting up --------------------------------------------------------------------------------------------------

    def open(self):
        spec = self.spec
        try:
            self.camera = open_camera(spec['device'])
        except GLib.Error as err:
            raise RuntimeError(f'cannot open GenICam camera "{spec["device"]}": {err.message}') from err
        device = self.camera.get_device()
        if self.camera.is_gv_device():
            self.take_control(device)
        # Out-of-range values are refused with the feature's bounds, instead of written and ignored by the camera.
        device.set_range_check_policy(Aravis.RangeCheckPolicy.ENABLE)
        device.connect('control-lost', lambda *_: self.fail(f'lost the connection to GenICam camera "{spec["device"]}" (no answer to its heartbeat)'))
        try:
            self.camera.stop_acquisition()
        except GLib.Error:
            pass
        settings = Settings(self.camera)
        settings.all(spec)
        return settings.read_back

    def take_control(self, device):
        """A GigE camera takes orders from one application at a time. A process that ended without giving it up (a
        crash, SIGKILL) keeps it until the camera's heartbeat timeout: its successor waits that long, not fails."""
        if device.is_controller():
            return
        try:
            timeout_ms = device.get_integer_feature_value('GevHeartbeatTimeout')
        except GLib.Error:
            timeout_ms = DEFAULT_HEARTBEAT_TIMEOUT_MS
        deadline = time.monotonic() + timeout_ms / 1000 + 1
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                if device.take_control():
                    return
            except GLib.Error:
                pass
            time.sleep(0.25)
        raise RuntimeError(f'GenICam camera "{self.spec["device"]}" takes orders from another application (a GigE camera has one controller; it is free once that one lets go, or {timeout_ms} ms after it stopped answering)')

    def describe(self):
        cam = self.camera
        info = {}
        for key, get in (('vendor', cam.get_vendor_name), ('model', cam.get_model_name), ('serial', cam.get_device_serial_number), ('id', cam.get_device_id)):
            try:
                info[key] = get()
            except (GLib.Error, AttributeError):
                pass
        info['protocol'] = 'GigE Vision' if cam.is_gv_device() else 'USB3 Vision' if cam.is_uv_device() else 'other'
        return info

    def build_pipeline(self, fmt, width, height):
        conversion = self.spec['formats'].get(fmt)
        if conversion is None:
            raise Refused('PixelFormat', fmt, f"no conversion to RGB here; set genicam.pixelFormat to one of {', '.join(self.spec['formats'])}")
        # Square pixels said: without pixel-aspect-ratio, bayer2rgb's output letterboxed to another size came out black.
        caps = f"{conversion['caps']},width={width},height={height},framerate=0/1,pixel-aspect-ratio=1/1"
        demosaic = 'bayer2rgb ! ' if conversion['demosaic'] else ''
        launch = f"appsrc name=src is-live=true format=time block=true max-buffers=4 caps={caps} ! {demosaic}{self.spec['launch']}"
        try:
            self.pipeline = Gst.parse_launch(launch)
        except GLib.Error as err:
            raise RuntimeError(f'invalid pipeline: {err.message}') from err
        self.appsrc = self.pipeline.get_by_name('src')
        sink = self.pipeline.get_by_name('sink')
        sink.set_property('emit-signals', True)
        sink.connect('new-sample', self.on_sample)

    def start_stream(self):
        cam = self.camera
        if cam.is_gv_device():
            if not self.spec.get('packetSocket', True):
                cam.gv_set_stream_options(Aravis.GvStreamOption.PACKET_SOCKET_DISABLED)
        self.stream = cam.create_stream(None, None)
        if cam.is_gv_device():
            # Without the packet socket, frames come through a UDP socket whose default buffer (net.core.rmem_default)
            # is smaller than one frame: sized to the frame, up to net.core.rmem_max.
            self.stream.set_property('socket-buffer', Aravis.GvStreamSocketBuffer.AUTO)
        payload = cam.get_payload()
        for _ in range(STREAM_BUFFERS):
            self.stream.push_buffer(Aravis.Buffer.new_allocate(payload))
        cam.set_acquisition_mode(Aravis.AcquisitionMode.CONTINUOUS)
        cam.start_acquisition()

    # -- frames ------------------------------------------------------------------------------------------------------

    def stream_loop(self):
        last_id = None
        while not self.stopping.is_set():
            buffer = self.stream.timeout_pop_buffer(POLL_US)
            if buffer is None:
                self.missed(self.matcher_call(lambda m: m.expire(time.time_ns())))
                self.tell_incomplete()
                continue
            try:
                frame_id = buffer.get_frame_id()
                arrived = buffer.get_system_timestamp()
                skipped = frames_skipped(last_id, frame_id)
                last_id = frame_id
                self.missed(self.matcher_call(lambda m: m.expire(arrived)))
                complete = buffer.get_status() == Aravis.BufferStatus.SUCCESS
                self.incomplete += skipped + (0 if complete else 1)
                # A trigger the camera skipped a frame for, or answered with a broken frame, is missed here.
                for _ in range(skipped):
                    self.answer_missing()
                if not complete:
                    self.answer_missing()
                    continue
                trigger = self.matcher_call(lambda m: m.frame(arrived)) if self.mode == 'software' else 0
                data = buffer.get_data()
            finally:
                self.stream.push_buffer(buffer)
            self.push(data, trigger)
            self.tell_incomplete()

    def matcher_call(self, call):
        with self.lock:
            return call(self.matcher)

    def answer_missing(self):
        if self.mode != 'software':
            return
        seq = self.matcher_call(lambda m: m.frame(time.time_ns()))
        if seq:
            self.parent.send({'type': 'trigger-missed', 'seq': seq, 'reason': 'incomplete', 'message': 'the camera sent an incomplete frame (packets lost)'})

    def missed(self, missed):
        for seq, reason in missed:
            self.parent.send({'type': 'trigger-missed', 'seq': seq, 'reason': reason})

    def tell_incomplete(self):
        now = time.monotonic()
        if self.incomplete and now - self.incomplete_told >= INCOMPLETE_REPORT_S:
            self.parent.send({'type': 'incomplete', 'count': self.incomplete})
            self.incomplete = 0
            self.incomplete_told = now

    def push(self, data, trigger):
        buf = Gst.Buffer.new_wrapped(data)
        pts = time.monotonic_ns() - self.t0
        buf.pts = pts
        with self.out_lock:
            self.in_flight[pts] = trigger
        if self.appsrc.emit('push-buffer', buf) != Gst.FlowReturn.OK and not self.stopping.is_set():
            self.fail('the conversion pipeline refused a frame')

    def on_sample(self, sink):
        sample = sink.emit('pull-sample')
        if sample is None:
            return Gst.FlowReturn.EOS
        buf = sample.get_buffer()
        structure = sample.get_caps().get_structure(0)
        width, height = structure.get_value('width'), structure.get_value('height')
        with self.out_lock:
            # Frames the appsink dropped (a free-running camera, the parent behind) answer no trigger.
            for pts in [p for p in self.in_flight if p < buf.pts]:
                del self.in_flight[pts]
            trigger = self.in_flight.pop(buf.pts, 0)
        ok, info = buf.map(Gst.MapFlags.READ)
        if not ok:
            self.fail('cannot read a converted frame')
            return Gst.FlowReturn.ERROR
        try:
            packet = encode_frame(info.data, width, height, trigger)
        finally:
            buf.unmap(info)
        try:
            write_all(FRAME_FD, packet)
        except BrokenPipeError:
            self.finish(None, EXIT_TERMINATED)
            return Gst.FlowReturn.EOS
        except OSError as err:
            self.fail(f'frame pipe: {err}')
            return Gst.FlowReturn.ERROR
        return Gst.FlowReturn.OK

    # -- commands ----------------------------------------------------------------------------------------------------

    def command_loop(self):
        for message in self.parent.messages():
            if message.get('type') == 'trigger':
                self.fire(message['seq'])
        # The parent died or dropped us: nobody reads the frames, and the camera must be free for its successor.
        self.finish(None, EXIT_TERMINATED)

    def fire(self, seq):
        if self.mode != 'software':
            self.parent.send({'type': 'trigger-missed', 'seq': seq, 'reason': 'failed', 'message': f'the camera is in trigger mode {self.mode}, not software'})
            return
        # Owed before it is sent: its frame cannot come before the trigger is on the list.
        self.matcher_call(lambda m: m.fired(seq, time.time_ns()))
        try:
            self.camera.software_trigger()
        except GLib.Error as err:
            self.matcher_call(lambda m: m.cancel(seq))
            self.parent.send({'type': 'trigger-missed', 'seq': seq, 'reason': 'failed', 'message': err.message})

    # -- the life ----------------------------------------------------------------------------------------------------

    def run(self):
        try:
            read_back = self.open()
            fmt = self.camera.get_pixel_format_as_string()
            region = self.camera.get_region()
            self.build_pipeline(fmt, region.width, region.height)
            self.pipeline.set_state(Gst.State.PLAYING)
            self.start_stream()
        except Refused as refused:
            return self.finish({'type': 'refused', 'feature': refused.feature, 'value': str(refused.value), 'reason': refused.reason}, EXIT_FAILED)
        except (RuntimeError, GLib.Error) as err:
            return self.fail(err.message if isinstance(err, GLib.Error) else str(err))
        rate = self.camera.get_frame_rate() if self.mode == 'off' and self.camera.is_frame_rate_available() else None
        self.parent.send({'type': 'caps', 'width': region.width, 'height': region.height, 'format': fmt, 'framerate': f'{rate:g}' if rate else self.mode + ' trigger'})
        self.parent.send({'type': 'genicam', 'camera': self.describe(), 'settings': read_back})
        threading.Thread(target=self.stream_loop, daemon=True).start()
        threading.Thread(target=self.command_loop, daemon=True).start()
        self.parent.send({'type': 'started'})

    def watch_bus(self):
        bus = self.pipeline.get_bus() if self.pipeline is not None else None
        while not self.stopping.is_set():
            if bus is None:
                self.stopping.wait(0.1)
                continue
            message = bus.timed_pop_filtered(100 * Gst.MSECOND, Gst.MessageType.ERROR | Gst.MessageType.WARNING)
            if message is None:
                continue
            source = message.src.get_name() if message.src is not None else 'pipeline'
            if message.type == Gst.MessageType.ERROR:
                err, _ = message.parse_error()
                self.fail(f'{err.message} (from {source})')
            else:
                warning, _ = message.parse_warning()
                self.parent.send({'type': 'warning', 'message': f'{warning.message} (from {source})'})

    def close(self):
        if self.camera is not None:
            try:
                self.camera.stop_acquisition()
            except GLib.Error:
                pass
        if self.pipeline is not None:
            self.pipeline.set_state(Gst.State.NULL)
            # Given up explicitly: the next process (a restart) takes the camera at once, not after its heartbeat timeout.
            if self.camera.is_gv_device():
                try:
                    self.camera.get_device().leave_control()
                except GLib.Error:
                    pass


def open_camera(name):
    """Aravis opens a camera by its id, `<vendor>-<serial>`, user-defined name, MAC or IP address, not by its bare
    serial number (the one on its label): a camera with that serial is opened by its id."""
    try:
        return Aravis.Camera.new(name)
    except GLib.Error as err:
        if not err.matches(Aravis.device_error_quark(), Aravis.DeviceError.NOT_FOUND):
            raise
        Aravis.update_device_list()
        for i in range(Aravis.get_n_devices()):
            if Aravis.get_device_serial_nbr(i) == name:
                return Aravis.Camera.new(Aravis.get_device_id(i))
        raise


def encode_frame(data, width, height, trigger):
    """framing.ts's record: GStreamer pads RGB rows to 4 bytes, the parent wants them packed."""
    row = width * 3
    stride = len(data) // height
    if stride == row:
        pixels = bytes(data)
    else:
        view = memoryview(data)
        pixels = b''.join(view[y * stride:y * stride + row] for y in range(height))
    return HEADER.pack(len(pixels), width, height, trigger) + pixels


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def list_cameras():
    """`--list`: one JSON line for each camera Aravis finds (uniad-edge doctor reads them)."""
    Aravis.update_device_list()
    for i in range(Aravis.get_n_devices()):
        print(json.dumps({
            'id': Aravis.get_device_id(i), 'physicalId': Aravis.get_device_physical_id(i), 'address': Aravis.get_device_address(i),
            'vendor': Aravis.get_device_vendor(i), 'model': Aravis.get_device_model(i), 'serial': Aravis.get_device_serial_nbr(i),
            'protocol': Aravis.get_device_protocol(i),
        }), flush=True)
    return 0


def main():
    if sys.argv[1:] == ['--list']:
        return list_cameras()
    Gst.init(None)
    parent = Parent()
    raw = os.environ.get(SPEC_ENV)
    if not raw:
        parent.send({'type': 'error', 'message': f'{SPEC_ENV} is empty: the GenICam capture child must be started by captureCamera'})
        return EXIT_FAILED
    capture = Capture(json.loads(raw), parent)
    signal.signal(signal.SIGTERM, lambda *_: capture.finish(None, EXIT_TERMINATED))
    capture.run()
    capture.watch_bus()
    message, code = capture.outcome
    # Said before stopping: a lost camera answers nothing, and stopping it may take until the exit grace is over.
    if message is not None:
        parent.send(message)
    # A streaming thread blocked on a full frame pipe, or a camera that no longer answers, would hold the stop forever.
    threading.Timer(EXIT_GRACE_S, lambda: os._exit(code)).start()
    capture.close()
    return code


if __name__ == '__main__':
    # os._exit: Aravis and GStreamer threads may still sit in native calls, which a normal exit would wait for.
    os._exit(main())
