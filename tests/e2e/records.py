#!/usr/bin/env python3
"""Helpers for the end-to-end tests: turn collector-test's JSON lines and an
independent reader's view of a trace (tshark) into the same canonical text,
so that the shell tests can compare them with diff.

  records.py flows JSONL        one line per biflow, records of one flow
                                (active-timeout splits) summed:
                                "proto src sport dst dport pf of pr or"
  records.py tshark PCAP        the same, computed by tshark from the trace
  records.py skype JSONL        flows with their Skype role and session,
                                then the session records
  records.py records JSONL      flow and session records in the form of
                                `tracegen --records`
  records.py canon JSONL        the same, sorted, session ids renumbered
                                in the order of the sessions' starts
  records.py same JSONL JSONL...
                                `canon` of the first equals that of each
                                other, else a diff and exit status 1
  records.py nfdump RAW         one line per flow record of `nfdump -o raw`:
                                "proto src sport dst dport vlan pf of pr or
                                first last end icmp app"
  records.py nfdump --json JSONL
                                the line nfdump should show for every flow
                                record of collector-test's JSON of a full
                                profile export of the same run (app from
                                skypeFlowRole and the names sent)
  records.py nfdump --flows RAW nfdump's records summed per flow, as `flows`
  records.py ipfixdump TEXT     `ipfixDump` output in the form of `skype`
  records.py summary JSONL       the Skype summary of a run computed from
                                collector-test's records, as lines:
                                "session ID client cport sn snport mode
                                version login start connected end reason
                                changes refused flows packets octets",
                                "totals clients N sessions N refused N
                                flows N", "role NAME N"
  records.py summary --probe JSON
                                the same lines from skyprobe --summary FILE
  records.py sessions JSONL     the session ids of a full-profile export's
                                flow records (0 = none) and session
                                records, one per line, ascending
  records.py nfdump --session N JSONL
                                as `nfdump --json`, the flow records with
                                skypeSessionId N only
  records.py nfdump --opid RAW  the observation point ids of `nfdump -o raw`
                                with their number of flow records,
                                "ID COUNT", ascending
  records.py join JSONL FIELD   the same from collector-test: the values
                                of FIELD (e.g. skypeSessionId) in flow
                                records, "VALUE COUNT", ascending
  records.py pmacct JSON        nfacctd's print plugin JSON: one line per
                                record, "flow PROTO SRC SPORT DST DPORT
                                START session=S role=R" or "session SRC
                                SPORT DST DPORT session=S role=R"
  records.py pmacct --json JSONL
                                the same from collector-test's JSON of the
                                full-profile export of the same run
  records.py select JSONL FIELDS [KEY=VALUE ...]
                                the FIELDS (comma-separated) of every data
                                record matching all KEY=VALUE, one per line
"""
import calendar
import ipaddress
import json
import re
import subprocess
import sys
import time


def load(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def flow_key(r):
    if "sourceIPv4Address" in r:
        src, dst = r["sourceIPv4Address"], r["destinationIPv4Address"]
    elif "sourceIPv6Address" in r:
        src, dst = r["sourceIPv6Address"], r["destinationIPv6Address"]
    else:
        return None
    if "octetDeltaCount" not in r:
        return None     # a session record, not a flow
    return (r.get("protocolIdentifier", 0), src, r.get("sourceTransportPort", 0),
            dst, r.get("destinationTransportPort", 0), r.get("vlanId", 0))


def emit(flows):
    for k in sorted(flows, key=lambda k: tuple(str(x) for x in k)):
        proto, src, sp, dst, dp, vlan = k
        c = flows[k]
        print(proto, src, sp, dst, dp, c[0], c[1], c[2], c[3])


def cmd_flows(path):
    flows = {}
    for r in load(path):
        if r.get("_options"):
            continue
        k = flow_key(r)
        if k is None:
            continue
        n = [r.get("packetDeltaCount", 0), r.get("octetDeltaCount", 0),
             r.get("reversePacketDeltaCount", 0),
             r.get("reverseOctetDeltaCount", 0)]
        rk = (k[0], k[3], k[4], k[1], k[2], k[5])
        if k not in flows and rk in flows:
            # a later record of the flow began with a reply packet
            k, n = rk, [n[2], n[3], n[0], n[1]]
        c = flows.setdefault(k, [0, 0, 0, 0])
        for i in range(4):
            c[i] += n[i]
    emit(flows)


TSHARK_FIELDS = ["ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto",
                 "ip.len", "ipv6.plen", "tcp.srcport", "tcp.dstport",
                 "udp.srcport", "udp.dstport", "vlan.id", "ip.frag_offset",
                 "ip.id", "icmp.type", "icmpv6.type", "ipv6.nxt"]


def first(v):
    return v.split(",")[0] if v else ""


def cmd_tshark(pcap):
    args = ["tshark", "-n", "-r", pcap, "-o", "ip.defragment:FALSE",
            "-o", "ipv6.defragment:FALSE", "-T", "fields",
            "-E", "separator=\t", "-E", "occurrence=a"]
    for f in TSHARK_FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    flows, order, frag_ports = {}, [], {}
    for line in out.split("\n"):
        if not line:
            continue
        v = dict(zip(TSHARK_FIELDS, line.split("\t")))
        if first(v["ip.src"]):
            src, dst = first(v["ip.src"]), first(v["ip.dst"])
            octets = int(first(v["ip.len"]))
            proto = int(first(v["ip.proto"]))
        elif first(v["ipv6.src"]):
            src, dst = first(v["ipv6.src"]), first(v["ipv6.dst"])
            octets = 40 + int(first(v["ipv6.plen"]))
            proto = int(v["ipv6.nxt"].split(",")[-1] or 0)
        else:
            continue
        sp = dp = 0
        if first(v["icmp.type"]) and first(v["ip.src"]):
            proto = 1
        elif first(v["icmpv6.type"]):
            proto = 58
        elif first(v["tcp.srcport"]):
            proto, sp, dp = 6, int(first(v["tcp.srcport"])), int(first(v["tcp.dstport"]))
        elif first(v["udp.srcport"]):
            proto, sp, dp = 17, int(first(v["udp.srcport"])), int(first(v["udp.dstport"]))
        # IPv4 later fragments count to the flow of their first fragment.
        fid = (src, dst, first(v["ip.id"]), proto)
        if first(v["ip.frag_offset"]) not in ("", "0"):
            sp, dp = frag_ports.get(fid, (0, 0))
        elif first(v["ip.id"]):
            frag_ports[fid] = (sp, dp)
        vlan = int(first(v["vlan.id"]) or 0)
        fwd = (proto, src, sp, dst, dp, vlan)
        rev = (proto, dst, dp, src, sp, vlan)
        if fwd in flows:
            c = flows[fwd]
            c[0] += 1
            c[1] += octets
        elif rev in flows:
            c = flows[rev]
            c[2] += 1
            c[3] += octets
        else:
            flows[fwd] = [1, octets, 0, 0]
    emit(flows)


def cmd_select(path, fields, conds):
    want = [c.split("=", 1) for c in conds]
    for r in load(path):
        if all(str(r.get(k)) == v for k, v in want):
            print(" ".join(str(r.get(f, "-")) for f in fields.split(",")))


ROLE_NAMES = ["none", "udp-probe", "udp-probe-negative", "supernode-refused",
              "supernode", "restricted-443", "restricted-80", "login",
              "skypeout", "contact-list"]


def summary_addr(a):
    """Address as the summary prints it: IPv4 dotted (v4-mapped too),
    '-' for none."""
    if a in (None, "", "-"):
        return "-"
    ip = ipaddress.ip_address(a)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return "-" if int(ip) == 0 else str(ip)


def summary_lines(sessions, totals, roles):
    for r in sorted(sessions, key=lambda r: r[0]):
        print("session", *r)
    print("totals clients %d sessions %d refused %d flows %d" % totals)
    for name in sorted(roles):
        print("role", name, roles[name])


def cmd_summary(*args):
    if args[0] == "--probe":
        with open(args[1]) as f:
            j = json.load(f)
        sessions = []
        for r in j["sessions"]:
            sessions.append((r["session_id"], summary_addr(r["client"]),
                             r["client_port"], summary_addr(r["supernode"]),
                             r["supernode_port"], r["mode_id"], r["version_id"],
                             r["login_phase_id"], r["start_ms"],
                             r["connected_ms"], r["end_ms"],
                             r["end_reason_id"], r["supernode_changes"],
                             r["refused_supernodes"], r["flows"], r["packets"],
                             r["octets"]))
        t = j["totals"]
        summary_lines(sessions, (t["clients"], t["sessions"],
                                 t["refused_supernodes"], t["flows"]),
                      t["flows_by_role"])
        return
    per_sid, roles, nflows, recs = {}, {}, 0, []
    for r in load(args[0]):
        if r.get("_options"):
            continue
        if "skypeSessionStartMilliseconds" in r:
            recs.append(r)
            continue
        if "octetDeltaCount" not in r:
            continue
        nflows += 1
        name = ROLE_NAMES[r.get("skypeFlowRole", 0)]
        roles[name] = roles.get(name, 0) + 1
        sid = r.get("skypeSessionId", 0)
        if sid:
            c = per_sid.setdefault(sid, [0, 0, 0])
            c[0] += 1
            c[1] += r.get("packetDeltaCount", 0) + r.get("reversePacketDeltaCount", 0)
            c[2] += r.get("octetDeltaCount", 0) + r.get("reverseOctetDeltaCount", 0)
    sessions, clients, refused = [], set(), 0
    for r in recs:
        client = summary_addr(r.get("sourceIPv4Address", r.get("sourceIPv6Address")))
        sn = summary_addr(r.get("destinationIPv4Address", r.get("destinationIPv6Address")))
        sid = r["skypeSessionId"]
        c = per_sid.pop(sid, [0, 0, 0])
        clients.add(client)
        refused += r["skypeRefusedSupernodes"]
        sessions.append((sid, client, r["sourceTransportPort"], sn,
                         r["destinationTransportPort"], r["skypeTransportMode"],
                         r["skypeVersion"], r["skypeLoginPhase"],
                         r["skypeSessionStartMilliseconds"],
                         r["skypeSessionConnectedMilliseconds"],
                         r["skypeSessionEndMilliseconds"],
                         r["skypeSessionEndReason"], r["skypeSupernodeChanges"],
                         r["skypeRefusedSupernodes"], c[0], c[1], c[2]))
    if per_sid:
        sys.exit("flows name sessions that were never exported: %s" %
                 sorted(per_sid))
    summary_lines(sessions, (len(clients), len(recs), refused, nflows), roles)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "flows":
        cmd_flows(sys.argv[2])
    elif cmd == "tshark":
        cmd_tshark(sys.argv[2])
    elif cmd == "summary":
        cmd_summary(*sys.argv[2:])
    elif cmd in COMMANDS:
        COMMANDS[cmd](*sys.argv[2:])
    elif cmd == "select":
        cmd_select(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)



def cmd_skype(path):
    """The Skype view of one export: every flow with its role and session,
    then every session record, in a stable order."""
    print("\n".join(skype_lines(load(path))))


def skype_lines(recs):
    flows, sessions = [], []
    for r in recs:
        if r.get("_options"):
            continue
        if "skypeSessionStartMilliseconds" in r:
            sessions.append(r)
        elif flow_key(r) is not None:
            flows.append(r)
    lines = []
    for r in flows:
        k = flow_key(r)
        lines.append("flow %s %s:%s > %s:%s role=%s session=%s end=%s" % (
            k[0], k[1], k[2], k[3], k[4], r.get("skypeFlowRole", "-"),
            r.get("skypeSessionId", "-"), r.get("flowEndReason", "-")))
    lines.sort()
    for r in sorted(sessions, key=lambda r: r["skypeSessionId"]):
        cl = r.get("sourceIPv4Address", r.get("sourceIPv6Address"))
        sn = r.get("destinationIPv4Address", r.get("destinationIPv6Address"))
        lines.append(
            "session %s client=%s:%s sn=%s:%s start=%s connected=%s end=%s "
            "reason=%s mode=%s login=%s changes=%s refused=%s version=%s" % (
                r["skypeSessionId"], cl, r.get("sourceTransportPort"), sn,
                r.get("destinationTransportPort"),
                r.get("skypeSessionStartMilliseconds"),
                r.get("skypeSessionConnectedMilliseconds"),
                r.get("skypeSessionEndMilliseconds"),
                r.get("skypeSessionEndReason"), r.get("skypeTransportMode"),
                r.get("skypeLoginPhase"), r.get("skypeSupernodeChanges"),
                r.get("skypeRefusedSupernodes"), r.get("skypeVersion")))
    return lines


COMMANDS = {"skype": cmd_skype}


ROLE = ["none", "udp-probe-pos", "udp-probe-neg", "sn-refused",
        "sn-connection", "restricted-443", "restricted-80", "login",
        "skypeout", "contact-list"]
FLOW_END = {1: "idle", 2: "active", 3: "eof", 4: "forced", 5: "resources"}
SESS_END = {0: "none", 1: "sn-closed", 2: "timeout", 3: "shutdown",
            4: "evicted"}
MODE = {0: "unknown", 1: "udp-tcp", 2: "restricted-443", 3: "restricted-80"}
LOGIN = {0: "none", 1: "L1", 2: "L2", 3: "L3", 4: "complete", 5: "failed",
         6: "relayed"}
VERSION = {0: "unknown", 1: "1.4", 2: "2.0", 3: "2.5"}
PROTO = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6"}


def cmd_records(path):
    """collector-test's JSON in the form of `tracegen --records`: one line
    per flow record, then one per session record."""
    flows, sessions = [], []
    for r in load(path):
        if r.get("_options"):
            continue
        if "skypeSessionStartMilliseconds" in r:
            cl = r.get("sourceIPv4Address", r.get("sourceIPv6Address"))
            sn = r.get("destinationIPv4Address",
                       r.get("destinationIPv6Address"))
            sessions.append(
                "session id=%s client=%s sn=%s:%s connected=%s sn_changes=%s "
                "refused=%s login=%s mode=%s version=%s end=%s start_ms=%s "
                "connected_ms=%s end_ms=%s" % (
                    r.get("skypeSessionId"), cl, sn,
                    r.get("destinationTransportPort"),
                    "yes" if r.get("skypeSessionConnectedMilliseconds") else "no",
                    r.get("skypeSupernodeChanges"),
                    r.get("skypeRefusedSupernodes"),
                    LOGIN.get(r.get("skypeLoginPhase"), "?"),
                    MODE.get(r.get("skypeTransportMode"), "?"),
                    VERSION.get(r.get("skypeVersion"), "?"),
                    SESS_END.get(r.get("skypeSessionEndReason"), "?"),
                    r.get("skypeSessionStartMilliseconds"),
                    r.get("skypeSessionConnectedMilliseconds"),
                    r.get("skypeSessionEndMilliseconds")))
            continue
        k = flow_key(r)
        if k is None:
            continue
        role = r.get("skypeFlowRole", 0)
        flows.append("%s %s %s %s %s %s %s %s %s role=%s session=%s vlan=%s "
                     "end=%s start_ms=%s" % (
                         PROTO.get(k[0], k[0]), k[1], k[2], k[3], k[4],
                         r.get("packetDeltaCount", 0),
                         r.get("octetDeltaCount", 0),
                         r.get("reversePacketDeltaCount", 0),
                         r.get("reverseOctetDeltaCount", 0),
                         ROLE[role] if role < len(ROLE) else role,
                         r.get("skypeSessionId", 0),
                         r.get("vlanId", 0),
                         FLOW_END.get(r.get("flowEndReason"), "?"),
                         r.get("flowStartMilliseconds")))
    print("flows %d" % len(flows))
    print("\n".join(flows))
    print("sessions %d" % len(sessions))
    if sessions:
        print("\n".join(sessions))


COMMANDS["records"] = cmd_records


def cmd_canon(path):
    """`records`, sorted, with session ids renumbered 1, 2, ... in the
    order of their session records (start, client, super node, end): two
    runs that found the same sessions under other ids (one worker, or
    several numbering theirs apart) print the same text."""
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        cmd_records(path)
    lines = buf.getvalue().splitlines()
    sess = [l for l in lines if l.startswith("session id=")]

    def order(line):
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        return (int(f["start_ms"]), f["client"], f["sn"], f["end_ms"])
    new = {}
    for line in sorted(sess, key=order):
        new[re.match(r"session id=(\d+)", line).group(1)] = len(new) + 1

    def renumber(m):
        return "%s%s" % (m.group(1), new.get(m.group(2), "?" + m.group(2))
                         if m.group(2) != "0" else "0")
    out = [re.sub(r"(\bid=|\bsession=)(\d+)", renumber, l) for l in lines]
    print("\n".join(sorted(out)))


COMMANDS["canon"] = cmd_canon


def cmd_same(first, *others):
    """`canon` of FIRST against each of OTHERS, in one process (the
    worker tests compare hundreds of runs): prints a unified diff for each
    that differs, exits 1 if any did."""
    import contextlib
    import difflib
    import io

    def canon_of(path):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            cmd_canon(path)
        return buf.getvalue().splitlines(keepends=True)
    want = canon_of(first)
    bad = 0
    for o in others:
        got = canon_of(o)
        if got != want:
            bad = 1
            sys.stdout.writelines(difflib.unified_diff(want, got, first, o))
    sys.exit(bad)


COMMANDS["same"] = cmd_same



# --- other collectors' views (tests/e2e/tools.sh) ---------------------------

APP_ENGINE_PEN = 20     # RFC 6759 classification engine id of PANA-L7-PEN


def norm_ip(a):
    return ipaddress.ip_address(a).compressed


def nfdump_raw(path):
    """The flow records of `nfdump -o raw` as dicts named like
    collector-test's JSON.  nfdump puts ICMP type.code where the ports go
    and shows an applicationId with its name as "20..PEN..SEL: name"."""
    recs, cur = [], None
    with open(path) as f:
        for line in f:
            if line.startswith("Flow Record"):
                cur = {}
                recs.append(cur)
                continue
            m = re.match(r"\s+(\S.*?)\s+=\s+(.*)$", line)
            if cur is None or not m:
                continue
            key, val = m.group(1), m.group(2).strip()
            if key == "app ID":
                app_id, _, name = val.partition(": ")
                cur["app"] = "%s:%s" % (app_id, name)
            else:
                cur[key] = val
    out = []
    for c in recs:
        icmp = c["ICMP"].split()[0] if "ICMP" in c else "-"
        out.append({
            "proto": int(c["proto"].split()[0]),
            "src": norm_ip(c["src addr"]), "dst": norm_ip(c["dst addr"]),
            "sport": int(c.get("src port", 0)),
            "dport": int(c.get("dst port", 0)),
            "vlan": int(c.get("src vlan", 0)),
            "counts": [int(c.get(k, 0)) for k in
                       ("in packets", "in bytes", "out packets",
                        "out bytes")],
            "first": int(c["first"].split()[0]),
            "last": int(c["last"].split()[0]),
            "end": int(c.get("end reason", "0").split()[0], 16),
            "icmp": icmp,
            "app": c.get("app", "-"),
        })
    return out


def nfdump_expected(path):
    """What nfdump should show for a full-profile export of the same run,
    from collector-test's JSON: the selector is skypeFlowRole, the name
    and description those the probe sent for that applicationId."""
    recs = load(path)
    names = {}
    for r in recs:
        if r.get("_options") and "applicationName" in r:
            names[r["applicationId"]] = "%s/%s" % (
                r["applicationName"], r["applicationDescription"])
    out = []
    for r in recs:
        if r.get("_options"):
            continue
        k = flow_key(r)
        if k is None:
            continue
        role = r.get("skypeFlowRole", 0)
        app_hex = r.get("applicationId", "")
        if role == 0:
            app = "-" if app_hex == "" else "unexpected-id:" + app_hex
        else:
            pen = int(app_hex[2:10], 16) if len(app_hex) == 18 else -1
            sel = int(app_hex[10:18], 16) if len(app_hex) == 18 else -1
            app = "%d..%d..%d:%s" % (APP_ENGINE_PEN, pen, role,
                                     names.get(app_hex, "<no info>"))
            if sel != role:
                app += " (selector %d)" % sel
        proto = k[0]
        icmp = "-"
        if proto in (1, 58):
            tc = r.get("icmpTypeCodeIPv4", r.get("icmpTypeCodeIPv6", 0))
            icmp = "%d.%d" % (tc >> 8, tc & 0xff)
        out.append({
            "proto": proto, "src": norm_ip(k[1]), "dst": norm_ip(k[3]),
            "sport": k[2], "dport": k[4], "vlan": k[5],
            "counts": [r.get("packetDeltaCount", 0),
                       r.get("octetDeltaCount", 0),
                       r.get("reversePacketDeltaCount", 0),
                       r.get("reverseOctetDeltaCount", 0)],
            "first": r.get("flowStartMilliseconds"),
            "last": r.get("flowEndMilliseconds"),
            "end": r.get("flowEndReason", 0),
            "icmp": icmp, "app": app,
        })
    return out


def nfdump_line(r):
    return "%s %s %s %s %s vlan=%s %s %s %s %s first=%s last=%s end=%s " \
        "icmp=%s app=%s" % (r["proto"], r["src"], r["sport"], r["dst"],
                            r["dport"], r["vlan"], *r["counts"], r["first"],
                            r["last"], r["end"], r["icmp"], r["app"])


def cmd_nfdump(*args):
    if len(args) == 2 and args[0] == "--json":
        recs = nfdump_expected(args[1])
    elif len(args) == 2 and args[0] == "--flows":
        flows = {}
        for r in nfdump_raw(args[1]):
            # ICMP: the flows format (tracegen --expect) has no ports
            sp, dp = (0, 0) if r["proto"] in (1, 58) else \
                (r["sport"], r["dport"])
            k = (r["proto"], r["src"], sp, r["dst"], dp, r["vlan"])
            rk = (k[0], k[3], k[4], k[1], k[2], k[5])
            n = list(r["counts"])
            if k not in flows and rk in flows:
                k, n = rk, [n[2], n[3], n[0], n[1]]
            c = flows.setdefault(k, [0, 0, 0, 0])
            for i in range(4):
                c[i] += n[i]
        emit(flows)
        return
    elif len(args) == 1:
        recs = nfdump_raw(args[0])
    else:
        sys.exit(__doc__)
    print("\n".join(sorted(nfdump_line(r) for r in recs)))


def ipfixdump_value(v):
    """An ipfixDump field value as collector-test's JSON has it."""
    if re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$", v):
        t = calendar.timegm(time.strptime(v[:19], "%Y-%m-%d %H:%M:%S"))
        return t * 1000 + int(v[20:23])
    if re.match(r"^-?\d+$", v):
        return int(v)
    return v


def cmd_ipfixdump(path):
    """`ipfixDump` text (with element names from --element-file or
    --rfc5610) in the form of `skype`: every field printed by name."""
    recs, cur = [], None
    with open(path) as f:
        for line in f:
            if line.startswith("--- data record"):
                cur = {}
                recs.append(cur)
            elif line.startswith("---"):
                cur = None
            elif cur is not None:
                m = re.match(r"\s+\([\d/]+\)\s*(\(S\))?\s*(\w+) : (.*)$",
                             line.rstrip("\n"))
                if m:
                    if m.group(1):
                        cur["_options"] = True
                    name, v = m.group(2), ipfixdump_value(m.group(3))
                    if name.endswith("IPv6Address"):
                        v = norm_ip(v)  # ipfixDump keeps leading zeros
                    cur[name] = v
    print("\n".join(skype_lines(recs)))


COMMANDS["nfdump"] = cmd_nfdump
COMMANDS["ipfixdump"] = cmd_ipfixdump


# --- following a session: the join keys (tests/e2e/tools.sh, pmacct.sh) ----

def is_session(r):
    return "skypeSessionStartMilliseconds" in r


def cmd_sessions(path):
    ids = set()
    for r in load(path):
        if r.get("_options"):
            continue
        if is_session(r) or flow_key(r) is not None:
            ids.add(r.get("skypeSessionId", 0))
    print("\n".join(str(i) for i in sorted(ids)))


def cmd_nfdump_session(sid, path):
    recs = []
    for e, r in zip(nfdump_expected(path), flow_records(path)):
        if r.get("skypeSessionId", 0) == int(sid):
            recs.append(e)
    print("\n".join(sorted(nfdump_line(r) for r in recs)))


def flow_records(path):
    """The flow records of collector-test's JSON, in the order
    nfdump_expected() takes them."""
    return [r for r in load(path)
            if not r.get("_options") and flow_key(r) is not None]


def print_counts(counts):
    for v in sorted(counts):
        print(v, counts[v])


def cmd_nfdump_opid(path):
    counts = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s+obs pointID\s+=\s+(\S+)", line)
            if m:
                v = int(m.group(1), 16)
                counts[v] = counts.get(v, 0) + 1
    print_counts(counts)


def cmd_join(path, field):
    counts = {}
    for r in flow_records(path):
        v = r.get(field, "-")
        counts[v] = counts.get(v, 0) + 1
    print_counts(counts)


def pmacct_proto(p):
    try:
        return int(p)
    except ValueError:
        return {"icmp": 1, "tcp": 6, "udp": 17, "ipv6-icmp": 58,
                "icmp6": 58}.get(p, p)


def pmacct_ms(ts):
    """nfacctd's timestamp_start (timestamps_utc: true) in milliseconds."""
    sec, _, frac = ts.partition(".")
    t = calendar.timegm(time.strptime(sec, "%Y-%m-%d %H:%M:%S"))
    return t * 1000 + int((frac + "000")[:3])


def pmacct_line(kind, proto, src, sport, dst, dport, start, sid, role):
    if kind == "session":
        return "session %s %s %s %s session=%s role=%s" % (
            norm_ip(src), sport, norm_ip(dst), dport, sid, role)
    return "flow %s %s %s %s %s %s session=%s role=%s" % (
        proto, norm_ip(src), sport, norm_ip(dst), dport, start, sid, role)


def cmd_pmacct(*args):
    lines = []
    if len(args) == 2 and args[0] == "--json":
        for r in load(args[1]):
            if r.get("_options"):
                continue
            src = r.get("sourceIPv4Address", r.get("sourceIPv6Address"))
            dst = r.get("destinationIPv4Address",
                        r.get("destinationIPv6Address"))
            if is_session(r):
                lines.append(pmacct_line(
                    "session", 0, src, r.get("sourceTransportPort", 0), dst,
                    r.get("destinationTransportPort", 0), 0,
                    r["skypeSessionId"], 0))
            elif flow_key(r) is not None:
                k = flow_key(r)
                lines.append(pmacct_line(
                    "flow", k[0], k[1], k[2], k[3], k[4],
                    r["flowStartMilliseconds"], r.get("skypeSessionId", "-"),
                    r.get("skypeFlowRole", "-")))
    elif len(args) == 1:
        with open(args[0]) as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                if r.get("event_type") != "purge":
                    continue
                # session records carry no counters
                kind = "flow" if "packets" in r else "session"
                lines.append(pmacct_line(
                    kind, pmacct_proto(r["ip_proto"]), r["ip_src"],
                    r["port_src"], r["ip_dst"], r["port_dst"],
                    pmacct_ms(r["timestamp_start"]),
                    r["skype_session_id"], r["skype_flow_role"]))
    else:
        sys.exit(__doc__)
    print("\n".join(sorted(lines)))


def cmd_nfdump_ext(*args):
    if len(args) == 3 and args[0] == "--session":
        cmd_nfdump_session(args[1], args[2])
    elif len(args) == 2 and args[0] == "--opid":
        cmd_nfdump_opid(args[1])
    else:
        cmd_nfdump(*args)


COMMANDS["sessions"] = cmd_sessions
COMMANDS["nfdump"] = cmd_nfdump_ext
COMMANDS["join"] = cmd_join
COMMANDS["pmacct"] = cmd_pmacct


if __name__ == "__main__":
    main()
