# Control experiment (issue 7): does a plain librdkafka consumer group (confluent-kafka, not the
# platform's code) recover after the tansu broker hangs (SIGSTOP) for 30 s and continues (SIGCONT)?
#
#     pip install confluent-kafka && python3 tests/probes/tansu_group_after_hang.py [PORT] [SECONDS]
#
# Seen with tansu 0.6.0 and confluent-kafka 2.16.1 (librdkafka 2.16.0): the group never receives
# the 100 messages produced after the hang (90 s), nor does a fresh consumer of the same group
# (60 s), while a consumer of a new group reads all 200. The broker keeps the data and loses the
# group: so the platform's broker fault tests run against librdkafka's mock cluster.
import os, signal, subprocess, sys, time, threading
from confluent_kafka import Producer, Consumer
from confluent_kafka.admin import AdminClient, NewTopic

port = int(sys.argv[1]) if len(sys.argv) > 1 else 19500
hang = int(sys.argv[2]) if len(sys.argv) > 2 else 30
url = f"tcp://127.0.0.1:{port}"
broker = subprocess.Popen([os.path.expanduser("~/.cargo/bin/tansu"), "broker", "--listener-url", url,
                           "--advertised-listener-url", url, "--storage-engine", "memory://tansu/", "--silent"])
time.sleep(1.5)
bs = f"127.0.0.1:{port}"
admin = AdminClient({"bootstrap.servers": bs}); admin.create_topics([NewTopic("t", 3, 1)])["t"].result()
p = Producer({"bootstrap.servers": bs, "enable.idempotence": True, "acks": "all", "message.timeout.ms": 30000})
c = Consumer({"bootstrap.servers": bs, "group.id": "g", "auto.offset.reset": "earliest",
              "enable.auto.commit": True, "session.timeout.ms": 10000})
c.subscribe(["t"])
seen = set()
stop = False
def consume():
    while not stop:
        m = c.poll(0.5)
        if m is None or m.error():
            if m is not None: print("consumer error", m.error(), flush=True)
            continue
        seen.add(m.value().decode())
t = threading.Thread(target=consume); t.start()
def produce(prefix, n):
    for i in range(n):
        p.produce("t", key=str(i), value=f"{prefix}{i}")
    return p.flush(40)
print("flush before:", produce("a", 100), flush=True)
deadline = time.time() + 30
while len(seen) < 100 and time.time() < deadline: time.sleep(0.2)
print("seen before hang:", len(seen), flush=True)
broker.send_signal(signal.SIGSTOP); print(f"broker stopped for {hang}s", flush=True)
time.sleep(hang)
broker.send_signal(signal.SIGCONT); print("broker continued", flush=True)
print("flush after:", produce("b", 100), flush=True)
deadline = time.time() + 90
while len(seen) < 200 and time.time() < deadline: time.sleep(0.5)
print("seen after hang:", len(seen), "in", round(90 - (deadline - time.time())), "s", flush=True)
stop = True; t.join(); c.close()
c2 = Consumer({"bootstrap.servers": bs, "group.id": "g", "auto.offset.reset": "earliest", "session.timeout.ms": 10000})
c2.subscribe(["t"])
fresh = set(); deadline = time.time() + 60
while time.time() < deadline and len(seen | fresh) < 200:
    m = c2.poll(0.5)
    if m is not None and not m.error(): fresh.add(m.value().decode())
print("a fresh consumer of the same group got", len(fresh), "new total", len(seen | fresh), flush=True)
c3 = Consumer({"bootstrap.servers": bs, "group.id": "other", "auto.offset.reset": "earliest"})
c3.subscribe(["t"]); other=set(); deadline = time.time() + 30
while time.time() < deadline and len(other) < 200:
    m = c3.poll(0.5)
    if m is not None and not m.error(): other.add(m.value().decode())
print("a consumer of a new group got", len(other), flush=True)
broker.kill()
