"""Reads a TensorBoard event file independently of the C++ writer: record framing with
masked CRC-32C checked by Debian's python3-crc32c, events parsed by python3-protobuf from a
module that protoc generates from our .proto. Prints "tag step value" per scalar.

usage: event_writer_test.py EVENT_FILE PROTO_DIR(with tensorboard_event_pb2.py)"""
import struct
import sys

import crc32c

sys.path.insert(0, sys.argv[2])
import tensorboard_event_pb2  # noqa: E402


def masked(data):
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


with open(sys.argv[1], "rb") as f:
    blob = f.read()
pos, records = 0, []
while pos < len(blob):
    header = blob[pos:pos + 8]
    (length,) = struct.unpack("<Q", header)
    (header_crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
    assert header_crc == masked(header), "length CRC mismatch at %d" % pos
    data = blob[pos + 12:pos + 12 + length]
    (data_crc,) = struct.unpack("<I", blob[pos + 12 + length:pos + 16 + length])
    assert data_crc == masked(data), "data CRC mismatch at %d" % pos
    records.append(data)
    pos += 16 + length
first = tensorboard_event_pb2.Event.FromString(records[0])
assert first.file_version == "brain.Event:2", first
for data in records[1:]:
    event = tensorboard_event_pb2.Event.FromString(data)
    for value in event.summary.value:
        print("%s %d %.6g" % (value.tag, event.step, value.simple_value))
