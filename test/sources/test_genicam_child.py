"""The pure parts of the GenICam capture child (src/sources/genicam_child.py): matching frames to software triggers,
counting frames a camera numbered but never delivered, the frame record, read-back comparison. The child against a
camera is tested from test/sources/genicam-capture.test.ts."""
import importlib.util
import struct
from pathlib import Path

spec = importlib.util.spec_from_file_location('genicam_child', Path(__file__).parents[2] / 'src/sources/genicam_child.py')
child = importlib.util.module_from_spec(spec)
spec.loader.exec_module(child)

MS = 1_000_000


def test_frames_answer_owed_triggers_in_order():
    m = child.TriggerMatcher(1000 * MS)
    m.fired(1, 0)
    m.fired(2, 10 * MS)
    assert m.frame(5 * MS) == 1
    assert m.frame(20 * MS) == 2
    assert m.frame(30 * MS) == 0


def test_a_frame_that_began_before_the_trigger_answers_none():
    m = child.TriggerMatcher(1000 * MS)
    m.fired(1, 100 * MS)
    assert m.frame(99 * MS) == 0
    assert m.frame(100 * MS) == 1


def test_a_timeout_misses_the_late_trigger_and_every_trigger_still_owed():
    m = child.TriggerMatcher(1000 * MS)
    m.fired(1, 0)
    m.fired(2, 500 * MS)
    assert m.expire(999 * MS) == []
    assert m.expire(1000 * MS) == [(1, 'timeout'), (2, 'resync')]
    assert m.frame(1001 * MS) == 0
    m.fired(3, 1100 * MS)
    assert m.frame(1150 * MS) == 3


def test_a_cancelled_trigger_owes_no_frame():
    m = child.TriggerMatcher(1000 * MS)
    m.fired(1, 0)
    m.fired(2, 1)
    m.cancel(1)
    assert m.frame(5) == 2


def test_frames_skipped_counts_gaps_across_the_16_bit_wrap_without_block_id_0():
    assert child.frames_skipped(None, 17) == 0
    assert child.frames_skipped(17, 18) == 0
    assert child.frames_skipped(17, 20) == 2
    assert child.frames_skipped(0xFFFF, 1) == 0
    assert child.frames_skipped(0xFFFE, 2) == 2
    assert child.frames_skipped(0x1_0000_0005, 0x1_0000_0009) == 3


def test_the_frame_record_is_framing_ts_with_padded_rows_packed():
    width, height, stride = 3, 2, 12
    data = bytes(range(stride * height))
    record = child.encode_frame(data, width, height, 7)
    size, w, h, trigger = struct.unpack_from('<IIII', record)
    assert (size, w, h, trigger) == (18, 3, 2, 7)
    assert record[16:] == data[0:9] + data[12:21]


def test_read_back_values_compare_as_the_camera_rounds_them():
    assert child.same('10000.0', 10000, True)
    assert child.same('4990.0', 5000, True)
    assert not child.same('4900.0', 5000, True)
    assert not child.same('63', 64, False)
    assert child.same('On', 'on', False)
    assert child.same('true', True, False)
