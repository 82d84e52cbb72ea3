#!/usr/bin/env python3
"""An independent check of a proof bundle's freshness proof, written from
docs/formats.md alone ("Blocks", "Item-state leaf and tree", "Freshness
proof") with nothing but the Python standard library: the protobuf wire
format is read by hand, the RFC 9162 audit path is checked as the RFC says.
It does not check signatures (the C verifier does); it checks that the
documents say enough to reach the same verdict on the item-state commitment:
that the leaf under the certified header's state root names exactly the
bundle's events.

Usage: indep_freshness.py BUNDLE_FILE
Prints "complete as of height H" and exits 0, or prints "NOT COMPLETE: why"
and exits 1.
"""
import hashlib
import struct
import sys


def varint(buf, pos):
    value, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def fields(buf):
    """(field number, wire type, value) of one message, in order."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = varint(buf, pos)
        elif wt == 2:
            n, pos = varint(buf, pos)
            val = buf[pos:pos + n]
            pos += n
        elif wt == 1:
            val = buf[pos:pos + 8]
            pos += 8
        elif wt == 5:
            val = buf[pos:pos + 4]
            pos += 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, val


def message(buf):
    """field number -> list of values."""
    out = {}
    for num, _, val in fields(buf):
        out.setdefault(num, []).append(val)
    return out


def one(msg, num, default=None):
    vals = msg.get(num)
    return vals[-1] if vals else default


def sha256(data):
    return hashlib.sha256(data).digest()


def path_len(index, size):
    """RFC 9162 audit path length of leaf `index` in a tree of `size` leaves."""
    length = 0
    while size > 1:
        k = 1
        while 2 * k < size:
            k *= 2
        if index < k:
            size = k
        else:
            index, size = index - k, size - k
        length += 1
    return length


def root_from_path(leaf_hash, index, size, path):
    """RFC 9162 section 2.1.3.2: the root the audit path leads to."""
    fn, sn = index, size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def check(bundle):
    b = message(bundle)
    item = one(b, 1, b"")
    events = [message(e) for e in b.get(2, [])]
    fresh = one(b, 4)
    if not events:
        return None, "the bundle holds no events"
    if fresh is None:
        return None, "the bundle carries no freshness proof"
    f = message(fresh)
    height = one(f, 1, 0)
    header = message(one(f, 2, b""))
    cert = message(one(f, 3, b""))
    leaf = one(f, 4, b"")
    path = f.get(5, [])
    # The header: version 2, the proof's height, a 32-byte state root.
    if one(header, 1, 0) != 2:
        return None, "the header is not version 2"
    if one(header, 3, 0) != height:
        return None, "the header's height is not the proof's"
    state_root = one(header, 9, b"")
    item_count = one(header, 10, 0)
    if len(state_root) != 32:
        return None, "the header has no 32-byte state root"
    # The certificate names this header (its signatures are not checked here).
    if one(cert, 1, 0) != height or one(cert, 3, b"") != sha256(one(f, 2, b"")):
        return None, "the certificate is not for this header"
    # The leaf: 128 bytes, the documented layout.
    if len(leaf) != 128 or leaf[0] != 1:
        return None, "the leaf is not a version 1 leaf of 128 bytes"
    count, = struct.unpack(">I", leaf[4:8])
    reg_index, head_height, first_height = struct.unpack(">QQQ", leaf[8:32])
    item_hash, head = leaf[32:64], leaf[64:96]
    if item_hash != sha256(item):
        return None, "the leaf is another item's"
    if reg_index >= item_count or len(path) != path_len(reg_index, item_count):
        return None, "the audit path does not fit the leaf's place"
    if root_from_path(sha256(b"\x00" + leaf), reg_index, item_count, path) != state_root:
        return None, "the audit path does not lead to the state root"
    # The leaf against the bundle's events.
    last_body = one(message(one(events[-1], 1, b"")), 1, b"")
    if count != len(events):
        return None, "the leaf counts %d events, the bundle holds %d" % (count, len(events))
    if head != sha256(last_body):
        return None, "the leaf's head is not the bundle's last event"
    if head_height != one(events[-1], 2, 0) or first_height != one(events[0], 2, 0):
        return None, "the leaf's heights are not the bundle's"
    if height < head_height:
        return None, "the header is below the item's last event"
    return height, None


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as fh:
        height, why = check(fh.read())
    if why:
        print("NOT COMPLETE: " + why)
        return 1
    print("complete as of height %d" % height)
    return 0


if __name__ == "__main__":
    sys.exit(main())
