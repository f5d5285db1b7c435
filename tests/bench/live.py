#!/usr/bin/env python3
"""The live benchmark behind `make bench-live` (run by tests/bench/live.sh,
which creates the namespace $LIVE_NS holding the capture end $LIVE_RCV of a
veth pair whose other end $LIVE_SND is in the host).

Trace: the real mix of bench.py, LIVE_PACKETS packets (default 300000),
built by tests/bench/mkbench into $BENCH_DIR/live-real.pcap, then the
frames that fit the pair's 1500-byte MTU (14 to 1514 bytes) copied to
$BENCH_DIR/live.pcap: the few larger frames of the mix are segmentation
offload artefacts of the capturing hosts, which no sender can put on a
1500-byte link.

1. The senders' ceilings, nothing capturing: tests/bench/pktsend (AF_PACKET
   TX ring, qdisc bypass), netsniff-ng (pcap replay over its TX ring) and
   tcpreplay --topspeed where installed, each run 3 times; the rate is the
   sender's own report (packets over its own sending time).

2. For each contender, at (a) pktsend's full speed and (b) a fixed LIVE_RATE
   packets/s (default 100000), LIVE_LOOPS passes over the trace (default 2):
   the contender is started in the namespace on $LIVE_RCV, the run waits
   until it holds a packet socket and its start-up is over (its CPU time
   stops growing), samples its CPU time, replays the trace,
   waits LIVE_DRAIN s (default 1) for the capture buffers to drain, samples
   its CPU time again and stops it; with LIVE_RUNS=N (default 1) N runs,
   the one of least CPU per packet kept.  Columns:
     send pps  what pktsend reported for this run
     sent      packets pktsend sent
     if rx     the capture end's rx_packets delta (ip -s link, in the
               namespace): what the veth handed to the stack
     received  the contender's own count of packets it read:
               skyprobe     "packets read" of its exit statistics (stderr)
               softflowd    softflowctl statistics before the stop:
                            "Packets received by libpcap" minus "Packets
                            dropped by libpcap" (on Linux libpcap's received
                            count includes the socket's drops)
               nfpcapd      "Processed" of its exit report (stderr)
     drops     the contender's own kernel + interface drop counts:
               skyprobe     "kernel dropped" + "interface dropped"
               softflowd    "dropped by libpcap" + "dropped by interface"
               nfpcapd      "dropped by OS/Buffer"
     missing   sent - received: every packet the contender did not read
     CPU s     user + system time of the contender's threads between the
               two samples, from /proc/PID/task/*/schedstat (nanoseconds,
               the time on a CPU); user and system split from
               /proc/PID/stat (clock ticks) in the next two columns
     us/pkt    CPU s / received
     vs sky    us/pkt over that of skyprobe -w 1 at the same rate
   The kernel's work of delivering a frame to each packet socket runs in
   the sender's context (veth transmit, then the receive softirq on the
   same CPU): it slows the sender, not the contender's CPU time.
Contenders: skyprobe (-w 1; -w 1 --live-reader libpcap and -w 2 when
`skyprobe --help` lists them), softflowd -d -i IF -n 127.0.0.1:PORT
-m 4000000 (as bench.py) and nfpcapd -i IF -w DIR, where installed.
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

SKYPROBE = os.environ["SKYPROBE"]
PKTSEND = os.environ["PKTSEND"]
MKBENCH = os.environ["MKBENCH"]
SHARED = os.environ.get("SKYPROBE_SHARED", "")
DIR = os.environ.get("BENCH_DIR", "bench-data")
NS = os.environ["LIVE_NS"]
SND = os.environ["LIVE_SND"]
RCV = os.environ["LIVE_RCV"]
PACKETS = int(os.environ.get("LIVE_PACKETS", "300000"))
RATE = int(os.environ.get("LIVE_RATE", "100000"))
LOOPS = int(os.environ.get("LIVE_LOOPS", "2"))
DRAIN = float(os.environ.get("LIVE_DRAIN", "1"))
RUNS = int(os.environ.get("LIVE_RUNS", "1"))
TICK = os.sysconf("SC_CLK_TCK")


def netns(cmd):
    return ["ip", "netns", "exec", NS] + cmd


def build_trace():
    """The real mix, then its frames of 14 to 1514 bytes."""
    os.makedirs(DIR, exist_ok=True)
    full = os.path.join(DIR, "live-real.pcap")
    trace = os.path.join(DIR, "live.pcap")
    if not os.path.exists(full):
        pcaps = os.path.join(SHARED, "pcaps")
        print("building %s from %s" % (full, pcaps if os.path.isdir(pcaps)
                                       else "a synthetic mix"))
        subprocess.run([MKBENCH, "real", full, pcaps, str(PACKETS)],
                       check=True)
    if os.path.exists(trace) and os.path.getmtime(trace) >= \
            os.path.getmtime(full):
        return trace
    with open(full, "rb") as f:
        data = f.read()
    # mkbench writes classic pcap, microseconds, native byte order.
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    out = [data[:24]]
    kept = skipped = 0
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack_from(endian + "I", data, off + 8)[0]
        end = off + 16 + caplen
        if 14 <= caplen <= 1514:
            out.append(data[off:end])
            kept += 1
        else:
            skipped += 1
        off = end
    with open(trace + ".tmp", "wb") as f:
        f.write(b"".join(out))
    os.rename(trace + ".tmp", trace)
    print("%s: %d frames of 14 to 1514 bytes (%d others left out)" %
          (trace, kept, skipped))
    return trace


def trace_packets(trace):
    with open(trace, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    n, off = 0, 24
    while off + 16 <= len(data):
        off += 16 + struct.unpack_from(endian + "I", data, off + 8)[0]
        n += 1
    return n


# --- senders -------------------------------------------------------------

def pktsend(trace, rate=0, loops=1):
    cmd = [PKTSEND, "-q", "-n", str(loops)]
    if rate:
        cmd += ["-r", str(rate)]
    out = subprocess.run(cmd + [SND, trace], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"sent (\d+) packets \d+ bytes in ([\d.]+) s: (\d+) pps",
                  out)
    return int(m.group(1)), float(m.group(2)), int(m.group(3))


def netsniff(trace):
    # The default kernel pull interval (-k 10 us) stalls on a veth here,
    # and the default ring (sized from the link speed) cannot be had.
    out = subprocess.run(["netsniff-ng", "--in", trace, "--out", SND, "-s",
                          "-m", "-S", "64MiB", "-k", "1000"],
                         capture_output=True, text=True, timeout=120).stdout
    n = int(re.search(r"(\d+) packets outgoing", out).group(1))
    m = re.search(r"(\d+) sec, (\d+) usec in total", out)
    secs = int(m.group(1)) + int(m.group(2)) / 1e6
    return n, secs, n / secs


def tcpreplay(trace):
    out = subprocess.run(["tcpreplay", "-i", SND, "--topspeed", trace],
                         capture_output=True, text=True,
                         timeout=120).stdout
    m = re.search(r"Actual: (\d+) packets .* sent in ([\d.]+) seconds", out)
    n, secs = int(m.group(1)), float(m.group(2))
    m = re.search(r"([\d.]+) pps", out)
    return n, secs, float(m.group(1))


def ceilings(trace):
    senders = [("pktsend", lambda: pktsend(trace))]
    if shutil.which("netsniff-ng"):
        senders.append(("netsniff-ng", lambda: netsniff(trace)))
    if shutil.which("tcpreplay"):
        senders.append(("tcpreplay", lambda: tcpreplay(trace)))
    print("\n== senders' ceilings on the veth pair, nothing capturing "
          "(each sender's own report, 3 runs)")
    best = {}
    for name, fn in senders:
        runs = []
        for _ in range(3):
            try:
                runs.append(fn())
            except (subprocess.SubprocessError, AttributeError,
                    OSError) as e:
                print("%-12s failed: %s" % (name, e))
                break
        if runs:
            rates = sorted(r[2] for r in runs)
            print("%-12s %9d packets  %s pps (best %.0f)" %
                  (name, runs[0][0], " ".join("%.0f" % r for r in rates),
                   rates[-1]))
            best[name] = rates[-1]
    return best


# --- contenders ----------------------------------------------------------

def help_text():
    p = subprocess.run([SKYPROBE, "--help"], capture_output=True, text=True)
    return p.stdout + p.stderr


def contenders(tmp):
    h = help_text()
    workers = "--workers" in h
    reader = "--live-reader" in h
    out = os.path.join(tmp, "out.ipfix")
    sky = [SKYPROBE, "-i", RCV, "-o", out]
    c = []
    if workers:
        c.append(("skyprobe -w 1", sky + ["-w", "1"], "skyprobe"))
    else:
        c.append(("skyprobe -w 1", sky, "skyprobe"))
        print("note: skyprobe --help lists no --workers: -w 2 not run")
    if reader:
        c.append(("skyprobe -w 1 libpcap", sky + ["-w", "1"] * workers +
                  ["--live-reader", "libpcap"], "skyprobe"))
    else:
        print("note: skyprobe --help lists no --live-reader: the libpcap "
              "reader variant not run (this skyprobe reads live through "
              "libpcap)")
    if workers:
        c.append(("skyprobe -w 2", sky + ["-w", "2"], "skyprobe"))
    if shutil.which("softflowd") and shutil.which("softflowctl"):
        ctl = os.path.join(tmp, "softflowd.ctl")
        c.append(("softflowd", ["softflowd", "-d", "-i", RCV, "-n",
                                "127.0.0.1:9", "-m", "4000000", "-c", ctl,
                                "-p", os.path.join(tmp, "softflowd.pid")],
                  "softflowd"))
    else:
        print("note: softflowd not installed")
    if shutil.which("nfpcapd"):
        d = os.path.join(tmp, "nfpcapd")
        os.makedirs(d, exist_ok=True)
        c.append(("nfpcapd", ["nfpcapd", "-i", RCV, "-w", d], "nfpcapd"))
    else:
        print("note: nfpcapd (nfdump) not installed")
    return c


def cpu_sample(pid):
    """(schedstat ns summed over threads, utime ticks, stime ticks)."""
    ns = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                ns += int(f.read().split()[0])
        except OSError:
            pass
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return ns, int(fields[11]), int(fields[12])


def rx_packets():
    out = subprocess.run(["ip", "-n", NS, "-s", "-j", "link", "show", "dev",
                          RCV], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)[0]["stats64"]["rx"]["packets"]


def wait_socket(pid, timeout=15.0):
    """Until the process holds a packet socket (its capture is open)."""
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        try:
            inodes = set()
            for fd in os.listdir("/proc/%d/fd" % pid):
                try:
                    ln = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                except OSError:
                    continue
                if ln.startswith("socket:["):
                    inodes.add(ln[8:-1])
            with open("/proc/%d/net/packet" % pid) as f:
                for line in f.readlines()[1:]:
                    if line.split()[-1] in inodes:
                        return True
        except OSError:
            return False
        time.sleep(0.05)
    return False


def wait_idle(pid, timeout=15.0):
    """Until start-up is over: the process's CPU time stops growing (less
    than 2 ms in 100 ms).  skyprobe touches its flow table at start on a
    live interface, which is no per-packet cost; others may set up too."""
    t_end = time.monotonic() + timeout
    prev = cpu_sample(pid)[0]
    while time.monotonic() < t_end:
        time.sleep(0.1)
        cur = cpu_sample(pid)[0]
        if cur - prev < 2000000:
            return
        prev = cur


def num(pattern, text):
    m = re.search(pattern, text, re.M)
    return int(m.group(1)) if m else None


def run_one(name, cmd, kind, trace, rate, tmp):
    if kind == "softflowd":     # what the previous run may have left
        for f in ("softflowd.ctl", "softflowd.pid"):
            if os.path.exists(os.path.join(tmp, f)):
                os.unlink(os.path.join(tmp, f))
    err = open(os.path.join(tmp, "stderr"), "w+")
    p = subprocess.Popen(netns(cmd), stdout=subprocess.DEVNULL, stderr=err,
                         cwd=tmp)
    try:
        if not wait_socket(p.pid) or p.poll() is not None:
            raise RuntimeError("did not open its capture")
        time.sleep(0.5)          # threads started, first poll entered
        wait_idle(p.pid)
        rx0 = rx_packets()
        c0 = cpu_sample(p.pid)
        sent, secs, pps = pktsend(trace, rate, LOOPS)
        time.sleep(DRAIN)
        rx1 = rx_packets()
        sf = None
        c1 = cpu_sample(p.pid)
        if kind == "softflowd":
            sf = subprocess.run(["softflowctl", "-c", cmd[cmd.index("-c") + 1],
                                 "statistics"], capture_output=True,
                                text=True).stdout
        p.send_signal(signal.SIGINT if kind == "skyprobe" else
                      signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    except BaseException:
        if p.poll() is None:
            p.kill()
            p.wait()
        raise
    err.seek(0)
    text = err.read()
    err.close()
    if kind == "skyprobe":
        received = num(r"^packets read:\s+(\d+)", text)
        kd = num(r"^kernel dropped:\s+(\d+)", text)
        idr = num(r"^interface dropped:\s+(\d+)", text)
        drops = None if kd is None or idr is None else kd + idr
    elif kind == "softflowd":
        rcv = num(r"Packets received by libpcap: (\d+)", sf)
        kd = num(r"Packets dropped by libpcap: (\d+)", sf)
        idr = num(r"Packets dropped by interface: (\d+)", sf)
        received = None if rcv is None or kd is None else rcv - kd
        drops = None if kd is None or idr is None else kd + idr
    else:
        m = re.search(r"Stat: received: \d+, dropped by OS/Buffer: (\d+)"
                      r".*?\nProcessed: (\d+)", text, re.S)
        received = int(m.group(2)) if m else None
        drops = int(m.group(1)) if m else None
    if received is None:
        raise RuntimeError("no packet count in its output: " + text[-300:])
    return {"pps": pps, "sent": sent, "ifrx": rx1 - rx0,
            "received": received, "drops": drops,
            "cpu": (c1[0] - c0[0]) / 1e9,
            "user": (c1[1] - c0[1]) / TICK, "sys": (c1[2] - c0[2]) / TICK}


def table(title, res):
    print("\n== %s" % title)
    print("%-22s %9s %8s %8s %8s %7s %7s %7s %6s %6s %7s %7s" %
          ("contender", "send pps", "sent", "if rx", "received", "drops",
           "missing", "CPU s", "user", "sys", "us/pkt", "vs sky"))
    base = res.get("skyprobe -w 1")
    base_us = base["cpu"] / base["received"] * 1e6 if base and \
        base["received"] else None
    for name, r in res.items():
        if r is None:
            print("%-22s failed" % name)
            continue
        us = r["cpu"] / r["received"] * 1e6 if r["received"] else 0
        print("%-22s %9.0f %8d %8d %8d %7s %7d %7.3f %6.2f %6.2f %7.3f %6.2fx"
              % (name, r["pps"], r["sent"], r["ifrx"], r["received"],
                 "?" if r["drops"] is None else r["drops"],
                 r["sent"] - r["received"], r["cpu"], r["user"], r["sys"],
                 us, us / base_us if base_us else 0))


def targets(full, fixed, best_send):
    print("\ntargets:")
    for label, res in (("full speed", full), ("%d pps" % RATE, fixed)):
        sky = res.get("skyprobe -w 1")
        peers = [r["cpu"] / r["received"] for n, r in res.items()
                 if r and n in ("softflowd", "nfpcapd") and r["received"]]
        if sky and peers:
            us = sky["cpu"] / sky["received"]
            print("  %-12s skyprobe CPU/packet = %.2fx the best peer's "
                  "(target <= 0.5)" % (label, us / min(peers)))
    for name, r in full.items():
        if r and name.startswith("skyprobe"):
            print("  full speed   %-22s %s drops, %d missing at %.0f pps "
                  "(target 0)" % (name, r["drops"], r["sent"] - r["received"],
                                  r["pps"]))
    if best_send:
        print("  senders' ceilings (nothing capturing): " +
              ", ".join("%s %.0f pps" % kv for kv in best_send.items()))


def main():
    trace = build_trace()
    n = trace_packets(trace)
    print("machine: %d cores, load average %.1f; trace %s, %d packets, "
          "%d pass(es) per run, best of %d run(s)" % (
              os.cpu_count(), os.getloadavg()[0], trace, n, LOOPS, RUNS))
    best_send = ceilings(trace)
    full, fixed = {}, {}
    with tempfile.TemporaryDirectory(dir=DIR) as tmp:
        for name, cmd, kind in contenders(tmp):
            for res, rate in ((full, 0), (fixed, RATE)):
                try:
                    # LIVE_RUNS runs; the one of least CPU per packet kept
                    runs = [run_one(name, cmd, kind, trace, rate, tmp)
                            for _ in range(RUNS)]
                    res[name] = min(runs, key=lambda r: r["cpu"] /
                                    max(r["received"], 1))
                except (RuntimeError, subprocess.SubprocessError,
                        OSError) as e:
                    print("%s: %s" % (name, e), file=sys.stderr)
                    res[name] = None
    table("live, pktsend at full speed (%d packets per run)" % (n * LOOPS),
          full)
    table("live, pktsend at %d packets/s (%d packets per run)" %
          (RATE, n * LOOPS), fixed)
    targets(full, fixed, best_send)


if __name__ == "__main__":
    main()
