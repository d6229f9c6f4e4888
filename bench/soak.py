#!/usr/bin/env python3
"""The clients of bench/soak.sh: a latency probe, admin writes and hostile requests.

    soak.py seed     URL TOKEN FIXTURES COUNT            creates COUNT titles, prints their ids
    soak.py probe    URL SECONDS OUT                     GET /v1/ on a fresh connection, 50 a second
    soak.py writer   URL TOKEN FIXTURES SECONDS OUT      titles, versions, policies, devices, groups
    soak.py hostile  URL TOKEN SECRET SECONDS OUT WORK   crafted inputs, slowloris and idle connections

Every mode stops at its deadline or as soon as the file STOP (beside OUT) exists, and writes a
JSON summary to OUT: answers by status, 5xx answers, transport errors. `hostile` also appends one
line per request to WORK/hostile.log before sending it, so a crash can be tied to its input.
The hostile cases can be skipped by name with SOAK_HOSTILE_SKIP=name,name (see CASES below).
Standard library only; every request has a timeout.
"""

import http.client
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import zipfile
import zlib

TIMEOUT = 30.0

# Summaries to write when bench/soak.sh stops a client with SIGTERM (in the middle of a request).
ON_TERMINATE = []


def terminate(signum, frame):
    for write in ON_TERMINATE:
        write()
    os._exit(0)


def stop_requested(out):
    return os.path.exists(os.path.join(os.path.dirname(out) or ".", "STOP"))


class Tally:
    """Answers by label and status, thread-safe."""

    def __init__(self):
        self.lock = threading.RLock()  # a summary may be written from the SIGTERM handler
        self.by_label = {}
        self.server_errors = 0
        self.transport_errors = 0
        self.samples = []
        self.largest_answer = (0, "")
        self.slowest = (0.0, "")

    def record(self, label, status, elapsed, size=0, detail=""):
        with self.lock:
            statuses = self.by_label.setdefault(label, {})
            key = str(status) if status is not None else "transport"
            statuses[key] = statuses.get(key, 0) + 1
            if status is None:
                self.transport_errors += 1
            elif status >= 500:
                self.server_errors += 1
            if (status is None or status >= 500) and len(self.samples) < 10:
                self.samples.append(f"{label}: {key} {detail[:200]}")
            if size > self.largest_answer[0]:
                self.largest_answer = (size, label)
            if elapsed > self.slowest[0]:
                self.slowest = (elapsed, label)

    def summary(self):
        with self.lock:
            return {
                "answers": {label: dict(statuses) for label, statuses in self.by_label.items()},
                "samples": list(self.samples),
                "serverErrors": self.server_errors,
                "transportErrors": self.transport_errors,
                "largestAnswerBytes": self.largest_answer[0],
                "largestAnswerFor": self.largest_answer[1],
                "slowestSeconds": round(self.slowest[0], 3),
                "slowestFor": self.slowest[1],
            }


def request(base, method, path, body=None, headers=None, timeout=TIMEOUT):
    """One request on a fresh connection: (status or None, seconds, answer size, detail)."""
    url = urllib.parse.urlsplit(base)
    started = time.monotonic()
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        size = 0
        head = b""
        while True:
            chunk = response.read(1 << 16)
            if not chunk:
                break
            if len(head) < 8192:
                head += chunk[: 8192 - len(head)]
            size += len(chunk)
        return response.status, time.monotonic() - started, size, head.decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        return None, time.monotonic() - started, 0, f"{type(error).__name__}: {error}"
    finally:
        connection.close()


def write_summary(out, summary):
    with open(out + ".tmp", "w") as file:
        json.dump(summary, file, indent=1)
    os.replace(out + ".tmp", out)


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- probe -----------------------------------------------------------------------------------------


def probe(base, seconds, out):
    deadline = time.monotonic() + seconds
    latencies, statuses = [], {}

    def summary():
        failures = sum(count for status, count in statuses.items() if status != "200")
        write_summary(out, {
            "requests": len(latencies), "failures": failures, "statuses": dict(statuses),
            "p50Ms": percentile(latencies, 0.50), "p99Ms": percentile(latencies, 0.99),
            "maxMs": max(latencies) if latencies else None,
        })

    ON_TERMINATE.append(summary)
    while time.monotonic() < deadline and not stop_requested(out):
        started = time.monotonic()
        status, elapsed, _, _ = request(base, "GET", "/v1/", timeout=10.0)
        # A failure counts too, with the time it took.
        latencies.append(elapsed * 1000)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        time.sleep(max(0.0, 0.02 - (time.monotonic() - started)))
    summary()


# --- admin writes ----------------------------------------------------------------------------------


def admin_headers(token, content_type="application/json"):
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


def template_title(fixtures):
    with open(os.path.join(fixtures, "titles", "JamfAdmin.json")) as file:
        return json.load(file)


def title_body(template, title_id):
    definition = dict(template)
    definition["id"] = title_id
    definition["name"] = f"Soak {title_id}"
    definition.pop("lastModified", None)
    definition.pop("currentVersion", None)
    return json.dumps(definition).encode()


def seed(base, token, fixtures, count):
    template = template_title(fixtures)
    for number in range(count):
        title_id = f"SoakSeed{number:04d}"
        status, _, _, detail = request(base, "POST", "/api/v1/title", title_body(template, title_id),
                                       admin_headers(token))
        if status not in (201, 409):
            sys.exit(f"seeding {title_id}: {status} {detail}")
        print(title_id)


def writer(base, token, fixtures, seconds, out):
    tally = Tally()
    template = template_title(fixtures)
    with open(os.path.join(fixtures, "versions", "JamfAdmin-10.3.0.json")) as file:
        version_template = json.load(file)
    headers = admin_headers(token)
    run = os.getpid()
    deadline = time.monotonic() + seconds
    number = 0
    policies, devices = [], []
    ON_TERMINATE.append(lambda: write_summary(out, {"iterations": number, **tally.summary()}))

    def call(label, method, path, body=None):
        status, elapsed, size, detail = request(base, method, path, body, headers)
        tally.record(label, status, elapsed, size, detail)
        return status, detail

    while time.monotonic() < deadline and not stop_requested(out):
        number += 1
        title_id = f"Soak{run}-{number}"
        call("POST title", "POST", "/api/v1/title", title_body(template, title_id))
        version = dict(version_template)
        version["version"] = f"99.{number}"
        call("POST version", "POST", f"/api/v1/title/{title_id}/version", json.dumps(version).encode())
        status, detail = call("POST policy", "POST", "/api/v1/policies", json.dumps({
            "name": f"Soak policy {run}-{number}", "platform": "macOS" if number % 2 else "iOS",
        }).encode())
        if status == 201:
            try:
                policies.append((json.loads(detail)["id"], number))
            except (ValueError, KeyError):
                pass
        if policies:
            policy_id, policy_number = policies[number % len(policies)]
            call("PUT policy", "PUT", f"/api/v1/policies/{policy_id}", json.dumps({
                "name": f"Soak policy {run}-{policy_number}",
                "platform": "macOS" if policy_number % 2 else "iOS",
                "enforcement": {"enabled": True, "localTime": "18:00",
                                "gracePeriodDays": number % 30},
            }).encode())
        device_id = f"soak-{run}-{number}"
        status, _ = call("POST device", "POST", "/api/v1/devices", json.dumps({
            "id": device_id, "platform": "macOS", "osVersion": "26.0", "osBuild": "25A354",
            "model": "Mac14,2",
        }).encode())
        if status == 201:
            devices.append(device_id)
        if number % 10 == 0 and devices and policies:
            status, detail = call("POST device group", "POST", "/api/v1/device-groups", json.dumps({
                "name": f"Soak group {run}-{number}", "devices": devices[-20:],
            }).encode())
            if status == 201:
                try:
                    group_id = json.loads(detail)["id"]
                    call("PUT bindings", "PUT", f"/api/v1/policies/{policies[-1][0]}/bindings",
                         json.dumps({"deviceGroups": [group_id]}).encode())
                except (ValueError, KeyError):
                    pass
        if number % 25 == 0:
            call("GET backup", "GET", "/api/v1/backup")
            call("DELETE title", "DELETE", f"/api/v1/title/Soak{run}-{number - 20}")
        time.sleep(0.02)
        if number % 20 == 0:
            write_summary(out, {"iterations": number, **tally.summary()})
    write_summary(out, {"iterations": number, **tally.summary()})


# --- hostile payloads ------------------------------------------------------------------------------


def deep_json(levels=100_000):
    return b"[" * levels + b"]" * levels


def deep_json_object(levels=100_000):
    return b'{"a":' * levels + b"1" + b"}" * levels


def xml_plist(inner):
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
            b'"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            b'<plist version="1.0">' + inner + b"</plist>")


def deep_xml_plist(levels=3_000):
    return xml_plist(b"<dict><key>k</key>" * levels + b"<string/>" + b"</dict>" * levels)


def binary_plist(objects, top=0):
    """A bplist00 of already encoded objects (references are 2 bytes, offsets 4)."""
    body = bytearray(b"bplist00")
    offsets = []
    for encoded in objects:
        offsets.append(len(body))
        body += encoded
    table = len(body)
    for offset in offsets:
        body += struct.pack(">I", offset)
    body += bytes(6) + bytes([4, 2]) + struct.pack(">QQQ", len(objects), top, table)
    return bytes(body)


def bplist_ascii(text):
    data = text.encode("latin-1")
    assert len(data) < 15
    return bytes([0x50 | len(data)]) + data


def bplist_dict(pairs):
    assert len(pairs) < 15
    return (bytes([0xD0 | len(pairs)]) + b"".join(struct.pack(">H", key) for key, _ in pairs)
            + b"".join(struct.pack(">H", value) for _, value in pairs))


def bplist_array(references):
    assert len(references) < 15
    return bytes([0xA0 | len(references)]) + b"".join(struct.pack(">H", r) for r in references)


def deep_binary_plist(levels=3_000):
    # Object 0 is the key "k"; object i (1…levels) is {k: object i+1}; the last is an empty string.
    objects = [bplist_ascii("k")]
    for level in range(levels):
        objects.append(bplist_dict([(0, level + 2)]))
    objects.append(bplist_ascii(""))
    return binary_plist(objects, top=1)


def dag_binary_plist(levels=9, fan_out=14):
    # {MessageType: "DeclarativeManagement", k: a1}, each a_i = [a_{i+1}] * fan_out: a few hundred
    # bytes that expand to fan_out ** levels values when references are copied.
    objects = [None, bplist_ascii("MessageType"), bplist_ascii("Declarative"), bplist_ascii("k")]
    first = len(objects)
    for level in range(levels):
        objects.append(bplist_array([first + level + 1] * fan_out))
    objects.append(bplist_ascii("x"))
    objects[0] = bplist_dict([(1, 2), (3, first)])
    return binary_plist(objects, top=0)


def checkin_plist(enrollment, endpoint="tokens"):
    # A binary plist check-in whose strings may hold any byte (NUL included).
    keys = ["MessageType", "Endpoint", "EnrollmentID"]
    values = ["DeclarativeManagement", endpoint, enrollment]
    objects = [None]
    for text in keys + values:
        data = text.encode("latin-1")
        if len(data) < 15:
            objects.append(bytes([0x50 | len(data)]) + data)
        else:
            objects.append(bytes([0x5F, 0x10, len(data)]) + data)
    objects[0] = (bytes([0xD3]) + b"".join(struct.pack(">H", 1 + i) for i in range(3))
                  + b"".join(struct.pack(">H", 4 + i) for i in range(3)))
    return binary_plist(objects, top=0)


def zip_lying_size(claimed=1 << 45):
    """One stored entry of 2 bytes whose zip64 sizes claim `claimed` bytes uncompressed."""
    name = b"patch_archive/Liar.json"
    data = b"{}"
    crc = zlib.crc32(data)
    zip64_local = struct.pack("<HHQQ", 0x0001, 16, claimed, len(data))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                        len(name), len(zip64_local)) + name + zip64_local + data
    zip64_central = struct.pack("<HHQQ", 0x0001, 16, claimed, len(data))
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF,
                          0xFFFFFFFF, len(name), len(zip64_central), 0, 0, 0, 0, 0) + name + zip64_central
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def zip_bomb(path, megabytes):
    """A deflated entry of `megabytes` MiB of spaces (about 1 KiB of zip per MiB)."""
    if not os.path.exists(path):
        with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("patch_archive/Bomb.json", "w", force_zip64=True) as entry:
                chunk = b" " * (1 << 20)
                for _ in range(megabytes):
                    entry.write(chunk)
        os.replace(path + ".tmp", path)
    with open(path, "rb") as file:
        return file.read()


def many_errors_title(limit):
    head, tail = b'{"id":"ManyErrors","name":"x","publisher":"x","patches":[', b"]}"
    count = (limit - len(head) - len(tail)) // 2
    return head + b",".join([b"1"] * count) + tail


def many_errors_status(limit):
    head, tail = b'{"Errors":[', b"]}"
    count = (limit - len(head) - len(tail)) // 2
    return head + b",".join([b"1"] * count) + tail


def absurd_version_feed():
    return json.dumps({"AssetSets": {"macOS": [{
        "ProductVersion": "1000000000.1000000000.10000", "Build": "99Z999",
        "PostingDate": "2025-12-01", "SupportedDevices": ["J413AP"]}]}}).encode()


def many_ids(count=100_000):
    return json.dumps({"name": f"Many ids {time.time()}", "devices": ["soak-dup"] * count}).encode()


# --- connection holders ----------------------------------------------------------------------------


class Holders:
    """Slowloris and idle connections, held open until stopped; counts what the server closed."""

    def __init__(self, base, slowloris, idle):
        url = urllib.parse.urlsplit(base)
        self.address = (url.hostname, url.port)
        self.wanted_slow, self.wanted_idle = slowloris, idle
        self.slow, self.idle = [], []
        self.refused = 0
        self.closed_by_server = {"slowloris": 0, "idle": 0}
        self.stop = threading.Event()

    def open(self, kind):
        try:
            connection = socket.create_connection(self.address, timeout=5)
            connection.setblocking(False)
            (self.slow if kind == "slowloris" else self.idle).append(connection)
            if kind == "slowloris":
                connection.send(b"POST /api/v1/title HTTP/1.1\r\nHost: soak\r\n")
        except OSError:
            self.refused += 1

    def still_open(self, connection):
        try:
            data = connection.recv(4096)
            return data != b"" if data is not None else True
        except BlockingIOError:
            return True
        except OSError:
            return False

    def run(self):
        for _ in range(self.wanted_slow):
            self.open("slowloris")
        for _ in range(self.wanted_idle):
            self.open("idle")
        while not self.stop.wait(5):
            for kind, connections in (("slowloris", self.slow), ("idle", self.idle)):
                for connection in list(connections):
                    alive = self.still_open(connection)
                    if alive and kind == "slowloris":
                        try:
                            connection.send(b"X-Slow: 1\r\n")
                        except OSError:
                            alive = False
                    if not alive:
                        connections.remove(connection)
                        connection.close()
                        self.closed_by_server[kind] += 1

    def summary(self):
        return {
            "slowlorisOpened": self.wanted_slow, "idleOpened": self.wanted_idle,
            "refusedAtConnect": self.refused, "closedByServer": self.closed_by_server,
            "stillOpenAtEnd": {"slowloris": len(self.slow), "idle": len(self.idle)},
        }

    def close(self):
        self.stop.set()
        for connection in self.slow + self.idle:
            connection.close()


# --- hostile loop ----------------------------------------------------------------------------------


def hostile(base, token, secret, seconds, out, work):
    skip = {name for name in os.environ.get("SOAK_HOSTILE_SKIP", "").split(",") if name}
    body_limit = int(os.environ.get("SOAK_BODY_LIMIT", str(8 << 20))) - 64
    bomb_megabytes = int(os.environ.get("SOAK_BOMB_MB", "1024"))
    tally = Tally()
    log = open(os.path.join(work, "hostile.log"), "a", buffering=1)
    admin = admin_headers(token)
    zip_headers = admin_headers(token, "application/zip")
    ddm = {"Authorization": f"Bearer {secret}", "X-Enrollment-ID": "soak-hostile",
           "Content-Type": "application/json"}
    checkin = {"Authorization": f"Bearer {secret}", "Content-Type": "application/x-apple-aspen-mdm-checkin"}
    payloads = {
        "deep-json": deep_json(), "deep-json-object": deep_json_object(),
        "deep-xml-plist": deep_xml_plist(), "deep-binary-plist": deep_binary_plist(),
        "dag-plist": dag_binary_plist(), "zip-lying-size": zip_lying_size(),
        "many-errors-title": many_errors_title(body_limit),
        "many-errors-status": many_errors_status(body_limit),
    }
    if "zip-bomb" not in skip:
        payloads["zip-bomb"] = zip_bomb(os.path.join(work, "bomb.zip"), bomb_megabytes)

    # name → list of (method, path, body, headers); each name can be skipped.
    cases = {
        "deep-json": [("POST", "/api/v1/title", payloads["deep-json"], admin),
                      ("POST", "/api/v1/policies", payloads["deep-json-object"], admin),
                      ("POST", "/api/v1/catalog/import", payloads["deep-json"], admin),
                      ("POST", "/api/v1/device-groups", payloads["deep-json-object"], admin),
                      ("PUT", "/ddm/status", payloads["deep-json"], ddm)],
        "deep-xml-plist": [("PUT", "/mdm/checkin", payloads["deep-xml-plist"], checkin)],
        "deep-binary-plist": [("PUT", "/mdm/checkin", payloads["deep-binary-plist"], checkin)],
        "dag-plist": [("PUT", "/mdm/checkin", payloads["dag-plist"], checkin)],
        "zip-lying-size": [("POST", "/api/v1/restore", payloads["zip-lying-size"], zip_headers)],
        "zip-bomb": [("POST", "/api/v1/restore", payloads.get("zip-bomb", b""), zip_headers)],
        "many-errors": [("POST", "/api/v1/title", payloads["many-errors-title"], admin),
                        ("PUT", "/ddm/status", payloads["many-errors-status"], ddm)],
        "ddm-unauthenticated": [("PUT", "/ddm/status", payloads["many-errors-status"],
                                 {**ddm, "Authorization": "Bearer wrong"}),
                                ("PUT", "/mdm/checkin", payloads["deep-xml-plist"],
                                 {**checkin, "Authorization": "Bearer wrong"})],
        "nul": [("POST", "/api/v1/devices", json.dumps({"id": "nul\u0000dev", "platform": "macOS", "osVersion": "26.0"}).encode(), admin),
                ("POST", "/api/v1/policies", json.dumps({"name": "nul\u0000policy", "platform": "macOS"}).encode(), admin),
                ("POST", "/api/v1/title", title_body({"name": "n", "publisher": "p\u0000", "patches": [],
                                                       "requirements": [], "extensionAttributes": []},
                                                      "NulTitle"), admin),
                ("POST", "/api/v1/device-groups", json.dumps({"name": "nul\u0000group", "devices": []}).encode(), admin),
                ("GET", "/api/v1/devices/a%00b", None, admin),
                ("GET", "/v1/patch/a%00b", None, {}),
                ("PUT", "/mdm/checkin", checkin_plist("nul\u0000device"), checkin)],
        "bad-query": [("GET", "/api/v1/devices?limit=abc", None, admin),
                      ("GET", "/api/v1/devices?limit=99999999999999999999999", None, admin),
                      ("GET", "/api/v1/devices?after=%FF", None, admin),
                      ("POST", "/api/v1/restore?replace=maybe", b"PK", zip_headers),
                      ("GET", "/api/v1/title/%FF", None, admin),
                      ("GET", "/v1/patch/%FF", None, {}),
                      ("GET", "/v1/software/%FF,%00,", None, {}),
                      ("GET", "/api/v1/devices/x/declarations?at=yesterday", None, admin),
                      ("GET", "/api/v1/policy-groups/plan?platform=Windows&from=x", None, admin),
                      ("GET", "/api/v1/title/..", None, admin),
                      ("POST", "/api/v1/devices", json.dumps({"id": ".hidden", "platform": "macOS", "osVersion": "26.0"}).encode(), admin)],
        "absurd-version": [("POST", "/api/v1/catalog/import", absurd_version_feed(), admin),
                           ("GET", "/api/v1/policy-groups/plan?platform=macOS", None, admin)],
        "many-ids": [("POST", "/api/v1/device-groups", many_ids(), admin)],
    }
    unknown = skip - set(cases) - {"slowloris", "idle"}
    if unknown:
        sys.exit(f"SOAK_HOSTILE_SKIP names no case: {sorted(unknown)}")
    holders = Holders(base,
                      0 if "slowloris" in skip else int(os.environ.get("SOAK_SLOWLORIS", "50")),
                      0 if "idle" in skip else int(os.environ.get("SOAK_IDLE_CONNECTIONS", "1100")))
    holder_thread = threading.Thread(target=holders.run, daemon=True)
    holder_thread.start()
    log.write(f"{time.strftime('%H:%M:%S')} holders: {holders.wanted_slow} slowloris, "
              f"{holders.wanted_idle} idle connections\n")

    deadline = time.monotonic() + seconds
    rounds = {}
    ON_TERMINATE.append(lambda: write_summary(out, {
        "rounds": dict(rounds), "skipped": sorted(skip), **tally.summary(),
        "connections": holders.summary()}))

    def attack(name, requests):
        # Each case loops on its own thread, so a slow case does not keep the others waiting.
        while time.monotonic() < deadline and not stop_requested(out):
            for method, path, body, headers in requests:
                if time.monotonic() >= deadline or stop_requested(out):
                    return
                log.write(f"{time.strftime('%H:%M:%S')} {name}: {method} {path} "
                          f"({len(body or b'')} bytes)\n")
                status, elapsed, size, detail = request(base, method, path, body, headers, timeout=60)
                tally.record(f"{name}: {method} {path.split('?')[0]}", status, elapsed, size, detail)
                log.write(f"{time.strftime('%H:%M:%S')}   {name} -> {status} in {elapsed:.2f} s, "
                          f"{size} bytes\n")
            rounds[name] = rounds.get(name, 0) + 1
            time.sleep(1)

    attackers = [threading.Thread(target=attack, args=(name, requests), daemon=True)
                 for name, requests in cases.items() if name not in skip]
    for attacker in attackers:
        attacker.start()
    while any(attacker.is_alive() for attacker in attackers):
        write_summary(out, {"rounds": dict(rounds), "skipped": sorted(skip), **tally.summary(),
                            "connections": holders.summary()})
        time.sleep(2)
    holders.stop.set()
    holder_thread.join(10)
    summary = {"rounds": dict(rounds), "skipped": sorted(skip), **tally.summary(),
               "connections": holders.summary()}
    holders.close()
    write_summary(out, summary)


def main():
    signal.signal(signal.SIGTERM, terminate)
    mode, arguments = sys.argv[1], sys.argv[2:]
    if mode == "seed":
        seed(arguments[0], arguments[1], arguments[2], int(arguments[3]))
    elif mode == "probe":
        probe(arguments[0], float(arguments[1]), arguments[2])
    elif mode == "writer":
        writer(arguments[0], arguments[1], arguments[2], float(arguments[3]), arguments[4])
    elif mode == "hostile":
        hostile(arguments[0], arguments[1], arguments[2], float(arguments[3]), arguments[4],
                arguments[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
